/*-------------------------------------------------------------------------
 *
 * precision.h
 *	  The face.precision GUC (precision.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef FACE_EMBED_PRECISION_H
#define FACE_EMBED_PRECISION_H

/* Define face.precision; called once from FaceEmbedInit(). */
void		FaceDefinePrecisionGuc(void);

#endif							/* FACE_EMBED_PRECISION_H */
