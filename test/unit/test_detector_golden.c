/*-------------------------------------------------------------------------
 *
 * test_detector_golden.c
 *	  The SSD face detector against face-api 1.7.15's own numbers
 *	  (test/golden/, written by test/golden/generate.mjs):
 *
 *	1. Same input tensor: the seeded 512 x 512 image of golden.h through
 *	   fc_detector_forward; every recorded anchor (the 100 best and every
 *	   50th) must have face-api's score to 1e-4 and box corners to 1e-4, and
 *	   the sums over all 5118 anchors must agree.
 *	2. The sample photos (models/samples/, fetched by "make models"),
 *	   decoded here with libjpeg (test code only; face-api used jpeg-js,
 *	   whose pixels differ slightly, hence the looser score tolerance)
 *	   through fc_detector_run at min_score 0.5: the same number of faces
 *	   (22 over the six photos), each golden face matched by a detection
 *	   with IoU >= 0.95 and a score within 0.02.
 *
 *	3. Robustness of the API with real weights: argument checks, odd image
 *	   shapes (1x1, slivers), cancellation between layers (and a normal run
 *	   afterwards), every allocation failure in init (FC_ERR_NOMEM, nothing
 *	   leaked), and the wrong weights file (FC_ERR_MODEL naming a tensor).
 *
 * Needs models/ssd_mobilenetv1.fwt ($FACE_MODEL_DIR overrides models/);
 * without it the test says so and passes, since the unit suite must build
 * and run before "make models" has been run.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#include "alloc_check.h"
#include "core/face/detector.h"
#include "golden.h"
#include "core/face/ssd_boxes.h"

static int	failures = 0;

#define CHECK(cond, ...) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: ", __FILE__, __LINE__); \
		fprintf(stderr, __VA_ARGS__); \
		fputc('\n', stderr); \
		failures++; \
	} \
} while (0)

static const char *
model_dir(void)
{
	const char *d = getenv("FACE_MODEL_DIR");

	return d != NULL ? d : "models";
}

/* ---- 1. the seeded tensor ---------------------------------------------- */

/* Compare the recorded anchors of one tag ("ssd" or "ssd_every50"); returns how many. */
static int
compare_anchors(fc_detector *det, const char *tag, double *max_score_err,
				double *max_box_err)
{
	const float *scores = fc_detector_scores(det);
	const float *boxes = fc_detector_boxes(det);
	int			n;

	for (n = 0;; n++)
	{
		double		v[8];
		int			a;

		if (fc_golden_find("nets.txt", (const char *[]) {tag}, 1, n, v, 8) != 7)
			break;
		a = (int) v[0];
		if (a < 0 || a >= FC_DETECTOR_ANCHORS)
		{
			CHECK(0, "%s line %d: anchor %d out of range", tag, n, a);
			continue;
		}
		if (fabs(scores[a] - v[1]) > *max_score_err)
			*max_score_err = fabs(scores[a] - v[1]);
		CHECK(fabs(scores[a] - v[1]) <= 1e-4, "anchor %d score %.7f, face-api %.7f", a, scores[a], v[1]);
		for (int k = 0; k < 4; k++)
		{
			double		e = fabs(boxes[a * 4 + k] - v[3 + k]);

			if (e > *max_box_err)
				*max_box_err = e;
			CHECK(e <= 1e-4, "anchor %d box[%d] %.7f, face-api %.7f", a, k, boxes[a * 4 + k], v[3 + k]);
		}
	}
	return n;
}

static void
test_seeded_tensor(fc_detector *det)
{
	float	   *px = malloc(sizeof(float) * 512 * 512 * 3);
	double		info[4],
				sums[3];
	double		sum,
				score_sum = 0,
				box_sum = 0,
				max_score_err = 0,
				max_box_err = 0;
	fc_error	err;
	int			n1,
				n2;

	if (px == NULL)
	{
		CHECK(0, "out of memory");
		return;
	}
	sum = fc_golden_input(px, 512, 512, FC_GOLDEN_SEED_SSD);
	CHECK(fc_golden_find("nets.txt", (const char *[]) {"ssd_input"}, 1, 0, info, 4) == 4,
		  "nets.txt has no ssd_input record");
	CHECK(sum == info[3], "seeded input sums to %.0f, face-api's to %.0f", sum, info[3]);

	CHECK(fc_detector_forward(det, px, NULL, &err) == FC_OK, "forward: %s", err.message);
	for (int i = 0; i < FC_DETECTOR_ANCHORS; i++)
	{
		score_sum += fc_detector_scores(det)[i];
		for (int k = 0; k < 4; k++)
			box_sum += fc_detector_boxes(det)[i * 4 + k];
	}
	CHECK(fc_golden_find("nets.txt", (const char *[]) {"ssd_anchors"}, 1, 0, sums, 3) == 3,
		  "nets.txt has no ssd_anchors record");
	CHECK(sums[0] == FC_DETECTOR_ANCHORS, "face-api has %.0f anchors", sums[0]);
	CHECK(fabs(score_sum - sums[1]) <= 1e-3, "score sum %.6f, face-api %.6f", score_sum, sums[1]);
	CHECK(fabs(box_sum - sums[2]) <= 1e-2, "box sum %.4f, face-api %.4f", box_sum, sums[2]);

	n1 = compare_anchors(det, "ssd", &max_score_err, &max_box_err);
	n2 = compare_anchors(det, "ssd_every50", &max_score_err, &max_box_err);
	CHECK(n1 == 100 && n2 > 100, "golden records: %d top, %d spread", n1, n2);
	printf("seeded tensor: %d anchors compared, max |score diff| %.2e, max |box diff| %.2e\n",
		   n1 + n2, max_score_err, max_box_err);
	free(px);
}

/* ---- 2. the sample photos ---------------------------------------------- */

typedef struct jpeg_fail
{
	struct jpeg_error_mgr pub;
	jmp_buf		jump;
} jpeg_fail;

static void
jpeg_fail_exit(j_common_ptr cinfo)
{
	longjmp(((jpeg_fail *) cinfo->err)->jump, 1);
}

/* Decode path to RGB (malloc'd, caller frees) or NULL. */
static uint8_t *
decode_jpeg(const char *path, int *w, int *h)
{
	struct jpeg_decompress_struct cinfo;
	jpeg_fail	jerr;
	FILE	   *f = fopen(path, "rb");
	uint8_t    *volatile rgb = NULL;

	if (f == NULL)
		return NULL;
	cinfo.err = jpeg_std_error(&jerr.pub);
	jerr.pub.error_exit = jpeg_fail_exit;
	if (setjmp(jerr.jump))
	{
		jpeg_destroy_decompress(&cinfo);
		fclose(f);
		free(rgb);
		return NULL;
	}
	jpeg_create_decompress(&cinfo);
	jpeg_stdio_src(&cinfo, f);
	jpeg_read_header(&cinfo, TRUE);
	cinfo.out_color_space = JCS_RGB;
	jpeg_start_decompress(&cinfo);
	*w = cinfo.output_width;
	*h = cinfo.output_height;
	rgb = malloc((size_t) *w * *h * 3);
	while (rgb != NULL && cinfo.output_scanline < cinfo.output_height)
	{
		JSAMPROW	row = rgb + (size_t) cinfo.output_scanline * *w * 3;

		jpeg_read_scanlines(&cinfo, &row, 1);
	}
	jpeg_finish_decompress(&cinfo);
	jpeg_destroy_decompress(&cinfo);
	fclose(f);
	return rgb;
}

/* A detection as a relative-free corner box [ymin, xmin, ymax, xmax] for fc_ssd_iou. */
static void
corners(double x, double y, double w, double h, float *b)
{
	b[0] = (float) y;
	b[1] = (float) x;
	b[2] = (float) (y + h);
	b[3] = (float) (x + w);
}

static void
test_samples(fc_detector *det)
{
	int			total = 0;
	double		worst_iou = 1,
				worst_score = 0;

	for (int s = 1; s <= 6; s++)
	{
		char		file[32],
					path[1024];
		double		info[4];
		uint8_t    *rgb;
		int			w,
					h,
					n;
		fc_detection out[FC_DETECTOR_MAX_RESULTS];
		fc_error	err;

		snprintf(file, sizeof(file), "sample%d.jpg", s);
		snprintf(path, sizeof(path), "%s/samples/%s", model_dir(), file);
		rgb = decode_jpeg(path, &w, &h);
		if (rgb == NULL)
		{
			CHECK(0, "cannot decode %s", path);
			continue;
		}
		if (fc_golden_find("samples.txt", (const char *[]) {"image", file}, 2, 0, info, 4) != 4)
		{
			CHECK(0, "samples.txt has no image record for %s", file);
			free(rgb);
			continue;
		}
		CHECK(info[0] == w && info[1] == h, "%s is %dx%d, face-api saw %.0fx%.0f", file, w, h, info[0], info[1]);

		if (fc_detector_run(det, rgb, w, h, w * 3, FC_DETECTOR_MIN_SCORE, out,
							FC_DETECTOR_MAX_RESULTS, &n, NULL, &err) != FC_OK)
		{
			CHECK(0, "%s: %s", file, err.message);
			free(rgb);
			continue;
		}
		CHECK(n == (int) info[3], "%s: %d faces, face-api found %.0f", file, n, info[3]);
		total += n;

		for (int i = 0; i < (int) info[3]; i++)
		{
			double		g[6];
			float		gb[4],
						db[4];
			double		best = 0;
			int			bi = -1;

			if (fc_golden_find("samples.txt", (const char *[]) {"face", file}, 2, i, g, 6) != 6)
			{
				CHECK(0, "%s: no golden face %d", file, i);
				continue;
			}
			corners(g[2], g[3], g[4], g[5], gb);
			for (int j = 0; j < n; j++)
			{
				double		iou;

				corners(out[j].x, out[j].y, out[j].w, out[j].h, db);
				iou = fc_ssd_iou(gb, db);
				if (iou > best)
				{
					best = iou;
					bi = j;
				}
			}
			CHECK(best >= 0.95, "%s face %d: best IoU %.4f", file, i, best);
			if (bi >= 0)
			{
				CHECK(fabs(out[bi].score - g[1]) <= 0.02, "%s face %d: score %.4f, face-api %.4f",
					  file, i, out[bi].score, g[1]);
				if (fabs(out[bi].score - g[1]) > worst_score)
					worst_score = fabs(out[bi].score - g[1]);
			}
			if (best < worst_iou)
				worst_iou = best;
		}
		free(rgb);
	}
	CHECK(total == 22, "%d faces over the six samples, expected 22", total);
	printf("samples: %d faces, worst IoU with face-api %.4f, worst score diff %.4f\n",
		   total, worst_iou, worst_score);
}

/* ---- 3. robustness ---------------------------------------------------- */

/* Adapters for alloc_check_init_paths(). */
static fc_status
detector_init_with(void *w, const fc_allocator *a, void **obj, fc_error *err)
{
	return fc_detector_init(w, a, (fc_detector **) obj, err);
}

static void
detector_free_any(void *obj)
{
	fc_detector_free(obj);
}

/* Says stop after `after` polls. */
static int
stop_after(void *ctx)
{
	int		   *left = ctx;

	return (*left)-- <= 0;
}

static void
test_robustness(const fc_weights *w, fc_detector *det)
{
	fc_error	err;
	fc_detection out[FC_DETECTOR_MAX_RESULTS];
	int			n;
	uint8_t    *img = calloc(5000 * 3, 1);
	float		bad_scores[] = {0.0f, 1.0f, -0.5f, NAN};

	/* argument checks */
	for (int i = 0; i < 4; i++)
		CHECK(fc_detector_run(det, img, 10, 10, 30, bad_scores[i], out, 10, &n, NULL, &err) ==
			  FC_ERR_INVALID_ARGUMENT, "min_score %g accepted", bad_scores[i]);
	CHECK(fc_detector_run(det, img, 10, 10, 29, .5f, out, 10, &n, NULL, &err) == FC_ERR_INVALID_ARGUMENT,
		  "stride < 3w accepted");
	CHECK(fc_detector_run(det, img, 0, 10, 30, .5f, out, 10, &n, NULL, &err) == FC_ERR_INVALID_ARGUMENT,
		  "zero width accepted");
	CHECK(fc_detector_run(det, img, 10, 10, 30, .5f, out, 0, &n, NULL, &err) == FC_ERR_INVALID_ARGUMENT,
		  "max_out 0 accepted");

	/* odd shapes: no crash, no faces in black pixels */
	{
		int			shapes[][2] = {{1, 1}, {1, 5000}, {5000, 1}, {3, 2}};

		for (int i = 0; i < 4; i++)
		{
			fc_status	st = fc_detector_run(det, img, shapes[i][0], shapes[i][1], shapes[i][0] * 3,
											 .5f, out, 10, &n, NULL, &err);

			CHECK(st == FC_OK && n == 0, "%dx%d image: status %d, %d faces",
				  shapes[i][0], shapes[i][1], (int) st, n);
		}
	}

	/* cancellation at every poll point, then a normal run still works */
	{
		float	   *px = malloc(sizeof(float) * 512 * 512 * 3);
		int			left;
		fc_hooks	hooks = {NULL, stop_after, &left};

		fc_golden_input(px, 512, 512, FC_GOLDEN_SEED_SSD);
		/* 35 layers, one poll before each */
		for (int k = 0; k < 35; k += 6)
		{
			left = k;
			CHECK(fc_detector_forward(det, px, &hooks, &err) == FC_ERR_CANCELLED,
				  "not cancelled after %d polls", k);
		}
		CHECK(fc_detector_forward(det, px, NULL, &err) == FC_OK, "forward after cancel: %s", err.message);
		free(px);
	}

	/* every allocation failure in init: FC_ERR_NOMEM and nothing leaked */
	failures += alloc_check_init_paths(detector_init_with, detector_free_any, (void *) w);

	/* the wrong network's weights */
	{
		char		path[1024];
		fc_weights *lm;
		fc_detector *d = NULL;

		snprintf(path, sizeof(path), "%s/landmarks68.fwt", model_dir());
		if (fc_weights_open(path, &lm, &err) == FC_OK)
		{
			CHECK(fc_detector_init(lm, &fc_malloc_allocator, &d, &err) == FC_ERR_MODEL,
				  "landmark weights accepted by the detector");
			CHECK(strstr(err.message, "MobilenetV1/Conv2d_0_pointwise") != NULL,
				  "error does not name the missing tensor: %s", err.message);
			CHECK(d == NULL, "failed init set its output");
			fc_weights_close(lm);
		}
	}
	free(img);
}

int
main(void)
{
	char		path[1024];
	fc_weights *w;
	fc_detector *det;
	fc_error	err;
	FILE	   *probe;

	snprintf(path, sizeof(path), "%s/ssd_mobilenetv1.fwt", model_dir());
	if ((probe = fopen(path, "rb")) == NULL)
	{
		printf("test_detector_golden: %s not found (run \"make models\"); skipped\n", path);
		return 0;
	}
	fclose(probe);

	if (fc_weights_open(path, &w, &err) != FC_OK)
	{
		fprintf(stderr, "%s: %s\n", path, err.message);
		return 1;
	}
	if (fc_detector_init(w, &fc_malloc_allocator, &det, &err) != FC_OK)
	{
		fprintf(stderr, "detector init: %s\n", err.message);
		return 1;
	}

	test_seeded_tensor(det);
	test_samples(det);
	test_robustness(w, det);

	fc_detector_free(det);
	fc_weights_close(w);
	if (failures)
	{
		fprintf(stderr, "test_detector_golden: %d checks failed\n", failures);
		return 1;
	}
	printf("test_detector_golden: all checks passed\n");
	return 0;
}
