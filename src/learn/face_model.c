/*-------------------------------------------------------------------------
 *
 * face_model.c
 *	  The face_model catalog (face_model.h): store a trained model, load one
 *	  for a predictor (once per call site), drop one; and the glue every
 *	  learning function shares to call the core (allocator, cancellation,
 *	  error mapping, the memory limit).
 *
 * The table is found through the extension's own schema (pg_extension),
 * never through search_path, so a caller cannot substitute a table of
 * their own for the catalog.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "face_model.h"

PG_FUNCTION_INFO_V1(face_model_drop);

/* ------------------------------------------------ the core's calls */

static void *
learn_palloc(void *ctx, size_t size)
{
	return palloc_extended(size, MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
}

static void
learn_pfree(void *ctx, void *ptr)
{
	pfree(ptr);
}

static int
learn_interrupted(void *ctx)
{
	return QueryCancelPending || ProcDiePending;
}

void
FaceLearnHooks(fc_hooks *hooks, fc_allocator *alloc)
{
	alloc->alloc = learn_palloc;
	alloc->free = learn_pfree;
	alloc->ctx = NULL;
	hooks->allocator = alloc;
	hooks->interrupted = learn_interrupted;
	hooks->interrupt_ctx = NULL;
}

void
FaceLearnReportError(const char *function, const fc_error *err)
{
	switch (err->status)
	{
		case FC_ERR_CANCELLED:
			CHECK_FOR_INTERRUPTS();
			ereport(ERROR,
					(errcode(ERRCODE_QUERY_CANCELED),
					 errmsg("%s interrupted", function)));
			break;
		case FC_ERR_INVALID_ARGUMENT:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: %s", function, err->message)));
			break;
		case FC_ERR_NOMEM:
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory"),
					 errdetail("%s: %s.", function, err->message)));
			break;
		default:
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("%s failed: %s", function, err->message)));
	}
	pg_unreachable();
}

typedef struct LabelIndex
{
	const char *label;
	int			row;
} LabelIndex;

static int
label_index_cmp(const void *a, const void *b)
{
	return strcmp(((const LabelIndex *) a)->label, ((const LabelIndex *) b)->label);
}

int32 *
FaceLabelsToPeople(char **labels, int n, int *npeople, char ***names)
{
	LabelIndex *idx = palloc(sizeof(LabelIndex) * (n + 1));
	int32	   *person = palloc(sizeof(int32) * (n + 1));
	int			k = -1;

	*names = palloc(sizeof(char *) * (n + 1));
	for (int i = 0; i < n; i++)
	{
		idx[i].label = labels[i];
		idx[i].row = i;
	}
	qsort(idx, n, sizeof(LabelIndex), label_index_cmp);
	for (int i = 0; i < n; i++)
	{
		if (i == 0 || strcmp(idx[i].label, idx[i - 1].label) != 0)
			(*names)[++k] = pstrdup(idx[i].label);
		person[idx[i].row] = k;
	}
	*npeople = k + 1;
	pfree(idx);
	return person;
}

int64
FaceLearnMemoryLimit(void)
{
	return (int64) maintenance_work_mem * 1024;
}

/* ------------------------------------------------ the catalog */

/* "schema".face_model, from pg_extension; SPI must be connected. */
static char *
catalog_table(void)
{
	if (SPI_execute("SELECT pg_catalog.quote_ident(n.nspname) FROM pg_catalog.pg_extension e"
					" JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace"
					" WHERE e.extname = 'face'", true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("extension \"face\" is not installed in this database")));
	return psprintf("%s.face_model",
					SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1));
}

void
FaceModelCheckNameFree(const char *name)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		values[1];

	values[0] = CStringGetTextDatum(name);
	SPI_connect();
	if (SPI_execute_with_args(psprintf("SELECT id FROM %s WHERE name = $1", catalog_table()),
							  1, argtypes, values, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read face_model");
	if (SPI_processed > 0)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("face model \"%s\" already exists", name),
				 errhint("Models are immutable: choose another name, or drop the old one with face_model_drop().")));
	SPI_finish();
}

int32
FaceModelStore(const FaceModel *m)
{
	Oid			argtypes[10] = {TEXTOID, TEXTOID, TEXTOID, INT4OID, INT4OID, INT4OID,
	BYTEAOID, TEXTARRAYOID, JSONBOID, JSONBOID};
	Datum		values[10];
	char		nulls[10];
	char	   *table;
	Oid			owner;
	Oid			save_userid;
	int			save_sec;
	bool		isnull;
	int32		id;

	FaceModelCheckNameFree(m->name);
	memset(nulls, ' ', sizeof(nulls));
	values[0] = CStringGetTextDatum(m->name);
	values[1] = CStringGetTextDatum(m->kind);
	values[2] = CStringGetTextDatum(m->method);
	values[3] = Int32GetDatum(m->base_model);
	values[4] = Int32GetDatum(m->dims_in);
	values[5] = Int32GetDatum(m->dims_out);
	values[6] = PointerGetDatum(m->params);
	if (m->nlabels > 0)
	{
		Datum	   *elems = palloc(sizeof(Datum) * m->nlabels);

		for (int i = 0; i < m->nlabels; i++)
			elems[i] = CStringGetTextDatum(m->labels[i]);
		values[7] = PointerGetDatum(construct_array(elems, m->nlabels, TEXTOID, -1, false, TYPALIGN_INT));
	}
	else
		nulls[7] = 'n';
	values[8] = JsonbPGetDatum(m->options);
	values[9] = JsonbPGetDatum(m->metrics);

	SPI_connect();
	table = catalog_table();
	if (SPI_execute(psprintf("SELECT relowner FROM pg_catalog.pg_class WHERE oid = '%s'::pg_catalog.regclass",
							 table), true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not find %s", table);
	owner = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));

	/*
	 * The write, and only the write, as the catalog's owner: a fixed
	 * statement with parameters, restricted (no temp objects, no changes of
	 * session state), so the caller can make it do nothing but this insert.
	 */
	GetUserIdAndSecContext(&save_userid, &save_sec);
	SetUserIdAndSecContext(owner, save_sec | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
	PG_TRY();
	{
		if (SPI_execute_with_args(psprintf("INSERT INTO %s (name, kind, method, base_model, dims_in, dims_out,"
										   " params, labels, options, metrics) VALUES ($1, $2, $3, $4, $5, $6,"
										   " $7, $8, $9, $10) RETURNING id", table),
								  10, argtypes, values, nulls, false, 1) != SPI_OK_INSERT_RETURNING ||
			SPI_processed != 1)
			elog(ERROR, "could not insert into %s", table);
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(save_userid, save_sec);
	}
	PG_END_TRY();
	id = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	return id;
}

FaceModel *
FaceModelLoad(int32 id, const char *kind, const char *function)
{
	MemoryContext caller = CurrentMemoryContext;
	Oid			argtypes[1] = {INT4OID};
	Datum		values[1] = {Int32GetDatum(id)};
	FaceModel  *m;
	HeapTuple	tup;
	TupleDesc	desc;
	bool		isnull;
	Datum		d;

	SPI_connect();
	if (SPI_execute_with_args(psprintf("SELECT id, name, kind, method, base_model, dims_in, dims_out,"
									   " params, labels, options, metrics FROM %s WHERE id = $1",
									   catalog_table()),
							  1, argtypes, values, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read face_model");
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("face model %d does not exist", id),
				 errhint("The models are the rows of the table face_model.")));
	tup = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;

	MemoryContextSwitchTo(caller);
	m = palloc0(sizeof(FaceModel));
	m->id = id;
	m->name = TextDatumGetCString(SPI_getbinval(tup, desc, 2, &isnull));
	m->kind = TextDatumGetCString(SPI_getbinval(tup, desc, 3, &isnull));
	m->method = TextDatumGetCString(SPI_getbinval(tup, desc, 4, &isnull));
	m->base_model = DatumGetInt32(SPI_getbinval(tup, desc, 5, &isnull));
	m->dims_in = DatumGetInt32(SPI_getbinval(tup, desc, 6, &isnull));
	d = SPI_getbinval(tup, desc, 7, &isnull);
	m->dims_out = isnull ? 0 : DatumGetInt32(d);
	m->params = DatumGetByteaPCopy(SPI_getbinval(tup, desc, 8, &isnull));
	d = SPI_getbinval(tup, desc, 9, &isnull);
	if (!isnull)
	{
		Datum	   *elems;
		bool	   *enulls;
		int			n;

		deconstruct_array(DatumGetArrayTypeP(d), TEXTOID, -1, false, TYPALIGN_INT, &elems, &enulls, &n);
		m->nlabels = n;
		m->labels = palloc(sizeof(char *) * (n + 1));
		for (int i = 0; i < n; i++)
			m->labels[i] = enulls[i] ? NULL : TextDatumGetCString(elems[i]);
	}
	m->options = DatumGetJsonbPCopy(SPI_getbinval(tup, desc, 10, &isnull));
	m->metrics = DatumGetJsonbPCopy(SPI_getbinval(tup, desc, 11, &isnull));
	SPI_finish();

	if (kind && strcmp(m->kind, kind) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("%s needs a %s model, but face model %d (\"%s\") is a %s model",
						function, kind, id, m->name, m->kind)));
	return m;
}

typedef struct FaceModelCacheEntry
{
	int32		id;
	void	   *parsed;
} FaceModelCacheEntry;

void *
FaceModelGet(FunctionCallInfo fcinfo, int32 id, const char *kind,
			 const char *function, FaceModelParser parse)
{
	FaceModelCacheEntry *e = fcinfo->flinfo->fn_extra;
	MemoryContext old;

	if (e && e->id == id)
		return e->parsed;
	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	if (!e)
		e = fcinfo->flinfo->fn_extra = palloc0(sizeof(FaceModelCacheEntry));
	e->parsed = parse(FaceModelLoad(id, kind, function));
	e->id = id;
	MemoryContextSwitchTo(old);
	return e->parsed;
}

/*
 * face_model_drop(name text) -> void: delete the model's row, with the
 * caller's rights (DELETE on face_model: the extension owner's unless
 * granted).  Its id is never handed out again; embeddings it produced keep
 * their tag and stay comparable among themselves, but can no longer be
 * projected to or classified.
 */
Datum
face_model_drop(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	Oid			argtypes[1] = {TEXTOID};
	Datum		values[1] = {PG_GETARG_DATUM(0)};

	SPI_connect();
	if (SPI_execute_with_args(psprintf("DELETE FROM %s WHERE name = $1", catalog_table()),
							  1, argtypes, values, NULL, false, 0) != SPI_OK_DELETE)
		elog(ERROR, "could not delete from face_model");
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("face model \"%s\" does not exist", name)));
	SPI_finish();
	PG_RETURN_VOID();
}
