/*-------------------------------------------------------------------------
 *
 * test_ann.c
 *	  The faceann numeric core (src/core/ann.h): the rotation is orthogonal,
 *	  fp16 conversion is correctly rounded (dispatched kernels agree with the
 *	  portable ones), the 1-bit estimator tracks the true inner product, and
 *	  k-means finds well-separated clusters.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/vec/ann.h"

static int	failures = 0;
static unsigned long long rng_state = 0x2545F4914F6CDD1DULL;

#define CHECK(cond, ...) \
	do { if (!(cond)) { printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); failures++; } } while (0)

static float
frand(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (float) ((rng_state >> 11) * (1.0 / 9007199254740992.0)) * 2.0f - 1.0f;
}

static double
dot(const float *a, const float *b, int n)
{
	double		s = 0;

	for (int i = 0; i < n; i++)
		s += (double) a[i] * b[i];
	return s;
}

static void
test_rotation(void)
{
	int			dims[] = {3, 64, 100, 128, 513};

	for (int t = 0; t < 5; t++)
	{
		int			d = dims[t],
					p = fc_ann_padded_dim(d);
		float	   *x = malloc(sizeof(float) * d),
				   *y = malloc(sizeof(float) * d),
				   *ux = malloc(sizeof(float) * p),
				   *uy = malloc(sizeof(float) * p);

		CHECK(p >= d && p >= 128 && (p & (p - 1)) == 0, "padded dim %d for %d", p, d);
		for (int i = 0; i < d; i++)
		{
			x[i] = frand();
			y[i] = frand();
		}
		fc_ann_rotate(x, d, p, 42, ux);
		fc_ann_rotate(y, d, p, 42, uy);
		/* orthogonal: inner products (and so norms and distances) are preserved */
		CHECK(fabs(dot(ux, uy, p) - dot(x, y, d)) < 1e-4 * d, "dim %d: <Px,Py> %g vs <x,y> %g",
			  d, dot(ux, uy, p), dot(x, y, d));
		CHECK(fabs(dot(ux, ux, p) - dot(x, x, d)) < 1e-4 * d, "dim %d: norm not preserved", d);
		free(x);
		free(y);
		free(ux);
		free(uy);
	}
}

static void
test_half(void)
{
	float		in[] = {0.0f, -0.0f, 1.0f, -2.5f, 0.1f, 65504.0f, 70000.0f, 6.0e-8f, 3.0e-5f,
	1.0f / 3, 1.00048828125f /* 1 + 2^-11: a tie, rounds to even (1.0) */ };
	float		want[] = {0.0f, -0.0f, 1.0f, -2.5f, 0.0999755859375f, 65504.0f, INFINITY,
	5.9604644775390625e-8f, 2.9981136322021484e-05f, 0.333251953125f, 1.0f};
	int			n = sizeof(in) / sizeof(in[0]);
	uint16_t	h[16];
	float		back[16];

	fc_ann_to_half(h, in, 1.0f, n);
	fc_ann_from_half(back, h, n);
	for (int i = 0; i < n; i++)
		CHECK(back[i] == want[i] && signbit(back[i]) == signbit(want[i]),
			  "half(%g) = %g, want %g", in[i], back[i], want[i]);

	/* a vector (SIMD body + tail) agrees with element-wise conversion, within fp16 rounding */
	{
		float		v[40],
					w[40];
		uint16_t	hv[40],
					hw[40];

		for (int i = 0; i < 40; i++)
			v[i] = frand() * 3;
		fc_ann_to_half(hv, v, 0.5f, 40);
		for (int i = 0; i < 40; i++)
			fc_ann_to_half(&hw[i], &v[i], 0.5f, 1);
		CHECK(memcmp(hv, hw, sizeof(hv)) == 0, "vector and scalar fp16 conversion differ");
		fc_ann_from_half(w, hv, 40);
		for (int i = 0; i < 40; i++)
			CHECK(fabsf(w[i] - v[i] * 0.5f) <= fabsf(v[i] * 0.5f) * 0x1p-11f + 0x1p-25f,
				  "fp16 error too large at %d", i);
	}
}

static void
test_estimator(void)
{
	int			p = 128,
				trials = 2000;
	double		err2 = 0,
				mean = 0;
	float		u[128],
				v[128],
				back[128];
	uint8_t		nib[64];
	fc_ann_query q;

	for (int t = 0; t < trials; t++)
	{
		float		nr2,
					lo,
					delta,
					mn = 1e9f,
					mx = -1e9f;
		double		truth,
					gerr = 0;
		float		est;

		for (int i = 0; i < p; i++)
		{
			u[i] = frand();
			v[i] = frand() * 0.5f + u[i] * 0.5f;
			mn = fminf(mn, u[i]);
			mx = fmaxf(mx, u[i]);
		}
		fc_ann_encode(u, p, nib, &nr2, &lo, &delta);
		CHECK(fabs(nr2 - dot(u, u, p)) < 1e-3, "nr2");
		/* the refitted grid is never worse than the min/max grid (error <= step/2 each) */
		fc_ann_decode(nib, lo, delta, p, back);
		for (int i = 0; i < p; i++)
			gerr += (back[i] - u[i]) * (back[i] - u[i]);
		CHECK(gerr <= p * pow((mx - mn) / FC_ANN_LEVELS / 2, 2) * (1 + 1e-5), "grid error %g", gerr);
		fc_ann_query_prepare(&q, v, p);
		truth = dot(u, v, p);
		est = fc_ann_estimate_ip(&q, nib, lo, delta);
		err2 += (est - truth) * (est - truth);
		mean += (est - truth);
	}

	/*
	 * |u||v| ~ 6.5 * 5; the error is the grid error projected on v, about
	 * step / sqrt(12) * |v| ~ 0.25 here (the 1-bit codes this replaced had ~2)
	 */
	CHECK(sqrt(err2 / trials) < 0.4, "estimator rms error %g", sqrt(err2 / trials));
	CHECK(fabs(mean / trials) < 0.05, "estimator bias %g", mean / trials);

	/* every batch kernel this CPU has agrees with the scalar estimator */
	for (const char *const *isa = (const char *const[]) {"generic", "avx2", "avx512vnni", NULL}; *isa; isa++)
	{
		if (fc_ann_use_isa(*isa) != 0)
			continue;
		for (int pd = 128; pd <= 512; pd *= 2)
		{
			uint8_t		entries[9][8 + 256];
			float		out[9],
						vv[512];

			for (int i = 0; i < pd; i++)
				vv[i] = frand() * (i % 7 == 0 ? 100 : 1);
			fc_ann_query_prepare(&q, vv, pd);
			for (int e = 0; e < 9; e++)
			{
				float		f[2] = {frand(), 0.25f + e};

				memcpy(entries[e], f, 8);
				for (int i = 0; i < pd / 2; i++)
					entries[e][8 + i] = (uint8_t) ((frand() + 1) * 127.99f);
			}
			fc_ann_estimate_ip_batch(&q, &entries[0][8], &entries[0][0], sizeof(entries[0]), 9, out);
			for (int e = 0; e < 9; e++)
			{
				float		f[2];
				float		want;

				memcpy(f, entries[e], 8);
				want = fc_ann_estimate_ip(&q, &entries[e][8], f[0], f[1]);
				CHECK(fabsf(out[e] - want) <= 1e-5f * (1 + fabsf(want)), "%s pdim %d entry %d: batch %g scalar %g",
					  *isa, pd, e, out[e], want);
			}
		}
	}
	fc_ann_init();

	/* a constant (e.g. zero) residual is reproduced exactly */
	{
		float		nr2,
					lo,
					delta;

		memset(u, 0, sizeof(u));
		fc_ann_encode(u, p, nib, &nr2, &lo, &delta);
		CHECK(nr2 == 0 && delta == 0 && fc_ann_estimate_ip(&q, nib, lo, delta) == 0, "zero residual");
	}
}

static void
test_kmeans(void)
{
	int			n = 3000,
				d = 16,
				k = 3;
	float	   *data = malloc(sizeof(float) * n * d);
	float		cent[3 * 16],
				cnorm[3],
				*scratch = malloc(sizeof(float) * n * k);
	int32_t    *assign = malloc(sizeof(int32_t) * n);
	fc_error	err;

	/* three tight clusters around e_0 * 10, e_1 * 10, e_2 * 10 */
	for (int i = 0; i < n; i++)
		for (int j = 0; j < d; j++)
			data[i * d + j] = (j == i % 3 ? 10.0f : 0.0f) + frand() * 0.1f;
	CHECK(fc_ann_kmeans(data, n, d, k, 10, 0, 7, cent, NULL, &err) == FC_OK, "kmeans: %s", err.message);
	fc_ann_norms(cent, k, d, cnorm);
	fc_ann_assign(data, n, d, cent, cnorm, k, scratch, assign);
	for (int i = 3; i < n; i++)
		CHECK(assign[i] == assign[i % 3], "row %d assigned to %d, not with row %d", i, assign[i], i % 3);
	CHECK(assign[0] != assign[1] && assign[1] != assign[2] && assign[0] != assign[2], "clusters merged");
	CHECK(fc_ann_kmeans(data, 2, d, 3, 10, 0, 7, cent, NULL, &err) == FC_ERR_INVALID_ARGUMENT, "k > n accepted");
	free(data);
	free(scratch);
	free(assign);
}

int
main(void)
{
	test_half();				/* portable kernels first */
	fc_ann_init();
	test_rotation();
	test_half();				/* then the dispatched ones */
	test_estimator();
	test_kmeans();
	if (failures)
	{
		printf("%d failure(s)\n", failures);
		return 1;
	}
	printf("ok\n");
	return 0;
}
