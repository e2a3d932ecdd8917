/*-------------------------------------------------------------------------
 *
 * test_detector.c
 *	  Unit tests of the SSD face detector's pieces: the network input
 *	  (pad + TensorFlow bilinear resize), anchor decoding, scores, IoU,
 *	  face-api's NMS, the box mapping to pixels, and the argument checks of
 *	  the public API; every expected value is worked out by hand in the
 *	  comments.  The network itself is compared with face-api's numbers in
 *	  test_detector_golden.c.
 *
 * Exits non-zero on the first failed check.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/face/detector.h"
#include "core/face/netinput.h"
#include "core/face/ssd_boxes.h"

static int	failures = 0;

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		failures++; \
	} \
} while (0)

#define CHECK_NEAR(a, b, tol) do { \
	double _a = (a), _b = (b); \
	if (!(fabs(_a - _b) <= (tol))) { \
		fprintf(stderr, "%s:%d: %s = %.9g, expected %.9g (tol %g)\n", \
				__FILE__, __LINE__, #a, _a, _b, (double) (tol)); \
		failures++; \
	} \
} while (0)

/* ---- network input ---------------------------------------------------- */

static void
test_netinput_identity(void)
{
	/* a square image of the network's size passes through unchanged */
	uint8_t		img[4 * 4 * 3];
	float		out[4 * 4 * 3];

	for (int i = 0; i < 48; i++)
		img[i] = (uint8_t) (i * 5);
	fc_netinput_square(img, 4, 4, 12, 4, 0, out);
	for (int i = 0; i < 48; i++)
		CHECK(out[i] == (float) img[i]);
}

static void
test_netinput_pad(void)
{
	/*
	 * 2x1 image (w 2, h 1) into a 2x2 input: not centred, the padding row
	 * goes below, so row 0 is the image and row 1 is zero.  Centred the
	 * same: padToSquare appends round(1/2) = 1 row and prepends 0.
	 */
	uint8_t		img[2 * 3] = {10, 20, 30, 40, 50, 60};
	float		out[2 * 2 * 3];

	for (int centered = 0; centered <= 1; centered++)
	{
		fc_netinput_square(img, 2, 1, 6, 2, centered, out);
		for (int i = 0; i < 6; i++)
			CHECK(out[i] == img[i]);
		for (int i = 6; i < 12; i++)
			CHECK(out[i] == 0.0f);
	}
}

static void
test_netinput_centered(void)
{
	/*
	 * 1 wide x 3 tall into 3x3, centred: diff 2, round(2/2) = 1 column after
	 * and 1 before, so column 1 holds the image.  Not centred: column 0.
	 * Padded with stride 6 to check the stride is honoured.
	 */
	uint8_t		img[3 * 6] = {1, 2, 3, 99, 99, 99, 4, 5, 6, 99, 99, 99, 7, 8, 9, 99, 99, 99};
	float		out[3 * 3 * 3];

	fc_netinput_square(img, 1, 3, 6, 3, 1, out);
	for (int y = 0; y < 3; y++)
		for (int x = 0; x < 3; x++)
			for (int k = 0; k < 3; k++)
				CHECK(out[(y * 3 + x) * 3 + k] == (x == 1 ? img[y * 6 + k] : 0.0f));

	fc_netinput_square(img, 1, 3, 6, 3, 0, out);
	for (int y = 0; y < 3; y++)
		for (int x = 0; x < 3; x++)
			for (int k = 0; k < 3; k++)
				CHECK(out[(y * 3 + x) * 3 + k] == (x == 0 ? img[y * 6 + k] : 0.0f));
}

static void
test_netinput_resize(void)
{
	/*
	 * Gray ramp 4x4, value 10*y + x in every channel.
	 * Down to 2x2: ratio 2, output cell r reads source 2r exactly (frac 0),
	 * so out(y, x) = in(2y, 2x): no averaging (TensorFlow legacy rule).
	 * Up to 8x8: ratio 0.5; cell 3 reads 1.5 -> halfway between 1 and 2;
	 * cell 7 reads 3.5, its ceil clamped to 3 -> in(3).
	 */
	uint8_t		img[4 * 4 * 3];
	float		down[2 * 2 * 3];
	float		up[8 * 8 * 3];

	for (int y = 0; y < 4; y++)
		for (int x = 0; x < 4; x++)
			for (int k = 0; k < 3; k++)
				img[(y * 4 + x) * 3 + k] = (uint8_t) (10 * y + x);
	fc_netinput_square(img, 4, 4, 12, 2, 0, down);
	CHECK(down[0] == 0.0f);
	CHECK(down[(0 * 2 + 1) * 3] == 2.0f);
	CHECK(down[(1 * 2 + 0) * 3] == 20.0f);
	CHECK(down[(1 * 2 + 1) * 3 + 2] == 22.0f);

	fc_netinput_square(img, 4, 4, 12, 8, 0, up);
	CHECK_NEAR(up[(0 * 8 + 3) * 3], 1.5, 1e-6);
	CHECK_NEAR(up[(3 * 8 + 0) * 3], 15.0, 1e-6);
	CHECK_NEAR(up[(3 * 8 + 3) * 3 + 1], 16.5, 1e-6);
	CHECK_NEAR(up[(7 * 8 + 7) * 3], 33.0, 1e-6);

	/*
	 * 2 wide x 1 tall ramp {0, 100} to 4x4 (square side 2, ratio 0.5):
	 * row 1 reads source row 0.5, halfway between the image row and the
	 * zero padding below it: (0 + 50) / 2 = 25 at column 1.
	 */
	{
		uint8_t		r[6] = {0, 0, 0, 100, 100, 100};
		float		o[4 * 4 * 3];

		fc_netinput_square(r, 2, 1, 6, 4, 0, o);
		CHECK_NEAR(o[(0 * 4 + 1) * 3], 50.0, 1e-6);
		CHECK_NEAR(o[(1 * 4 + 1) * 3], 25.0, 1e-6);
		CHECK_NEAR(o[(2 * 4 + 3) * 3], 0.0, 1e-6);
	}
}

static void
test_netinput_reshaped(void)
{
	int			rw,
				rh;

	/* 1920x1280 -> scale 512/1920, 1280 * 0.26667 = 341.33 -> 341 */
	fc_netinput_reshaped(1920, 1280, 512, &rw, &rh);
	CHECK(rw == 512 && rh == 341);
	fc_netinput_reshaped(1280, 1920, 512, &rw, &rh);
	CHECK(rw == 341 && rh == 512);
	/* 1024x3: 3 * 0.5 = 1.5 rounds up to 2 (JavaScript's Math.round) */
	fc_netinput_reshaped(1024, 3, 512, &rw, &rh);
	CHECK(rw == 512 && rh == 2);
}

/* ---- decoding and scores ---------------------------------------------- */

static void
test_decode(void)
{
	/*
	 * Anchor ymin .2 xmin .3 ymax .6 xmax .5: height .4, width .2, centre
	 * (.4, .4).  Zero encodings give the anchor back.  (1, -2, 5 ln 2, 0):
	 * cy = .4 + 1/10 * .4 = .44, cx = .4 - 2/10 * .2 = .36, height .4 * 2 =
	 * .8, width .2 -> (.04, .26, .84, .46).
	 */
	float		anchors[8] = {.2f, .3f, .6f, .5f, .2f, .3f, .6f, .5f};
	float		enc[8] = {0, 0, 0, 0, 1, -2, 5 * logf(2), 0};
	float		boxes[8];

	fc_ssd_decode(anchors, enc, 2, boxes);
	for (int i = 0; i < 4; i++)
		CHECK_NEAR(boxes[i], anchors[i], 1e-6);
	CHECK_NEAR(boxes[4], .04, 1e-6);
	CHECK_NEAR(boxes[5], .26, 1e-6);
	CHECK_NEAR(boxes[6], .84, 1e-6);
	CHECK_NEAR(boxes[7], .46, 1e-6);
}

static void
test_scores(void)
{
	/* the face class is the second of three logits: sigmoid(0) = .5, sigmoid(ln 3) = .75 */
	float		logits[9] = {5, 0, -5, -5, logf(3), 5, 0, -100, 0};
	float		s[3];

	fc_ssd_scores(logits, 3, 3, s);
	CHECK_NEAR(s[0], 0.5, 1e-7);
	CHECK_NEAR(s[1], 0.75, 1e-6);
	CHECK_NEAR(s[2], 0.0, 1e-30);
}

static void
test_iou(void)
{
	float		a[4] = {0, 0, 1, 1};
	float		b[4] = {0, .5f, 1, 1.5f};	/* half of a: 0.5 / 1.5 */
	float		b_swapped[4] = {1, 1.5f, 0, .5f};	/* same box, corners swapped */
	float		far[4] = {2, 2, 3, 3};
	float		flat[4] = {0, 0, 0, 1};	/* no area */
	float		inner[4] = {0, 0, .5f, .5f};	/* quarter inside a */

	CHECK_NEAR(fc_ssd_iou(a, a), 1.0, 1e-12);
	CHECK_NEAR(fc_ssd_iou(a, b), 1.0 / 3.0, 1e-7);
	CHECK_NEAR(fc_ssd_iou(a, b_swapped), 1.0 / 3.0, 1e-7);
	CHECK(fc_ssd_iou(a, far) == 0.0);
	CHECK(fc_ssd_iou(a, flat) == 0.0);
	CHECK(fc_ssd_iou(flat, flat) == 0.0);
	CHECK_NEAR(fc_ssd_iou(a, inner), 0.25, 1e-7);
}

/* ---- NMS -------------------------------------------------------------- */

static void
test_nms(void)
{
	/*
	 * 0: A (0,0)-(1,1)          .90
	 * 1: B A moved right .05    .80  IoU(A,B) = .95/1.05 > .5: suppressed
	 * 2: C A moved right .5     .70  IoU(A,C) = 1/3: kept
	 * 3: D far                  .50  not > .5: never a candidate
	 * 4: E far elsewhere        .95  best, first
	 * 5: F = C moved up .1      .70  ties C; IoU(F,C) = .9/1.1 > .5 -> C (lower index) wins
	 * 6: G near A, NaN score    never a candidate
	 * Expected: E, A, C.
	 */
	float		boxes[7 * 4] = {
		0, 0, 1, 1,
		0, .05f, 1, 1.05f,
		0, .5f, 1, 1.5f,
		5, 5, 6, 6,
		8, 8, 9, 9,
		-.1f, .5f, .9f, 1.5f,
		0, 0, 1, 1,
	};
	float		scores[7] = {.9f, .8f, .7f, .5f, .95f, .7f, NAN};
	fc_ssd_candidate cand[7];
	int			sel[7];
	int			n;

	n = fc_ssd_nms(boxes, scores, 7, .5f, .5f, 7, cand, sel);
	CHECK(n == 3);
	CHECK(sel[0] == 4 && sel[1] == 0 && sel[2] == 2);

	/* max_out stops selection in score order */
	n = fc_ssd_nms(boxes, scores, 7, .5f, .5f, 2, cand, sel);
	CHECK(n == 2 && sel[0] == 4 && sel[1] == 0);

	/* a lower threshold lets D in; IoU threshold .96 keeps B as well */
	n = fc_ssd_nms(boxes, scores, 7, .4f, .96f, 7, cand, sel);
	CHECK(n == 6);
	CHECK(sel[0] == 4 && sel[1] == 0 && sel[2] == 1 && sel[3] == 2 &&
		  sel[4] == 5 && sel[5] == 3);

	/* nothing above the threshold */
	n = fc_ssd_nms(boxes, scores, 7, .96f, .5f, 7, cand, sel);
	CHECK(n == 0);
}

/* ---- mapping to pixels ------------------------------------------------ */

static void
test_to_pixels(void)
{
	fc_detection d;
	float		b1[4] = {.1f, .2f, .3f, .4f};
	float		b2[4] = {-.1f, -.2f, 1.2f, 1.1f};

	/*
	 * 1000x500 image: it covers 512 x 256 of the square, pad_y = 2.  Box
	 * (.1, .2, .3, .4): top .2 * 500 = 100, bottom .6 * 500 = 300, left
	 * .2 * 1000 = 200, right 400.
	 */
	fc_ssd_to_pixels(b1, .75f, 1000, 500, 512, &d);
	CHECK_NEAR(d.x, 200, 1e-3);
	CHECK_NEAR(d.y, 100, 1e-3);
	CHECK_NEAR(d.w, 200, 1e-3);
	CHECK_NEAR(d.h, 200, 1e-3);
	CHECK(d.score == .75f);

	/* clamped to [0,1] of the square before the pad scaling: bottom 1 * 2 * 500 */
	fc_ssd_to_pixels(b2, .6f, 1000, 500, 512, &d);
	CHECK_NEAR(d.x, 0, 1e-9);
	CHECK_NEAR(d.y, 0, 1e-9);
	CHECK_NEAR(d.w, 1000, 1e-3);
	CHECK_NEAR(d.h, 1000, 1e-3);

	/* 1920x1280: the image covers 341 rows, pad_y = 512/341; y .5 -> .5 * 512/341 * 1280 */
	fc_ssd_to_pixels(b1, .5f, 1920, 1280, 512, &d);
	CHECK_NEAR(d.y, .1 * 512.0 / 341.0 * 1280.0, 1e-3);
	CHECK_NEAR(d.x, .2 * 1920.0, 1e-3);

	/* a 1 x 5000 sliver covers 0 px of the square's width: finite boxes all the same */
	fc_ssd_to_pixels(b1, .5f, 1, 5000, 512, &d);
	CHECK(isfinite(d.x) && isfinite(d.w) && isfinite(d.y) && isfinite(d.h));
	CHECK_NEAR(d.y, .1 * 5000.0, 1e-2);

	/* a box wholly left of the square comes out with zero width, not negative */
	{
		float		b3[4] = {.1f, -.5f, .3f, -.2f};

		fc_ssd_to_pixels(b3, .5f, 100, 100, 512, &d);
		CHECK(d.w == 0.0f);
	}
}

/* ---- API argument checks (no weights needed) --------------------------- */

static void
test_api_arguments(void)
{
	fc_error	err;
	fc_detector *det = NULL;
	fc_detection out[1];
	int			n = 42;
	uint8_t		px[3] = {0, 0, 0};

	CHECK(fc_detector_init(NULL, &fc_malloc_allocator, &det, &err) == FC_ERR_INVALID_ARGUMENT);
	CHECK(det == NULL);
	CHECK(fc_detector_run(NULL, px, 1, 1, 3, .5f, out, 1, &n, NULL, &err) == FC_ERR_INVALID_ARGUMENT);
	CHECK(n == 0);
	fc_detector_free(NULL);
}

int
main(void)
{
	test_netinput_identity();
	test_netinput_pad();
	test_netinput_centered();
	test_netinput_resize();
	test_netinput_reshaped();
	test_decode();
	test_scores();
	test_iou();
	test_nms();
	test_to_pixels();
	test_api_arguments();

	if (failures)
	{
		fprintf(stderr, "test_detector: %d checks failed\n", failures);
		return 1;
	}
	printf("test_detector: all checks passed\n");
	return 0;
}
