/*-------------------------------------------------------------------------
 *
 * eval.h
 *	  Verification and identification metrics of an embedding space on
 *	  labelled rows: the pairs (genuine: same person; impostor: different
 *	  people) with their Euclidean distances, and from them AUC, equal error
 *	  rate, FAR and TAR at a threshold, the threshold at a FAR, and rank-1
 *	  identification accuracy.  Shared by calibration, the trainers' reports
 *	  and the benchmarks.
 *
 * Convention everywhere: a pair is accepted ("same person") when its
 * distance is strictly below the threshold, as face_verify() does.
 *
 * Plain C, no PostgreSQL headers; allocation through fc_hooks.
 *
 *-------------------------------------------------------------------------
 */
#ifndef FC_LEARN_EVAL_H
#define FC_LEARN_EVAL_H

#include <stdint.h>

#include "core/fc_common.h"

/* A threshold at FAR f "rests on" the impostor pairs: at least this many of
 * them must fall below it (f * impostors >= FC_MIN_FALSE_ACCEPTS) */
#define FC_MIN_FALSE_ACCEPTS	10

typedef struct fc_pair
{
	float		d;				/* Euclidean distance */
	int32_t		pa;				/* person of the first row */
	int32_t		pb;				/* person of the second row (== pa for genuine) */
} fc_pair;

typedef struct fc_pairs
{
	int64_t		n_genuine;
	int64_t		n_impostor;
	fc_pair    *genuine;		/* sorted by d, ascending */
	fc_pair    *impostor;		/* sorted by d, ascending */
	int			impostors_sampled;	/* 1 if not every impostor pair is there */
} fc_pairs;

/*
 * Every genuine pair of the n rows (emb row-major, person[i] in 0..) and
 * every impostor pair, or, when there are more than max_pairs pairs in all,
 * max_pairs - genuine impostor pairs drawn uniformly (seeded).  FC_ERR_
 * INVALID_ARGUMENT when the genuine pairs alone exceed max_pairs.  Arrays
 * come from hooks->allocator (fc_pairs_free gives them back).
 */
extern fc_status fc_pairs_build(const float *emb, int64_t n, int dims, const int32_t *person,
								int64_t max_pairs, uint64_t seed, const fc_hooks *hooks,
								fc_pairs *out, fc_error *err);
extern void fc_pairs_free(fc_pairs *p, const fc_hooks *hooks);
/* Sort pairs by distance (ascending). */
extern void fc_pairs_sort(fc_pair *p, int64_t n);

/* Count of sorted[0..n) with d < t. */
extern int64_t fc_count_below(const fc_pair *sorted, int64_t n, double t);
/*
 * The threshold whose FAR on these sorted impostors is at most far and
 * largest: the distance of impostor floor(far * n) (accepting d < it admits
 * at most floor(far * n) impostors).
 */
extern double fc_threshold_at_far(const fc_pair *impostor, int64_t n, double far);
/* Area under the ROC: P(genuine distance < impostor distance), ties count half. */
extern double fc_auc(const fc_pairs *p);
/* Equal error rate: where FAR(t) and FRR(t) = 1 - TAR(t) cross (their mean there). */
extern double fc_eer(const fc_pairs *p);
/* TAR at the threshold of FAR far on these impostors. */
extern double fc_tar_at_far(const fc_pairs *p, double far);

/*
 * Rank-1 identification: the share of rows, among those whose person has
 * another row, whose nearest other row (Euclidean) is of the same person.
 * -1 if no person has two rows.  Polls hooks->interrupted per row.
 */
extern fc_status fc_rank1(const float *emb, int64_t n, int dims, const int32_t *person,
						  const fc_hooks *hooks, double *rank1, fc_error *err);

/* The four figures every trainer reports for one embedding space. */
typedef struct fc_eval_report
{
	int64_t		genuine;		/* pairs they rest on */
	int64_t		impostor;
	double		auc;
	double		eer;
	double		tar_at_far_1e3; /* -1 when fewer than 10 / 1e-3 impostor pairs */
	double		rank1;			/* -1 when no person has two rows */
} fc_eval_report;

/* fc_pairs_build + the report; pairs freed before return. */
extern fc_status fc_eval_embeddings(const float *emb, int64_t n, int dims, const int32_t *person,
									int64_t max_pairs, uint64_t seed, const fc_hooks *hooks,
									fc_eval_report *out, fc_error *err);

#endif							/* FC_LEARN_EVAL_H */
