/*-------------------------------------------------------------------------
 *
 * netinput.h
 *	  The square network input face-api builds from an image
 *	  (NetInput.toBatchTensor): pad to a square with zeros, then resize to
 *	  size x size by bilinear interpolation.
 *
 * face-api's rule, reproduced exactly because the networks' boxes and
 * scores depend on it:
 *	- padToSquare: the shorter side is padded with zeros up to the longer
 *	  one.  Not centred (the SSD detector): all padding goes after the
 *	  image (below or right of it).  Centred (landmarks, tiny detector):
 *	  round(diff / 2) after and the rest before, i.e. the image starts at
 *	  floor(diff / 2).
 *	- resizeBilinear with alignCorners = false and halfPixelCenters = false
 *	  (TensorFlow's legacy rule): output cell r samples source coordinate
 *	  r * (in / out), interpolating between floor and ceil of it with the
 *	  ceil clamped to the last row/column.  No anti-aliasing, so a big image
 *	  is point-sampled; that is what the networks saw during face-api's
 *	  evaluation, and what reproducing its detections requires.
 *
 * Pixels are returned as float 0..255 (the networks normalise themselves).
 *
 *-------------------------------------------------------------------------
 */
#ifndef FC_NETINPUT_H
#define FC_NETINPUT_H

#include <stdint.h>

/*
 * Write the size x size x 3 NHWC float image face-api would feed a network
 * for the w x h RGB image rgb (rows stride bytes apart, 3 bytes a pixel).
 * Requires w, h, size >= 1, stride >= 3 * w, out holding size*size*3 floats.
 */
void		fc_netinput_square(const uint8_t *rgb, int w, int h, int stride,
							   int size, int centered, float *out);

/*
 * The image's extent inside the square input, as face-api computes it
 * (computeReshapedDimensions): round(w * size / max(w, h)) by
 * round(h * size / max(w, h)).  Detectors use it to map boxes back.
 */
void		fc_netinput_reshaped(int w, int h, int size, int *rw, int *rh);

#endif							/* FC_NETINPUT_H */
