/*-------------------------------------------------------------------------
 *
 * embed.h
 *	  What the embed glue offers the rest of the module: its initialiser,
 *	  which _PG_init calls (the face.* pipeline GUCs), and what embed.c
 *	  shares with the other glue of src/embed (face_chip.c): the backend's
 *	  models, one pipeline call's memory and hooks, and the mapping of core
 *	  errors to ERRORs.
 *
 *-------------------------------------------------------------------------
 */
#ifndef FACE_EMBED_H
#define FACE_EMBED_H

#include "postgres.h"

#include "core/face/pipeline.h"

extern void FaceEmbedInit(void);

/* One pipeline call: its memory context, the core's allocator over it, options from the GUCs. */
typedef struct FaceCall
{
	MemoryContext cxt;			/* everything the core allocates for this call */
	fc_allocator alloc;
	fc_hooks	hooks;
	fc_pipeline_options opts;
} FaceCall;

/* The backend's models, loaded on first use (or after face.model_dir changed). */
extern fc_models *FaceGetModels(void);
/* Set up a call (a child context of CurrentMemoryContext); FaceCallEnd frees it. */
extern void FaceCallBegin(FaceCall *call);
extern void FaceCallEnd(FaceCall *call);
/* Every face of the photo, in the call's context (begins the call); ERROR on failure. */
extern fc_face *FaceRunPhoto(FaceCall *call, bytea *photo, int *n);
/* ERROR for a failed core call, with its SQLSTATE. */
extern void FaceReportError(const fc_error *err) pg_attribute_noreturn();

#endif							/* FACE_EMBED_H */
