/*-------------------------------------------------------------------------
 *
 * distance.h
 *	  Distance kernels over float vectors, shared by the SQL operators and
 *	  the index.  Plain C: no PostgreSQL headers.
 *
 * Each kernel has a portable scalar version and SIMD versions (AVX2+FMA,
 * AVX-512) chosen once at run time; the binary runs on any x86-64 CPU.
 * Results agree with the scalar reference to within float rounding of the
 * summation order (tested in test/unit/test_distance.c).
 *
 * Kernels accumulate in float, like pgvector: vectors are float4 and a
 * 2048-term sum loses at most a few ulps more than a double sum would.
 * Callers must pass n >= 0; pointers need no particular alignment.
 *
 *-------------------------------------------------------------------------
 */
#ifndef FACE_DISTANCE_H
#define FACE_DISTANCE_H

#include <stddef.h>

/* sum((a[i]-b[i])^2); callers take sqrt() where they need the true L2 */
extern float (*face_l2_squared) (const float *a, const float *b, int n);
/* sum(a[i]*b[i]) */
extern float (*face_inner_product) (const float *a, const float *b, int n);
/* sum(|a[i]-b[i]|) */
extern float (*face_l1_distance) (const float *a, const float *b, int n);
/* The three sums of a cosine in one pass: *ab = a.b, *aa = a.a, *bb = b.b */
extern void (*face_cosine_parts) (const float *a, const float *b, int n,
								  float *ab, float *aa, float *bb);
/*
 * 1 - cos(a,b), computed in one pass, clamped to [0,2]; NaN if either vector
 * is zero.  Exact for any finite input: when a float sum overflows or
 * underflows (elements beyond about 1e19 or below about 1e-19) it is redone
 * in double.
 */
extern double face_cosine_distance(const float *a, const float *b, int n);

/*
 * The same sums accumulated in double, element by element.  The float
 * kernels overflow to Inf (or NaN, from Inf - Inf) on vectors with elements
 * beyond about 1e19, although every such sum fits a double easily (at most
 * 2048 * (6.8e38)^2); callers recompute a non-finite float result with this.
 */
typedef struct FaceDistanceSums
{
	double		l2;				/* sum((a[i]-b[i])^2) */
	double		l1;				/* sum(|a[i]-b[i]|) */
	double		ab;				/* a.b */
	double		aa;				/* a.a */
	double		bb;				/* b.b */
} FaceDistanceSums;
extern void face_distance_sums_double(const float *a, const float *b, int n, FaceDistanceSums *s);

/*
 * One query against many vectors: out[i] = kernel(q, v[i], n) for i < count.
 * For the index, which scores a page's worth of candidates at once.
 */
void		face_l2_squared_batch(const float *q, const float *const *v, int count, int n, float *out);
void		face_inner_product_batch(const float *q, const float *const *v, int count, int n, float *out);

/* Scalar references, used by the tests and as the fallback. */
float		face_l2_squared_scalar(const float *a, const float *b, int n);
float		face_inner_product_scalar(const float *a, const float *b, int n);
float		face_l1_distance_scalar(const float *a, const float *b, int n);
void		face_cosine_parts_scalar(const float *a, const float *b, int n,
									 float *ab, float *aa, float *bb);

/* One instruction set's kernels, for tests and benchmarks. */
typedef struct FaceDistanceKernels
{
	const char *isa;			/* "avx512", "avx2" or "scalar" */
	float		(*l2_squared) (const float *a, const float *b, int n);
	float		(*inner_product) (const float *a, const float *b, int n);
	float		(*l1_distance) (const float *a, const float *b, int n);
	void		(*cosine_parts) (const float *a, const float *b, int n,
								 float *ab, float *aa, float *bb);
} FaceDistanceKernels;

/*
 * The kernels of one instruction set, or NULL if this build lacks them or
 * this CPU (and OS) cannot run them.  isa is "avx512", "avx2" or "scalar".
 */
const FaceDistanceKernels *face_distance_kernels(const char *isa);

/* Pick the best kernels for this CPU; idempotent, cheap, call before first use. */
void		face_distance_init(void);
/* Use the kernels of isa instead (as for face_distance_kernels); returns 0, or -1 if unavailable. */
int			face_distance_select(const char *isa);
/* Name of the chosen instruction set ("avx512", "avx2", "scalar"), for tests and benches. */
const char *face_distance_isa(void);
/* The best instruction set this CPU supports, whatever is selected now. */
const char *face_distance_best_isa(void);

#endif							/* FACE_DISTANCE_H */
