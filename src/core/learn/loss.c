/*-------------------------------------------------------------------------
 *
 * loss.c
 *	  Triplet (three minings), contrastive and binary losses with their
 *	  gradients (loss.h).
 *
 * The gradient of d(a, b) with respect to a is (a - b) / d(a, b), and the
 * opposite for b; each loss accumulates its coefficient times that.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <string.h>

#include "loss.h"

void
fc_loss_distances(const float *Y, int B, int dims, double *D)
{
	for (int i = 0; i < B; i++)
	{
		D[i * B + i] = sqrt(FC_LOSS_EPS);
		for (int j = i + 1; j < B; j++)
		{
			double		s = 0;

			for (int k = 0; k < dims; k++)
			{
				double		t = (double) Y[i * dims + k] - Y[j * dims + k];

				s += t * t;
			}
			D[i * B + j] = D[j * B + i] = sqrt(s + FC_LOSS_EPS);
		}
	}
}

/* dY[a] += c (Y[a] - Y[b]) / d, dY[b] -= the same */
static void
add_distance_grad(const float *Y, int dims, int a, int b, double d, double c, float *dY)
{
	double		f = c / d;

	for (int k = 0; k < dims; k++)
	{
		double		g = f * ((double) Y[a * dims + k] - Y[b * dims + k]);

		dY[a * dims + k] += (float) g;
		dY[b * dims + k] -= (float) g;
	}
}

void
fc_mine_batch_hard(const double *D, const int32_t *label, int B, int *pos, int *neg)
{
	for (int a = 0; a < B; a++)
	{
		pos[a] = neg[a] = -1;
		for (int j = 0; j < B; j++)
		{
			if (j == a)
				continue;
			if (label[j] == label[a])
			{
				if (pos[a] < 0 || D[a * B + j] > D[a * B + pos[a]])
					pos[a] = j;
			}
			else if (neg[a] < 0 || D[a * B + j] < D[a * B + neg[a]])
				neg[a] = j;
		}
	}
}

int
fc_mine_semi_hard(const double *D, const int32_t *label, int B, int a, int p, double margin)
{
	double		dap = D[a * B + p];
	int			best = -1,
				farthest = -1;

	for (int n = 0; n < B; n++)
	{
		double		dan = D[a * B + n];

		if (label[n] == label[a])
			continue;
		if (farthest < 0 || dan > D[a * B + farthest])
			farthest = n;
		if (dan > dap && dan < dap + margin && (best < 0 || dan < D[a * B + best]))
			best = n;
	}
	return best >= 0 ? best : farthest;
}

size_t
fc_loss_work_size(int B)
{
	return sizeof(double) * (size_t) B * B + sizeof(int) * 2 * (size_t) B +
		sizeof(fc_triplet) * (size_t) B * B * B;
}

int64_t
fc_mine_triplets(const double *D, const int32_t *label, int B, double margin,
				 fc_triplet_mining mining, int *pos, int *neg, fc_triplet *out)
{
	int64_t		n_out = 0;

	if (mining == FC_MINING_BATCH_HARD)
	{
		fc_mine_batch_hard(D, label, B, pos, neg);
		for (int a = 0; a < B; a++)
			if (pos[a] >= 0 && neg[a] >= 0)
				out[n_out++] = (fc_triplet) {a, pos[a], neg[a]};
		return n_out;
	}
	for (int a = 0; a < B; a++)
		for (int p = 0; p < B; p++)
		{
			if (p == a || label[p] != label[a])
				continue;
			if (mining == FC_MINING_SEMI_HARD)
			{
				int			n = fc_mine_semi_hard(D, label, B, a, p, margin);

				if (n >= 0)
					out[n_out++] = (fc_triplet) {a, p, n};
			}
			else
				for (int n = 0; n < B; n++)
					if (label[n] != label[a])
						out[n_out++] = (fc_triplet) {a, p, n};
		}
	return n_out;
}

double
fc_loss_triplet_list(const float *Y, int B, int dims, const double *D, const fc_triplet *t, int64_t n,
					 double margin, int mean_over_active, float *dY, int64_t *active)
{
	double		sum = 0;
	int64_t		count;

	*active = 0;
	memset(dY, 0, sizeof(float) * B * dims);
	for (int64_t i = 0; i < n; i++)
	{
		double		dap = D[t[i].a * B + t[i].p],
					dan = D[t[i].a * B + t[i].n],
					l = dap - dan + margin;

		if (l <= 0)
			continue;
		sum += l;
		(*active)++;
		/* dl/dd_ap = 1, dl/dd_an = -1; scaled by 1/count below */
		add_distance_grad(Y, dims, t[i].a, t[i].p, dap, 1.0, dY);
		add_distance_grad(Y, dims, t[i].a, t[i].n, dan, -1.0, dY);
	}
	count = mean_over_active ? *active : n;
	if (count == 0)
		return 0.0;
	for (int i = 0; i < B * dims; i++)
		dY[i] = (float) (dY[i] / (double) count);
	return sum / (double) count;
}

double
fc_loss_triplet(const float *Y, const int32_t *label, int B, int dims, double margin,
				fc_triplet_mining mining, void *work, float *dY, int64_t *active)
{
	double	   *D = work;
	int		   *pos = (int *) (D + (size_t) B * B);
	int		   *neg = pos + B;
	fc_triplet *t = (fc_triplet *) (neg + B);
	int64_t		n;

	fc_loss_distances(Y, B, dims, D);
	n = fc_mine_triplets(D, label, B, margin, mining, pos, neg, t);
	return fc_loss_triplet_list(Y, B, dims, D, t, n, margin, mining == FC_MINING_BATCH_ALL, dY, active);
}

double
fc_loss_contrastive(const float *Y, const int32_t *label, int B, int dims, double margin,
					void *work, float *dY)
{
	double	   *D = work;
	double		sum = 0,
				wg,
				wi;
	int64_t		ng = 0,
				ni = 0;

	memset(dY, 0, sizeof(float) * B * dims);
	fc_loss_distances(Y, B, dims, D);
	for (int i = 0; i < B; i++)
		for (int j = i + 1; j < B; j++)
			(label[i] == label[j]) ? ng++ : ni++;
	/* each side's mean, the two averaged (a side that is absent: the other alone) */
	wg = ng ? (ni ? 0.5 : 1.0) / ng : 0;
	wi = ni ? (ng ? 0.5 : 1.0) / ni : 0;
	for (int i = 0; i < B; i++)
		for (int j = i + 1; j < B; j++)
		{
			double		d = D[i * B + j];

			if (label[i] == label[j])
			{
				/* 1/2 d^2: dL/dd = d */
				sum += wg * 0.5 * d * d;
				add_distance_grad(Y, dims, i, j, d, wg * d, dY);
			}
			else if (d < margin)
			{
				/* 1/2 (m - d)^2: dL/dd = -(m - d) */
				sum += wi * 0.5 * (margin - d) * (margin - d);
				add_distance_grad(Y, dims, i, j, d, -wi * (margin - d), dY);
			}
		}
	return sum;
}

static double
sigmoid(double s)
{
	return s >= 0 ? 1.0 / (1.0 + exp(-s)) : exp(s) / (1.0 + exp(s));
}

double
fc_binary_probability(const float *y1, const float *y2, int dims, const float *alpha, float beta)
{
	double		s = beta;

	for (int k = 0; k < dims; k++)
		s -= alpha[k] * fabs((double) y1[k] - y2[k]);
	return sigmoid(s);
}

double
fc_loss_binary(const float *Y, const int32_t *label, int B, int dims,
			   const float *alpha, float beta, float *dY, float *dalpha, float *dbeta)
{
	int64_t		ng = 0,
				ni = 0;
	double		loss = 0,
				db = 0;

	memset(dY, 0, sizeof(float) * B * dims);
	memset(dalpha, 0, sizeof(float) * dims);
	for (int i = 0; i < B; i++)
		for (int j = i + 1; j < B; j++)
			(label[i] == label[j]) ? ng++ : ni++;
	if (ng == 0 || ni == 0)
	{
		*dbeta = 0;
		return 0.0;
	}
	for (int i = 0; i < B; i++)
		for (int j = i + 1; j < B; j++)
		{
			const float *a = Y + i * dims,
					   *b = Y + j * dims;
			int			same = label[i] == label[j];
			double		w = same ? 0.5 / ng : 0.5 / ni;
			double		s = beta,
						p,
						g;

			for (int k = 0; k < dims; k++)
				s -= alpha[k] * fabs((double) a[k] - b[k]);
			p = sigmoid(s);
			/* -log p or -log(1 - p), stably */
			loss += w * (same ? (s >= 0 ? log1p(exp(-s)) : -s + log1p(exp(s)))
						 : (s >= 0 ? s + log1p(exp(-s)) : log1p(exp(s))));
			g = w * (p - same);	/* dL/ds */
			db += g;
			for (int k = 0; k < dims; k++)
			{
				double		diff = (double) a[k] - b[k];
				double		sgn = diff > 0 ? 1.0 : (diff < 0 ? -1.0 : 0.0);

				dalpha[k] += (float) (-g * fabs(diff));
				dY[i * dims + k] += (float) (-g * alpha[k] * sgn);
				dY[j * dims + k] -= (float) (-g * alpha[k] * sgn);
			}
		}
	*dbeta = (float) db;
	return loss;
}
