/*-------------------------------------------------------------------------
 *
 * landmarks.h
 *	  The 68-point face landmark network: face-api's FaceLandmark68Net (the
 *	  full one, not the tiny), 112x112 RGB face crop in, 68 (x, y) points out.
 *
 * How face-api makes the input (reproduce it to get its points):
 *	1. Crop the detection box, clipped to the image and floored to integer
 *	   pixels (Box.clipAtImageBorders).
 *	2. Pad the crop with zeros (black, before normalisation) to a square of
 *	   side max(w, h), centred: the short side gets diff - round(diff/2) =
 *	   floor(diff/2) zero rows/columns before the crop and round(diff/2)
 *	   after it.
 *	3. Resize the square to 112x112 with tf.image.resizeBilinear
 *	   (align_corners = false, half_pixel_centers = false), skipped if the
 *	   side is already 112.  fc_image_resize_float(FC_RESIZE_BILINEAR_TF)
 *	   with a centred fc_region does steps 2 and 3 in one pass.
 * The result, RGB 0..255 as floats, is what fc_landmarks_forward() takes;
 * the mean subtraction and scaling happen inside.
 *
 * The output is 136 floats x0 y0 x1 y1 ... relative to the 112x112 input
 * (0..1 inside it; points may fall slightly outside).  Back to crop pixels:
 * x_crop = x * side - pad_left, y_crop = y * side - pad_top, where side =
 * max(w, h) and pad_* the zero columns/rows added before the crop in step 2.
 * (face-api itself subtracts the unrounded |w - h| / 2, up to half a pixel
 * of the square different from the padding it applied.)
 *
 * Point order is the iBUG 300-W / dlib order: 0-16 jaw, 17-26 brows, 27-35
 * nose, 36-41 left eye, 42-47 right eye, 48-67 mouth.
 *
 * One instance runs one forward pass at a time (it owns its run state).
 *
 *-------------------------------------------------------------------------
 */
#ifndef FC_LANDMARKS_H
#define FC_LANDMARKS_H

#include "core/fc_common.h"
#include "core/nn/weights.h"
#include "face_sizes.h"

#define FC_LANDMARKS_INPUT_SIZE 112 /* input is 112 x 112 x 3 */
#define FC_LANDMARKS_OUTPUTS (2 * FC_LANDMARK_COUNT)

typedef struct fc_landmarks fc_landmarks;

/*
 * Bind the network to w (face_landmark_68_model weights, which must outlive
 * it) and allocate its run state (about 3 MB) through hooks->allocator;
 * hooks is copied and its interrupt callback polled before each dense block.
 * FC_ERR_MODEL if a tensor is missing or mis-shaped, FC_ERR_NOMEM.
 */
fc_status	fc_landmarks_init(const fc_weights *w, const fc_hooks *hooks,
							  fc_landmarks **out, fc_error *err);

void		fc_landmarks_free(fc_landmarks *lm);

/*
 * Run the net on rgb (112*112*3 floats, NHWC, RGB 0..255) and write
 * FC_LANDMARKS_OUTPUTS floats, relative to the input, to points.  Never
 * allocates.  FC_ERR_CANCELLED if interrupted.
 */
fc_status	fc_landmarks_forward(fc_landmarks *lm, const float *rgb,
								 float *points, fc_error *err);

/* FLOPs of one forward pass (2 per multiply-add), for benchmarks. */
double		fc_landmarks_flops(const fc_landmarks *lm);

#endif							/* FC_LANDMARKS_H */
