/*-------------------------------------------------------------------------
 *
 * landmarks.c
 *	  face-api's FaceLandmark68Net in C (input preparation in landmarks.h).
 *
 * The network, read from the input outward:
 *
 *	input	112x112x3, RGB minus the mean (122.782, 117.001, 104.298),
 *			divided by 255
 *	dense0	dense block, 32 channels, first conv a plain 3x3/2	-> 56x56x32
 *	dense1	dense block, 64										-> 28x28x64
 *	dense2	dense block, 128									-> 14x14x128
 *	dense3	dense block, 256									-> 7x7x256
 *	avg pool 7x7/2 valid										-> 1x1x256
 *	fc		256 -> 136 with bias								-> x0 y0 ... x67 y67
 *
 * A dense block (face-api's denseBlock4) is four convolutions whose inputs
 * are the ReLU'd sums of all earlier outputs of the block:
 *
 *	o1 = relu(conv0(x))				3x3 stride 2 'same'; separable except in dense0
 *	o2 = sep1(o1)
 *	o3 = sep2(relu(o1 + o2))
 *	o4 = sep3(relu(o1 + (o2 + o3)))
 *	out = relu(o1 + (o2 + (o3 + o4)))
 *
 * where sepN is a depthwise-separable convolution: depthwise 3x3 'same'
 * without bias, then pointwise 1x1 with bias, no activation.  The sums are
 * nested as face-api nests its tf.add calls so that float rounding matches.
 *
 * Run state: the four block outputs o1..o4, a sum buffer that also carries
 * each block's output into the next block, the depthwise intermediate, the
 * normalised input and the im2col buffer of dense0's plain convolution,
 * all sized for the largest tensor (56x56x32) and allocated once.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <string.h>

#include "landmarks.h"
#include "core/nn/layers.h"
#include "core/nn/netutil.h"

/* face-api's per-channel means, RGB (the same as the recognizer's) */
static const float lm_mean[3] = {122.782f, 117.001f, 104.298f};

/* The architecture: one row per dense block. */
typedef struct lm_block_def
{
	const char *name;
	int			cin;
	int			cout;
} lm_block_def;

static const lm_block_def lm_blocks[] = {
	{"dense0", 3, 32},			/* conv0 is a plain conv: separable needs cin > 3 */
	{"dense1", 32, 64},
	{"dense2", 64, 128},
	{"dense3", 128, 256},
};

#define LM_NBLOCKS (sizeof(lm_blocks) / sizeof(lm_blocks[0]))
#define LM_FEATURES 256

static const fc_pool2d lm_final_pool = {FC_POOL_AVG, 7, 7, 2, FC_PAD_VALID};

/* A block's convolution: depthwise then pointwise, or (dense0's conv0) one plain conv in pw. */
typedef struct lm_conv
{
	int			separable;
	fc_dwconv2d dw;
	fc_conv2d	pw;				/* the pointwise conv, or the plain conv0 */
} lm_conv;

typedef struct lm_block
{
	lm_conv		conv[4];
} lm_block;

struct fc_landmarks
{
	fc_hooks	hooks;
	fc_allocator allocator;

	/* weights: pointers into the mapped file */
	lm_block	blocks[LM_NBLOCKS];
	const float *fc_weights;	/* [256][136] */
	const float *fc_bias;		/* [136] */

	/* run state */
	void	   *arena;
	float	   *input;			/* [112][112][3] normalised */
	float	   *o[4];			/* block outputs o1..o4 */
	float	   *sum;			/* running sums; also carries x between blocks */
	float	   *dw;				/* depthwise intermediate */
	float	   *scratch;		/* im2col of dense0/conv0 */
	float	   *features;		/* [256] */
	fc_net_plan plan;
};

/* Bind and plan one block's convolutions; *h, *w become its output size. */
static fc_status
lm_build_block(fc_landmarks *lm, const fc_weights *w, int b, int *h, int *wd,
			   fc_error *err)
{
	const lm_block_def *def = &lm_blocks[b];
	lm_block   *blk = &lm->blocks[b];
	char		prefix[64];

	for (int i = 0; i < 4; i++)
	{
		lm_conv    *c = &blk->conv[i];
		int			cin = i == 0 ? def->cin : def->cout;
		int			stride = i == 0 ? 2 : 1;

		snprintf(prefix, sizeof(prefix), "%s/conv%d", def->name, i);
		c->separable = !(b == 0 && i == 0);
		if (c->separable)
		{
			if (fc_net_bind_separable(w, prefix, cin, def->cout, stride,
									  &c->dw, &c->pw, err) != FC_OK)
				return FC_ERR_MODEL;
			if (fc_plan_dwconv(&lm->plan, &c->dw, h, wd, err) != FC_OK)
				return FC_ERR_INTERNAL;
		}
		else
		{
			c->pw = (fc_conv2d) {
				.kh = 3,.kw = 3,.cin = cin,.cout = def->cout,.stride = stride,
					.padding = FC_PAD_SAME
			};
			if (fc_net_bind_conv(w, prefix, &c->pw, err) != FC_OK)
				return FC_ERR_MODEL;
		}
		/* o1 = relu(conv0(x)): fused; the others stay linear */
		c->pw.act = i == 0 ? FC_ACT_RELU : FC_ACT_NONE;
		if (fc_plan_conv(&lm->plan, &c->pw, h, wd, err) != FC_OK)
			return FC_ERR_INTERNAL;
	}
	return FC_OK;
}

static fc_status
lm_build(fc_landmarks *lm, const fc_weights *w, fc_error *err)
{
	int			h = FC_LANDMARKS_INPUT_SIZE,
				wd = FC_LANDMARKS_INPUT_SIZE;

	memset(&lm->plan, 0, sizeof(lm->plan));
	fc_plan_tensor(&lm->plan, h, wd, 3);
	for (size_t b = 0; b < LM_NBLOCKS; b++)
	{
		fc_status	st = lm_build_block(lm, w, b, &h, &wd, err);

		if (st != FC_OK)
			return st;
	}
	fc_pool2d_out_shape(&lm_final_pool, h, wd, &h, &wd);
	if (h != 1 || wd != 1)
		return fc_fail(err, FC_ERR_INTERNAL, "landmark features are %dx%d, not 1x1", h, wd);

	lm->fc_weights = fc_net_get(w, "fc/weights", LM_FEATURES, FC_LANDMARKS_OUTPUTS, err);
	if (lm->fc_weights == NULL)
		return FC_ERR_MODEL;
	lm->fc_bias = fc_net_get(w, "fc/bias", FC_LANDMARKS_OUTPUTS, 0, err);
	if (lm->fc_bias == NULL)
		return FC_ERR_MODEL;
	lm->plan.flops += 2.0 * LM_FEATURES * FC_LANDMARKS_OUTPUTS;
	return FC_OK;
}

/* Hand out the run-state buffers (see fc_arena_build). */
static void
lm_carve(void *net, fc_arena *arena)
{
	fc_landmarks *lm = net;
	size_t		act = lm->plan.max_act;

	lm->input = fc_arena_take(arena, fc_tensor_size(FC_LANDMARKS_INPUT_SIZE,
													FC_LANDMARKS_INPUT_SIZE, 3));
	for (int i = 0; i < 4; i++)
		lm->o[i] = fc_arena_take(arena, act);
	lm->sum = fc_arena_take(arena, act);
	lm->dw = fc_arena_take(arena, act);
	lm->scratch = fc_arena_take(arena, lm->plan.max_scratch);
	lm->features = fc_arena_take(arena, LM_FEATURES);
}

fc_status
fc_landmarks_init(const fc_weights *w, const fc_hooks *hooks,
				  fc_landmarks **out, fc_error *err)
{
	const fc_allocator *a = fc_allocator_of(hooks);
	fc_landmarks *lm;
	fc_status	st;

	*out = NULL;
	lm = a->alloc(a->ctx, sizeof(fc_landmarks));
	if (lm == NULL)
		return fc_fail(err, FC_ERR_NOMEM, "out of memory for the landmark network");
	memset(lm, 0, sizeof(*lm));
	if (hooks)
		lm->hooks = *hooks;
	lm->allocator = *a;

	st = lm_build(lm, w, err);
	if (st == FC_OK)
		st = fc_arena_build(a, lm_carve, lm, &lm->arena, "landmark", err);
	if (st != FC_OK)
	{
		a->free(a->ctx, lm);
		return st;
	}
	*out = lm;
	return FC_OK;
}

void
fc_landmarks_free(fc_landmarks *lm)
{
	fc_allocator a;

	if (lm == NULL)
		return;
	a = lm->allocator;
	a.free(a.ctx, lm->arena);
	a.free(a.ctx, lm);
}

double
fc_landmarks_flops(const fc_landmarks *lm)
{
	return lm->plan.flops;
}

/* One convolution of a block: separable (via lm->dw) or plain. */
static void
lm_conv_forward(fc_landmarks *lm, const lm_conv *c, const fc_tensor *in, fc_tensor *out)
{
	if (c->separable)
	{
		fc_tensor	mid = {.data = lm->dw};

		fc_dwconv2d_forward(&c->dw, in, &mid);
		fc_conv2d_forward(&c->pw, &mid, out, NULL);
	}
	else
		fc_conv2d_forward(&c->pw, in, out, lm->scratch);
}

/*
 * One dense block on x; the output lands in lm->sum (x may be lm->sum: it
 * is consumed by conv0 before sum is written).
 */
static void
lm_block_forward(fc_landmarks *lm, const lm_block *blk, const fc_tensor *x,
				 fc_tensor *out)
{
	fc_tensor	o1 = {.data = lm->o[0]},
				o2 = {.data = lm->o[1]},
				o3 = {.data = lm->o[2]},
				o4 = {.data = lm->o[3]},
				s = {.data = lm->sum};

	lm_conv_forward(lm, &blk->conv[0], x, &o1);		/* relu fused */
	lm_conv_forward(lm, &blk->conv[1], &o1, &o2);

	fc_add(&o1, &o2, &s, FC_ACT_RELU);
	lm_conv_forward(lm, &blk->conv[2], &s, &o3);

	fc_add(&o2, &o3, &s, FC_ACT_NONE);
	fc_add(&o1, &s, &s, FC_ACT_RELU);
	lm_conv_forward(lm, &blk->conv[3], &s, &o4);

	fc_add(&o3, &o4, &s, FC_ACT_NONE);
	fc_add(&o2, &s, &s, FC_ACT_NONE);
	fc_add(&o1, &s, &s, FC_ACT_RELU);
	*out = s;
}

fc_status
fc_landmarks_forward(fc_landmarks *lm, const float *rgb, float *points,
					 fc_error *err)
{
	const size_t npix = (size_t) FC_LANDMARKS_INPUT_SIZE * FC_LANDMARKS_INPUT_SIZE;
	fc_tensor	x = {lm->input, FC_LANDMARKS_INPUT_SIZE, FC_LANDMARKS_INPUT_SIZE, 3};
	fc_tensor	pooled = {.data = lm->features};

	/* face-api's normalize(): (v - mean) / 255 */
	for (size_t p = 0; p < npix; p++)
		for (int k = 0; k < 3; k++)
			lm->input[p * 3 + k] = (rgb[p * 3 + k] - lm_mean[k]) / 255.0f;

	for (size_t b = 0; b < LM_NBLOCKS; b++)
	{
		if (fc_net_poll(&lm->hooks, err) != FC_OK)
			return FC_ERR_CANCELLED;
		lm_block_forward(lm, &lm->blocks[b], &x, &x);
	}
	fc_pool2d_forward(&lm_final_pool, &x, &pooled);
	fc_dense_forward(lm->features, LM_FEATURES, lm->fc_weights, lm->fc_bias,
					 FC_LANDMARKS_OUTPUTS, points);
	return FC_OK;
}
