/*-------------------------------------------------------------------------
 *
 * faceannvacuum.c
 *	  VACUUM support for faceann.
 *
 * Bulk delete walks every list: on each code page (exclusively locked) the
 * entries whose heap tuples are dead are removed and the survivors compacted,
 * in one GenericXLog record per page; the dead entries' vector slots are
 * remembered.  Only after the code page is released are those slots freed
 * on their vector pages (never holding a code page while locking a vector
 * page keeps the lock order of inserts).  A slot is freed only if it still
 * holds the dead TID.  Finally the list's insert pointers are moved back to
 * the first pages with room, so inserts reuse the space.  Centroids are not
 * retrained: deletes do not move the data's distribution much, and REINDEX
 * retrains when it does.
 *
 * Statistics: each bulk delete pass counts the entries it leaves (a VACUUM
 * with little maintenance_work_mem makes several passes, and the last one's
 * count is the index's); a VACUUM that deleted nothing reads no index page.
 * Empty code pages stay on their chain (a scan reads their header only) and
 * are refilled by inserts, as the insert pointers are moved back to them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/generic_xlog.h"
#include "commands/vacuum.h"
#include "miscadmin.h"
#include "utils/rel.h"

#include "faceann.h"

typedef struct DeadSlot
{
	BlockNumber vblk;
	uint16		voff;
	ItemPointerData tid;
} DeadSlot;

static int
CompareDeadSlot(const void *a, const void *b)
{
	const DeadSlot *da = a,
			   *db = b;

	if (da->vblk != db->vblk)
		return da->vblk < db->vblk ? -1 : 1;
	return (int) da->voff - (int) db->voff;
}

/* Free the vector slots of dead (sorted by block) on their pages. */
static void
FreeSlots(Relation index, FaceAnnCache cache, DeadSlot *dead, int ndead,
		  BufferAccessStrategy strategy)
{
	for (int i = 0; i < ndead;)
	{
		BlockNumber blkno = dead[i].vblk;
		Buffer		buf = ReadBufferExtended(index, MAIN_FORKNUM, blkno, RBM_NORMAL, strategy);
		GenericXLogState *state;
		Page		page;

		LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
		FaceAnnCheckPage(index, BufferGetPage(buf), blkno, FACEANN_PAGE_VEC);
		state = GenericXLogStart(index);
		page = GenericXLogRegisterBuffer(state, buf, 0);
		for (; i < ndead && dead[i].vblk == blkno; i++)
		{
			FaceAnnVec	v = (FaceAnnVec) (FaceAnnPageData(page) + (size_t) dead[i].voff * cache->vecSize);

			if (dead[i].voff < cache->vecPerPage && ItemPointerEquals(&v->tid, &dead[i].tid))
			{
				memset(v, 0, cache->vecSize);
				FaceAnnPageGetOpaque(page)->count--;
			}
		}
		GenericXLogFinish(state);
		UnlockReleaseBuffer(buf);
	}
}

/* Point list l's insert pointers at the first pages with room. */
static void
ResetInsertPointers(Relation index, FaceAnnCache cache, int l, BlockNumber codeblk,
					BlockNumber vecblk)
{
	BlockNumber blkno = cache->dirStart + l / FACEANN_LISTS_PER_PAGE;
	Buffer		buf = ReadBuffer(index, blkno);
	GenericXLogState *state;
	FaceAnnListData *entry;

	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	state = GenericXLogStart(index);
	entry = &((FaceAnnListData *) FaceAnnPageData(GenericXLogRegisterBuffer(state, buf, 0)))
		[l % FACEANN_LISTS_PER_PAGE];
	if (BlockNumberIsValid(codeblk))
		entry->codeInsert = codeblk;
	if (BlockNumberIsValid(vecblk))
		entry->vecInsert = vecblk;
	GenericXLogFinish(state);
	UnlockReleaseBuffer(buf);
}

/* The first page of list l's vector chain with a free slot, or Invalid. */
static BlockNumber
FirstVecPageWithRoom(Relation index, FaceAnnCache cache, int l, BufferAccessStrategy strategy)
{
	BlockNumber blkno = cache->vecHead[l];

	while (BlockNumberIsValid(blkno))
	{
		Buffer		buf = ReadBufferExtended(index, MAIN_FORKNUM, blkno, RBM_NORMAL, strategy);
		FaceAnnPageOpaque opaque;
		BlockNumber next;
		bool		room;

		LockBuffer(buf, BUFFER_LOCK_SHARE);
		opaque = FaceAnnPageGetOpaque(BufferGetPage(buf));
		room = opaque->count < cache->vecPerPage;
		next = opaque->nextblkno;
		UnlockReleaseBuffer(buf);
		if (room)
			return blkno;
		blkno = next;
	}
	return InvalidBlockNumber;
}

IndexBulkDeleteResult *
faceannbulkdelete(IndexVacuumInfo *info, IndexBulkDeleteResult *stats,
				  IndexBulkDeleteCallback callback, void *callback_state)
{
	Relation	index = info->index;
	FaceAnnCache cache = FaceAnnGetCache(index);
	DeadSlot   *dead;
	int			maxdead;
	char	   *keep = palloc(BLCKSZ);

	if (stats == NULL)
		stats = palloc0(sizeof(IndexBulkDeleteResult));
	/*
	 * Every pass reads the whole index: it counts the entries left, while
	 * tuples_removed adds up over the passes of one VACUUM.
	 */
	stats->num_index_tuples = 0;
	stats->estimated_count = false;
	if (cache->dim == 0)
		return stats;

	maxdead = cache->codePerPage;
	dead = palloc(sizeof(DeadSlot) * maxdead);

	for (int l = 0; l < cache->nlists; l++)
	{
		BlockNumber blkno = cache->codeHead[l];
		BlockNumber firstRoom = InvalidBlockNumber;
		bool		freedVec = false;

		while (BlockNumberIsValid(blkno))
		{
			Buffer		buf;
			Page		page;
			FaceAnnPageOpaque opaque;
			int			ndead = 0,
						nkeep = 0,
						count;
			BlockNumber next;

			vacuum_delay_point();
			buf = ReadBufferExtended(index, MAIN_FORKNUM, blkno, RBM_NORMAL, info->strategy);
			LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
			page = BufferGetPage(buf);
			FaceAnnCheckPage(index, page, blkno, FACEANN_PAGE_CODE);
			opaque = FaceAnnPageGetOpaque(page);
			count = FaceAnnCheckCount(index, page, blkno, cache->codePerPage);

			for (int i = 0; i < count; i++)
			{
				FaceAnnCode code = (FaceAnnCode) (FaceAnnPageData(page) + (size_t) i * cache->codeSize);

				if (callback(&code->tid, callback_state))
				{
					dead[ndead].vblk = code->vblk;
					dead[ndead].voff = code->voff;
					dead[ndead].tid = code->tid;
					ndead++;
				}
				else
					memcpy(keep + (size_t) nkeep++ * cache->codeSize, code, cache->codeSize);
			}
			if (ndead > 0)
			{
				GenericXLogState *state = GenericXLogStart(index);

				page = GenericXLogRegisterBuffer(state, buf, 0);
				opaque = FaceAnnPageGetOpaque(page);
				memcpy(FaceAnnPageData(page), keep, (size_t) nkeep * cache->codeSize);
				opaque->count = nkeep;
				((PageHeader) page)->pd_lower = (FaceAnnPageData(page) - (char *) page)
					+ nkeep * cache->codeSize;
				GenericXLogFinish(state);
				/* page and opaque pointed into GenericXLog's copy, freed by Finish */
				opaque = FaceAnnPageGetOpaque(BufferGetPage(buf));
			}
			if (!BlockNumberIsValid(firstRoom) && opaque->count < cache->codePerPage)
				firstRoom = blkno;
			next = opaque->nextblkno;
			UnlockReleaseBuffer(buf);

			stats->tuples_removed += ndead;
			stats->num_index_tuples += nkeep;
			if (ndead > 0)
			{
				qsort(dead, ndead, sizeof(DeadSlot), CompareDeadSlot);
				FreeSlots(index, cache, dead, ndead, info->strategy);
				freedVec = true;
			}
			blkno = next;
		}
		if (freedVec)
			ResetInsertPointers(index, cache, l, firstRoom,
								FirstVecPageWithRoom(index, cache, l, info->strategy));
	}
	pfree(dead);
	pfree(keep);
	return stats;
}

/*
 * After the bulk deletes.  If none ran (nothing was deleted, e.g. an
 * autovacuum of an insert-only table), the index is not read at all: its
 * entry count is estimated from the heap's, as btree does.
 */
IndexBulkDeleteResult *
faceannvacuumcleanup(IndexVacuumInfo *info, IndexBulkDeleteResult *stats)
{
	if (info->analyze_only)
		return stats;
	if (stats == NULL)
	{
		stats = palloc0(sizeof(IndexBulkDeleteResult));
		stats->num_index_tuples = info->num_heap_tuples;
		stats->estimated_count = info->estimated_count;
	}
	stats->num_pages = RelationGetNumberOfBlocks(info->index);
	return stats;
}
