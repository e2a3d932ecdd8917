/*-------------------------------------------------------------------------
 *
 * netutil.h
 *	  What the networks (recognizer.c, landmarks.c) share: carving their
 *	  run-state buffers out of one allocation, binding weights to layer
 *	  descriptors with shape checks, and polling the cancellation hook.
 *	  Private to the core's network code.
 *
 *-------------------------------------------------------------------------
 */
#ifndef FC_NETUTIL_H
#define FC_NETUTIL_H

#include "core/fc_common.h"
#include "layers.h"
#include "weights.h"

/*
 * A bump arena over a single allocation: networks add up their buffer
 * sizes in a first pass (fc_arena_reserve with base == NULL), allocate once,
 * then carve the same sequence of buffers (fc_arena_take).  Buffers are
 * 64-byte aligned so that vector loads never split cache lines.
 */
typedef struct fc_arena
{
	char	   *base;			/* NULL while sizing */
	size_t		used;
} fc_arena;

/* Reserve (sizing pass) or carve (second pass) nfloats floats. */
float	   *fc_arena_take(fc_arena *arena, size_t nfloats);

/*
 * Run carve(net, arena) once to size the run state, allocate that much
 * through a, and run it again to hand out the buffers.  *block receives the
 * allocation (free it with a->free).  FC_ERR_NOMEM with what in the message.
 */
fc_status	fc_arena_build(const fc_allocator *a, void (*carve) (void *net, fc_arena *arena),
						   void *net, void **block, const char *what, fc_error *err);

/*
 * What a network's init learns while walking its layer table: the largest
 * activation tensor and im2col matrix (in floats) and the FLOP count.
 */
typedef struct fc_net_plan
{
	size_t		max_act;
	size_t		max_scratch;
	double		flops;			/* 2 per multiply-add */
} fc_net_plan;

/* Record that a tensor of h x w x c exists. */
void		fc_plan_tensor(fc_net_plan *plan, int h, int w, int c);

/*
 * Record conv (resp. the depthwise conv) applied to an *h x *w input, and
 * replace *h, *w by its output size.  FC_ERR_INTERNAL if it does not fit.
 */
fc_status	fc_plan_conv(fc_net_plan *plan, const fc_conv2d *conv, int *h, int *w,
						 fc_error *err);
fc_status	fc_plan_dwconv(fc_net_plan *plan, const fc_dwconv2d *conv, int *h, int *w,
						   fc_error *err);

/*
 * Bind conv to the weights "<prefix>/filters" [kh][kw][cin][cout] and
 * "<prefix>/bias" [cout]; kernel geometry, stride, padding and activation
 * are set by the caller beforehand.  FC_ERR_MODEL if either is missing or
 * mis-shaped.
 */
fc_status	fc_net_bind_conv(const fc_weights *w, const char *prefix,
							 fc_conv2d *conv, fc_error *err);

/*
 * Bind a depthwise-separable convolution as face-api stores it:
 * "<prefix>/depthwise_filter" [3][3][cin] (no bias, no activation) then
 * "<prefix>/pointwise_filter" [1][1][cin][cout] with "<prefix>/bias".
 */
fc_status	fc_net_bind_separable(const fc_weights *w, const char *prefix,
								  int cin, int cout, int stride,
								  fc_dwconv2d *dw, fc_conv2d *pw, fc_error *err);

/* A tensor named name of exactly the given 1-D or 2-D shape (dim1 = 0 for 1-D). */
const float *fc_net_get(const fc_weights *w, const char *name, int dim0, int dim1,
						fc_error *err);

/* FC_ERR_CANCELLED (with a message) if hooks says stop, else FC_OK. */
fc_status	fc_net_poll(const fc_hooks *hooks, fc_error *err);

#endif							/* FC_NETUTIL_H */
