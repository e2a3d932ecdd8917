/*-------------------------------------------------------------------------
 *
 * optim.c
 *	  AdamW (optim.h).
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>

#include "optim.h"

void
fc_adam_step(fc_adam *opt, float *theta, const float *grad)
{
	const double b1 = 0.9,
				b2 = 0.999,
				eps = 1e-8;
	double		c1,
				c2;

	opt->t++;
	c1 = 1.0 - pow(b1, (double) opt->t);
	c2 = 1.0 - pow(b2, (double) opt->t);
	for (int i = 0; i < opt->n; i++)
	{
		double		g = grad[i];
		double		m = b1 * opt->m[i] + (1 - b1) * g;
		double		v = b2 * opt->v[i] + (1 - b2) * g * g;

		opt->m[i] = (float) m;
		opt->v[i] = (float) v;
		theta[i] -= (float) (opt->lr * (m / c1) / (sqrt(v / c2) + eps) + opt->lr * opt->weight_decay * theta[i]);
	}
}
