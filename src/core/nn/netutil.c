/*-------------------------------------------------------------------------
 *
 * netutil.c
 *	  Arena, weight binding and cancellation helpers of the networks
 *	  (contracts in netutil.h).
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>

#include "netutil.h"

#define ARENA_ALIGN 64

float *
fc_arena_take(fc_arena *arena, size_t nfloats)
{
	size_t		start = (arena->used + ARENA_ALIGN - 1) & ~(size_t) (ARENA_ALIGN - 1);

	arena->used = start + nfloats * sizeof(float);
	return arena->base ? (float *) (arena->base + start) : NULL;
}

fc_status
fc_arena_build(const fc_allocator *a, void (*carve) (void *net, fc_arena *arena),
			   void *net, void **block, const char *what, fc_error *err)
{
	fc_arena	arena = {NULL, 0};

	carve(net, &arena);
	arena.base = a->alloc(a->ctx, arena.used);
	if (arena.base == NULL)
		return fc_fail(err, FC_ERR_NOMEM, "out of memory for the %s network's buffers (%zu bytes)",
					   what, arena.used);
	arena.used = 0;
	carve(net, &arena);
	*block = arena.base;
	return FC_OK;
}

void
fc_plan_tensor(fc_net_plan *plan, int h, int w, int c)
{
	size_t		n = fc_tensor_size(h, w, c);

	if (n > plan->max_act)
		plan->max_act = n;
}

fc_status
fc_plan_conv(fc_net_plan *plan, const fc_conv2d *conv, int *h, int *w, fc_error *err)
{
	int			oh,
				ow;
	size_t		s = fc_conv2d_scratch(conv, *h, *w);

	fc_conv2d_out_shape(conv, *h, *w, &oh, &ow);
	if (oh <= 0 || ow <= 0)
		return fc_fail(err, FC_ERR_INTERNAL, "a %dx%d convolution does not fit a %dx%d input",
					   conv->kh, conv->kw, *h, *w);
	if (s > plan->max_scratch)
		plan->max_scratch = s;
	plan->flops += 2.0 * oh * ow * conv->kh * conv->kw * conv->cin * conv->cout;
	fc_plan_tensor(plan, oh, ow, conv->cout);
	*h = oh;
	*w = ow;
	return FC_OK;
}

fc_status
fc_plan_dwconv(fc_net_plan *plan, const fc_dwconv2d *conv, int *h, int *w, fc_error *err)
{
	int			oh,
				ow;

	fc_dwconv2d_out_shape(conv, *h, *w, &oh, &ow);
	if (oh <= 0 || ow <= 0)
		return fc_fail(err, FC_ERR_INTERNAL, "a %dx%d depthwise convolution does not fit a %dx%d input",
					   conv->kh, conv->kw, *h, *w);
	plan->flops += 2.0 * oh * ow * conv->kh * conv->kw * conv->c;
	fc_plan_tensor(plan, oh, ow, conv->c);
	*h = oh;
	*w = ow;
	return FC_OK;
}

fc_status
fc_net_bind_conv(const fc_weights *w, const char *prefix, fc_conv2d *conv,
				 fc_error *err)
{
	char		name[128];
	int			fshape[4] = {conv->kh, conv->kw, conv->cin, conv->cout};
	int			bshape[1] = {conv->cout};

	snprintf(name, sizeof(name), "%s/filters", prefix);
	conv->filters = fc_weights_get(w, name, 4, fshape, err);
	if (conv->filters == NULL)
		return FC_ERR_MODEL;
	snprintf(name, sizeof(name), "%s/bias", prefix);
	conv->bias = fc_weights_get(w, name, 1, bshape, err);
	if (conv->bias == NULL)
		return FC_ERR_MODEL;
	return FC_OK;
}

fc_status
fc_net_bind_separable(const fc_weights *w, const char *prefix, int cin, int cout,
					  int stride, fc_dwconv2d *dw, fc_conv2d *pw, fc_error *err)
{
	char		name[128];
	int			dshape[3] = {3, 3, cin};
	int			pshape[4] = {1, 1, cin, cout};
	int			bshape[1] = {cout};

	*dw = (fc_dwconv2d)
	{
		.kh = 3,.kw = 3,.c = cin,.stride = stride,.padding = FC_PAD_SAME,
			.act = FC_ACT_NONE,.bias = NULL
	};
	*pw = (fc_conv2d)
	{
		.kh = 1,.kw = 1,.cin = cin,.cout = cout,.stride = 1,
			.padding = FC_PAD_VALID,.act = FC_ACT_NONE
	};

	snprintf(name, sizeof(name), "%s/depthwise_filter", prefix);
	if ((dw->filters = fc_weights_get(w, name, 3, dshape, err)) == NULL)
		return FC_ERR_MODEL;
	snprintf(name, sizeof(name), "%s/pointwise_filter", prefix);
	if ((pw->filters = fc_weights_get(w, name, 4, pshape, err)) == NULL)
		return FC_ERR_MODEL;
	snprintf(name, sizeof(name), "%s/bias", prefix);
	if ((pw->bias = fc_weights_get(w, name, 1, bshape, err)) == NULL)
		return FC_ERR_MODEL;
	return FC_OK;
}

const float *
fc_net_get(const fc_weights *w, const char *name, int dim0, int dim1, fc_error *err)
{
	int			shape[2] = {dim0, dim1};

	return fc_weights_get(w, name, dim1 > 0 ? 2 : 1, shape, err);
}

fc_status
fc_net_poll(const fc_hooks *hooks, fc_error *err)
{
	return fc_poll(hooks, "network run", err);
}
