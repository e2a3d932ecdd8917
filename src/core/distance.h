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
/* 1 - cos(a,b), computed in one pass; NaN if either vector is zero */
extern double face_cosine_distance(const float *a, const float *b, int n);

/* Scalar references, used by the tests and as the fallback. */
float		face_l2_squared_scalar(const float *a, const float *b, int n);
float		face_inner_product_scalar(const float *a, const float *b, int n);
float		face_l1_distance_scalar(const float *a, const float *b, int n);

/* Pick the kernels for this CPU; idempotent, cheap, call before first use. */
void		face_distance_init(void);
/* Name of the chosen instruction set ("avx512", "avx2", "scalar"), for tests and benches. */
const char *face_distance_isa(void);

#endif							/* FACE_DISTANCE_H */
