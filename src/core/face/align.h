/*-------------------------------------------------------------------------
 *
 * align.h
 *	  Face alignment as dlib's face recognition network was trained: from
 *	  the 68 landmarks to a 150 x 150 "face chip".
 *
 * dlib's dnn_face_recognition_ry_metric_learning example (the net face-api
 * ships as face_recognition_model) feeds the network
 *	  extract_image_chip(img, get_face_chip_details(shape, 150, 0.25), chip)
 * i.e. the similarity transform (rotation, uniform scale, translation) that
 * best maps dlib's mean-face template onto the landmarks, with 25% padding
 * around the template, sampled with an image pyramid when the face is much
 * bigger than the chip and bilinear interpolation at the end.  face-api
 * itself only crops the detection box without rotating, so a tilted face
 * reaches its recogniser tilted; aligning as dlib did is the better input.
 *
 * This file reproduces dlib 19.x's dlib/image_transforms/interpolation.h
 * (get_face_chip_details, chip_details, extract_image_chips) and
 * image_pyramid.h (pyramid_down<2>) in plain C: same template, same point
 * selection, same rectangle conventions, same pyramid filter and level
 * choice, same bilinear rule and black background, same truncation of the
 * interpolated value to 8 bits.  One deliberate difference: dlib's shape
 * predictor hands over integer landmark positions, ours are the landmark
 * network's sub-pixel floats and are used as they are.
 *
 *-------------------------------------------------------------------------
 */
#ifndef FC_ALIGN_H
#define FC_ALIGN_H

#include "core/fc_common.h"
#include "core/image/image.h"
#include "face_sizes.h"

#define FC_CHIP_PADDING		0.25	/* what dlib's face recognition example uses */

/*
 * Where and how to cut a chip out of an image: dlib's chip_details.  The
 * rectangle (dlib drectangle convention: inclusive left/top/right/bottom,
 * so width = right - left + 1), rotated by angle about its centre, is
 * resampled to rows x cols.  a, b, tx, ty is the fitted similarity from
 * chip pixels (u, v) to image pixels (x, y):
 *	  x = a*u - b*v + tx,   y = b*u + a*v + ty
 * so scale = hypot(a, b) image pixels per chip pixel, angle = atan2(b, a).
 */
typedef struct fc_chip_details
{
	double		left,
				top,
				right,
				bottom;
	double		angle;			/* radians */
	int			rows,
				cols;
	double		a,
				b,
				tx,
				ty;
} fc_chip_details;

/*
 * dlib's get_face_chip_details(shape, size, padding): fit the mean-face
 * template to landmarks (68 (x, y) pairs in image pixels, x0 y0 x1 y1 ...;
 * only points 27-54 and 60-64 are used, as in dlib: eyebrows, jaw and lower
 * lip are ignored).  Fails with FC_ERR_INVALID_ARGUMENT on size < 1,
 * padding < 0, non-finite or degenerate (all coincident) landmarks.
 */
fc_status	fc_face_chip_details(const float *landmarks, int size, double padding,
								 fc_chip_details *out, fc_error *err);

/*
 * The template position of landmark i (0..67) in chip pixels for the given
 * size and padding; returns 0 (and leaves u, v alone) for points the fit
 * does not use.
 */
int			fc_face_template_point(int i, int size, double padding, double *u, double *v);

/*
 * dlib's extract_image_chip(img, details, chip): *chip gets a new
 * details->cols x details->rows RGB image (pixels from allocator; free with
 * fc_image_free).  Parts of the chip outside the image are black.
 * Temporary pyramid levels come from allocator too and are freed before
 * returning.
 */
fc_status	fc_extract_image_chip(const fc_image *img, const fc_chip_details *details,
								  const fc_allocator *allocator, fc_image *chip,
								  fc_error *err);

/*
 * For images that are already a face crop (no detection, no landmarks):
 * the square of side max(w, h) * (1 + 2 * pad) centred on the box
 * (box = x, y, w, h in pixels; NULL = the whole image), resampled to
 * size x size through the same pyramid + bilinear path as aligned chips;
 * outside the image is black.  pad = 0 keeps the box tight.
 */
fc_status	fc_crop_chip(const fc_image *img, const double *box, double pad, int size,
						 const fc_allocator *allocator, fc_image *chip, fc_error *err);

#endif							/* FC_ALIGN_H */
