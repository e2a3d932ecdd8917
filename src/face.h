/*-------------------------------------------------------------------------
 *
 * face.h
 *	  Module-level declarations: the per-subsystem initialisers that
 *	  _PG_init calls (each defines its own GUCs).
 *
 *-------------------------------------------------------------------------
 */
#ifndef FACE_H
#define FACE_H

extern void FaceEmbeddingInit(void);	/* src/embedding_ops.c: distance kernels, face.distance_isa */
extern void FaceEmbedInit(void);	/* src/embed.c: pipeline GUCs */
extern void FaceIndexInit(void);	/* src/index: index GUCs, relopts */
extern void FaceVerifyInit(void);	/* src/verify.c: face.verify_threshold */

#endif							/* FACE_H */
