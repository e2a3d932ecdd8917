/*-------------------------------------------------------------------------
 *
 * test_learn_calibrate.c
 *	  Unit test of src/core/learn/calibrate.c: Platt's fit recovers the
 *	  logistic the data were drawn from; the isotonic fit is non-increasing
 *	  and close to it; thresholds chosen by cross-validation over people hold
 *	  on people outside the data (FAR realised on 10 fresh populations at
 *	  most 2x the target on average), where the plain quantile is also
 *	  reported.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/learn/calibrate.h"
#include "core/learn/rng.h"
#include "unit_check.h"

static const fc_hooks hooks = {&fc_malloc_allocator, NULL, NULL};

/* n distances uniform in [0, 2), "same" with P = 1 / (1 + exp(A d + B)) */
static void
draw_logistic(fc_pairs *p, int64_t n, double A, double B, uint64_t seed)
{
	fc_rng		rng;

	fc_rng_seed(&rng, seed);
	memset(p, 0, sizeof(*p));
	p->genuine = malloc(sizeof(fc_pair) * n);
	p->impostor = malloc(sizeof(fc_pair) * n);
	for (int64_t i = 0; i < n; i++)
	{
		fc_pair		pr = {(float) (2.0 * fc_rng_uniform(&rng)), 0, 0};
		double		prob = 1.0 / (1.0 + exp(A * pr.d + B));

		if (fc_rng_uniform(&rng) < prob)
			p->genuine[p->n_genuine++] = pr;
		else
			p->impostor[p->n_impostor++] = pr;
	}
	fc_pairs_sort(p->genuine, p->n_genuine);
	fc_pairs_sort(p->impostor, p->n_impostor);
}

static void
test_platt(void)
{
	const double A = 6.0,
				B = -4.0;
	fc_pairs	p;
	fc_platt	m;
	fc_error	err;

	draw_logistic(&p, 200000, A, B, 1);
	CHECK(fc_platt_fit(&p, &hooks, &m, &err) == FC_OK, "%s", err.message);
	/* 200k draws: the MLE's standard error is about 1% here */
	CHECK(fabs(m.A - A) < 0.05 * A, "A = %g, not %g", m.A, A);
	CHECK(fabs(m.B - B) < 0.05 * fabs(B), "B = %g, not %g", m.B, B);
	for (double d = 0.0; d < 2.0; d += 0.25)
	{
		double		want = 1.0 / (1.0 + exp(A * d + B));

		CHECK(fabs(fc_platt_prob(&m, d) - want) < 0.02, "P(%g) = %g, not %g", d, fc_platt_prob(&m, d), want);
	}
	/* extreme arguments stay finite and in [0, 1] */
	CHECK(fc_platt_prob(&m, 1e6) >= 0 && fc_platt_prob(&m, 1e6) < 1e-100, "P(1e6) = %g", fc_platt_prob(&m, 1e6));
	CHECK(fc_platt_prob(&m, -1e6) == 1.0, "P(-1e6) = %g", fc_platt_prob(&m, -1e6));

	/* one class only is an error, not a division by zero */
	{
		fc_pairs	one = p;

		one.n_impostor = 0;
		CHECK(fc_platt_fit(&one, &hooks, &m, &err) == FC_ERR_INVALID_ARGUMENT, "one class accepted");
	}
	free(p.genuine);
	free(p.impostor);
}

static void
test_isotonic(void)
{
	const double A = 6.0,
				B = -4.0;
	fc_pairs	p;
	fc_isotonic iso;
	fc_error	err;

	draw_logistic(&p, 200000, A, B, 2);
	CHECK(fc_isotonic_fit(&p, &hooks, &iso, &err) == FC_OK, "%s", err.message);
	CHECK(iso.m >= 2 && iso.m <= FC_ISOTONIC_MAX_KNOTS, "%d knots", iso.m);
	for (int k = 1; k < iso.m; k++)
	{
		CHECK(iso.x[k] >= iso.x[k - 1], "knot %d: x decreases", k);
		CHECK(iso.y[k] <= iso.y[k - 1], "knot %d: y increases (%g after %g)", k, iso.y[k], iso.y[k - 1]);
	}
	for (double d = 0.1; d < 1.95; d += 0.2)
	{
		double		want = 1.0 / (1.0 + exp(A * d + B));
		double		got = fc_isotonic_prob(iso.x, iso.y, iso.m, d);

		CHECK(fabs(got - want) < 0.05, "isotonic P(%g) = %g, not %g", d, got, want);
	}
	free(iso.x);
	free(iso.y);
	free(p.genuine);
	free(p.impostor);
}

/*
 * People as points of a low-dimensional space whose rows scatter around
 * them, with person-level variation of the spread (some people are tight,
 * some loose) so that a population's impostor tail depends on who is in it.
 */
static void
draw_people(float *emb, int32_t *person, int npeople, int per, int dims, fc_rng *rng)
{
	for (int p = 0; p < npeople; p++)
	{
		float		centre[16];
		double		spread = 0.2 + 0.5 * fc_rng_uniform(rng) * fc_rng_uniform(rng);

		for (int d = 0; d < dims; d++)
			centre[d] = (float) fc_rng_normal(rng);
		for (int k = 0; k < per; k++)
		{
			int			row = p * per + k;

			person[row] = p;
			for (int d = 0; d < dims; d++)
				emb[row * dims + d] = centre[d] + (float) (spread * fc_rng_normal(rng));
		}
	}
}

static void
test_thresholds_hold_on_new_people(void)
{
	enum
	{
		PEOPLE = 40, PER = 10, DIMS = 8, ROWS = PEOPLE * PER
	};
	const double fars[2] = {1e-2, 1e-3};
	static float emb[ROWS * DIMS];
	static int32_t person[ROWS];
	fc_far_threshold thr[2];
	fc_pairs	p;
	fc_error	err;
	fc_rng		rng;
	double		realised[2] = {0, 0},
				realised_plain[2] = {0, 0};
	const int	populations = 10;

	fc_rng_seed(&rng, 3);
	draw_people(emb, person, PEOPLE, PER, DIMS, &rng);
	CHECK(fc_pairs_build(emb, ROWS, DIMS, person, 1 << 30, 1, &hooks, &p, &err) == FC_OK, "%s", err.message);
	CHECK(p.n_genuine == PEOPLE * PER * (PER - 1) / 2, "%lld genuine pairs", (long long) p.n_genuine);
	CHECK(p.n_impostor == (int64_t) ROWS * (ROWS - 1) / 2 - p.n_genuine, "%lld impostor pairs", (long long) p.n_impostor);
	CHECK(fc_calibrate_thresholds(&p, PEOPLE, fars, 2, 5, 7, &hooks, thr, &err) == FC_OK, "%s", err.message);
	CHECK(thr[0].threshold > 0 && thr[1].threshold > 0, "thresholds %g %g", thr[0].threshold, thr[1].threshold);
	CHECK(thr[1].threshold <= thr[0].threshold, "1e-3 threshold above the 1e-2 one");
	CHECK(thr[0].factor <= 1.0 && thr[0].cv_far <= fars[0], "factor %g, cv FAR %g", thr[0].factor, thr[0].cv_far);

	/* fresh populations of the same kind: the threshold's realised FAR */
	for (int pop = 0; pop < populations; pop++)
	{
		static float emb2[ROWS * DIMS];
		static int32_t person2[ROWS];
		fc_pairs	q;

		draw_people(emb2, person2, PEOPLE, PER, DIMS, &rng);
		CHECK(fc_pairs_build(emb2, ROWS, DIMS, person2, 1 << 30, 1, &hooks, &q, &err) == FC_OK, "%s", err.message);
		for (int f = 0; f < 2; f++)
		{
			realised[f] += (double) fc_count_below(q.impostor, q.n_impostor, thr[f].threshold) / q.n_impostor;
			realised_plain[f] += (double) fc_count_below(q.impostor, q.n_impostor,
														 fc_threshold_at_far(p.impostor, p.n_impostor, fars[f])) / q.n_impostor;
		}
		fc_pairs_free(&q, &hooks);
	}
	for (int f = 0; f < 2; f++)
	{
		realised[f] /= populations;
		realised_plain[f] /= populations;
		printf("FAR %g: threshold %.4f (factor %.3f), realised on new people %.2e (plain quantile %.2e)\n",
			   fars[f], thr[f].threshold, thr[f].factor, realised[f], realised_plain[f]);
		CHECK(realised[f] <= 2.0 * fars[f], "FAR %g realised %g on new people", fars[f], realised[f]);
	}

	/* a FAR the data cannot support gets no threshold */
	{
		const double tiny = 1e-7;
		fc_far_threshold t;

		CHECK(fc_calibrate_thresholds(&p, PEOPLE, &tiny, 1, 2, 7, &hooks, &t, &err) == FC_OK, "%s", err.message);
		CHECK(t.threshold < 0, "1e-7 on %lld impostors got threshold %g", (long long) p.n_impostor, t.threshold);
	}
	fc_pairs_free(&p, &hooks);
}

static void
test_metrics(void)
{
	/* genuine {0.1, 0.2, 0.5}, impostor {0.4, 0.6, 0.7, 0.8}: 11 of 12 ordered right */
	fc_pair		g[3] = {{0.1f, 0, 0}, {0.2f, 1, 1}, {0.5f, 2, 2}};
	fc_pair		im[4] = {{0.4f, 0, 1}, {0.6f, 0, 2}, {0.7f, 1, 2}, {0.8f, 1, 3}};
	fc_pairs	p = {3, 4, g, im, 0};

	CHECK(fabs(fc_auc(&p) - 11.0 / 12.0) < 1e-12, "AUC %g", fc_auc(&p));
	/* at t in (0.4, 0.5]: FAR 1/4, FRR 1/3; at t in (0.2, 0.4]: FAR 0, FRR 1/3 ... crossing gap 1/12 */
	CHECK(fabs(fc_eer(&p) - (0.25 + 1.0 / 3.0) / 2) < 1e-12, "EER %g", fc_eer(&p));
	CHECK(fc_threshold_at_far(im, 4, 0.0) == 0.4f, "threshold at FAR 0: %g", fc_threshold_at_far(im, 4, 0.0));
	CHECK(fc_threshold_at_far(im, 4, 0.5) == 0.7f, "threshold at FAR 0.5: %g", fc_threshold_at_far(im, 4, 0.5));
	CHECK(fc_count_below(im, 4, 0.7f) == 2, "count below 0.7");
	CHECK(fabs(fc_tar_at_far(&p, 0.0) - 2.0 / 3.0) < 1e-12, "TAR at FAR 0: %g", fc_tar_at_far(&p, 0.0));
}

int
main(void)
{
	test_metrics();
	test_platt();
	test_isotonic();
	test_thresholds_hold_on_new_people();
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	return failures ? 1 : 0;
}
