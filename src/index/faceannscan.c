/*-------------------------------------------------------------------------
 *
 * faceannscan.c
 *	  Ordered scans of a faceann index (ORDER BY emb <-> q LIMIT k).
 *
 * A scan works in rounds, passes and batches:
 *
 * 1. Round: the next face.ann_probes lists by centroid distance (selected,
 *    not sorted, among all lists: only a round's lists are put in order).
 * 2. Pass: read the code pages of the round's lists and estimate every
 *    entry's distance from its 4-bit code (an int8 dot product with the
 *    rotated query, see ann.h), keeping only the "keep" smallest estimates
 *    above the pass's floor (a bounded max-heap decides, so a pass stores a
 *    few hundred candidates, not every entry it reads).
 * 3. Batch: rerank the next face.ann_rerank kept candidates (in estimate
 *    order) with their fp16 vectors and return them in order of a certified
 *    lower bound of the exact distance.
 * When the executor wants more rows (a WHERE filter rejected some, or a
 * large LIMIT), the next batch comes from the kept candidates; when those
 * are used up, a new pass over the same lists keeps the next 4x as many
 * (floor = the largest estimate kept so far); when a pass finds no more, the
 * next round starts.  So a filtered query keeps going until it has its LIMIT
 * or the index is exhausted: it never silently returns fewer rows than match.
 *
 * Order: every row is returned with xs_recheckorderby set, so the executor
 * recomputes the exact distance on the heap tuple and reorders, as long as
 * each value returned is a lower bound of the exact distance of that row and
 * of every row returned after it.  Within a batch the lower bounds are
 * certified (fp16 and rounding error subtracted, see LowerBound).  Rows that
 * are still to come have only an estimate, so a batch's values are also
 * capped at the smallest estimate not yet reranked, less twice the largest
 * estimation error seen in the round (see Cap): the executor then holds back
 * rows until the index has gone past them.  Only across rounds (a query
 * whose filter rejects nearly every row of face.ann_probes lists) is the
 * order left approximate.
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

#include "core/vec/distance.h"
#include "type/embedding.h"
#include "faceann.h"

#define KEEP_PER_RERANK		4	/* a pass keeps this many batches' worth */
#define KEEP_GROWTH			4	/* each further pass over a round keeps 4x more */
#define PREFETCH_CHUNK		16	/* code entries estimated between prefetches */

typedef struct Candidate
{
	float		est;			/* estimate (L2: squared distance; IP/cosine: -<q,x>) */
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
	float		key;			/* L2: |q - c|^2; IP/cosine: -<q,c> */
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
	fc_ann_query *pq;			/* the rotated query, prepared for the estimator */
	float	   *ips;			/* scratch: estimates of one code page */
	float	   *x;				/* scratch: dim */

	ProbeKey   *order;			/* lists; order[0..roundEnd) in key order */
	int			roundStart;		/* the round's lists are order[roundStart..roundEnd) */
	int			roundEnd;

	/* the current pass over the round */
	float		floor;			/* keep estimates > floor only */
	int			keep;
	bool		exhausted;		/* a pass kept everything above its floor */
	Candidate  *cand;			/* kept, sorted by est after the pass */
	int			ncand;
	int			capcand;
	int			nextCand;		/* cand[0..nextCand) are reranked */
	float	   *heap;			/* max-heap of the keep smallest estimates */
	int			nheap;
	float		maxerr;			/* largest |estimate - reranked value| this round */

	int			rerank;			/* batch size, face.ann_rerank at scan start */
	ScanResult *res;
	int			nres;
	int			nextRes;
	double		cap;			/* the current batch's values are capped here */
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
	so->roundStart = so->roundEnd = 0;
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
CompareCandidate(const void *a, const void *b)
{
	const Candidate *ca = a,
			   *cb = b;

	if (ca->est != cb->est)
		return ca->est < cb->est ? -1 : 1;
	return ItemPointerCompare((ItemPointer) &ca->tid, (ItemPointer) &cb->tid);
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

/* Partially order keys[lo..hi) so that its k smallest come first (quickselect). */
static void
SelectSmallestKeys(ProbeKey *keys, int lo, int hi, int k)
{
	int			target = lo + k;

	while (hi - lo > 1 && target > lo && target < hi)
	{
		ProbeKey	pivot = keys[lo + (hi - lo) / 2];
		int			i = lo,
					j = hi - 1;

		while (i <= j)
		{
			while (CompareProbeKey(&keys[i], &pivot) < 0)
				i++;
			while (CompareProbeKey(&keys[j], &pivot) > 0)
				j--;
			if (i <= j)
			{
				ProbeKey	t = keys[i];

				keys[i] = keys[j];
				keys[j] = t;
				i++;
				j--;
			}
		}
		/* now keys[lo..j] <= pivot <= keys[i..hi) */
		if (target <= j + 1)
			hi = j + 1;
		else if (target >= i)
			lo = i;
		else
			return;
	}
}

/* Set up the query and the list keys; false if there is nothing to return. */
static bool
StartScan(IndexScanDesc scan)
{
	FaceAnnScanOpaque so = (FaceAnnScanOpaque) scan->opaque;
	FaceAnnCache cache = so->cache;
	FaceEmbedding *e;
	int			dim = cache->dim;
	float	   *keys;
	float	   *qrot;

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
	so->x = palloc(sizeof(float) * dim);

	keys = palloc(sizeof(float) * cache->nlists);
	fc_ann_list_keys(so->q, dim, cache->centroids, cache->cnorm2, cache->nlists,
					 so->metric == FACEANN_METRIC_L2, keys);
	so->order = palloc(sizeof(ProbeKey) * cache->nlists);
	for (int l = 0; l < cache->nlists; l++)
	{
		so->order[l].list = l;
		so->order[l].key = isnan(keys[l]) ? INFINITY : keys[l];
	}
	pfree(keys);

	qrot = palloc(sizeof(float) * cache->pdim);
	fc_ann_rotate(so->q, dim, cache->pdim, cache->seed, qrot);
	so->pq = palloc(sizeof(fc_ann_query));
	fc_ann_query_prepare(so->pq, qrot, cache->pdim);
	pfree(qrot);

	so->rerank = faceann_rerank;
	so->res = palloc(sizeof(ScanResult) * so->rerank);
	so->capcand = 1024;
	so->cand = palloc(sizeof(Candidate) * so->capcand);
	so->ips = palloc(sizeof(float) * cache->codePerPage);
	so->heap = NULL;
	return true;
}

/* Offer est to the bounded max-heap of the so->keep smallest estimates. */
static inline void
HeapOffer(FaceAnnScanOpaque so, float est)
{
	float	   *h = so->heap;
	int			n = so->nheap,
				i;

	if (n < so->keep)
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

/*
 * Read the code chain of list l, keeping the entries whose estimate is above
 * the floor and among the keep smallest so far (ties included).
 *
 * L2: |q - x|^2 = |q - c|^2 + bias - 2<Pq, u^> (bias = |u|^2 + 2<Pc, u^>,
 * stored per entry), so one prepared query serves every list.
 * IP/cosine: -<q, x> = -<q, c> - <Pq, u^>.
 */
static void
ProbeList(IndexScanDesc scan, int l, float key, BlockNumber after)
{
	FaceAnnScanOpaque so = (FaceAnnScanOpaque) scan->opaque;
	FaceAnnCache cache = so->cache;
	float		twice = so->metric == FACEANN_METRIC_L2 ? 2.0f : 1.0f;
	BlockNumber blkno = cache->codeHead[l];
	Buffer		buf = FaceAnnReadBuffer(scan->indexRelation, cache, blkno);

	/* keep est in (floor, limit]: limit is the heap's top once it is full */
	float		floor = so->floor;
	float		limit = so->nheap == so->keep ? so->heap[0] : INFINITY;

	while (BufferIsValid(buf))
	{
		Page		page;
		FaceAnnPageOpaque opaque;
		FaceAnnCode first;
		BlockNumber next;
		Buffer		nextbuf = InvalidBuffer;
		const char *ahead;
		int			n;

		CHECK_FOR_INTERRUPTS();	/* also breaks out of a corrupt, looping chain */
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		FaceAnnCheckPage(scan->indexRelation, page, blkno, FACEANN_PAGE_CODE);
		opaque = FaceAnnPageGetOpaque(page);
		n = opaque->count;
		next = opaque->nextblkno;

		/*
		 * The scan is bound by memory latency: pin the next page of the chain
		 * (or the next list's head) now and ask for its cache lines a few at
		 * a time while this page is estimated, so they arrive in time without
		 * a burst of prefetches stalling on the CPU's miss buffers.
		 */
		ahead = NULL;
		if (BlockNumberIsValid(next) || BlockNumberIsValid(after))
		{
			Buffer		b = FaceAnnReadBuffer(scan->indexRelation, cache,
											  BlockNumberIsValid(next) ? next : after);

			ahead = (const char *) BufferGetPage(b);
			if (BlockNumberIsValid(next))
				nextbuf = b;
			else
				ReleaseBuffer(b);	/* only its lines are wanted; the hint finds it again */
		}

		first = (FaceAnnCode) FaceAnnPageData(page);
		for (int s = 0, pf = 0; s < n || (ahead && pf < BLCKSZ); s += PREFETCH_CHUNK)
		{
			int			m = Min(PREFETCH_CHUNK, n - s);
			int			upto = n > 0 ? (int) ((int64) BLCKSZ * Min(s + PREFETCH_CHUNK, n) / n) : BLCKSZ;

			for (; ahead && pf < upto; pf += 64)
				__builtin_prefetch(ahead + pf);
			if (m > 0)
				fc_ann_estimate_ip_batch(so->pq, first->nib + (size_t) s * cache->codeSize,
										 (const uint8 *) &first->lo + (size_t) s * cache->codeSize,
										 cache->codeSize, m, so->ips + s);
		}
		for (int i = 0; i < n; i++)
		{
			FaceAnnCode code = (FaceAnnCode) ((char *) first + (size_t) i * cache->codeSize);
			float		est = key + code->bias - twice * so->ips[i];
			Candidate  *c;

			if (isnan(est))
				est = INFINITY;	/* out-of-range vectors: last, but never lost */
			if (!(est > floor) || !(est <= limit))
				continue;
			if (so->ncand == so->capcand)
			{
				so->capcand *= 2;
				so->cand = repalloc_huge(so->cand, sizeof(Candidate) * so->capcand);
			}
			c = &so->cand[so->ncand++];
			c->est = est;
			c->tid = code->tid;
			c->vblk = code->vblk;
			c->voff = code->voff;
			HeapOffer(so, est);
			if (so->nheap == so->keep)
				limit = so->heap[0];
		}
		UnlockReleaseBuffer(buf);
		buf = nextbuf;
		blkno = next;
	}
	pgstat_count_index_tuples(scan->indexRelation, 0);
}

/*
 * One pass over the round's lists: keep the so->keep smallest estimates
 * above so->floor, sorted; the next pass starts above the largest kept.
 */
static void
ProbePass(IndexScanDesc scan)
{
	FaceAnnScanOpaque so = (FaceAnnScanOpaque) scan->opaque;
	float		tau;
	int			m = 0;

	so->ncand = so->nextCand = 0;
	so->nheap = 0;
	so->heap = so->heap ? repalloc_huge(so->heap, sizeof(float) * so->keep)
		: palloc(sizeof(float) * so->keep);
	for (int i = so->roundStart; i < so->roundEnd; i++)
	{
		CHECK_FOR_INTERRUPTS();
		ProbeList(scan, so->order[i].list, so->order[i].key,
				  i + 1 < so->roundEnd ? so->cache->codeHead[so->order[i + 1].list] : InvalidBlockNumber);
	}
	/* an infinite top means every entry above the floor was kept */
	so->exhausted = so->nheap < so->keep || so->heap[0] == INFINITY;
	tau = so->exhausted ? INFINITY : so->heap[0];
	/* entries stored before the heap filled up may be above its final top */
	for (int i = 0; i < so->ncand; i++)
		if (so->cand[i].est <= tau || so->exhausted)
			so->cand[m++] = so->cand[i];
	so->ncand = m;
	qsort(so->cand, so->ncand, sizeof(Candidate), CompareCandidate);
	so->floor = tau;
}

/* Start the next round: the next face.ann_probes lists, in key order. */
static bool
NextRound(IndexScanDesc scan)
{
	FaceAnnScanOpaque so = (FaceAnnScanOpaque) scan->opaque;
	int			nlists = so->cache->nlists;
	int			n = Min(faceann_probes, nlists - so->roundEnd);

	if (n <= 0)
		return false;
	so->roundStart = so->roundEnd;
	so->roundEnd += n;
	SelectSmallestKeys(so->order, so->roundStart, nlists, n);
	qsort(so->order + so->roundStart, n, sizeof(ProbeKey), CompareProbeKey);
	so->floor = -INFINITY;
	so->keep = Max(KEEP_PER_RERANK * so->rerank, 100);
	so->maxerr = 0;
	return true;
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

/*
 * The cap of the current batch: every row still to come (the kept ones not
 * yet reranked, or the next pass's, all estimated at >= next) is at least
 * next less its estimation error; the errors seen so far bound that error
 * with a margin of two.  Converted from estimate units to ORDER BY units.
 */
static double
Cap(FaceAnnScanOpaque so, float next)
{
	double		c = (double) next - 2.0 * so->maxerr;

	if (isinf(next) || isnan(c))
		return INFINITY;
	switch (so->metric)
	{
		case FACEANN_METRIC_L2:
			return c > 0 ? sqrt(c) : 0.0;
		case FACEANN_METRIC_IP:
			return c;
		default:
			return 1.0 + c;
	}
}

/* Rerank the next batch of kept candidates into so->res, sorted by lower bound. */
static void
RerankBatch(IndexScanDesc scan)
{
	FaceAnnScanOpaque so = (FaceAnnScanOpaque) scan->opaque;
	FaceAnnCache cache = so->cache;
	int			k = Min(so->rerank, so->ncand - so->nextCand);
	Buffer		buf = InvalidBuffer;
	BlockNumber cur = InvalidBlockNumber;

	so->nres = so->nextRes = 0;
	for (int i = so->nextCand; i < so->nextCand + k; i++)
	{
		Candidate  *c = &so->cand[i];
		Page		page;
		FaceAnnVec	v;
		double		d;
		float		xn,
					ev;

		if (c->vblk != cur)
		{
			if (BufferIsValid(buf))
				UnlockReleaseBuffer(buf);
			buf = FaceAnnReadBuffer(scan->indexRelation, cache, c->vblk);
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
			d = ev = NAN;
		else if (so->metric == FACEANN_METRIC_L2)
		{
			ev = face_l2_squared(so->q, so->x, cache->dim);
			d = sqrt((double) ev);
		}
		else
		{
			ev = -face_inner_product(so->q, so->x, cache->dim);
			d = so->metric == FACEANN_METRIC_IP ? ev : 1.0 + (double) ev;
		}
		if (isfinite(ev) && isfinite(c->est))
			so->maxerr = Max(so->maxerr, fabsf(ev - c->est));
		so->res[so->nres].lb = so->qzero ? NAN : LowerBound(so, d, xn, v->scale);
		so->res[so->nres].tid = c->tid;
		so->nres++;
	}
	if (BufferIsValid(buf))
		UnlockReleaseBuffer(buf);
	so->nextCand += k;
	if (!so->qzero)
		qsort(so->res, so->nres, sizeof(ScanResult), CompareResult);
	/* what is still to come in this round starts at the next kept estimate, or the floor */
	if (so->nextCand < so->ncand)
		so->cap = Cap(so, so->cand[so->nextCand].est);
	else
		so->cap = so->exhausted ? INFINITY : Cap(so, so->floor);
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
			ScanResult *r = &so->res[so->nextRes++];

			scan->xs_heaptid = r->tid;
			scan->xs_recheck = false;
			scan->xs_recheckorderby = true;
			/* Min() would turn a NaN bound (zero cosine query) into the cap */
			scan->xs_orderbyvals[0] = Float8GetDatum(r->lb > so->cap ? so->cap : r->lb);
			scan->xs_orderbynulls[0] = false;
			MemoryContextSwitchTo(oldcxt);
			return true;
		}
		if (so->nextCand < so->ncand)
		{
			RerankBatch(scan);
			continue;
		}
		if (so->roundEnd > 0 && !so->exhausted)
		{
			/* the round's lists hold more: the next pass keeps more of them */
			so->keep = (int) Min((int64) so->keep * KEEP_GROWTH, PG_INT32_MAX / 8);
			ProbePass(scan);
			continue;
		}
		if (NextRound(scan))
		{
			ProbePass(scan);
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
