/*-------------------------------------------------------------------------
 *
 * ann_kmeans.c
 *	  k-means training and nearest-centroid assignment for the faceann
 *	  index.  Where the time goes: the n x k distance matrix, computed as
 *	  |x|^2 + |c|^2 - 2 X C^T with one sgemm per block of rows (serial
 *	  OpenBLAS), so training 50 samples per list costs seconds, not minutes.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <string.h>

#include <cblas.h>

#include "ann.h"

#define ASSIGN_BLOCK 1024		/* rows per sgemm in training */

void
fc_ann_norms(const float *rows, int64_t n, int dim, float *out)
{
	for (int64_t i = 0; i < n; i++)
	{
		const float *r = rows + i * dim;
		float		s = 0;

		for (int j = 0; j < dim; j++)
			s += r[j] * r[j];
		out[i] = s;
	}
}

void
fc_ann_list_keys(const float *q, int dim, const float *centroids, const float *cnorm2, int k,
				 int l2, float *out)
{
	float		qn2 = 0;

	/* out = -C q (+ |c|^2 + |q|^2 for L2), one sgemv */
	cblas_sgemv(CblasRowMajor, CblasNoTrans, k, dim, l2 ? -2.0f : -1.0f, centroids, dim,
				q, 1, 0.0f, out, 1);
	if (!l2)
		return;
	for (int i = 0; i < dim; i++)
		qn2 += q[i] * q[i];
	for (int j = 0; j < k; j++)
	{
		float		d = out[j] + cnorm2[j] + qn2;

		out[j] = d > 0 ? d : 0.0f;	/* rounding can take a tiny distance below 0 */
	}
}

void
fc_ann_assign(const float *data, int64_t n, int dim, const float *centroids,
			  const float *cnorm2, int k, float *scratch, int32_t *assign)
{
	/* scratch[i][j] = -2 x_i . c_j; |x_i|^2 is the same for every j, so skip it */
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int) n, k, dim,
				-2.0f, data, dim, centroids, dim, 0.0f, scratch, k);
	for (int64_t i = 0; i < n; i++)
	{
		const float *row = scratch + i * k;
		int			best = 0;
		float		bestd = row[0] + cnorm2[0];

		for (int j = 1; j < k; j++)
		{
			float		d = row[j] + cnorm2[j];

			if (d < bestd)
			{
				bestd = d;
				best = j;
			}
		}
		assign[i] = best;
	}
}

static uint64_t
next_random(uint64_t *state)
{
	uint64_t	z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void
normalise(float *v, int dim)
{
	double		s = 0;

	for (int j = 0; j < dim; j++)
		s += (double) v[j] * v[j];
	if (s > 0)
	{
		float		inv = (float) (1.0 / sqrt(s));

		for (int j = 0; j < dim; j++)
			v[j] *= inv;
	}
}

fc_status
fc_ann_kmeans(const float *data, int64_t n, int dim, int k, int iters,
			  int spherical, uint64_t seed, float *centroids,
			  const fc_hooks *hooks, fc_error *err)
{
	const fc_allocator *a = fc_allocator_of(hooks);
	uint64_t	rng = seed;
	int64_t    *perm = NULL;
	float	   *scratch = NULL,
			   *cnorm2 = NULL,
			   *sums = NULL;
	int32_t    *assign = NULL;
	int64_t    *counts = NULL;
	fc_status	st = FC_OK;

	if (n <= 0 || k <= 0 || k > n || dim <= 0)
		return fc_fail(err, FC_ERR_INVALID_ARGUMENT, "k-means needs 0 < k <= n, got k=%d n=%lld",
					   k, (long long) n);

	perm = a->alloc(a->ctx, sizeof(int64_t) * n);
	scratch = a->alloc(a->ctx, sizeof(float) * ASSIGN_BLOCK * (size_t) k);
	cnorm2 = a->alloc(a->ctx, sizeof(float) * k);
	sums = a->alloc(a->ctx, sizeof(float) * (size_t) k * dim);
	assign = a->alloc(a->ctx, sizeof(int32_t) * n);
	counts = a->alloc(a->ctx, sizeof(int64_t) * k);
	if (!perm || !scratch || !cnorm2 || !sums || !assign || !counts)
	{
		st = fc_fail(err, FC_ERR_NOMEM, "out of memory in k-means");
		goto done;
	}

	/* initial centroids: k distinct rows chosen by a seeded partial shuffle */
	for (int64_t i = 0; i < n; i++)
		perm[i] = i;
	for (int j = 0; j < k; j++)
	{
		int64_t		r = j + (int64_t) (next_random(&rng) % (uint64_t) (n - j));
		int64_t		t = perm[j];

		perm[j] = perm[r];
		perm[r] = t;
		memcpy(centroids + (size_t) j * dim, data + perm[j] * dim, sizeof(float) * dim);
	}

	for (int it = 0; it < iters; it++)
	{
		fc_ann_norms(centroids, k, dim, cnorm2);
		for (int64_t i = 0; i < n; i += ASSIGN_BLOCK)
		{
			int64_t		m = n - i < ASSIGN_BLOCK ? n - i : ASSIGN_BLOCK;

			if ((st = fc_poll(hooks, "k-means", err)) != FC_OK)
				goto done;
			fc_ann_assign(data + i * dim, m, dim, centroids, cnorm2, k, scratch, assign + i);
		}

		memset(sums, 0, sizeof(float) * (size_t) k * dim);
		memset(counts, 0, sizeof(int64_t) * k);
		for (int64_t i = 0; i < n; i++)
		{
			float	   *s = sums + (size_t) assign[i] * dim;
			const float *x = data + i * dim;

			counts[assign[i]]++;
			for (int j = 0; j < dim; j++)
				s[j] += x[j];
		}
		for (int c = 0; c < k; c++)
		{
			if (counts[c] > 0)
			{
				for (int j = 0; j < dim; j++)
					centroids[(size_t) c * dim + j] = sums[(size_t) c * dim + j] / (float) counts[c];
			}
			else
			{
				/* empty cluster: restart it at a random member of the largest one, nudged */
				int			big = 0;
				int64_t		pick;

				for (int c2 = 1; c2 < k; c2++)
					if (counts[c2] > counts[big])
						big = c2;
				do
					pick = (int64_t) (next_random(&rng) % (uint64_t) n);
				while (assign[pick] != big && counts[big] > 1);
				for (int j = 0; j < dim; j++)
					centroids[(size_t) c * dim + j] = data[pick * dim + j] * 1.0001f;
				counts[big]--;
				counts[c] = 1;
				assign[pick] = c;
			}
			if (spherical)
				normalise(centroids + (size_t) c * dim, dim);
		}
	}

done:
	if (counts)
		a->free(a->ctx, counts);
	if (assign)
		a->free(a->ctx, assign);
	if (sums)
		a->free(a->ctx, sums);
	if (cnorm2)
		a->free(a->ctx, cnorm2);
	if (scratch)
		a->free(a->ctx, scratch);
	if (perm)
		a->free(a->ctx, perm);
	return st;
}
