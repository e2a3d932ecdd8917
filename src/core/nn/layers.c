/*-------------------------------------------------------------------------
 *
 * layers.c
 *	  The cheap layers of the tensor layer: output-shape arithmetic,
 *	  activations, pooling, the residual add and the fully connected layer
 *	  (convolutions are in conv.c).  Contracts in layers.h.
 *
 *-------------------------------------------------------------------------
 */
#include "fc_simd.h"

#include <assert.h>
#include <float.h>
#include <string.h>

#include <cblas.h>

#include "activation.h"
#include "layers.h"

int
fc_out_dim(int in, int k, int stride, fc_padding padding, int *pad_before)
{
	int			out;

	if (in < 1 || k < 1 || stride < 1)
		return 0;
	if (padding == FC_PAD_VALID)
	{
		if (pad_before)
			*pad_before = 0;
		return in >= k ? 1 + (in - k) / stride : 0;
	}

	/* TensorFlow 'same': ceil(in / stride) windows, extra padding after */
	out = (in + stride - 1) / stride;
	if (pad_before)
	{
		int			total = (out - 1) * stride + k - in;

		*pad_before = total > 0 ? total / 2 : 0;
	}
	return out;
}

FC_MULTIVERSION void
fc_activate(float *x, size_t n, fc_activation act, float slope)
{
	fc_activate_inline(x, n, act, slope);
}

FC_MULTIVERSION void
fc_bias_activate(float *x, size_t npix, int c, const float *bias,
				 fc_activation act, float slope)
{
	if (bias == NULL)
	{
		fc_activate_inline(x, npix * c, act, slope);
		return;
	}
	/* per pixel: add the bias, then activate the row while it is in L1 */
	for (size_t p = 0; p < npix; p++)
	{
		float	   *restrict row = x + p * c;

		for (int k = 0; k < c; k++)
			row[k] += bias[k];
		fc_activate_inline(row, c, act, slope);
	}
}

void
fc_pool2d_out_shape(const fc_pool2d *pool, int in_h, int in_w,
					int *out_h, int *out_w)
{
	*out_h = fc_out_dim(in_h, pool->kh, pool->stride, pool->padding, NULL);
	*out_w = fc_out_dim(in_w, pool->kw, pool->stride, pool->padding, NULL);
}

/*
 * Windows are clipped to the image; a clipped average divides by the
 * number of cells actually inside (TensorFlow's 'same' avg pool).  Channels
 * innermost, as in the depthwise convolution.
 */
FC_MULTIVERSION void
fc_pool2d_forward(const fc_pool2d *pool, const fc_tensor *in, fc_tensor *out)
{
	const int	c = in->c,
				s = pool->stride;
	int			oh,
				ow,
				pad_top,
				pad_left;

	oh = fc_out_dim(in->h, pool->kh, s, pool->padding, &pad_top);
	ow = fc_out_dim(in->w, pool->kw, s, pool->padding, &pad_left);
	assert(oh > 0 && ow > 0);
	assert(out->data != in->data);

	for (int oy = 0; oy < oh; oy++)
	{
		int			y0 = oy * s - pad_top,
					y1 = y0 + pool->kh;

		y0 = y0 < 0 ? 0 : y0;
		y1 = y1 > in->h ? in->h : y1;
		for (int ox = 0; ox < ow; ox++)
		{
			float	   *restrict acc = out->data + ((size_t) oy * ow + ox) * c;
			int			x0 = ox * s - pad_left,
						x1 = x0 + pool->kw;

			x0 = x0 < 0 ? 0 : x0;
			x1 = x1 > in->w ? in->w : x1;

			for (int k = 0; k < c; k++)
				acc[k] = pool->kind == FC_POOL_MAX ? -FLT_MAX : 0.0f;
			for (int iy = y0; iy < y1; iy++)
			{
				for (int ix = x0; ix < x1; ix++)
				{
					const float *restrict src = in->data + ((size_t) iy * in->w + ix) * c;

					if (pool->kind == FC_POOL_MAX)
					{
						for (int k = 0; k < c; k++)
							acc[k] = src[k] > acc[k] ? src[k] : acc[k];
					}
					else
					{
						for (int k = 0; k < c; k++)
							acc[k] += src[k];
					}
				}
			}
			if (pool->kind == FC_POOL_AVG)
			{
				float		inv = 1.0f / (float) ((y1 - y0) * (x1 - x0));

				for (int k = 0; k < c; k++)
					acc[k] *= inv;
			}
		}
	}
	out->h = oh;
	out->w = ow;
	out->c = c;
}

void
fc_global_avgpool(const fc_tensor *in, float *out)
{
	size_t		npix = (size_t) in->h * in->w;

	memset(out, 0, in->c * sizeof(float));
	for (size_t p = 0; p < npix; p++)
	{
		const float *src = in->data + p * in->c;

		for (int k = 0; k < in->c; k++)
			out[k] += src[k];
	}
	for (int k = 0; k < in->c; k++)
		out[k] /= (float) npix;
}

/* Value of t at (y, x, k), zero outside its extent. */
static inline float
padded_at(const fc_tensor *t, int y, int x, int k)
{
	if (y >= t->h || x >= t->w || k >= t->c)
		return 0.0f;
	return t->data[((size_t) y * t->w + x) * t->c + k];
}

void
fc_add(const fc_tensor *a, const fc_tensor *b, fc_tensor *out,
	   fc_activation act)
{
	int			h = a->h > b->h ? a->h : b->h,
				w = a->w > b->w ? a->w : b->w,
				c = a->c > b->c ? a->c : b->c;
	size_t		n = fc_tensor_size(h, w, c);

	if (a->h == b->h && a->w == b->w && a->c == b->c)
	{
		/* the common case: a plain element-wise sum (aliasing is fine) */
		for (size_t i = 0; i < n; i++)
			out->data[i] = a->data[i] + b->data[i];
	}
	else
	{
		/* aliasing an input of the output's shape is safe: each cell is read before written */
		assert(out->data != a->data || (a->h == h && a->w == w && a->c == c));
		assert(out->data != b->data || (b->h == h && b->w == w && b->c == c));
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++)
				for (int k = 0; k < c; k++)
					out->data[((size_t) y * w + x) * c + k] =
						padded_at(a, y, x, k) + padded_at(b, y, x, k);
	}
	out->h = h;
	out->w = w;
	out->c = c;
	fc_activate(out->data, n, act, 0.0f);
}

void
fc_dense_forward(const float *in, int n_in, const float *weights,
				 const float *bias, int n_out, float *out)
{
	assert(in != out);
	/* start from the bias (or zero: beta = 0 need not clear NaN garbage) */
	if (bias != NULL)
		memcpy(out, bias, n_out * sizeof(float));
	else
		memset(out, 0, n_out * sizeof(float));
	/* out += weights^T in: weights is row-major [n_in][n_out] */
	cblas_sgemv(CblasRowMajor, CblasTrans, n_in, n_out,
				1.0f, weights, n_out, in, 1, 1.0f, out, 1);
}
