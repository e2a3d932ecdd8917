/*-------------------------------------------------------------------------
 *
 * activation.h
 *	  The one definition of the activations (the switch over
 *	  fc_activation), inlined into each kernel that applies one: the plain
 *	  and fused-bias activations (layers.c) and the depthwise convolution's
 *	  blocks and tails (dwconv.c).  Include it after fc_simd.h, so that it
 *	  is compiled once per instruction-set clone of its caller.
 *
 *-------------------------------------------------------------------------
 */
#ifndef FC_ACTIVATION_H
#define FC_ACTIVATION_H

#include <stddef.h>

#include "fc_simd.h"
#include "layers.h"

/* x[i] = act(x[i]) for i < n; slope is FC_ACT_LEAKY's negative slope. */
FC_CLONE_INLINE void
fc_activate_inline(float *restrict x, size_t n, fc_activation act, float slope)
{
	/* one loop per activation so that each one vectorises */
	switch (act)
	{
		case FC_ACT_NONE:
			break;
		case FC_ACT_RELU:
			for (size_t i = 0; i < n; i++)
				x[i] = x[i] > 0.0f ? x[i] : 0.0f;
			break;
		case FC_ACT_RELU6:
			for (size_t i = 0; i < n; i++)
			{
				float		v = x[i] > 0.0f ? x[i] : 0.0f;

				x[i] = v < 6.0f ? v : 6.0f;
			}
			break;
		case FC_ACT_LEAKY:
			for (size_t i = 0; i < n; i++)
				x[i] = x[i] > 0.0f ? x[i] : slope * x[i];
			break;
	}
}

#endif							/* FC_ACTIVATION_H */
