/*-------------------------------------------------------------------------
 *
 * test_layers.c
 *	  Each layer of src/core/layers.h against a naive reference written
 *	  straight from the definitions (explicit padding, no im2col, no BLAS),
 *	  on random data over many shapes, strides and paddings.
 *
 * The references compute TensorFlow's 'same' padding from first principles
 * (pad the input into a bigger zero tensor, then slide a valid window), so
 * they check fc_out_dim's padding split rather than reuse it.
 *
 *-------------------------------------------------------------------------
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/nn/layers.h"

static int	failures = 0;
static unsigned long long rng_state = 88172645463325252ULL;

static float
frand(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (float) ((rng_state >> 11) * (1.0 / 9007199254740992.0)) * 2.0f - 1.0f;
}

static float *
rand_buf(size_t n)
{
	float	   *p = malloc(n * sizeof(float) + 1);

	for (size_t i = 0; i < n; i++)
		p[i] = frand();
	return p;
}

/* Compare n floats; tolerance relative to the magnitude of the reference. */
static void
check_close(const char *what, const float *got, const float *want, size_t n, float tol)
{
	for (size_t i = 0; i < n; i++)
	{
		float		d = fabsf(got[i] - want[i]);

		if (!(d <= tol * (1.0f + fabsf(want[i]))))
		{
			printf("FAIL %s: element %zu got %g want %g\n", what, i, got[i], want[i]);
			failures++;
			return;
		}
	}
}

static void
check_int(const char *what, int got, int want)
{
	if (got != want)
	{
		printf("FAIL %s: got %d want %d\n", what, got, want);
		failures++;
	}
}

/* TF 'same' padding derived independently: total = max(0, (ceil(in/s)-1)*s + k - in). */
static void
ref_pads(int in, int k, int s, fc_padding pad, int *before, int *after)
{
	if (pad == FC_PAD_VALID)
	{
		*before = *after = 0;
		return;
	}
	int			out = (int) ceil((double) in / s);
	int			total = (out - 1) * s + k - in;

	if (total < 0)
		total = 0;
	*before = total / 2;
	*after = total - *before;
}

static float
ref_act(float v, fc_activation act, float slope)
{
	switch (act)
	{
		case FC_ACT_RELU:
			return v > 0 ? v : 0;
		case FC_ACT_RELU6:
			return v < 0 ? 0 : (v > 6 ? 6 : v);
		case FC_ACT_LEAKY:
			return v > 0 ? v : v * slope;
		default:
			return v;
	}
}

/*
 * Naive convolution, dense (depthwise = 0) or depthwise: pad the input into
 * a zero tensor, slide the window.  Returns output dims via oh/ow.
 */
static float *
ref_conv(const float *in, int h, int w, int cin, const float *filt, const float *bias,
		 int kh, int kw, int cout, int s, fc_padding pad, fc_activation act,
		 float slope, int depthwise, int *ohp, int *owp)
{
	int			pt,
				pb,
				pl,
				pr;

	ref_pads(h, kh, s, pad, &pt, &pb);
	ref_pads(w, kw, s, pad, &pl, &pr);
	int			ph = h + pt + pb,
				pw = w + pl + pr;
	float	   *p = calloc((size_t) ph * pw * cin, sizeof(float));

	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++)
			for (int k = 0; k < cin; k++)
				p[((y + pt) * pw + x + pl) * cin + k] = in[(y * w + x) * cin + k];

	int			oh = (ph - kh) / s + 1,
				ow = (pw - kw) / s + 1;
	float	   *out = malloc((size_t) oh * ow * cout * sizeof(float));

	for (int oy = 0; oy < oh; oy++)
		for (int ox = 0; ox < ow; ox++)
			for (int o = 0; o < cout; o++)
			{
				double		acc = bias ? bias[o] : 0;

				for (int ky = 0; ky < kh; ky++)
					for (int kx = 0; kx < kw; kx++)
					{
						const float *src = p + ((oy * s + ky) * pw + ox * s + kx) * cin;

						if (depthwise)
							acc += (double) src[o] * filt[(ky * kw + kx) * cin + o];
						else
							for (int i = 0; i < cin; i++)
								acc += (double) src[i] * filt[((ky * kw + kx) * cin + i) * cout + o];
					}
				out[(oy * ow + ox) * cout + o] = ref_act((float) acc, act, slope);
			}
	free(p);
	*ohp = oh;
	*owp = ow;
	return out;
}

static void
test_out_dim(void)
{
	int			pb;

	/* the numbers the networks depend on */
	check_int("valid 7/2 over 150", fc_out_dim(150, 7, 2, FC_PAD_VALID, &pb), 72);
	check_int("valid 3/2 over 72", fc_out_dim(72, 3, 2, FC_PAD_VALID, NULL), 35);
	check_int("same 3/2 over 112", fc_out_dim(112, 3, 2, FC_PAD_SAME, &pb), 56);
	check_int("same 3/2 over 112 pad_before", pb, 0);
	check_int("same 3/1 over 7 pad_before", (fc_out_dim(7, 3, 1, FC_PAD_SAME, &pb), pb), 1);
	check_int("same 3/2 over 75 pad_before", (fc_out_dim(75, 3, 2, FC_PAD_SAME, &pb), pb), 1);
	check_int("same 1/2 over 10", fc_out_dim(10, 1, 2, FC_PAD_SAME, &pb), 5);
	check_int("same 1/2 over 10 pad_before", pb, 0);
	check_int("valid does not fit", fc_out_dim(2, 3, 1, FC_PAD_VALID, NULL), 0);
	check_int("bad stride", fc_out_dim(5, 3, 0, FC_PAD_SAME, NULL), 0);
}

static void
test_conv_case(int h, int w, int cin, int cout, int kh, int kw, int s,
			   fc_padding pad, fc_activation act, int with_bias)
{
	char		what[160];
	float	   *in = rand_buf((size_t) h * w * cin);
	float	   *filt = rand_buf((size_t) kh * kw * cin * cout);
	float	   *bias = with_bias ? rand_buf(cout) : NULL;
	fc_conv2d	conv = {kh, kw, cin, cout, s, pad, act, 0.1f, filt, bias, NULL};
	int			oh,
				ow,
				roh,
				row;

	snprintf(what, sizeof(what), "conv %dx%dx%d k%dx%d s%d %s act%d -> %d%s",
			 h, w, cin, kh, kw, s, pad == FC_PAD_SAME ? "same" : "valid", act,
			 cout, with_bias ? " bias" : "");
	float	   *want = ref_conv(in, h, w, cin, filt, bias, kh, kw, cout, s, pad,
								act, 0.1f, 0, &roh, &row);

	fc_conv2d_out_shape(&conv, h, w, &oh, &ow);
	check_int(what, oh * 1000 + ow, roh * 1000 + row);

	size_t		ns = fc_conv2d_scratch(&conv, h, w);
	float	   *scratch = ns ? malloc(ns * sizeof(float)) : NULL;
	fc_tensor	tin = {in, h, w, cin};
	fc_tensor	tout = {malloc((size_t) oh * ow * cout * sizeof(float)), 0, 0, 0};

	if (kh == 1 && kw == 1 && s == 1)
		check_int("pointwise needs no scratch", (int) ns, 0);
	fc_conv2d_forward(&conv, &tin, &tout, scratch);
	check_int(what, tout.h * 1000000 + tout.w * 1000 + tout.c, oh * 1000000 + ow * 1000 + cout);
	check_close(what, tout.data, want, (size_t) oh * ow * cout, 1e-4f);

	free(in);
	free(filt);
	free(bias);
	free(scratch);
	free(tout.data);
	free(want);
}

static void
test_dwconv_case(int h, int w, int c, int k, int s, fc_padding pad,
				 fc_activation act, int with_bias)
{
	char		what[160];
	float	   *in = rand_buf((size_t) h * w * c);
	float	   *filt = rand_buf((size_t) k * k * c);
	float	   *bias = with_bias ? rand_buf(c) : NULL;
	fc_dwconv2d conv = {k, k, c, s, pad, act, 0.2f, filt, bias};
	int			oh,
				ow,
				roh,
				row;

	snprintf(what, sizeof(what), "dwconv %dx%dx%d k%d s%d %s act%d%s", h, w, c, k, s,
			 pad == FC_PAD_SAME ? "same" : "valid", act, with_bias ? " bias" : "");
	float	   *want = ref_conv(in, h, w, c, filt, bias, k, k, c, s, pad, act, 0.2f, 1,
								&roh, &row);

	fc_dwconv2d_out_shape(&conv, h, w, &oh, &ow);
	check_int(what, oh * 1000 + ow, roh * 1000 + row);

	fc_tensor	tin = {in, h, w, c};
	fc_tensor	tout = {malloc((size_t) oh * ow * c * sizeof(float)), 0, 0, 0};

	fc_dwconv2d_forward(&conv, &tin, &tout);
	check_int(what, tout.h * 1000000 + tout.w * 1000 + tout.c, oh * 1000000 + ow * 1000 + c);
	check_close(what, tout.data, want, (size_t) oh * ow * c, 1e-5f);
	free(in);
	free(filt);
	free(bias);
	free(tout.data);
	free(want);
}

static void
test_pool_case(fc_pool_kind kind, int h, int w, int c, int k, int s, fc_padding pad)
{
	char		what[160];
	float	   *in = rand_buf((size_t) h * w * c);
	fc_pool2d	pool = {kind, k, k, s, pad};
	int			pt,
				pb,
				pl,
				pr,
				oh,
				ow;

	snprintf(what, sizeof(what), "%s pool %dx%dx%d k%d s%d %s",
			 kind == FC_POOL_MAX ? "max" : "avg", h, w, c, k, s,
			 pad == FC_PAD_SAME ? "same" : "valid");
	ref_pads(h, k, s, pad, &pt, &pb);
	ref_pads(w, k, s, pad, &pl, &pr);
	int			roh = (h + pt + pb - k) / s + 1,
				row = (w + pl + pr - k) / s + 1;
	float	   *want = malloc((size_t) roh * row * c * sizeof(float));

	for (int oy = 0; oy < roh; oy++)
		for (int ox = 0; ox < row; ox++)
			for (int ch = 0; ch < c; ch++)
			{
				double		acc = kind == FC_POOL_MAX ? -INFINITY : 0;
				int			n = 0;

				for (int ky = 0; ky < k; ky++)
					for (int kx = 0; kx < k; kx++)
					{
						int			y = oy * s + ky - pt,
									x = ox * s + kx - pl;

						if (y < 0 || y >= h || x < 0 || x >= w)
							continue;	/* padding takes no part */
						float		v = in[(y * w + x) * c + ch];

						n++;
						if (kind == FC_POOL_MAX)
							acc = v > acc ? v : acc;
						else
							acc += v;
					}
				want[(oy * row + ox) * c + ch] = kind == FC_POOL_MAX ? acc : acc / n;
			}

	fc_pool2d_out_shape(&pool, h, w, &oh, &ow);
	check_int(what, oh * 1000 + ow, roh * 1000 + row);

	fc_tensor	tin = {in, h, w, c};
	fc_tensor	tout = {malloc((size_t) oh * ow * c * sizeof(float)), 0, 0, 0};

	fc_pool2d_forward(&pool, &tin, &tout);
	check_int(what, tout.h * 1000000 + tout.w * 1000 + tout.c, oh * 1000000 + ow * 1000 + c);
	check_close(what, tout.data, want, (size_t) oh * ow * c, 1e-6f);
	free(in);
	free(want);
	free(tout.data);
}

static void
test_activations(void)
{
	float		x[] = {-7, -1, -0.0f, 0.5f, 5.9f, 6, 8};
	float		r[7],
				r6[7],
				lk[7],
				nn[7];
	const int	n = 7;

	memcpy(r, x, sizeof(x));
	memcpy(r6, x, sizeof(x));
	memcpy(lk, x, sizeof(x));
	memcpy(nn, x, sizeof(x));
	fc_activate(r, n, FC_ACT_RELU, 0);
	fc_activate(r6, n, FC_ACT_RELU6, 0);
	fc_activate(lk, n, FC_ACT_LEAKY, 0.1f);
	fc_activate(nn, n, FC_ACT_NONE, 0);
	for (int i = 0; i < n; i++)
	{
		float		want[4] = {ref_act(x[i], FC_ACT_RELU, 0), ref_act(x[i], FC_ACT_RELU6, 0),
		ref_act(x[i], FC_ACT_LEAKY, 0.1f), x[i]};

		check_close("relu", &r[i], &want[0], 1, 0);
		check_close("relu6", &r6[i], &want[1], 1, 0);
		check_close("leaky", &lk[i], &want[2], 1, 1e-7f);
		check_close("none", &nn[i], &want[3], 1, 0);
	}
}

/* The ResNet shortcut: shapes differing in h/w (branch smaller) and c (shortcut smaller). */
static void
test_add_case(int ah, int aw, int ac, int bh, int bw, int bc, fc_activation act)
{
	char		what[128];
	float	   *a = rand_buf((size_t) ah * aw * ac),
			   *b = rand_buf((size_t) bh * bw * bc);
	int			h = ah > bh ? ah : bh,
				w = aw > bw ? aw : bw,
				c = ac > bc ? ac : bc;
	float	   *want = malloc((size_t) h * w * c * sizeof(float));

	snprintf(what, sizeof(what), "add %dx%dx%d + %dx%dx%d", ah, aw, ac, bh, bw, bc);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++)
			for (int k = 0; k < c; k++)
			{
				float		va = (y < ah && x < aw && k < ac) ? a[(y * aw + x) * ac + k] : 0;
				float		vb = (y < bh && x < bw && k < bc) ? b[(y * bw + x) * bc + k] : 0;

				want[(y * w + x) * c + k] = ref_act(va + vb, act, 0);
			}

	fc_tensor	ta = {a, ah, aw, ac},
				tb = {b, bh, bw, bc},
				to = {malloc((size_t) h * w * c * sizeof(float)), 0, 0, 0};

	fc_add(&ta, &tb, &to, act);
	check_int(what, to.h * 1000000 + to.w * 1000 + to.c, h * 1000000 + w * 1000 + c);
	check_close(what, to.data, want, (size_t) h * w * c, 1e-6f);

	/* in place into an input that has the output's shape */
	if (ah == h && aw == w && ac == c)
	{
		fc_add(&ta, &tb, &ta, act);
		check_close("in-place add", ta.data, want, (size_t) h * w * c, 1e-6f);
	}
	free(a);
	free(b);
	free(want);
	free(to.data);
}

static void
test_dense(int n_in, int n_out, int with_bias)
{
	float	   *x = rand_buf(n_in),
			   *wt = rand_buf((size_t) n_in * n_out),
			   *bias = with_bias ? rand_buf(n_out) : NULL,
			   *out = malloc(n_out * sizeof(float)),
			   *want = malloc(n_out * sizeof(float));

	for (int o = 0; o < n_out; o++)
	{
		double		acc = bias ? bias[o] : 0;

		for (int i = 0; i < n_in; i++)
			acc += (double) x[i] * wt[i * n_out + o];
		want[o] = (float) acc;
		out[o] = NAN;			/* garbage in the output must not leak through */
	}
	fc_dense_forward(x, n_in, wt, bias, n_out, out);
	check_close("dense", out, want, n_out, 1e-5f);
	free(x);
	free(wt);
	free(bias);
	free(out);
	free(want);
}

static void
test_global_avgpool(void)
{
	float	   *in = rand_buf(2 * 3 * 5);
	float		out[5],
				want[5] = {0};
	fc_tensor	t = {in, 2, 3, 5};

	for (int p = 0; p < 6; p++)
		for (int k = 0; k < 5; k++)
			want[k] += in[p * 5 + k] / 6.0f;
	fc_global_avgpool(&t, out);
	check_close("global avgpool", out, want, 5, 1e-6f);
	free(in);
}

int
main(void)
{
	static const fc_activation acts[] = {FC_ACT_NONE, FC_ACT_RELU, FC_ACT_RELU6, FC_ACT_LEAKY};

	test_out_dim();
	test_activations();

	/* dense conv: kernels 1, 3, 7; strides 1, 2, 3; both paddings; odd and even sizes */
	for (int pad = 0; pad < 2; pad++)
		for (int s = 1; s <= 3; s++)
		{
			test_conv_case(9, 8, 3, 5, 3, 3, s, pad, acts[s], 1);
			test_conv_case(16, 16, 4, 6, 3, 3, s, pad, FC_ACT_RELU, 0);
			test_conv_case(15, 17, 3, 8, 7, 7, s, pad, FC_ACT_NONE, 1);
			test_conv_case(6, 7, 8, 16, 1, 1, s, pad, FC_ACT_RELU6, 1);
			test_conv_case(10, 11, 5, 3, 2, 3, s, pad, FC_ACT_LEAKY, 1);
			test_conv_case(3, 3, 2, 2, 3, 3, s, pad, FC_ACT_NONE, 1);	/* window = image */
		}
	test_conv_case(1, 1, 32, 64, 1, 1, 1, FC_PAD_SAME, FC_ACT_RELU6, 1);
	test_conv_case(35, 35, 32, 64, 3, 3, 2, FC_PAD_VALID, FC_ACT_RELU, 1);	/* ResNet down */
	test_conv_case(4, 4, 16, 16, 3, 3, 2, FC_PAD_VALID, FC_ACT_NONE, 1);	/* -> 1x1 */
	test_conv_case(24, 24, 3, 32, 7, 7, 2, FC_PAD_VALID, FC_ACT_RELU, 1);
	/* big enough for im2col to go in bands of rows, the last one partial */
	test_conv_case(72, 72, 3, 8, 7, 7, 2, FC_PAD_VALID, FC_ACT_RELU, 1);
	test_conv_case(40, 40, 32, 16, 3, 3, 1, FC_PAD_SAME, FC_ACT_RELU6, 1);
	test_conv_case(41, 39, 32, 16, 3, 3, 2, FC_PAD_SAME, FC_ACT_NONE, 1);

	/*
	 * depthwise: 3x3 strides 1, 2 both paddings, odd/even; channel counts that
	 * are whole 16-channel blocks, blocks plus a tail, and tails alone
	 */
	for (int pad = 0; pad < 2; pad++)
		for (int s = 1; s <= 2; s++)
			for (int a = 0; a < 4; a++)
			{
				test_dwconv_case(8, 8, 32, 3, s, pad, acts[a], a & 1);
				test_dwconv_case(7, 9, 13, 3, s, pad, acts[a], 1);
				test_dwconv_case(5, 5, 1, 3, s, pad, acts[a], 0);
				test_dwconv_case(12, 11, 17, 5, s, pad, acts[a], 1);
				test_dwconv_case(9, 10, 37, 3, s, pad, acts[a], a & 1);	/* blocks + tail */
				test_dwconv_case(6, 6, 32, 5, s, pad, acts[a], 1);	/* 5x5: general path */
			}
	test_dwconv_case(112, 112, 32, 3, 2, FC_PAD_SAME, FC_ACT_RELU6, 1);	/* SSD's 112 -> 56 */
	test_dwconv_case(3, 3, 8, 3, 1, FC_PAD_SAME, FC_ACT_NONE, 1);
	test_dwconv_case(1, 1, 8, 3, 1, FC_PAD_SAME, FC_ACT_NONE, 1);

	for (int kind = 0; kind < 2; kind++)
		for (int pad = 0; pad < 2; pad++)
		{
			test_pool_case(kind, 72, 72, 8, 3, 2, pad);	/* ResNet's max pool */
			test_pool_case(kind, 35, 35, 5, 2, 2, pad);	/* shortcut avg pool, odd */
			test_pool_case(kind, 8, 8, 4, 2, 2, pad);
			test_pool_case(kind, 7, 7, 16, 7, 2, pad);	/* landmarks' final avg pool */
			test_pool_case(kind, 10, 9, 3, 3, 1, pad);
			test_pool_case(kind, 6, 6, 2, 3, 3, pad);
		}
	test_global_avgpool();

	test_add_case(5, 5, 8, 5, 5, 8, FC_ACT_RELU);
	test_add_case(5, 5, 8, 5, 5, 8, FC_ACT_NONE);
	test_add_case(3, 3, 256, 4, 4, 128, FC_ACT_RELU);	/* conv256_down shape rule */
	test_add_case(17, 17, 64, 17, 17, 32, FC_ACT_RELU);	/* channel zero-padding only */
	test_add_case(2, 2, 16, 1, 1, 16, FC_ACT_NONE);

	test_dense(256, 128, 0);
	test_dense(256, 136, 1);
	test_dense(1, 3, 1);

	if (failures)
	{
		printf("%d failures\n", failures);
		return 1;
	}
	printf("all layer tests passed\n");
	return 0;
}
