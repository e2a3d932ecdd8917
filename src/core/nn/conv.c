/*-------------------------------------------------------------------------
 *
 * conv.c
 *	  Dense 2-D convolution on NHWC tensors (see layers.h; the depthwise
 *	  convolution is in dwconv.c).
 *
 * Dense convolution is lowered to one matrix product, which is where nearly
 * all of the networks' time goes: im2col gathers, for every output pixel,
 * the kh*kw*cin input values under its window into one row of a
 * [out_h*out_w][kh*kw*cin] matrix; HWIO filters already are the
 * [kh*kw*cin][cout] matrix; their product is the NHWC output.  In NHWC the
 * kw pixels of one kernel row are adjacent in memory, so each kernel row is
 * a single memcpy of kw*cin floats unless it hangs over the image border.
 * A 1x1 stride-1 convolution needs no gathering at all: the input tensor is
 * its own im2col matrix.
 *
 * The output is produced in bands of rows whose im2col matrix fits in about
 * IM2COL_BAND_BYTES, so that the gathered rows are still in the L2 cache
 * when sgemm packs them (a whole-image im2col of the ResNet's 7x7 stem is
 * 3 MB, written out to L3 and read back); the small late layers, where the
 * weights dominate, come out as a single band.  Bias and activation are
 * applied to each band right after its sgemm, while it is in cache.
 *
 * With face.precision = 'fast' (fc_nn_precision), a 1x1 convolution that
 * carries int8 weights (conv->q8, quant.c) runs the project's own int8
 * kernels instead (gemm.h); 'exact' never touches them.
 *
 *-------------------------------------------------------------------------
 */
#include "fc_simd.h"

#include <assert.h>
#include <string.h>

#include <cblas.h>

#include "gemm.h"
#include "layers.h"
#include "quant.h"

void
fc_conv2d_out_shape(const fc_conv2d *conv, int in_h, int in_w,
					int *out_h, int *out_w)
{
	*out_h = fc_out_dim(in_h, conv->kh, conv->stride, conv->padding, NULL);
	*out_w = fc_out_dim(in_w, conv->kw, conv->stride, conv->padding, NULL);
}

#define IM2COL_BAND_BYTES (256 * 1024)

/* True when the input tensor can be fed to sgemm as is. */
static int
is_pointwise(const fc_conv2d *conv)
{
	return conv->kh == 1 && conv->kw == 1 && conv->stride == 1;
}

/* Output rows per im2col band for an output ow pixels wide (>= 1). */
static int
band_rows(const fc_conv2d *conv, int oh, int ow)
{
	size_t		row_bytes = (size_t) ow * conv->kh * conv->kw * conv->cin * sizeof(float);
	size_t		rows = IM2COL_BAND_BYTES / row_bytes;

	if (rows < 1)
		rows = 1;
	return rows < (size_t) oh ? (int) rows : oh;
}

size_t
fc_conv2d_scratch(const fc_conv2d *conv, int in_h, int in_w)
{
	int			oh,
				ow;

	if (is_pointwise(conv))
		return 0;
	fc_conv2d_out_shape(conv, in_h, in_w, &oh, &ow);
	if (oh <= 0 || ow <= 0)
		return 0;
	return (size_t) band_rows(conv, oh, ow) * ow * conv->kh * conv->kw * conv->cin;
}

/*
 * Gather the im2col matrix of conv over in for output rows [oy0, oy1) into
 * cols: one row of kh*kw*cin floats per output pixel, in raster order.
 */
static void
im2col(const fc_conv2d *conv, const fc_tensor *in, int oy0, int oy1, int ow,
	   int pad_top, int pad_left, float *cols)
{
	const int	kh = conv->kh,
				kw = conv->kw,
				cin = conv->cin,
				s = conv->stride;
	const size_t krow = (size_t) kw * cin;	/* floats per kernel row */
	float	   *dst = cols;

	for (int oy = oy0; oy < oy1; oy++)
	{
		for (int ox = 0; ox < ow; ox++)
		{
			int			x0 = ox * s - pad_left;

			for (int ky = 0; ky < kh; ky++, dst += krow)
			{
				int			iy = oy * s + ky - pad_top;
				const float *src;

				if (iy < 0 || iy >= in->h)
				{
					memset(dst, 0, krow * sizeof(float));
					continue;
				}
				src = in->data + ((size_t) iy * in->w) * cin;
				if (x0 >= 0 && x0 + kw <= in->w)
				{
					/* whole kernel row inside the image: one copy */
					memcpy(dst, src + (size_t) x0 * cin, krow * sizeof(float));
					continue;
				}
				for (int kx = 0; kx < kw; kx++)
				{
					int			ix = x0 + kx;

					if (ix < 0 || ix >= in->w)
						memset(dst + (size_t) kx * cin, 0, cin * sizeof(float));
					else
						memcpy(dst + (size_t) kx * cin, src + (size_t) ix * cin,
							   cin * sizeof(float));
				}
			}
		}
	}
}

/*
 * Bytes of quantised activations per int8 band: 8 rows of the longest k,
 * and about L1-sized, so the band stays cached while every panel of the
 * weights passes over it.  On the stack: the int8 path needs no scratch.
 */
#define Q8_BAND_BYTES	(FC_Q8_MAX_K * 8)
#define Q8_BAND_ROWS	256

/*
 * The int8 path of a 1x1 stride-1 convolution (face.precision = 'fast'):
 * quantise a band of pixels, one int8 product with bias and activation
 * fused (gemm.h), next band.
 */
static void
conv_q8(const fc_conv2d *conv, const fc_tensor *in, fc_tensor *out)
{
	static const fc_gemm_kernels *kernels = NULL;
	const struct fc_q8_weights *w = conv->q8;
	uint8_t		a[Q8_BAND_BYTES] __attribute__((aligned(64)));
	float		scale[Q8_BAND_ROWS];
	int32_t		zero[Q8_BAND_ROWS];
	size_t		npix = (size_t) in->h * in->w;
	size_t		band = Q8_BAND_BYTES / w->kp;

	if (kernels == NULL)
		kernels = fc_gemm_best();
	if (band > Q8_BAND_ROWS)
		band = Q8_BAND_ROWS;
	band &= ~(size_t) 7;		/* whole 8-row register tiles; kp <= FC_Q8_MAX_K keeps it >= 8 */
	for (size_t p0 = 0; p0 < npix; p0 += band)
	{
		int			m = (int) (npix - p0 < band ? npix - p0 : band);
		fc_q8_rows	rows = {m, w->kp, a, scale, zero};

		fc_q8_quantise_rows(in->data + p0 * conv->cin, conv->cin, m, conv->cin,
							a, w->kp, scale, zero);
		kernels->q8(&rows, w, conv->bias, conv->act, conv->slope,
					out->data + p0 * conv->cout, conv->cout);
	}
	out->h = in->h;
	out->w = in->w;
	out->c = conv->cout;
}

void
fc_conv2d_forward(const fc_conv2d *conv, const fc_tensor *in,
				  fc_tensor *out, float *scratch)
{
	int			oh,
				ow,
				pad_top,
				pad_left,
				band,
				k;

	assert(in->c == conv->cin);
	oh = fc_out_dim(in->h, conv->kh, conv->stride, conv->padding, &pad_top);
	ow = fc_out_dim(in->w, conv->kw, conv->stride, conv->padding, &pad_left);
	assert(oh > 0 && ow > 0);
	assert(out->data != in->data);

	if (conv->q8 != NULL && fc_nn_precision == FC_PRECISION_FAST)
	{
		assert(is_pointwise(conv));
		conv_q8(conv, in, out);
		return;
	}

	k = conv->kh * conv->kw * conv->cin;
	band = is_pointwise(conv) ? oh : band_rows(conv, oh, ow);
	for (int oy0 = 0; oy0 < oh; oy0 += band)
	{
		int			rows = oy0 + band <= oh ? band : oh - oy0;
		size_t		m = (size_t) rows * ow;
		float	   *c = out->data + (size_t) oy0 * ow * conv->cout;
		const float *a;

		if (is_pointwise(conv))
			a = in->data;
		else
		{
			assert(scratch != NULL);
			im2col(conv, in, oy0, oy0 + rows, ow, pad_top, pad_left, scratch);
			a = scratch;
		}

		/* out band [m][cout] = cols [m][k] x filters [k][cout] */
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans,
					m, conv->cout, k,
					1.0f, a, k, conv->filters, conv->cout,
					0.0f, c, conv->cout);
		fc_bias_activate(c, m, conv->cout, conv->bias, conv->act, conv->slope);
	}

	out->h = oh;
	out->w = ow;
	out->c = conv->cout;
}
