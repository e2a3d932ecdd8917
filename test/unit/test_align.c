/*-------------------------------------------------------------------------
 *
 * test_align.c
 *	  Unit tests of dlib-style face alignment (src/core/align.c).
 *
 *	- Template values checked against numbers computed by hand from dlib's
 *	  mean-face table, and dlib's point selection (33 points).
 *	- Landmarks that are an exact similarity transform of the template give
 *	  back that transform (any rotation, scale, translation), whatever the
 *	  unused points hold.
 *	- A synthetic face drawn rotated and scaled into an image comes out of
 *	  the chip upright, with and without the pyramid.
 *	- The pyramid anti-aliases: a 1-pixel checkerboard face four times the
 *	  chip size comes out flat grey.
 *	- Crops, bad input, allocation failure without leaks.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/face/align.h"

static int	failures;

#define CHECK(cond, ...) \
	do { if (!(cond)) { failures++; printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
		printf(__VA_ARGS__); printf("\n"); } } while (0)

typedef struct counting
{
	long		live;
	long		calls;
	long		fail_at;
} counting;

static void *
count_alloc(void *ctx, size_t size)
{
	counting   *c = ctx;

	if (++c->calls == c->fail_at)
		return NULL;
	c->live++;
	return malloc(size);
}

static void
count_free(void *ctx, void *ptr)
{
	counting   *c = ctx;

	c->live--;
	free(ptr);
}

static counting cnt;
static const fc_allocator alloc = {count_alloc, count_free, &cnt};

/* A similarity chip -> image: x = a u - b v + tx, y = b u + a v + ty. */
typedef struct sim
{
	double		a,
				b,
				tx,
				ty;
} sim;

static sim
make_sim(double scale, double angle, double cx, double cy, int size)
{
	sim			s = {scale * cos(angle), scale * sin(angle), 0, 0};

	/* chip centre (size/2, size/2) lands on (cx, cy) */
	s.tx = cx - (s.a * size / 2.0 - s.b * size / 2.0);
	s.ty = cy - (s.b * size / 2.0 + s.a * size / 2.0);
	return s;
}

static void
apply(sim s, double u, double v, double *x, double *y)
{
	*x = s.a * u - s.b * v + s.tx;
	*y = s.b * u + s.a * v + s.ty;
}

static void
invert(sim s, double x, double y, double *u, double *v)
{
	double		n = s.a * s.a + s.b * s.b;
	double		dx = x - s.tx,
				dy = y - s.ty;

	*u = (s.a * dx + s.b * dy) / n;
	*v = (-s.b * dx + s.a * dy) / n;
}

/* Landmarks = sim(template); unused points get junk the fit must ignore. */
static void
landmarks_for(sim s, float *lm)
{
	for (int i = 0; i < FC_LANDMARK_COUNT; i++)
	{
		double		u,
					v,
					x,
					y;

		if (fc_face_template_point(i, FC_CHIP_SIZE, FC_CHIP_PADDING, &u, &v))
		{
			apply(s, u, v, &x, &y);
			lm[2 * i] = (float) x;
			lm[2 * i + 1] = (float) y;
		}
		else
		{
			lm[2 * i] = (float) (1000 + 37 * i);
			lm[2 * i + 1] = (float) (-500 - 11 * i);
		}
	}
}

static void
test_template(void)
{
	double		u,
				v;
	int			used = 0;

	for (int i = 0; i < FC_LANDMARK_COUNT; i++)
		used += fc_face_template_point(i, 150, 0.25, &u, &v);
	CHECK(used == 33, "dlib fits 33 points, got %d", used);
	CHECK(!fc_face_template_point(0, 150, 0.25, &u, &v) && !fc_face_template_point(26, 150, 0.25, &u, &v) &&
		  !fc_face_template_point(55, 150, 0.25, &u, &v) && !fc_face_template_point(59, 150, 0.25, &u, &v) &&
		  !fc_face_template_point(65, 150, 0.25, &u, &v) && !fc_face_template_point(67, 150, 0.25, &u, &v),
		  "jaw, brows or lower lip used");
	/* nose tip 30: x .490127, y .515625 -> (.25 + m) / 1.5 * 150 */
	CHECK(fc_face_template_point(30, 150, 0.25, &u, &v) && fabs(u - 74.0127) < 1e-9 && fabs(v - 76.5625) < 1e-9,
		  "nose tip at %.6f,%.6f", u, v);
	/* outer eye corners 36 (.121737, .216423) and 45 (.858516, .216423) */
	CHECK(fc_face_template_point(36, 150, 0.25, &u, &v) && fabs(u - 37.1737) < 1e-9 && fabs(v - 46.6423) < 1e-9,
		  "left eye corner at %.6f,%.6f", u, v);
	CHECK(fc_face_template_point(45, 150, 0.25, &u, &v) && fabs(u - 110.8516) < 1e-9,
		  "right eye corner at %.6f", u);
	/* mouth corner 54 (.726104, .780233) with padding 0 and size 200 */
	CHECK(fc_face_template_point(54, 200, 0.0, &u, &v) && fabs(u - 145.2208) < 1e-9 && fabs(v - 156.0466) < 1e-9,
		  "mouth corner at %.6f,%.6f", u, v);
}

static void
test_similarity_recovery(void)
{
	const double angles[] = {0, 0.35, -1.2, 3.0};
	const double scales[] = {0.5, 1.7, 4.0};

	for (size_t i = 0; i < sizeof(angles) / sizeof(angles[0]); i++)
		for (size_t j = 0; j < sizeof(scales) / sizeof(scales[0]); j++)
		{
			sim			s = make_sim(scales[j], angles[i], 300.5, 210.25, FC_CHIP_SIZE);
			float		lm[2 * FC_LANDMARK_COUNT];
			fc_chip_details cd;
			fc_error	err = {0};
			double		tol = 1e-5 * scales[j];	/* landmarks are floats */

			landmarks_for(s, lm);
			if (fc_face_chip_details(lm, FC_CHIP_SIZE, FC_CHIP_PADDING, &cd, &err) != FC_OK)
			{
				CHECK(0, "fit failed: %s", err.message);
				continue;
			}
			CHECK(fabs(cd.a - s.a) < tol && fabs(cd.b - s.b) < tol &&
				  fabs(cd.tx - s.tx) < 1e-3 && fabs(cd.ty - s.ty) < 1e-3,
				  "angle %g scale %g: got a=%g b=%g t=(%g,%g), want a=%g b=%g t=(%g,%g)",
				  angles[i], scales[j], cd.a, cd.b, cd.tx, cd.ty, s.a, s.b, s.tx, s.ty);
			CHECK(fabs(cd.angle - angles[i]) < 1e-6, "angle %g, want %g", cd.angle, angles[i]);
			CHECK(cd.rows == 150 && cd.cols == 150, "chip dims");
			/* dlib's rectangle: centred on the chip centre's image, side 150*s - 1 + 1 */
			CHECK(fabs((cd.left + cd.right) / 2 - 300.5) < 1e-3 && fabs((cd.top + cd.bottom) / 2 - 210.25) < 1e-3,
				  "rect centre (%g,%g)", (cd.left + cd.right) / 2, (cd.top + cd.bottom) / 2);
			CHECK(fabs(cd.right - cd.left + 1 - 150 * scales[j]) < 1e-3, "rect width %g want %g",
				  cd.right - cd.left + 1, 150 * scales[j]);
		}

	/* noise of +-0.5 px on a 2x face moves the fit only a little */
	{
		sim			s = make_sim(2.0, 0.2, 400, 300, FC_CHIP_SIZE);
		float		lm[2 * FC_LANDMARK_COUNT];
		fc_chip_details cd;
		fc_error	err = {0};

		landmarks_for(s, lm);
		for (int i = 0; i < 2 * FC_LANDMARK_COUNT; i++)
			lm[i] += (float) (((i * 7919) % 11) / 10.0 - 0.5);
		CHECK(fc_face_chip_details(lm, FC_CHIP_SIZE, FC_CHIP_PADDING, &cd, &err) == FC_OK, "noisy fit");
		CHECK(fabs(cd.angle - 0.2) < 0.01 && fabs(hypot(cd.a, cd.b) - 2.0) < 0.02, "noisy: angle %g scale %g",
			  cd.angle, hypot(cd.a, cd.b));
	}
}

/* Template feature centres in chip pixels: left eye, right eye, mouth. */
static void
feature_centres(double c[3][2])
{
	int			ranges[3][2] = {{36, 41}, {42, 47}, {48, 54}};

	for (int f = 0; f < 3; f++)
	{
		double		su = 0,
					sv = 0,
					u,
					v;
		int			n = 0;

		for (int i = ranges[f][0]; i <= ranges[f][1]; i++)
			if (fc_face_template_point(i, FC_CHIP_SIZE, FC_CHIP_PADDING, &u, &v))
			{
				su += u;
				sv += v;
				n++;
			}
		c[f][0] = su / n;
		c[f][1] = sv / n;
	}
}

/*
 * Draw a face under similarity s into a w x h image: red left eye, green
 * right eye, blue mouth (discs of radius 8 chip pixels) on grey, and a
 * darker background outside the chip square.
 */
static void
draw_face(fc_image *img, sim s, int checker)
{
	double		c[3][2];
	static const uint8_t col[3][3] = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}};

	feature_centres(c);
	for (int y = 0; y < img->height; y++)
		for (int x = 0; x < img->width; x++)
		{
			uint8_t    *p = img->pixels + (size_t) y * img->stride + 3 * (size_t) x;
			double		u,
						v;
			int			f;

			invert(s, x, y, &u, &v);
			if (checker)
			{
				memset(p, ((x + y) & 1) ? 255 : 0, 3);
				continue;
			}
			memset(p, (u >= 0 && v >= 0 && u < 150 && v < 150) ? 128 : 40, 3);
			for (f = 0; f < 3; f++)
				if (hypot(u - c[f][0], v - c[f][1]) < 8)
					memcpy(p, col[f], 3);
		}
}

static void
test_upright_chip(void)
{
	const double scales[] = {0.7, 1.0, 2.5, 5.0};	/* 2.5 and 5: pyramid levels used */
	const double angles[] = {0.5236, -0.9, 2.8};
	double		c[3][2];

	feature_centres(c);
	for (size_t i = 0; i < sizeof(scales) / sizeof(scales[0]); i++)
		for (size_t j = 0; j < sizeof(angles) / sizeof(angles[0]); j++)
		{
			fc_image	img,
						chip;
			fc_error	err = {0};
			sim			s = make_sim(scales[i], angles[j], 600, 600, FC_CHIP_SIZE);
			float		lm[2 * FC_LANDMARK_COUNT];
			fc_chip_details cd;

			cnt.live = 0;
			CHECK(fc_image_alloc(&img, 1200, 1200, &alloc, &err) == FC_OK, "alloc");
			draw_face(&img, s, 0);
			landmarks_for(s, lm);
			CHECK(fc_face_chip_details(lm, FC_CHIP_SIZE, FC_CHIP_PADDING, &cd, &err) == FC_OK, "fit");
			if (fc_extract_image_chip(&img, &cd, &alloc, &chip, &err) != FC_OK)
			{
				CHECK(0, "extract: %s", err.message);
				fc_image_free(&img, &alloc);
				continue;
			}
			CHECK(chip.width == 150 && chip.height == 150, "chip size %dx%d", chip.width, chip.height);
			for (int f = 0; f < 3; f++)
			{
				const uint8_t *p = chip.pixels + (size_t) lround(c[f][1]) * chip.stride + 3 * (size_t) lround(c[f][0]);

				CHECK(p[f] > 200 && p[(f + 1) % 3] < 60 && p[(f + 2) % 3] < 60,
					  "scale %g angle %g: feature %d at chip (%.0f,%.0f) is %d,%d,%d",
					  scales[i], angles[j], f, c[f][0], c[f][1], p[0], p[1], p[2]);
			}
			/* the chip centre is face grey, the chip corner is background */
			{
				const uint8_t *m = chip.pixels + 75 * chip.stride + 3 * 75;
				const uint8_t *k = chip.pixels + 2 * chip.stride + 3 * 2;

				CHECK(abs(m[0] - 128) < 4 && abs(k[0] - 128) < 6, "scale %g angle %g: centre %d corner %d",
					  scales[i], angles[j], m[0], k[0]);
			}
			fc_image_free(&chip, &alloc);
			fc_image_free(&img, &alloc);
			CHECK(cnt.live == 0, "leak: %ld", cnt.live);
		}
}

static void
test_antialias(void)
{
	fc_image	img,
				chip;
	fc_error	err = {0};
	sim			s = make_sim(4.0, 0.3, 500, 500, FC_CHIP_SIZE);
	float		lm[2 * FC_LANDMARK_COUNT];
	fc_chip_details cd;
	double		sum = 0,
				sq = 0;
	int			n = 0;

	CHECK(fc_image_alloc(&img, 1000, 1000, &alloc, &err) == FC_OK, "alloc");
	draw_face(&img, s, 1);
	landmarks_for(s, lm);
	CHECK(fc_face_chip_details(lm, FC_CHIP_SIZE, FC_CHIP_PADDING, &cd, &err) == FC_OK, "fit");
	CHECK(fc_extract_image_chip(&img, &cd, &alloc, &chip, &err) == FC_OK, "extract");
	for (int y = 20; y < 130; y++)
		for (int x = 20; x < 130; x++)
		{
			double		v = chip.pixels[(size_t) y * chip.stride + 3 * x];

			sum += v;
			sq += v * v;
			n++;
		}
	{
		double		mean = sum / n,
					sd = sqrt(sq / n - mean * mean);

		/* point sampling would give 0s and 255s (sd ~ 127) */
		CHECK(fabs(mean - 127) < 4 && sd < 3, "checkerboard chip mean %.1f sd %.1f", mean, sd);
	}
	fc_image_free(&chip, &alloc);
	fc_image_free(&img, &alloc);
	CHECK(cnt.live == 0, "leak: %ld", cnt.live);
}

static void
test_crop(void)
{
	fc_image	img,
				chip;
	fc_error	err = {0};
	static const uint8_t col[4][3] = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {255, 255, 255}};

	CHECK(fc_image_alloc(&img, 100, 60, &alloc, &err) == FC_OK, "alloc");
	for (int y = 0; y < 60; y++)
		for (int x = 0; x < 100; x++)
			memcpy(img.pixels + (size_t) y * img.stride + 3 * x, col[(y >= 30) * 2 + (x >= 50)], 3);

	/* whole image, square 100 centred: rows -20..79 */
	CHECK(fc_crop_chip(&img, NULL, 0, 50, &alloc, &chip, &err) == FC_OK, "crop: %s", err.message);
	{
		struct
		{
			int			c,
						r,
						v[3];
		}			probes[] = {
			{5, 2, {0, 0, 0}}, {5, 15, {255, 0, 0}}, {45, 15, {0, 255, 0}},
			{5, 35, {0, 0, 255}}, {45, 35, {255, 255, 255}}, {45, 48, {0, 0, 0}},
		};

		for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
		{
			const uint8_t *p = chip.pixels + (size_t) probes[i].r * chip.stride + 3 * probes[i].c;

			CHECK(abs(p[0] - probes[i].v[0]) < 3 && abs(p[1] - probes[i].v[1]) < 3 && abs(p[2] - probes[i].v[2]) < 3,
				  "crop probe (%d,%d) = %d,%d,%d", probes[i].c, probes[i].r, p[0], p[1], p[2]);
		}
	}
	fc_image_free(&chip, &alloc);

	/* the red quadrant at its own size: a plain copy, rows -10..39 */
	{
		double		box[4] = {0, 0, 50, 30};

		CHECK(fc_crop_chip(&img, box, 0, 50, &alloc, &chip, &err) == FC_OK, "crop box");
		CHECK(chip.pixels[5 * chip.stride] == 0 && chip.pixels[20 * chip.stride] == 255 &&
			  chip.pixels[20 * chip.stride + 1] == 0 && chip.pixels[45 * chip.stride + 2] == 255,
			  "box crop rows: %d %d %d", chip.pixels[5 * chip.stride], chip.pixels[20 * chip.stride],
			  chip.pixels[45 * chip.stride + 2]);
		fc_image_free(&chip, &alloc);
		box[2] = 0;
		CHECK(fc_crop_chip(&img, box, 0, 50, &alloc, &chip, &err) == FC_ERR_INVALID_ARGUMENT, "empty box");
	}
	fc_image_free(&img, &alloc);
	CHECK(cnt.live == 0, "leak: %ld", cnt.live);
}

static void
test_bad_input_and_nomem(void)
{
	float		lm[2 * FC_LANDMARK_COUNT];
	fc_chip_details cd;
	fc_error	err = {0};
	sim			s = make_sim(3.0, 0.4, 300, 300, FC_CHIP_SIZE);
	fc_image	img,
				chip;

	CHECK(fc_face_chip_details(NULL, 150, 0.25, &cd, &err) == FC_ERR_INVALID_ARGUMENT, "NULL landmarks");
	landmarks_for(s, lm);
	CHECK(fc_face_chip_details(lm, 0, 0.25, &cd, &err) == FC_ERR_INVALID_ARGUMENT, "size 0");
	CHECK(fc_face_chip_details(lm, 150, -0.1, &cd, &err) == FC_ERR_INVALID_ARGUMENT, "negative padding");
	CHECK(fc_face_chip_details(lm, 150, NAN, &cd, &err) == FC_ERR_INVALID_ARGUMENT, "NaN padding");
	lm[2 * 40] = NAN;
	CHECK(fc_face_chip_details(lm, 150, 0.25, &cd, &err) == FC_ERR_INVALID_ARGUMENT, "NaN landmark");
	for (int i = 0; i < FC_LANDMARK_COUNT; i++)
		lm[2 * i] = lm[2 * i + 1] = 7.0f;
	CHECK(fc_face_chip_details(lm, 150, 0.25, &cd, &err) == FC_ERR_INVALID_ARGUMENT &&
		  strstr(err.message, "degenerate") != NULL, "coincident landmarks: %s", err.message);

	/* a face far outside the image gives a black chip, not an error */
	landmarks_for(make_sim(1.0, 0.1, -5000, -5000, FC_CHIP_SIZE), lm);
	CHECK(fc_image_alloc(&img, 600, 600, &alloc, &err) == FC_OK, "alloc");
	memset(img.pixels, 200, img.stride * img.height);
	CHECK(fc_face_chip_details(lm, 150, 0.25, &cd, &err) == FC_OK, "far fit");
	CHECK(fc_extract_image_chip(&img, &cd, &alloc, &chip, &err) == FC_OK, "far extract");
	CHECK(chip.pixels[75 * chip.stride + 225] == 0, "far chip not black");
	fc_image_free(&chip, &alloc);

	/* every allocation failure is NOMEM and leaks nothing */
	landmarks_for(s, lm);
	CHECK(fc_face_chip_details(lm, 150, 0.25, &cd, &err) == FC_OK, "fit");
	{
		long		base_live = cnt.live;
		int			ok = 0;

		for (long n = 1; n < 20 && !ok; n++)
		{
			fc_status	st;

			cnt.calls = 0;
			cnt.fail_at = n;
			st = fc_extract_image_chip(&img, &cd, &alloc, &chip, &err);
			if (st == FC_OK)
			{
				ok = 1;
				fc_image_free(&chip, &alloc);
			}
			else
				CHECK(st == FC_ERR_NOMEM, "fail_at %ld: %d", n, st);
			CHECK(cnt.live == base_live, "fail_at %ld leaked %ld", n, cnt.live - base_live);
		}
		cnt.fail_at = 0;
		CHECK(ok, "extract never succeeded");
	}
	fc_image_free(&img, &alloc);
	CHECK(cnt.live == 0, "leak: %ld", cnt.live);
}

int
main(void)
{
	test_template();
	test_similarity_recovery();
	test_upright_chip();
	test_antialias();
	test_crop();
	test_bad_input_and_nomem();
	printf("test_align: %s (%d failures)\n", failures ? "FAILED" : "ok", failures);
	return failures ? 1 : 0;
}
