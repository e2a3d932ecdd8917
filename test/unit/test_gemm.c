/*-------------------------------------------------------------------------
 *
 * test_gemm.c
 *	  The int8 kernels (src/core/nn/gemm.h) and quantisation (quant.c):
 *	- the packed weights and quantised rows decode to within half a step
 *	  of the floats, 0 exactly, codes in range, colsum consistent;
 *	- every kernel set gives exactly the same floats (memcmp) as a plain
 *	  C reference computed here from the codes with int64 sums, on random
 *	  shapes with ragged edges (m % 8, n % 32, k % 4 all nonzero), with and
 *	  without bias, for every activation;
 *	- the dequantised product is within the quantisation error bound of
 *	  the float product;
 *	- fc_conv2d_forward: 'exact' gives sgemm's bits with int8 weights
 *	  attached; 'fast' runs the int8 path and matches the kernel.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit_check.h"
#include "core/nn/gemm.h"
#include "core/nn/layers.h"
#include "core/nn/quant.h"

static unsigned long long rng_state = 0x9E3779B97F4A7C15ULL;

static double
urand(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (rng_state >> 11) * (1.0 / 9007199254740992.0);
}

static int
irand(int lo, int hi)
{
	return lo + (int) (urand() * (hi - lo + 1));
}

/* Activations like a ReLU6 output (many zeros), or signed like an image. */
static void
fill(float *x, size_t n, int relu)
{
	for (size_t i = 0; i < n; i++)
	{
		float		v = (float) (urand() * 2.0 - 1.0);

		x[i] = relu ? (v < 0 ? 0.0f : 6.0f * v) : v;
	}
}

static void *
aligned(size_t bytes)
{
	void	   *p = NULL;

	if (posix_memalign(&p, 64, bytes + 64) != 0)
		abort();
	memset(p, 0xA5, bytes + 64);	/* garbage, so unset bytes show */
	return p;
}

/* The code of weight (i, j) in the packed layout. */
static int
code_at(const fc_q8_weights *w, int i, int j)
{
	const int8_t *panel = w->packed + (size_t) (j / FC_Q8_PANEL) * w->kp * FC_Q8_PANEL;

	return panel[((size_t) (i / 4) * FC_Q8_PANEL + j % FC_Q8_PANEL) * 4 + i % 4];
}

static void
check_pack(const float *b, int k, int n, const fc_q8_weights *w)
{
	int			bad = 0;

	CHECK(w->kp % 4 == 0 && w->kp >= k && w->kp < k + 4, "kp %d for k %d", w->kp, k);
	CHECK(w->npanels * FC_Q8_PANEL >= n && (w->npanels - 1) * FC_Q8_PANEL < n, "panels");
	for (int j = 0; j < w->npanels * FC_Q8_PANEL; j++)
	{
		long		sum = 0;

		for (int i = 0; i < w->kp; i++)
		{
			int			q = code_at(w, i, j);

			sum += q;
			if (i >= k || j >= n)
				bad += q != 0;
			else
			{
				float		x = b[(size_t) i * n + j];

				bad += q < -127 || q > 127 || fabsf(q * w->scale[j] - x) > 0.5001f * w->scale[j];
			}
		}
		if (j < n)
			bad += sum != w->colsum[j];
	}
	CHECK(bad == 0, "%d bad weight codes for k %d n %d", bad, k, n);
}

static void
check_rows(const float *x, int m, int k, const uint8_t *a, int kp,
		   const float *scale, const int32_t *zero)
{
	int			bad = 0;

	for (int i = 0; i < m; i++)
		for (int t = 0; t < kp; t++)
		{
			if (t >= k)
			{
				bad += a[(size_t) i * kp + t] != 0;
				continue;
			}
			if (x[(size_t) i * k + t] == 0.0f)
				bad += a[(size_t) i * kp + t] != zero[i];
			bad += fabsf((a[(size_t) i * kp + t] - zero[i]) * scale[i] - x[(size_t) i * k + t]) >
				0.5001f * scale[i] + 1e-6f;
		}
	CHECK(bad == 0, "%d bad activation codes for m %d k %d", bad, m, k);
}

/* The reference: int64 sums straight from the codes, the same epilogue. */
static void
reference(const fc_q8_rows *r, const fc_q8_weights *w, const float *bias,
		  fc_activation act, float slope, float *c)
{
	for (int i = 0; i < r->m; i++)
		for (int j = 0; j < w->n; j++)
		{
			long long	s = 0;

			for (int t = 0; t < w->kp; t++)
				s += (long long) r->a[(size_t) i * r->kp + t] * code_at(w, t, j);
			c[(size_t) i * w->n + j] =
				fc_q8_dequant((int32_t) s, r->zero[i], w->colsum[j], r->scale[i],
							  w->scale[j], bias ? bias[j] : 0.0f);
			fc_activate(&c[(size_t) i * w->n + j], 1, act, slope);
		}
}

static void
one_shape(int m, int k, int n, fc_activation act, int with_bias, int relu_in)
{
	float	   *x = aligned((size_t) m * k * sizeof(float));
	float	   *b = aligned((size_t) k * n * sizeof(float));
	float	   *bias = aligned(n * sizeof(float));
	void	   *mem = aligned(fc_q8_bytes(k, n));
	int			kp = (k + 3) / 4 * 4;
	uint8_t    *a = aligned((size_t) m * kp);
	float	   *scale = aligned(m * sizeof(float));
	int32_t    *zero = aligned(m * sizeof(int32_t));
	float	   *want = aligned((size_t) m * n * sizeof(float));
	float	   *got = aligned((size_t) m * n * sizeof(float));
	const fc_gemm_kernels *sets[2] = {&fc_gemm_portable, fc_gemm_vnni()};
	fc_q8_weights w;
	fc_q8_rows	rows;
	double		worst = 0;

	fill(x, (size_t) m * k, relu_in);
	fill(b, (size_t) k * n, 0);
	for (int j = 0; j < n; j++)
		b[(size_t) irand(0, k - 1) * n + j] *= 3.0f;	/* an outlier per column */
	fill(bias, n, 0);
	fc_q8_pack(b, k, n, mem, &w);
	check_pack(b, k, n, &w);
	fc_q8_quantise_rows(x, k, m, k, a, kp, scale, zero);
	check_rows(x, m, k, a, kp, scale, zero);
	rows = (fc_q8_rows) {m, kp, a, scale, zero};
	reference(&rows, &w, with_bias ? bias : NULL, act, 0.1f, want);

	for (int s = 0; s < 2; s++)
	{
		if (sets[s] == NULL)
			continue;
		memset(got, 0x7F, (size_t) m * n * sizeof(float));
		sets[s]->q8(&rows, &w, with_bias ? bias : NULL, act, 0.1f, got, n);
		CHECK(memcmp(got, want, (size_t) m * n * sizeof(float)) == 0,
			  "%s differs from the reference at m %d k %d n %d act %d", sets[s]->name, m, k, n, act);
	}

	/* against the float product: error <= sum |x| * sw/2 + sum |w| * sa/2 + ... */
	if (act == FC_ACT_NONE)
	{
		for (int i = 0; i < m; i++)
			for (int j = 0; j < n; j++)
			{
				double		s = with_bias ? bias[j] : 0,
							bound = 1e-4;

				for (int t = 0; t < k; t++)
				{
					double		xv = x[(size_t) i * k + t],
								wv = b[(size_t) t * n + j];

					s += xv * wv;
					bound += fabs(xv) * w.scale[j] / 2 + fabs(wv) * scale[i] / 2 +
						w.scale[j] * scale[i] / 4;
				}
				if (fabs(want[(size_t) i * n + j] - s) > bound)
					worst = fmax(worst, fabs(want[(size_t) i * n + j] - s) / bound);
			}
		CHECK(worst == 0, "product off by %.2f x its error bound at m %d k %d n %d", worst, m, k, n);
	}
	free(x);
	free(b);
	free(bias);
	free(mem);
	free(a);
	free(scale);
	free(zero);
	free(want);
	free(got);
}

/* fc_conv2d_forward with int8 weights attached, in both precisions. */
static void
conv_paths(void)
{
	int			h = 7,
				wd = 9,
				cin = 37,
				cout = 45;
	float	   *in = aligned((size_t) h * wd * cin * sizeof(float));
	float	   *filt = aligned((size_t) cin * cout * sizeof(float));
	float	   *bias = aligned(cout * sizeof(float));
	float	   *exact0 = aligned((size_t) h * wd * cout * sizeof(float));
	float	   *exact1 = aligned((size_t) h * wd * cout * sizeof(float));
	float	   *fast = aligned((size_t) h * wd * cout * sizeof(float));
	float	   *want = aligned((size_t) h * wd * cout * sizeof(float));
	fc_conv2d	c = {1, 1, cin, cout, 1, FC_PAD_SAME, FC_ACT_RELU6, 0, filt, bias, NULL};
	fc_conv2d	c3 = {3, 3, cin, cout, 1, FC_PAD_SAME, FC_ACT_RELU6, 0, filt, bias, NULL};
	fc_conv2d  *list[3] = {&c, NULL, &c3};
	fc_tensor	tin = {in, h, wd, cin};
	fc_tensor	tout;
	void	   *block;
	fc_q8_weights w;
	void	   *mem = aligned(fc_q8_bytes(cin, cout));
	int			kp = (cin + 3) / 4 * 4;
	uint8_t    *a = aligned((size_t) h * wd * kp);
	float		scale[63];
	int32_t		zero[63];
	fc_q8_rows	rows = {h * wd, kp, a, scale, zero};
	fc_error	err;
	double		maxdiff = 0;

	fill(in, (size_t) h * wd * cin, 1);
	fill(filt, (size_t) cin * cout, 0);
	fill(bias, cout, 0);

	fc_nn_precision = FC_PRECISION_EXACT;
	tout = (fc_tensor) {exact0, 0, 0, 0};
	fc_conv2d_forward(&c, &tin, &tout, NULL);

	CHECK(fc_q8_attach(list, 3, &fc_malloc_allocator, &block, &err) == FC_OK, "attach: %s", err.message);
	CHECK(c.q8 != NULL && c3.q8 == NULL, "only the 1x1 convolution gets int8 weights");
	if (c.q8 == NULL)
		return;

	tout = (fc_tensor) {exact1, 0, 0, 0};
	fc_conv2d_forward(&c, &tin, &tout, NULL);
	CHECK(memcmp(exact0, exact1, (size_t) h * wd * cout * sizeof(float)) == 0,
		  "'exact' changed by int8 weights being attached");

	fc_nn_precision = FC_PRECISION_FAST;
	tout = (fc_tensor) {fast, 0, 0, 0};
	fc_conv2d_forward(&c, &tin, &tout, NULL);
	fc_nn_precision = FC_PRECISION_EXACT;
	CHECK(tout.h == h && tout.w == wd && tout.c == cout, "fast output shape");

	fc_q8_pack(filt, cin, cout, mem, &w);
	fc_q8_quantise_rows(in, cin, h * wd, cin, a, kp, scale, zero);
	fc_gemm_portable.q8(&rows, &w, bias, FC_ACT_RELU6, 0, want, cout);
	CHECK(memcmp(fast, want, (size_t) h * wd * cout * sizeof(float)) == 0,
		  "'fast' convolution is not the int8 kernel's result");
	for (size_t i = 0; i < (size_t) h * wd * cout; i++)
		maxdiff = fmax(maxdiff, fabs(fast[i] - exact0[i]));
	/* 37 products of x in [0, 6] and w in [-1, 1]: half a step of each, ~0.22 at worst */
	CHECK(maxdiff > 0 && maxdiff < 0.25, "fast vs exact max diff %g", maxdiff);

	free(block);
	free(in);
	free(filt);
	free(bias);
	free(exact0);
	free(exact1);
	free(fast);
	free(want);
	free(mem);
	free(a);
}

int
main(void)
{
	static const int fixed[][3] = {
		{1, 1, 1}, {8, 4, 32}, {7, 3, 1}, {9, 5, 33}, {16, 32, 64}, {3, 1024, 17},
		{65, 27, 96}, {256, 64, 128}, {8, 4093, 31}
	};
	const fc_gemm_kernels *best = fc_gemm_best();

	printf("kernel sets: portable%s; best: %s\n", fc_gemm_vnni() ? ", avx512_vnni" : "", best->name);
	for (size_t s = 0; s < sizeof(fixed) / sizeof(fixed[0]); s++)
		for (int act = FC_ACT_NONE; act <= FC_ACT_LEAKY; act++)
			one_shape(fixed[s][0], fixed[s][1], fixed[s][2], act, act != FC_ACT_RELU, act & 1);
	for (int t = 0; t < 60; t++)
		one_shape(irand(1, 70), irand(1, 300), irand(1, 130), irand(FC_ACT_NONE, FC_ACT_LEAKY),
				  irand(0, 1), irand(0, 1));
	conv_paths();
	if (failures == 0)
		printf("test_gemm: all checks passed\n");
	return failures ? 1 : 0;
}
