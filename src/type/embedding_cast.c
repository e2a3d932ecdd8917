/*-------------------------------------------------------------------------
 *
 * embedding_cast.c
 *	  Casts between face_embedding and arrays: real[], double precision[],
 *	  integer[] and numeric[] in, real[] and double precision[] out.
 *
 * An array must be one-dimensional, non-empty and NULL-free, and every
 * element must be a finite value representable as float4 (double values
 * that overflow, or underflow to zero, are errors, as in the float8 to real
 * cast).  Arrays carry no model: the result's model is 0, unknown.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "embedding.h"

PG_FUNCTION_INFO_V1(array_to_face_embedding);
PG_FUNCTION_INFO_V1(face_embedding_to_float4_array);
PG_FUNCTION_INFO_V1(face_embedding_to_float8_array);

/* value as float4, or ERROR if it does not fit (as float8 -> real does) */
static float
double_to_element(double d)
{
	float		f = (float) d;

	if (isnan(d) || isinf(d))
		FaceEmbeddingCheckElement((float) d);
	if (isinf(f))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("array element %g is out of range for type face_embedding", d)));
	if (f == 0 && d != 0)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("array element %g is out of range for type face_embedding", d),
				 errdetail("The value underflows to zero in single precision.")));
	return f;
}

/*
 * array_to_face_embedding(anyarray, int4 typmod, bool): the cast from
 * real[], double precision[], integer[] or numeric[].
 */
Datum
array_to_face_embedding(PG_FUNCTION_ARGS)
{
	ArrayType  *array = PG_GETARG_ARRAYTYPE_P(0);
	int32		typmod = PG_GETARG_INT32(1);
	Oid			elemtype = ARR_ELEMTYPE(array);
	int16		typlen;
	bool		typbyval;
	char		typalign;
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	FaceEmbedding *result;

	if (ARR_NDIM(array) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("array must be 1-D")));
	if (elemtype != FLOAT4OID && elemtype != FLOAT8OID &&
		elemtype != INT4OID && elemtype != NUMERICOID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("cannot cast array of %s to face_embedding", format_type_be(elemtype))));

	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	deconstruct_array(array, elemtype, typlen, typbyval, typalign, &elems, &nulls, &n);

	FaceEmbeddingCheckDim(n);
	FaceEmbeddingCheckTypmod(n, typmod);
	for (int i = 0; i < n; i++)
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("array must not contain nulls")));

	result = FaceEmbeddingNew(n, FACE_MODEL_UNKNOWN);
	for (int i = 0; i < n; i++)
	{
		switch (elemtype)
		{
			case FLOAT4OID:
				result->x[i] = DatumGetFloat4(elems[i]);
				FaceEmbeddingCheckElement(result->x[i]);
				break;
			case FLOAT8OID:
				result->x[i] = double_to_element(DatumGetFloat8(elems[i]));
				break;
			case INT4OID:
				/* every int4 is within float4 range (rounded above 2^24) */
				result->x[i] = (float) DatumGetInt32(elems[i]);
				break;
			case NUMERICOID:
				result->x[i] = double_to_element(DatumGetFloat8(DirectFunctionCall1(numeric_float8,
																					  elems[i])));
				break;
		}
	}
	PG_RETURN_FACE_EMBEDDING_P(result);
}

Datum
face_embedding_to_float4_array(PG_FUNCTION_ARGS)
{
	FaceEmbedding *emb = PG_GETARG_FACE_EMBEDDING_P(0);
	Datum	   *elems = palloc(sizeof(Datum) * emb->dim);

	for (int i = 0; i < emb->dim; i++)
		elems[i] = Float4GetDatum(emb->x[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, emb->dim, FLOAT4OID,
										  sizeof(float4), true, TYPALIGN_INT));
}

Datum
face_embedding_to_float8_array(PG_FUNCTION_ARGS)
{
	FaceEmbedding *emb = PG_GETARG_FACE_EMBEDDING_P(0);
	Datum	   *elems = palloc(sizeof(Datum) * emb->dim);

	for (int i = 0; i < emb->dim; i++)
		elems[i] = Float8GetDatum((double) emb->x[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, emb->dim, FLOAT8OID,
										  sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}
