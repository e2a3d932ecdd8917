/*-------------------------------------------------------------------------
 *
 * faceann.c
 *	  The faceann index access method: handler, reloptions, GUCs, opclass
 *	  support and validation.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/amvalidate.h"
#include "access/reloptions.h"
#include "catalog/pg_amop.h"
#include "catalog/pg_amproc.h"
#include "catalog/pg_opclass.h"
#include "commands/progress.h"
#include "commands/vacuum.h"
#include "fmgr.h"
#include "utils/guc.h"
#include "utils/syscache.h"

#include "compat.h"
#include "faceann.h"

int			faceann_probes = FACEANN_DEFAULT_PROBES;
int			faceann_rerank = FACEANN_DEFAULT_RERANK;
int			faceann_iterative_scan = FACEANN_ITERATIVE_STRICT;
int			faceann_max_scan_tuples = FACEANN_DEFAULT_MAX_SCAN_TUPLES;

static const struct config_enum_entry faceann_iterative_scan_options[] = {
	{"off", FACEANN_ITERATIVE_OFF, false},
	{"strict_order", FACEANN_ITERATIVE_STRICT, false},
	{"relaxed_order", FACEANN_ITERATIVE_RELAXED, false},
	{NULL, 0, false}
};

static relopt_kind faceann_relopt_kind;

/* Register the reloption and the search GUCs; called from _PG_init. */
void
FaceIndexInit(void)
{
	fc_ann_init();

	faceann_relopt_kind = add_reloption_kind();
	add_int_reloption(faceann_relopt_kind, "lists",
					  "Number of inverted lists (0 = choose from the row count at build time)",
					  FACEANN_DEFAULT_LISTS, FACEANN_MIN_LISTS, FACEANN_MAX_LISTS,
					  AccessExclusiveLock);

	DefineCustomIntVariable("face.ann_probes",
							"Number of faceann lists scanned first by a search.",
							"More lists: higher recall, slower searches.  A search that runs out of "
							"matching rows (a WHERE filter) goes on to further lists.",
							&faceann_probes, FACEANN_DEFAULT_PROBES,
							FACEANN_MIN_PROBES, FACEANN_MAX_PROBES,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("face.ann_rerank",
							"Number of faceann candidates reranked with the stored vectors per batch.",
							"Candidates are first ranked by their 4-bit codes; this many of the best "
							"are rescored with fp16 vectors before rows are returned, and more "
							"batches follow as the query needs them.",
							&faceann_rerank, FACEANN_DEFAULT_RERANK,
							FACEANN_MIN_RERANK, FACEANN_MAX_RERANK,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomEnumVariable("face.ann_iterative_scan",
							 "Whether a faceann search goes on to further lists when it needs more rows.",
							 "off: only the first face.ann_probes lists are searched.  strict_order: "
							 "further lists are searched as needed, and a row found there nearer than "
							 "rows already returned is skipped, so rows always come out in exact "
							 "distance order.  relaxed_order: such rows are returned, slightly out "
							 "of order.",
							 &faceann_iterative_scan, FACEANN_ITERATIVE_STRICT,
							 faceann_iterative_scan_options,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("face.ann_max_scan_tuples",
							"Number of faceann entries a search reads before it stops starting new passes (0: no bound).",
							"A bound on the latency of a search whose WHERE filter rejects most rows, "
							"at the cost of returning fewer rows than the LIMIT asks for.",
							&faceann_max_scan_tuples, FACEANN_DEFAULT_MAX_SCAN_TUPLES,
							FACEANN_MIN_MAX_SCAN_TUPLES, FACEANN_MAX_MAX_SCAN_TUPLES,
							PGC_USERSET, 0, NULL, NULL, NULL);
}

static bytea *
faceannoptions(Datum reloptions, bool validate)
{
	static const relopt_parse_elt tab[] = {
		{"lists", RELOPT_TYPE_INT, offsetof(FaceAnnOptions, lists)},
	};

	return (bytea *) build_reloptions(reloptions, validate, faceann_relopt_kind,
									  sizeof(FaceAnnOptions), tab, lengthof(tab));
}

/* ambuildphasename: the name of a FACEANN_PHASE_* */
char *
faceannphasename(int64 phasenum)
{
	switch (phasenum)
	{
		case PROGRESS_CREATEIDX_SUBPHASE_INITIALIZE:
			return "initializing";
		case FACEANN_PHASE_SAMPLE:
			return "sampling table";
		case FACEANN_PHASE_KMEANS:
			return "training centroids";
		case FACEANN_PHASE_ASSIGN:
			return "assigning tuples";
		case FACEANN_PHASE_SORT:
			return "sorting tuples";
		case FACEANN_PHASE_LOAD:
			return "loading tuples";
		default:
			return NULL;
	}
}

/*
 * Check the operator classes: one ordering operator (strategy 1) returning
 * float8 and support function 1 (the metric).  Reports problems with INFO,
 * like the core AMs, and returns false if any.
 */
static bool
faceannvalidate(Oid opclassoid)
{
	bool		result = true;
	HeapTuple	classtup;
	Form_pg_opclass classform;
	Oid			opfamilyoid;
	CatCList   *proclist,
			   *oprlist;

	classtup = SearchSysCache1(CLAOID, ObjectIdGetDatum(opclassoid));
	if (!HeapTupleIsValid(classtup))
		elog(ERROR, "cache lookup failed for operator class %u", opclassoid);
	classform = (Form_pg_opclass) GETSTRUCT(classtup);
	opfamilyoid = classform->opcfamily;

	proclist = SearchSysCacheList1(AMPROCNUM, ObjectIdGetDatum(opfamilyoid));
	oprlist = SearchSysCacheList1(AMOPSTRATEGY, ObjectIdGetDatum(opfamilyoid));

	for (int i = 0; i < proclist->n_members; i++)
	{
		Form_pg_amproc procform = (Form_pg_amproc) GETSTRUCT(&proclist->members[i]->tuple);

		if (procform->amprocnum != FACEANN_SUPPORT_PROC)
		{
			ereport(INFO,
					(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
					 errmsg("faceann operator family contains function with invalid support number %d",
							procform->amprocnum)));
			result = false;
		}
	}
	for (int i = 0; i < oprlist->n_members; i++)
	{
		Form_pg_amop oprform = (Form_pg_amop) GETSTRUCT(&oprlist->members[i]->tuple);

		if (oprform->amopstrategy != 1 || oprform->amoppurpose != AMOP_ORDER)
		{
			ereport(INFO,
					(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
					 errmsg("faceann operator family contains operator %u that is not an ordering operator with strategy 1",
							oprform->amopopr)));
			result = false;
		}
	}
	if (proclist->n_members == 0)
	{
		ereport(INFO,
				(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
				 errmsg("faceann operator class is missing support function %d", FACEANN_SUPPORT_PROC)));
		result = false;
	}

	ReleaseCatCacheList(oprlist);
	ReleaseCatCacheList(proclist);
	ReleaseSysCache(classtup);
	return result;
}

PG_FUNCTION_INFO_V1(faceannhandler);
Datum
faceannhandler(PG_FUNCTION_ARGS)
{
	IndexAmRoutine *amroutine = makeNode(IndexAmRoutine);

	amroutine->amstrategies = 0;
	amroutine->amsupport = FACEANN_NPROCS;
	amroutine->amoptsprocnum = 0;
	amroutine->amcanorder = false;
	amroutine->amcanorderbyop = true;
	amroutine->amcanbackward = false;
	amroutine->amcanunique = false;
	amroutine->amcanmulticol = false;
	amroutine->amoptionalkey = true;
	amroutine->amsearcharray = false;
	amroutine->amsearchnulls = false;
	amroutine->amstorage = false;
	amroutine->amclusterable = false;
	amroutine->ampredlocks = false;
	amroutine->amcanparallel = false;
	amroutine->amcaninclude = false;
	amroutine->amusemaintenanceworkmem = true;
	amroutine->amparallelvacuumoptions = VACUUM_OPTION_PARALLEL_BULKDEL;
	amroutine->amkeytype = InvalidOid;

	amroutine->ambuild = faceannbuild;
	amroutine->ambuildempty = faceannbuildempty;
	amroutine->aminsert = faceanninsert;
	amroutine->ambulkdelete = faceannbulkdelete;
	amroutine->amvacuumcleanup = faceannvacuumcleanup;
	amroutine->amcanreturn = NULL;
	amroutine->amcostestimate = faceanncostestimate;
	amroutine->amoptions = faceannoptions;
	amroutine->amproperty = NULL;
	amroutine->ambuildphasename = faceannphasename;
	amroutine->amvalidate = faceannvalidate;
	amroutine->amadjustmembers = NULL;
	amroutine->ambeginscan = faceannbeginscan;
	amroutine->amrescan = faceannrescan;
	amroutine->amgettuple = faceanngettuple;
	amroutine->amgetbitmap = NULL;
	amroutine->amendscan = faceannendscan;
	amroutine->ammarkpos = NULL;
	amroutine->amrestrpos = NULL;
	amroutine->amestimateparallelscan = NULL;
	amroutine->aminitparallelscan = NULL;
	amroutine->amparallelrescan = NULL;

	PG_RETURN_POINTER(amroutine);
}

/*
 * Opclass support function 1: which metric the opclass orders by.  Called
 * once per relcache entry, never from SQL (its argument type is internal).
 */
PG_FUNCTION_INFO_V1(faceann_l2_support);
Datum
faceann_l2_support(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(FACEANN_METRIC_L2);
}

PG_FUNCTION_INFO_V1(faceann_cosine_support);
Datum
faceann_cosine_support(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(FACEANN_METRIC_COSINE);
}

PG_FUNCTION_INFO_V1(faceann_ip_support);
Datum
faceann_ip_support(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(FACEANN_METRIC_IP);
}
