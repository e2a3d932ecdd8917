/*-------------------------------------------------------------------------
 *
 * embed.h
 *	  What the embed glue offers the rest of the module: its initialiser,
 *	  which _PG_init calls (the face.* pipeline GUCs).
 *
 *-------------------------------------------------------------------------
 */
#ifndef FACE_EMBED_H
#define FACE_EMBED_H

extern void FaceEmbedInit(void);

#endif							/* FACE_EMBED_H */
