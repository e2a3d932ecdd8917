/*-------------------------------------------------------------------------
 *
 * test_learn_loss.c
 *	  Unit test of src/core/learn/loss.c: every loss's gradient against
 *	  central finite differences (triplet with each mining, contrastive,
 *	  binary incl. alpha and beta), and that batch-hard and semi-hard mining
 *	  pick the rows they should.
 *
 * Finite differences in double around float inputs: step 1e-3, compared
 * within 2e-3 absolute + 2% relative (the hinge kinks are kept away from by
 * random inputs; a wrong sign or factor misses by far more).
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/learn/loss.h"
#include "core/learn/rng.h"
#include "unit_check.h"

enum
{
	B = 12, DIMS = 5
};

static const int32_t label[B] = {0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3};
static char work[sizeof(double) * B * B + sizeof(int) * 2 * B + sizeof(fc_triplet) * B * B * B];
static fc_triplet frozen[B * B * B];
static int64_t n_frozen;
static int frozen_mean_active;
static float alpha[DIMS];
static float beta = 0.7f;

typedef enum
{
	L_HARD, L_SEMI, L_ALL, L_CONTRASTIVE, L_BINARY, L_FROZEN_SEMI, L_FROZEN_ALL
} which_loss;

static const char *const names[] = {"triplet batch-hard", "triplet semi-hard", "triplet batch-all",
"contrastive", "binary", "triplets mined semi-hard", "triplets mined batch-all"};

static double
loss_of(which_loss w, const float *Y, float *dY, float *da, float *db)
{
	int64_t		active;
	float		tmp_a[DIMS],
				tmp_b;

	switch (w)
	{
		case L_HARD:
			return fc_loss_triplet(Y, label, B, DIMS, 0.5, FC_MINING_BATCH_HARD, work, dY, &active);
		case L_SEMI:
			return fc_loss_triplet(Y, label, B, DIMS, 0.5, FC_MINING_SEMI_HARD, work, dY, &active);
		case L_ALL:
			return fc_loss_triplet(Y, label, B, DIMS, 0.5, FC_MINING_BATCH_ALL, work, dY, &active);
		case L_CONTRASTIVE:
			return fc_loss_contrastive(Y, label, B, DIMS, 1.0, work, dY);
		case L_BINARY:
			return fc_loss_binary(Y, label, B, DIMS, alpha, beta, dY, da ? da : tmp_a, db ? db : &tmp_b);
		case L_FROZEN_SEMI:
		case L_FROZEN_ALL:
			{
				/* the triplets mined at the unperturbed point, held fixed */
				double		D[B * B];

				fc_loss_distances(Y, B, DIMS, D);
				return fc_loss_triplet_list(Y, B, DIMS, D, frozen, n_frozen, 0.5, frozen_mean_active, dY, &active);
			}
	}
	return 0;
}

static void
check_gradient(which_loss w, fc_rng *rng)
{
	float		Y[B * DIMS],
				dY[B * DIMS],
				scratch[B * DIMS],
				da[DIMS],
				db;
	const double h = 1e-3;
	int			bad = 0;

	for (int i = 0; i < B * DIMS; i++)
		Y[i] = (float) (0.6 * fc_rng_normal(rng) + (label[i / DIMS] == i % DIMS ? 0.5 : 0));
	if (w == L_FROZEN_SEMI || w == L_FROZEN_ALL)
	{
		/*
		 * Semi-hard and batch-all select (and batch-all counts) triplets by
		 * distance, a step function of Y: their gradient is that of the
		 * selected triplets, checked with the selection frozen.
		 */
		double		D[B * B];
		int			pos[B],
					neg[B];

		fc_loss_distances(Y, B, DIMS, D);
		n_frozen = fc_mine_triplets(D, label, B, 0.5, w == L_FROZEN_SEMI ? FC_MINING_SEMI_HARD : FC_MINING_BATCH_ALL,
									pos, neg, frozen);
		frozen_mean_active = 0;
	}
	loss_of(w, Y, dY, da, &db);
	for (int i = 0; i < B * DIMS; i++)
	{
		float		keep = Y[i];
		double		lp,
					lm,
					num;

		Y[i] = (float) (keep + h);
		lp = loss_of(w, Y, scratch, NULL, NULL);
		Y[i] = (float) (keep - h);
		lm = loss_of(w, Y, scratch, NULL, NULL);
		Y[i] = keep;
		num = (lp - lm) / ((double) (float) (keep + h) - (double) (float) (keep - h));
		if (fabs(num - dY[i]) > 2e-3 + 0.02 * fabs(num))
			bad++;
		if (bad == 1 && fabs(num - dY[i]) > 2e-3 + 0.02 * fabs(num))
			fprintf(stderr, "%s: dL/dY[%d] = %g, finite difference %g\n", names[w], i, dY[i], num);
	}
	CHECK(bad == 0, "%s: %d of %d gradient entries differ", names[w], bad, B * DIMS);
	if (w == L_BINARY)
	{
		for (int k = 0; k <= DIMS; k++)
		{
			float	   *param = k < DIMS ? &alpha[k] : &beta;
			float		keep = *param;
			double		lp,
						lm,
						num,
						an = k < DIMS ? da[k] : db;

			*param = (float) (keep + h);
			lp = loss_of(w, Y, scratch, NULL, NULL);
			*param = (float) (keep - h);
			lm = loss_of(w, Y, scratch, NULL, NULL);
			*param = keep;
			num = (lp - lm) / ((double) (float) (keep + h) - (double) (float) (keep - h));
			CHECK(fabs(num - an) < 2e-3 + 0.02 * fabs(num), "binary: d/d%s%d = %g, finite difference %g",
				  k < DIMS ? "alpha" : "beta", k, an, num);
		}
	}
}

static void
test_mining(void)
{
	/* 1-D rows: person 0 at 0, 1, 3; person 1 at 2.5, 6; person 2 at 10 */
	const float Y[6] = {0, 1, 3, 2.5f, 6, 10};
	const int32_t lab[6] = {0, 0, 0, 1, 1, 2};
	double		D[36];
	int			pos[6],
				neg[6];

	fc_loss_distances(Y, 6, 1, D);
	fc_mine_batch_hard(D, lab, 6, pos, neg);
	CHECK(pos[0] == 2 && neg[0] == 3, "anchor 0: hardest positive %d (want 2), negative %d (want 3)", pos[0], neg[0]);
	CHECK(pos[2] == 0 && neg[2] == 3, "anchor 2: hardest positive %d, negative %d", pos[2], neg[2]);
	CHECK(pos[3] == 4 && neg[3] == 2, "anchor 3: hardest positive %d, negative %d", pos[3], neg[3]);
	CHECK(pos[5] == -1 && neg[5] == 4, "anchor 5 (alone): positive %d, negative %d", pos[5], neg[5]);
	/* (0, 1): d_ap = 1; negatives at 2.5 (inside 1 + 2 margin), 6, 10 -> 3 */
	CHECK(fc_mine_semi_hard(D, lab, 6, 0, 1, 2.0) == 3, "semi-hard for (0, 1)");
	/* margin 1: no negative in (1, 2) -> the farthest, 5 */
	CHECK(fc_mine_semi_hard(D, lab, 6, 0, 1, 1.0) == 5, "semi-hard fallback for (0, 1)");
}

int
main(void)
{
	fc_rng		rng;

	fc_rng_seed(&rng, 11);
	for (int k = 0; k < DIMS; k++)
		alpha[k] = (float) (1.0 + 0.3 * k);
	test_mining();
	for (int trial = 0; trial < 3; trial++)
	{
		/* batch-hard's max and min are continuous: the whole function is checked */
		check_gradient(L_HARD, &rng);
		check_gradient(L_CONTRASTIVE, &rng);
		check_gradient(L_BINARY, &rng);
		check_gradient(L_FROZEN_SEMI, &rng);
		check_gradient(L_FROZEN_ALL, &rng);
	}
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	return failures ? 1 : 0;
}
