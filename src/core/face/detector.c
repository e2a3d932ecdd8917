/*-------------------------------------------------------------------------
 *
 * detector.c
 *	  face-api's SsdMobilenetv1 face detector: the network as a layer table,
 *	  its run state, and the forward pass.
 *
 * The network, read from input outward (shapes for the 512 x 512 input):
 *
 *	input 512x512x3, x / 127.5 - 1
 *	MobileNetV1 backbone, every layer ReLU6, batch norms folded by the
 *	converter into the convolution's filters and bias:
 *	  conv 0        3x3 s2  3 -> 32               256x256
 *	  pair 1..13    depthwise 3x3 (s2 at pairs 2, 4, 6, 12) + pointwise 1x1
 *	                channels 64, 128, 128, 256, 256, 512 x6, 1024, 1024
 *	                pair 11 -> 32x32x512, pair 13 -> 16x16x1024
 *	SSD extra layers ("Prediction/Conv2d_0..7"), ReLU6: 1x1 halving the
 *	  channels then 3x3 s2, four times: 8x8x512, 4x4x256, 2x2x256, 1x1x128
 *	Box predictors, 1x1 convolutions with bias, no activation, on six maps:
 *	  pair 11 (3 anchors a cell), pair 13, extra 1, 3, 5, 7 (6 anchors a cell)
 *	  -> 32*32*3 + (16*16 + 8*8 + 4*4 + 2*2 + 1) * 6 = 5118 anchors, each
 *	  with 4 box encodings and 3 class logits.
 *
 * A predictor's NHWC output is already in anchor order (cell row, cell
 * column, anchor), which is how face-api's reshape + concat orders them, so
 * each head writes straight into its slice of the concatenated encodings.
 *
 * Run state: two ping-pong activation buffers (layer i writes buffer i % 2),
 * sized at init for the largest tensor each will hold; the im2col scratch
 * of the largest convolution; the encodings, logits, boxes and scores of
 * all anchors; the NMS scratch.  One allocation (fc_arena_build, shared
 * with the other networks).  Heads run right after the layer they read, so no feature
 * map has to outlive the ping-pong.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <string.h>

#include "detector.h"
#include "core/nn/layers.h"
#include "netinput.h"
#include "core/nn/netutil.h"
#include "core/nn/quant.h"
#include "ssd_boxes.h"

#define SSD_CLASSES 3			/* background, face, and an unused class */

typedef enum ssd_op
{
	SSD_CONV,					/* dense convolution, "<name>/weights" HWIO */
	SSD_DWCONV					/* depthwise, "<name>/depthwise_weights" [kh][kw][c] */
} ssd_op;

typedef struct ssd_layer_def
{
	const char *name;			/* tfjs tensor prefix */
	ssd_op		op;
	int			k;				/* square kernel */
	int			cin;
	int			cout;			/* == cin for depthwise */
	int			stride;
} ssd_layer_def;

#define MB(i) "MobilenetV1/Conv2d_" #i
#define PW(i) "Prediction/Conv2d_" #i "_pointwise"

/* The chain of feature layers, all ReLU6 with TensorFlow 'same' padding. */
static const ssd_layer_def ssd_layers[] = {
	{MB(0) "_pointwise", SSD_CONV, 3, 3, 32, 2},	/* 0: 256x256x32 */
	{MB(1) "_depthwise", SSD_DWCONV, 3, 32, 32, 1},
	{MB(1) "_pointwise", SSD_CONV, 1, 32, 64, 1},
	{MB(2) "_depthwise", SSD_DWCONV, 3, 64, 64, 2},
	{MB(2) "_pointwise", SSD_CONV, 1, 64, 128, 1},	/* 4: 128x128x128 */
	{MB(3) "_depthwise", SSD_DWCONV, 3, 128, 128, 1},
	{MB(3) "_pointwise", SSD_CONV, 1, 128, 128, 1},
	{MB(4) "_depthwise", SSD_DWCONV, 3, 128, 128, 2},
	{MB(4) "_pointwise", SSD_CONV, 1, 128, 256, 1},	/* 8: 64x64x256 */
	{MB(5) "_depthwise", SSD_DWCONV, 3, 256, 256, 1},
	{MB(5) "_pointwise", SSD_CONV, 1, 256, 256, 1},
	{MB(6) "_depthwise", SSD_DWCONV, 3, 256, 256, 2},
	{MB(6) "_pointwise", SSD_CONV, 1, 256, 512, 1},	/* 12: 32x32x512 */
	{MB(7) "_depthwise", SSD_DWCONV, 3, 512, 512, 1},
	{MB(7) "_pointwise", SSD_CONV, 1, 512, 512, 1},
	{MB(8) "_depthwise", SSD_DWCONV, 3, 512, 512, 1},
	{MB(8) "_pointwise", SSD_CONV, 1, 512, 512, 1},
	{MB(9) "_depthwise", SSD_DWCONV, 3, 512, 512, 1},
	{MB(9) "_pointwise", SSD_CONV, 1, 512, 512, 1},
	{MB(10) "_depthwise", SSD_DWCONV, 3, 512, 512, 1},
	{MB(10) "_pointwise", SSD_CONV, 1, 512, 512, 1},
	{MB(11) "_depthwise", SSD_DWCONV, 3, 512, 512, 1},
	{MB(11) "_pointwise", SSD_CONV, 1, 512, 512, 1},	/* 22: 32x32x512, head 0 */
	{MB(12) "_depthwise", SSD_DWCONV, 3, 512, 512, 2},
	{MB(12) "_pointwise", SSD_CONV, 1, 512, 1024, 1},
	{MB(13) "_depthwise", SSD_DWCONV, 3, 1024, 1024, 1},
	{MB(13) "_pointwise", SSD_CONV, 1, 1024, 1024, 1},	/* 26: 16x16x1024, head 1 */
	{PW(0), SSD_CONV, 1, 1024, 256, 1},
	{PW(1), SSD_CONV, 3, 256, 512, 2},	/* 28: 8x8x512, head 2 */
	{PW(2), SSD_CONV, 1, 512, 128, 1},
	{PW(3), SSD_CONV, 3, 128, 256, 2},	/* 30: 4x4x256, head 3 */
	{PW(4), SSD_CONV, 1, 256, 128, 1},
	{PW(5), SSD_CONV, 3, 128, 256, 2},	/* 32: 2x2x256, head 4 */
	{PW(6), SSD_CONV, 1, 256, 64, 1},
	{PW(7), SSD_CONV, 3, 64, 128, 2},	/* 34: 1x1x128, head 5 */
};

#define SSD_NLAYERS ((int) (sizeof(ssd_layers) / sizeof(ssd_layers[0])))

/* A box predictor: which layer's output it reads and its anchors a cell. */
typedef struct ssd_head_def
{
	int			layer;
	int			anchors;
} ssd_head_def;

static const ssd_head_def ssd_heads[] = {
	{22, 3}, {26, 6}, {28, 6}, {30, 6}, {32, 6}, {34, 6}
};

#define SSD_NHEADS ((int) (sizeof(ssd_heads) / sizeof(ssd_heads[0])))

struct fc_detector
{
	fc_allocator alloc;
	void	   *block;			/* the one allocation everything below lives in */
	void	   *q8_block;		/* int8 copies of the 1x1 filters (fc_q8_attach) */

	/* layer i: conv[i] or dw[i] by ssd_layers[i].op; output out_h x out_w */
	fc_conv2d	conv[SSD_NLAYERS];
	fc_dwconv2d dw[SSD_NLAYERS];
	int			out_h[SSD_NLAYERS];
	int			out_w[SSD_NLAYERS];

	fc_conv2d	head_box[SSD_NHEADS];	/* 1x1, cin -> anchors * 4 */
	fc_conv2d	head_cls[SSD_NHEADS];	/* 1x1, cin -> anchors * 3 */
	int			head_first[SSD_NHEADS]; /* index of the head's first anchor */

	const float *anchors;		/* [5118][4] ymin, xmin, ymax, xmax (in the weights) */

	fc_net_plan plan;			/* scratch size and FLOPs, from init's table walk */
	size_t		act_floats[2];	/* size of each ping-pong buffer */

	float	   *input;			/* [512][512][3], normalised in place */
	float	   *act[2];			/* ping-pong activations */
	float	   *scratch;		/* im2col, NULL if no layer needs one */
	float	   *enc;			/* [5118][4] box encodings */
	float	   *logits;			/* [5118][3] class logits */
	float	   *boxes;			/* [5118][4] decoded */
	float	   *scores;			/* [5118] */
	fc_ssd_candidate *cand;		/* [5118] NMS scratch */
	int		   *selected;		/* [5118] NMS result, anchor indices */
};

/* Fetch name (checked against shape) or fail with FC_ERR_MODEL. */
static const float *
get_tensor(const fc_weights *w, const char *prefix, const char *suffix,
		   int ndim, const int *shape, fc_error *err)
{
	char		name[256];

	snprintf(name, sizeof(name), "%s/%s", prefix, suffix);
	return fc_weights_get(w, name, ndim, shape, err);
}

/*
 * Bind layer i's weights, replace *h x *w (its input) by its output size
 * and record its scratch and FLOPs in det->plan.
 */
static fc_status
bind_layer(fc_detector *det, const fc_weights *w, int i, int *h, int *wd,
		   fc_error *err)
{
	const ssd_layer_def *def = &ssd_layers[i];
	int			bias_shape[1] = {def->cout};

	if (def->op == SSD_CONV)
	{
		int			shape[4] = {def->k, def->k, def->cin, def->cout};
		fc_conv2d  *c = &det->conv[i];

		c->kh = c->kw = def->k;
		c->cin = def->cin;
		c->cout = def->cout;
		c->stride = def->stride;
		c->padding = FC_PAD_SAME;
		c->act = FC_ACT_RELU6;
		if ((c->filters = get_tensor(w, def->name, "weights", 4, shape, err)) == NULL ||
			(c->bias = get_tensor(w, def->name, "bias", 1, bias_shape, err)) == NULL)
			return FC_ERR_MODEL;
		return fc_plan_conv(&det->plan, c, h, wd, err);
	}
	else
	{
		int			shape[3] = {def->k, def->k, def->cin};
		fc_dwconv2d *d = &det->dw[i];

		d->kh = d->kw = def->k;
		d->c = def->cin;
		d->stride = def->stride;
		d->padding = FC_PAD_SAME;
		d->act = FC_ACT_RELU6;
		if ((d->filters = get_tensor(w, def->name, "depthwise_weights", 3, shape, err)) == NULL ||
			(d->bias = get_tensor(w, def->name, "bias", 1, bias_shape, err)) == NULL)
			return FC_ERR_MODEL;
		return fc_plan_dwconv(&det->plan, d, h, wd, err);
	}
}

/*
 * Bind one 1x1 predictor convolution "Prediction/BoxPredictor_<h>/<kind>"
 * reading an fh x fw map (recorded in det->plan).
 */
static fc_status
bind_head_conv(fc_detector *det, fc_conv2d *c, const fc_weights *w, int h,
			   const char *kind, int cin, int cout, int fh, int fw, fc_error *err)
{
	char		prefix[128];
	int			shape[4] = {1, 1, cin, cout};
	int			bias_shape[1] = {cout};

	snprintf(prefix, sizeof(prefix), "Prediction/BoxPredictor_%d/%s", h, kind);
	c->kh = c->kw = 1;
	c->cin = cin;
	c->cout = cout;
	c->stride = 1;
	c->padding = FC_PAD_SAME;
	c->act = FC_ACT_NONE;
	if ((c->filters = get_tensor(w, prefix, "weights", 4, shape, err)) == NULL ||
		(c->bias = get_tensor(w, prefix, "bias", 1, bias_shape, err)) == NULL)
		return FC_ERR_MODEL;
	return fc_plan_conv(&det->plan, c, &fh, &fw, err);
}

/* fc_ssd_nms's candidates live in the float arena: a whole number of floats each. */
_Static_assert(sizeof(fc_ssd_candidate) % sizeof(float) == 0,
			   "fc_ssd_candidate must be a whole number of floats");

/* Hand out the run state (see fc_arena_build); sizes come from init's table walk. */
static void
ssd_carve(void *net, fc_arena *arena)
{
	fc_detector *det = net;

	det->input = fc_arena_take(arena, fc_tensor_size(FC_DETECTOR_INPUT_SIZE,
													 FC_DETECTOR_INPUT_SIZE, 3));
	det->act[0] = fc_arena_take(arena, det->act_floats[0]);
	det->act[1] = fc_arena_take(arena, det->act_floats[1]);
	det->scratch = det->plan.max_scratch ? fc_arena_take(arena, det->plan.max_scratch) : NULL;
	det->enc = fc_arena_take(arena, (size_t) FC_DETECTOR_ANCHORS * 4);
	det->logits = fc_arena_take(arena, (size_t) FC_DETECTOR_ANCHORS * SSD_CLASSES);
	det->boxes = fc_arena_take(arena, (size_t) FC_DETECTOR_ANCHORS * 4);
	det->scores = fc_arena_take(arena, FC_DETECTOR_ANCHORS);
	det->cand = (fc_ssd_candidate *)
		fc_arena_take(arena, FC_DETECTOR_ANCHORS * (sizeof(fc_ssd_candidate) / sizeof(float)));
	/* int and float have the same size on every platform we build for */
	det->selected = (int *) fc_arena_take(arena, FC_DETECTOR_ANCHORS);
}

/* int8 weights for every 1x1 convolution, for face.precision = 'fast'. */
static fc_status
attach_q8(fc_detector *det, const fc_allocator *alloc, fc_error *err)
{
	fc_conv2d  *convs[SSD_NLAYERS + 2 * SSD_NHEADS];
	int			n = 0;

	for (int i = 0; i < SSD_NLAYERS; i++)
		if (ssd_layers[i].op == SSD_CONV)
			convs[n++] = &det->conv[i];
	for (int hd = 0; hd < SSD_NHEADS; hd++)
	{
		convs[n++] = &det->head_box[hd];
		convs[n++] = &det->head_cls[hd];
	}
	return fc_q8_attach(convs, n, alloc, &det->q8_block, err);
}

fc_status
fc_detector_init(const fc_weights *weights, const fc_allocator *alloc,
				 fc_detector **out, fc_error *err)
{
	fc_detector *det;
	fc_status	st;
	int			h = FC_DETECTOR_INPUT_SIZE;
	int			w = FC_DETECTOR_INPUT_SIZE;
	int			nanchors = 0;
	int			anchor_shape[3] = {1, FC_DETECTOR_ANCHORS, 4};

	_Static_assert(sizeof(int) == sizeof(float), "selected[] is carved from the float arena");
	if (weights == NULL || alloc == NULL || out == NULL)
		return fc_fail(err, FC_ERR_INVALID_ARGUMENT, "detector needs weights, an allocator and an output pointer");

	det = alloc->alloc(alloc->ctx, sizeof(fc_detector));
	if (det == NULL)
		return fc_fail(err, FC_ERR_NOMEM, "out of memory allocating the face detector");
	memset(det, 0, sizeof(*det));
	det->alloc = *alloc;

	/* Walk the table: bind weights, propagate shapes, size the ping-pong buffers. */
	for (int i = 0; i < SSD_NLAYERS; i++)
	{
		size_t		n;

		if ((st = bind_layer(det, weights, i, &h, &w, err)) != FC_OK)
			goto fail;
		det->out_h[i] = h;
		det->out_w[i] = w;
		n = fc_tensor_size(h, w, ssd_layers[i].cout);
		if (n > det->act_floats[i % 2])
			det->act_floats[i % 2] = n;
	}

	for (int hd = 0; hd < SSD_NHEADS; hd++)
	{
		int			l = ssd_heads[hd].layer;
		int			a = ssd_heads[hd].anchors;

		if ((st = bind_head_conv(det, &det->head_box[hd], weights, hd, "BoxEncodingPredictor",
								 ssd_layers[l].cout, a * 4,
								 det->out_h[l], det->out_w[l], err)) != FC_OK ||
			(st = bind_head_conv(det, &det->head_cls[hd], weights, hd, "ClassPredictor",
								 ssd_layers[l].cout, a * SSD_CLASSES,
								 det->out_h[l], det->out_w[l], err)) != FC_OK)
			goto fail;
		det->head_first[hd] = nanchors;
		nanchors += det->out_h[l] * det->out_w[l] * a;
	}
	if (nanchors != FC_DETECTOR_ANCHORS)
	{
		st = fc_fail(err, FC_ERR_INTERNAL, "detector table yields %d anchors, not %d",
					 nanchors, FC_DETECTOR_ANCHORS);
		goto fail;
	}

	det->anchors = fc_weights_get(weights, "Output/extra_dim", 3, anchor_shape, err);
	if (det->anchors == NULL)
	{
		st = FC_ERR_MODEL;
		goto fail;
	}

	if ((st = attach_q8(det, alloc, err)) != FC_OK)
		goto fail;
	if ((st = fc_arena_build(alloc, ssd_carve, det, &det->block, "face detector", err)) != FC_OK)
	{
		alloc->free(alloc->ctx, det->q8_block);
		goto fail;
	}
	*out = det;
	return FC_OK;

fail:
	alloc->free(alloc->ctx, det);
	return st;
}

double
fc_detector_flops(const fc_detector *det)
{
	return det->plan.flops;
}

void
fc_detector_free(fc_detector *det)
{
	if (det == NULL)
		return;
	if (det->block)
		det->alloc.free(det->alloc.ctx, det->block);
	if (det->q8_block)
		det->alloc.free(det->alloc.ctx, det->q8_block);
	det->alloc.free(det->alloc.ctx, det);
}

/* Run the two 1x1 predictors of head h on feature map fm into enc/logits. */
static void
run_head(fc_detector *det, int h, const fc_tensor *fm)
{
	size_t		first = det->head_first[h];
	fc_tensor	box = {det->enc + first * 4, 0, 0, 0};
	fc_tensor	cls = {det->logits + first * SSD_CLASSES, 0, 0, 0};

	fc_conv2d_forward(&det->head_box[h], fm, &box, NULL);
	fc_conv2d_forward(&det->head_cls[h], fm, &cls, NULL);
}

/* The network on det->input (already normalised), through decoding and scores. */
static fc_status
forward_normalised(fc_detector *det, const fc_hooks *hooks, fc_error *err)
{
	fc_tensor	in = {det->input, FC_DETECTOR_INPUT_SIZE, FC_DETECTOR_INPUT_SIZE, 3};
	int			next_head = 0;

	for (int i = 0; i < SSD_NLAYERS; i++)
	{
		fc_tensor	out = {det->act[i % 2], 0, 0, 0};
		fc_status	st = fc_net_poll(hooks, err);

		if (st != FC_OK)
			return st;
		if (ssd_layers[i].op == SSD_CONV)
			fc_conv2d_forward(&det->conv[i], &in, &out, det->scratch);
		else
			fc_dwconv2d_forward(&det->dw[i], &in, &out);
		/* heads are listed in layer order */
		while (next_head < SSD_NHEADS && ssd_heads[next_head].layer == i)
			run_head(det, next_head++, &out);
		in = out;
	}

	fc_ssd_decode(det->anchors, det->enc, FC_DETECTOR_ANCHORS, det->boxes);
	fc_ssd_scores(det->logits, FC_DETECTOR_ANCHORS, SSD_CLASSES, det->scores);
	return FC_OK;
}

/* x / 127.5 - 1 over the input, as face-api's tf.sub(tf.div(x, 127.5), 1). */
static void
normalise(float *dst, const float *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = src[i] / 127.5f - 1.0f;
}

fc_status
fc_detector_forward(fc_detector *det, const float *input,
					const fc_hooks *hooks, fc_error *err)
{
	if (det == NULL || input == NULL)
		return fc_fail(err, FC_ERR_INVALID_ARGUMENT, "detector forward needs a detector and an input");
	normalise(det->input, input,
			  fc_tensor_size(FC_DETECTOR_INPUT_SIZE, FC_DETECTOR_INPUT_SIZE, 3));
	return forward_normalised(det, hooks, err);
}

const float *
fc_detector_boxes(const fc_detector *det)
{
	return det->boxes;
}

const float *
fc_detector_scores(const fc_detector *det)
{
	return det->scores;
}

fc_status
fc_detector_run(fc_detector *det, const uint8_t *rgb, int w, int h,
				int stride, float min_score,
				fc_detection *out, int max_out, int *n_out,
				const fc_hooks *hooks, fc_error *err)
{
	fc_status	st;
	int			n;

	if (n_out != NULL)
		*n_out = 0;
	if (det == NULL || rgb == NULL || out == NULL || n_out == NULL)
		return fc_fail(err, FC_ERR_INVALID_ARGUMENT, "face detection needs a detector, an image and an output array");
	if (w < 1 || h < 1 || stride / 3 < w)
		return fc_fail(err, FC_ERR_INVALID_ARGUMENT, "invalid image geometry %d x %d with row stride %d", w, h, stride);
	if (!(min_score > 0.0f && min_score < 1.0f))
		return fc_fail(err, FC_ERR_INVALID_ARGUMENT, "detector minimum score must be between 0 and 1, not %g", min_score);
	if (max_out < 1)
		return fc_fail(err, FC_ERR_INVALID_ARGUMENT, "detector result limit must be at least 1, not %d", max_out);
	if (max_out > FC_DETECTOR_ANCHORS)
		max_out = FC_DETECTOR_ANCHORS;

	fc_netinput_square(rgb, w, h, stride, FC_DETECTOR_INPUT_SIZE, 0, det->input);
	normalise(det->input, det->input,
			  fc_tensor_size(FC_DETECTOR_INPUT_SIZE, FC_DETECTOR_INPUT_SIZE, 3));
	st = forward_normalised(det, hooks, err);
	if (st != FC_OK)
		return st;

	n = fc_ssd_nms(det->boxes, det->scores, FC_DETECTOR_ANCHORS, min_score,
				   FC_DETECTOR_IOU, max_out, det->cand, det->selected);
	for (int i = 0; i < n; i++)
	{
		int			a = det->selected[i];

		fc_ssd_to_pixels(det->boxes + (size_t) a * 4, det->scores[a], w, h,
						 FC_DETECTOR_INPUT_SIZE, &out[i]);
	}
	*n_out = n;
	return FC_OK;
}
