/*-------------------------------------------------------------------------
 *
 * optim.h
 *	  Adam (Kingma and Ba 2015) with decoupled weight decay (AdamW,
 *	  Loshchilov and Hutter 2019), for the metric heads.  One fc_adam per
 *	  parameter tensor; its moments live in the caller's arrays.
 *
 *-------------------------------------------------------------------------
 */
#ifndef FC_LEARN_OPTIM_H
#define FC_LEARN_OPTIM_H

typedef struct fc_adam
{
	int			n;				/* parameters */
	float	   *m;				/* first moment, n (zeroed by the caller) */
	float	   *v;				/* second moment, n (zeroed by the caller) */
	double		lr;
	double		weight_decay;	/* decoupled: theta -= lr * wd * theta */
	long		t;				/* steps taken */
} fc_adam;

/*
 * One step (Algorithm 1 of Kingma and Ba, beta1 0.9, beta2 0.999,
 * eps 1e-8, bias-corrected), then decay:
 *	  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
 *	  theta -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps) + lr * wd * theta
 */
extern void fc_adam_step(fc_adam *opt, float *theta, const float *grad);

#endif							/* FC_LEARN_OPTIM_H */
