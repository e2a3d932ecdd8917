/*-------------------------------------------------------------------------
 *
 * verify.c
 *	  1:1 verification: are two face embeddings the same person?
 *
 * The recognition network was trained (dlib's metric learning) so that two
 * photos of one person lie closer than 0.6 in Euclidean distance and two
 * people farther apart; dlib, face_recognition and face-api all use that
 * threshold.  face.verify_threshold makes it a setting, because a deployment
 * trades false accepts against false rejects differently (a door lock wants
 * a lower threshold than a photo-album grouping).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "utils/guc.h"

#include "embedding.h"

#define VERIFY_THRESHOLD_DEFAULT	0.6
#define VERIFY_THRESHOLD_MIN		0.0
#define VERIFY_THRESHOLD_MAX		1000.0

static double face_verify_threshold = VERIFY_THRESHOLD_DEFAULT;

void
FaceVerifyInit(void)
{
	DefineCustomRealVariable("face.verify_threshold",
							 "Euclidean distance below which face_verify() accepts two embeddings as one person.",
							 "0.6 is the operating point the recognition network was trained for.",
							 &face_verify_threshold,
							 VERIFY_THRESHOLD_DEFAULT, VERIFY_THRESHOLD_MIN, VERIFY_THRESHOLD_MAX,
							 PGC_USERSET, 0, NULL, NULL, NULL);
}

/*
 * True if a and b are closer than threshold.  Errors (via
 * FaceEmbeddingL2Distance) for different dimensions or models.
 */
static bool
verify_pair(FaceEmbedding *a, FaceEmbedding *b, double threshold)
{
	if (isnan(threshold) || threshold < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("verification threshold must be a non-negative number, not %g", threshold)));
	return FaceEmbeddingL2Distance(a, b) < threshold;
}

PG_FUNCTION_INFO_V1(face_verify);
Datum
face_verify(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(verify_pair(PG_GETARG_FACE_EMBEDDING_P(0),
							   PG_GETARG_FACE_EMBEDDING_P(1),
							   face_verify_threshold));
}

PG_FUNCTION_INFO_V1(face_verify_threshold_arg);
Datum
face_verify_threshold_arg(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(verify_pair(PG_GETARG_FACE_EMBEDDING_P(0),
							   PG_GETARG_FACE_EMBEDDING_P(1),
							   PG_GETARG_FLOAT8(2)));
}
