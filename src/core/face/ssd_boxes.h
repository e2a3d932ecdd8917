/*-------------------------------------------------------------------------
 *
 * ssd_boxes.h
 *	  The SSD detector's post-processing, as face-api does it: anchor
 *	  decoding, face scores, non-maximum suppression and the mapping of
 *	  boxes back to image pixels.  Pure functions over arrays, private to
 *	  the core (detector.c uses them; test_detector.c checks them by hand).
 *
 * Boxes are [ymin, xmin, ymax, xmax] relative to the square network input,
 * TensorFlow's object-detection order, as both the anchors and face-api's
 * decoded boxes are.
 *
 *-------------------------------------------------------------------------
 */
#ifndef FC_SSD_BOXES_H
#define FC_SSD_BOXES_H

#include "detector.h"

/*
 * Decode n box encodings enc[n][4] = (ty, tx, th, tw) against anchors[n][4]
 * into boxes[n][4], with TensorFlow's scale factors 10, 10, 5, 5:
 * centre = anchor centre + t / 10 * anchor size, size = anchor size *
 * exp(t / 5).  boxes may not alias enc or anchors.
 */
void		fc_ssd_decode(const float *anchors, const float *enc, int n,
						  float *boxes);

/* scores[i] = sigmoid(logits[i * nclass + 1]): the face class of anchor i. */
void		fc_ssd_scores(const float *logits, int n, int nclass, float *scores);

/*
 * Intersection over union of two boxes, corners in either order (face-api
 * normalises them); 0 when either box has no area.
 */
double		fc_ssd_iou(const float *a, const float *b);

/* A score and its anchor; fc_ssd_nms's scratch, n of them. */
typedef struct fc_ssd_candidate
{
	float		score;
	int			index;
} fc_ssd_candidate;

/*
 * face-api's nonMaxSuppression: anchors with score > min_score, in
 * descending score order (ties by anchor index, as JavaScript's stable
 * sort leaves them), each kept unless its IoU with a box kept before it
 * exceeds iou_threshold; stops after max_out kept.  Writes the kept anchor
 * indices to selected[] (room for max_out) and returns how many.  scratch
 * holds n candidates.
 */
int			fc_ssd_nms(const float *boxes, const float *scores, int n,
					   float min_score, float iou_threshold, int max_out,
					   fc_ssd_candidate *scratch, int *selected);

/*
 * Map a relative box (of a w x h image padded below/right to a square and
 * resized to size) to image pixels as face-api's locateFaces does; the
 * score is copied through.
 */
void		fc_ssd_to_pixels(const float *box, float score, int w, int h,
							 int size, fc_detection *out);

#endif							/* FC_SSD_BOXES_H */
