/*-------------------------------------------------------------------------
 *
 * face_sizes.h
 *	  The three sizes every part of the face pipeline agrees on, defined
 *	  once: 68 landmarks (iBUG 300-W / dlib order), the 150x150 face chip
 *	  the recognition net reads, and its 128-D descriptor.
 *
 *-------------------------------------------------------------------------
 */
#ifndef FC_FACE_SIZES_H
#define FC_FACE_SIZES_H

#define FC_LANDMARK_COUNT	68	/* points of the landmark net, (x, y) each */
#define FC_CHIP_SIZE		150 /* side of the aligned chip = recognizer input */
#define FC_EMBEDDING_DIMS	128 /* floats in a face descriptor */

#endif							/* FC_FACE_SIZES_H */
