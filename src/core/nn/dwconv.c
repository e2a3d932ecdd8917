/*-------------------------------------------------------------------------
 *
 * dwconv.c
 *	  Depthwise 2-D convolution on NHWC tensors (contract in layers.h).
 *
 * A depthwise layer does 9 multiply-adds per output value, so it is bound
 * by how fast values move, not by arithmetic: the goal is to write each
 * output once, read each input row once from memory, and keep the
 * accumulator in registers.  For each output pixel the addresses of its
 * nine input taps are worked out once (NULL over the image border, which
 * is the zero padding); then each block of DW_BLOCK channels (one AVX-512
 * register, two AVX2 ones) is accumulated from the taps, activated and
 * stored.  The fixed block width makes a block one value of a vector type
 * (GCC/clang vector extensions), compiled per instruction set through
 * fc_simd.h, so this is straight vector code with no lane loops left for
 * the vectoriser to guess about.
 *
 * Channels beyond the last full block, and kernels other than 3x3, take
 * the general path: the same order of operations over an arbitrary channel
 * range and kernel size, one output pixel at a time.
 *
 *-------------------------------------------------------------------------
 */
#include "fc_simd.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "activation.h"
#include "layers.h"

#define DW_BLOCK 16

void
fc_dwconv2d_out_shape(const fc_dwconv2d *conv, int in_h, int in_w,
					  int *out_h, int *out_w)
{
	*out_h = fc_out_dim(in_h, conv->kh, conv->stride, conv->padding, NULL);
	*out_w = fc_out_dim(in_w, conv->kw, conv->stride, conv->padding, NULL);
}

/*
 * DW_BLOCK floats as one value: GCC/clang vector extensions, lowered to
 * one AVX-512 register, two AVX2 or four SSE ones depending on the clone
 * being compiled.  The _u variant may sit at any float boundary.
 */
typedef float dw_vec __attribute__((vector_size(DW_BLOCK * sizeof(float))));
typedef float dw_vec_u __attribute__((vector_size(DW_BLOCK * sizeof(float)), aligned(4)));
typedef int32_t dw_mask __attribute__((vector_size(DW_BLOCK * sizeof(float))));

/*
 * Lane-wise select: where m is all ones take a, else b.  (C has no vector
 * ?:, and vector values never cross a function boundary here: passing them
 * by value would depend on the clone's ABI.)
 */
#define DW_SELECT(m, a, b) ((dw_vec) (((m) & (dw_mask) (a)) | (~(m) & (dw_mask) (b))))

/*
 * 3x3 kernel, output row oy, channels [0, nblocks * DW_BLOCK): for each
 * pixel, each channel block is accumulated from its (up to) nine taps,
 * activated and stored.  Pixel-major order keeps the three input rows
 * streaming once through the cache whatever the channel count; the taps
 * (9 * c floats) stay in L1.
 */
FC_CLONE_INLINE void
dw3x3_row(const fc_dwconv2d *conv, const fc_tensor *in, float *out,
		  int oy, int ow, int pad_top, int pad_left, int nblocks)
{
	const int	c = conv->c,
				s = conv->stride;
	const dw_vec zero = {0},
				six = zero + 6.0f;
	const float *rows[3];

	for (int ky = 0; ky < 3; ky++)
	{
		int			iy = oy * s + ky - pad_top;

		rows[ky] = (iy >= 0 && iy < in->h) ? in->data + (size_t) iy * in->w * c : NULL;
	}

	for (int ox = 0; ox < ow; ox++)
	{
		const float *taps[9];	/* input pixel of each tap, NULL over the border */
		int			ix0 = ox * s - pad_left;
		float	   *dst = out + ((size_t) oy * ow + ox) * c;

		for (int ky = 0; ky < 3; ky++)
			for (int kx = 0; kx < 3; kx++)
			{
				int			ix = ix0 + kx;

				taps[ky * 3 + kx] = (rows[ky] != NULL && ix >= 0 && ix < in->w) ?
					rows[ky] + (size_t) ix * c : NULL;
			}

		for (int blk = 0; blk < nblocks; blk++)
		{
			int			c0 = blk * DW_BLOCK;
			dw_vec		acc = conv->bias ? *(const dw_vec_u *) (conv->bias + c0) : zero;

			for (int t = 0; t < 9; t++)
			{
				if (taps[t] == NULL)
					continue;
				acc += *(const dw_vec_u *) (taps[t] + c0) *
					*(const dw_vec_u *) (conv->filters + (size_t) t * c + c0);
			}
			/*
			 * activation.h's rule on the register (storing first and
			 * activating in memory measured 1.5-2x slower in nn_bench)
			 */
			switch (conv->act)
			{
				case FC_ACT_NONE:
					break;
				case FC_ACT_RELU:
					acc = DW_SELECT(acc > zero, acc, zero);
					break;
				case FC_ACT_RELU6:
					acc = DW_SELECT(acc > zero, acc, zero);
					acc = DW_SELECT(acc < six, acc, six);
					break;
				case FC_ACT_LEAKY:
					acc = DW_SELECT(acc > zero, acc, acc * conv->slope);
					break;
			}
			*(dw_vec_u *) (dst + c0) = acc;
		}
	}
}

/* Any kernel, channels [c0, c1), output row oy, one pixel at a time. */
FC_CLONE_INLINE void
dw_general_row(const fc_dwconv2d *conv, const fc_tensor *in, float *out,
			   int oy, int ow, int pad_top, int pad_left, int c0, int c1)
{
	const int	c = conv->c,
				s = conv->stride,
				n = c1 - c0;

	for (int ox = 0; ox < ow; ox++)
	{
		float	   *restrict acc = out + ((size_t) oy * ow + ox) * c + c0;

		if (conv->bias != NULL)
			memcpy(acc, conv->bias + c0, n * sizeof(float));
		else
			memset(acc, 0, n * sizeof(float));
		for (int ky = 0; ky < conv->kh; ky++)
		{
			int			iy = oy * s + ky - pad_top;

			if (iy < 0 || iy >= in->h)
				continue;
			for (int kx = 0; kx < conv->kw; kx++)
			{
				int			ix = ox * s + kx - pad_left;
				const float *restrict src;
				const float *restrict f;

				if (ix < 0 || ix >= in->w)
					continue;
				src = in->data + ((size_t) iy * in->w + ix) * c + c0;
				f = conv->filters + ((size_t) ky * conv->kw + kx) * c + c0;
				for (int k = 0; k < n; k++)
					acc[k] += src[k] * f[k];
			}
		}
		fc_activate_inline(acc, n, conv->act, conv->slope);
	}
}

FC_MULTIVERSION void
fc_dwconv2d_forward(const fc_dwconv2d *conv, const fc_tensor *in,
					fc_tensor *out)
{
	const int	c = conv->c;
	int			oh,
				ow,
				pad_top,
				pad_left,
				fast_c;

	assert(in->c == c);
	oh = fc_out_dim(in->h, conv->kh, conv->stride, conv->padding, &pad_top);
	ow = fc_out_dim(in->w, conv->kw, conv->stride, conv->padding, &pad_left);
	assert(oh > 0 && ow > 0);
	assert(out->data != in->data);

	/* channels handled by the blocked 3x3 path; the rest go the general way */
	fast_c = (conv->kh == 3 && conv->kw == 3) ? c - c % DW_BLOCK : 0;

	for (int oy = 0; oy < oh; oy++)
	{
		if (fast_c > 0)
			dw3x3_row(conv, in, out->data, oy, ow, pad_top, pad_left, fast_c / DW_BLOCK);
		if (fast_c < c)
			dw_general_row(conv, in, out->data, oy, ow, pad_top, pad_left, fast_c, c);
	}

	out->h = oh;
	out->w = ow;
	out->c = c;
}
