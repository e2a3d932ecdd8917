/*-------------------------------------------------------------------------
 *
 * distance.c
 *	  Distance kernels: scalar references, run-time dispatch, batch helpers.
 *
 * The SIMD versions live in distance_avx2.c and distance_avx512.c; each
 * function there carries its own __attribute__((target(...))) so the build
 * needs no -m flags and the rest of the binary stays baseline x86-64.
 * face_distance_init() asks the CPU (through __builtin_cpu_supports, which
 * also checks that the OS saves the wide registers) and points the public
 * function pointers at the best set.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <string.h>

#include "distance.h"
#include "distance_simd.h"

float
face_l2_squared_scalar(const float *a, const float *b, int n)
{
	float		s = 0;

	for (int i = 0; i < n; i++)
	{
		float		d = a[i] - b[i];

		s += d * d;
	}
	return s;
}

float
face_inner_product_scalar(const float *a, const float *b, int n)
{
	float		s = 0;

	for (int i = 0; i < n; i++)
		s += a[i] * b[i];
	return s;
}

float
face_l1_distance_scalar(const float *a, const float *b, int n)
{
	float		s = 0;

	for (int i = 0; i < n; i++)
		s += fabsf(a[i] - b[i]);
	return s;
}

void
face_cosine_parts_scalar(const float *a, const float *b, int n,
						 float *ab, float *aa, float *bb)
{
	float		sab = 0,
				saa = 0,
				sbb = 0;

	for (int i = 0; i < n; i++)
	{
		sab += a[i] * b[i];
		saa += a[i] * a[i];
		sbb += b[i] * b[i];
	}
	*ab = sab;
	*aa = saa;
	*bb = sbb;
}

static const FaceDistanceKernels scalar_kernels = {
	"scalar",
	face_l2_squared_scalar,
	face_inner_product_scalar,
	face_l1_distance_scalar,
	face_cosine_parts_scalar,
};

float		(*face_l2_squared) (const float *a, const float *b, int n) = face_l2_squared_scalar;
float		(*face_inner_product) (const float *a, const float *b, int n) = face_inner_product_scalar;
float		(*face_l1_distance) (const float *a, const float *b, int n) = face_l1_distance_scalar;
void		(*face_cosine_parts) (const float *a, const float *b, int n,
								  float *ab, float *aa, float *bb) = face_cosine_parts_scalar;

static const FaceDistanceKernels *selected = &scalar_kernels;

void
face_distance_sums_double(const float *a, const float *b, int n, FaceDistanceSums *s)
{
	memset(s, 0, sizeof(*s));
	for (int i = 0; i < n; i++)
	{
		double		x = a[i],
					y = b[i];

		s->l2 += (x - y) * (x - y);
		s->l1 += fabs(x - y);
		s->ab += x * y;
		s->aa += x * x;
		s->bb += y * y;
	}
}

/*
 * Below this a float sum of squares may have lost its precision to
 * subnormals (a square of 1e-20 is already one), or be 0 for a non-zero
 * vector; above FLT_MAX / 2^24 a sum is close to overflowing.
 */
#define COSINE_SAFE_MIN		1e-30f
#define COSINE_SAFE_MAX		1e30f

double
face_cosine_distance(const float *a, const float *b, int n)
{
	float		ab,
				aa,
				bb;
	double		sim;

	face_cosine_parts(a, b, n, &ab, &aa, &bb);
	/* !(x >= min && x <= max) also catches NaN */
	if (!(aa >= COSINE_SAFE_MIN && aa <= COSINE_SAFE_MAX &&
		  bb >= COSINE_SAFE_MIN && bb <= COSINE_SAFE_MAX))
	{
		FaceDistanceSums s;

		face_distance_sums_double(a, b, n, &s);
		/* a zero vector has no direction: NaN, as in pgvector */
		if (s.aa == 0 || s.bb == 0)
			return NAN;
		sim = s.ab / (sqrt(s.aa) * sqrt(s.bb));
	}
	else
		sim = (double) ab / sqrt((double) aa * (double) bb);
	/* rounding can push |sim| a hair past 1 */
	if (sim > 1)
		sim = 1;
	else if (sim < -1)
		sim = -1;
	return 1.0 - sim;
}

void
face_l2_squared_batch(const float *q, const float *const *v, int count, int n, float *out)
{
	float		(*kernel) (const float *, const float *, int) = face_l2_squared;

	for (int i = 0; i < count; i++)
		out[i] = kernel(q, v[i], n);
}

void
face_inner_product_batch(const float *q, const float *const *v, int count, int n, float *out)
{
	float		(*kernel) (const float *, const float *, int) = face_inner_product;

	for (int i = 0; i < count; i++)
		out[i] = kernel(q, v[i], n);
}

const FaceDistanceKernels *
face_distance_kernels(const char *isa)
{
	if (strcmp(isa, "scalar") == 0)
		return &scalar_kernels;
#ifdef FACE_HAVE_X86_SIMD
	if (strcmp(isa, "avx2") == 0 &&
		__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
		return &face_avx2_kernels;
	if (strcmp(isa, "avx512") == 0 &&
		__builtin_cpu_supports("avx512f") &&
		__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
		return &face_avx512_kernels;
#endif
	return NULL;
}

int
face_distance_select(const char *isa)
{
	const FaceDistanceKernels *k = face_distance_kernels(isa);

	if (k == NULL)
		return -1;
	face_l2_squared = k->l2_squared;
	face_inner_product = k->inner_product;
	face_l1_distance = k->l1_distance;
	face_cosine_parts = k->cosine_parts;
	selected = k;
	return 0;
}

const char *
face_distance_best_isa(void)
{
	static const char *const order[] = {"avx512", "avx2", "scalar"};

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (face_distance_kernels(order[i]) != NULL)
			return order[i];
	return "scalar";
}

void
face_distance_init(void)
{
#ifdef FACE_HAVE_X86_SIMD
	__builtin_cpu_init();
#endif
	face_distance_select(face_distance_best_isa());
}

const char *
face_distance_isa(void)
{
	return selected->isa;
}
