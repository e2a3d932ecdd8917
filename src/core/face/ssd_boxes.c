/*-------------------------------------------------------------------------
 *
 * ssd_boxes.c
 *	  Anchor decoding, sigmoid scores, face-api's non-maximum suppression
 *	  and the box mapping to pixels (see ssd_boxes.h).
 *
 * Arithmetic follows face-api's tensor ops: decoding in float32 as tfjs
 * does it, IoU and the pixel mapping in doubles as its JavaScript does,
 * so that scores and boxes agree with the reference to float rounding.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdlib.h>

#include "ssd_boxes.h"
#include "netinput.h"

void
fc_ssd_decode(const float *anchors, const float *enc, int n, float *boxes)
{
	for (int i = 0; i < n; i++)
	{
		const float *a = anchors + (size_t) i * 4;
		const float *t = enc + (size_t) i * 4;
		float	   *b = boxes + (size_t) i * 4;
		float		hgt = a[2] - a[0];
		float		wid = a[3] - a[1];
		float		cy = a[0] + hgt / 2.0f;
		float		cx = a[1] + wid / 2.0f;
		float		half_h = expf(t[2] / 5.0f) * hgt / 2.0f;
		float		half_w = expf(t[3] / 5.0f) * wid / 2.0f;
		float		y = t[0] / 10.0f * hgt + cy;
		float		x = t[1] / 10.0f * wid + cx;

		b[0] = y - half_h;
		b[1] = x - half_w;
		b[2] = y + half_h;
		b[3] = x + half_w;
	}
}

void
fc_ssd_scores(const float *logits, int n, int nclass, float *scores)
{
	for (int i = 0; i < n; i++)
		scores[i] = 1.0f / (1.0f + expf(-logits[(size_t) i * nclass + 1]));
}

double
fc_ssd_iou(const float *a, const float *b)
{
	double		ay0 = fmin(a[0], a[2]), ax0 = fmin(a[1], a[3]);
	double		ay1 = fmax(a[0], a[2]), ax1 = fmax(a[1], a[3]);
	double		by0 = fmin(b[0], b[2]), bx0 = fmin(b[1], b[3]);
	double		by1 = fmax(b[0], b[2]), bx1 = fmax(b[1], b[3]);
	double		area_a = (ay1 - ay0) * (ax1 - ax0);
	double		area_b = (by1 - by0) * (bx1 - bx0);
	double		inter;

	if (area_a <= 0 || area_b <= 0)
		return 0.0;
	inter = fmax(fmin(ay1, by1) - fmax(ay0, by0), 0.0) *
		fmax(fmin(ax1, bx1) - fmax(ax0, bx0), 0.0);
	return inter / (area_a + area_b - inter);
}

/* Descending score, then ascending index: a stable sort's order. */
static int
candidate_cmp(const void *pa, const void *pb)
{
	const fc_ssd_candidate *a = pa;
	const fc_ssd_candidate *b = pb;

	if (a->score != b->score)
		return a->score > b->score ? -1 : 1;
	return (a->index > b->index) - (a->index < b->index);
}

int
fc_ssd_nms(const float *boxes, const float *scores, int n,
		   float min_score, float iou_threshold, int max_out,
		   fc_ssd_candidate *scratch, int *selected)
{
	int			ncand = 0;
	int			nsel = 0;

	for (int i = 0; i < n; i++)
	{
		/* "!(s <= min)" would let NaN through; NaN never compares greater */
		if (scores[i] > min_score)
		{
			scratch[ncand].score = scores[i];
			scratch[ncand].index = i;
			ncand++;
		}
	}
	qsort(scratch, ncand, sizeof(fc_ssd_candidate), candidate_cmp);

	for (int c = 0; c < ncand && nsel < max_out; c++)
	{
		const float *box = boxes + (size_t) scratch[c].index * 4;
		int			keep = 1;

		/*
		 * face-api multiplies the score by 0 when IoU > threshold, so one
		 * overlapping kept box suppresses the candidate; it scans the kept
		 * boxes newest first, which does not change the outcome.
		 */
		for (int j = nsel - 1; j >= 0; j--)
		{
			if (fc_ssd_iou(box, boxes + (size_t) selected[j] * 4) > iou_threshold)
			{
				keep = 0;
				break;
			}
		}
		if (keep)
			selected[nsel++] = scratch[c].index;
	}
	return nsel;
}

void
fc_ssd_to_pixels(const float *box, float score, int w, int h, int size,
				 fc_detection *out)
{
	int			rw,
				rh;
	double		pad_x,
				pad_y,
				top,
				bottom,
				left,
				right;

	/* the image covers rw x rh of the square; relative units of the square -> of the image */
	fc_netinput_reshaped(w, h, size, &rw, &rh);
	/* a sliver image (1 x 5000) rounds to 0 px of the square; face-api divides by it */
	if (rw < 1)
		rw = 1;
	if (rh < 1)
		rh = 1;
	pad_x = (double) size / rw;
	pad_y = (double) size / rh;
	top = fmax(0.0, box[0]) * pad_y;
	bottom = fmin(1.0, box[2]) * pad_y;
	left = fmax(0.0, box[1]) * pad_x;
	right = fmin(1.0, box[3]) * pad_x;

	out->x = (float) (left * w);
	out->y = (float) (top * h);
	/* a box wholly outside the square would come out negative (face-api throws) */
	out->w = (float) (fmax(right - left, 0.0) * w);
	out->h = (float) (fmax(bottom - top, 0.0) * h);
	out->score = score;
}
