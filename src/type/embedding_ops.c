/*-------------------------------------------------------------------------
 *
 * embedding_ops.c
 *	  face_embedding operators and functions: distances, norms, arithmetic,
 *	  btree comparison, hashing.
 *
 * Distances go through the run-time chosen SIMD kernels of core/distance.h
 * (one place for the operators and the index); they accumulate in float4
 * like pgvector and are returned as float8.  Every binary function checks
 * the pair first: same dimension, and no two different known models.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "common/hashfn.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/guc.h"

#include "core/vec/distance.h"
#include "embedding.h"

PG_FUNCTION_INFO_V1(face_embedding_l2_distance);
PG_FUNCTION_INFO_V1(face_embedding_l2_squared_distance);
PG_FUNCTION_INFO_V1(face_embedding_inner_product);
PG_FUNCTION_INFO_V1(face_embedding_negative_inner_product);
PG_FUNCTION_INFO_V1(face_embedding_cosine_distance);
PG_FUNCTION_INFO_V1(face_embedding_l1_distance);
PG_FUNCTION_INFO_V1(face_embedding_l2_norm);
PG_FUNCTION_INFO_V1(face_embedding_l2_normalize);
PG_FUNCTION_INFO_V1(face_embedding_dims);
PG_FUNCTION_INFO_V1(face_embedding_add);
PG_FUNCTION_INFO_V1(face_embedding_sub);
PG_FUNCTION_INFO_V1(face_embedding_lt);
PG_FUNCTION_INFO_V1(face_embedding_le);
PG_FUNCTION_INFO_V1(face_embedding_eq);
PG_FUNCTION_INFO_V1(face_embedding_ne);
PG_FUNCTION_INFO_V1(face_embedding_ge);
PG_FUNCTION_INFO_V1(face_embedding_gt);
PG_FUNCTION_INFO_V1(face_embedding_cmp);
PG_FUNCTION_INFO_V1(face_embedding_hash);
PG_FUNCTION_INFO_V1(face_embedding_hash_extended);
PG_FUNCTION_INFO_V1(face_distance_isa_name);

/*
 * face.distance_isa: which kernels the distances use.  "auto" (the default)
 * is the best the CPU supports; naming one is for benchmarks and for
 * checking that every ISA gives the same answers.
 */
enum
{
	FACE_ISA_AUTO, FACE_ISA_AVX512, FACE_ISA_AVX2, FACE_ISA_SCALAR
};

static const struct config_enum_entry face_isa_options[] = {
	{"auto", FACE_ISA_AUTO, false},
	{"avx512", FACE_ISA_AVX512, false},
	{"avx2", FACE_ISA_AVX2, false},
	{"scalar", FACE_ISA_SCALAR, false},
	{NULL, 0, false}
};

static int	face_distance_isa_guc = FACE_ISA_AUTO;

static const char *
isa_name(int isa)
{
	return isa == FACE_ISA_AUTO ? face_distance_best_isa() : face_isa_options[isa].name;
}

static bool
check_distance_isa(int *newval, void **extra, GucSource source)
{
	if (face_distance_kernels(isa_name(*newval)) == NULL)
	{
		GUC_check_errdetail("This CPU cannot run the %s kernels; it supports up to %s.",
							isa_name(*newval), face_distance_best_isa());
		return false;
	}
	return true;
}

static void
assign_distance_isa(int newval, void *extra)
{
	/* cannot fail: the check hook verified the ISA is available */
	face_distance_select(isa_name(newval));
}

/* Called from _PG_init: choose the kernels, define face.distance_isa */
void
FaceEmbeddingInit(void)
{
	face_distance_init();
	DefineCustomEnumVariable("face.distance_isa",
							 "Instruction set of the distance kernels.",
							 "auto picks the best this CPU supports (avx512, avx2 or scalar).",
							 &face_distance_isa_guc,
							 FACE_ISA_AUTO,
							 face_isa_options,
							 PGC_USERSET,
							 0,
							 check_distance_isa,
							 assign_distance_isa,
							 NULL);
}

/* Distances between two embeddings, shared with the index (see embedding.h) */

/*
 * The float kernels overflow on vectors with elements beyond about 1e19
 * ('[3e38]' <-> '[-3e38]' would be Infinity, '[3e38,-3e38]' <#> '[3e38,3e38]'
 * NaN) and their products underflow below about 1e-19 ('[1e-38]' <-> '[0]'
 * would be 0), although the true value fits a float8: such results are
 * recomputed in double, which neither overflows nor underflows for float4
 * inputs.  The test is one branch on the result, so the common case pays
 * nothing (exactly equal vectors, distance 0, take the double path: still
 * one pass).
 */
#define FLOAT_SUM_SAFE_MIN	1e-30f

/*
 * kernel(a, b) after checking the pair; if the float result lost its value,
 * the double sum at offset field of FaceDistanceSums instead.
 */
static double
distance_sum(float (*kernel) (const float *, const float *, int), size_t field,
			 const FaceEmbedding *a, const FaceEmbedding *b)
{
	float		d;
	FaceDistanceSums s;

	FaceEmbeddingCheckPair(a, b);
	d = kernel(a->x, b->x, a->dim);
	if (likely(isfinite(d) && fabsf(d) >= FLOAT_SUM_SAFE_MIN))
		return d;
	face_distance_sums_double(a->x, b->x, a->dim, &s);
	return *(const double *) ((const char *) &s + field);
}

double
FaceEmbeddingL2Squared(const FaceEmbedding *a, const FaceEmbedding *b)
{
	return distance_sum(face_l2_squared, offsetof(FaceDistanceSums, l2), a, b);
}

double
FaceEmbeddingL2Distance(const FaceEmbedding *a, const FaceEmbedding *b)
{
	return sqrt(FaceEmbeddingL2Squared(a, b));
}

double
FaceEmbeddingInnerProduct(const FaceEmbedding *a, const FaceEmbedding *b)
{
	return distance_sum(face_inner_product, offsetof(FaceDistanceSums, ab), a, b);
}

double
FaceEmbeddingNegativeInnerProduct(const FaceEmbedding *a, const FaceEmbedding *b)
{
	return -FaceEmbeddingInnerProduct(a, b);
}

double
FaceEmbeddingCosineDistance(const FaceEmbedding *a, const FaceEmbedding *b)
{
	FaceEmbeddingCheckPair(a, b);
	return face_cosine_distance(a->x, b->x, a->dim);
}

double
FaceEmbeddingL1Distance(const FaceEmbedding *a, const FaceEmbedding *b)
{
	return distance_sum(face_l1_distance, offsetof(FaceDistanceSums, l1), a, b);
}

/* The SQL wrappers: one macro, since they differ only in the kernel called */
#define FACE_DISTANCE_FN(sqlname, kernel) \
Datum \
sqlname(PG_FUNCTION_ARGS) \
{ \
	FaceEmbedding *a = PG_GETARG_FACE_EMBEDDING_P(0); \
	FaceEmbedding *b = PG_GETARG_FACE_EMBEDDING_P(1); \
 \
	PG_RETURN_FLOAT8(kernel(a, b)); \
}

FACE_DISTANCE_FN(face_embedding_l2_distance, FaceEmbeddingL2Distance)
FACE_DISTANCE_FN(face_embedding_l2_squared_distance, FaceEmbeddingL2Squared)
FACE_DISTANCE_FN(face_embedding_inner_product, FaceEmbeddingInnerProduct)
FACE_DISTANCE_FN(face_embedding_negative_inner_product, FaceEmbeddingNegativeInnerProduct)
FACE_DISTANCE_FN(face_embedding_cosine_distance, FaceEmbeddingCosineDistance)
FACE_DISTANCE_FN(face_embedding_l1_distance, FaceEmbeddingL1Distance)

/* Sum of squares in double: float4 squares of large elements would overflow */
static double
l2_norm(const FaceEmbedding *a)
{
	double		s = 0;

	for (int i = 0; i < a->dim; i++)
		s += (double) a->x[i] * (double) a->x[i];
	return sqrt(s);
}

Datum
face_embedding_l2_norm(PG_FUNCTION_ARGS)
{
	FaceEmbedding *a = PG_GETARG_FACE_EMBEDDING_P(0);

	PG_RETURN_FLOAT8(l2_norm(a));
}

/* l2_normalize: a / |a|, keeping the model; the zero vector stays zero */
Datum
face_embedding_l2_normalize(PG_FUNCTION_ARGS)
{
	FaceEmbedding *a = PG_GETARG_FACE_EMBEDDING_P(0);
	FaceEmbedding *result = FaceEmbeddingNew(a->dim, a->model);
	double		norm = l2_norm(a);

	if (norm > 0)
		for (int i = 0; i < a->dim; i++)
			result->x[i] = (float) (a->x[i] / norm);
	PG_RETURN_FACE_EMBEDDING_P(result);
}

Datum
face_embedding_dims(PG_FUNCTION_ARGS)
{
	FaceEmbedding *a = PG_GETARG_FACE_EMBEDDING_P(0);

	PG_RETURN_INT32(a->dim);
}

/* a + sign * b, element-wise; ERROR if an element overflows float4 */
static FaceEmbedding *
add_scaled(const FaceEmbedding *a, const FaceEmbedding *b, float sign)
{
	FaceEmbedding *result;

	FaceEmbeddingCheckPair(a, b);
	result = FaceEmbeddingNew(a->dim, FaceEmbeddingPairModel(a, b));
	for (int i = 0; i < a->dim; i++)
	{
		result->x[i] = a->x[i] + sign * b->x[i];
		if (unlikely(isinf(result->x[i])))
			float_overflow_error();
	}
	return result;
}

Datum
face_embedding_add(PG_FUNCTION_ARGS)
{
	PG_RETURN_FACE_EMBEDDING_P(add_scaled(PG_GETARG_FACE_EMBEDDING_P(0),
										  PG_GETARG_FACE_EMBEDDING_P(1), 1.0f));
}

Datum
face_embedding_sub(PG_FUNCTION_ARGS)
{
	PG_RETURN_FACE_EMBEDDING_P(add_scaled(PG_GETARG_FACE_EMBEDDING_P(0),
										  PG_GETARG_FACE_EMBEDDING_P(1), -1.0f));
}

/*
 * Total order for btree: fewer dimensions first, then element by element.
 * The model tag is provenance, not value, so it takes no part (an embedding
 * typed in equals the same numbers computed by a model); -0 equals 0, and
 * there are no NaNs, so this is a total order on values.
 */
int
FaceEmbeddingCompare(const FaceEmbedding *a, const FaceEmbedding *b)
{
	if (a->dim != b->dim)
		return a->dim < b->dim ? -1 : 1;
	for (int i = 0; i < a->dim; i++)
	{
		if (a->x[i] < b->x[i])
			return -1;
		if (a->x[i] > b->x[i])
			return 1;
	}
	return 0;
}

#define FACE_COMPARE_FN(sqlname, expr) \
Datum \
sqlname(PG_FUNCTION_ARGS) \
{ \
	FaceEmbedding *a = PG_GETARG_FACE_EMBEDDING_P(0); \
	FaceEmbedding *b = PG_GETARG_FACE_EMBEDDING_P(1); \
	int			c = FaceEmbeddingCompare(a, b); \
 \
	PG_FREE_IF_COPY(a, 0); \
	PG_FREE_IF_COPY(b, 1); \
	expr; \
}

FACE_COMPARE_FN(face_embedding_lt, PG_RETURN_BOOL(c < 0))
FACE_COMPARE_FN(face_embedding_le, PG_RETURN_BOOL(c <= 0))
FACE_COMPARE_FN(face_embedding_eq, PG_RETURN_BOOL(c == 0))
FACE_COMPARE_FN(face_embedding_ne, PG_RETURN_BOOL(c != 0))
FACE_COMPARE_FN(face_embedding_ge, PG_RETURN_BOOL(c >= 0))
FACE_COMPARE_FN(face_embedding_gt, PG_RETURN_BOOL(c > 0))
FACE_COMPARE_FN(face_embedding_cmp, PG_RETURN_INT32(c))

/*
 * Hash consistent with FaceEmbeddingCompare: the dimension and the element
 * bits, with -0 folded into 0 and the model left out.
 */
static uint64
embedding_hash(const FaceEmbedding *a, uint64 seed, bool extended)
{
	uint32	   *bits = palloc(sizeof(uint32) * (a->dim + 1));
	uint64		h;

	bits[0] = (uint32) a->dim;
	for (int i = 0; i < a->dim; i++)
	{
		float		v = a->x[i] + 0.0f; /* -0 + 0 = +0 */

		memcpy(&bits[i + 1], &v, sizeof(uint32));
	}
	if (extended)
		h = DatumGetUInt64(hash_any_extended((unsigned char *) bits,
											 sizeof(uint32) * (a->dim + 1), seed));
	else
		h = DatumGetUInt32(hash_any((unsigned char *) bits,
									sizeof(uint32) * (a->dim + 1)));
	pfree(bits);
	return h;
}

Datum
face_embedding_hash(PG_FUNCTION_ARGS)
{
	PG_RETURN_UINT32((uint32) embedding_hash(PG_GETARG_FACE_EMBEDDING_P(0), 0, false));
}

Datum
face_embedding_hash_extended(PG_FUNCTION_ARGS)
{
	PG_RETURN_UINT64(embedding_hash(PG_GETARG_FACE_EMBEDDING_P(0),
									PG_GETARG_INT64(1), true));
}

/* face_distance_isa() -> text: the SIMD kernels this backend uses */
Datum
face_distance_isa_name(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(face_distance_isa()));
}
