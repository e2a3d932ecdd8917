/*-------------------------------------------------------------------------
 *
 * detector.h
 *	  Face detector: face-api's SsdMobilenetv1 (MobileNetV1 backbone + SSD
 *	  box predictors, 512 x 512 input) reproduced in plain C.
 *
 * What fc_detector_run does, step by step, as face-api's locateFaces:
 *	1. Input: the image is padded with zeros below or right of it to a
 *	   square and resized to 512 x 512 (netinput.h), then scaled to -1..1
 *	   (x / 127.5 - 1).
 *	2. MobileNetV1 (13 depthwise + pointwise pairs, ReLU6) and 8 extra
 *	   convolutions; box predictors on six feature maps (32x32 with 3
 *	   anchors a cell, 16, 8, 4, 2, 1 with 6): 5118 anchors in all.
 *	3. Each anchor's box encoding is decoded against the anchor table the
 *	   weights carry ("Output/extra_dim"); the face score is the sigmoid of
 *	   the second class logit.
 *	4. Non-maximum suppression exactly as face-api's own: candidates with
 *	   score > min_score in descending score order, a candidate is dropped
 *	   when its IoU with an already selected box exceeds 0.5, at most
 *	   max_out selected.
 *	5. Boxes map back to input-image pixels the way face-api does: relative
 *	   coordinates clamped to [0, 1] of the square, divided by the image's
 *	   share of the square, multiplied by the image size.  A box touching
 *	   the padded border can therefore extend past the image's bottom or
 *	   right edge; callers that crop clip it themselves.
 *
 * Cost: about 3.1 G multiply-accumulates whatever the image size (the
 * resize to 512 is the only size-dependent step and is cheap).
 *
 * Memory: fc_detector_init allocates every buffer the network needs (27.5 MB
 * of activations and scratch) through the allocator it is given;
 * fc_detector_run allocates nothing, so one detector serves any number of
 * images.  A detector is not thread-safe: one per thread (or backend).
 * The weights must outlive the detector, which points into them.
 *
 *-------------------------------------------------------------------------
 */
#ifndef FC_DETECTOR_H
#define FC_DETECTOR_H

#include <stdint.h>

#include "core/fc_common.h"
#include "core/nn/weights.h"

#define FC_DETECTOR_INPUT_SIZE	512		/* network input, pixels a side */
#define FC_DETECTOR_ANCHORS		5118	/* boxes the network scores */
#define FC_DETECTOR_IOU			0.5f	/* face-api's NMS IoU threshold */
#define FC_DETECTOR_MAX_RESULTS 100		/* face-api's default maxResults */
#define FC_DETECTOR_MIN_SCORE	0.5f	/* face-api's default minConfidence */

/* One detected face, in pixels of the image given to fc_detector_run. */
typedef struct fc_detection
{
	float		x;				/* left edge */
	float		y;				/* top edge */
	float		w;				/* width */
	float		h;				/* height */
	float		score;			/* detector confidence, 0..1 */
} fc_detection;

typedef struct fc_detector fc_detector;

/*
 * Build a detector over weights (an ssd_mobilenetv1 .fwt file): checks that
 * every tensor is present with the expected shape and allocates the run
 * state through alloc (which must stay valid until fc_detector_free).
 * Returns FC_ERR_MODEL naming the first missing or misshapen tensor,
 * FC_ERR_NOMEM if alloc fails; *out is set only on success.
 */
fc_status	fc_detector_init(const fc_weights *weights, const fc_allocator *alloc,
							 fc_detector **out, fc_error *err);

/* Floating-point operations of one forward pass (2 per multiply-add), for benchmarks. */
double		fc_detector_flops(const fc_detector *det);

/* Free everything fc_detector_init allocated (through its allocator).  NULL is fine. */
void		fc_detector_free(fc_detector *det);

/*
 * Detect faces in the w x h RGB image rgb (3 bytes a pixel, rows stride
 * bytes apart).  Faces with score > min_score (face-api's minConfidence,
 * 0 < min_score < 1; FC_DETECTOR_MIN_SCORE is its default) are written to
 * out[0 .. *n_out - 1] in descending score order, at most max_out of them
 * (face-api's maxResults; FC_DETECTOR_MAX_RESULTS is its default).
 *
 * hooks may be NULL; hooks->interrupted is polled between layers and a
 * nonzero answer returns FC_ERR_CANCELLED.  Returns FC_ERR_INVALID_ARGUMENT
 * for a NULL image, w or h < 1, stride < 3 * w, min_score outside (0, 1)
 * or max_out < 1.  Allocates nothing.
 */
fc_status	fc_detector_run(fc_detector *det, const uint8_t *rgb, int w, int h,
							int stride, float min_score,
							fc_detection *out, int max_out, int *n_out,
							const fc_hooks *hooks, fc_error *err);

/*
 * Lower level, for golden tests and tools: run the network on a prepared
 * 512 x 512 x 3 NHWC input with pixel values 0..255 (what
 * fc_netinput_square produces; normalisation to -1..1 happens here).  On
 * success the decoded boxes and scores of all FC_DETECTOR_ANCHORS anchors
 * are readable through the two accessors below until the next run.
 */
fc_status	fc_detector_forward(fc_detector *det, const float *input,
								const fc_hooks *hooks, fc_error *err);

/* Anchor boxes after the last forward: [ymin, xmin, ymax, xmax] relative to the square input. */
const float *fc_detector_boxes(const fc_detector *det);

/* Face scores (sigmoid) after the last forward, one per anchor. */
const float *fc_detector_scores(const fc_detector *det);

#endif							/* FC_DETECTOR_H */
