/*-------------------------------------------------------------------------
 *
 * metric.c
 *	  Training and applying a metric head (metric.h).
 *
 * The head is y = normalize(W x + b).  Initialised from the identity (the
 * base metric on normalised embeddings: epoch 0 is the base metric) or
 * from PCA of the training rows (W = the top dims_out principal axes,
 * b = -W mean), so that training starts where the user already is and the
 * report shows what the steps added.
 *
 * One step: a batch of P people x K photos (people in a seeded random
 * order, each person's photos shuffled), Z = X W^T + b (cblas_sgemm),
 * Y = Z / |Z|, the loss and dL/dY (loss.c), back through the
 * normalisation, dL/dZ_i = (dL/dY_i - Y_i (Y_i . dL/dY_i)) / |Z_i|, then
 * dL/dW = dZ^T X, dL/db = sum dZ, and AdamW (optim.c).  An epoch visits
 * every training person once.
 *
 * Held-out people: a seeded share of the people (never photos of training
 * people) is set aside; each epoch reports AUC and EER on them, and the
 * final report compares the raw embeddings, the initial head and the
 * trained head there (eval.c).
 *
 *-------------------------------------------------------------------------
 */
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "metric.h"
#include "optim.h"
#include "rng.h"

#define QUICK_EVAL_PAIRS 200000 /* per-epoch AUC/EER rest on at most this many pairs */
#define PCA_ITERATIONS 40

typedef struct Arena
{
	const fc_hooks *hooks;
	int			failed;
} Arena;

static void *
arena_alloc(Arena *a, size_t size)
{
	void	   *p = a->hooks->allocator->alloc(a->hooks->allocator->ctx, size ? size : 1);

	if (!p)
		a->failed = 1;
	else
		memset(p, 0, size);
	return p;
}

static int
interrupted(const fc_hooks *hooks)
{
	return hooks->interrupted && hooks->interrupted(hooks->interrupt_ctx);
}

void
fc_metric_project(const fc_metric_head *h, const float *x, int64_t n, float *y)
{
	if (n <= 0)
		return;
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int) n, h->dout, h->din,
				1.0f, x, h->din, h->W, h->din, 0.0f, y, h->dout);
	for (int64_t i = 0; i < n; i++)
	{
		float	   *r = y + i * h->dout;
		double		s = 0;

		for (int k = 0; k < h->dout; k++)
		{
			r[k] += h->b[k];
			s += (double) r[k] * r[k];
		}
		if (s > 0)
		{
			float		inv = (float) (1.0 / sqrt(s));

			for (int k = 0; k < h->dout; k++)
				r[k] *= inv;
		}
	}
}

/*
 * PCA by subspace iteration: Q (din x dout) <- orth(C Q), C the covariance
 * of the n rows; W = Q^T, b = -W mean.
 */
static void
init_pca(const float *x, int64_t n, int din, int dout, fc_rng *rng, float *W, float *b, Arena *ar)
{
	double	   *mean = arena_alloc(ar, sizeof(double) * din);
	float	   *xc = arena_alloc(ar, sizeof(float) * n * din);
	float	   *C = arena_alloc(ar, sizeof(float) * din * din);
	float	   *Q = arena_alloc(ar, sizeof(float) * din * dout);
	float	   *T = arena_alloc(ar, sizeof(float) * din * dout);

	if (ar->failed)
		return;
	for (int64_t i = 0; i < n; i++)
		for (int d = 0; d < din; d++)
			mean[d] += x[i * din + d];
	for (int d = 0; d < din; d++)
		mean[d] /= (double) n;
	for (int64_t i = 0; i < n; i++)
		for (int d = 0; d < din; d++)
			xc[i * din + d] = (float) (x[i * din + d] - mean[d]);
	cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, din, din, (int) n,
				1.0f / (float) n, xc, din, xc, din, 0.0f, C, din);
	for (int i = 0; i < din * dout; i++)
		Q[i] = (float) fc_rng_normal(rng);
	for (int it = 0; it < PCA_ITERATIONS; it++)
	{
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, din, dout, din,
					1.0f, C, din, Q, dout, 0.0f, T, dout);
		/* modified Gram-Schmidt on the columns of T, into Q */
		for (int c = 0; c < dout; c++)
		{
			double		s = 0;

			for (int prev = 0; prev < c; prev++)
			{
				double		dot = 0;

				for (int d = 0; d < din; d++)
					dot += (double) T[d * dout + c] * Q[d * dout + prev];
				for (int d = 0; d < din; d++)
					T[d * dout + c] -= (float) (dot * Q[d * dout + prev]);
			}
			for (int d = 0; d < din; d++)
				s += (double) T[d * dout + c] * T[d * dout + c];
			s = s > 0 ? 1.0 / sqrt(s) : 0.0;
			for (int d = 0; d < din; d++)
				Q[d * dout + c] = (float) (T[d * dout + c] * s);
		}
	}
	for (int k = 0; k < dout; k++)
	{
		double		wm = 0;

		for (int d = 0; d < din; d++)
		{
			W[k * din + d] = Q[d * dout + k];
			wm += W[k * din + d] * mean[d];
		}
		b[k] = (float) -wm;
	}
}

/* AUC and EER of rows under head h (NULL: the rows as they are). */
static fc_status
quick_eval(const fc_metric_head *h, const float *x, int64_t n, int din, const int32_t *person,
		   int64_t max_pairs, uint64_t seed, const fc_hooks *hooks, float *ybuf,
		   double *auc, double *eer, fc_error *err)
{
	fc_pairs	p;
	fc_status	st;

	if (h)
		fc_metric_project(h, x, n, ybuf);
	st = fc_pairs_build(h ? ybuf : x, n, h ? h->dout : din, person, max_pairs, seed, hooks, &p, err);
	if (st != FC_OK)
		return st;
	*auc = fc_auc(&p);
	*eer = fc_eer(&p);
	fc_pairs_free(&p, hooks);
	return FC_OK;
}

static fc_status
full_eval(const fc_metric_head *h, const float *x, int64_t n, int din, const int32_t *person,
		  int64_t max_pairs, uint64_t seed, const fc_hooks *hooks, float *ybuf,
		  fc_eval_report *out, fc_error *err)
{
	if (h)
		fc_metric_project(h, x, n, ybuf);
	return fc_eval_embeddings(h ? ybuf : x, n, h ? h->dout : din, person, max_pairs, seed, hooks, out, err);
}

double
fc_metric_batch(const fc_metric_head *head, const fc_metric_param *param,
				const float *Xb, const int32_t *lb, int B, const fc_metric_batch_work *w,
				float *dW, float *db, float *dalpha, float *dbeta)
{
	const int	din = head->din,
				dout = head->dout;
	float	   *Z = w->Z,
			   *Y = w->Y,
			   *dY = w->dY;
	double	   *znorm = w->znorm;
	double		loss;
	int64_t		active;

	/* forward: Z = Xb W^T + b, Y = Z / |Z| */
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, dout, din,
				1.0f, Xb, din, head->W, din, 0.0f, Z, dout);
	for (int i = 0; i < B; i++)
	{
		double		s = 0;

		for (int k = 0; k < dout; k++)
		{
			Z[i * dout + k] += head->b[k];
			s += (double) Z[i * dout + k] * Z[i * dout + k];
		}
		znorm[i] = sqrt(s + 1e-12);
		for (int k = 0; k < dout; k++)
			Y[i * dout + k] = (float) (Z[i * dout + k] / znorm[i]);
	}

	switch (param->loss)
	{
		case FC_METRIC_TRIPLET:
			loss = fc_loss_triplet(Y, lb, B, dout, param->margin, param->mining, w->loss_work, dY, &active);
			break;
		case FC_METRIC_CONTRASTIVE:
			loss = fc_loss_contrastive(Y, lb, B, dout, param->margin, w->loss_work, dY);
			break;
		default:
			loss = fc_loss_binary(Y, lb, B, dout, head->alpha, head->beta, dY, dalpha, dbeta);
			break;
	}

	/* back through the normalisation: dZ = (dY - Y (Y . dY)) / |Z|, in place in dY */
	for (int i = 0; i < B; i++)
	{
		double		dot = 0;

		for (int k = 0; k < dout; k++)
			dot += (double) Y[i * dout + k] * dY[i * dout + k];
		for (int k = 0; k < dout; k++)
			dY[i * dout + k] = (float) ((dY[i * dout + k] - Y[i * dout + k] * dot) / znorm[i]);
	}
	cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, dout, din, B,
				1.0f, dY, dout, Xb, din, 0.0f, dW, din);
	memset(db, 0, sizeof(float) * dout);
	for (int i = 0; i < B; i++)
		for (int k = 0; k < dout; k++)
			db[k] += dY[i * dout + k];
	return loss;
}

fc_status
fc_metric_train(const fc_metric_problem *prob, const fc_metric_param *param,
				const fc_hooks *hooks, fc_metric_progress progress, void *ctx,
				fc_metric_head *head, fc_metric_result *result, fc_error *err)
{
	Arena		ar = {hooks, 0};
	const int	din = prob->dims,
				dout = param->dims_out;
	const int	P = param->people_per_batch,
				K = param->photos_per_person,
				Bmax = P * K;
	fc_rng		rng;
	int			npeople = prob->npeople;
	int		   *order,
			   *is_val,
			   *count,
			   *offset,
			   *rows,
			   *train_people;
	int			nval = 0,
				ntrain_people = 0;
	int64_t		ntrain = 0,
				nheld = 0;
	float	   *xtrain,
			   *xheld,
			   *yheld,
			   *Xb,
			   *dW,
			   *db,
			   *dalpha,
			   *W0,
			   *b0;
	int32_t    *ptrain,
			   *pheld,
			   *lb;
	fc_metric_batch_work bw;
	fc_adam		optW,
				optb,
				opta,
				optbeta;
	float		dbeta = 0;
	fc_metric_epoch ep;
	fc_status	st;
	int64_t		quick_pairs = param->max_pairs < QUICK_EVAL_PAIRS ? param->max_pairs : QUICK_EVAL_PAIRS;
	const float *xeval;
	const int32_t *peval;
	int64_t		neval;

	memset(result, 0, sizeof(*result));
	memset(head, 0, sizeof(*head));
	if (dout < 1 || dout > din || P < 2 || K < 1 || param->epochs < 0)
		return fc_fail(err, FC_ERR_INVALID_ARGUMENT, "invalid head or batch shape");
	fc_rng_seed(&rng, param->seed);

	/* people: a seeded share held out */
	order = arena_alloc(&ar, sizeof(int) * npeople);
	is_val = arena_alloc(&ar, sizeof(int) * npeople);
	count = arena_alloc(&ar, sizeof(int) * npeople);
	offset = arena_alloc(&ar, sizeof(int) * (npeople + 1));
	rows = arena_alloc(&ar, sizeof(int) * prob->n);
	train_people = arena_alloc(&ar, sizeof(int) * npeople);
	if (ar.failed)
		return fc_fail(err, FC_ERR_NOMEM, "no memory for %d people", npeople);
	for (int i = 0; i < npeople; i++)
		order[i] = i;
	fc_rng_shuffle_int(&rng, order, npeople);
	if (param->validation > 0)
	{
		nval = (int) floor(param->validation * npeople + 0.5);
		if (nval < 2)
			nval = 2;
		if (npeople - nval < 2)
			return fc_fail(err, FC_ERR_INVALID_ARGUMENT,
						   "holding out %d of %d people leaves fewer than 2 to train on", nval, npeople);
	}
	for (int i = 0; i < nval; i++)
		is_val[order[i]] = 1;

	for (int64_t i = 0; i < prob->n; i++)
	{
		count[prob->person[i]]++;
		if (is_val[prob->person[i]])
			nheld++;
		else
			ntrain++;
	}
	for (int p = 0; p < npeople; p++)
		offset[p + 1] = offset[p] + count[p];
	{
		int		   *fill = arena_alloc(&ar, sizeof(int) * npeople);

		if (ar.failed)
			return fc_fail(err, FC_ERR_NOMEM, "no memory");
		for (int64_t i = 0; i < prob->n; i++)
			rows[offset[prob->person[i]] + fill[prob->person[i]]++] = (int) i;
	}
	for (int p = 0; p < npeople; p++)
		if (!is_val[p])
			train_people[ntrain_people++] = p;

	xtrain = arena_alloc(&ar, sizeof(float) * ntrain * din);
	ptrain = arena_alloc(&ar, sizeof(int32_t) * ntrain);
	xheld = arena_alloc(&ar, sizeof(float) * (nheld ? nheld : ntrain) * din);
	pheld = arena_alloc(&ar, sizeof(int32_t) * (nheld ? nheld : ntrain));
	yheld = arena_alloc(&ar, sizeof(float) * (nheld ? nheld : ntrain) * dout);
	Xb = arena_alloc(&ar, sizeof(float) * Bmax * din);
	bw.Z = arena_alloc(&ar, sizeof(float) * Bmax * dout);
	bw.Y = arena_alloc(&ar, sizeof(float) * Bmax * dout);
	bw.dY = arena_alloc(&ar, sizeof(float) * Bmax * dout);
	bw.znorm = arena_alloc(&ar, sizeof(double) * Bmax);
	bw.loss_work = arena_alloc(&ar, fc_loss_work_size(Bmax));
	lb = arena_alloc(&ar, sizeof(int32_t) * Bmax);
	head->W = arena_alloc(&ar, sizeof(float) * dout * din);
	head->b = arena_alloc(&ar, sizeof(float) * dout);
	W0 = arena_alloc(&ar, sizeof(float) * dout * din);
	b0 = arena_alloc(&ar, sizeof(float) * dout);
	dW = arena_alloc(&ar, sizeof(float) * dout * din);
	db = arena_alloc(&ar, sizeof(float) * dout);
	dalpha = arena_alloc(&ar, sizeof(float) * dout);
	optW.m = arena_alloc(&ar, sizeof(float) * dout * din);
	optW.v = arena_alloc(&ar, sizeof(float) * dout * din);
	optb.m = arena_alloc(&ar, sizeof(float) * dout);
	optb.v = arena_alloc(&ar, sizeof(float) * dout);
	opta.m = arena_alloc(&ar, sizeof(float) * dout);
	opta.v = arena_alloc(&ar, sizeof(float) * dout);
	optbeta.m = arena_alloc(&ar, sizeof(float));
	optbeta.v = arena_alloc(&ar, sizeof(float));
	if (param->loss == FC_METRIC_BINARY)
		head->alpha = arena_alloc(&ar, sizeof(float) * dout);
	if (ar.failed)
		return fc_fail(err, FC_ERR_NOMEM, "no memory for training %lld rows", (long long) prob->n);
	{
		int64_t		t = 0,
					v = 0;

		for (int64_t i = 0; i < prob->n; i++)
		{
			int32_t		p = prob->person[i];

			if (is_val[p])
			{
				memcpy(xheld + v * din, prob->x + i * din, sizeof(float) * din);
				pheld[v++] = p;
			}
			else
			{
				memcpy(xtrain + t * din, prob->x + i * din, sizeof(float) * din);
				ptrain[t++] = p;
			}
		}
	}
	/* no held-out people: the report is on the training people, and says so */
	xeval = nheld ? xheld : xtrain;
	peval = nheld ? pheld : ptrain;
	neval = nheld ? nheld : ntrain;
	result->train_people = ntrain_people;
	result->heldout_people = nval;
	result->train_rows = ntrain;
	result->heldout_rows = nheld;

	head->din = din;
	head->dout = dout;
	if (param->init_pca)
	{
		init_pca(xtrain, ntrain, din, dout, &rng, head->W, head->b, &ar);
		if (ar.failed)
			return fc_fail(err, FC_ERR_NOMEM, "no memory for PCA of %d dimensions", din);
	}
	else
		for (int k = 0; k < dout; k++)
			head->W[k * din + k] = 1.0f;
	if (head->alpha)
	{
		/* alpha = 1; beta: the mean L1 distance of the initial outputs, the neutral point */
		int64_t		m = ntrain < 256 ? ntrain : 256;
		double		s = 0;
		int64_t		pairs = 0;
		float	   *y0 = arena_alloc(&ar, sizeof(float) * m * dout);

		if (ar.failed)
			return fc_fail(err, FC_ERR_NOMEM, "no memory");
		for (int k = 0; k < dout; k++)
			head->alpha[k] = 1.0f;
		fc_metric_project(head, xtrain, m, y0);
		for (int64_t i = 0; i < m; i++)
			for (int64_t j = i + 1; j < m; j++, pairs++)
				for (int k = 0; k < dout; k++)
					s += fabs((double) y0[i * dout + k] - y0[j * dout + k]);
		head->beta = pairs ? (float) (s / pairs) : 0.0f;
	}
	memcpy(W0, head->W, sizeof(float) * dout * din);
	memcpy(b0, head->b, sizeof(float) * dout);

	optW.n = dout * din;
	optb.n = opta.n = dout;
	optbeta.n = 1;
	optW.lr = optb.lr = opta.lr = optbeta.lr = param->learning_rate;
	optW.weight_decay = param->weight_decay;
	optb.weight_decay = opta.weight_decay = optbeta.weight_decay = 0;
	optW.t = optb.t = opta.t = optbeta.t = 0;

	ep.epoch = 0;
	ep.loss = 0;
	st = quick_eval(head, xeval, neval, din, peval, quick_pairs, param->seed, hooks, yheld, &ep.auc, &ep.eer, err);
	if (st != FC_OK)
		return st;
	if (progress && progress(ctx, &ep))
		goto report;

	for (int epoch = 1; epoch <= param->epochs; epoch++)
	{
		double		loss_sum = 0;
		int			batches = 0;

		fc_rng_shuffle_int(&rng, train_people, ntrain_people);
		for (int start = 0; start < ntrain_people; start += P)
		{
			int			B = 0,
						people_in = 0;
			if (interrupted(hooks))
				return fc_fail(err, FC_ERR_CANCELLED, "cancelled");
			for (int q = start; q < start + P && q < ntrain_people; q++)
			{
				int			p = train_people[q];
				int		   *r = rows + offset[p];
				int			c = count[p],
							take = c < K ? c : K;

				/* a partial Fisher-Yates: the first take rows are a random sample */
				for (int i = 0; i < take; i++)
				{
					int			j = i + (int) fc_rng_below(&rng, (uint64_t) (c - i));
					int			t = r[i];

					r[i] = r[j];
					r[j] = t;
					memcpy(Xb + (size_t) B * din, prob->x + (size_t) r[i] * din, sizeof(float) * din);
					lb[B++] = p;
				}
				people_in++;
			}
			if (people_in < 2)
				continue;		/* a last batch of one person has no impostors */

			loss_sum += fc_metric_batch(head, param, Xb, lb, B, &bw, dW, db, dalpha, &dbeta);
			batches++;
			fc_adam_step(&optW, head->W, dW);
			fc_adam_step(&optb, head->b, db);
			if (head->alpha)
			{
				fc_adam_step(&opta, head->alpha, dalpha);
				fc_adam_step(&optbeta, &head->beta, &dbeta);
			}
		}
		ep.epoch = epoch;
		ep.loss = batches ? loss_sum / batches : 0;
		st = quick_eval(head, xeval, neval, din, peval, quick_pairs, param->seed, hooks, yheld, &ep.auc, &ep.eer, err);
		if (st != FC_OK)
			return st;
		if (progress && progress(ctx, &ep))
			break;
	}

report:
	st = full_eval(NULL, xeval, neval, din, peval, param->max_pairs, param->seed, hooks, yheld, &result->base, err);
	if (st == FC_OK)
	{
		fc_metric_head init = *head;

		init.W = W0;
		init.b = b0;
		st = full_eval(&init, xeval, neval, din, peval, param->max_pairs, param->seed, hooks, yheld, &result->initial, err);
	}
	if (st == FC_OK)
		st = full_eval(head, xeval, neval, din, peval, param->max_pairs, param->seed, hooks, yheld, &result->trained, err);
	return st;
}
