/*-------------------------------------------------------------------------
 *
 * faceannutils.c
 *	  faceann page helpers, the per-backend cache of centroids and chain
 *	  heads, and the conversion of a face_embedding into index entries.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/generic_xlog.h"
#include "storage/lmgr.h"
#include "utils/rel.h"

#include "compat.h"
#include "core/vec/distance.h"
#include "type/embedding.h"
#include "faceann.h"

/* Which metric the index's opclass orders by (support function 1). */
int
FaceAnnGetMetric(Relation index)
{
	FmgrInfo   *proc = index_getprocinfo(index, 1, FACEANN_SUPPORT_PROC);
	int			metric = DatumGetInt32(FunctionCall1(proc, PointerGetDatum(NULL)));

	if (metric < FACEANN_METRIC_L2 || metric > FACEANN_METRIC_IP)
		elog(ERROR, "faceann support function returned unknown metric %d", metric);
	return metric;
}

/* Format an empty page of the given kind. */
void
FaceAnnInitPage(Page page, uint16 page_id)
{
	FaceAnnPageOpaque opaque;

	PageInit(page, BLCKSZ, sizeof(FaceAnnPageOpaqueData));
	opaque = FaceAnnPageGetOpaque(page);
	opaque->nextblkno = InvalidBlockNumber;
	opaque->count = 0;
	opaque->page_id = page_id;
}

/*
 * Extend fork by one page.  Returns the new buffer pinned and exclusively
 * locked; the caller initialises it (its content is all zeroes).
 */
Buffer
FaceAnnNewBuffer(Relation index, ForkNumber fork)
{
	Buffer		buf;
	bool		needLock = !RELATION_IS_LOCAL(index);

	if (needLock)
		LockRelationForExtension(index, ExclusiveLock);
	buf = ReadBufferExtended(index, fork, P_NEW, RBM_NORMAL, NULL);
	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	if (needLock)
		UnlockRelationForExtension(index, ExclusiveLock);
	return buf;
}

/* ERROR (index corrupted) unless page is a faceann page of the given kind. */
void
FaceAnnCheckPage(Relation index, Page page, BlockNumber blkno, uint16 page_id)
{
	if (PageIsNew(page) || PageGetSpecialSize(page) != MAXALIGN(sizeof(FaceAnnPageOpaqueData)) ||
		FaceAnnPageGetOpaque(page)->page_id != page_id)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("index \"%s\" contains unexpected page at block %u",
						RelationGetRelationName(index), blkno),
				 errdetail("Expected a page of kind 0x%04X.", page_id),
				 errhint("Please REINDEX it.")));
}

/*
 * The entry count of a code or vector page, or ERROR (index corrupted) if it
 * exceeds what such a page holds (max): a reader must never trust a count
 * to index its arrays.
 */
int
FaceAnnCheckCount(Relation index, Page page, BlockNumber blkno, int max)
{
	int			n = FaceAnnPageGetOpaque(page)->count;

	if (n > max)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("index \"%s\" contains corrupt page at block %u",
						RelationGetRelationName(index), blkno),
				 errdetail("The page claims %d entries; it holds at most %d.", n, max),
				 errhint("Please REINDEX it.")));
	return n;
}

/* dim, or ERROR if the index cannot hold vectors of that many dimensions. */
int
FaceAnnCheckDim(int dim)
{
	if (dim > FACEANN_MAX_DIM)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("faceann indexes support at most %d dimensions, not %d",
						FACEANN_MAX_DIM, dim)));
	return dim;
}

/* The dimension declared by the column's typmod, or 0 if none. */
int
FaceAnnTypmodDim(Relation index)
{
	int32		typmod = TupleDescAttr(RelationGetDescr(index), 0)->atttypmod;

	return typmod > 0 ? typmod : 0;
}

/*
 * Read the metapage, centroids and chain heads.  Cached in rd_amcache once
 * the dimension is known (everything read here is immutable from then on);
 * before that a fresh palloc'd copy is returned each time.
 *
 * rd_amcache must be one palloc chunk (a relcache invalidation pfree's just
 * that pointer), so the struct and its arrays share one allocation.  The
 * metapage fields are copied out before its buffer is released: the page
 * may be evicted and its buffer reused at once.  A caller may keep the
 * returned pointer only while no invalidation can be processed (no new
 * heavyweight lock taken); scans copy what they need (faceannscan.c).
 */
FaceAnnCache
FaceAnnGetCache(Relation index)
{
	FaceAnnCache cache;
	Buffer		buf;
	Page		page;
	FaceAnnMetaPageData meta;
	MemoryContext cxt;
	Size		size,
				offCentroids,
				offNorms,
				offRotated,
				offHeads;
	bool		rotate;
	char	   *chunk;

	if (index->rd_amcache != NULL)
		return (FaceAnnCache) index->rd_amcache;

	buf = ReadBuffer(index, FACEANN_METAPAGE_BLKNO);
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	page = BufferGetPage(buf);
	FaceAnnCheckPage(index, page, FACEANN_METAPAGE_BLKNO, FACEANN_PAGE_META);
	meta = *FaceAnnPageGetMeta(page);
	UnlockReleaseBuffer(buf);
	FaceAnnCheckMeta(index, &meta);

	/*
	 * Rotated centroids save an insert one rotation (the code's bias needs
	 * Pc); kept unless they would take more than 64 MB.
	 */
	rotate = meta.dim > 0 && (double) meta.nlists * meta.pdim * sizeof(float) <= 64.0 * 1024 * 1024;
	offCentroids = MAXALIGN(sizeof(FaceAnnCacheData));
	offNorms = offCentroids + MAXALIGN(sizeof(float) * meta.nlists * Max(meta.dim, 1));
	offRotated = offNorms + MAXALIGN(sizeof(float) * meta.nlists);
	offHeads = offRotated + (rotate ? MAXALIGN(sizeof(float) * meta.nlists * meta.pdim) : 0);
	size = offHeads + 2 * MAXALIGN(sizeof(BlockNumber) * meta.nlists);

	cxt = meta.dim > 0 ? index->rd_indexcxt : CurrentMemoryContext;
	chunk = MemoryContextAllocExtended(cxt, size, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	cache = (FaceAnnCache) chunk;
	cache->dim = meta.dim;
	cache->pdim = meta.pdim;
	cache->metric = meta.metric;
	cache->nlists = meta.nlists;
	cache->seed = meta.seed;
	cache->dirStart = meta.dirStart;
	cache->codeSize = FACEANN_CODE_SIZE(cache->pdim);
	cache->vecSize = FACEANN_VEC_SIZE(cache->dim);
	cache->codePerPage = (int) (FaceAnnPageAvail / cache->codeSize);
	cache->vecPerPage = cache->dim > 0 ? (int) (FaceAnnPageAvail / cache->vecSize) : 0;
	cache->centroids = (float *) (chunk + offCentroids);
	cache->cnorm2 = (float *) (chunk + offNorms);
	cache->rcentroids = rotate ? (float *) (chunk + offRotated) : NULL;
	cache->codeHead = (BlockNumber *) (chunk + offHeads);
	cache->vecHead = (BlockNumber *) (chunk + offHeads + MAXALIGN(sizeof(BlockNumber) * meta.nlists));

	PG_TRY();
	{
		if (cache->dim > 0)
		{
			int			perPage = (int) (FaceAnnPageAvail / (sizeof(float) * cache->dim));

			for (int l = 0; l < cache->nlists; l += perPage)
			{
				BlockNumber blkno = meta.centroidStart + l / perPage;
				int			n = Min(perPage, cache->nlists - l);

				buf = ReadBuffer(index, blkno);
				LockBuffer(buf, BUFFER_LOCK_SHARE);
				page = BufferGetPage(buf);
				FaceAnnCheckPage(index, page, blkno, FACEANN_PAGE_CENTROID);
				memcpy(cache->centroids + (size_t) l * cache->dim, FaceAnnPageData(page),
					   sizeof(float) * cache->dim * n);
				UnlockReleaseBuffer(buf);
			}
			fc_ann_norms(cache->centroids, cache->nlists, cache->dim, cache->cnorm2);
			if (cache->rcentroids)
				for (int l = 0; l < cache->nlists; l++)
					fc_ann_rotate(cache->centroids + (size_t) l * cache->dim, cache->dim, cache->pdim,
								  cache->seed, cache->rcentroids + (size_t) l * cache->pdim);
		}

		for (int l = 0; l < cache->nlists; l += FACEANN_LISTS_PER_PAGE)
		{
			BlockNumber blkno = cache->dirStart + l / FACEANN_LISTS_PER_PAGE;
			int			n = Min(FACEANN_LISTS_PER_PAGE, cache->nlists - l);
			FaceAnnListData *lists;

			buf = ReadBuffer(index, blkno);
			LockBuffer(buf, BUFFER_LOCK_SHARE);
			page = BufferGetPage(buf);
			FaceAnnCheckPage(index, page, blkno, FACEANN_PAGE_DIR);
			lists = (FaceAnnListData *) FaceAnnPageData(page);
			for (int i = 0; i < n; i++)
			{
				cache->codeHead[l + i] = lists[i].codeHead;
				cache->vecHead[l + i] = lists[i].vecHead;
			}
			UnlockReleaseBuffer(buf);
		}
	}
	PG_CATCH();
	{
		pfree(chunk);
		PG_RE_THROW();
	}
	PG_END_TRY();

	if (cache->dim > 0)
		index->rd_amcache = cache;
	return cache;
}

/*
 * ERROR (index corrupted) unless the metapage copy describes an index this
 * code can read: the magic, the version (an index of another on-disk format
 * must be rebuilt), and sizes that keep every later computation in bounds.
 */
void
FaceAnnCheckMeta(Relation index, const FaceAnnMetaPageData *meta)
{
	if (meta->magic != FACEANN_MAGIC || meta->version != FACEANN_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("index \"%s\" is not a faceann index of version %d",
						RelationGetRelationName(index), FACEANN_VERSION),
				 errdetail("Its metapage has magic 0x%08X and version %u.",
						   meta->magic, meta->version),
				 errhint("Please REINDEX it.")));
	if (meta->dim < 0 || meta->dim > FACEANN_MAX_DIM ||
		(meta->dim > 0 && meta->pdim != fc_ann_padded_dim(meta->dim)) ||
		meta->nlists < 1 || meta->nlists > FACEANN_MAX_LISTS ||
		meta->metric < FACEANN_METRIC_L2 || meta->metric > FACEANN_METRIC_IP)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("index \"%s\" has a corrupt metapage", RelationGetRelationName(index)),
				 errdetail("dim %d, pdim %d, lists %d, metric %d.",
						   meta->dim, meta->pdim, meta->nlists, meta->metric),
				 errhint("Please REINDEX it.")));
}

/*
 * ReadBuffer for scans, through a scan's recent-buffer hints (NULL: none):
 * a hit saves the buffer mapping lookup, a partition lock and a few cache
 * misses per page.  The hint table is direct-mapped and of fixed size, so
 * a scan's memory does not grow with the index.
 */
Buffer
FaceAnnReadBuffer(Relation index, FaceAnnHints *hints, BlockNumber blkno)
{
	FaceAnnHint *h;
	Buffer		buf;

	if (hints == NULL)
		return ReadBuffer(index, blkno);
	h = &hints->slot[blkno % FACEANN_HINT_SLOTS];
	if (h->blkno == blkno && BufferIsValid(h->buf) &&
		ReadRecentBuffer(FACE_REL_LOCATOR(index), MAIN_FORKNUM, blkno, h->buf))
		return h->buf;
	buf = ReadBuffer(index, blkno);
	h->blkno = blkno;
	h->buf = buf;
	return buf;
}

/*
 * Record the dimension of an index built empty without a typmod, on its
 * first insert: sets it in the metapage and writes the single zero centroid.
 * A no-op if another backend got there first.
 */
void
FaceAnnSetDim(Relation index, int dim)
{
	Buffer		metabuf,
				cbuf;
	GenericXLogState *state;
	FaceAnnMetaPage meta;
	Page		page;

	metabuf = ReadBuffer(index, FACEANN_METAPAGE_BLKNO);
	LockBuffer(metabuf, BUFFER_LOCK_EXCLUSIVE);
	meta = FaceAnnPageGetMeta(BufferGetPage(metabuf));
	if (meta->dim != 0)
	{
		UnlockReleaseBuffer(metabuf);
		return;
	}
	Assert(meta->nlists == 1);
	cbuf = ReadBuffer(index, meta->centroidStart);
	LockBuffer(cbuf, BUFFER_LOCK_EXCLUSIVE);

	state = GenericXLogStart(index);
	meta = FaceAnnPageGetMeta(GenericXLogRegisterBuffer(state, metabuf, 0));
	meta->dim = dim;
	meta->pdim = fc_ann_padded_dim(dim);
	page = GenericXLogRegisterBuffer(state, cbuf, 0);
	memset(FaceAnnPageData(page), 0, sizeof(float) * dim);
	((PageHeader) page)->pd_lower = (char *) FaceAnnPageData(page) + sizeof(float) * dim - (char *) page;
	GenericXLogFinish(state);

	UnlockReleaseBuffer(cbuf);
	UnlockReleaseBuffer(metabuf);
	/* the relcache entry must be rebuilt by everyone; ours is simply dropped */
	index->rd_amcache = NULL;
}

/*
 * Copy an embedding into out[dim] the way the index stores it (normalised
 * for cosine).  Returns false if the vector is not indexed (cosine and zero
 * norm).  ERROR if its dimension differs from the index's.
 */
bool
FaceAnnLoadVector(Relation index, FaceAnnCache cache, int metric, Datum value, float *out)
{
	FaceEmbedding *e = DatumGetFaceEmbedding(value);

	if (e->dim != cache->dim)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("expected %d dimensions, not %d", cache->dim, e->dim),
				 errdetail("Index \"%s\" holds %d-dimensional embeddings.",
						   RelationGetRelationName(index), cache->dim)));
	memcpy(out, e->x, sizeof(float) * e->dim);
	if ((Pointer) e != DatumGetPointer(value))
		pfree(e);

	if (metric == FACEANN_METRIC_COSINE)
	{
		double		n2 = 0;

		for (int i = 0; i < cache->dim; i++)
			n2 += (double) out[i] * out[i];
		if (n2 == 0 || !isfinite(n2))
			return false;
		for (int i = 0; i < cache->dim; i++)
			out[i] = (float) (out[i] / sqrt(n2));
	}
	return true;
}

/*
 * The list whose centroid is nearest to x in L2 (ties to the lower list),
 * by the build's assignment function (with one row), so inserts and builds
 * decide by the same formula.
 */
int
FaceAnnNearestList(FaceAnnCache cache, const float *x)
{
	float	   *scratch = palloc(sizeof(float) * cache->nlists);
	int32		list;

	fc_ann_assign(x, 1, cache->dim, cache->centroids, cache->cnorm2, cache->nlists, scratch, &list);
	pfree(scratch);
	return list;
}

/*
 * Fill p (whose code and vec buffers the caller allocated, codeSize and
 * vecSize bytes) for vector x in list: the 4-bit code of the rotated residual
 * and the fp16 copy.  The TID and the vector location are set on insert.
 */
void
FaceAnnEncode(FaceAnnCache cache, const float *x, int list, FaceAnnPrepared *p)
{
	float	   *r = palloc(sizeof(float) * cache->dim);
	float	   *u = palloc(sizeof(float) * cache->pdim);
	const float *c = cache->centroids + (size_t) list * cache->dim;
	FaceAnnCode code = p->code;
	float		maxabs = 0;
	float		nr2;

	for (int i = 0; i < cache->dim; i++)
		r[i] = x[i] - c[i];
	fc_ann_rotate(r, cache->dim, cache->pdim, cache->seed, u);
	memset(code, 0, cache->codeSize);
	fc_ann_encode(u, cache->pdim, code->nib, &nr2, &code->lo, &code->delta);
	if (cache->metric == FACEANN_METRIC_L2)
	{
		/*
		 * |q-x|^2 = |q-c|^2 + |u|^2 - 2<Pq - Pc, u>, estimated with u^ in the
		 * inner product: bias = |u|^2 + 2<Pc,u^>, so the scan needs one query
		 */
		float	   *rotated = NULL;
		const float *pc;
		double		pcu = 0;

		if (cache->rcentroids)
			pc = cache->rcentroids + (size_t) list * cache->pdim;
		else
		{
			rotated = palloc(sizeof(float) * cache->pdim);
			fc_ann_rotate(c, cache->dim, cache->pdim, cache->seed, rotated);
			pc = rotated;
		}
		fc_ann_decode(code->nib, code->lo, code->delta, cache->pdim, u);
		for (int i = 0; i < cache->pdim; i++)
			pcu += (double) pc[i] * u[i];
		code->bias = (float) (nr2 + 2 * pcu);
		if (rotated)
			pfree(rotated);
	}

	/* fp16 with a per-vector scale, so any float4 range fits without overflow */
	for (int i = 0; i < cache->dim; i++)
		maxabs = fmaxf(maxabs, fabsf(x[i]));
	memset(p->vec, 0, cache->vecSize);
	p->vec->scale = maxabs > 0 ? maxabs : 1.0f;
	fc_ann_to_half(p->vec->half, x, 1.0f / p->vec->scale, cache->dim);
	p->list = list;
	pfree(r);
	pfree(u);
}

/* out[dim] := the vector stored in slot v. */
float *
FaceAnnDecodeVec(FaceAnnCache cache, FaceAnnVec v, float *out)
{
	fc_ann_from_half(out, v->half, cache->dim);
	for (int i = 0; i < cache->dim; i++)
		out[i] *= v->scale;
	return out;
}

/* Copy list's directory entry (takes and releases a share lock on its page). */
void
FaceAnnReadList(Relation index, FaceAnnCache cache, int list, FaceAnnListData *out)
{
	BlockNumber blkno = cache->dirStart + list / FACEANN_LISTS_PER_PAGE;
	Buffer		buf = ReadBuffer(index, blkno);
	Page		page;

	LockBuffer(buf, BUFFER_LOCK_SHARE);
	page = BufferGetPage(buf);
	FaceAnnCheckPage(index, page, blkno, FACEANN_PAGE_DIR);
	*out = ((FaceAnnListData *) FaceAnnPageData(page))[list % FACEANN_LISTS_PER_PAGE];
	UnlockReleaseBuffer(buf);
}
