/*-------------------------------------------------------------------------
 *
 * embedding.c
 *	  The face_embedding type: text and binary I/O, type modifier, model
 *	  tag, and the validation every input path shares.
 *
 * The text form is pgvector's, so clients that parse pgvector vectors parse
 * ours: "[0.1,-2,3e-05]", whitespace allowed around elements, each element
 * printed as the shortest decimal that reads back to the same float4.  The
 * model tag has no text form (pgvector clients would choke on it): text
 * input yields model 0, unknown.  Binary I/O carries the tag.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "common/shortest_dec.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "embedding.h"

PG_FUNCTION_INFO_V1(face_embedding_in);
PG_FUNCTION_INFO_V1(face_embedding_out);
PG_FUNCTION_INFO_V1(face_embedding_typmod_in);
PG_FUNCTION_INFO_V1(face_embedding_typmod_out);
PG_FUNCTION_INFO_V1(face_embedding_recv);
PG_FUNCTION_INFO_V1(face_embedding_send);
PG_FUNCTION_INFO_V1(face_embedding_enforce_typmod);
PG_FUNCTION_INFO_V1(face_embedding_model);
PG_FUNCTION_INFO_V1(face_embedding_with_model);

/* The built-in models; index = tag.  dim 0 would mean "any dimension". */
static const struct
{
	const char *name;
	int			dim;
}			face_models[FACE_MODEL_BUILTIN_MAX + 1] = {
	[FACE_MODEL_UNKNOWN] = {"unknown", 0},
	[FACE_MODEL_DLIB_RESNET] = {"dlib ResNet", 128},
};

/* A model's name for messages; model must have passed FaceEmbeddingCheckModel */
static const char *
model_name(int model)
{
	if (model <= FACE_MODEL_BUILTIN_MAX)
		return face_models[model].name;
	return model >= FACE_MODEL_TRAINED_MIN ? "trained head" : "application-defined";
}

FaceEmbedding *
FaceEmbeddingNew(int dim, int model)
{
	Size		size = FACE_EMBEDDING_SIZE(dim);
	FaceEmbedding *result = (FaceEmbedding *) palloc0(size);

	Assert(dim >= 1 && dim <= FACE_EMBEDDING_MAX_DIM);
	Assert(model >= 0 && model <= FACE_MODEL_USER_MAX);
	SET_VARSIZE(result, size);
	result->dim = dim;
	result->model = model;
	return result;
}

void
FaceEmbeddingCheckDim(int dim)
{
	if (dim < 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("face_embedding must have at least 1 dimension")));
	if (dim > FACE_EMBEDDING_MAX_DIM)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("face_embedding cannot have more than %d dimensions",
						FACE_EMBEDDING_MAX_DIM)));
}

void
FaceEmbeddingCheckElement(float value)
{
	if (isnan(value))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("NaN not allowed in face_embedding")));
	if (isinf(value))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("infinite value not allowed in face_embedding")));
}

void
FaceEmbeddingCheckModel(int model, int dim)
{
	if (model < 0 || model > FACE_MODEL_TRAINED_MAX ||
		(model > FACE_MODEL_BUILTIN_MAX && model < FACE_MODEL_USER_MIN))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown face_embedding model %d", model),
				 errdetail("Model tags are 0 (unknown), %d to %d (built in), %d to %d (application-defined) and %d to %d (heads trained in the database).",
						   FACE_MODEL_UNKNOWN + 1, FACE_MODEL_BUILTIN_MAX,
						   FACE_MODEL_USER_MIN, FACE_MODEL_USER_MAX,
						   FACE_MODEL_TRAINED_MIN, FACE_MODEL_TRAINED_MAX)));
	if (model <= FACE_MODEL_BUILTIN_MAX &&
		face_models[model].dim != 0 && face_models[model].dim != dim)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("model %d (%s) produces %d-dimensional embeddings, not %d",
						model, face_models[model].name, face_models[model].dim, dim)));
}

void
FaceEmbeddingCheckTypmod(int dim, int32 typmod)
{
	if (typmod >= 0 && dim != typmod)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("expected %d dimensions, not %d", typmod, dim)));
}

void
FaceEmbeddingCheckPair(const FaceEmbedding *a, const FaceEmbedding *b)
{
	if (a->dim != b->dim)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("different face_embedding dimensions %d and %d", a->dim, b->dim)));
	/* unknown (0) mixes with anything: it is a caller's assertion, not a model */
	if (a->model != b->model && a->model != FACE_MODEL_UNKNOWN && b->model != FACE_MODEL_UNKNOWN)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("cannot compare face embeddings from different models"),
				 errdetail("One embedding comes from model %d (%s), the other from model %d (%s).",
						   a->model, model_name(a->model),
						   b->model, model_name(b->model)),
				 errhint("Recompute both embeddings with the same model.")));
}

int
FaceEmbeddingPairModel(const FaceEmbedding *a, const FaceEmbedding *b)
{
	return a->model == b->model ? a->model : FACE_MODEL_UNKNOWN;
}

static inline bool
face_isspace(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f';
}

static void
malformed(const char *lit, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("malformed face_embedding literal: \"%s\"", lit),
			 errdetail_internal("%s", detail)));
}

static void
invalid_syntax(const char *lit)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type face_embedding: \"%s\"", lit)));
}

/*
 * face_embedding_in(cstring, oid, int4): parse "[x1,x2,...]".
 *
 * Elements are read with strtof, as float4in does: out-of-range values
 * (overflow, or underflow to zero) are errors, denormals are kept.
 */
Datum
face_embedding_in(PG_FUNCTION_ARGS)
{
	char	   *lit = PG_GETARG_CSTRING(0);
	int32		typmod = PG_GETARG_INT32(2);
	float		x[FACE_EMBEDDING_MAX_DIM];
	int			dim = 0;
	char	   *pt = lit;
	FaceEmbedding *result;

	while (face_isspace(*pt))
		pt++;
	if (*pt != '[')
		malformed(lit, "Vector contents must start with \"[\".");
	pt++;
	while (face_isspace(*pt))
		pt++;
	if (*pt == ']')
		FaceEmbeddingCheckDim(0);

	for (;;)
	{
		char	   *end;
		float		val;

		while (face_isspace(*pt))
			pt++;
		if (*pt == '\0')
			malformed(lit, "Unexpected end of input.");
		if (dim == FACE_EMBEDDING_MAX_DIM)
			FaceEmbeddingCheckDim(dim + 1);

		errno = 0;
		val = strtof(pt, &end);
		if (end == pt)
			invalid_syntax(lit);
		/* strtof reports ERANGE for denormals too; only 0 or inf is a real loss */
		if (errno == ERANGE && (val == 0 || isinf(val)))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("\"%.*s\" is out of range for type face_embedding",
							(int) (end - pt), pt)));
		FaceEmbeddingCheckElement(val);
		x[dim++] = val;
		pt = end;

		while (face_isspace(*pt))
			pt++;
		if (*pt == ',')
			pt++;
		else if (*pt == ']')
		{
			pt++;
			break;
		}
		else if (*pt == '\0')
			malformed(lit, "Unexpected end of input.");
		else
			invalid_syntax(lit);
	}

	while (face_isspace(*pt))
		pt++;
	if (*pt != '\0')
		malformed(lit, "Junk after closing right bracket.");

	FaceEmbeddingCheckTypmod(dim, typmod);
	result = FaceEmbeddingNew(dim, FACE_MODEL_UNKNOWN);
	memcpy(result->x, x, sizeof(float) * dim);
	PG_RETURN_FACE_EMBEDDING_P(result);
}

/* face_embedding_out: "[x1,x2,...]", each the shortest round-trip decimal */
Datum
face_embedding_out(PG_FUNCTION_ARGS)
{
	FaceEmbedding *emb = PG_GETARG_FACE_EMBEDDING_P(0);
	char	   *buf = palloc(emb->dim * (FLOAT_SHORTEST_DECIMAL_LEN + 1) + 2);
	char	   *pt = buf;

	*pt++ = '[';
	for (int i = 0; i < emb->dim; i++)
	{
		if (i > 0)
			*pt++ = ',';
		pt += float_to_shortest_decimal_bufn(emb->x[i], pt);
	}
	*pt++ = ']';
	*pt = '\0';
	PG_FREE_IF_COPY(emb, 0);
	PG_RETURN_CSTRING(buf);
}

/* face_embedding_typmod_in(cstring[]): the N of face_embedding(N) */
Datum
face_embedding_typmod_in(PG_FUNCTION_ARGS)
{
	ArrayType  *ta = PG_GETARG_ARRAYTYPE_P(0);
	int32	   *tl;
	int			n;

	tl = ArrayGetIntegerTypmods(ta, &n);
	if (n != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid type modifier"),
				 errdetail("face_embedding takes exactly one modifier, its number of dimensions.")));
	if (*tl < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("dimensions for type face_embedding must be at least 1")));
	if (*tl > FACE_EMBEDDING_MAX_DIM)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("dimensions for type face_embedding cannot exceed %d",
						FACE_EMBEDDING_MAX_DIM)));
	PG_RETURN_INT32(*tl);
}

Datum
face_embedding_typmod_out(PG_FUNCTION_ARGS)
{
	int32		typmod = PG_GETARG_INT32(0);

	if (typmod < 0)
		PG_RETURN_CSTRING(pstrdup(""));
	PG_RETURN_CSTRING(psprintf("(%d)", typmod));
}

/*
 * face_embedding_recv(internal, oid, int4): int16 dim, int16 model, then dim
 * float4s, all in network order.  Trusts nothing: dimension, model, every
 * element and the message length are checked.
 */
Datum
face_embedding_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int32		typmod = PG_GETARG_INT32(2);
	int			dim;
	int			model;
	FaceEmbedding *result;

	if (buf->len - buf->cursor < 2 * (int) sizeof(int16))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid face_embedding binary data"),
				 errdetail("The dimension and model header is missing.")));
	dim = (int16) pq_getmsgint(buf, sizeof(int16));
	model = (int16) pq_getmsgint(buf, sizeof(int16));
	FaceEmbeddingCheckDim(dim);
	FaceEmbeddingCheckModel(model, dim);
	FaceEmbeddingCheckTypmod(dim, typmod);
	/* refuse a short message before allocating, with the usual protocol error */
	if (buf->len - buf->cursor != (int) sizeof(float4) * dim)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid face_embedding binary data"),
				 errdetail("Expected %d bytes of elements for %d dimensions, got %d.",
						   (int) sizeof(float4) * dim, dim, buf->len - buf->cursor)));

	result = FaceEmbeddingNew(dim, model);
	for (int i = 0; i < dim; i++)
	{
		result->x[i] = pq_getmsgfloat4(buf);
		FaceEmbeddingCheckElement(result->x[i]);
	}
	PG_RETURN_FACE_EMBEDDING_P(result);
}

Datum
face_embedding_send(PG_FUNCTION_ARGS)
{
	FaceEmbedding *emb = PG_GETARG_FACE_EMBEDDING_P(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendint16(&buf, emb->dim);
	pq_sendint16(&buf, emb->model);
	for (int i = 0; i < emb->dim; i++)
		pq_sendfloat4(&buf, emb->x[i]);
	PG_FREE_IF_COPY(emb, 0);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/*
 * face_embedding(face_embedding, int4, bool): the length-coercion cast that
 * applies a typmod on assignment and explicit casts.
 */
Datum
face_embedding_enforce_typmod(PG_FUNCTION_ARGS)
{
	FaceEmbedding *emb = PG_GETARG_FACE_EMBEDDING_P(0);
	int32		typmod = PG_GETARG_INT32(1);

	FaceEmbeddingCheckTypmod(emb->dim, typmod);
	PG_RETURN_FACE_EMBEDDING_P(emb);
}

/* face_embedding_model(face_embedding) -> int4: the model tag */
Datum
face_embedding_model(PG_FUNCTION_ARGS)
{
	FaceEmbedding *emb = PG_GETARG_FACE_EMBEDDING_P(0);

	PG_RETURN_INT32(emb->model);
}

/*
 * face_embedding_with_model(face_embedding, int4): a copy tagged with model,
 * e.g. to restore tags after a text dump, which does not carry them (a
 * trained head's tag too: a column of projected embeddings loses it there).
 */
Datum
face_embedding_with_model(PG_FUNCTION_ARGS)
{
	FaceEmbedding *emb = PG_GETARG_FACE_EMBEDDING_P(0);
	int32		model = PG_GETARG_INT32(1);
	FaceEmbedding *result;

	FaceEmbeddingCheckModel(model, emb->dim);
	result = FaceEmbeddingNew(emb->dim, model);
	memcpy(result->x, emb->x, sizeof(float4) * emb->dim);
	PG_RETURN_FACE_EMBEDDING_P(result);
}
