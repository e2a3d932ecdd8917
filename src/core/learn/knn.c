/*-------------------------------------------------------------------------
 *
 * knn.c
 *	  The radius-bounded k-NN graph (contract in knn.h): exact for small
 *	  inputs, an in-memory IVF partition (core/vec k-means) for large ones.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <string.h>

#include "knn.h"
#include "core/vec/ann.h"
#include "core/vec/distance.h"

#define KNN_TRAIN_PER_LIST	64		/* k-means sample: rows per list */
#define KNN_KMEANS_ITERS	10
#define KNN_ASSIGN_BLOCK	1024	/* rows per sgemm when assigning */
#define KNN_POLL_EVERY		256		/* rows between interrupt polls */

static int
knn_nlist(int64_t n)
{
	int			nlist = (int) sqrt((double) n);

	return nlist < 1 ? 1 : nlist;
}

size_t
fc_knn_memory(int64_t n, int dim, int k)
{
	size_t		bytes = (size_t) n * k * (sizeof(int32_t) + sizeof(float));

	if (n > FC_KNN_EXACT_MAX)
	{
		size_t		nlist = (size_t) knn_nlist(n);
		size_t		train = nlist * KNN_TRAIN_PER_LIST;

		if (train > (size_t) n)
			train = (size_t) n;
		bytes += train * dim * sizeof(float);	/* k-means sample */
		bytes += nlist * dim * sizeof(float) + nlist * sizeof(float) * 3;	/* centroids, norms, keys */
		bytes += (size_t) KNN_ASSIGN_BLOCK * nlist * sizeof(float);	/* assign scratch */
		bytes += (size_t) n * sizeof(int32_t) * 2 + (nlist + 1) * sizeof(int64_t);	/* lists */
		bytes += (size_t) train * (sizeof(int64_t) * 2 + sizeof(int32_t));	/* inside k-means */
	}
	return bytes;
}

static int
knn_cancelled(const fc_hooks *hooks)
{
	return hooks && hooks->interrupted && hooks->interrupted(hooks->interrupt_ctx);
}

/* insert (j, d) into row's sorted slots if it is among the k nearest */
static inline void
knn_offer(int32_t *nbr, float *dist, int k, int32_t j, float d)
{
	int			p;

	if (nbr[k - 1] >= 0 && d >= dist[k - 1])
		return;
	p = k - 1;
	/* shift larger ones right; ties keep the earlier (lower) row first */
	while (p > 0 && (nbr[p - 1] < 0 || dist[p - 1] > d))
	{
		nbr[p] = nbr[p - 1];
		dist[p] = dist[p - 1];
		p--;
	}
	nbr[p] = j;
	dist[p] = d;
}

/* all pairs, for small n: each pair once, offered to both rows */
static fc_status
knn_exact(const float *data, int n, int dim, float r2, int k,
		  const fc_hooks *hooks, fc_knn_graph *g, fc_error *err)
{
	for (int i = 0; i < n; i++)
	{
		const float *x = data + (size_t) i * dim;

		if (i % KNN_POLL_EVERY == 0 && knn_cancelled(hooks))
			return fc_fail(err, FC_ERR_CANCELLED, "neighbour search cancelled");
		for (int j = i + 1; j < n; j++)
		{
			float		d2 = face_l2_squared(x, data + (size_t) j * dim, dim);

			if (d2 <= r2)
			{
				float		d = sqrtf(d2);

				knn_offer(g->nbr + (size_t) i * k, g->dist + (size_t) i * k, k, j, d);
				knn_offer(g->nbr + (size_t) j * k, g->dist + (size_t) j * k, k, i, d);
			}
		}
	}
	return FC_OK;
}

/* IVF: k-means lists, each row scans its nprobe nearest lists */
static fc_status
knn_ivf(const float *data, int n, int dim, float r2, int k, int nprobe, uint64_t seed,
		const fc_hooks *hooks, fc_knn_graph *g, fc_error *err)
{
	const fc_allocator *a = hooks->allocator;
	int			nlist = knn_nlist(n);
	int64_t		ntrain = (int64_t) nlist * KNN_TRAIN_PER_LIST;
	float	   *train = NULL,
			   *cent = NULL,
			   *cnorm2 = NULL,
			   *keys = NULL,
			   *scratch = NULL;
	int32_t    *assign = NULL,
			   *members = NULL,
			   *probe = NULL;
	float	   *probekey = NULL;
	int64_t    *start = NULL;
	fc_status	st = FC_OK;

	if (nprobe > nlist)
		nprobe = nlist;
	if (ntrain > n)
		ntrain = n;
	train = a->alloc(a->ctx, sizeof(float) * ntrain * dim);
	cent = a->alloc(a->ctx, sizeof(float) * (size_t) nlist * dim);
	cnorm2 = a->alloc(a->ctx, sizeof(float) * nlist);
	keys = a->alloc(a->ctx, sizeof(float) * nlist);
	scratch = a->alloc(a->ctx, sizeof(float) * KNN_ASSIGN_BLOCK * (size_t) nlist);
	assign = a->alloc(a->ctx, sizeof(int32_t) * n);
	members = a->alloc(a->ctx, sizeof(int32_t) * n);
	start = a->alloc(a->ctx, sizeof(int64_t) * (nlist + 1));
	probe = a->alloc(a->ctx, sizeof(int32_t) * nprobe);
	probekey = a->alloc(a->ctx, sizeof(float) * nprobe);
	if (!train || !cent || !cnorm2 || !keys || !scratch || !assign || !members ||
		!start || !probe || !probekey)
	{
		st = fc_fail(err, FC_ERR_NOMEM, "out of memory for the neighbour graph");
		goto done;
	}

	/* train on an evenly strided sample: deterministic, spread over the input */
	for (int64_t t = 0; t < ntrain; t++)
		memcpy(train + t * dim, data + (size_t) ((t * n) / ntrain) * dim, sizeof(float) * dim);
	st = fc_ann_kmeans(train, ntrain, dim, nlist, KNN_KMEANS_ITERS, 0, seed, cent, hooks, err);
	if (st != FC_OK)
		goto done;

	fc_ann_norms(cent, nlist, dim, cnorm2);
	for (int i = 0; i < n; i += KNN_ASSIGN_BLOCK)
	{
		int			m = n - i < KNN_ASSIGN_BLOCK ? n - i : KNN_ASSIGN_BLOCK;

		if (knn_cancelled(hooks))
		{
			st = fc_fail(err, FC_ERR_CANCELLED, "neighbour search cancelled");
			goto done;
		}
		fc_ann_assign(data + (size_t) i * dim, m, dim, cent, cnorm2, nlist, scratch, assign + i);
	}
	/* lists as CSR, members in row order */
	memset(start, 0, sizeof(int64_t) * (nlist + 1));
	for (int i = 0; i < n; i++)
		start[assign[i] + 1]++;
	for (int l = 0; l < nlist; l++)
		start[l + 1] += start[l];
	{
		int64_t    *fill = (int64_t *) scratch;	/* nlist slots of the free scratch */

		for (int l = 0; l < nlist; l++)
			fill[l] = start[l];
		for (int i = 0; i < n; i++)
			members[fill[assign[i]]++] = i;
	}

	for (int i = 0; i < n; i++)
	{
		const float *x = data + (size_t) i * dim;
		int32_t    *nbr = g->nbr + (size_t) i * k;
		float	   *dist = g->dist + (size_t) i * k;
		int			np = 0;

		if (i % KNN_POLL_EVERY == 0 && knn_cancelled(hooks))
		{
			st = fc_fail(err, FC_ERR_CANCELLED, "neighbour search cancelled");
			goto done;
		}
		/* the nprobe nearest lists, by insertion into a short sorted array */
		fc_ann_list_keys(x, dim, cent, cnorm2, nlist, 1, keys);
		for (int l = 0; l < nlist; l++)
		{
			int			p;

			if (np == nprobe && keys[l] >= probekey[np - 1])
				continue;
			p = np < nprobe ? np++ : nprobe - 1;
			while (p > 0 && probekey[p - 1] > keys[l])
			{
				probe[p] = probe[p - 1];
				probekey[p] = probekey[p - 1];
				p--;
			}
			probe[p] = l;
			probekey[p] = keys[l];
		}
		for (int p = 0; p < np; p++)
		{
			for (int64_t m = start[probe[p]]; m < start[probe[p] + 1]; m++)
			{
				int32_t		j = members[m];
				float		d2;

				if (j == i)
					continue;
				d2 = face_l2_squared(x, data + (size_t) j * dim, dim);
				if (d2 <= r2)
					knn_offer(nbr, dist, k, j, sqrtf(d2));
			}
		}
	}

done:
	{
		void	   *bufs[] = {train, cent, cnorm2, keys, scratch, assign, members, start,
		probe, probekey};

		/* some may be NULL after a failed allocation; allocators need not accept NULL */
		for (int b = 0; b < (int) (sizeof(bufs) / sizeof(bufs[0])); b++)
			if (bufs[b])
				a->free(a->ctx, bufs[b]);
	}
	return st;
}

fc_status
fc_knn_build(const float *data, int n, int dim, float radius, int k, int nprobe,
			 uint64_t seed, const fc_hooks *hooks, fc_knn_graph *out, fc_error *err)
{
	fc_hooks	h = {&fc_malloc_allocator, NULL, NULL};
	fc_status	st;

	if (hooks)
	{
		h = *hooks;
		if (!h.allocator)
			h.allocator = &fc_malloc_allocator;
	}
	memset(out, 0, sizeof(*out));
	if (n < 0 || dim <= 0 || k < 1 || nprobe < 1 || !(radius > 0))
		return fc_fail(err, FC_ERR_INVALID_ARGUMENT,
					   "neighbour graph needs n >= 0, dim > 0, k >= 1, nprobe >= 1 and radius > 0");
	face_distance_init();
	fc_ann_init();
	out->n = n;
	out->k = k;
	if (n == 0)
		return FC_OK;
	out->nbr = h.allocator->alloc(h.allocator->ctx, sizeof(int32_t) * (size_t) n * k);
	out->dist = h.allocator->alloc(h.allocator->ctx, sizeof(float) * (size_t) n * k);
	if (!out->nbr || !out->dist)
	{
		fc_knn_free(out, &h);
		return fc_fail(err, FC_ERR_NOMEM, "out of memory for the neighbour graph");
	}
	for (size_t i = 0; i < (size_t) n * k; i++)
	{
		out->nbr[i] = -1;
		out->dist[i] = INFINITY;
	}
	if (n <= FC_KNN_EXACT_MAX)
		st = knn_exact(data, n, dim, radius * radius, k, &h, out, err);
	else
		st = knn_ivf(data, n, dim, radius * radius, k, nprobe, seed, &h, out, err);
	if (st != FC_OK)
		fc_knn_free(out, &h);
	return st;
}

void
fc_knn_free(fc_knn_graph *g, const fc_hooks *hooks)
{
	const fc_allocator *a = hooks && hooks->allocator ? hooks->allocator : &fc_malloc_allocator;

	if (g->nbr)
		a->free(a->ctx, g->nbr);
	if (g->dist)
		a->free(a->ctx, g->dist);
	g->nbr = NULL;
	g->dist = NULL;
}
