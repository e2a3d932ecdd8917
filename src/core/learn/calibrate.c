/*-------------------------------------------------------------------------
 *
 * calibrate.c
 *	  P(same | distance) and thresholds at target false-accept rates
 *	  (calibrate.h).
 *
 * Thresholds that hold on new people.  The plain empirical quantile of the
 * impostor distances (the threshold whose FAR on these pairs is f) is biased
 * low for people outside the data: the smallest impostor distances come
 * from the most similar pairs of people, and a new population brings its
 * own, nearer look-alikes (a 1e-3 threshold learnt on 20 people realised
 * 3.5e-3 on 20 others).  So the quantile level is itself chosen by
 * cross-validation over people: split the people in two halves at random
 * (repeated `splits` times, each half in turn the training side), take the
 * training side's impostor quantile at c * f for a grid of factors c <= 1,
 * and measure the FAR it realises on the other side's impostor pairs (both
 * people unseen).  The largest c whose realised FAR, averaged over all
 * splits, is at most f is applied to the impostor pairs of the whole set;
 * when even c = 1/16 does not hold, or f * impostors < FC_MIN_FALSE_ACCEPTS,
 * the data do not support f and there is no threshold.  Halves train on half
 * the people, so the estimate errs on the safe side for the whole set.
 * Aiming at f (not 2 f) on average leaves a factor of two for the final
 * quantile's own sampling error and for a population unlike this one.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <string.h>

#include "calibrate.h"
#include "rng.h"

static int
interrupted(const fc_hooks *hooks)
{
	return hooks->interrupted && hooks->interrupted(hooks->interrupt_ctx);
}

/* log(1 + exp(-z)) without overflow */
static double
log1pexp_neg(double z)
{
	return z >= 0 ? log1p(exp(-z)) : -z + log1p(exp(z));
}

double
fc_platt_prob(const fc_platt *m, double d)
{
	double		f = m->A * d + m->B;

	/* 1 / (1 + exp(f)), stable on both sides */
	return f >= 0 ? exp(-f) / (1.0 + exp(-f)) : 1.0 / (1.0 + exp(f));
}

/*
 * Platt (1999), "Probabilistic outputs for support vector machines", with
 * the Newton method and backtracking line search of Lin, Lin and Weng
 * (2007), "A note on Platt's probabilistic outputs for support vector
 * machines", Algorithm 1 (LIBSVM's sigmoid_train).  Minimises
 *	  F(A, B) = -sum_i [ t_i log p_i + (1 - t_i) log(1 - p_i) ],
 *	  p_i = 1 / (1 + exp(A d_i + B)),
 * with Platt's targets t+ = (N+ + 1) / (N+ + 2) for genuine pairs and
 * t- = 1 / (N- + 2) for impostors (eq. 8 of the note), which keep A, B
 * finite on separable data.  Gradient and Hessian (eq. 10-11):
 *	  g = (sum d_i (t_i - p_i), sum (t_i - p_i)),
 *	  H = sum p_i (1 - p_i) [d_i^2, d_i; d_i, 1] + sigma I.
 */
fc_status
fc_platt_fit(const fc_pairs *p, const fc_hooks *hooks, fc_platt *out, fc_error *err)
{
	const int	max_iter = 100;
	const double min_step = 1e-10,
				sigma = 1e-12,
				eps = 1e-5;
	double		prior1 = (double) p->n_genuine,
				prior0 = (double) p->n_impostor;
	double		hi = (prior1 + 1.0) / (prior1 + 2.0),
				lo = 1.0 / (prior0 + 2.0);
	double		A = 0.0,
				B = log((prior0 + 1.0) / (prior1 + 1.0));
	double		fval = 0.0;
	int			iter;

	if (p->n_genuine == 0 || p->n_impostor == 0)
		return fc_fail(err, FC_ERR_INVALID_ARGUMENT,
					   "calibration needs genuine and impostor pairs (have %lld and %lld)",
					   (long long) p->n_genuine, (long long) p->n_impostor);

#define FOR_EACH_PAIR(...) \
	for (int side = 0; side < 2; side++) \
	{ \
		const fc_pair *pp = side ? p->impostor : p->genuine; \
		int64_t		np = side ? p->n_impostor : p->n_genuine; \
		double		t = side ? lo : hi; \
		for (int64_t i = 0; i < np; i++) \
		{ \
			double		d = pp[i].d; \
			__VA_ARGS__ \
		} \
	}

	/* F(A, B) = sum t f + log(1 + exp(-f)), f = A d + B */
	FOR_EACH_PAIR({
		double		f = A * d + B;

		fval += t * f + log1pexp_neg(f);
	});

	for (iter = 0; iter < max_iter; iter++)
	{
		double		h11 = sigma,
					h22 = sigma,
					h21 = 0.0,
					g1 = 0.0,
					g2 = 0.0;
		double		det,
					dA,
					dB,
					gd,
					step;

		if (interrupted(hooks))
			return fc_fail(err, FC_ERR_CANCELLED, "cancelled");
		FOR_EACH_PAIR({
			double		f = A * d + B;
			double		pr,
						q;

			if (f >= 0)
			{
				pr = exp(-f) / (1.0 + exp(-f));
				q = 1.0 / (1.0 + exp(-f));
			}
			else
			{
				pr = 1.0 / (1.0 + exp(f));
				q = exp(f) / (1.0 + exp(f));
			}
			h11 += d * d * pr * q;
			h22 += pr * q;
			h21 += d * pr * q;
			g1 += d * (t - pr);
			g2 += t - pr;
		});
		if (fabs(g1) < eps * (prior0 + prior1) && fabs(g2) < eps * (prior0 + prior1))
			break;
		/* Newton direction -H^{-1} g */
		det = h11 * h22 - h21 * h21;
		dA = -(h22 * g1 - h21 * g2) / det;
		dB = -(-h21 * g1 + h11 * g2) / det;
		gd = g1 * dA + g2 * dB;
		for (step = 1.0; step >= min_step; step /= 2.0)
		{
			double		nA = A + step * dA,
						nB = B + step * dB,
						nf = 0.0;

			FOR_EACH_PAIR({
				double		f = nA * d + nB;

				nf += t * f + log1pexp_neg(f);
			});
			/* sufficient decrease (Armijo, 1e-4) */
			if (nf < fval + 1e-4 * step * gd)
			{
				A = nA;
				B = nB;
				fval = nf;
				break;
			}
		}
		if (step < min_step)
			break;				/* no progress: the line search failed, keep the best */
	}
#undef FOR_EACH_PAIR
	out->A = A;
	out->B = B;
	return FC_OK;
}

/*
 * Isotonic regression by pool-adjacent-violators (Ayer et al. 1955; Zadrozny
 * and Elkan 2002 for calibration): the non-increasing step function y(d)
 * minimising sum (y(d_i) - s_i)^2, s_i = 1 for genuine pairs, 0 for
 * impostors, over the pairs merged by distance.  Each pooled block becomes a
 * knot (its mean distance, its mean s); more than FC_ISOTONIC_MAX_KNOTS are
 * thinned evenly (first and last kept), which keeps y non-increasing.
 */
fc_status
fc_isotonic_fit(const fc_pairs *p, const fc_hooks *hooks, fc_isotonic *out, fc_error *err)
{
	const fc_allocator *a = hooks->allocator;
	int64_t		n = p->n_genuine + p->n_impostor;
	double	   *sd,
			   *sy,
			   *w;
	int64_t		nb = 0,
				ig = 0,
				ii = 0;

	memset(out, 0, sizeof(*out));
	if (p->n_genuine == 0 || p->n_impostor == 0)
		return fc_fail(err, FC_ERR_INVALID_ARGUMENT,
					   "calibration needs genuine and impostor pairs (have %lld and %lld)",
					   (long long) p->n_genuine, (long long) p->n_impostor);
	sd = a->alloc(a->ctx, sizeof(double) * n);
	sy = a->alloc(a->ctx, sizeof(double) * n);
	w = a->alloc(a->ctx, sizeof(double) * n);
	if (!sd || !sy || !w)
		return fc_fail(err, FC_ERR_NOMEM, "no memory for %lld isotonic blocks", (long long) n);

	while (ig < p->n_genuine || ii < p->n_impostor)
	{
		double		d,
					s;

		if ((nb & 0xffff) == 0 && interrupted(hooks))
			return fc_fail(err, FC_ERR_CANCELLED, "cancelled");
		/* at equal distances genuine first: ties pool anyway */
		if (ii >= p->n_impostor || (ig < p->n_genuine && p->genuine[ig].d <= p->impostor[ii].d))
			d = p->genuine[ig++].d, s = 1.0;
		else
			d = p->impostor[ii++].d, s = 0.0;
		sd[nb] = d;
		sy[nb] = s;
		w[nb] = 1.0;
		nb++;
		/* pool while the previous block's mean is below this one's (violates non-increasing) */
		while (nb > 1 && sy[nb - 2] / w[nb - 2] <= sy[nb - 1] / w[nb - 1])
		{
			sd[nb - 2] += sd[nb - 1];
			sy[nb - 2] += sy[nb - 1];
			w[nb - 2] += w[nb - 1];
			nb--;
		}
	}

	out->m = nb <= FC_ISOTONIC_MAX_KNOTS ? (int) nb : FC_ISOTONIC_MAX_KNOTS;
	out->x = a->alloc(a->ctx, sizeof(double) * out->m);
	out->y = a->alloc(a->ctx, sizeof(double) * out->m);
	if (!out->x || !out->y)
		return fc_fail(err, FC_ERR_NOMEM, "no memory for isotonic knots");
	for (int k = 0; k < out->m; k++)
	{
		int64_t		b = out->m == 1 ? 0 : (int64_t) ((double) k * (nb - 1) / (out->m - 1) + 0.5);

		out->x[k] = sd[b] / w[b];
		out->y[k] = sy[b] / w[b];
	}
	a->free(a->ctx, sd);
	a->free(a->ctx, sy);
	a->free(a->ctx, w);
	return FC_OK;
}

double
fc_isotonic_prob(const double *x, const double *y, int m, double d)
{
	int			lo = 0,
				hi = m - 1;

	if (d <= x[0])
		return y[0];
	if (d >= x[m - 1])
		return y[m - 1];
	/* x[lo] < d < x[hi] */
	while (hi - lo > 1)
	{
		int			mid = (lo + hi) / 2;

		if (x[mid] <= d)
			lo = mid;
		else
			hi = mid;
	}
	if (x[hi] == x[lo])
		return y[lo];
	return y[lo] + (y[hi] - y[lo]) * (d - x[lo]) / (x[hi] - x[lo]);
}

/* Factors of the cross-validated quantile level: 2^(-k/2), k = 0..FACTORS-1 (1 to 1/16). */
#define FACTORS 9

static double
factor_of(int k)
{
	return pow(2.0, -0.5 * k);
}

fc_status
fc_calibrate_thresholds(const fc_pairs *p, int32_t npeople,
						const double *fars, int nfar, int splits,
						uint64_t seed, const fc_hooks *hooks,
						fc_far_threshold *out, fc_error *err)
{
	const fc_allocator *a = hooks->allocator;
	int		   *order = a->alloc(a->ctx, sizeof(int) * (npeople + 1));
	unsigned char *side = a->alloc(a->ctx, npeople + 1);
	fc_pair    *train = a->alloc(a->ctx, sizeof(fc_pair) * (p->n_impostor + 1));
	fc_pair    *test = a->alloc(a->ctx, sizeof(fc_pair) * (p->n_impostor + 1));
	double	   *realised = a->alloc(a->ctx, sizeof(double) * nfar * FACTORS);
	int			rounds = 0;
	fc_rng		rng;

	if (!order || !side || !train || !test || !realised)
		return fc_fail(err, FC_ERR_NOMEM, "no memory for %lld impostor pairs", (long long) p->n_impostor);
	if (npeople < 4)
		return fc_fail(err, FC_ERR_INVALID_ARGUMENT,
					   "thresholds that hold on new people need at least 4 people, not %d", npeople);
	memset(realised, 0, sizeof(double) * nfar * FACTORS);
	fc_rng_seed(&rng, seed);
	for (int i = 0; i < npeople; i++)
		order[i] = i;

	for (int s = 0; s < splits; s++)
	{
		fc_rng_shuffle_int(&rng, order, npeople);
		for (int i = 0; i < npeople; i++)
			side[order[i]] = i < npeople / 2;
		for (int train_side = 0; train_side < 2; train_side++)
		{
			int64_t		ntrain = 0,
						ntest = 0;

			if (interrupted(hooks))
				return fc_fail(err, FC_ERR_CANCELLED, "cancelled");
			/* filtering keeps the distance order: no sort needed */
			for (int64_t i = 0; i < p->n_impostor; i++)
			{
				const fc_pair *pr = &p->impostor[i];

				if (side[pr->pa] != side[pr->pb])
					continue;	/* a pair across the split belongs to neither side */
				if (side[pr->pa] == train_side)
					train[ntrain++] = *pr;
				else
					test[ntest++] = *pr;
			}
			if (ntrain == 0 || ntest == 0)
				continue;
			for (int f = 0; f < nfar; f++)
				for (int k = 0; k < FACTORS; k++)
				{
					double		t = fc_threshold_at_far(train, ntrain, factor_of(k) * fars[f]);

					realised[f * FACTORS + k] += (double) fc_count_below(test, ntest, t) / ntest;
				}
			rounds++;
		}
	}

	for (int f = 0; f < nfar; f++)
	{
		int			k;
		int			unsupported;

		for (k = 0; k < FACTORS; k++)
			if (rounds == 0 || realised[f * FACTORS + k] / rounds <= fars[f])
				break;
		/* no factor holds on held-out people: this FAR is beyond the data */
		unsupported = k == FACTORS;
		if (unsupported)
			k = FACTORS - 1;
		out[f].far = fars[f];
		out[f].factor = factor_of(k);
		out[f].cv_far = rounds ? realised[f * FACTORS + k] / rounds : NAN;
		out[f].empirical_cv_far = rounds ? realised[f * FACTORS] / rounds : NAN;
		out[f].support = p->n_impostor;
		if (!unsupported && fars[f] * (double) p->n_impostor >= FC_MIN_FALSE_ACCEPTS)
			out[f].threshold = fc_threshold_at_far(p->impostor, p->n_impostor, out[f].factor * fars[f]);
		else
			out[f].threshold = -1.0;
	}
	a->free(a->ctx, order);
	a->free(a->ctx, side);
	a->free(a->ctx, train);
	a->free(a->ctx, test);
	a->free(a->ctx, realised);
	return FC_OK;
}
