/*-------------------------------------------------------------------------
 *
 * embedding_agg.c
 *	  avg(face_embedding) and sum(face_embedding): a person's template is
 *	  the mean of the embeddings of their photos.
 *
 * The transition state is a float8[] so it needs no serialisation for
 * parallel aggregation (the combine function merges two states):
 *	  {0}                                   nothing seen yet (the initcond)
 *	  {n, model, saw_unknown, s1, ..., sd}  n inputs, sums s1..sd in double
 * model is the known model seen (0 if none); saw_unknown is 1 once an input
 * of model 0 was seen.  Two different known models are an ERROR, as for any
 * comparison; the result is tagged with the known model only if no unknown
 * input took part, so the outcome never depends on input order.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/float.h"

#include "embedding.h"

PG_FUNCTION_INFO_V1(face_embedding_accum);
PG_FUNCTION_INFO_V1(face_embedding_combine);
PG_FUNCTION_INFO_V1(face_embedding_avg);
PG_FUNCTION_INFO_V1(face_embedding_sum);

#define STATE_N			0
#define STATE_MODEL		1
#define STATE_UNKNOWN	2
#define STATE_SUMS		3		/* index of s1 */

/* The state's values; ERROR if it is not a state this file made */
static float8 *
state_values(ArrayType *state, int *len)
{
	float8	   *v;
	bool		ok;

	/* the functions are callable from SQL, so the state may be anything */
	ok = ARR_NDIM(state) == 1 && ARR_ELEMTYPE(state) == FLOAT8OID && !ARR_HASNULL(state);
	*len = ok ? ARR_DIMS(state)[0] : 0;
	v = (float8 *) ARR_DATA_PTR(state);
	if (ok && *len == 1)
		ok = v[STATE_N] == 0;
	else if (ok)
		ok = *len > STATE_SUMS && *len <= STATE_SUMS + FACE_EMBEDDING_MAX_DIM &&
			v[STATE_N] >= 1 &&
			v[STATE_MODEL] >= 0 && v[STATE_MODEL] <= FACE_MODEL_USER_MAX &&
			v[STATE_MODEL] == (int) v[STATE_MODEL] &&
			(v[STATE_UNKNOWN] == 0 || v[STATE_UNKNOWN] == 1);
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid face_embedding aggregate state")));
	return v;
}

/* A fresh state of dim sums, all zero, n = 0 */
static ArrayType *
state_new(int dim, float8 **values)
{
	int			len = STATE_SUMS + dim;
	ArrayType  *state;
	Datum	   *zeros = palloc(sizeof(Datum) * len);

	for (int i = 0; i < len; i++)
		zeros[i] = Float8GetDatum(0.0);
	state = construct_array(zeros, len, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
	pfree(zeros);
	*values = (float8 *) ARR_DATA_PTR(state);
	return state;
}

/* Merge model bookkeeping of src into dst (both non-empty); ERROR on two known models */
static void
merge_model(float8 *dst, int src_model, bool src_unknown)
{
	int			dst_model = (int) dst[STATE_MODEL];

	if (src_model != FACE_MODEL_UNKNOWN)
	{
		if (dst_model != FACE_MODEL_UNKNOWN && dst_model != src_model)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("cannot aggregate face embeddings from different models"),
					 errdetail("Inputs come from model %d and model %d.", dst_model, src_model),
					 errhint("Aggregate embeddings of one model at a time.")));
		dst[STATE_MODEL] = src_model;
	}
	if (src_unknown)
		dst[STATE_UNKNOWN] = 1;
}

static void
check_state_dim(int state_dim, int dim)
{
	if (state_dim != dim)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("expected %d dimensions, not %d", state_dim, dim)));
}

/*
 * face_embedding_accum(float8[], face_embedding): add one input.  Inside an
 * aggregate the state is updated in place (it is ours, in the aggregate's
 * context); elsewhere a modified copy is returned.
 */
Datum
face_embedding_accum(PG_FUNCTION_ARGS)
{
	ArrayType  *state = PG_GETARG_ARRAYTYPE_P(0);
	FaceEmbedding *emb = PG_GETARG_FACE_EMBEDDING_P(1);
	float8	   *v;
	int			len;

	v = state_values(state, &len);
	if (v[STATE_N] == 0)
		state = state_new(emb->dim, &v);
	else
	{
		check_state_dim(len - STATE_SUMS, emb->dim);
		if (!AggCheckCallContext(fcinfo, NULL))
		{
			state = DatumGetArrayTypePCopy(PointerGetDatum(state));
			v = (float8 *) ARR_DATA_PTR(state);
		}
	}
	v[STATE_N] += 1;
	merge_model(v, emb->model, emb->model == FACE_MODEL_UNKNOWN);
	for (int i = 0; i < emb->dim; i++)
		v[STATE_SUMS + i] += emb->x[i];
	PG_RETURN_ARRAYTYPE_P(state);
}

/* face_embedding_combine(float8[], float8[]): merge two partial states */
Datum
face_embedding_combine(PG_FUNCTION_ARGS)
{
	ArrayType  *s1 = PG_GETARG_ARRAYTYPE_P(0);
	ArrayType  *s2 = PG_GETARG_ARRAYTYPE_P(1);
	float8	   *v1,
			   *v2;
	int			len1,
				len2;
	ArrayType  *result;
	float8	   *r;

	v1 = state_values(s1, &len1);
	v2 = state_values(s2, &len2);
	if (v2[STATE_N] == 0)
		PG_RETURN_ARRAYTYPE_P(s1);
	if (v1[STATE_N] == 0)
		PG_RETURN_ARRAYTYPE_P(DatumGetArrayTypePCopy(PointerGetDatum(s2)));
	check_state_dim(len1 - STATE_SUMS, len2 - STATE_SUMS);

	if (AggCheckCallContext(fcinfo, NULL))
		result = s1;
	else
		result = DatumGetArrayTypePCopy(PointerGetDatum(s1));
	r = (float8 *) ARR_DATA_PTR(result);
	r[STATE_N] += v2[STATE_N];
	merge_model(r, (int) v2[STATE_MODEL], v2[STATE_UNKNOWN] != 0);
	for (int i = STATE_SUMS; i < len1; i++)
		r[i] += v2[i];
	PG_RETURN_ARRAYTYPE_P(result);
}

/* The result of avg (divide = true) or sum; NULL when there were no inputs */
static Datum
finish(FunctionCallInfo fcinfo, bool divide)
{
	ArrayType  *state = PG_GETARG_ARRAYTYPE_P(0);
	float8	   *v;
	int			len;
	int			model;
	FaceEmbedding *result;

	v = state_values(state, &len);
	if (v[STATE_N] == 0)
		PG_RETURN_NULL();
	model = v[STATE_UNKNOWN] != 0 ? FACE_MODEL_UNKNOWN : (int) v[STATE_MODEL];
	FaceEmbeddingCheckModel(model, len - STATE_SUMS);
	result = FaceEmbeddingNew(len - STATE_SUMS, model);
	for (int i = 0; i < result->dim; i++)
	{
		double		s = v[STATE_SUMS + i];

		result->x[i] = (float) (divide ? s / v[STATE_N] : s);
		if (unlikely(isinf(result->x[i])))
			float_overflow_error();
		FaceEmbeddingCheckElement(result->x[i]);	/* NaN only from a forged state */
	}
	PG_RETURN_FACE_EMBEDDING_P(result);
}

Datum
face_embedding_avg(PG_FUNCTION_ARGS)
{
	return finish(fcinfo, true);
}

Datum
face_embedding_sum(PG_FUNCTION_ARGS)
{
	return finish(fcinfo, false);
}
