/*-------------------------------------------------------------------------
 *
 * photo_limits.h
 *	  The per-photo resource limits of embed(), faces() and embed_crop():
 *	  face.max_pixels and face.max_decode_memory (photo_limits.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef FACE_EMBED_PHOTO_LIMITS_H
#define FACE_EMBED_PHOTO_LIMITS_H

#include "core/face/pipeline.h"

/* Define the limit GUCs (PGC_SUSET); called from FaceEmbedInit. */
extern void FaceLimitsDefine(void);

/* Copy the current limits into one call's pipeline options. */
extern void FaceLimitsApply(fc_pipeline_options *opts);

/* The current limits, formatted as SHOW prints them, for hints. */
extern const char *FaceLimitShow(const char *name);

#endif							/* FACE_EMBED_PHOTO_LIMITS_H */
