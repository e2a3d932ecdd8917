/*-------------------------------------------------------------------------
 *
 * faceanncost.c
 *	  Planner cost estimate for faceann scans.
 *
 * The index is only useful for ORDER BY distance: without an ordering
 * operator it returns nothing the planner wants, so such paths get
 * disable_cost.  With one, all the work (probing face.ann_probes lists and
 * reranking) happens before the first row, so it is charged as startup
 * cost; the per-row run cost is small.  With LIMIT k the planner charges
 * startup + k/N of the run cost, which beats a sort of a sequential scan
 * once the table is larger than a few lists.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "utils/spccache.h"
#include "utils/selfuncs.h"
#include "utils/rel.h"

#include "faceann.h"

/* Number of lists, read from the metapage (planning holds a lock on the index). */
static int
ListCount(Oid indexoid)
{
	Relation	index = index_open(indexoid, NoLock);
	Buffer		buf;
	int			nlists;

	buf = ReadBuffer(index, FACEANN_METAPAGE_BLKNO);
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	nlists = FaceAnnPageGetMeta(BufferGetPage(buf))->nlists;
	UnlockReleaseBuffer(buf);
	index_close(index, NoLock);
	return Max(nlists, 1);
}

void
faceanncostestimate(PlannerInfo *root, IndexPath *path, double loop_count,
					Cost *indexStartupCost, Cost *indexTotalCost,
					Selectivity *indexSelectivity, double *indexCorrelation,
					double *indexPages)
{
	IndexOptInfo *index = path->indexinfo;
	GenericCosts costs;
	double		ratio;
	double		spc_seq_page_cost;

	if (path->indexorderbys == NIL)
	{
		*indexStartupCost = disable_cost;
		*indexTotalCost = disable_cost;
		*indexSelectivity = 0;
		*indexCorrelation = 0;
		*indexPages = 0;
		return;
	}

	MemSet(&costs, 0, sizeof(costs));
	genericcostestimate(root, path, loop_count, &costs);

	ratio = Min(1.0, (double) faceann_probes / ListCount(index->indexoid));
	get_tablespace_page_costs(index->reltablespace, NULL, &spc_seq_page_cost);

	/*
	 * Startup: read the probed share of the code pages (about a quarter of
	 * the index) sequentially, estimate every entry, rerank a batch with one
	 * random vector page each.
	 */
	*indexStartupCost = ratio * index->pages / 4.0 * spc_seq_page_cost
		+ ratio * index->tuples * cpu_operator_cost
		+ Min(faceann_rerank, index->tuples) * (cpu_operator_cost * 10 + cpu_index_tuple_cost);
	*indexTotalCost = *indexStartupCost + index->tuples * cpu_index_tuple_cost;
	*indexSelectivity = 1.0;
	*indexCorrelation = 0;
	*indexPages = Max(1.0, ratio * index->pages);
	(void) costs;
}
