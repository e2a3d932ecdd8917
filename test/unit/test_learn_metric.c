/*-------------------------------------------------------------------------
 *
 * test_learn_metric.c
 *	  Unit test of src/core/learn/metric.c: the batch gradient with respect
 *	  to the head's parameters (through the normalisation) against finite
 *	  differences for each loss (step 1e-4: at 1e-3 the hardest rows of
 *	  batch-hard switch within the step); training on people whose embeddings carry a
 *	  nuisance the base metric does not undo improves held-out AUC for each
 *	  loss; the same seed gives the same head, bit for bit; projection
 *	  outputs unit vectors.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/learn/metric.h"
#include "core/learn/rng.h"
#include "unit_check.h"

static const fc_hooks hooks = {&fc_malloc_allocator, NULL, NULL};

enum
{
	DIN = 6, DOUT = 4, B = 12
};

static void
check_head_gradient(fc_metric_loss loss, fc_triplet_mining mining, const char *name)
{
	fc_rng		rng;
	float		W[DOUT * DIN],
				b[DOUT],
				alpha[DOUT],
				X[B * DIN];
	int32_t		lb[B];
	float		dW[DOUT * DIN],
				db[DOUT],
				da[DOUT],
				dbeta,
				sW[DOUT * DIN],
				sb[DOUT],
				sa[DOUT],
				sbeta;
	float		Z[B * DOUT],
				Y[B * DOUT],
				dY[B * DOUT];
	double		zn[B];
	void	   *lw = malloc(fc_loss_work_size(B));
	fc_metric_batch_work w = {Z, Y, dY, zn, lw};
	fc_metric_head h = {DIN, DOUT, W, b, loss == FC_METRIC_BINARY ? alpha : NULL, 0.8f};
	fc_metric_param p = {0};
	const double step = 1e-4;
	int			bad = 0,
				total = 0;

	p.loss = loss;
	p.mining = mining;
	p.margin = 0.6;
	fc_rng_seed(&rng, 5);
	for (int i = 0; i < DOUT * DIN; i++)
		W[i] = (float) (0.5 * fc_rng_normal(&rng));
	for (int k = 0; k < DOUT; k++)
	{
		b[k] = (float) (0.1 * fc_rng_normal(&rng));
		alpha[k] = (float) (1 + 0.2 * k);
	}
	for (int i = 0; i < B; i++)
	{
		lb[i] = i / 3;
		for (int d = 0; d < DIN; d++)
			X[i * DIN + d] = (float) (fc_rng_normal(&rng) + (d == lb[i] ? 1.5 : 0));
	}
	fc_metric_batch(&h, &p, X, lb, B, &w, dW, db, da, &dbeta);

	/* every parameter: W, b, then alpha and beta for the binary head */
	for (int i = 0; i < DOUT * DIN + DOUT + (loss == FC_METRIC_BINARY ? DOUT + 1 : 0); i++)
	{
		float	   *theta = i < DOUT * DIN ? &W[i] :
			i < DOUT * DIN + DOUT ? &b[i - DOUT * DIN] :
			i < DOUT * DIN + 2 * DOUT ? &alpha[i - DOUT * DIN - DOUT] : &h.beta;
		double		an = i < DOUT * DIN ? dW[i] :
			i < DOUT * DIN + DOUT ? db[i - DOUT * DIN] :
			i < DOUT * DIN + 2 * DOUT ? da[i - DOUT * DIN - DOUT] : dbeta;
		float		keep = *theta;
		double		lp,
					lm,
					num;

		*theta = (float) (keep + step);
		lp = fc_metric_batch(&h, &p, X, lb, B, &w, sW, sb, sa, &sbeta);
		*theta = (float) (keep - step);
		lm = fc_metric_batch(&h, &p, X, lb, B, &w, sW, sb, sa, &sbeta);
		*theta = keep;
		num = (lp - lm) / ((double) (float) (keep + step) - (double) (float) (keep - step));
		total++;
		if (fabs(num - an) > 2e-3 + 0.03 * fabs(num))
		{
			if (bad++ == 0)
				fprintf(stderr, "%s: parameter %d: gradient %g, finite difference %g\n", name, i, an, num);
		}
	}
	CHECK(bad == 0, "%s: %d of %d parameter gradients differ", name, bad, total);
	free(lw);
}

/*
 * 40 people in 12-D: identity in dims 0-5, a per-photo nuisance (pose,
 * lighting) three times as strong in dims 6-11.  Euclidean distance on the
 * raw rows is dominated by the nuisance; a head can learn to drop it.
 */
static void
make_people(float *x, int32_t *person, int npeople, int per, fc_rng *rng)
{
	for (int p = 0; p < npeople; p++)
	{
		double		c[6];

		for (int d = 0; d < 6; d++)
			c[d] = fc_rng_normal(rng);
		for (int k = 0; k < per; k++)
		{
			int			r = p * per + k;

			person[r] = p;
			for (int d = 0; d < 6; d++)
				x[r * 12 + d] = (float) (c[d] + 0.3 * fc_rng_normal(rng));
			for (int d = 6; d < 12; d++)
				x[r * 12 + d] = (float) (1.5 * fc_rng_normal(rng));
		}
	}
}

static void
check_training(fc_metric_loss loss, const char *name)
{
	enum
	{
		PEOPLE = 40, PER = 6, N = PEOPLE * PER
	};
	static float x[N * 12];
	static int32_t person[N];
	fc_rng		rng;
	fc_metric_problem prob = {N, 12, x, person, PEOPLE};
	fc_metric_param p = {0};
	fc_metric_head h1,
				h2;
	fc_metric_result r1,
				r2;
	fc_error	err;
	float		y[12];

	fc_rng_seed(&rng, 9);
	make_people(x, person, PEOPLE, PER, &rng);
	p.loss = loss;
	p.mining = FC_MINING_BATCH_HARD;
	p.dims_out = 12;
	p.margin = loss == FC_METRIC_CONTRASTIVE ? 1.0 : 0.3;
	p.epochs = 30;
	p.people_per_batch = 8;
	p.photos_per_person = 4;
	p.learning_rate = 0.01;
	p.weight_decay = 1e-4;
	p.validation = 0.25;
	p.seed = 42;
	p.max_pairs = 1 << 20;
	CHECK(fc_metric_train(&prob, &p, &hooks, NULL, NULL, &h1, &r1, &err) == FC_OK, "%s: %s", name, err.message);
	printf("%s: held-out AUC base %.4f, initial %.4f, trained %.4f; EER %.4f -> %.4f\n", name,
		   r1.base.auc, r1.initial.auc, r1.trained.auc, r1.base.eer, r1.trained.eer);
	CHECK(r1.heldout_people == 10 && r1.train_people == 30, "%s: %d held out, %d trained", name,
		  r1.heldout_people, r1.train_people);
	CHECK(r1.trained.auc > r1.base.auc + 0.03, "%s: AUC %g not above the base %g", name, r1.trained.auc, r1.base.auc);
	CHECK(r1.trained.eer < r1.base.eer, "%s: EER %g not below the base %g", name, r1.trained.eer, r1.base.eer);
	/* identity init: epoch 0 is the base metric on normalised rows */
	CHECK(fabs(r1.initial.auc - r1.base.auc) < 0.05, "%s: initial %g far from base %g", name, r1.initial.auc, r1.base.auc);

	CHECK(fc_metric_train(&prob, &p, &hooks, NULL, NULL, &h2, &r2, &err) == FC_OK, "%s: %s", name, err.message);
	CHECK(memcmp(h1.W, h2.W, sizeof(float) * 12 * 12) == 0 && memcmp(h1.b, h2.b, sizeof(float) * 12) == 0,
		  "%s: same seed, different head", name);

	fc_metric_project(&h1, x, 1, y);
	{
		double		s = 0;

		for (int k = 0; k < 12; k++)
			s += (double) y[k] * y[k];
		CHECK(fabs(s - 1) < 1e-5, "%s: projection norm^2 %g", name, s);
	}
}

static void
check_pca(void)
{
	enum
	{
		PEOPLE = 30, PER = 4, N = PEOPLE * PER
	};
	static float x[N * 12];
	static int32_t person[N];
	fc_rng		rng;
	fc_metric_problem prob = {N, 12, x, person, PEOPLE};
	fc_metric_param p = {0};
	fc_metric_head h;
	fc_metric_result r;
	fc_error	err;

	fc_rng_seed(&rng, 10);
	make_people(x, person, PEOPLE, PER, &rng);
	p.loss = FC_METRIC_TRIPLET;
	p.dims_out = 3;
	p.init_pca = 1;
	p.margin = 0.3;
	p.epochs = 0;
	p.people_per_batch = 8;
	p.photos_per_person = 4;
	p.learning_rate = 0.01;
	p.max_pairs = 1 << 20;
	CHECK(fc_metric_train(&prob, &p, &hooks, NULL, NULL, &h, &r, &err) == FC_OK, "pca: %s", err.message);
	/* rows of W orthonormal */
	for (int a = 0; a < 3; a++)
		for (int c = 0; c < 3; c++)
		{
			double		dot = 0;

			for (int d = 0; d < 12; d++)
				dot += (double) h.W[a * 12 + d] * h.W[c * 12 + d];
			CHECK(fabs(dot - (a == c)) < 1e-4, "pca: W rows %d.%d = %g", a, c, dot);
		}
	CHECK(r.heldout_people == 0 && r.train_rows == N, "pca: no validation asked");
}

int
main(void)
{
	check_head_gradient(FC_METRIC_TRIPLET, FC_MINING_BATCH_HARD, "triplet batch-hard head");
	check_head_gradient(FC_METRIC_CONTRASTIVE, FC_MINING_BATCH_HARD, "contrastive head");
	check_head_gradient(FC_METRIC_BINARY, FC_MINING_BATCH_HARD, "binary head");
	check_training(FC_METRIC_TRIPLET, "triplet");
	check_training(FC_METRIC_CONTRASTIVE, "contrastive");
	check_training(FC_METRIC_BINARY, "binary");
	check_pca();
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	return failures ? 1 : 0;
}
