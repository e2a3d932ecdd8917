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
 *-------------------------------------------------------------------------
 */
#ifndef FACE_EMBEDDING_H
#define FACE_EMBEDDING_H

#include "postgres.h"
#include "fmgr.h"

#define FACE_EMBEDDING_MAX_DIM		2048

/* Model tags: which network produced an embedding. */
#define FACE_MODEL_UNKNOWN			0
#define FACE_MODEL_DLIB_RESNET		1	/* face-api / dlib metric-learning ResNet, 128-D */

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

/* Allocate a zeroed embedding of dim dimensions in CurrentMemoryContext. */
extern FaceEmbedding *FaceEmbeddingNew(int dim, int model);
/* ERROR (DATA_EXCEPTION) unless a and b can be compared: same dim, compatible models. */
extern void FaceEmbeddingCheckPair(const FaceEmbedding *a, const FaceEmbedding *b);

#endif							/* FACE_EMBEDDING_H */
