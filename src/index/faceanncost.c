/*-------------------------------------------------------------------------
 *
 * faceanncost.c
 *	  Planner cost estimate for faceann scans.
 *
 * The index is only useful for ORDER BY distance: without an ordering
 * operator it would return nothing, so such paths cost infinity and are
 * never chosen, not even with enable_seqscan off (faceanngettuple refuses
 * them if some planner hook forces one).
 *
 * With one, the first round (probing face.ann_probes lists, reranking a
 * batch) happens before the first row and is the startup cost.  The run
 * cost is what it takes to return every row: read the rest of the code
 * pages (and the round's pages again for each further pass), every vector
 * page at random, rerank every row and push it through the executor's
 * reorder queue.  The planner charges LIMIT k (with OFFSET, k + offset)
 * k / rows of the run cost, rows being the rows left after the WHERE
 * filter, so the cost grows with the LIMIT, the OFFSET and the filter's
 * selectivity, and a sequential scan with a sort wins where it is cheaper
 * (no LIMIT, a deep OFFSET, a filter that matches little).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "utils/float.h"
#include "utils/spccache.h"
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

/* pages read again for each further pass over a round (passes keep 4x more each) */
#define FACEANN_COST_PASSES		3.0
/* CPU of reranking one row (fp16 decode and a distance), in operator costs */
#define FACEANN_COST_RERANK		20.0

void
faceanncostestimate(PlannerInfo *root, IndexPath *path, double loop_count,
					Cost *indexStartupCost, Cost *indexTotalCost,
					Selectivity *indexSelectivity, double *indexCorrelation,
					double *indexPages)
{
	IndexOptInfo *index = path->indexinfo;
	double		ratio,
				tuples = Max(index->tuples, 1.0),
				codePages,
				vecPages;
	double		spc_seq_page_cost,
				spc_random_page_cost;
	Cost		perRow;

	if (path->indexorderbys == NIL)
	{
		*indexStartupCost = get_float8_infinity();
		*indexTotalCost = get_float8_infinity();
		*indexSelectivity = 0;
		*indexCorrelation = 0;
		*indexPages = 0;
		return;
	}

	ratio = Min(1.0, (double) faceann_probes / ListCount(index->indexoid));
	get_tablespace_page_costs(index->reltablespace, &spc_random_page_cost, &spc_seq_page_cost);
	/* codes are about a quarter of the index (88 of 356 bytes a row at 128 dimensions) */
	codePages = index->pages / 4.0;
	vecPages = index->pages - codePages;

	/*
	 * Startup: read the probed share of the code pages sequentially,
	 * estimate every entry, rerank a batch with one random vector page each.
	 */
	*indexStartupCost = ratio * codePages * spc_seq_page_cost
		+ ratio * tuples * cpu_operator_cost
		+ Min(faceann_rerank, tuples) * (cpu_operator_cost * FACEANN_COST_RERANK + cpu_index_tuple_cost
										 + spc_random_page_cost);

	/*
	 * Run: all of the code pages, again for further passes; every vector
	 * page; every row estimated again per pass, reranked, and pushed through
	 * the reorder queue (a pairing heap: about log2(rows) comparisons).
	 */
	perRow = cpu_index_tuple_cost
		+ cpu_operator_cost * (FACEANN_COST_PASSES + FACEANN_COST_RERANK + 2.0 * log2(tuples + 1));
	*indexTotalCost = *indexStartupCost
		+ codePages * FACEANN_COST_PASSES * spc_seq_page_cost
		+ vecPages * spc_random_page_cost
		+ tuples * perRow;
	*indexSelectivity = 1.0;
	*indexCorrelation = 0;
	*indexPages = index->pages;
}
