/*-------------------------------------------------------------------------
 *
 * test_learn_eval.c
 *	  Unit test of src/core/learn/eval.c (pairs, rank-1), vote.c (the
 *	  weighted k-NN vote with unknown rejection) and rng.c (determinism,
 *	  range).
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/learn/eval.h"
#include "core/learn/rng.h"
#include "core/learn/vote.h"
#include "unit_check.h"

static const fc_hooks hooks = {&fc_malloc_allocator, NULL, NULL};

static void
test_pairs_and_rank1(void)
{
	/* 1-D rows: person 0 at 0, 0.1; person 1 at 1, 1.1; person 2 at 0.12 (alone) */
	const float emb[5] = {0.0f, 0.1f, 1.0f, 1.1f, 0.12f};
	const int32_t person[5] = {0, 0, 1, 1, 2};
	fc_pairs	p;
	fc_error	err;
	double		r1;

	CHECK(fc_pairs_build(emb, 5, 1, person, 100, 1, &hooks, &p, &err) == FC_OK, "%s", err.message);
	CHECK(p.n_genuine == 2 && p.n_impostor == 8 && !p.impostors_sampled, "%lld/%lld pairs",
		  (long long) p.n_genuine, (long long) p.n_impostor);
	CHECK(fabsf(p.genuine[0].d - 0.1f) < 1e-6 && fabsf(p.genuine[1].d - 0.1f) < 1e-6, "genuine distances");
	CHECK(fabsf(p.impostor[0].d - 0.02f) < 1e-6, "nearest impostor %g", p.impostor[0].d);
	for (int64_t i = 1; i < p.n_impostor; i++)
		CHECK(p.impostor[i].d >= p.impostor[i - 1].d, "impostors not sorted at %lld", (long long) i);
	fc_pairs_free(&p, &hooks);

	/* more pairs than the limit: every genuine pair, sampled impostors up to it */
	CHECK(fc_pairs_build(emb, 5, 1, person, 6, 1, &hooks, &p, &err) == FC_OK, "%s", err.message);
	CHECK(p.n_genuine == 2 && p.n_impostor == 4 && p.impostors_sampled, "sampled %lld/%lld",
		  (long long) p.n_genuine, (long long) p.n_impostor);
	for (int64_t i = 0; i < p.n_impostor; i++)
		CHECK(p.impostor[i].pa != p.impostor[i].pb, "sampled impostor of one person");
	fc_pairs_free(&p, &hooks);
	CHECK(fc_pairs_build(emb, 5, 1, person, 1, 1, &hooks, &p, &err) == FC_ERR_INVALID_ARGUMENT,
		  "genuine pairs over the limit accepted");

	/* rank-1: rows 0 (nearest 0.1: person 0), 1 (nearest 0.12: person 2, a miss), 2, 3 hit; 4 has no mate */
	CHECK(fc_rank1(emb, 5, 1, person, &hooks, &r1, &err) == FC_OK, "%s", err.message);
	CHECK(fabs(r1 - 0.75) < 1e-12, "rank-1 %g, not 0.75", r1);
}

static void
test_vote(void)
{
	double		work[8];
	int			winner;
	double		prob;

	/* A at 0.1 and 0.5, B at 0.2; threshold 0.6: weights A 5/6 + 1/6 = 1, B 2/3 */
	{
		const int	label[3] = {0, 1, 0};
		const double d[3] = {0.1, 0.2, 0.5};

		fc_vote(label, d, 3, 2, 0.6, work, &winner, &prob);
		CHECK(winner == 0 && fabs(prob - 1.0 / (1.0 + 2.0 / 3.0)) < 1e-12, "winner %d p %g", winner, prob);
	}
	/* everyone beyond the threshold: unknown */
	{
		const int	label[2] = {0, 1};
		const double d[2] = {0.6, 0.9};

		fc_vote(label, d, 2, 2, 0.6, work, &winner, &prob);
		CHECK(winner == -1 && prob == 1.0, "winner %d p %g", winner, prob);
	}
	/* a tie in weight goes to the nearer neighbour: B at 0.3 vs A at 0.15 and 0.45 */
	{
		const int	label[3] = {0, 1, 0};
		const double d[3] = {0.15, 0.3, 0.45};

		fc_vote(label, d, 3, 2, 0.6, work, &winner, &prob);
		CHECK(winner == 0, "tie went to %d", winner);
	}
	CHECK(fc_vote_weight(0.0, 0.6) == 1.0 && fc_vote_weight(0.6, 0.6) == 0.0, "weights");
}

static void
test_rng(void)
{
	fc_rng		a,
				b;
	int			perm[10],
				seen[10] = {0};
	double		sum = 0;

	fc_rng_seed(&a, 42);
	fc_rng_seed(&b, 42);
	for (int i = 0; i < 1000; i++)
		CHECK(fc_rng_next(&a) == fc_rng_next(&b), "same seed differs at %d", i);
	fc_rng_seed(&b, 43);
	CHECK(fc_rng_next(&a) != fc_rng_next(&b), "seeds 42 and 43 agree");
	for (int i = 0; i < 100000; i++)
	{
		uint64_t	k = fc_rng_below(&a, 7);

		CHECK(k < 7, "below(7) gave %llu", (unsigned long long) k);
		sum += fc_rng_uniform(&a);
	}
	CHECK(fabs(sum / 100000 - 0.5) < 0.01, "uniform mean %g", sum / 100000);
	for (int i = 0; i < 10; i++)
		perm[i] = i;
	fc_rng_shuffle_int(&a, perm, 10);
	for (int i = 0; i < 10; i++)
		seen[perm[i]]++;
	for (int i = 0; i < 10; i++)
		CHECK(seen[i] == 1, "shuffle lost %d", i);
}

int
main(void)
{
	test_pairs_and_rank1();
	test_vote();
	test_rng();
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	return failures ? 1 : 0;
}
