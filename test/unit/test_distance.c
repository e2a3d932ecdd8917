/*-------------------------------------------------------------------------
 *
 * test_distance.c
 *	  Unit test of the distance kernels (src/core/distance.c): every SIMD
 *	  kernel this CPU can run against the scalar reference and a double
 *	  precision reference, on every length 1..2048 (plus random ones),
 *	  with unaligned pointers; and the run-time dispatch.
 *
 * Tolerance: float sums in different orders differ by a few ulps of the
 * sum of |terms| (n * eps * sum|t_i| is the worst-case bound; in practice
 * far less), so each result is compared within 1e-5 * (sum|t_i| + 1e-30)
 * relative to the double reference.
 *
 * Exit status 0 if every check passed.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/vec/distance.h"

#define MAX_N 2048

static int	failures = 0;
static int	checks = 0;

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

/* xorshift64*: deterministic, so a failure reproduces */
static double
rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (double) ((rng_state * 0x2545F4914F6CDD1DULL) >> 11) / 9007199254740992.0;
}

static void
check(const char *what, const char *isa, int n, int offset, double got, double want, double scale)
{
	double		tol = 1e-5 * scale + 1e-30;

	checks++;
	if (!(fabs(got - want) <= tol))
	{
		if (failures < 20)
			fprintf(stderr, "FAIL %s [%s] n=%d offset=%d: got %.9g want %.9g (tol %.3g)\n",
					what, isa, n, offset, got, want, tol);
		failures++;
	}
}

/* Double-precision references and the scale (sum of |terms|) of each sum */
static void
reference(const float *a, const float *b, int n,
		  double *l2, double *l2_scale, double *ip, double *ip_scale,
		  double *l1, double *aa, double *bb)
{
	*l2 = *l2_scale = *ip = *ip_scale = *l1 = *aa = *bb = 0;
	for (int i = 0; i < n; i++)
	{
		double		d = (double) a[i] - b[i];

		*l2 += d * d;
		*ip += (double) a[i] * b[i];
		*ip_scale += fabs((double) a[i] * b[i]);
		*l1 += fabs(d);
		*aa += (double) a[i] * a[i];
		*bb += (double) b[i] * b[i];
	}
	*l2_scale = *l2;
}

static void
test_kernels(const FaceDistanceKernels *k, const float *a, const float *b, int n, int offset)
{
	double		l2,
				l2s,
				ip,
				ips,
				l1,
				aa,
				bb;
	float		fab,
				faa,
				fbb;

	reference(a, b, n, &l2, &l2s, &ip, &ips, &l1, &aa, &bb);
	check("l2_squared", k->isa, n, offset, k->l2_squared(a, b, n), l2, l2s);
	check("inner_product", k->isa, n, offset, k->inner_product(a, b, n), ip, ips);
	check("l1_distance", k->isa, n, offset, k->l1_distance(a, b, n), l1, l1);
	k->cosine_parts(a, b, n, &fab, &faa, &fbb);
	check("cosine_parts.ab", k->isa, n, offset, fab, ip, ips);
	check("cosine_parts.aa", k->isa, n, offset, faa, aa, aa);
	check("cosine_parts.bb", k->isa, n, offset, fbb, bb, bb);
	/* and against the scalar kernels, which the SQL results were checked with */
	check("l2_squared vs scalar", k->isa, n, offset, k->l2_squared(a, b, n),
		  face_l2_squared_scalar(a, b, n), l2s);
	check("inner_product vs scalar", k->isa, n, offset, k->inner_product(a, b, n),
		  face_inner_product_scalar(a, b, n), ips);
	check("l1_distance vs scalar", k->isa, n, offset, k->l1_distance(a, b, n),
		  face_l1_distance_scalar(a, b, n), l1);
}

/*
 * Every kernel must read exactly n elements: place the vectors at the end
 * of their buffers, followed by NaN guards that would poison any sum that
 * reads past n (masked loads must not count them).
 */
static void
fill(float *buf, int n, int offset, float **v, double scale)
{
	*v = buf + offset;
	for (int i = 0; i < n; i++)
		(*v)[i] = (float) ((rnd() * 2 - 1) * scale);
	for (int i = n; i < n + 16; i++)
		(*v)[i] = NAN;
}

int
main(void)
{
	static const char *const isas[] = {"scalar", "avx2", "avx512"};
	float	   *abuf = malloc(sizeof(float) * (MAX_N + 64));
	float	   *bbuf = malloc(sizeof(float) * (MAX_N + 64));
	const char *expected;
	int			tested_isas = 0;

	/* dispatch: the best ISA the CPU reports, as the compiler builtins see it */
	face_distance_init();
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
	if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
		expected = "avx512";
	else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
		expected = "avx2";
	else
		expected = "scalar";
#else
	expected = "scalar";
#endif
	printf("dispatch: %s (expected %s)\n", face_distance_isa(), expected);
	checks++;
	if (strcmp(face_distance_isa(), expected) != 0 || strcmp(face_distance_best_isa(), expected) != 0)
	{
		fprintf(stderr, "FAIL dispatch chose %s, expected %s\n", face_distance_isa(), expected);
		failures++;
	}

	/* selecting each available ISA switches the public pointers; an unknown one is refused */
	for (size_t i = 0; i < sizeof(isas) / sizeof(isas[0]); i++)
	{
		const FaceDistanceKernels *k = face_distance_kernels(isas[i]);

		checks++;
		if (k != NULL && (face_distance_select(isas[i]) != 0 ||
						  strcmp(face_distance_isa(), isas[i]) != 0 ||
						  face_l2_squared != k->l2_squared || face_cosine_parts != k->cosine_parts))
		{
			fprintf(stderr, "FAIL select %s\n", isas[i]);
			failures++;
		}
	}
	checks++;
	if (face_distance_select("sse9") != -1 || face_distance_kernels("sse9") != NULL)
	{
		fprintf(stderr, "FAIL unknown ISA accepted\n");
		failures++;
	}
	face_distance_init();

	for (size_t i = 0; i < sizeof(isas) / sizeof(isas[0]); i++)
	{
		const FaceDistanceKernels *k = face_distance_kernels(isas[i]);

		if (k == NULL)
		{
			printf("%s: not available on this CPU, skipped\n", isas[i]);
			continue;
		}
		tested_isas++;
		/* every length, at a changing misalignment */
		for (int n = 1; n <= MAX_N; n++)
		{
			float	   *a,
					   *b;
			int			oa = n % 16,
						ob = (n * 7 + 3) % 16;

			fill(abuf, n, oa, &a, 1.0);
			fill(bbuf, n, ob, &b, 1.0);
			test_kernels(k, a, b, n, oa);
		}
		/* random lengths and magnitudes, including identical vectors */
		for (int t = 0; t < 2000; t++)
		{
			int			n = 1 + (int) (rnd() * MAX_N);
			int			oa = (int) (rnd() * 16),
						ob = (int) (rnd() * 16);
			double		scale = pow(10, rnd() * 20 - 10);
			float	   *a,
					   *b;

			if (n > MAX_N)
				n = MAX_N;
			fill(abuf, n, oa, &a, scale);
			fill(bbuf, n, ob, &b, scale);
			if (t % 10 == 0)
				memcpy(b, a, sizeof(float) * n);
			test_kernels(k, a, b, n, oa);
		}
		/* n = 0: every sum is 0 */
		checks++;
		if (k->l2_squared(abuf, bbuf, 0) != 0 || k->inner_product(abuf, bbuf, 0) != 0 ||
			k->l1_distance(abuf, bbuf, 0) != 0)
		{
			fprintf(stderr, "FAIL %s: n = 0 is not 0\n", k->isa);
			failures++;
		}
	}

	/* cosine distance and the batch helpers, through the selected kernels */
	{
		float		x[3] = {1, 2, 3},
					y[3] = {1, 2, 5},
					z[3] = {0, 0, 0};
		const float *vs[3] = {x, y, z};
		float		out[3];

		check("cosine", face_distance_isa(), 3, 0, face_cosine_distance(x, y, 3),
			  1 - 20 / sqrt(420), 1);
		check("cosine same", face_distance_isa(), 3, 0, face_cosine_distance(x, x, 3), 0, 1);
		checks++;
		if (!isnan(face_cosine_distance(x, z, 3)))
		{
			fprintf(stderr, "FAIL cosine with a zero vector is not NaN\n");
			failures++;
		}
		face_l2_squared_batch(x, vs, 3, 3, out);
		check("l2 batch", face_distance_isa(), 3, 0, out[1], 4, 4);
		check("l2 batch", face_distance_isa(), 3, 1, out[2], 14, 14);
		face_inner_product_batch(x, vs, 3, 3, out);
		check("ip batch", face_distance_isa(), 3, 0, out[0], 14, 14);
		check("ip batch", face_distance_isa(), 3, 1, out[1], 20, 20);
	}

	free(abuf);
	free(bbuf);
	printf("%d ISAs, %d checks, %d failures\n", tested_isas, checks, failures);
	return failures == 0 ? 0 : 1;
}
