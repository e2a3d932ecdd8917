/*-------------------------------------------------------------------------
 *
 * layers.h
 *	  The tensor layer of the face core: the handful of operations the three
 *	  face-api networks (SSD MobileNetV1, FaceLandmark68Net, the dlib
 *	  ResNet) are made of, on single-image NHWC float32 tensors.
 *
 * Conventions
 *	- A tensor is one image: h rows of w pixels of c channels, channels
 *	  fastest (NHWC with N = 1), densely packed: element (y, x, k) lives at
 *	  data[(y * w + x) * c + k].
 *	- Weights are laid out as src/core/weights.h promises: conv filters HWIO
 *	  [kh][kw][cin][cout], depthwise filters [kh][kw][c], fully connected
 *	  [in][out].  Bias vectors have one entry per output channel.
 *	- Layers never allocate.  The caller (a network) sizes every buffer once
 *	  at init with the *_out_shape / *_scratch functions below, then calls
 *	  the layers in forward() with those buffers.  Output tensors' data must
 *	  not alias their inputs unless a function says so.
 *	- Shapes are checked by the networks at init; a layer called with
 *	  inconsistent shapes is a programming error and trips an assert().
 *
 * Output shape, for a window of size k moved with stride s over IN cells
 * (the same formula as dlib's dnn layers):
 *
 *		OUT = 1 + (IN + pad_before + pad_after - k) / s		(integer division)
 *
 *	- FC_PAD_VALID: pad_before = pad_after = 0, so OUT = 1 + (IN - k) / s.
 *	- FC_PAD_SAME (TensorFlow's rule, which the face-api weights were
 *	  trained with): OUT = ceil(IN / s);
 *	  pad_total = max((OUT - 1) * s + k - IN, 0); pad_before = pad_total / 2
 *	  and pad_after = pad_total - pad_before.  So odd totals put the extra
 *	  row/column at the bottom/right: 3x3 stride 2 over 112 pads 0 above and
 *	  1 below, not 1 and 0 as Caffe/dlib would.  Getting this wrong shifts
 *	  every SSD box by a pixel.
 *
 * Where the time goes: fc_conv2d_forward() (conv.c) is im2col + OpenBLAS
 * sgemm (the serial OpenBLAS; never threads), in bands of output rows
 * sized for the L2 cache; 1x1 stride-1 convolutions skip im2col because an
 * NHWC tensor already is the [pixels][cin] matrix.  Depthwise convolutions
 * (dwconv.c) are direct, 16 channels per vector register, bias and
 * activation fused.  The element-wise loops are compiled for SSE2, AVX2
 * and AVX-512 and chosen at load time (fc_simd.h).
 *
 *-------------------------------------------------------------------------
 */
#ifndef FC_LAYERS_H
#define FC_LAYERS_H

#include <stddef.h>

/* One NHWC image; data is owned by whoever allocated it (a network's arena). */
typedef struct fc_tensor
{
	float	   *data;
	int			h;
	int			w;
	int			c;
} fc_tensor;

/* Number of floats in a tensor of this shape. */
static inline size_t
fc_tensor_size(int h, int w, int c)
{
	return (size_t) h * (size_t) w * (size_t) c;
}

typedef enum fc_padding
{
	FC_PAD_VALID,				/* no padding; windows stay inside the image */
	FC_PAD_SAME					/* TensorFlow's 'same' (see the banner) */
} fc_padding;

typedef enum fc_activation
{
	FC_ACT_NONE,
	FC_ACT_RELU,				/* max(x, 0) */
	FC_ACT_RELU6,				/* min(max(x, 0), 6), MobileNet's */
	FC_ACT_LEAKY				/* x > 0 ? x : slope * x */
} fc_activation;

/*
 * Output size along one axis, and the padding before the first window
 * (*pad_before may be NULL).  Requires in >= 1, k >= 1, stride >= 1; for
 * FC_PAD_VALID also in >= k.  Returns 0 if the window does not fit.
 */
int			fc_out_dim(int in, int k, int stride, fc_padding padding,
					   int *pad_before);

/* Apply act in place to n floats (slope used by FC_ACT_LEAKY only). */
void		fc_activate(float *x, size_t n, fc_activation act, float slope);

/*
 * x[p][k] = act(x[p][k] + bias[k]) for npix pixels of c channels, in one
 * pass (bias may be NULL).  What every convolution ends with.
 */
void		fc_bias_activate(float *x, size_t npix, int c, const float *bias,
							 fc_activation act, float slope);

/* ---------------------------------------------------------------------
 * Convolution (dense over channels)
 *
 * out[y][x][o] = act(bias[o] + sum over ky, kx, i of
 *                    in[y*s + ky - pad_top][x*s + kx - pad_left][i] *
 *                    filters[ky][kx][i][o])
 * with out-of-image input cells reading as zero.
 * --------------------------------------------------------------------- */
typedef struct fc_conv2d
{
	int			kh;				/* kernel rows */
	int			kw;				/* kernel columns */
	int			cin;			/* input channels */
	int			cout;			/* output channels */
	int			stride;			/* same stride on both axes */
	fc_padding	padding;
	fc_activation act;			/* fused into the output pass */
	float		slope;			/* FC_ACT_LEAKY's negative slope */
	const float *filters;		/* HWIO [kh][kw][cin][cout] */
	const float *bias;			/* [cout], or NULL for no bias */
	/* int8 copy of filters for face.precision = 'fast' (quant.c), or NULL */
	const struct fc_q8_weights *q8;
} fc_conv2d;

/*
 * Output shape of conv over an in_h x in_w input; *out_h or *out_w is 0 if
 * the kernel does not fit.
 */
void		fc_conv2d_out_shape(const fc_conv2d *conv, int in_h, int in_w,
								int *out_h, int *out_w);

/*
 * Floats of scratch space fc_conv2d_forward needs for an in_h x in_w input
 * (the im2col matrix, out_h*out_w rows of kh*kw*cin); 0 for 1x1 stride-1
 * convolutions, which need none.
 */
size_t		fc_conv2d_scratch(const fc_conv2d *conv, int in_h, int in_w);

/*
 * Requires in->c == conv->cin, out->data holding out_h*out_w*cout floats and
 * scratch holding fc_conv2d_scratch() floats (may be NULL when that is 0).
 * Ensures out->h/w/c are set and out->data holds the convolution with bias
 * and activation applied.
 */
void		fc_conv2d_forward(const fc_conv2d *conv, const fc_tensor *in,
							  fc_tensor *out, float *scratch);

/* ---------------------------------------------------------------------
 * Depthwise convolution (channel multiplier 1)
 *
 * out[y][x][k] = act(bias[k] + sum over ky, kx of
 *                    in[y*s + ky - pad_top][x*s + kx - pad_left][k] *
 *                    filters[ky][kx][k])
 * Any kernel size works; 3x3 is what the networks use.
 * --------------------------------------------------------------------- */
typedef struct fc_dwconv2d
{
	int			kh;
	int			kw;
	int			c;				/* channels in = channels out */
	int			stride;
	fc_padding	padding;
	fc_activation act;
	float		slope;
	const float *filters;		/* [kh][kw][c] */
	const float *bias;			/* [c], or NULL */
} fc_dwconv2d;

void		fc_dwconv2d_out_shape(const fc_dwconv2d *conv, int in_h, int in_w,
								  int *out_h, int *out_w);

/*
 * Requires in->c == conv->c and out->data holding out_h*out_w*c floats.
 * Ensures out->h/w/c are set and out->data holds the result.  No scratch.
 */
void		fc_dwconv2d_forward(const fc_dwconv2d *conv, const fc_tensor *in,
								fc_tensor *out);

/* ---------------------------------------------------------------------
 * Pooling
 *
 * Max pooling ignores padded cells; average pooling divides by the number
 * of in-image cells under the window (TensorFlow's rule for 'same').
 * --------------------------------------------------------------------- */
typedef enum fc_pool_kind
{
	FC_POOL_MAX,
	FC_POOL_AVG
} fc_pool_kind;

typedef struct fc_pool2d
{
	fc_pool_kind kind;
	int			kh;
	int			kw;
	int			stride;
	fc_padding	padding;
} fc_pool2d;

void		fc_pool2d_out_shape(const fc_pool2d *pool, int in_h, int in_w,
								int *out_h, int *out_w);

/* Requires out->data holding out_h*out_w*in->c floats; sets out's shape. */
void		fc_pool2d_forward(const fc_pool2d *pool, const fc_tensor *in,
							  fc_tensor *out);

/* Mean over all pixels: out[k] = mean over y, x of in[y][x][k]; out has in->c floats. */
void		fc_global_avgpool(const fc_tensor *in, float *out);

/* ---------------------------------------------------------------------
 * Element-wise
 * --------------------------------------------------------------------- */

/*
 * out = act(a + b) where a and b may differ in shape: the result has the
 * larger h, w and c of the two, and each input reads as zero outside its
 * own extent (rows below, columns right of, channels above it).  This is
 * the shortcut rule of face-api's dlib ResNet (residualDown): the
 * avg-pooled shortcut gains zero channels, the strided branch gains a zero
 * row and column when its valid convolution came out one smaller.  With
 * equal shapes it is a plain residual add.
 *
 * Requires out->data to hold the result; out may alias a or b only when
 * that input already has the output's shape.  Sets out's shape.
 */
void		fc_add(const fc_tensor *a, const fc_tensor *b, fc_tensor *out,
				   fc_activation act);

/* ---------------------------------------------------------------------
 * Fully connected
 *
 * out[o] = bias[o] + sum over i of in[i] * weights[i][o]; weights [in][out].
 * bias may be NULL.  in and out must not alias.
 * --------------------------------------------------------------------- */
void		fc_dense_forward(const float *in, int n_in, const float *weights,
							 const float *bias, int n_out, float *out);

#endif							/* FC_LAYERS_H */
