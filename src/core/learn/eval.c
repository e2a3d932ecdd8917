/*-------------------------------------------------------------------------
 *
 * eval.c
 *	  Pairs of labelled rows and the verification / identification metrics
 *	  computed from them (eval.h).
 *
 * Every metric reads pairs sorted by distance, so each is a merge or a
 * binary search: O(P) or O(log P) after one O(P log P) sort.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/vec/distance.h"
#include "eval.h"
#include "rng.h"

static int
pair_cmp(const void *a, const void *b)
{
	float		x = ((const fc_pair *) a)->d;
	float		y = ((const fc_pair *) b)->d;

	return (x > y) - (x < y);
}

void
fc_pairs_sort(fc_pair *p, int64_t n)
{
	qsort(p, (size_t) n, sizeof(fc_pair), pair_cmp);
}

static float
row_distance(const float *emb, int dims, int64_t i, int64_t j)
{
	return sqrtf(face_l2_squared(emb + i * dims, emb + j * dims, dims));
}

static int
interrupted(const fc_hooks *hooks)
{
	return hooks->interrupted && hooks->interrupted(hooks->interrupt_ctx);
}

fc_status
fc_pairs_build(const float *emb, int64_t n, int dims, const int32_t *person,
			   int64_t max_pairs, uint64_t seed, const fc_hooks *hooks,
			   fc_pairs *out, fc_error *err)
{
	const fc_allocator *a = hooks->allocator;
	int64_t		total = n * (n - 1) / 2;
	int64_t		n_gen = 0;
	int64_t		k;
	int32_t		npeople = 0;
	int64_t    *count;

	memset(out, 0, sizeof(*out));
	for (int64_t i = 0; i < n; i++)
	{
		if (person[i] < 0)
			return fc_fail(err, FC_ERR_INVALID_ARGUMENT, "negative person id");
		if (person[i] + 1 > npeople)
			npeople = person[i] + 1;
	}
	count = a->alloc(a->ctx, sizeof(int64_t) * (npeople + 1));
	if (!count)
		return fc_fail(err, FC_ERR_NOMEM, "no memory for %d person counts", npeople);
	memset(count, 0, sizeof(int64_t) * (npeople + 1));
	for (int64_t i = 0; i < n; i++)
		count[person[i]]++;
	for (int32_t p = 0; p < npeople; p++)
		n_gen += count[p] * (count[p] - 1) / 2;
	a->free(a->ctx, count);
	if (n_gen > max_pairs)
		return fc_fail(err, FC_ERR_INVALID_ARGUMENT,
					   "%lld genuine pairs exceed the limit of %lld pairs",
					   (long long) n_gen, (long long) max_pairs);

	out->impostors_sampled = total > max_pairs;
	out->n_impostor = out->impostors_sampled ? max_pairs - n_gen : total - n_gen;
	out->genuine = a->alloc(a->ctx, sizeof(fc_pair) * (n_gen + 1));
	out->impostor = a->alloc(a->ctx, sizeof(fc_pair) * (out->n_impostor + 1));
	if (!out->genuine || !out->impostor)
	{
		fc_pairs_free(out, hooks);
		return fc_fail(err, FC_ERR_NOMEM, "no memory for %lld pairs", (long long) max_pairs);
	}

	/* genuine pairs (and, when not sampling, impostors) by one triangle sweep */
	k = 0;
	for (int64_t i = 0; i < n; i++)
	{
		if (interrupted(hooks))
		{
			fc_pairs_free(out, hooks);
			return fc_fail(err, FC_ERR_CANCELLED, "cancelled");
		}
		for (int64_t j = i + 1; j < n; j++)
		{
			fc_pair		pr;

			if (person[i] != person[j] && out->impostors_sampled)
				continue;
			pr.d = row_distance(emb, dims, i, j);
			pr.pa = person[i];
			pr.pb = person[j];
			if (person[i] == person[j])
				out->genuine[out->n_genuine++] = pr;
			else
				out->impostor[k++] = pr;
		}
	}
	if (out->impostors_sampled)
	{
		fc_rng		rng;

		fc_rng_seed(&rng, seed);
		while (k < out->n_impostor)
		{
			int64_t		i = (int64_t) fc_rng_below(&rng, (uint64_t) n);
			int64_t		j = (int64_t) fc_rng_below(&rng, (uint64_t) n);

			if (person[i] == person[j])
				continue;
			if ((k & 0xffff) == 0 && interrupted(hooks))
			{
				fc_pairs_free(out, hooks);
				return fc_fail(err, FC_ERR_CANCELLED, "cancelled");
			}
			out->impostor[k].d = row_distance(emb, dims, i, j);
			out->impostor[k].pa = person[i];
			out->impostor[k].pb = person[j];
			k++;
		}
	}
	fc_pairs_sort(out->genuine, out->n_genuine);
	fc_pairs_sort(out->impostor, out->n_impostor);
	return FC_OK;
}

void
fc_pairs_free(fc_pairs *p, const fc_hooks *hooks)
{
	if (p->genuine)
		hooks->allocator->free(hooks->allocator->ctx, p->genuine);
	if (p->impostor)
		hooks->allocator->free(hooks->allocator->ctx, p->impostor);
	p->genuine = p->impostor = NULL;
}

int64_t
fc_count_below(const fc_pair *sorted, int64_t n, double t)
{
	int64_t		lo = 0,
				hi = n;

	while (lo < hi)
	{
		int64_t		mid = lo + (hi - lo) / 2;

		if (sorted[mid].d < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

double
fc_threshold_at_far(const fc_pair *impostor, int64_t n, double far)
{
	int64_t		k;

	if (n == 0)
		return 0.0;
	k = (int64_t) floor(far * (double) n);
	if (k >= n)
		return nextafterf(impostor[n - 1].d, INFINITY);
	return impostor[k].d;
}

double
fc_auc(const fc_pairs *p)
{
	double		sum = 0.0;
	int64_t		j = 0,
				j_eq;

	if (p->n_genuine == 0 || p->n_impostor == 0)
		return NAN;
	/* for each genuine distance: impostors farther count 1, equal ones 1/2 */
	for (int64_t i = 0; i < p->n_genuine; i++)
	{
		float		d = p->genuine[i].d;

		while (j < p->n_impostor && p->impostor[j].d < d)
			j++;
		j_eq = j;
		while (j_eq < p->n_impostor && p->impostor[j_eq].d == d)
			j_eq++;
		sum += (double) (p->n_impostor - j_eq) + 0.5 * (double) (j_eq - j);
	}
	return sum / ((double) p->n_genuine * (double) p->n_impostor);
}

double
fc_eer(const fc_pairs *p)
{
	int64_t		i = 0,
				j = 0;
	double		best = NAN,
				best_gap = INFINITY;

	if (p->n_genuine == 0 || p->n_impostor == 0)
		return NAN;
	/* sweep t over every distance: FAR(t) = j / n_imp, FRR(t) = 1 - i / n_gen */
	for (;;)
	{
		double		far = (double) j / p->n_impostor;
		double		frr = 1.0 - (double) i / p->n_genuine;
		double		gap = fabs(far - frr);
		float		next;

		if (gap < best_gap)
		{
			best_gap = gap;
			best = 0.5 * (far + frr);
		}
		if (i == p->n_genuine && j == p->n_impostor)
			break;
		next = INFINITY;
		if (i < p->n_genuine)
			next = p->genuine[i].d;
		if (j < p->n_impostor && p->impostor[j].d < next)
			next = p->impostor[j].d;
		while (i < p->n_genuine && p->genuine[i].d <= next)
			i++;
		while (j < p->n_impostor && p->impostor[j].d <= next)
			j++;
	}
	return best;
}

double
fc_tar_at_far(const fc_pairs *p, double far)
{
	double		t;

	if (p->n_genuine == 0 || p->n_impostor == 0)
		return NAN;
	t = fc_threshold_at_far(p->impostor, p->n_impostor, far);
	return (double) fc_count_below(p->genuine, p->n_genuine, t) / p->n_genuine;
}

fc_status
fc_rank1(const float *emb, int64_t n, int dims, const int32_t *person,
		 const fc_hooks *hooks, double *rank1, fc_error *err)
{
	int64_t		queries = 0,
				hits = 0;

	for (int64_t i = 0; i < n; i++)
	{
		float		best = INFINITY;
		int64_t		nearest = -1;
		int			has_mate = 0;

		if (interrupted(hooks))
			return fc_fail(err, FC_ERR_CANCELLED, "cancelled");
		for (int64_t j = 0; j < n; j++)
		{
			float		d;

			if (j == i)
				continue;
			if (person[j] == person[i])
				has_mate = 1;
			d = face_l2_squared(emb + i * dims, emb + j * dims, dims);
			if (d < best)
			{
				best = d;
				nearest = j;
			}
		}
		if (!has_mate)
			continue;
		queries++;
		hits += person[nearest] == person[i];
	}
	*rank1 = queries ? (double) hits / queries : -1.0;
	return FC_OK;
}

fc_status
fc_eval_embeddings(const float *emb, int64_t n, int dims, const int32_t *person,
				   int64_t max_pairs, uint64_t seed, const fc_hooks *hooks,
				   fc_eval_report *out, fc_error *err)
{
	fc_pairs	p;
	fc_status	st;

	st = fc_pairs_build(emb, n, dims, person, max_pairs, seed, hooks, &p, err);
	if (st != FC_OK)
		return st;
	out->genuine = p.n_genuine;
	out->impostor = p.n_impostor;
	out->auc = fc_auc(&p);
	out->eer = fc_eer(&p);
	out->tar_at_far_1e3 = p.n_impostor * 1e-3 >= FC_MIN_FALSE_ACCEPTS ? fc_tar_at_far(&p, 1e-3) : -1.0;
	fc_pairs_free(&p, hooks);
	return fc_rank1(emb, n, dims, person, hooks, &out->rank1, err);
}
