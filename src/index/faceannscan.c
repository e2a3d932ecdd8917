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
 *    rotated query, see ann.h), keeping the "keep" smallest (estimate, TID)
 *    pairs above the pass's floor in a bounded max-heap: a pass stores at
 *    most keep candidates, whatever the lists hold.
 * 3. Batch: rerank the next face.ann_rerank kept candidates (in estimate
 *    order) with their fp16 vectors and return them in order of a certified
 *    lower bound of the exact distance.
 * When the executor wants more rows (a WHERE filter rejected some, or a
 * large LIMIT), the next batch comes from the kept candidates; when those
 * are used up, a new pass over the same lists keeps the next 4x as many
 * (floor = the largest pair kept so far), up to what work_mem holds; when a
 * pass finds no more, the next round starts (face.ann_iterative_scan = off
 * stops after the first round; face.ann_max_scan_tuples > 0 stops starting
 * passes once that many entries were estimated).
 *
 * Order: every row is returned with xs_recheckorderby set, so the executor
 * recomputes the exact distance on the heap tuple and reorders, as long as
 * each value returned is a lower bound of the exact distance of that row and
 * of every row returned after it.  Within a batch the lower bounds are
 * certified (fp16 and rounding error subtracted, see LowerBound).  Rows
 * still to come have only an estimate, so a batch's values are also capped
 * at the smallest estimate not yet reranked less twice the largest
 * estimation error seen (see Cap): the executor holds rows back until the
 * index has gone past them.  That cap is statistical, and for lists of a
 * later round it is a guess, so the order is made exact by a watermark: the
 * largest value handed out so far.  Every row the executor has emitted is
 * at most the watermark away, so a row whose lower bound is at least the
 * watermark cannot come out of order; one below it (found nearer by a later
 * pass or round than rows already returned) is dropped under strict_order,
 * the default, and returned anyway under relaxed_order (the result is then
 * only approximately ordered), as pgvector's HNSW iterative scans do.
 *
 * Nothing of the relcache entry is kept across calls: a relcache
 * invalidation (possible whenever the executor takes a lock between rows)
 * frees rd_amcache, so StartScan copies the list heads it needs.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "access/relscan.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/rel.h"

#include "core/vec/distance.h"
#include "type/embedding.h"
#include "faceann.h"

#define KEEP_PER_RERANK		16	/* a pass keeps this many batches' worth (the cap holds some back) */
#define KEEP_GROWTH			4	/* each further pass over a round keeps 4x more */
#define PREFETCH_CHUNK		16	/* code entries estimated between prefetches */

typedef struct Candidate
{
	float		est;			/* estimate (L2: squared distance; IP/cosine: -<q,x>) */
	float		scale;			/* the estimate's error scale: grid step * |rotated query| */
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
	int			metric;
	MemoryContext ctx;			/* everything below; reset by rescan */
	bool		started;
	bool		done;

	/*
	 * The index's layout, copied from the relcache at scan start; the arrays
	 * are not (centroids are used once, in StartScan) except codeHead, which
	 * points at the scan's own copy.
	 */
	FaceAnnCacheData ix;
	FaceAnnHints *hints;

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
	Candidate	floor;			/* keep pairs (est, tid) > floor only ... */
	bool		hasFloor;		/* ... once a pass has set it */
	int			keep;
	int			maxKeep;		/* what work_mem holds */
	bool		exhausted;		/* a pass kept everything above its floor */
	Candidate  *cand;			/* max-heap during a pass, sorted after it */
	int			ncand;
	int			nextCand;		/* cand[0..nextCand) are reranked */
	float		maxrel;			/* largest |estimate - reranked value| / scale so far */
	float		maxabs;			/* ... and largest absolute error where scale = 0 */
	int64		nsamples;		/* rows reranked so far */
	double		maxSlack;		/* largest fp16 distance - lower bound so far */
	double		absErr;			/* float rounding of an estimate (list key, bias), absolute */
	float		passScale;		/* largest scale of any entry of the round */
	int64		visited;		/* code entries estimated */

	int			rerank;			/* batch size, face.ann_rerank at scan start */
	int			mode;			/* face.ann_iterative_scan at scan start */
	int64		maxVisited;		/* face.ann_max_scan_tuples at scan start, 0: none */
	ScanResult *res;
	int			nres;
	int			nextRes;
	double		cap;			/* the current batch's values are capped here */
	double		watermark;		/* the largest value handed out */

	/* a NULL query: every row, list by list, in no order */
	bool		nullQuery;
	int			nullList;
	BlockNumber nullNext;
} FaceAnnScanOpaqueData;

typedef FaceAnnScanOpaqueData *FaceAnnScanOpaque;

IndexScanDesc
faceannbeginscan(Relation index, int nkeys, int norderbys)
{
	IndexScanDesc scan = RelationGetIndexScan(index, nkeys, norderbys);
	FaceAnnScanOpaque so = palloc0(sizeof(FaceAnnScanOpaqueData));

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
	so->ncand = so->nextCand = 0;
	so->nres = so->nextRes = 0;
	so->roundStart = so->roundEnd = 0;
	so->nullQuery = false;
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

/* (est, tid) order; est is never NaN (ProbeList maps NaN to infinity) */
static inline bool
CandidateGreater(const Candidate *a, const Candidate *b)
{
	if (a->est != b->est)
		return a->est > b->est;
	return ItemPointerCompare((ItemPointer) &a->tid, (ItemPointer) &b->tid) > 0;
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

/*
 * Copy what the scan needs of the relcache entry: the layout, and the list
 * heads into the scan's context.  The centroids are used (for the list keys)
 * before anything can process an invalidation.
 */
static FaceAnnCache
CopyLayout(IndexScanDesc scan)
{
	FaceAnnScanOpaque so = (FaceAnnScanOpaque) scan->opaque;
	FaceAnnCache cache = FaceAnnGetCache(scan->indexRelation);

	so->ix = *cache;
	so->ix.codeHead = palloc(sizeof(BlockNumber) * cache->nlists);
	memcpy(so->ix.codeHead, cache->codeHead, sizeof(BlockNumber) * cache->nlists);
	so->ix.centroids = so->ix.cnorm2 = so->ix.rcentroids = NULL;
	so->ix.vecHead = NULL;
	return cache;
}

/*
 * Set up the query and the list keys; false if there is nothing to return.
 * A NULL query (a parameter, as a constant NULL is folded away by the
 * planner) makes every distance NULL: every row is an answer, in any order.
 */
static bool
StartScan(IndexScanDesc scan)
{
	FaceAnnScanOpaque so = (FaceAnnScanOpaque) scan->opaque;
	FaceAnnCache cache;
	FaceEmbedding *e;
	int			dim;
	float	   *keys;
	float	   *qrot;

	if (scan->numberOfOrderBys < 1)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("faceann index scans need ORDER BY a distance operator"),
				 errdetail("Index \"%s\" returns rows only in distance order.",
						   RelationGetRelationName(scan->indexRelation))));
	if (scan->xs_want_itup)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("faceann does not support index-only scans")));
	if (!IsMVCCSnapshot(scan->xs_snapshot))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("faceann index scans need an MVCC snapshot")));
	pgstat_count_index_scan(scan->indexRelation);

	/*
	 * Detoast the query before taking the layout: fetching a toasted value
	 * locks the toast relation, which processes invalidations and may free
	 * rd_amcache, which cache points into until the list keys are computed.
	 */
	e = (scan->orderByData[0].sk_flags & SK_ISNULL) ? NULL :
		DatumGetFaceEmbedding(scan->orderByData[0].sk_argument);
	cache = CopyLayout(scan);
	dim = cache->dim;
	if (dim == 0)
		return false;			/* nothing was ever inserted */
	so->hints = palloc0(sizeof(FaceAnnHints));
	so->rerank = faceann_rerank;
	so->res = palloc(sizeof(ScanResult) * Max(so->rerank, cache->codePerPage));

	if (e == NULL)
	{
		so->nullQuery = true;
		so->nullList = 0;
		so->nullNext = so->ix.codeHead[0];
		return true;
	}

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

	so->mode = faceann_iterative_scan;
	so->maxVisited = faceann_max_scan_tuples;
	/* the candidate heap may take half of work_mem, and at least one batch */
	so->maxKeep = (int) Min((double) work_mem * 1024.0 / 2 / sizeof(Candidate), MaxAllocSize / sizeof(Candidate));
	so->maxKeep = Max(so->maxKeep, so->rerank);
	so->cand = NULL;
	so->ips = palloc(sizeof(float) * cache->codePerPage);
	so->maxrel = so->maxabs = 0;
	so->nsamples = 0;
	so->maxSlack = 0;
	/*
	 * The list key (|q|^2 + |c|^2 - 2<q,c> in float) and the bias round off
	 * in absolute terms, which the grid-step scale misses for tight lists.
	 */
	so->absErr = (double) (cache->pdim + 16) * FLT_EPSILON * 4.0 * ((double) so->qnorm * so->qnorm + 1.0);
	so->visited = 0;
	so->watermark = -INFINITY;
	return true;
}

/*
 * Offer c to the bounded max-heap so->cand of the so->keep smallest pairs;
 * the caller has checked that c is below the top of a full heap.
 */
static inline void
HeapOffer(FaceAnnScanOpaque so, const Candidate *c)
{
	Candidate  *h = so->cand;
	int			n = so->ncand,
				i;

	if (n < so->keep)
	{
		/* sift up */
		i = so->ncand++;
		while (i > 0 && CandidateGreater(c, &h[(i - 1) / 2]))
		{
			h[i] = h[(i - 1) / 2];
			i = (i - 1) / 2;
		}
		h[i] = *c;
		return;
	}
	/* replace the top and sift down */
	i = 0;
	for (;;)
	{
		int			ch = 2 * i + 1;

		if (ch >= n)
			break;
		if (ch + 1 < n && CandidateGreater(&h[ch + 1], &h[ch]))
			ch++;
		if (!CandidateGreater(&h[ch], c))
			break;
		h[i] = h[ch];
		i = ch;
	}
	h[i] = *c;
}

/*
 * Read the code chain of list l, keeping the entries whose (estimate, TID)
 * is above the floor and among the keep smallest so far.
 *
 * L2: |q - x|^2 = |q - c|^2 + bias - 2<Pq, u^> (bias = |u|^2 + 2<Pc, u^>,
 * stored per entry), so one prepared query serves every list.
 * IP/cosine: -<q, x> = -<q, c> - <Pq, u^>.
 */
static void
ProbeList(IndexScanDesc scan, int l, float key, BlockNumber after)
{
	FaceAnnScanOpaque so = (FaceAnnScanOpaque) scan->opaque;
	FaceAnnCache cache = &so->ix;
	float		twice = so->metric == FACEANN_METRIC_L2 ? 2.0f : 1.0f;
	BlockNumber blkno = cache->codeHead[l];
	Buffer		buf = FaceAnnReadBuffer(scan->indexRelation, so->hints, blkno);

	/* keep est in [floor, limit]: limit is the heap's top once it is full */
	float		floor = so->hasFloor ? so->floor.est : -INFINITY;
	float		limit = so->ncand == so->keep ? so->cand[0].est : INFINITY;

	/*
	 * The estimate errs by about 2<u - u^, v> (L2, v = P(q - c)) or
	 * <u - u^, Pq> (IP, cosine): proportional to the entry's grid step and
	 * to |v|, which differs from list to list; Cap learns the factor.
	 */
	float		vnorm = so->metric == FACEANN_METRIC_L2 ? 2.0f * sqrtf(Max(key, 0.0f)) : so->qnorm;
	float		maxDelta = 0;

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
		n = FaceAnnCheckCount(scan->indexRelation, page, blkno, cache->codePerPage);
		next = opaque->nextblkno;
		so->visited += n;

		/*
		 * The scan is bound by memory latency: pin the next page of the chain
		 * (or the next list's head) now and ask for its cache lines a few at
		 * a time while this page is estimated, so they arrive in time without
		 * a burst of prefetches stalling on the CPU's miss buffers.
		 */
		ahead = NULL;
		if (BlockNumberIsValid(next) || BlockNumberIsValid(after))
		{
			Buffer		b = FaceAnnReadBuffer(scan->indexRelation, so->hints,
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
			Candidate	c;

			c.est = key + code->bias - twice * so->ips[i];
			if (isnan(c.est))
				c.est = INFINITY;	/* out-of-range vectors: last, but never lost */
			maxDelta = fmaxf(maxDelta, code->delta);
			if (c.est < floor || c.est > limit)
				continue;
			c.tid = code->tid;
			if (c.est == floor && !CandidateGreater(&c, &so->floor))
				continue;
			if (so->ncand == so->keep && !CandidateGreater(&so->cand[0], &c))
				continue;
			c.vblk = code->vblk;
			c.voff = code->voff;
			c.scale = code->delta * vnorm;
			HeapOffer(so, &c);
			if (so->ncand == so->keep)
				limit = so->cand[0].est;
		}
		UnlockReleaseBuffer(buf);
		buf = nextbuf;
		blkno = next;
	}
	if (isfinite(maxDelta * vnorm))
		so->passScale = fmaxf(so->passScale, maxDelta * vnorm);
	else
		so->passScale = INFINITY;
	pgstat_count_index_tuples(scan->indexRelation, 0);
}

/*
 * One pass over the round's lists: keep the so->keep smallest pairs above
 * so->floor, sorted; the next pass starts above the largest kept.
 */
static void
ProbePass(IndexScanDesc scan)
{
	FaceAnnScanOpaque so = (FaceAnnScanOpaque) scan->opaque;

	so->ncand = so->nextCand = 0;
	so->cand = so->cand ? repalloc_huge(so->cand, sizeof(Candidate) * so->keep)
		: palloc(sizeof(Candidate) * so->keep);
	for (int i = so->roundStart; i < so->roundEnd; i++)
	{
		CHECK_FOR_INTERRUPTS();
		ProbeList(scan, so->order[i].list, so->order[i].key,
				  i + 1 < so->roundEnd ? so->ix.codeHead[so->order[i + 1].list] : InvalidBlockNumber);
	}
	so->exhausted = so->ncand < so->keep;
	qsort(so->cand, so->ncand, sizeof(Candidate), CompareCandidate);
	if (so->ncand > 0)
	{
		so->floor = so->cand[so->ncand - 1];
		so->hasFloor = true;
	}
}

/* May the scan read more entries (face.ann_max_scan_tuples)? */
static bool
MayReadMore(FaceAnnScanOpaque so)
{
	return so->maxVisited <= 0 || so->visited < so->maxVisited;
}

/* Will NextRound find another round? */
static bool
MoreRounds(FaceAnnScanOpaque so)
{
	return so->roundEnd < so->ix.nlists && MayReadMore(so) &&
		(so->mode != FACEANN_ITERATIVE_OFF || so->roundEnd == 0);
}

/* Start the next round: the next face.ann_probes lists, in key order. */
static bool
NextRound(IndexScanDesc scan)
{
	FaceAnnScanOpaque so = (FaceAnnScanOpaque) scan->opaque;
	int			nlists = so->ix.nlists;
	int			n = Min(faceann_probes, nlists - so->roundEnd);

	if (n <= 0 || !MoreRounds(so))
		return false;
	so->roundStart = so->roundEnd;
	so->roundEnd += n;
	SelectSmallestKeys(so->order, so->roundStart, nlists, n);
	qsort(so->order + so->roundStart, n, sizeof(ProbeKey), CompareProbeKey);
	so->hasFloor = false;
	so->passScale = 0;
	so->keep = Min(Max(KEEP_PER_RERANK * so->rerank, 100), so->maxKeep);
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
	int			n = so->ix.dim;
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
 * An estimate's lower bound from the errors seen: twice the largest,
 * scaled.  Until CAP_SAMPLES rows were reranked the largest seen is no
 * measure of the tail, so it is at least CAP_MIN_REL: the grid error of a
 * coordinate is up to half a step, and the query's int8 rounding adds about
 * as much again.
 */
#define CAP_SAMPLES		64	/* see LowEstimate */
#define CAP_MIN_REL		0.5

static inline double
LowEstimate(FaceAnnScanOpaque so, float est, float scale)
{
	double		rel = so->nsamples < CAP_SAMPLES ? Max(so->maxrel, CAP_MIN_REL) : so->maxrel;

	return (double) est - 2.0 * (rel * scale + so->maxabs + so->absErr);
}

/* An estimate-unit bound converted to ORDER BY units. */
static double
ToOrderBy(FaceAnnScanOpaque so, double c)
{
	if (isinf(c) && c > 0)
		return INFINITY;
	if (isnan(c))
		return -INFINITY;
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

/*
 * The cap of the current batch: a guess of the smallest exact distance of
 * the rows still to come in this round.  Each candidate not yet reranked is
 * at least its estimate less twice the largest error seen (relative to the
 * entry's error scale); the next pass's entries (estimated above the
 * floor) with the round's largest scale.
 */
static double
Cap(FaceAnnScanOpaque so)
{
	double		c = INFINITY;

	/*
	 * Kept candidates come in estimate order, and none has a scale above
	 * the round's largest: the walk stops where no later one can go lower.
	 */
	for (int i = so->nextCand; i < so->ncand; i++)
	{
		if (LowEstimate(so, so->cand[i].est, so->passScale) >= c)
			break;
		c = Min(c, LowEstimate(so, so->cand[i].est, so->cand[i].scale));
	}
	if (!so->exhausted && MayReadMore(so))
		c = Min(c, LowEstimate(so, so->floor.est, so->passScale));

	/*
	 * A later row is compared with the watermark by its lower bound, which
	 * is up to twice the fp16 slack below its exact distance: the cap stays
	 * that far below, or near-ties within fp16 precision would be dropped.
	 */
	return ToOrderBy(so, c) - 2.0 * so->maxSlack;
}

/*
 * The distance from the query to x (ORDER BY units) in double: for the rows
 * whose float computation overflowed, so that their bound stays finite.
 */
static double
DistanceInDouble(FaceAnnScanOpaque so, const float *x)
{
	double		s = 0;

	for (int i = 0; i < so->ix.dim; i++)
	{
		if (so->metric == FACEANN_METRIC_L2)
			s += ((double) so->q[i] - x[i]) * ((double) so->q[i] - x[i]);
		else
			s -= (double) so->q[i] * x[i];
	}
	switch (so->metric)
	{
		case FACEANN_METRIC_L2:
			return sqrt(s);
		case FACEANN_METRIC_IP:
			return s;
		default:
			return 1.0 + s;
	}
}

/* Rerank the next batch of kept candidates into so->res, sorted by lower bound. */
static void
RerankBatch(IndexScanDesc scan)
{
	FaceAnnScanOpaque so = (FaceAnnScanOpaque) scan->opaque;
	FaceAnnCache cache = &so->ix;
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
			buf = FaceAnnReadBuffer(scan->indexRelation, so->hints, c->vblk);
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
		if (!so->qzero && !isfinite(ev))
			d = DistanceInDouble(so, so->x);
		if (isfinite(ev) && isfinite(c->est))
		{
			float		err = fabsf(ev - c->est);

			so->nsamples++;
			if (c->scale > 0 && isfinite(c->scale))
				so->maxrel = Max(so->maxrel, err / c->scale);
			else
				so->maxabs = Max(so->maxabs, err);
		}
		so->res[so->nres].lb = so->qzero ? NAN : LowerBound(so, d, xn, v->scale);
		if (isfinite(so->res[so->nres].lb) && isfinite(d))
			so->maxSlack = Max(so->maxSlack, d - so->res[so->nres].lb);
		so->res[so->nres].tid = c->tid;
		so->nres++;
	}
	if (BufferIsValid(buf))
		UnlockReleaseBuffer(buf);
	so->nextCand += k;
	if (!so->qzero)
		qsort(so->res, so->nres, sizeof(ScanResult), CompareResult);

	/*
	 * What is still to come starts at the next kept estimate, or the floor;
	 * once the round is exhausted, somewhere in the next round's lists, of
	 * which nothing is known yet: the round's last rows are handed out at
	 * the watermark (a lower bound of each, as they are at or above it), so
	 * the executor holds them until the next rounds have gone past them,
	 * and the watermark does not rise over rows the next round may hold.
	 */
	if (so->nextCand < so->ncand || (!so->exhausted && MayReadMore(so)))
		so->cap = Cap(so);
	else if (MoreRounds(so))
		so->cap = -INFINITY;	/* handed out at the watermark, see above */
	else
		so->cap = INFINITY;
}

/* The TIDs of the next non-empty code page, list by list (a NULL query). */
static bool
NextNullPage(IndexScanDesc scan)
{
	FaceAnnScanOpaque so = (FaceAnnScanOpaque) scan->opaque;
	FaceAnnCache cache = &so->ix;

	so->nres = so->nextRes = 0;
	while (so->nres == 0)
	{
		Buffer		buf;
		Page		page;
		int			n;

		CHECK_FOR_INTERRUPTS();
		if (!BlockNumberIsValid(so->nullNext))
		{
			if (++so->nullList >= cache->nlists)
				return false;
			so->nullNext = cache->codeHead[so->nullList];
			continue;
		}
		buf = FaceAnnReadBuffer(scan->indexRelation, so->hints, so->nullNext);
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		FaceAnnCheckPage(scan->indexRelation, page, so->nullNext, FACEANN_PAGE_CODE);
		n = FaceAnnCheckCount(scan->indexRelation, page, so->nullNext, cache->codePerPage);
		for (int i = 0; i < n; i++)
			so->res[so->nres++].tid =
				((FaceAnnCode) (FaceAnnPageData(page) + (size_t) i * cache->codeSize))->tid;
		so->nullNext = FaceAnnPageGetOpaque(page)->nextblkno;
		UnlockReleaseBuffer(buf);
	}
	return true;
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

	if (so->nullQuery)
	{
		if (so->nextRes >= so->nres && !NextNullPage(scan))
		{
			so->done = true;
			MemoryContextSwitchTo(oldcxt);
			return false;
		}
		scan->xs_heaptid = so->res[so->nextRes++].tid;
		scan->xs_recheck = false;
		scan->xs_recheckorderby = false;
		scan->xs_orderbyvals[0] = (Datum) 0;
		scan->xs_orderbynulls[0] = true;
		MemoryContextSwitchTo(oldcxt);
		return true;
	}

	for (;;)
	{
		if (so->nextRes < so->nres)
		{
			ScanResult *r = &so->res[so->nextRes++];
			double		value;

			if (isnan(r->lb))
				value = r->lb;	/* a zero cosine query: NaN for every row */
			else if (r->lb >= so->watermark)
			{
				value = Max(so->watermark, Min(r->lb, so->cap));
				so->watermark = value;
			}
			else if (so->mode == FACEANN_ITERATIVE_RELAXED)
				value = Min(r->lb, so->cap);	/* may come out of order */
			else
				continue;		/* nearer than rows already returned: dropped */

			scan->xs_heaptid = r->tid;
			scan->xs_recheck = false;
			scan->xs_recheckorderby = true;
			scan->xs_orderbyvals[0] = Float8GetDatum(value);
			scan->xs_orderbynulls[0] = false;
			MemoryContextSwitchTo(oldcxt);
			return true;
		}
		if (so->nextCand < so->ncand)
		{
			RerankBatch(scan);
			continue;
		}
		if (so->roundEnd > 0 && !so->exhausted && MayReadMore(so))
		{
			/* the round's lists hold more: the next pass keeps more of them */
			so->keep = (int) Min((int64) so->keep * KEEP_GROWTH, so->maxKeep);
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
