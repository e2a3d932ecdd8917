/*-------------------------------------------------------------------------
 *
 * faceannscan.c
 *	  Ordered scans of a faceann index (ORDER BY emb <-> q LIMIT k).
 *
 * A scan works in batches:
 *
 * 1. Probe: rank every list by its centroid's distance to the query and
 *    read the code pages of the next face.ann_probes lists, estimating each
 *    entry's distance from its 1-bit code (four popcounts per 64 dimensions)
 *    into a candidate array.
 * 2. Rerank: take the FaceAnnRerank() best remaining candidates,
 *    read their fp16 vectors, compute the distance and return the rows in
 *    order of a certified lower bound of the true distance.
 * 3. When the executor wants more rows than a batch holds (a WHERE filter
 *    rejected some), rerank the next candidates; when the probed lists are
 *    used up, probe the next lists.  So a filtered query keeps going until it
 *    has its LIMIT or the index is exhausted: it never silently returns fewer
 *    rows than match.
 *
 * Exactness of the order: every row is returned with xs_recheckorderby set
 * and a value that is a lower bound of the exact distance (fp16 error and
 * float rounding subtracted, see LowerBound), so the executor recomputes the
 * exact distance on the heap tuple and reorders.  Within a batch the rows
 * therefore come out in exact distance order; across batches (which only
 * the later, filtered part of a scan reaches) the order is approximate.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/relscan.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "distance.h"
#include "embedding.h"
#include "faceann.h"

typedef struct Candidate
{
	float		est;			/* estimated distance (L2: squared; IP/cosine: -<q,x>) */
	uint16		voff;
	ItemPointerData tid;
	BlockNumber vblk;
} Candidate;

typedef struct ScanResult
{
	double		lb;				/* lower bound of the exact ORDER BY value */
	ItemPointerData tid;
} ScanResult;

typedef struct ProbeKey
{
	float		key;
	int			list;
} ProbeKey;

typedef struct FaceAnnScanOpaqueData
{
	FaceAnnCache cache;
	int			metric;
	MemoryContext ctx;			/* everything below; reset by rescan */
	bool		started;
	bool		done;

	float	   *q;				/* query as the index sees it (cosine: normalised) */
	float		qnorm;
	bool		qzero;			/* cosine with a zero query: every distance is NaN */
	fc_ann_query *gq;			/* IP/cosine: the rotated query, prepared once */
	float	   *qrot;			/* P q (pdim) */
	float	   *ips;			/* scratch: estimates of one code page */
	float	   *r;				/* scratch: dim */
	float	   *u;				/* scratch: pdim */
	float	   *x;				/* scratch: dim */

	ProbeKey   *order;			/* lists by centroid distance */
	int			nextList;

	Candidate  *cand;
	int			ncand;
	int			capcand;
	int			nextCand;		/* cand[0..nextCand) are reranked */

	ScanResult *res;
	int			nres;
	int			nextRes;

	/*
	 * Max-heap of the face.ann_rerank smallest estimates seen by the current
	 * probe round: its top is the threshold of the first rerank batch, found
	 * without sorting or selecting among all candidates.
	 */
	float	   *heap;
	int			nheap;
	int			rerank;			/* batch size, FaceAnnRerank() at scan start */
} FaceAnnScanOpaqueData;

typedef FaceAnnScanOpaqueData *FaceAnnScanOpaque;

IndexScanDesc
faceannbeginscan(Relation index, int nkeys, int norderbys)
{
	IndexScanDesc scan = RelationGetIndexScan(index, nkeys, norderbys);
	FaceAnnScanOpaque so = palloc0(sizeof(FaceAnnScanOpaqueData));

	so->cache = FaceAnnGetCache(index);
	so->metric = FaceAnnGetMetric(index);
	so->ctx = AllocSetContextCreate(CurrentMemoryContext, "faceann scan", ALLOCSET_DEFAULT_SIZES);
	scan->opaque = so;
	/* the AM owns the ORDER BY value arrays (as in GiST) */
	scan->xs_orderbyvals = palloc0(sizeof(Datum) * Max(norderbys, 1));
	scan->xs_orderbynulls = palloc(sizeof(bool) * Max(norderbys, 1));
	memset(scan->xs_orderbynulls, true, sizeof(bool) * Max(norderbys, 1));
	return scan;
}

void
faceannrescan(IndexScanDesc scan, ScanKey keys, int nkeys, ScanKey orderbys, int norderbys)
{
	FaceAnnScanOpaque so = (FaceAnnScanOpaque) scan->opaque;

	if (keys && scan->numberOfKeys > 0)
		memmove(scan->keyData, keys, scan->numberOfKeys * sizeof(ScanKeyData));
	if (orderbys && scan->numberOfOrderBys > 0)
		memmove(scan->orderByData, orderbys, scan->numberOfOrderBys * sizeof(ScanKeyData));
	MemoryContextReset(so->ctx);
	so->started = false;
	so->done = false;
	so->ncand = so->capcand = so->nextCand = 0;
	so->nres = so->nextRes = 0;
	so->nextList = 0;
}

static int
CompareProbeKey(const void *a, const void *b)
{
	const ProbeKey *pa = a,
			   *pb = b;

	if (pa->key != pb->key)
		return pa->key < pb->key ? -1 : 1;
	return pa->list - pb->list;
}

static int
CompareResult(const void *a, const void *b)
{
	const ScanResult *ra = a,
			   *rb = b;

	if (ra->lb != rb->lb)
		return ra->lb < rb->lb ? -1 : 1;
	return ItemPointerCompare((ItemPointer) &ra->tid, (ItemPointer) &rb->tid);
}

/* Set up the query and the list order; false if there is nothing to return. */
static bool
StartScan(IndexScanDesc scan)
{
	FaceAnnScanOpaque so = (FaceAnnScanOpaque) scan->opaque;
	FaceAnnCache cache = so->cache;
	FaceEmbedding *e;
	int			dim = cache->dim;

	if (scan->numberOfOrderBys < 1 || (scan->orderByData[0].sk_flags & SK_ISNULL))
		return false;
	if (dim == 0)
		return false;			/* nothing was ever inserted */

	e = DatumGetFaceEmbedding(scan->orderByData[0].sk_argument);
	if (e->dim != dim)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("expected %d dimensions, not %d", dim, e->dim),
				 errdetail("Index \"%s\" holds %d-dimensional embeddings.",
						   RelationGetRelationName(scan->indexRelation), dim)));

	so->q = palloc(sizeof(float) * dim);
	memcpy(so->q, e->x, sizeof(float) * dim);
	so->qzero = false;
	if (so->metric == FACEANN_METRIC_COSINE)
	{
		/*
		 * Normalise in double, as FaceAnnLoadVector does for the rows: a
		 * float norm overflows for elements beyond about 1e19 and
		 * underflows below about 1e-19, where the exact distance the
		 * executor rechecks is still finite.
		 */
		double		n2 = 0;

		for (int i = 0; i < dim; i++)
			n2 += (double) so->q[i] * so->q[i];
		if (n2 > 0)
		{
			for (int i = 0; i < dim; i++)
				so->q[i] = (float) (so->q[i] / sqrt(n2));
			so->qnorm = 1.0f;
		}
		else
			so->qzero = true;
	}
	else
		so->qnorm = sqrtf(face_inner_product(so->q, so->q, dim));
	so->r = palloc(sizeof(float) * dim);
	so->x = palloc(sizeof(float) * dim);
	so->u = palloc(sizeof(float) * cache->pdim);

	so->order = palloc(sizeof(ProbeKey) * cache->nlists);
	for (int l = 0; l < cache->nlists; l++)
	{
		const float *c = cache->centroids + (size_t) l * dim;

		so->order[l].list = l;
		so->order[l].key = so->metric == FACEANN_METRIC_L2 ? face_l2_squared(so->q, c, dim)
			: -face_inner_product(so->q, c, dim);
		if (isnan(so->order[l].key))
			so->order[l].key = INFINITY;
	}
	qsort(so->order, cache->nlists, sizeof(ProbeKey), CompareProbeKey);

	so->qrot = palloc(sizeof(float) * cache->pdim);
	fc_ann_rotate(so->q, dim, cache->pdim, cache->seed, so->qrot);
	if (so->metric != FACEANN_METRIC_L2)
	{
		so->gq = palloc(sizeof(fc_ann_query));
		fc_ann_query_prepare(so->gq, so->qrot, cache->pdim);
	}
	so->capcand = 1024;
	so->cand = palloc(sizeof(Candidate) * so->capcand);
	so->rerank = FaceAnnRerank();
	so->res = palloc(sizeof(ScanResult) * so->rerank);
	so->heap = palloc(sizeof(float) * so->rerank);
	so->ips = palloc(sizeof(float) * cache->codePerPage);
	so->nheap = 0;
	return true;
}

/* Offer est to the bounded max-heap of the smallest estimates. */
static inline void
HeapOffer(FaceAnnScanOpaque so, float est)
{
	float	   *h = so->heap;
	int			n = so->nheap,
				i;

	if (n < so->rerank)
	{
		/* sift up */
		i = so->nheap++;
		while (i > 0 && h[(i - 1) / 2] < est)
		{
			h[i] = h[(i - 1) / 2];
			i = (i - 1) / 2;
		}
		h[i] = est;
		return;
	}
	if (!(est < h[0]))
		return;
	/* replace the top and sift down */
	i = 0;
	for (;;)
	{
		int			c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && h[c + 1] > h[c])
			c++;
		if (!(h[c] > est))
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = est;
}

/* Read the code chain of list l, appending a candidate per entry. */
static void
ProbeList(IndexScanDesc scan, int l, float listkey)
{
	FaceAnnScanOpaque so = (FaceAnnScanOpaque) scan->opaque;
	FaceAnnCache cache = so->cache;
	fc_ann_query lq;
	const fc_ann_query *qq;
	float		base;
	BlockNumber blkno = cache->codeHead[l];

	if (so->metric == FACEANN_METRIC_L2)
	{
		/* est |q-x|^2 = |v|^2 + |u|^2 - 2<u,v>, v = P(q - c) */
		if (cache->rcentroids)
		{
			const float *pc = cache->rcentroids + (size_t) l * cache->pdim;

			for (int i = 0; i < cache->pdim; i++)
				so->u[i] = so->qrot[i] - pc[i];
		}
		else
		{
			const float *c = cache->centroids + (size_t) l * cache->dim;

			for (int i = 0; i < cache->dim; i++)
				so->r[i] = so->q[i] - c[i];
			fc_ann_rotate(so->r, cache->dim, cache->pdim, cache->seed, so->u);
		}
		fc_ann_query_prepare(&lq, so->u, cache->pdim);
		qq = &lq;
		base = lq.vnorm2;
	}
	else
	{
		/* est -<q,x> = -<q,c> - <Pq, u>; listkey is -<q,c> */
		qq = so->gq;
		base = listkey;
	}

	while (BlockNumberIsValid(blkno))
	{
		Buffer		buf = ReadBuffer(scan->indexRelation, blkno);
		Page		page;
		FaceAnnPageOpaque opaque;
		int			n;

		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		FaceAnnCheckPage(scan->indexRelation, page, blkno, FACEANN_PAGE_CODE);
		opaque = FaceAnnPageGetOpaque(page);
		n = opaque->count;
		if (so->ncand + n > so->capcand)
		{
			so->capcand = Max(so->capcand * 2, so->ncand + n);
			so->cand = repalloc_huge(so->cand, sizeof(Candidate) * so->capcand);
		}
		if (n > 0)
		{
			FaceAnnCode first = (FaceAnnCode) FaceAnnPageData(page);

			fc_ann_estimate_ip_batch(qq, first->bits, (const uint8 *) &first->k, cache->codeSize,
									 n, so->ips);
		}
		for (int i = 0; i < n; i++)
		{
			FaceAnnCode code = (FaceAnnCode) (FaceAnnPageData(page) + (size_t) i * cache->codeSize);
			Candidate  *c = &so->cand[so->ncand++];
			float		ip = so->ips[i];

			c->est = so->metric == FACEANN_METRIC_L2 ? base + code->nr2 - 2.0f * ip : base - ip;
			HeapOffer(so, c->est);
			c->tid = code->tid;
			c->vblk = code->vblk;
			c->voff = code->voff;
		}
		blkno = opaque->nextblkno;
		UnlockReleaseBuffer(buf);
	}
	pgstat_count_index_tuples(scan->indexRelation, 0);
}

/* Partially order cand[lo..hi) so that its k smallest (by est) come first. */
static void
SelectSmallest(Candidate *cand, int lo, int hi, int k)
{
	int			target = lo + k;

	while (hi - lo > 1 && target > lo && target < hi)
	{
		float		pivot = cand[lo + (hi - lo) / 2].est;
		int			i = lo,
					j = hi - 1;

		while (i <= j)
		{
			while (cand[i].est < pivot)
				i++;
			while (cand[j].est > pivot)
				j--;
			if (i <= j)
			{
				Candidate	t = cand[i];

				cand[i] = cand[j];
				cand[j] = t;
				i++;
				j--;
			}
		}
		/* now cand[lo..j] <= pivot <= cand[i..hi) */
		if (target <= j + 1)
			hi = j + 1;
		else if (target >= i)
			lo = i;
		else
			return;
	}
}

/*
 * A lower bound of the exact ORDER BY value the executor will compute on
 * the heap vector, given our value d computed from the fp16 copy x (norm
 * xn, scale s).  |x_heap - x| <= delta covers fp16 rounding (relative 2^-11,
 * doubled) and subnormals; the n * 2^-20 terms cover float summation error
 * on both sides with a wide margin.
 */
static double
LowerBound(FaceAnnScanOpaque so, double d, float xn, float scale)
{
	int			n = so->cache->dim;
	double		delta = xn * 0x1p-10 + sqrt((double) n) * fabsf(scale) * 0x1p-22;
	double		rel = n * 0x1p-20;
	double		lb;

	switch (so->metric)
	{
		case FACEANN_METRIC_L2:
			lb = d * (1.0 - rel) - delta;
			break;
		case FACEANN_METRIC_IP:
			lb = d - so->qnorm * delta - rel * so->qnorm * (xn + delta) - 1e-30;
			break;
		default:				/* cosine, both sides unit vectors */
			lb = d - delta - 4 * rel;
			break;
	}
	/*
	 * Our float arithmetic can overflow where the exact distance (computed
	 * in double when float overflows, see embedding_ops.c) does not: an
	 * infinite or NaN bound would exceed it, and the executor would fail
	 * with "index returned tuples in wrong order".
	 */
	return isfinite(lb) ? lb : -INFINITY;
}

/* Rerank the next batch of candidates into so->res, sorted by lower bound. */
static void
RerankBatch(IndexScanDesc scan)
{
	FaceAnnScanOpaque so = (FaceAnnScanOpaque) scan->opaque;
	FaceAnnCache cache = so->cache;
	int			k = Min(so->rerank, so->ncand - so->nextCand);
	Buffer		buf = InvalidBuffer;
	BlockNumber cur = InvalidBlockNumber;

	if (so->nheap > 0 && so->nextCand == 0)
	{
		/*
		 * First batch of a probe round: the heap's top is the k-th smallest
		 * estimate; one partitioning pass brings those (and ties) forward.
		 */
		float		tau = so->heap[0];
		int			m = 0;

		for (int i = 0; i < so->ncand; i++)
			if (so->cand[i].est <= tau)
			{
				Candidate	t = so->cand[m];

				so->cand[m++] = so->cand[i];
				so->cand[i] = t;
			}
		k = Min(m, so->rerank);
		so->nheap = 0;
	}
	else
		SelectSmallest(so->cand, so->nextCand, so->ncand, k);
	so->nres = so->nextRes = 0;
	for (int i = so->nextCand; i < so->nextCand + k; i++)
	{
		Candidate  *c = &so->cand[i];
		Page		page;
		FaceAnnVec	v;
		double		d;
		float		xn;

		if (c->vblk != cur)
		{
			if (BufferIsValid(buf))
				UnlockReleaseBuffer(buf);
			buf = ReadBuffer(scan->indexRelation, c->vblk);
			LockBuffer(buf, BUFFER_LOCK_SHARE);
			cur = c->vblk;
			/*
			 * No page-kind check here: it would cost two cache misses per
			 * candidate, and the slot bound and TID comparison below keep a
			 * bad link harmless (faceann_check reports it).
			 */
		}
		page = BufferGetPage(buf);
		if (c->voff >= cache->vecPerPage)
			continue;
		v = (FaceAnnVec) (FaceAnnPageData(page) + (size_t) c->voff * cache->vecSize);
		/* VACUUM may have freed (and an insert reused) the slot since we read the code */
		if (!ItemPointerEquals(&v->tid, &c->tid))
			continue;
		FaceAnnDecodeVec(cache, v, so->x);
		xn = sqrtf(face_inner_product(so->x, so->x, cache->dim));
		if (so->qzero)
			d = NAN;
		else if (so->metric == FACEANN_METRIC_L2)
			d = sqrt((double) face_l2_squared(so->q, so->x, cache->dim));
		else if (so->metric == FACEANN_METRIC_IP)
			d = -(double) face_inner_product(so->q, so->x, cache->dim);
		else
			d = 1.0 - (double) face_inner_product(so->q, so->x, cache->dim);
		so->res[so->nres].lb = so->qzero ? NAN : LowerBound(so, d, xn, v->scale);
		so->res[so->nres].tid = c->tid;
		so->nres++;
	}
	if (BufferIsValid(buf))
		UnlockReleaseBuffer(buf);
	so->nextCand += k;
	if (!so->qzero)
		qsort(so->res, so->nres, sizeof(ScanResult), CompareResult);
}

bool
faceanngettuple(IndexScanDesc scan, ScanDirection dir)
{
	FaceAnnScanOpaque so = (FaceAnnScanOpaque) scan->opaque;
	MemoryContext oldcxt;

	if (so->done)
		return false;
	oldcxt = MemoryContextSwitchTo(so->ctx);
	if (!so->started)
	{
		so->started = true;
		if (!StartScan(scan))
		{
			so->done = true;
			MemoryContextSwitchTo(oldcxt);
			return false;
		}
	}

	for (;;)
	{
		if (so->nextRes < so->nres)
		{
			ScanResult	   *r = &so->res[so->nextRes++];

			scan->xs_heaptid = r->tid;
			scan->xs_recheck = false;
			scan->xs_recheckorderby = true;
			scan->xs_orderbyvals[0] = Float8GetDatum(r->lb);
			scan->xs_orderbynulls[0] = false;
			MemoryContextSwitchTo(oldcxt);
			return true;
		}
		if (so->nextCand < so->ncand)
		{
			RerankBatch(scan);
			continue;
		}
		if (so->nextList < so->cache->nlists)
		{
			int			end = Min(so->cache->nlists, so->nextList + faceann_probes);

			so->ncand = so->nextCand = 0;
			so->nheap = 0;
			for (; so->nextList < end; so->nextList++)
			{
				CHECK_FOR_INTERRUPTS();
				ProbeList(scan, so->order[so->nextList].list, so->order[so->nextList].key);
			}
			continue;
		}
		so->done = true;
		MemoryContextSwitchTo(oldcxt);
		return false;
	}
}

void
faceannendscan(IndexScanDesc scan)
{
	FaceAnnScanOpaque so = (FaceAnnScanOpaque) scan->opaque;

	MemoryContextDelete(so->ctx);
	pfree(so);
	scan->opaque = NULL;
}
