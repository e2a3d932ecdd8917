/*-------------------------------------------------------------------------
 *
 * faceanncheck.c
 *	  faceann_check(regclass): verify a faceann index against its table.
 *
 * Checks, raising ERROR (index_corrupted) on the first violation:
 * - structure: every page on a chain has the right kind, no page is on two
 *   chains or twice on one (no cycles), counts fit the page, the metapage
 *   and directory agree with the cache;
 * - cross-links: every code entry points at a used vector slot of its own
 *   list holding the same heap TID, and every used slot is pointed at by
 *   exactly one entry; no TID is indexed twice;
 * - against the heap (under ShareLock, so no writer runs): every tuple that
 *   should be indexed (non-NULL, and for cosine non-zero, including recently
 *   dead ones, as CREATE INDEX would see them) has an entry under its HOT
 *   root TID; every entry that matches no such tuple points at a heap line
 *   pointer still in use (a dead tuple not vacuumed yet), never at an
 *   unused or nonexistent one.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/index.h"
#include "catalog/pg_am.h"
#include "commands/defrem.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "faceann.h"

typedef struct CheckEntry
{
	ItemPointerData tid;
	uint16		voff;
	BlockNumber vblk;
	int32		list;
	bool		found;			/* code entries: seen in the heap scan */
} CheckEntry;

typedef struct CheckState
{
	Relation	index;
	FaceAnnCache cache;
	int			metric;
	CheckEntry *codes;			/* sorted by tid for the heap pass */
	int64		ncodes;
	int64		heapTuples;
	float	   *tmp;
} CheckState;

#define CORRUPT(index, ...) \
	ereport(ERROR, \
			(errcode(ERRCODE_INDEX_CORRUPTED), \
			 errmsg("faceann index \"%s\" is corrupt", RelationGetRelationName(index)), \
			 errdetail(__VA_ARGS__)))

static int
CompareByLoc(const void *a, const void *b)
{
	const CheckEntry *ea = a,
			   *eb = b;

	if (ea->vblk != eb->vblk)
		return ea->vblk < eb->vblk ? -1 : 1;
	return (int) ea->voff - (int) eb->voff;
}

static int
CompareByTid(const void *a, const void *b)
{
	return ItemPointerCompare(&((CheckEntry *) a)->tid, &((CheckEntry *) b)->tid);
}

static void
AppendEntry(CheckEntry **arr, int64 *n, int64 *cap, CheckEntry *e)
{
	if (*n == *cap)
	{
		*cap = Max(1024, *cap * 2);
		*arr = *arr ? repalloc_huge(*arr, sizeof(CheckEntry) * *cap)
			: palloc_extended(sizeof(CheckEntry) * *cap, MCXT_ALLOC_HUGE);
	}
	(*arr)[(*n)++] = *e;
}

/* Mark blkno visited; ERROR if it already was (a page on two chains, or a cycle). */
static void
Visit(Relation index, bool *visited, BlockNumber nblocks, BlockNumber blkno, int list)
{
	if (blkno >= nblocks)
		CORRUPT(index, "List %d links to block %u beyond the end of the index (%u blocks).",
				list, blkno, nblocks);
	if (visited[blkno])
		CORRUPT(index, "Block %u is reached twice (list %d).", blkno, list);
	visited[blkno] = true;
}

/* Heap pass: every tuple that should be indexed must have an entry. */
static void
HeapCallback(Relation index, ItemPointer tid, Datum *values, bool *isnull,
			 bool tupleIsAlive, void *arg)
{
	CheckState *cs = (CheckState *) arg;
	CheckEntry	key;
	CheckEntry *hit;

	if (isnull[0])
		return;
	if (cs->cache->dim == 0)
		CORRUPT(index, "Heap tuple (%u,%u) is not indexed: the index has never seen a vector.",
				ItemPointerGetBlockNumber(tid), ItemPointerGetOffsetNumber(tid));
	if (!FaceAnnLoadVector(index, cs->cache, cs->metric, values[0], cs->tmp))
		return;					/* cosine zero vector: not indexed by design */
	cs->heapTuples++;
	key.tid = *tid;
	hit = bsearch(&key, cs->codes, cs->ncodes, sizeof(CheckEntry), CompareByTid);
	if (hit == NULL)
		CORRUPT(index, "Heap tuple (%u,%u) is not in the index.",
				ItemPointerGetBlockNumber(tid), ItemPointerGetOffsetNumber(tid));
	hit->found = true;
}

/* An entry no heap tuple claimed must point at a line pointer still in use. */
static void
CheckDangling(Relation index, Relation heap, CheckEntry *e)
{
	BlockNumber blkno = ItemPointerGetBlockNumber(&e->tid);
	OffsetNumber off = ItemPointerGetOffsetNumber(&e->tid);
	Buffer		buf;
	Page		page;
	bool		ok;

	if (blkno >= RelationGetNumberOfBlocks(heap))
		CORRUPT(index, "Entry for (%u,%u) points beyond the end of the table.", blkno, off);
	buf = ReadBuffer(heap, blkno);
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	page = BufferGetPage(buf);
	ok = off >= FirstOffsetNumber && off <= PageGetMaxOffsetNumber(page) &&
		ItemIdIsUsed(PageGetItemId(page, off));
	UnlockReleaseBuffer(buf);
	if (!ok)
		CORRUPT(index, "Entry for (%u,%u) points at an unused heap line pointer.", blkno, off);
}

PG_FUNCTION_INFO_V1(faceann_check);
Datum
faceann_check(PG_FUNCTION_ARGS)
{
	Oid			indexoid = PG_GETARG_OID(0);
	Oid			heapoid;
	Relation	heap,
				index;
	CheckState	cs;
	FaceAnnCache cache;
	BlockNumber nblocks;
	bool	   *visited;
	CheckEntry *slots = NULL;
	int64		nslots = 0,
				capslots = 0,
				capcodes = 0;
	int32		codePages = 0,
				vecPages = 0;
	IndexInfo  *indexInfo;
	TupleDesc	tupdesc;
	Datum		values[5];
	bool		nulls[5] = {0};

	/* lock the table before the index, like every index check does */
	heapoid = IndexGetRelation(indexoid, true);
	if (!OidIsValid(heapoid))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not an index", get_rel_name(indexoid) ? get_rel_name(indexoid) : "?")));
	/*
	 * ShareLock blocks the table's writers, and the result tells its row
	 * count: only for those who may read it (checked before any lock).
	 */
	if (pg_class_aclcheck(heapoid, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for table %s", get_rel_name(heapoid) ? get_rel_name(heapoid) : "?"),
				 errdetail("faceann_check needs SELECT on the table of the index it checks.")));
	heap = table_open(heapoid, ShareLock);
	index = index_open(indexoid, AccessShareLock);
	if (index->rd_rel->relam != get_index_am_oid("faceann", false))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a faceann index", RelationGetRelationName(index))));

	memset(&cs, 0, sizeof(cs));
	cs.index = index;
	cs.cache = cache = FaceAnnGetCache(index);
	cs.metric = FaceAnnGetMetric(index);
	if (cache->metric != cs.metric)
		CORRUPT(index, "The metapage records metric %d but the operator class orders by metric %d.",
				cache->metric, cs.metric);
	cs.tmp = palloc(sizeof(float) * Max(cache->dim, 1));

	nblocks = RelationGetNumberOfBlocks(index);
	visited = palloc0(sizeof(bool) * nblocks);

	for (int l = 0; l < cache->nlists; l++)
	{
		BlockNumber blkno;
		FaceAnnListData dir;

		CHECK_FOR_INTERRUPTS();
		FaceAnnReadList(index, cache, l, &dir);
		if (dir.codeHead != cache->codeHead[l] || dir.vecHead != cache->vecHead[l])
			CORRUPT(index, "Directory entry of list %d changed its head pages.", l);

		for (blkno = dir.codeHead; BlockNumberIsValid(blkno);)
		{
			Buffer		buf;
			Page		page;
			FaceAnnPageOpaque opaque;

			Visit(index, visited, nblocks, blkno, l);
			buf = ReadBuffer(index, blkno);
			LockBuffer(buf, BUFFER_LOCK_SHARE);
			page = BufferGetPage(buf);
			FaceAnnCheckPage(index, page, blkno, FACEANN_PAGE_CODE);
			opaque = FaceAnnPageGetOpaque(page);
			if (cache->dim > 0 && opaque->count > cache->codePerPage)
				CORRUPT(index, "Code page %u holds %d entries, more than fit (%d).",
						blkno, opaque->count, cache->codePerPage);
			for (int i = 0; i < opaque->count; i++)
			{
				FaceAnnCode code = (FaceAnnCode) (FaceAnnPageData(page) + (size_t) i * cache->codeSize);
				CheckEntry	e;

				if (!ItemPointerIsValid(&code->tid))
					CORRUPT(index, "Code page %u entry %d has an invalid heap TID.", blkno, i);
				e.tid = code->tid;
				e.vblk = code->vblk;
				e.voff = code->voff;
				e.list = l;
				e.found = false;
				AppendEntry(&cs.codes, &cs.ncodes, &capcodes, &e);
			}
			codePages++;
			blkno = opaque->nextblkno;
			UnlockReleaseBuffer(buf);
		}

		for (blkno = dir.vecHead; BlockNumberIsValid(blkno);)
		{
			Buffer		buf;
			Page		page;
			FaceAnnPageOpaque opaque;
			int			used = 0;

			Visit(index, visited, nblocks, blkno, l);
			buf = ReadBuffer(index, blkno);
			LockBuffer(buf, BUFFER_LOCK_SHARE);
			page = BufferGetPage(buf);
			FaceAnnCheckPage(index, page, blkno, FACEANN_PAGE_VEC);
			opaque = FaceAnnPageGetOpaque(page);
			for (int i = 0; i < cache->vecPerPage; i++)
			{
				FaceAnnVec	v = (FaceAnnVec) (FaceAnnPageData(page) + (size_t) i * cache->vecSize);
				CheckEntry	e;

				if (!ItemPointerIsValid(&v->tid))
					continue;
				used++;
				e.tid = v->tid;
				e.vblk = blkno;
				e.voff = (uint16) i;
				e.list = l;
				e.found = false;
				AppendEntry(&slots, &nslots, &capslots, &e);
			}
			if (used != opaque->count)
				CORRUPT(index, "Vector page %u counts %d used slots but holds %d.",
						blkno, opaque->count, used);
			vecPages++;
			blkno = opaque->nextblkno;
			UnlockReleaseBuffer(buf);
		}
	}

	/* cross-links: code entries and used slots pair up one to one */
	if (cs.ncodes != nslots)
		CORRUPT(index, "%lld code entries but %lld used vector slots.",
				(long long) cs.ncodes, (long long) nslots);
	if (cs.ncodes > 0)
	{
		qsort(cs.codes, cs.ncodes, sizeof(CheckEntry), CompareByLoc);
		qsort(slots, nslots, sizeof(CheckEntry), CompareByLoc);
		for (int64 i = 0; i < cs.ncodes; i++)
		{
			CheckEntry *c = &cs.codes[i],
					   *s = &slots[i];

			if (c->vblk != s->vblk || c->voff != s->voff || !ItemPointerEquals(&c->tid, &s->tid) ||
				c->list != s->list)
				CORRUPT(index, "Entry for heap tuple (%u,%u) in list %d points at vector slot %u/%u, "
						"which holds (%u,%u) of list %d.",
						ItemPointerGetBlockNumber(&c->tid), ItemPointerGetOffsetNumber(&c->tid),
						c->list, c->vblk, c->voff,
						ItemPointerGetBlockNumber(&s->tid), ItemPointerGetOffsetNumber(&s->tid),
						s->list);
		}
		qsort(cs.codes, cs.ncodes, sizeof(CheckEntry), CompareByTid);
		for (int64 i = 1; i < cs.ncodes; i++)
			if (ItemPointerEquals(&cs.codes[i - 1].tid, &cs.codes[i].tid))
				CORRUPT(index, "Heap tuple (%u,%u) is indexed twice.",
						ItemPointerGetBlockNumber(&cs.codes[i].tid),
						ItemPointerGetOffsetNumber(&cs.codes[i].tid));
	}

	/* against the heap */
	indexInfo = BuildIndexInfo(index);
	table_index_build_scan(heap, index, indexInfo, true, false, HeapCallback, &cs, NULL);
	for (int64 i = 0; i < cs.ncodes; i++)
		if (!cs.codes[i].found)
			CheckDangling(index, heap, &cs.codes[i]);

	index_close(index, AccessShareLock);
	table_close(heap, ShareLock);

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	values[0] = Int32GetDatum(cache->nlists);
	values[1] = Int64GetDatum(cs.ncodes);
	values[2] = Int64GetDatum(cs.heapTuples);
	values[3] = Int32GetDatum(codePages);
	values[4] = Int32GetDatum(vecPages);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
