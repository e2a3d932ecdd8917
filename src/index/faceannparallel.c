/*-------------------------------------------------------------------------
 *
 * faceannparallel.c
 *	  Parallel load scan of a faceann build.
 *
 * PostgreSQL 15 has no amcanbuildparallel: like nbtree's and (before 17)
 * pgvector's IVFFlat builds, we launch our own parallel context.  Only the
 * load scan (phase 3 of faceannbuild.c) runs in parallel; it is where the
 * time goes (one sgemm per batch of 1024 rows against every centroid, then a
 * rotation and a 4-bit code per row).  Sampling and k-means stay serial and
 * deterministic, and the leader has written the index structure (metapage,
 * centroids, directory, list heads) through shared buffers before it
 * launches anyone, so every participant reads the same centroids with
 * FaceAnnGetCache.
 *
 * Participants (the workers and the leader) share one parallel heap scan;
 * each encodes its rows with the serial build's code (FaceAnnLoader) and
 * puts (key, code bytes ++ vector bytes) into its own tuplesort, where the
 * int8 key is list << 48 | heap block << 16 | offset.  The leader then
 * merges the sorted runs and appends the entries through
 * FaceAnnInsertPrepared in (list, TID) order: one list's pages are filled
 * one after the other, and every list holds the same entries in the same
 * order as after a serial build of the same freshly loaded table (whose
 * scan, too, meets each list's rows in TID order); only the page numbers
 * differ.  Only the leader writes the index.  (Measured: letting every
 * participant append its own entries through FaceAnnInsertPrepared instead,
 * with no sort, took 40% more CPU and wall time than the serial build at 1M
 * rows, from contention on the lists' tail pages; the sort costs ~15%.)
 *
 * Progress: "assigning tuples" (blocks scanned, as the leader's share of the
 * scan reports them, and rows encoded by all participants), then "sorting
 * tuples", then "loading tuples" (rows appended).  Shared counters live in
 * FaceAnnShared under a spinlock.  Errors in workers reach the leader
 * through the parallel infrastructure; every loop checks for interrupts.
 *
 * The build falls back to the serial load (FaceAnnParallelLoad returns
 * false) when plan_create_index_workers asks for no worker (temporary
 * table, max_parallel_maintenance_workers = 0, a small table, too little
 * maintenance_work_mem) or when no worker could be launched.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/parallel.h"
#include "access/relscan.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "catalog/pg_operator_d.h"
#include "catalog/pg_type_d.h"
#include "commands/progress.h"
#include "executor/instrument.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "optimizer/optimizer.h"
#include "pgstat.h"
#include "storage/spin.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/snapmgr.h"
#include "utils/tuplesort.h"

#include "faceann.h"

/* keys of the shared memory table of contents */
#define KEY_SHARED			UINT64CONST(0xFACE000000000001)
#define KEY_TUPLESORT		UINT64CONST(0xFACE000000000002)
#define KEY_QUERY_TEXT		UINT64CONST(0xFACE000000000003)
#define KEY_WAL_USAGE		UINT64CONST(0xFACE000000000004)
#define KEY_BUFFER_USAGE	UINT64CONST(0xFACE000000000005)

/* rows between two progress reports and interrupt checks of the leader's load */
#define LOAD_REPORT_EVERY	1024

/* State shared by all participants, followed by the parallel heap scan. */
typedef struct FaceAnnShared
{
	/* set by the leader before launching, read-only afterwards */
	Oid			heaprelid;
	Oid			indexrelid;
	bool		isconcurrent;
	int			nsorts;			/* participants planned (workers + leader) */

	/* under mutex */
	slock_t		mutex;
	double		ntuples;		/* rows encoded by all participants */
} FaceAnnShared;

#define ParallelTableScanFromShared(shared) \
	((ParallelTableScanDesc) ((char *) (shared) + BUFFERALIGN(sizeof(FaceAnnShared))))

/* One participant's sort, fed by SortBatch. */
typedef struct SortSink
{
	FaceAnnShared *shared;
	Tuplesortstate *sortstate;
	TupleTableSlot *slot;
	bool		isLeader;		/* reports progress */
} SortSink;

/* The worker entry point, found by name by the parallel infrastructure. */
extern PGDLLEXPORT void FaceAnnParallelBuildMain(dsm_segment *seg, shm_toc *toc);

/*
 * The sort key: list in the top 15 bits (FACEANN_MAX_LISTS is 32768), then
 * the heap TID.  Nonnegative, so int8 order is (list, block, offset) order.
 */
static int64
SortKey(int list, ItemPointer tid)
{
	StaticAssertStmt(FACEANN_MAX_LISTS <= (1 << 15), "faceann sort key holds 15 bits of list");
	return ((int64) list << 48) | ((int64) ItemPointerGetBlockNumberNoCheck(tid) << 16) |
		ItemPointerGetOffsetNumberNoCheck(tid);
}

/* The inverse of SortKey: sets *tid, returns the list. */
static int
SortKeyList(int64 key, ItemPointer tid)
{
	ItemPointerSet(tid, (BlockNumber) ((key >> 16) & 0xFFFFFFFF), (OffsetNumber) (key & 0xFFFF));
	return (int) (key >> 48);
}

/* The sorted tuples: (key int8, entry bytea), ordered by key. */
static TupleDesc
SortTupleDesc(void)
{
	TupleDesc	desc = CreateTemplateTupleDesc(2);

	TupleDescInitEntry(desc, 1, "key", INT8OID, -1, 0);
	TupleDescInitEntry(desc, 2, "entry", BYTEAOID, -1, 0);
	return desc;
}

/* A sort of SortTupleDesc tuples by key in sortmem kB, with coordinate's role. */
static Tuplesortstate *
BeginSort(TupleDesc desc, int sortmem, SortCoordinate coordinate)
{
	AttrNumber	attNums[] = {1};
	Oid			sortOperators[] = {Int8LessOperator};
	Oid			sortCollations[] = {InvalidOid};
	bool		nullsFirst[] = {false};

	return tuplesort_begin_heap(desc, 1, attNums, sortOperators, sortCollations, nullsFirst,
								sortmem, coordinate, TUPLESORT_NONE);
}

/*
 * FaceAnnLoadEmit of a participant: put the encoded batch into its sort.
 * The entry is codeSize bytes of code then vecSize bytes of vector, opaque
 * here (FaceAnnEncode and FaceAnnInsertPrepared own the format).
 */
static void
SortBatch(FaceAnnLoader *ld, FaceAnnPrepared *entries, ItemPointer tids, int n)
{
	SortSink   *sink = (SortSink *) ld->emitArg;
	FaceAnnCache cache = ld->cache;
	Size		len = VARHDRSZ + cache->codeSize + cache->vecSize;
	bytea	   *entry = palloc(len);
	TupleTableSlot *slot = sink->slot;
	double		total;

	/*
	 * Only list, code and vec travel through the sort: a field added to
	 * FaceAnnPrepared must be added to the entry (and to LoadSorted) too.
	 */
	StaticAssertStmt(sizeof(FaceAnnPrepared) == offsetof(FaceAnnPrepared, vec) + sizeof(FaceAnnVec),
					 "FaceAnnPrepared has fields the parallel build does not carry");

	SET_VARSIZE(entry, len);
	for (int i = 0; i < n; i++)
	{
		memcpy(VARDATA(entry), entries[i].code, cache->codeSize);
		memcpy(VARDATA(entry) + cache->codeSize, entries[i].vec, cache->vecSize);
		ExecClearTuple(slot);
		slot->tts_values[0] = Int64GetDatum(SortKey(entries[i].list, &tids[i]));
		slot->tts_isnull[0] = false;
		slot->tts_values[1] = PointerGetDatum(entry);
		slot->tts_isnull[1] = false;
		ExecStoreVirtualTuple(slot);
		tuplesort_puttupleslot(sink->sortstate, slot);	/* copies the tuple */
	}

	SpinLockAcquire(&sink->shared->mutex);
	sink->shared->ntuples += n;
	total = sink->shared->ntuples;
	SpinLockRelease(&sink->shared->mutex);
	if (sink->isLeader)
		pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_DONE, (int64) total);
}

/*
 * A participant's whole job: join the parallel heap scan, encode its rows
 * into its own sort (sortmem kB) and sort them, leaving the sorted run in
 * the shared file set for the leader's merge.
 */
static void
ScanAndSort(FaceAnnShared *shared, Sharedsort *sharedsort, Relation heap, Relation index,
			IndexInfo *indexInfo, int sortmem, bool isLeader)
{
	SortCoordinateData coordinate;
	SortSink	sink;
	TupleDesc	desc = SortTupleDesc();
	FaceAnnLoader ld;
	TableScanDesc scan;

	coordinate.isWorker = true;
	coordinate.nParticipants = -1;
	coordinate.sharedsort = sharedsort;

	sink.shared = shared;
	sink.isLeader = isLeader;
	sink.slot = MakeSingleTupleTableSlot(desc, &TTSOpsVirtual);
	sink.sortstate = BeginSort(desc, sortmem, &coordinate);

	FaceAnnLoaderInit(&ld, index, SortBatch, &sink);
	scan = table_beginscan_parallel(heap, ParallelTableScanFromShared(shared));
	/* only the leader reports scan progress (blocks done), the workers cannot */
	table_index_build_scan(heap, index, indexInfo, true, isLeader, FaceAnnLoadCallback, &ld, scan);
	FaceAnnLoaderFinish(&ld);

	tuplesort_performsort(sink.sortstate);
	tuplesort_end(sink.sortstate);
	ExecDropSingleTupleTableSlot(sink.slot);
}

/* Worker entry point: open the relations, do a participant's share, close. */
void
FaceAnnParallelBuildMain(dsm_segment *seg, shm_toc *toc)
{
	FaceAnnShared *shared;
	Sharedsort *sharedsort;
	Relation	heap,
				index;
	LOCKMODE	heapLockmode,
				indexLockmode;
	IndexInfo  *indexInfo;
	BufferUsage *bufferusage;
	WalUsage   *walusage;

	debug_query_string = shm_toc_lookup(toc, KEY_QUERY_TEXT, true);
	pgstat_report_activity(STATE_RUNNING, debug_query_string);

	shared = shm_toc_lookup(toc, KEY_SHARED, false);

	/* the lock modes index.c took in the leader (group locking grants them) */
	if (!shared->isconcurrent)
	{
		heapLockmode = ShareLock;
		indexLockmode = AccessExclusiveLock;
	}
	else
	{
		heapLockmode = ShareUpdateExclusiveLock;
		indexLockmode = RowExclusiveLock;
	}
	heap = table_open(shared->heaprelid, heapLockmode);
	index = index_open(shared->indexrelid, indexLockmode);
	indexInfo = BuildIndexInfo(index);
	indexInfo->ii_Concurrent = shared->isconcurrent;

	sharedsort = shm_toc_lookup(toc, KEY_TUPLESORT, false);
	tuplesort_attach_shared(sharedsort, seg);

	InstrStartParallelQuery();
	ScanAndSort(shared, sharedsort, heap, index, indexInfo,
				maintenance_work_mem / shared->nsorts, false);
	bufferusage = shm_toc_lookup(toc, KEY_BUFFER_USAGE, false);
	walusage = shm_toc_lookup(toc, KEY_WAL_USAGE, false);
	InstrEndParallelQuery(&bufferusage[ParallelWorkerNumber], &walusage[ParallelWorkerNumber]);

	index_close(index, indexLockmode);
	table_close(heap, heapLockmode);
}

/*
 * Leave parallel mode: wait for the workers (again, if the caller already
 * did: harmless), drop the snapshot and the context.
 */
static void
EndParallel(ParallelContext *pcxt, Snapshot snapshot)
{
	WaitForParallelWorkersToFinish(pcxt);
	if (IsMVCCSnapshot(snapshot))
		UnregisterSnapshot(snapshot);
	DestroyParallelContext(pcxt);
	ExitParallelMode();
}

/*
 * Merge the participants' sorted runs and append every entry to its list,
 * in (list, TID) order.  Returns the number of entries.
 */
static double
LoadSorted(Relation index, Sharedsort *sharedsort, int nparticipants)
{
	FaceAnnCache cache = FaceAnnGetCache(index);
	SortCoordinateData coordinate;
	TupleDesc	desc = SortTupleDesc();
	TupleTableSlot *slot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
	Tuplesortstate *sortstate;
	FaceAnnPrepared p;
	int64		n = 0;

	coordinate.isWorker = false;
	coordinate.nParticipants = nparticipants;
	coordinate.sharedsort = sharedsort;

	FaceAnnBuildPhase(FACEANN_PHASE_SORT);
	sortstate = BeginSort(desc, maintenance_work_mem, &coordinate);
	tuplesort_performsort(sortstate);

	FaceAnnBuildPhase(FACEANN_PHASE_LOAD);
	pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_DONE, 0);
	memset(&p, 0, sizeof(p));
	p.code = palloc(cache->codeSize);
	p.vec = palloc(cache->vecSize);
	while (tuplesort_gettupleslot(sortstate, true, false, slot, NULL))
	{
		bool		isnull;
		int64		key = DatumGetInt64(slot_getattr(slot, 1, &isnull));
		bytea	   *entry = DatumGetByteaPP(slot_getattr(slot, 2, &isnull));
		ItemPointerData tid;

		if (VARSIZE_ANY_EXHDR(entry) != cache->codeSize + cache->vecSize)
			elog(ERROR, "faceann parallel build sorted an entry of %zu bytes, expected %d",
				 (size_t) VARSIZE_ANY_EXHDR(entry), cache->codeSize + cache->vecSize);
		p.list = SortKeyList(key, &tid);
		/* copied out: the sort's bytes are not aligned for the structs */
		memcpy(p.code, VARDATA_ANY(entry), cache->codeSize);
		memcpy(p.vec, VARDATA_ANY(entry) + cache->codeSize, cache->vecSize);
		FaceAnnInsertPrepared(index, cache, &p, &tid, true);
		if (++n % LOAD_REPORT_EVERY == 0)
		{
			pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_DONE, n);
			CHECK_FOR_INTERRUPTS();
		}
	}
	pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_DONE, n);

	tuplesort_end(sortstate);
	ExecDropSingleTupleTableSlot(slot);
	pfree(p.code);
	pfree(p.vec);
	return (double) n;
}

/*
 * Run the load scan of a build in parallel, if plan_create_index_workers
 * grants workers and at least one starts: the index structure must be
 * written.  Returns false, having changed nothing, to have the caller load
 * serially; otherwise sets *indtuples to the number of entries loaded.
 */
bool
FaceAnnParallelLoad(Relation heap, Relation index, IndexInfo *indexInfo, double *indtuples)
{
	int			request;
	int			nsorts;
	int			nparticipants;
	ParallelContext *pcxt;
	Snapshot	snapshot;
	Size		estshared,
				estsort;
	int			querylen = 0;
	FaceAnnShared *shared;
	Sharedsort *sharedsort;
	BufferUsage *bufferusage;
	WalUsage   *walusage;

	request = plan_create_index_workers(RelationGetRelid(heap), RelationGetRelid(index));
	if (request <= 0)
		return false;

	EnterParallelMode();
	pcxt = CreateParallelContext("face", "FaceAnnParallelBuildMain", request);
	nsorts = request + 1;		/* the leader participates */

	/* as in a serial build: every tuple, or an MVCC snapshot for CONCURRENTLY */
	snapshot = indexInfo->ii_Concurrent ? RegisterSnapshot(GetTransactionSnapshot()) : SnapshotAny;

	estshared = add_size(BUFFERALIGN(sizeof(FaceAnnShared)), table_parallelscan_estimate(heap, snapshot));
	shm_toc_estimate_chunk(&pcxt->estimator, estshared);
	estsort = tuplesort_estimate_shared(nsorts);
	shm_toc_estimate_chunk(&pcxt->estimator, estsort);
	shm_toc_estimate_chunk(&pcxt->estimator, mul_size(sizeof(WalUsage), pcxt->nworkers));
	shm_toc_estimate_chunk(&pcxt->estimator, mul_size(sizeof(BufferUsage), pcxt->nworkers));
	shm_toc_estimate_keys(&pcxt->estimator, 4);
	if (debug_query_string)
	{
		querylen = strlen(debug_query_string);
		shm_toc_estimate_chunk(&pcxt->estimator, querylen + 1);
		shm_toc_estimate_keys(&pcxt->estimator, 1);
	}

	InitializeParallelDSM(pcxt);
	if (pcxt->seg == NULL)
	{
		/* no DSM segment available */
		if (IsMVCCSnapshot(snapshot))
			UnregisterSnapshot(snapshot);
		DestroyParallelContext(pcxt);
		ExitParallelMode();
		return false;
	}

	shared = shm_toc_allocate(pcxt->toc, estshared);
	shared->heaprelid = RelationGetRelid(heap);
	shared->indexrelid = RelationGetRelid(index);
	shared->isconcurrent = indexInfo->ii_Concurrent;
	shared->nsorts = nsorts;
	SpinLockInit(&shared->mutex);
	shared->ntuples = 0;
	table_parallelscan_initialize(heap, ParallelTableScanFromShared(shared), snapshot);
	shm_toc_insert(pcxt->toc, KEY_SHARED, shared);

	sharedsort = shm_toc_allocate(pcxt->toc, estsort);
	tuplesort_initialize_shared(sharedsort, nsorts, pcxt->seg);
	shm_toc_insert(pcxt->toc, KEY_TUPLESORT, sharedsort);

	walusage = shm_toc_allocate(pcxt->toc, mul_size(sizeof(WalUsage), pcxt->nworkers));
	shm_toc_insert(pcxt->toc, KEY_WAL_USAGE, walusage);
	bufferusage = shm_toc_allocate(pcxt->toc, mul_size(sizeof(BufferUsage), pcxt->nworkers));
	shm_toc_insert(pcxt->toc, KEY_BUFFER_USAGE, bufferusage);

	if (debug_query_string)
	{
		char	   *query = shm_toc_allocate(pcxt->toc, querylen + 1);

		memcpy(query, debug_query_string, querylen + 1);
		shm_toc_insert(pcxt->toc, KEY_QUERY_TEXT, query);
	}

	LaunchParallelWorkers(pcxt);
	if (pcxt->nworkers_launched == 0)
	{
		EndParallel(pcxt, snapshot);
		return false;
	}
	nparticipants = pcxt->nworkers_launched + 1;

	/* the leader does its share, then waits for the workers' sorted runs */
	FaceAnnBuildPhase(FACEANN_PHASE_ASSIGN);
	ereport(DEBUG1,
			(errmsg_internal("faceann build: loading with %d parallel workers",
							 pcxt->nworkers_launched)));
	ScanAndSort(shared, sharedsort, heap, index, indexInfo,
				maintenance_work_mem / nparticipants, true);
	WaitForParallelWorkersToFinish(pcxt);
	for (int i = 0; i < pcxt->nworkers_launched; i++)
		InstrAccumParallelQuery(&bufferusage[i], &walusage[i]);

	*indtuples = LoadSorted(index, sharedsort, nparticipants);
	if (*indtuples != shared->ntuples)
		elog(ERROR, "faceann parallel build loaded %.0f entries of %.0f encoded",
			 *indtuples, shared->ntuples);

	EndParallel(pcxt, snapshot);
	return true;
}
