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
 * 2. Rerank: take the face.ann_rerank best remaining candidates (quickselect),
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
	float	   *r;				/* scratch: dim */
	float	   *u;				/* scratch: pdim */
	float	   *x;				/* scratch: dim */

	ProbeKey   *order;			/* lists by centroid distance */
	int			nextList;

	Candidate  *cand;
	int			ncand;
	int			capcand;
	int			nextCand;		/* cand[0..nextCand) are reranked */

	ScanResult	   *res;
	int			nres;
	int			nextRes;
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
	so->qnorm = sqrtf(face_inner_product(so->q, so->q, dim));
	so->qzero = false;
	if (so->metric == FACEANN_METRIC_COSINE)
	{
		if (so->qnorm > 0 && isfinite(so->qnorm))
		{
			for (int i = 0; i < dim; i++)
				so->q[i] /= so->qnorm;
			so->qnorm = 1.0f;
		}
		else
			so->qzero = true;
	}
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

	if (so->metric != FACEANN_METRIC_L2)
	{
		so->gq = palloc(sizeof(fc_ann_query));
		fc_ann_rotate(so->q, dim, cache->pdim, cache->seed, so->u);
		fc_ann_query_prepare(so->gq, so->u, cache->pdim);
	}
	so->capcand = 1024;
	so->cand = palloc(sizeof(Candidate) * so->capcand);
	so->res = palloc(sizeof(ScanResult) * Max(faceann_rerank, 1));
	return true;
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
		const float *c = cache->centroids + (size_t) l * cache->dim;

		for (int i = 0; i < cache->dim; i++)
			so->r[i] = so->q[i] - c[i];
		fc_ann_rotate(so->r, cache->dim, cache->pdim, cache->seed, so->u);
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
		for (int i = 0; i < n; i++)
		{
			FaceAnnCode code = (FaceAnnCode) (FaceAnnPageData(page) + (size_t) i * cache->codeSize);
			Candidate  *c = &so->cand[so->ncand++];
			float		ip = fc_ann_estimate_ip(qq, code->bits, code->k);

			c->est = so->metric == FACEANN_METRIC_L2 ? base + code->nr2 - 2.0f * ip : base - ip;
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
	return isnan(lb) ? -INFINITY : lb;
}

/* Rerank the next batch of candidates into so->res, sorted by lower bound. */
static void
RerankBatch(IndexScanDesc scan)
{
	FaceAnnScanOpaque so = (FaceAnnScanOpaque) scan->opaque;
	FaceAnnCache cache = so->cache;
	int			k = Min(faceann_rerank, so->ncand - so->nextCand);
	Buffer		buf = InvalidBuffer;
	BlockNumber cur = InvalidBlockNumber;

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
			FaceAnnCheckPage(scan->indexRelation, BufferGetPage(buf), cur, FACEANN_PAGE_VEC);
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
