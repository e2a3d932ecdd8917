/*-------------------------------------------------------------------------
 *
 * embedding.h
 *	  The face_embedding type: a variable-length float4 vector that records
 *	  its dimension and the model that produced it.
 *
 * On disk (varlena, 4-byte aligned):
 *	  int32 vl_len_; int16 dim; int16 model; float4 x[dim]
 * model 0 means "unknown" (typed in as text or cast from an array); two
 * embeddings from different known models are never compared.
 *
 * Every value is valid by construction: 1 <= dim <= FACE_EMBEDDING_MAX_DIM,
 * every element finite, model a known tag whose dimension (if fixed)
 * matches.  Input functions (text, binary, casts) enforce this; operators
 * rely on it.
 *
 * Files: embedding.c (I/O, typmod, model tag, validation), embedding_ops.c
 * (distances, arithmetic, comparison, hashing, face.distance_isa),
 * embedding_cast.c (array casts), embedding_agg.c (avg, sum).
 *
 *-------------------------------------------------------------------------
 */
#ifndef FACE_EMBEDDING_H
#define FACE_EMBEDDING_H

#include "postgres.h"
#include "fmgr.h"

/*
 * 2048 keeps one embedding (8 KB + header) within a heap page only once
 * TOASTed; face networks produce 128 or 512, so the bound is generous while
 * keeping int16 headers and stack buffers small.
 */
#define FACE_EMBEDDING_MAX_DIM		2048

/*
 * Model tags: which network produced an embedding.  1..255 are reserved for
 * the networks this extension ships (listed in embedding.c; an unassigned
 * one is rejected); 256..16383 are free for applications that import
 * embeddings from other models and want the same protection against mixing;
 * 16384..32767 are the ids of the metric heads trained in the database (the
 * face_model catalog, src/learn/face_model.h), the tag of what they project.
 */
#define FACE_MODEL_UNKNOWN			0
#define FACE_MODEL_DLIB_RESNET		1	/* face-api / dlib metric-learning ResNet, 128-D */
#define FACE_MODEL_BUILTIN_MAX		1	/* highest assigned built-in tag */
#define FACE_MODEL_USER_MIN			256 /* first application-defined tag */
#define FACE_MODEL_USER_MAX			16383	/* last application-defined tag */
#define FACE_MODEL_TRAINED_MIN		16384	/* first id of a trained head (face_model) */
#define FACE_MODEL_TRAINED_MAX		PG_INT16_MAX

typedef struct FaceEmbedding
{
	int32		vl_len_;		/* varlena header (do not touch directly!) */
	int16		dim;			/* number of dimensions */
	int16		model;			/* FACE_MODEL_* tag */
	float4		x[FLEXIBLE_ARRAY_MEMBER];
} FaceEmbedding;

#define FACE_EMBEDDING_SIZE(_dim)	(offsetof(FaceEmbedding, x) + sizeof(float4) * (_dim))
#define DatumGetFaceEmbedding(x)	((FaceEmbedding *) PG_DETOAST_DATUM(x))
#define PG_GETARG_FACE_EMBEDDING_P(n) DatumGetFaceEmbedding(PG_GETARG_DATUM(n))
#define PG_RETURN_FACE_EMBEDDING_P(x) PG_RETURN_POINTER(x)

/* embedding.c */

/* Allocate a zeroed embedding of dim dimensions in CurrentMemoryContext. */
extern FaceEmbedding *FaceEmbeddingNew(int dim, int model);
/* ERROR (DATA_EXCEPTION) unless a and b can be compared: same dim, compatible models. */
extern void FaceEmbeddingCheckPair(const FaceEmbedding *a, const FaceEmbedding *b);
/* Model tag of a result computed from a and b: theirs if equal, else unknown. */
extern int	FaceEmbeddingPairModel(const FaceEmbedding *a, const FaceEmbedding *b);
/* ERROR unless 1 <= dim <= FACE_EMBEDDING_MAX_DIM (DATA_EXCEPTION / PROGRAM_LIMIT_EXCEEDED). */
extern void FaceEmbeddingCheckDim(int dim);
/* ERROR unless value is finite (DATA_EXCEPTION). */
extern void FaceEmbeddingCheckElement(float value);
/* ERROR unless model is a known tag and, if the model fixes a dimension, dim matches. */
extern void FaceEmbeddingCheckModel(int model, int dim);
/* ERROR (DATA_EXCEPTION) if typmod is set (>= 0) and differs from dim. */
extern void FaceEmbeddingCheckTypmod(int dim, int32 typmod);

/*
 * embedding_ops.c: distances between two embeddings, for the SQL operators
 * and the index support functions.  Each checks the pair first (ERROR on a
 * dimension or model mismatch) and uses the run-time chosen SIMD kernels of
 * core/distance.h.  Cosine distance is NaN when either vector is zero.
 */
extern double FaceEmbeddingL2Squared(const FaceEmbedding *a, const FaceEmbedding *b);
extern double FaceEmbeddingL2Distance(const FaceEmbedding *a, const FaceEmbedding *b);
extern double FaceEmbeddingInnerProduct(const FaceEmbedding *a, const FaceEmbedding *b);
extern double FaceEmbeddingNegativeInnerProduct(const FaceEmbedding *a, const FaceEmbedding *b);
extern double FaceEmbeddingCosineDistance(const FaceEmbedding *a, const FaceEmbedding *b);
extern double FaceEmbeddingL1Distance(const FaceEmbedding *a, const FaceEmbedding *b);
/* Three-way comparison used by the btree opclass: dim first, then elements; ignores model. */
extern int	FaceEmbeddingCompare(const FaceEmbedding *a, const FaceEmbedding *b);

/* _PG_init's calls into this folder: the distance kernels' GUCs, face.verify_threshold */
extern void FaceEmbeddingInit(void);	/* embedding_ops.c */
extern void FaceVerifyInit(void);	/* verify.c */

#endif							/* FACE_EMBEDDING_H */
