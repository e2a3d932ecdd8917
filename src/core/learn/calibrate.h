/*-------------------------------------------------------------------------
 *
 * calibrate.h
 *	  Calibration of a distance: P(same person | distance) fitted on the
 *	  genuine and impostor pairs of labelled rows (Platt's logistic or an
 *	  isotonic step function), and thresholds at target false-accept rates
 *	  chosen so that they hold on people the data did not contain.
 *
 * LIBLINEAR/LIBSVM style: one function per method, named after its paper,
 * the equations in its comment; inputs are the sorted pairs of eval.h.
 * Plain C, no PostgreSQL headers.
 *
 *-------------------------------------------------------------------------
 */
#ifndef FC_LEARN_CALIBRATE_H
#define FC_LEARN_CALIBRATE_H

#include "eval.h"

/* P(same | d) = 1 / (1 + exp(A d + B)) */
typedef struct fc_platt
{
	double		A;
	double		B;
} fc_platt;

extern fc_status fc_platt_fit(const fc_pairs *p, const fc_hooks *hooks, fc_platt *out, fc_error *err);
extern double fc_platt_prob(const fc_platt *m, double d);

/* Knots of a non-increasing step-linear P(same | d); at most FC_ISOTONIC_MAX_KNOTS. */
#define FC_ISOTONIC_MAX_KNOTS	1024
typedef struct fc_isotonic
{
	int			m;				/* knots */
	double	   *x;				/* ascending distances */
	double	   *y;				/* non-increasing probabilities in [0, 1] */
} fc_isotonic;

/* Arrays from hooks->allocator. */
extern fc_status fc_isotonic_fit(const fc_pairs *p, const fc_hooks *hooks, fc_isotonic *out, fc_error *err);
/* Linear between knots, constant beyond the ends; m >= 1. */
extern double fc_isotonic_prob(const double *x, const double *y, int m, double d);

/* One target FAR's threshold, and the evidence for it. */
typedef struct fc_far_threshold
{
	double		far;			/* target */
	double		threshold;		/* accept d < threshold; -1 when unsupported */
	int64_t		support;		/* impostor pairs of the whole set */
	double		factor;			/* the training quantile taken: factor * far */
	double		cv_far;			/* mean FAR realised on held-out people at that factor */
	double		empirical_cv_far;	/* the same for the plain quantile (factor 1) */
} fc_far_threshold;

/*
 * Thresholds at each of fars[0..nfar) that hold on new people, by repeated
 * 2-fold cross-validation over people (see calibrate.c); splits >= 1
 * repetitions, seeded.  npeople: person ids are 0..npeople-1.
 */
extern fc_status fc_calibrate_thresholds(const fc_pairs *p, int32_t npeople,
										 const double *fars, int nfar, int splits,
										 uint64_t seed, const fc_hooks *hooks,
										 fc_far_threshold *out, fc_error *err);

#endif							/* FC_LEARN_CALIBRATE_H */
