/*-------------------------------------------------------------------------
 *
 * recognizer.c
 *	  face-api's FaceRecognitionNet (dlib's metric-learning ResNet) in C.
 *
 * The network, read from the input outward (shapes for the 150x150 input):
 *
 *	input		150x150x3, RGB minus the mean (122.782, 117.001, 104.298),
 *				divided by 255
 *	conv32_down	conv 7x7/2 valid, 32, ReLU				-> 72x72x32
 *	max pool	3x3/2 valid								-> 35x35x32
 *	conv32_1..3	residual blocks, 32						-> 35x35x32
 *	conv64_down	residual down block, 64					-> 17x17x64
 *	conv64_1..3	residual blocks, 64
 *	conv128_down residual down block, 128				-> 8x8x128
 *	conv128_1..2 residual blocks, 128
 *	conv256_down residual down block, 256				-> 4x4x256
 *	conv256_1..2 residual blocks, 256
 *	conv256_down_out residual down block, 256			-> 2x2x256
 *	mean over the 2x2 pixels							-> 256
 *	fc			256 -> 128, no bias						-> descriptor
 *
 * A residual block is relu(conv2(relu(conv1(x))) + x) with 3x3 'same'
 * convolutions.  A down block takes conv1 as 3x3 stride 2 'valid' and its
 * shortcut is a 2x2/2 average pool of x; the two branches are summed with
 * zero padding (fc_add): the shortcut gains zero channels when the block
 * widens, and the branch gains a zero bottom row and right column when its
 * valid convolution came out one smaller than the pool (even inputs: 8 -> 3
 * vs 4, 4 -> 1 vs 2).  That padding is face-api's reading of dlib's
 * add_prev layer, which the weights were converted under.
 *
 * Every convolution carries its "scale" layer (a per-channel affine) folded
 * into its filters and bias by the weights converter, so each one is a
 * single fc_conv2d with fused bias and ReLU.
 *
 * Networks as data: the block table below is the whole architecture.  Init
 * walks it once to bind weights with shape checks, work out every tensor's
 * shape, and size the run state; forward() walks it again and never
 * allocates.  The run state is four activation buffers of the largest
 * tensor (72x72x32) plus one im2col buffer; x flips between two of them at
 * down blocks and is updated in place otherwise.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <string.h>

#include "core/nn/layers.h"
#include "core/nn/netutil.h"
#include "recognizer.h"

/* face-api's per-channel means of its training data, RGB */
static const float rn_mean[3] = {122.782f, 117.001f, 104.298f};

typedef struct rn_block_def
{
	const char *name;			/* weight prefix, e.g. "conv64_1" */
	int			cin;
	int			cout;
	int			down;			/* stride-2 block with pooled shortcut */
} rn_block_def;

static const rn_block_def rn_blocks[] = {
	{"conv32_1", 32, 32, 0},
	{"conv32_2", 32, 32, 0},
	{"conv32_3", 32, 32, 0},
	{"conv64_down", 32, 64, 1},
	{"conv64_1", 64, 64, 0},
	{"conv64_2", 64, 64, 0},
	{"conv64_3", 64, 64, 0},
	{"conv128_down", 64, 128, 1},
	{"conv128_1", 128, 128, 0},
	{"conv128_2", 128, 128, 0},
	{"conv256_down", 128, 256, 1},
	{"conv256_1", 256, 256, 0},
	{"conv256_2", 256, 256, 0},
	{"conv256_down_out", 256, 256, 1},
};

#define RN_NBLOCKS (sizeof(rn_blocks) / sizeof(rn_blocks[0]))
#define RN_FEATURES 256

/* The shortcut pool of every down block. */
static const fc_pool2d rn_shortcut_pool = {FC_POOL_AVG, 2, 2, 2, FC_PAD_VALID};

typedef struct rn_block
{
	fc_conv2d	conv1;
	fc_conv2d	conv2;
	int			down;
} rn_block;

struct fc_recognizer
{
	fc_hooks	hooks;
	fc_allocator allocator;

	/* weights: pointers into the mapped file, shapes in the comments */
	fc_conv2d	stem;			/* conv32_down: [7][7][3][32] + [32] */
	fc_pool2d	stem_pool;		/* 3x3/2 valid max pool */
	rn_block	blocks[RN_NBLOCKS]; /* [3][3][cin][cout] + [cout] each */
	const float *fc;			/* [256][128] */

	/* run state, carved from one allocation */
	void	   *arena;
	float	   *input;			/* [150][150][3] normalised */
	float	   *act[4];			/* activation buffers, largest tensor each */
	float	   *scratch;		/* im2col */
	float	   *features;		/* [256] */
	fc_net_plan plan;			/* buffer sizes, FLOPs */
};

/*
 * Walk the architecture once: set geometry, bind weights, compute shapes,
 * and plan the run state (largest activation and im2col sizes, FLOPs).
 */
static fc_status
rn_build(fc_recognizer *r, const fc_weights *w, fc_error *err)
{
	fc_net_plan *plan = &r->plan;
	int			h = FC_CHIP_SIZE,
				wd = FC_CHIP_SIZE;
	char		prefix[96];

	memset(plan, 0, sizeof(*plan));
	r->stem = (fc_conv2d) {
		.kh = 7,.kw = 7,.cin = 3,.cout = 32,.stride = 2,
			.padding = FC_PAD_VALID,.act = FC_ACT_RELU
	};
	if (fc_net_bind_conv(w, "conv32_down/conv", &r->stem, err) != FC_OK)
		return FC_ERR_MODEL;
	if (fc_plan_conv(plan, &r->stem, &h, &wd, err) != FC_OK)
		return FC_ERR_INTERNAL;
	r->stem_pool = (fc_pool2d) {FC_POOL_MAX, 3, 3, 2, FC_PAD_VALID};
	fc_pool2d_out_shape(&r->stem_pool, h, wd, &h, &wd);

	for (size_t i = 0; i < RN_NBLOCKS; i++)
	{
		const rn_block_def *def = &rn_blocks[i];
		rn_block   *b = &r->blocks[i];
		int			oh = h,
					ow = wd;

		b->down = def->down;
		b->conv1 = (fc_conv2d) {
			.kh = 3,.kw = 3,.cin = def->cin,.cout = def->cout,
				.stride = def->down ? 2 : 1,
				.padding = def->down ? FC_PAD_VALID : FC_PAD_SAME,
				.act = FC_ACT_RELU
		};
		b->conv2 = (fc_conv2d) {
			.kh = 3,.kw = 3,.cin = def->cout,.cout = def->cout,.stride = 1,
				.padding = FC_PAD_SAME,.act = FC_ACT_NONE
		};
		snprintf(prefix, sizeof(prefix), "%s/conv1/conv", def->name);
		if (fc_net_bind_conv(w, prefix, &b->conv1, err) != FC_OK)
			return FC_ERR_MODEL;
		snprintf(prefix, sizeof(prefix), "%s/conv2/conv", def->name);
		if (fc_net_bind_conv(w, prefix, &b->conv2, err) != FC_OK)
			return FC_ERR_MODEL;

		if (fc_plan_conv(plan, &b->conv1, &oh, &ow, err) != FC_OK ||
			fc_plan_conv(plan, &b->conv2, &oh, &ow, err) != FC_OK)
			return FC_ERR_INTERNAL;
		if (def->down)
		{
			int			ph,
						pw;

			/* the sum takes the larger extent of branch and pooled shortcut */
			fc_pool2d_out_shape(&rn_shortcut_pool, h, wd, &ph, &pw);
			h = ph > oh ? ph : oh;
			wd = pw > ow ? pw : ow;
		}
		else if (oh != h || ow != wd || def->cin != def->cout)
			return fc_fail(err, FC_ERR_INTERNAL, "recognizer block %s changes shape", def->name);
		fc_plan_tensor(plan, h, wd, def->cout);
	}

	r->fc = fc_net_get(w, "fc", RN_FEATURES, FC_EMBEDDING_DIMS, err);
	if (r->fc == NULL)
		return FC_ERR_MODEL;
	plan->flops += 2.0 * RN_FEATURES * FC_EMBEDDING_DIMS;
	return FC_OK;
}

/* Hand out the run-state buffers (see fc_arena_build). */
static void
rn_carve(void *net, fc_arena *arena)
{
	fc_recognizer *r = net;

	r->input = fc_arena_take(arena, fc_tensor_size(FC_CHIP_SIZE,
												   FC_CHIP_SIZE, 3));
	for (int i = 0; i < 4; i++)
		r->act[i] = fc_arena_take(arena, r->plan.max_act);
	r->scratch = fc_arena_take(arena, r->plan.max_scratch);
	r->features = fc_arena_take(arena, RN_FEATURES);
}

fc_status
fc_recognizer_init(const fc_weights *w, const fc_hooks *hooks,
				   fc_recognizer **out, fc_error *err)
{
	const fc_allocator *a = fc_allocator_of(hooks);
	fc_recognizer *r;
	fc_status	st;

	*out = NULL;
	r = a->alloc(a->ctx, sizeof(fc_recognizer));
	if (r == NULL)
		return fc_fail(err, FC_ERR_NOMEM, "out of memory for the recognition network");
	memset(r, 0, sizeof(*r));
	if (hooks)
		r->hooks = *hooks;
	r->allocator = *a;

	st = rn_build(r, w, err);
	if (st == FC_OK)
		st = fc_arena_build(a, rn_carve, r, &r->arena, "recognition", err);
	if (st != FC_OK)
	{
		a->free(a->ctx, r);
		return st;
	}
	*out = r;
	return FC_OK;
}

void
fc_recognizer_free(fc_recognizer *r)
{
	fc_allocator a;

	if (r == NULL)
		return;
	a = r->allocator;
	a.free(a.ctx, r->arena);
	a.free(a.ctx, r);
}

double
fc_recognizer_flops(const fc_recognizer *r)
{
	return r->plan.flops;
}

/* face-api's normalize(): (v - mean) / 255, per channel. */
static void
rn_normalize(const float *rgb, float *out)
{
	const size_t npix = (size_t) FC_CHIP_SIZE * FC_CHIP_SIZE;

	for (size_t p = 0; p < npix; p++)
		for (int k = 0; k < 3; k++)
			out[p * 3 + k] = (rgb[p * 3 + k] - rn_mean[k]) / 255.0f;
}

fc_status
fc_recognizer_forward(fc_recognizer *r, const float *rgb, float *descriptor,
					  fc_error *err)
{
	fc_tensor	in = {r->input, FC_CHIP_SIZE, FC_CHIP_SIZE, 3};
	fc_tensor	x = {.data = r->act[0]},
				t1 = {.data = r->act[1]},
				t2 = {.data = r->act[2]},
				pooled = {.data = r->act[3]};

	rn_normalize(rgb, r->input);
	fc_conv2d_forward(&r->stem, &in, &t1, r->scratch);
	fc_pool2d_forward(&r->stem_pool, &t1, &x);

	for (size_t i = 0; i < RN_NBLOCKS; i++)
	{
		const rn_block *b = &r->blocks[i];

		if (fc_net_poll(&r->hooks, err) != FC_OK)
			return FC_ERR_CANCELLED;

		fc_conv2d_forward(&b->conv1, &x, &t1, r->scratch);
		fc_conv2d_forward(&b->conv2, &t1, &t2, r->scratch);
		if (b->down)
		{
			fc_tensor	next = {.data = t1.data};

			/* t1 is spent: the block's output goes there and becomes x */
			fc_pool2d_forward(&rn_shortcut_pool, &x, &pooled);
			fc_add(&pooled, &t2, &next, FC_ACT_RELU);
			t1.data = x.data;
			x = next;
		}
		else
			fc_add(&t2, &x, &x, FC_ACT_RELU);
	}

	fc_global_avgpool(&x, r->features);
	fc_dense_forward(r->features, RN_FEATURES, r->fc, NULL, FC_EMBEDDING_DIMS,
					 descriptor);
	return FC_OK;
}
