/*-------------------------------------------------------------------------
 *
 * face.h
 *	  Module level: the per-folder initialisers that _PG_init calls, each
 *	  declared in its own folder's header (included only by face.c; no
 *	  folder includes this file, so every arrow points down).
 *
 *-------------------------------------------------------------------------
 */
#ifndef FACE_H
#define FACE_H

#include "type/embedding.h"		/* FaceEmbeddingInit, FaceVerifyInit */
#include "embed/embed.h"		/* FaceEmbedInit */
#include "index/faceann.h"		/* FaceIndexInit */

#endif							/* FACE_H */
