/*-------------------------------------------------------------------------
 *
 * face_rows.c
 *	  The one reader of "(key, embedding[, image][, label])" query rows
 *	  (interface and contract in face_rows.h).
 *
 * The query runs as a read-only SPI cursor with the caller's rights, and is
 * fetched in batches so that SPI never holds more than one batch: the rows
 * are copied into the caller's memory context as they arrive, and every byte
 * we keep (keys, the packed embeddings, images, labels, pointer arrays) is
 * charged against spec->memory_limit_kb before it is allocated.  Detoasted
 * values and output-function strings live in a per-batch context that is
 * reset after each batch.
 *
 * Duplicate keys are found after the read by sorting the row numbers by key
 * (O(n log n), no hash table to size).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "learn/face_rows.h"
#include "type/embedding.h"

/* rows fetched from the cursor at a time: bounds SPI's own copy of them */
#define FACE_ROWS_BATCH		1000

/* the state of one read: what is kept so far and what it costs */
typedef struct RowReader
{
	const FaceRowsSpec *spec;
	FaceRows   *rows;
	int			capacity;		/* rows the arrays have room for */
	Size		used;			/* bytes charged so far */
	Size		limit;			/* spec->memory_limit_kb in bytes */
	int			label_col;		/* 1-based column of the label, or 0 */
	int			image_col;		/* 1-based column of the image, or 0 */
	Oid			key_out;		/* output function of column 1 */
	bool		key_varlena;
	Oid			label_out;		/* output function of the label column */
	bool		label_varlena;
} RowReader;

/*
 * The face_embedding type's OID: the type of that name in the extension's
 * own schema, so that a same-named type elsewhere on the search_path cannot
 * pass for ours.
 */
static Oid
FaceEmbeddingTypeOid(void)
{
	Oid			ext = get_extension_oid("face", false);
	Oid			nsp = InvalidOid;
	Oid			typid;
	HeapTuple	tup;
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key;

	/* pg_extension has no syscache: one index scan for extnamespace */
	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(ext));
	scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
		nsp = ((Form_pg_extension) GETSTRUCT(tup))->extnamespace;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	if (!OidIsValid(nsp))
		elog(ERROR, "extension \"face\" has no schema");

	typid = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
							CStringGetDatum("face_embedding"),
							ObjectIdGetDatum(nsp));
	if (!OidIsValid(typid))
		elog(ERROR, "type face_embedding not found in the extension's schema");
	return typid;
}

/* ERROR (54000) unless `bytes` more fit under the limit; then charge them */
static void
RowReaderCharge(RowReader *r, Size bytes)
{
	if (bytes > r->limit || r->used > r->limit - bytes)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s: the query's rows need more memory than maintenance_work_mem (%d kB)",
						r->spec->function, r->spec->memory_limit_kb),
				 errdetail("%d rows were read when the limit was reached.", r->rows->n),
				 errhint("Raise maintenance_work_mem, or select fewer rows.")));
	r->used += bytes;
}

/* make room for one more row: arrays grow by doubling, charged as they grow */
static void
RowReaderGrow(RowReader *r)
{
	FaceRows   *rows = r->rows;
	int			newcap;
	Size		per_row;

	if (rows->n < r->capacity)
		return;
	if (r->capacity > INT_MAX / 2)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s: the query returns more than %d rows", r->spec->function, INT_MAX / 2)));
	newcap = r->capacity == 0 ? 256 : r->capacity * 2;
	per_row = sizeof(char *) + (Size) rows->dims * sizeof(float) +
		(r->spec->want_image ? sizeof(bytea *) : 0) +
		(r->label_col ? sizeof(char *) : 0);
	RowReaderCharge(r, per_row * (newcap - r->capacity));

	if (r->capacity == 0)
	{
		rows->keys = palloc_extended(sizeof(char *) * newcap, MCXT_ALLOC_HUGE);
		rows->emb = palloc_extended(sizeof(float) * rows->dims * newcap, MCXT_ALLOC_HUGE);
		if (r->spec->want_image)
			rows->images = palloc_extended(sizeof(bytea *) * newcap, MCXT_ALLOC_HUGE);
		if (r->label_col)
			rows->labels = palloc_extended(sizeof(char *) * newcap, MCXT_ALLOC_HUGE);
	}
	else
	{
		rows->keys = repalloc_huge(rows->keys, sizeof(char *) * newcap);
		rows->emb = repalloc_huge(rows->emb, sizeof(float) * rows->dims * newcap);
		if (r->spec->want_image)
			rows->images = repalloc_huge(rows->images, sizeof(bytea *) * newcap);
		if (r->label_col)
			rows->labels = repalloc_huge(rows->labels, sizeof(char *) * newcap);
	}
	r->capacity = newcap;
}

/* a copy of s in the current (caller's) context, charged */
static char *
RowReaderString(RowReader *r, const char *s)
{
	Size		len = strlen(s) + 1;
	char	   *copy;

	RowReaderCharge(r, len);
	copy = palloc(len);
	memcpy(copy, s, len);
	return copy;
}

/* check the query's columns against the spec; ERROR (42804) naming the first wrong one */
static void
RowReaderCheckColumns(RowReader *r, TupleDesc desc)
{
	const FaceRowsSpec *spec = r->spec;
	int			base = 2 + (spec->want_image ? 1 : 0);
	int			full = base + (spec->want_label ? 1 : 0);
	Oid			embtype = FaceEmbeddingTypeOid();
	Oid			t;

	if (!(desc->natts == full ||
		  (spec->want_label && spec->label_optional && desc->natts == base)))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 (spec->want_label && spec->label_optional) ?
				 errmsg("%s: the query returns %d columns, not %d or %d",
						spec->function, desc->natts, base, full) :
				 errmsg("%s: the query returns %d columns, not %d",
						spec->function, desc->natts, full),
				 errdetail("The columns are taken by position: (key, embedding%s%s).",
						   spec->want_image ? ", image" : "",
						   spec->want_label ? (spec->label_optional ? "[, label]" : ", label") : "")));

	t = getBaseType(TupleDescAttr(desc, 1)->atttypid);
	if (t != embtype)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("%s: column 2 of the query is of type %s, not face_embedding",
						spec->function, format_type_be(TupleDescAttr(desc, 1)->atttypid))));
	if (spec->want_image)
	{
		r->image_col = 3;
		t = getBaseType(TupleDescAttr(desc, 2)->atttypid);
		if (t != BYTEAOID)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("%s: column 3 of the query is of type %s, not bytea",
							spec->function, format_type_be(TupleDescAttr(desc, 2)->atttypid))));
	}
	getTypeOutputInfo(TupleDescAttr(desc, 0)->atttypid, &r->key_out, &r->key_varlena);
	if (spec->want_label && desc->natts == full)
	{
		/* any type: a label is compared as text, like the key */
		r->label_col = full;
		getTypeOutputInfo(TupleDescAttr(desc, full - 1)->atttypid,
						  &r->label_out, &r->label_varlena);
	}
}

/* read one row of the batch into r->rows (in the caller's context) */
static void
RowReaderAdd(RowReader *r, HeapTuple tup, TupleDesc desc, MemoryContext caller)
{
	const FaceRowsSpec *spec = r->spec;
	FaceRows   *rows = r->rows;
	Datum		d;
	bool		isnull;
	char	   *key;
	FaceEmbedding *e;
	MemoryContext old;

	d = SPI_getbinval(tup, desc, 1, &isnull);
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s: the key (column 1) of row %d is NULL",
						spec->function, rows->n + 1)));
	key = OidOutputFunctionCall(r->key_out, d);

	d = SPI_getbinval(tup, desc, 2, &isnull);
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s: the embedding of key \"%s\" is NULL", spec->function, key)));
	e = DatumGetFaceEmbedding(d);

	if (rows->n == 0)
		rows->dims = e->dim;
	else if (e->dim != rows->dims)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s: the embedding of key \"%s\" has %d dimensions, not %d like the rows before it",
						spec->function, key, e->dim, rows->dims)));
	if (e->model != FACE_MODEL_UNKNOWN)
	{
		if (rows->model == FACE_MODEL_UNKNOWN)
			rows->model = e->model;
		else if (e->model != rows->model)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("%s: the embedding of key \"%s\" comes from model %d, not %d like the rows before it",
							spec->function, key, e->model, rows->model),
					 errdetail("Embeddings of different models cannot be compared.")));
	}

	old = MemoryContextSwitchTo(caller);
	RowReaderGrow(r);
	rows->keys[rows->n] = RowReaderString(r, key);
	memcpy(rows->emb + (Size) rows->n * rows->dims, e->x, sizeof(float) * rows->dims);
	MemoryContextSwitchTo(old);

	if (r->image_col)
	{
		bytea	   *img;

		d = SPI_getbinval(tup, desc, r->image_col, &isnull);
		if (isnull)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s: the image of key \"%s\" is NULL", spec->function, key)));
		img = DatumGetByteaPP(d);
		MemoryContextSwitchTo(caller);
		RowReaderCharge(r, VARSIZE_ANY(img));
		rows->images[rows->n] = (bytea *) palloc(VARSIZE_ANY(img));
		memcpy(rows->images[rows->n], img, VARSIZE_ANY(img));
		MemoryContextSwitchTo(old);
	}
	if (r->label_col)
	{
		d = SPI_getbinval(tup, desc, r->label_col, &isnull);
		if (isnull)
			rows->labels[rows->n] = NULL;
		else
		{
			char	   *label = OidOutputFunctionCall(r->label_out, d);

			MemoryContextSwitchTo(caller);
			rows->labels[rows->n] = RowReaderString(r, label);
			MemoryContextSwitchTo(old);
		}
	}
	rows->n++;
}

static const char *const *sort_keys;

static int
CompareKeyIndex(const void *a, const void *b)
{
	return strcmp(sort_keys[*(const int *) a], sort_keys[*(const int *) b]);
}

/* ERROR (23505) on the first duplicate key, in key order */
static void
CheckUniqueKeys(RowReader *r)
{
	FaceRows   *rows = r->rows;
	int		   *order;
	int			i;

	if (rows->n < 2)
		return;
	RowReaderCharge(r, sizeof(int) * rows->n);
	order = palloc_extended(sizeof(int) * rows->n, MCXT_ALLOC_HUGE);
	for (i = 0; i < rows->n; i++)
		order[i] = i;
	sort_keys = (const char *const *) rows->keys;
	qsort(order, rows->n, sizeof(int), CompareKeyIndex);
	for (i = 1; i < rows->n; i++)
		if (strcmp(rows->keys[order[i - 1]], rows->keys[order[i]]) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNIQUE_VIOLATION),
					 errmsg("%s: the key \"%s\" appears more than once in the query's rows",
							r->spec->function, rows->keys[order[i]]),
					 errdetail("Keys are compared as text and must be unique.")));
	pfree(order);
	r->used -= sizeof(int) * rows->n;
}

FaceRows *
FaceReadRows(const char *query, const FaceRowsSpec *spec)
{
	MemoryContext caller = CurrentMemoryContext;
	MemoryContext batch;
	RowReader	r = {0};
	SPIPlanPtr	plan;
	Portal		portal;
	bool		checked = false;

	r.spec = spec;
	r.limit = (Size) Max(spec->memory_limit_kb, 0) * 1024;
	r.rows = palloc0(sizeof(FaceRows));
	batch = AllocSetContextCreate(caller, "FaceReadRows batch", ALLOCSET_DEFAULT_SIZES);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	plan = SPI_prepare(query, 0, NULL);
	if (plan == NULL)
		elog(ERROR, "%s: SPI_prepare failed: %s", spec->function,
			 SPI_result_code_string(SPI_result));
	/* read_only: SPI rejects a query that writes; a non-SELECT cannot be a cursor */
	portal = SPI_cursor_open(NULL, plan, NULL, NULL, true);

	for (;;)
	{
		uint64		i;
		MemoryContext old;

		SPI_cursor_fetch(portal, true, FACE_ROWS_BATCH);
		if (!checked)
		{
			RowReaderCheckColumns(&r, SPI_tuptable->tupdesc);
			checked = true;
		}
		if (SPI_processed == 0)
			break;
		old = MemoryContextSwitchTo(batch);
		for (i = 0; i < SPI_processed; i++)
		{
			CHECK_FOR_INTERRUPTS();
			RowReaderAdd(&r, SPI_tuptable->vals[i], SPI_tuptable->tupdesc, caller);
		}
		MemoryContextSwitchTo(old);
		MemoryContextReset(batch);
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(portal);
	SPI_finish();
	MemoryContextDelete(batch);

	if (r.rows->n < spec->min_rows)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs at least %d rows, the query returned %d",
						spec->function, spec->min_rows, r.rows->n)));
	if (spec->unique_keys)
		CheckUniqueKeys(&r);
	return r.rows;
}
