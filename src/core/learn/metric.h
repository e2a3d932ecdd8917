/*-------------------------------------------------------------------------
 *
 * metric.h
 *	  A metric head on top of the fixed recognition network: a linear
 *	  projection y = normalize(W x + b), trained on labelled embeddings with
 *	  a triplet, contrastive or binary (Koch et al.) loss over batches of
 *	  P people x K photos, and evaluated on held-out people.
 *
 * LIBLINEAR style: the problem (the rows) and the parameters are structs
 * passed explicitly; training fills a head (the fitted model) and a
 * result (its evaluation).  Deterministic for a seed on one kernel set.
 * Plain C; allocation through fc_hooks, cancellation polled per batch.
 *
 *-------------------------------------------------------------------------
 */
#ifndef FC_LEARN_METRIC_H
#define FC_LEARN_METRIC_H

#include <stdint.h>

#include "core/fc_common.h"
#include "eval.h"
#include "loss.h"

typedef enum fc_metric_loss
{
	FC_METRIC_TRIPLET,
	FC_METRIC_CONTRASTIVE,
	FC_METRIC_BINARY
} fc_metric_loss;

typedef struct fc_metric_problem
{
	int64_t		n;				/* rows */
	int			dims;			/* input dimension */
	const float *x;				/* n * dims, row-major */
	const int32_t *person;		/* n person ids, 0..npeople-1 */
	int32_t		npeople;
} fc_metric_problem;

typedef struct fc_metric_param
{
	fc_metric_loss loss;
	fc_triplet_mining mining;	/* triplet only */
	int			dims_out;		/* <= problem dims */
	int			init_pca;		/* 0: identity (dims_out == dims), 1: PCA of the training rows */
	double		margin;
	int			epochs;
	int			people_per_batch;	/* P */
	int			photos_per_person;	/* K */
	double		learning_rate;
	double		weight_decay;
	double		validation;		/* share of people held out, 0 = none */
	uint64_t	seed;
	int64_t		max_pairs;		/* bound of each evaluation's pairs */
} fc_metric_param;

/* The fitted head. Arrays from the trainer's allocator. */
typedef struct fc_metric_head
{
	int			din;
	int			dout;
	float	   *W;				/* dout * din, row-major */
	float	   *b;				/* dout */
	float	   *alpha;			/* dout: the binary head's L1 weights (NULL otherwise) */
	float		beta;			/* the binary head's bias */
} fc_metric_head;

typedef struct fc_metric_epoch
{
	int			epoch;			/* 0: the initial head, before any step */
	double		loss;			/* mean batch loss of the epoch (0 for epoch 0) */
	double		auc;			/* on the held-out people (training people when none) */
	double		eer;
} fc_metric_epoch;

typedef struct fc_metric_result
{
	int32_t		train_people;
	int32_t		heldout_people;	/* 0: evaluated on the training people */
	int64_t		train_rows;
	int64_t		heldout_rows;
	fc_eval_report base;		/* raw embeddings, Euclidean */
	fc_eval_report initial;		/* epoch 0 head */
	fc_eval_report trained;		/* the returned head */
} fc_metric_result;

/* Called after each epoch (and for epoch 0); nonzero stops training early. */
typedef int (*fc_metric_progress) (void *ctx, const fc_metric_epoch *e);

extern fc_status fc_metric_train(const fc_metric_problem *prob, const fc_metric_param *param,
								 const fc_hooks *hooks, fc_metric_progress progress, void *ctx,
								 fc_metric_head *head, fc_metric_result *result, fc_error *err);

/* Scratch of one batch of B rows: Z, Y, dY B * dout floats, znorm B doubles, loss_work fc_loss_work_size(B). */
typedef struct fc_metric_batch_work
{
	float	   *Z;
	float	   *Y;
	float	   *dY;
	double	   *znorm;
	void	   *loss_work;
} fc_metric_batch_work;

/*
 * One batch's loss and its gradients with respect to W (dout * din), b,
 * and for the binary head alpha and beta (all overwritten); the step of
 * fc_metric_train, exposed for the gradient check.
 */
extern double fc_metric_batch(const fc_metric_head *head, const fc_metric_param *param,
							  const float *Xb, const int32_t *lb, int B, const fc_metric_batch_work *w,
							  float *dW, float *db, float *dalpha, float *dbeta);

/* y[i] = normalize(W x[i] + b) for n rows (a zero output stays zero). */
extern void fc_metric_project(const fc_metric_head *h, const float *x, int64_t n, float *y);

#endif							/* FC_LEARN_METRIC_H */
