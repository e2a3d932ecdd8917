/*-------------------------------------------------------------------------
 *
 * faceannbuild.c
 *	  Building a faceann index.
 *
 * The build has three phases, each reported in pg_stat_progress_create_index:
 *
 * 1. "sampling table": one heap scan counts the indexable rows and keeps a
 *    uniform reservoir sample of their vectors (Algorithm R with a fixed
 *    seed, so a rebuild of the same table gives the same index).  The
 *    sample is bounded by maintenance_work_mem.
 * 2. "training centroids": k-means (sgemm-based, src/core/ann_kmeans.c) on
 *    up to SAMPLES_PER_LIST vectors per list.  The metapage, centroid pages,
 *    directory pages and one empty code page and vector page per list are
 *    then written.
 * 3. "loading tuples": a second heap scan assigns vectors to their nearest
 *    centroid in batches (one sgemm per batch) and encodes them
 *    (FaceAnnLoader, which both build paths use), then appends each through
 *    the ordinary insert path, FaceAnnInsertPrepared, in its building mode
 *    that skips generic WAL.  At the end every page of the new index is
 *    WAL-logged once as a full image (log_newpage_range), which is both
 *    cheaper than per-tuple records and what crash recovery and standbys
 *    need.
 *
 * Phase 3 runs in parallel workers when plan_create_index_workers grants
 * some (max_parallel_maintenance_workers, the table's parallel_workers,
 * its size, maintenance_work_mem): see faceannparallel.c.  Its sub-phases
 * are then "assigning tuples" (workers and leader scan, assign and encode
 * into sorts), "sorting tuples" (the leader merges them) and "loading
 * tuples" (the leader appends the entries list by list, in TID order).
 * Either way each list holds the same entries in the same order (the serial
 * scan's order is TID order too, unless a synchronized scan starts it midway
 * or HOT chains report root TIDs out of order); only page numbers differ.
 *
 * Lists: the reloption, or 0 = one list per 500 rows up to 1M rows (2000
 * lists), then growing with the square root of the rows (6325 at 10M), so
 * k-means and the assignment stay within minutes while lists stay short.
 * An empty table gets one list with a zero centroid; such an index works
 * (it is a flat scan) but should be rebuilt once the table is loaded.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/tableam.h"
#include "access/xloginsert.h"
#include "catalog/index.h"
#include "commands/progress.h"
#include "pgstat.h"
#include "portability/instr_time.h"
#include "miscadmin.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "type/embedding.h"
#include "faceann.h"

#define SAMPLES_PER_LIST	50
#define MAX_SAMPLE			(256 * 1024)
#define KMEANS_ITERS		10
#define ASSIGN_BATCH		1024
#define ROTATION_SEED		UINT64CONST(0x66616365616e6e31)	/* "faceann1" */

typedef struct FaceAnnBuildState
{
	Relation	heap;
	Relation	index;
	int			metric;
	int			dim;			/* 0 until the first vector */
	double		reltuples;		/* heap tuples seen */
	double		indtuples;		/* tuples indexed */

	/* phase 1: reservoir */
	float	   *sample;
	int64		sampleCap;
	int64		nsample;
	int64		nseen;			/* indexable vectors seen */
	uint64		rng;
	float	   *tmpvec;
} FaceAnnBuildState;

/* the sub-phase of the running build, and when it started (see FaceAnnBuildPhase) */
static int	buildPhase = 0;
static instr_time buildPhaseStart;

/*
 * Enter sub-phase phase (FACEANN_PHASE_*, or 0 at the end of the build):
 * report it in pg_stat_progress_create_index, and the time the previous
 * one took at DEBUG2 (what the build benchmarks read).
 */
void
FaceAnnBuildPhase(int phase)
{
	instr_time	now;

	INSTR_TIME_SET_CURRENT(now);
	if (buildPhase != 0)
	{
		instr_time	took = now;

		INSTR_TIME_SUBTRACT(took, buildPhaseStart);
		ereport(DEBUG2,
				(errmsg_internal("faceann build: %s took %.0f ms", faceannphasename(buildPhase),
								 INSTR_TIME_GET_MILLISEC(took))));
	}
	buildPhase = phase;
	buildPhaseStart = now;
	if (phase != 0)
		pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, phase);
}

static uint64
NextRandom(uint64 *state)
{
	uint64		z = (*state += UINT64CONST(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64CONST(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64CONST(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static int
AutoLists(double n)
{
	double		lists = n <= 1e6 ? n / 500.0 : 2000.0 * sqrt(n / 1e6);

	return (int) Max(1, Min(FACEANN_MAX_LISTS, rint(lists)));
}

/* Phase 1 callback: count, check dimensions, reservoir-sample. */
static void
SampleCallback(Relation index, ItemPointer tid, Datum *values, bool *isnull,
			   bool tupleIsAlive, void *arg)
{
	FaceAnnBuildState *bs = (FaceAnnBuildState *) arg;
	FaceAnnCacheData tmp;
	int64		slot;

	bs->reltuples++;
	if (isnull[0])
		return;

	if (bs->dim == 0)
	{
		FaceEmbedding *e = DatumGetFaceEmbedding(values[0]);

		bs->dim = FaceAnnCheckDim(e->dim);
		bs->sampleCap = Min(MAX_SAMPLE, (int64) maintenance_work_mem * 1024L / 2 / (sizeof(float) * bs->dim));
		bs->sampleCap = Max(bs->sampleCap, 1);
		bs->sample = palloc_extended(sizeof(float) * bs->dim * bs->sampleCap, MCXT_ALLOC_HUGE);
		bs->tmpvec = palloc(sizeof(float) * bs->dim);
	}

	tmp.dim = bs->dim;
	if (!FaceAnnLoadVector(index, &tmp, bs->metric, values[0], bs->tmpvec))
		return;					/* cosine zero vector: not indexed, not sampled */

	/* reservoir: the n-th vector goes to slot n while filling, then to a random slot */
	slot = bs->nseen < bs->sampleCap ? bs->nseen
		: (int64) (NextRandom(&bs->rng) % (uint64) (bs->nseen + 1));
	bs->nseen++;
	if (slot < bs->sampleCap)
	{
		memcpy(bs->sample + slot * bs->dim, bs->tmpvec, sizeof(float) * bs->dim);
		bs->nsample = Max(bs->nsample, slot + 1);
	}
}

/*
 * Write the empty structure into fork: metapage, centroids, directory and
 * one code page and one vector page per list; WAL-logged as whole pages
 * (always for the init fork, which must survive a crash).
 */
static void
WriteStructure(Relation index, ForkNumber fork, int metric, int dim, int nlists,
			   const float *centroids)
{
	int			cperPage = dim > 0 ? (int) (FaceAnnPageAvail / (sizeof(float) * dim)) : 1;
	int			ncpages = (nlists + cperPage - 1) / cperPage;
	int			ndpages = (nlists + FACEANN_LISTS_PER_PAGE - 1) / FACEANN_LISTS_PER_PAGE;
	Buffer		buf;
	Page		page;
	FaceAnnMetaPage meta;
	BlockNumber dirStart = 1 + ncpages;
	BlockNumber nextFree = dirStart + ndpages;

	buf = FaceAnnNewBuffer(index, fork);
	Assert(BufferGetBlockNumber(buf) == FACEANN_METAPAGE_BLKNO);
	page = BufferGetPage(buf);
	FaceAnnInitPage(page, FACEANN_PAGE_META);
	meta = FaceAnnPageGetMeta(page);
	meta->magic = FACEANN_MAGIC;
	meta->version = FACEANN_VERSION;
	meta->dim = dim;
	meta->pdim = dim > 0 ? fc_ann_padded_dim(dim) : 0;
	meta->metric = metric;
	meta->nlists = nlists;
	meta->seed = ROTATION_SEED;
	meta->centroidStart = 1;
	meta->dirStart = dirStart;
	meta->nCentroidPages = ncpages;
	meta->nDirPages = ndpages;
	((PageHeader) page)->pd_lower = (char *) meta + sizeof(FaceAnnMetaPageData) - (char *) page;
	MarkBufferDirty(buf);
	UnlockReleaseBuffer(buf);

	for (int p = 0; p < ncpages; p++)
	{
		int			n = Min(cperPage, nlists - p * cperPage);

		buf = FaceAnnNewBuffer(index, fork);
		page = BufferGetPage(buf);
		FaceAnnInitPage(page, FACEANN_PAGE_CENTROID);
		if (dim > 0)
		{
			memcpy(FaceAnnPageData(page), centroids + (size_t) p * cperPage * dim,
				   sizeof(float) * dim * n);
			((PageHeader) page)->pd_lower += sizeof(float) * dim * n;
		}
		MarkBufferDirty(buf);
		UnlockReleaseBuffer(buf);
	}

	/* list l owns blocks nextFree + 2l (code head) and nextFree + 2l + 1 (vector head) */
	for (int p = 0; p < ndpages; p++)
	{
		int			n = Min(FACEANN_LISTS_PER_PAGE, nlists - p * FACEANN_LISTS_PER_PAGE);
		FaceAnnListData *lists;

		buf = FaceAnnNewBuffer(index, fork);
		page = BufferGetPage(buf);
		FaceAnnInitPage(page, FACEANN_PAGE_DIR);
		lists = (FaceAnnListData *) FaceAnnPageData(page);
		for (int i = 0; i < n; i++)
		{
			int			l = p * FACEANN_LISTS_PER_PAGE + i;

			lists[i].codeHead = lists[i].codeInsert = nextFree + 2 * l;
			lists[i].vecHead = lists[i].vecInsert = nextFree + 2 * l + 1;
		}
		((PageHeader) page)->pd_lower += sizeof(FaceAnnListData) * n;
		MarkBufferDirty(buf);
		UnlockReleaseBuffer(buf);
	}

	for (int l = 0; l < nlists; l++)
	{
		buf = FaceAnnNewBuffer(index, fork);
		Assert(BufferGetBlockNumber(buf) == nextFree + 2 * l);
		FaceAnnInitPage(BufferGetPage(buf), FACEANN_PAGE_CODE);
		MarkBufferDirty(buf);
		UnlockReleaseBuffer(buf);
		buf = FaceAnnNewBuffer(index, fork);
		FaceAnnInitPage(BufferGetPage(buf), FACEANN_PAGE_VEC);
		MarkBufferDirty(buf);
		UnlockReleaseBuffer(buf);
	}

	/* the main fork is logged at the end of the build, after loading */
	if (fork == INIT_FORKNUM)
		log_newpage_range(index, fork, 0, RelationGetNumberOfBlocksInFork(index, fork), true);
}

/*
 * Set up ld for a load scan of index (whose structure is written) that hands
 * every encoded batch to emit.  Allocates in CurrentMemoryContext; free with
 * FaceAnnLoaderFinish.
 */
void
FaceAnnLoaderInit(FaceAnnLoader *ld, Relation index, FaceAnnLoadEmit emit, void *emitArg)
{
	FaceAnnCache cache = FaceAnnGetCache(index);
	MemoryContext oldcxt;

	memset(ld, 0, sizeof(FaceAnnLoader));
	ld->index = index;
	ld->cache = cache;
	ld->emit = emit;
	ld->emitArg = emitArg;
	ld->cxt = AllocSetContextCreate(CurrentMemoryContext, "faceann load", ALLOCSET_DEFAULT_SIZES);
	ld->tmpCtx = AllocSetContextCreate(ld->cxt, "faceann load batch", ALLOCSET_DEFAULT_SIZES);

	oldcxt = MemoryContextSwitchTo(ld->cxt);
	ld->batch = palloc(sizeof(float) * ASSIGN_BATCH * cache->dim);
	ld->tids = palloc(sizeof(ItemPointerData) * ASSIGN_BATCH);
	ld->scratch = palloc_extended(sizeof(float) * ASSIGN_BATCH * cache->nlists, MCXT_ALLOC_HUGE);
	ld->assign = palloc(sizeof(int32) * ASSIGN_BATCH);
	ld->prepared = palloc(sizeof(FaceAnnPrepared) * ASSIGN_BATCH);
	for (int i = 0; i < ASSIGN_BATCH; i++)
	{
		ld->prepared[i].code = palloc(cache->codeSize);
		ld->prepared[i].vec = palloc(cache->vecSize);
	}
	MemoryContextSwitchTo(oldcxt);
}

/*
 * Assign the queued batch to lists with one sgemm, encode every vector and
 * hand the batch to emit (called in the batch context, reset afterwards).
 */
static void
FlushBatch(FaceAnnLoader *ld)
{
	FaceAnnCache cache = ld->cache;
	MemoryContext oldcxt = MemoryContextSwitchTo(ld->tmpCtx);

	fc_ann_assign(ld->batch, ld->nbatch, cache->dim, cache->centroids, cache->cnorm2,
				  cache->nlists, ld->scratch, ld->assign);
	for (int i = 0; i < ld->nbatch; i++)
		FaceAnnEncode(cache, ld->batch + (size_t) i * cache->dim, ld->assign[i], &ld->prepared[i]);
	ld->ntuples += ld->nbatch;
	ld->emit(ld, ld->prepared, ld->tids, ld->nbatch);
	ld->nbatch = 0;
	MemoryContextSwitchTo(oldcxt);
	MemoryContextReset(ld->tmpCtx);
	CHECK_FOR_INTERRUPTS();
}

/* Load scan callback (arg is a FaceAnnLoader): queue the vector; flush full batches. */
void
FaceAnnLoadCallback(Relation index, ItemPointer tid, Datum *values, bool *isnull,
					bool tupleIsAlive, void *arg)
{
	FaceAnnLoader *ld = (FaceAnnLoader *) arg;

	if (isnull[0])
		return;
	if (!FaceAnnLoadVector(index, ld->cache, ld->cache->metric, values[0],
						   ld->batch + (size_t) ld->nbatch * ld->cache->dim))
		return;
	ld->tids[ld->nbatch++] = *tid;
	if (ld->nbatch == ASSIGN_BATCH)
		FlushBatch(ld);
}

/* Emit the last, partial batch and free ld's memory; ld->ntuples stays valid. */
void
FaceAnnLoaderFinish(FaceAnnLoader *ld)
{
	if (ld->nbatch > 0)
		FlushBatch(ld);
	MemoryContextDelete(ld->cxt);
	ld->cxt = ld->tmpCtx = NULL;
}

/* Serial build: append the batch to its lists right away. */
static void
InsertBatch(FaceAnnLoader *ld, FaceAnnPrepared *entries, ItemPointer tids, int n)
{
	for (int i = 0; i < n; i++)
		FaceAnnInsertPrepared(ld->index, ld->cache, &entries[i], &tids[i], true);
	pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_DONE, (int64) ld->ntuples);
}

static int
KmeansInterrupted(void *ctx)
{
	return QueryCancelPending || ProcDiePending;
}

static void *
PallocHuge(void *ctx, size_t size)
{
	return palloc_extended(size, MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
}

static void
PfreeAny(void *ctx, void *ptr)
{
	pfree(ptr);
}

/* Train nlists centroids on the sample; ERRORs on failure or cancel. */
static float *
TrainCentroids(FaceAnnBuildState *bs, int nlists)
{
	fc_allocator alloc = {PallocHuge, PfreeAny, NULL};
	fc_hooks	hooks = {&alloc, KmeansInterrupted, NULL};
	fc_error	err;
	float	   *centroids = palloc_extended(sizeof(float) * nlists * bs->dim, MCXT_ALLOC_HUGE);
	int64		n = Min(bs->nsample, (int64) SAMPLES_PER_LIST * nlists);

	if (fc_ann_kmeans(bs->sample, n, bs->dim, nlists, KMEANS_ITERS,
					  bs->metric != FACEANN_METRIC_L2, ROTATION_SEED, centroids,
					  &hooks, &err) != FC_OK)
	{
		CHECK_FOR_INTERRUPTS();
		ereport(ERROR,
				(errcode(err.status == FC_ERR_NOMEM ? ERRCODE_OUT_OF_MEMORY : ERRCODE_INTERNAL_ERROR),
				 errmsg("faceann build failed: %s", err.message)));
	}
	return centroids;
}

IndexBuildResult *
faceannbuild(Relation heap, Relation index, IndexInfo *indexInfo)
{
	IndexBuildResult *result;
	FaceAnnBuildState bs;
	int			nlists;
	float	   *centroids;
	FaceAnnOptions *opts = (FaceAnnOptions *) index->rd_options;

	if (RelationGetNumberOfBlocks(index) != 0)
		elog(ERROR, "index \"%s\" already contains data", RelationGetRelationName(index));

	memset(&bs, 0, sizeof(bs));
	bs.heap = heap;
	bs.index = index;
	bs.metric = FaceAnnGetMetric(index);
	bs.rng = ROTATION_SEED;

	buildPhase = 0;				/* a failed build may have left its last phase */
	FaceAnnBuildPhase(FACEANN_PHASE_SAMPLE);
	table_index_build_scan(heap, index, indexInfo, true, true, SampleCallback, &bs, NULL);

	nlists = opts && opts->lists > 0 ? opts->lists : AutoLists((double) bs.nseen);
	nlists = (int) Max(1, Min(nlists, bs.nsample));
	if (bs.dim == 0)
		bs.dim = FaceAnnTypmodDim(index);

	FaceAnnBuildPhase(FACEANN_PHASE_KMEANS);
	if (bs.nsample > 0)
		centroids = TrainCentroids(&bs, nlists);
	else
		centroids = palloc0(sizeof(float) * Max(bs.dim, 1));
	if (bs.sample)
		pfree(bs.sample);
	WriteStructure(index, MAIN_FORKNUM, bs.metric, bs.dim, nlists, centroids);
	pfree(centroids);

	if (bs.nseen > 0)
	{
		pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_TOTAL, bs.nseen);
		if (!FaceAnnParallelLoad(heap, index, indexInfo, &bs.indtuples))
		{
			FaceAnnLoader ld;

			FaceAnnBuildPhase(FACEANN_PHASE_LOAD);
			FaceAnnLoaderInit(&ld, index, InsertBatch, NULL);
			table_index_build_scan(heap, index, indexInfo, true, true, FaceAnnLoadCallback, &ld, NULL);
			FaceAnnLoaderFinish(&ld);
			bs.indtuples = ld.ntuples;
		}
	}

	if (RelationNeedsWAL(index))
		log_newpage_range(index, MAIN_FORKNUM, 0, RelationGetNumberOfBlocks(index), true);
	FaceAnnBuildPhase(0);

	result = palloc(sizeof(IndexBuildResult));
	result->heap_tuples = bs.reltuples;
	result->index_tuples = bs.indtuples;
	return result;
}

/* The init fork of an UNLOGGED index: one list, zero centroid. */
void
faceannbuildempty(Relation index)
{
	int			dim = FaceAnnTypmodDim(index);
	float	   *centroid = palloc0(sizeof(float) * Max(dim, 1));

	WriteStructure(index, INIT_FORKNUM, FaceAnnGetMetric(index), FaceAnnCheckDim(dim), 1, centroid);
}
