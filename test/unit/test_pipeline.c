/*
 * test_pipeline.c: the face pipeline (src/core/pipeline.c) end to end on the
 * sample photos "make models" fetched (models/samples), against face-api's
 * numbers in test/golden/samples.txt:
 *	- decoder + recognizer on face-api's own descriptor crop (chip_rect):
 *	  within 0.03 of face-api's descriptor (what is left is libjpeg-turbo vs
 *	  jpeg-js; ANCHORS.md measured a median 0.055 through face-api's path);
 *	- fc_pipeline_faces finds face-api's faces (count, IoU >= 0.95);
 *	- the most prominent face rule; option checking; a 1x1 image refused;
 *	- cancellation stops the call with FC_ERR_CANCELLED, and every byte the
 *	  pipeline allocated per call is freed on success and on every error.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden.h"
#include "core/image/image.h"
#include "core/face/pipeline.h"
#include "core/face/recognizer.h"
#include "core/nn/weights.h"

static int	failures = 0;

#define CHECK(cond, ...) do { \
	if (!(cond)) { failures++; fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
		fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)

/* An allocator that counts live blocks, to prove the pipeline frees everything. */
static long live_blocks = 0;

static void *
count_alloc(void *ctx, size_t size)
{
	void	   *p = malloc(size);

	if (p)
		live_blocks++;
	return p;
}

static void
count_free(void *ctx, void *p)
{
	if (p)
		live_blocks--;
	free(p);
}

static const fc_allocator counting = {count_alloc, count_free, NULL};

static int	interrupt_after = -1;	/* polls before "cancel"; -1 = never */

static int
interrupted(void *ctx)
{
	return interrupt_after >= 0 && interrupt_after-- == 0;
}

static uint8_t *
read_file(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	uint8_t    *b;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	*len = ftell(f);
	fseek(f, 0, SEEK_SET);
	b = malloc(*len);
	if (b && fread(b, 1, *len, f) != *len)
	{
		free(b);
		b = NULL;
	}
	fclose(f);
	return b;
}

static double
dist(const float *a, const double *b)
{
	double		s = 0;

	for (int k = 0; k < FC_EMBEDDING_DIMS; k++)
		s += (a[k] - b[k]) * (a[k] - b[k]);
	return sqrt(s);
}

static double
iou(const fc_face *f, const double *r)	/* r = x y w h */
{
	double		ix = fmin(f->x + f->w, r[0] + r[2]) - fmax(f->x, r[0]),
				iy = fmin(f->y + f->h, r[1] + r[3]) - fmax(f->y, r[1]),
				i = (ix > 0 && iy > 0) ? ix * iy : 0;

	return i / (f->w * f->h + r[2] * r[3] - i);
}

/* face-api's descriptor crop through our decoder and recognizer. */
static void
test_faceapi_crop(const char *file, const uint8_t *data, size_t len, fc_recognizer *rec)
{
	fc_image	img;
	fc_error	err = {0};
	float	   *px = malloc(sizeof(float) * 150 * 150 * 3);
	float		out[FC_EMBEDDING_DIMS];

	CHECK(fc_image_decode(data, len, NULL, NULL, &img, NULL, &err) == FC_OK, "%s: %s", file, err.message);
	for (int i = 0;; i++)
	{
		double		cr[8],
					de[200];
		int			x, y, w, h, side;
		fc_region	r;

		if (fc_golden_find("samples.txt", (const char *[]) {"chip_rect", file}, 2, i, cr, 8) < 5)
			break;
		CHECK(fc_golden_find("samples.txt", (const char *[]) {"descriptor", file}, 2, i, de, 200) == 130,
			  "%s: descriptor %d missing", file, i);
		/* record: i x y w h; clipped to the image as face-api's extractFaceTensors does */
		x = (int) cr[1];
		y = (int) cr[2];
		w = (int) fmin(cr[3], img.width - x);
		h = (int) fmin(cr[4], img.height - y);
		side = w > h ? w : h;
		r = (fc_region) {x, y, w, h, side, side, (side - w) / 2, (side - h) / 2};
		CHECK(fc_image_resize_float(&img, &r, FC_RESIZE_BILINEAR_TF, NULL, px, 150, 150, &err) == FC_OK,
			  "%s", err.message);
		CHECK(fc_recognizer_forward(rec, px, out, &err) == FC_OK, "%s", err.message);
		CHECK(dist(out, de + 2) < 0.03, "%s face %d: face-api crop gives %.4f from face-api", file, i, dist(out, de + 2));
		printf("%s face %d: face-api's crop, our decoder+net: %.4f from face-api\n", file, i, dist(out, de + 2));
	}
	fc_image_free(&img, &fc_malloc_allocator);
	free(px);
}

static void
test_photo(fc_models *m, const char *file, const uint8_t *data, size_t len)
{
	fc_hooks	hooks = {&counting, interrupted, NULL};
	fc_face    *faces;
	fc_error	err = {0};
	fc_timings	t;
	double		info[8];
	int			n,
				ref_n;

	fc_golden_find("samples.txt", (const char *[]) {"image", file}, 2, 0, info, 8);
	ref_n = (int) info[3];		/* w h orientation faces */
	CHECK(fc_pipeline_faces(m, data, len, NULL, &hooks, &faces, &n, &t, &err) == FC_OK, "%s", err.message);
	CHECK(n == ref_n, "%s: %d faces, face-api %d", file, n, ref_n);
	for (int i = 0; i < ref_n; i++)
	{
		double		r[8],
					best = 0;

		fc_golden_find("samples.txt", (const char *[]) {"face", file}, 2, i, r, 8);
		for (int k = 0; k < n; k++)
			best = fmax(best, iou(&faces[k], r + 2));	/* i score x y w h */
		CHECK(best >= 0.95, "%s: face-api face %d best IoU %.3f", file, i, best);
	}
	for (int k = 1; k < n; k++)
		CHECK(faces[k].score <= faces[k - 1].score, "%s: not in score order", file);
	printf("%s: %d faces; decode %.1f detect %.1f landmarks %.1f align %.1f recognize %.1f ms\n",
		   file, n, t.decode_ms, t.detect_ms, t.landmarks_ms, t.align_ms, t.recognize_ms);
	counting.free(NULL, faces);
	CHECK(live_blocks == 0, "%s: %ld blocks leaked", file, live_blocks);

	/* cancelled at every poll point in turn: always CANCELLED, never a leak */
	for (int after = 0; after < 6; after++)
	{
		fc_status	st;

		interrupt_after = after;
		faces = NULL;
		st = fc_pipeline_faces(m, data, len, NULL, &hooks, &faces, &n, NULL, &err);

		CHECK(st == FC_ERR_CANCELLED || (st == FC_OK && interrupt_after >= 0),
			  "%s: cancel after %d polls gave %d", file, after, st);
		if (st == FC_OK)
			counting.free(NULL, faces);
		CHECK(live_blocks == 0, "%s: cancel after %d: %ld blocks leaked", file, after, live_blocks);
	}
	interrupt_after = -1;
}

static void
test_rules(fc_models *m)
{
	fc_face		f[3] = {{0}};
	fc_pipeline_options o;
	fc_face    *faces;
	fc_error	err = {0};
	fc_status	st;
	int			n;
	/* a valid 1x1 PNG */
	static const uint8_t png1[] = {
		0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52,
		0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0, 0x90, 0x77, 0x53, 0xde, 0, 0, 0, 0x0c, 0x49,
		0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0x68, 0x68, 0x68, 0, 0, 0x03, 0x04, 0x01, 0x81,
		0x75, 0x2e, 0x01, 0xbc, 0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};

	CHECK(fc_pipeline_most_prominent(f, 0) == -1, "no faces");
	f[0] = (fc_face) {.w = 100, .h = 100, .score = 0.99f};
	f[1] = (fc_face) {.w = 120, .h = 120, .score = 0.6f};	/* 8640 < 9900 */
	f[2] = (fc_face) {.w = 110, .h = 110, .score = 0.95f};	/* 11495: biggest weighted */
	CHECK(fc_pipeline_most_prominent(f, 3) == 2, "area x score");

	fc_pipeline_defaults(&o);
	o.min_confidence = 1.0f;
	CHECK(fc_pipeline_faces(m, png1, sizeof(png1), &o, NULL, &faces, &n, NULL, &err) == FC_ERR_INVALID_ARGUMENT,
		  "min_confidence 1 accepted");
	fc_pipeline_defaults(&o);
	o.max_faces = 0;
	CHECK(fc_pipeline_faces(m, png1, sizeof(png1), &o, NULL, &faces, &n, NULL, &err) == FC_ERR_INVALID_ARGUMENT,
		  "max_faces 0 accepted");
	CHECK(fc_pipeline_faces(m, png1, sizeof(png1), NULL, NULL, &faces, &n, NULL, &err) == FC_ERR_INVALID_ARGUMENT,
		  "1x1 image accepted");
	st = fc_pipeline_crop(m, png1, 30, NULL, NULL, f, NULL, &err);
	CHECK(st == FC_ERR_CORRUPT_IMAGE || st == FC_ERR_NOT_AN_IMAGE, "truncated PNG: %d %s", st, err.message);
}

int
main(void)
{
	fc_models  *m;
	fc_weights *w;
	fc_recognizer *rec;
	fc_error	err = {0};
	fc_hooks	mh = {&fc_malloc_allocator, NULL, NULL};
	const char *dir = getenv("FACE_MODEL_DIR") ? getenv("FACE_MODEL_DIR") : "models";
	char		path[1024];

	if (fc_models_open(dir, NULL, &m, &err) != FC_OK)
	{
		fprintf(stderr, "%s (run \"make models\" first)\n", err.message);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, FC_MODEL_RECOGNIZER);
	if (fc_weights_open(path, &w, &err) != FC_OK || fc_recognizer_init(w, &mh, &rec, &err) != FC_OK)
	{
		fprintf(stderr, "%s\n", err.message);
		return 1;
	}
	for (int s = 1; s <= 6; s++)
	{
		char		file[32];
		size_t		len;
		uint8_t    *data;

		snprintf(file, sizeof(file), "sample%d.jpg", s);
		snprintf(path, sizeof(path), "%s/samples/%s", dir, file);
		data = read_file(path, &len);
		CHECK(data != NULL, "cannot read %s (run \"make models\")", path);
		if (data == NULL)
			continue;
		test_faceapi_crop(file, data, len, rec);
		if (s <= 2)				/* the whole pipeline is slow; two photos cover it */
			test_photo(m, file, data, len);
		free(data);
	}
	test_rules(m);
	fc_recognizer_free(rec);
	fc_weights_close(w);
	fc_models_close(m);
	printf("%s\n", failures ? "FAILED" : "ok");
	return failures != 0;
}
