/*-------------------------------------------------------------------------
 *
 * compat.h
 *	  Every PG_VERSION_NUM shim of the extension, in one place.
 *	  Tested on PostgreSQL 15 (the only server installable here: Debian 12's
 *	  archive has no postgresql-server-dev-16 or -17); the 16+ branches below
 *	  follow those versions' headers (rd_locator replacing rd_node in 16) but
 *	  were not compiled.  Written to build on 13-17.
 *
 *-------------------------------------------------------------------------
 */
#ifndef FACE_COMPAT_H
#define FACE_COMPAT_H

#include "postgres.h"
#include "utils/guc.h"

#if PG_VERSION_NUM < 150000
#define MarkGUCPrefixReserved(prefix) EmitWarningsOnPlaceholders(prefix)
#endif

#if PG_VERSION_NUM < 150000
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/tuplestore.h"

/*
 * PostgreSQL 15's InitMaterializedSRF (flags 0): set up a materialize-mode
 * set-returning call with a tuplestore and the declared result descriptor.
 */
static inline void
InitMaterializedSRF(FunctionCallInfo fcinfo, int flags)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext old;
	TupleDesc	tupdesc;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		!(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));
	old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = tuplestore_begin_heap(true, false, work_mem);
	rsinfo->setDesc = CreateTupleDescCopy(tupdesc);
	MemoryContextSwitchTo(old);
}
#endif

/*
 * The physical identity of a relation, as ReadRecentBuffer takes it:
 * RelFileNode rd_node up to 15, RelFileLocator rd_locator from 16.
 */
#if PG_VERSION_NUM >= 160000
#define FACE_REL_LOCATOR(rel) ((rel)->rd_locator)
#else
#define FACE_REL_LOCATOR(rel) ((rel)->rd_node)
#endif

#endif							/* FACE_COMPAT_H */
