/*-------------------------------------------------------------------------
 *
 * faceanninsert.c
 *	  Inserting into a faceann index.
 *
 * An insert is cheap by design: find the nearest centroid, encode, and
 * append to that list.  The vector slot and the code entry are written in
 * one GenericXLog record (at most four pages: the vector page, a new vector
 * page, the code page, a new code page), so after a crash either both exist
 * or neither does.  The list's chains are walked from the directory's insert
 * pointers; a full chain is extended under the exclusive lock of its last
 * page, which serialises extension of one list without any other lock.
 * The insert pointers in the directory are only hints (VACUUM moves them
 * back to freed space, inserts move them forward) and are updated after the
 * entry is in place, in a record of their own.
 *
 * The build (faceannbuild.c) loads tuples through FaceAnnInsertPrepared too,
 * so the index it produces is exactly what inserts would produce; only the
 * WAL differs (the build logs whole pages once at its end instead).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/generic_xlog.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "type/embedding.h"
#include "faceann.h"

/*
 * Find room on a chain starting at blkno: returns the page's buffer pinned
 * and exclusively locked.  If the chain's last page is full, *newbuf is a
 * fresh page (locked) to be linked after the returned full page; otherwise
 * *newbuf is InvalidBuffer.  "Full" is decided by has_room.
 */
static Buffer
FindRoom(Relation index, BlockNumber blkno, uint16 page_id,
		 bool (*has_room) (Page page, FaceAnnCache cache), FaceAnnCache cache,
		 Buffer *newbuf)
{
	for (;;)
	{
		Buffer		buf = ReadBuffer(index, blkno);
		Page		page;
		BlockNumber next;

		LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
		page = BufferGetPage(buf);
		FaceAnnCheckPage(index, page, blkno, page_id);
		FaceAnnCheckCount(index, page, blkno,
						  page_id == FACEANN_PAGE_CODE ? cache->codePerPage : cache->vecPerPage);
		if (has_room(page, cache))
		{
			*newbuf = InvalidBuffer;
			return buf;
		}
		next = FaceAnnPageGetOpaque(page)->nextblkno;
		if (next == InvalidBlockNumber)
		{
			*newbuf = FaceAnnNewBuffer(index, MAIN_FORKNUM);
			return buf;
		}
		UnlockReleaseBuffer(buf);
		blkno = next;
	}
}

static bool
VecPageHasRoom(Page page, FaceAnnCache cache)
{
	return FaceAnnPageGetOpaque(page)->count < cache->vecPerPage;
}

static bool
CodePageHasRoom(Page page, FaceAnnCache cache)
{
	return FaceAnnPageGetOpaque(page)->count < cache->codePerPage;
}

/*
 * A set of page changes made atomically: through GenericXLog, or (during
 * CREATE INDEX, which WAL-logs every page once at the end) directly in the
 * buffers, which are then only marked dirty.
 */
typedef struct PageWriter
{
	GenericXLogState *state;	/* NULL when building */
	Buffer		bufs[MAX_GENERIC_XLOG_PAGES];
	int			nbufs;
} PageWriter;

static void
WriterStart(PageWriter *w, Relation index, bool building)
{
	w->state = building ? NULL : GenericXLogStart(index);
	w->nbufs = 0;
}

static Page
WriterPage(PageWriter *w, Buffer buf, int flags)
{
	if (w->state)
		return GenericXLogRegisterBuffer(w->state, buf, flags);
	w->bufs[w->nbufs++] = buf;
	return BufferGetPage(buf);
}

static void
WriterFinish(PageWriter *w)
{
	if (w->state)
		GenericXLogFinish(w->state);
	else
		for (int i = 0; i < w->nbufs; i++)
			MarkBufferDirty(w->bufs[i]);
}

/*
 * Register buf (and newbuf, initialised and linked after it, if valid) in
 * w; returns the page that receives the entry.
 */
static Page
RegisterTarget(PageWriter *w, Buffer buf, Buffer newbuf, uint16 page_id,
			   BlockNumber *target)
{
	Page		page = WriterPage(w, buf, 0);

	*target = BufferGetBlockNumber(buf);
	if (BufferIsValid(newbuf))
	{
		Page		newpage = WriterPage(w, newbuf, GENERIC_XLOG_FULL_IMAGE);

		FaceAnnInitPage(newpage, page_id);
		FaceAnnPageGetOpaque(page)->nextblkno = BufferGetBlockNumber(newbuf);
		*target = BufferGetBlockNumber(newbuf);
		return newpage;
	}
	return page;
}

/* Move list's insert pointers to the pages the last insert used, if they differ. */
static void
UpdateInsertPointers(Relation index, FaceAnnCache cache, int list,
					 BlockNumber vecblk, BlockNumber codeblk, bool building)
{
	BlockNumber blkno = cache->dirStart + list / FACEANN_LISTS_PER_PAGE;
	Buffer		buf = ReadBuffer(index, blkno);
	PageWriter	w;
	FaceAnnListData *entry;

	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	WriterStart(&w, index, building);
	entry = &((FaceAnnListData *) FaceAnnPageData(WriterPage(&w, buf, 0)))
		[list % FACEANN_LISTS_PER_PAGE];
	entry->vecInsert = vecblk;
	entry->codeInsert = codeblk;
	WriterFinish(&w);
	UnlockReleaseBuffer(buf);
}

/*
 * Append prepared entry p for heap tuple tid to its list.  Takes and
 * releases all locks itself; WAL-logged unless building (the build logs
 * every page at its end).
 */
void
FaceAnnInsertPrepared(Relation index, FaceAnnCache cache, FaceAnnPrepared *p, ItemPointer tid,
					  bool building)
{
	FaceAnnListData list;
	Buffer		vbuf,
				vnew,
				cbuf,
				cnew;
	PageWriter	w;
	Page		vpage,
				cpage;
	BlockNumber vblk,
				cblk;
	FaceAnnPageOpaque opaque;
	int			slot;
	FaceAnnVec	v;

	FaceAnnReadList(index, cache, p->list, &list);
	vbuf = FindRoom(index, list.vecInsert, FACEANN_PAGE_VEC, VecPageHasRoom, cache, &vnew);
	cbuf = FindRoom(index, list.codeInsert, FACEANN_PAGE_CODE, CodePageHasRoom, cache, &cnew);

	WriterStart(&w, index, building);
	vpage = RegisterTarget(&w, vbuf, vnew, FACEANN_PAGE_VEC, &vblk);
	cpage = RegisterTarget(&w, cbuf, cnew, FACEANN_PAGE_CODE, &cblk);

	/* the vector: first free slot (a fresh page has all slots free) */
	opaque = FaceAnnPageGetOpaque(vpage);
	for (slot = 0; slot < cache->vecPerPage; slot++)
	{
		v = (FaceAnnVec) (FaceAnnPageData(vpage) + (size_t) slot * cache->vecSize);
		if (!ItemPointerIsValid(&v->tid))
			break;
	}
	if (slot >= cache->vecPerPage)
		elog(ERROR, "faceann vector page %u has no free slot but count %d", vblk, opaque->count);
	memcpy(v, p->vec, cache->vecSize);
	v->tid = *tid;
	opaque->count++;
	((PageHeader) vpage)->pd_lower = Max(((PageHeader) vpage)->pd_lower,
										 (char *) v + cache->vecSize - (char *) vpage);

	/* the code entry, appended */
	opaque = FaceAnnPageGetOpaque(cpage);
	p->code->tid = *tid;
	p->code->vblk = vblk;
	p->code->voff = (uint16) slot;
	memcpy(FaceAnnPageData(cpage) + (size_t) opaque->count * cache->codeSize, p->code, cache->codeSize);
	opaque->count++;
	((PageHeader) cpage)->pd_lower += cache->codeSize;

	WriterFinish(&w);

	UnlockReleaseBuffer(vbuf);
	if (BufferIsValid(vnew))
		UnlockReleaseBuffer(vnew);
	UnlockReleaseBuffer(cbuf);
	if (BufferIsValid(cnew))
		UnlockReleaseBuffer(cnew);

	if (vblk != list.vecInsert || cblk != list.codeInsert)
		UpdateInsertPointers(index, cache, p->list, vblk, cblk, building);
}

/* aminsert: NULLs and (for cosine) zero vectors are not indexed. */
bool
faceanninsert(Relation index, Datum *values, bool *isnull, ItemPointer heap_tid,
			  Relation heap, IndexUniqueCheck checkUnique, bool indexUnchanged,
			  IndexInfo *indexInfo)
{
	MemoryContext cxt,
				oldcxt;
	FaceAnnCache cache;
	FaceAnnPrepared p;
	float	   *x;
	int			metric;

	if (isnull[0])
		return false;

	cxt = AllocSetContextCreate(CurrentMemoryContext, "faceann insert", ALLOCSET_SMALL_SIZES);
	oldcxt = MemoryContextSwitchTo(cxt);

	cache = FaceAnnGetCache(index);
	if (cache->dim == 0)
	{
		/* built empty without a typmod: the first vector fixes the dimension */
		FaceAnnSetDim(index, FaceAnnCheckDim(DatumGetFaceEmbedding(values[0])->dim));
		cache = FaceAnnGetCache(index);
	}
	metric = cache->metric;
	x = palloc(sizeof(float) * cache->dim);
	if (FaceAnnLoadVector(index, cache, metric, values[0], x))
	{
		p.code = palloc(cache->codeSize);
		p.vec = palloc(cache->vecSize);
		FaceAnnEncode(cache, x, FaceAnnNearestList(cache, x), &p);
		FaceAnnInsertPrepared(index, cache, &p, heap_tid, false);
	}

	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(cxt);
	return false;
}
