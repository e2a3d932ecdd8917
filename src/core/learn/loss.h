/*-------------------------------------------------------------------------
 *
 * loss.h
 *	  The metric-learning losses over one batch of outputs Y (B rows of
 *	  dims, row-major) with person labels, each returning the loss and its
 *	  gradient dL/dY (and, for the binary head, dL/d(alpha, beta)); and the
 *	  triplet mining they use.  Distances are Euclidean,
 *	  d(a, b) = sqrt(|a - b|^2 + FC_LOSS_EPS) (smooth at 0).
 *
 * Every gradient is checked against finite differences in
 * test/unit/test_learn_loss.c.  Plain C; work memory from the caller.
 *
 *-------------------------------------------------------------------------
 */
#ifndef FC_LEARN_LOSS_H
#define FC_LEARN_LOSS_H

#include <stdint.h>

#define FC_LOSS_EPS 1e-12

typedef enum fc_triplet_mining
{
	FC_MINING_BATCH_HARD,		/* Hermans, Beyer, Leibe 2017: hardest p and n per anchor */
	FC_MINING_SEMI_HARD,		/* Schroff, Kalenichenko, Philbin 2015 (FaceNet) */
	FC_MINING_BATCH_ALL			/* Hermans et al. 2017: every valid triplet */
} fc_triplet_mining;

/* Euclidean distances of every pair of rows: D[i * B + j] (B * B doubles). */
extern void fc_loss_distances(const float *Y, int B, int dims, double *D);

/*
 * Batch-hard mining: for each anchor i, pos[i] = the farthest row of the
 * same person (-1 if none), neg[i] = the nearest row of another person
 * (-1 if none).  D from fc_loss_distances.
 */
extern void fc_mine_batch_hard(const double *D, const int32_t *label, int B, int *pos, int *neg);

/*
 * Semi-hard negative for the positive pair (a, p): the nearest negative n
 * with d(a, p) < d(a, n) < d(a, p) + margin; if there is none, the farthest
 * negative (FaceNet's fallback in common implementations); -1 if a has no
 * negative at all.
 */
extern int	fc_mine_semi_hard(const double *D, const int32_t *label, int B, int a, int p, double margin);

typedef struct fc_triplet
{
	int			a,
				p,
				n;				/* anchor, positive, negative: rows of the batch */
} fc_triplet;

/* Bytes of work memory the batch losses need for a batch of B rows. */
extern size_t fc_loss_work_size(int B);

/*
 * The triplets a mining selects from distances D: batch-hard one per
 * anchor (pos, neg: B ints each of scratch), semi-hard one per positive
 * pair, batch-all every (a, p, n).  out holds up to B^3; returns the count.
 */
extern int64_t fc_mine_triplets(const double *D, const int32_t *label, int B, double margin,
								fc_triplet_mining mining, int *pos, int *neg, fc_triplet *out);

/*
 * Triplet loss (the seed's formula) over given triplets:
 * L = sum max(d(a,p) - d(a,n) + margin, 0) / count, count = n, or the
 * triplets with a positive loss when mean_over_active (batch-all,
 * Hermans et al.'s "non-zero" mean).  dY (B * dims) is overwritten.
 */
extern double fc_loss_triplet_list(const float *Y, int B, int dims, const double *D,
								   const fc_triplet *t, int64_t n, double margin,
								   int mean_over_active, float *dY, int64_t *active);

/* Mining + fc_loss_triplet_list; work: fc_loss_work_size(B) bytes. */
extern double fc_loss_triplet(const float *Y, const int32_t *label, int B, int dims, double margin,
							  fc_triplet_mining mining, void *work, float *dY, int64_t *active);

/*
 * Contrastive loss (Hadsell, Chopra, LeCun 2006), the seed's formula with
 * Y = 0 for the same person: L = 1/2 d^2 for genuine pairs,
 * 1/2 max(0, margin - d)^2 for impostors; the mean over genuine pairs and
 * the mean over impostor pairs are averaged (a P x K batch holds far more
 * impostors).  work: fc_loss_work_size(B) bytes.
 */
extern double fc_loss_contrastive(const float *Y, const int32_t *label, int B, int dims, double margin,
								  void *work, float *dY);

/*
 * Koch, Zemel, Salakhutdinov 2015's siamese classifier: for each pair
 * p = sigmoid(beta - sum_k alpha_k |y1_k - y2_k|), cross-entropy against
 * same = 1; genuine and impostor pairs weighted to count equally.  Adds
 * nothing to dalpha/dbeta: overwrites them (dims and 1 floats).
 */
extern double fc_loss_binary(const float *Y, const int32_t *label, int B, int dims,
							 const float *alpha, float beta, float *dY, float *dalpha, float *dbeta);

/* The binary head's P(same) for two outputs. */
extern double fc_binary_probability(const float *y1, const float *y2, int dims, const float *alpha, float beta);

#endif							/* FC_LEARN_LOSS_H */
