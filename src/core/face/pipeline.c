/*-------------------------------------------------------------------------
 *
 * pipeline.c
 *	  decode -> detect -> landmarks -> align -> recognise, per photo or per
 *	  tight face crop.  See pipeline.h for the contract.
 *
 * The stages follow face-api (test/golden/README.md) except where we do
 * better on purpose:
 *	- decoding uses libjpeg-turbo's DCT scaling for big photos (the
 *	  detector only sees 512 px);
 *	- the landmark crop is face-api's (detection box clipped and floored,
 *	  padded to a centred square, TF bilinear to 112), but the landmarks are
 *	  mapped back with the integer padding actually applied, where face-api
 *	  mixes in half a pixel;
 *	- the recognition input is dlib's face chip (similarity transform from
 *	  the 68 landmarks, 150 px, padding 0.25, align.c) instead of face-api's
 *	  axis-aligned crop: the ResNet was trained on such chips.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "align.h"
#include "detector.h"
#include "core/image/image.h"
#include "landmarks.h"
#include "pipeline.h"
#include "recognizer.h"
#include "core/nn/weights.h"

struct fc_models
{
	fc_hooks	hooks;			/* allocator for this struct and the nets' run state */
	fc_weights *w_detector;
	fc_weights *w_landmarks;
	fc_weights *w_recognizer;
	fc_detector *detector;
	fc_landmarks *landmarks;
	fc_recognizer *recognizer;
	/* Per-face network inputs, reused across calls (the models are single-user). */
	float		lm_input[FC_LANDMARKS_INPUT_SIZE * FC_LANDMARKS_INPUT_SIZE * 3];
	float		chip[FC_CHIP_SIZE * FC_CHIP_SIZE * 3];
};

/* dlib's face chip as the recognition net was trained on it. */
#define CHIP_PADDING FC_CHIP_PADDING

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void
fc_pipeline_defaults(fc_pipeline_options *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->min_confidence = FC_DETECTOR_MIN_SCORE;
	opts->max_pixels = 0;
	opts->max_faces = FC_DETECTOR_MAX_RESULTS;
	opts->decode_long_side = FC_DECODE_LONG_SIDE;
	opts->crop_align = 1;
}

/* ------------------------------------------------------------------ models */

/* Map dir/name, prefixing any failure with the file name. */
static fc_status
open_weights(const char *dir, const char *name, fc_weights **out, fc_error *err)
{
	char		path[4096];
	fc_status	st;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int) sizeof(path))
		return fc_fail(err, FC_ERR_MODEL, "model directory path is too long");
	st = fc_weights_open(path, out, err);
	if (st != FC_OK && err)
	{
		char		msg[FC_ERROR_MSG_LEN];

		snprintf(msg, sizeof(msg), "%s", err->message);
		fc_fail(err, FC_ERR_MODEL, "cannot load model \"%s\": %s", path, msg);
	}
	return st == FC_OK ? FC_OK : FC_ERR_MODEL;
}

fc_status
fc_models_open(const char *dir, const fc_hooks *hooks, fc_models **out, fc_error *err)
{
	const fc_allocator *a = fc_allocator_of(hooks);
	fc_models  *m;
	fc_status	st;

	*out = NULL;
	if (dir == NULL || dir[0] == '\0')
		return fc_fail(err, FC_ERR_MODEL, "no model directory given");
	m = a->alloc(a->ctx, sizeof(fc_models));
	if (m == NULL)
		return fc_fail(err, FC_ERR_NOMEM, "out of memory allocating the face models");
	memset(m, 0, sizeof(*m));
	if (hooks)
		m->hooks = *hooks;
	m->hooks.allocator = a;

	if ((st = open_weights(dir, FC_MODEL_DETECTOR, &m->w_detector, err)) != FC_OK ||
		(st = open_weights(dir, FC_MODEL_LANDMARKS, &m->w_landmarks, err)) != FC_OK ||
		(st = open_weights(dir, FC_MODEL_RECOGNIZER, &m->w_recognizer, err)) != FC_OK ||
		(st = fc_detector_init(m->w_detector, a, &m->detector, err)) != FC_OK ||
		(st = fc_landmarks_init(m->w_landmarks, &m->hooks, &m->landmarks, err)) != FC_OK ||
		(st = fc_recognizer_init(m->w_recognizer, &m->hooks, &m->recognizer, err)) != FC_OK)
	{
		fc_models_close(m);
		return st;
	}
	*out = m;
	return FC_OK;
}

void
fc_models_close(fc_models *m)
{
	const fc_allocator *a;

	if (m == NULL)
		return;
	a = m->hooks.allocator;
	fc_recognizer_free(m->recognizer);
	fc_landmarks_free(m->landmarks);
	fc_detector_free(m->detector);
	if (m->w_recognizer)
		fc_weights_close(m->w_recognizer);
	if (m->w_landmarks)
		fc_weights_close(m->w_landmarks);
	if (m->w_detector)
		fc_weights_close(m->w_detector);
	a->free(a->ctx, m);
}

/* --------------------------------------------------------------- one face */

/*
 * Landmarks of the face in the integer rectangle (x, y, w, h) of img, as
 * face-api computes them: the rectangle padded with zeros to a centred
 * square (the short side gets floor(diff/2) before), resized to 112 with
 * TF's bilinear rule; the net's relative outputs scaled back by the same
 * square.  pts receives 136 floats in img's pixel coordinates.
 */
static fc_status
locate_landmarks(fc_models *m, const fc_image *img, int x, int y, int w, int h,
				 float *pts, fc_error *err)
{
	int			side = w > h ? w : h;
	fc_region	r = {x, y, w, h, side, side, (side - w) / 2, (side - h) / 2};
	fc_status	st;

	st = fc_image_resize_float(img, &r, FC_RESIZE_BILINEAR_TF, NULL, m->lm_input,
							   FC_LANDMARKS_INPUT_SIZE, FC_LANDMARKS_INPUT_SIZE, err);
	if (st != FC_OK)
		return st;
	st = fc_landmarks_forward(m->landmarks, m->lm_input, pts, err);
	if (st != FC_OK)
		return st;
	for (int i = 0; i < FC_LANDMARK_COUNT; i++)
	{
		pts[2 * i] = pts[2 * i] * side - r.offset_x + x;
		pts[2 * i + 1] = pts[2 * i + 1] * side - r.offset_y + y;
	}
	return FC_OK;
}

/* The 8-bit chip as the recognizer's float input (RGB 0..255). */
static void
chip_to_float(const fc_image *chip, float *out)
{
	for (int y = 0; y < chip->height; y++)
		for (int x = 0; x < chip->width * 3; x++)
			*out++ = chip->pixels[y * chip->stride + x];
}

/* Recognise the chip (an 8-bit face chip of the recognizer's size) into embedding. */
static fc_status
recognize_chip(fc_models *m, const fc_image *chip, float *embedding, fc_timings *t,
			   fc_error *err)
{
	double		t0 = now_ms();
	fc_status	st;

	chip_to_float(chip, m->chip);
	st = fc_recognizer_forward(m->recognizer, m->chip, embedding, err);
	t->recognize_ms += now_ms() - t0;
	return st;
}

/*
 * dlib's face chip of img around landmarks pts (img pixels), recognised
 * into embedding.  The chip's pixels come from a and are freed here.
 */
static fc_status
align_and_recognize(fc_models *m, const fc_image *img, const float *pts,
					const fc_allocator *a, float *embedding, fc_timings *t,
					fc_error *err)
{
	fc_chip_details d;
	fc_image	chip = {0};
	double		t0 = now_ms();
	fc_status	st;

	st = fc_face_chip_details(pts, FC_CHIP_SIZE, CHIP_PADDING, &d, err);
	if (st == FC_OK)
		st = fc_extract_image_chip(img, &d, a, &chip, err);
	t->align_ms += now_ms() - t0;
	if (st == FC_OK)
		st = recognize_chip(m, &chip, embedding, t, err);
	fc_image_free(&chip, a);
	return st;
}

/*
 * Map a face from the decoded image (possibly DCT-scaled by 1/sx, 1/sy) to
 * the full-resolution upright image.  Box edges scale; landmark coordinates
 * follow face-api's convention (pixel i's sample sits at coordinate i), so
 * the centre of a decoded pixel maps to the centre of the block it covers.
 */
static void
to_full_resolution(fc_face *f, float sx, float sy)
{
	if (sx == 1.0f && sy == 1.0f)
		return;
	f->x *= sx;
	f->y *= sy;
	f->w *= sx;
	f->h *= sy;
	for (int i = 0; i < FC_LANDMARK_COUNT; i++)
	{
		f->landmarks[2 * i] = (f->landmarks[2 * i] + 0.5f) * sx - 0.5f;
		f->landmarks[2 * i + 1] = (f->landmarks[2 * i + 1] + 0.5f) * sy - 0.5f;
	}
}

/* ------------------------------------------------------------- decoding */

static fc_status
check_options(const fc_pipeline_options *o, fc_error *err)
{
	if (!(o->min_confidence > 0.0f && o->min_confidence < 1.0f))
		return fc_fail(err, FC_ERR_INVALID_ARGUMENT,
					   "minimum confidence %g is outside (0, 1)", o->min_confidence);
	if (o->max_faces < 1 || o->max_faces > FC_DETECTOR_MAX_RESULTS)
		return fc_fail(err, FC_ERR_INVALID_ARGUMENT,
					   "maximum faces %d is outside 1..%d", o->max_faces, FC_DETECTOR_MAX_RESULTS);
	if (o->max_pixels < 0 || o->max_decode_memory < 0 || o->decode_long_side < 0)
		return fc_fail(err, FC_ERR_INVALID_ARGUMENT, "negative pixel limit");
	return FC_OK;
}

/*
 * Decode data into img; *sx, *sy receive the factors from decoded to
 * full-resolution upright pixels (1 unless DCT scaling was used).
 */
static fc_status
decode(const uint8_t *data, size_t len, const fc_pipeline_options *o,
	   const fc_hooks *hooks, fc_image *img, float *sx, float *sy,
	   fc_timings *t, fc_error *err)
{
	fc_decode_options dopt = {0};
	fc_decode_info info = {0};
	double		t0 = now_ms();
	fc_status	st;
	int			full_w,
				full_h;

	dopt.max_pixels = o->max_pixels;
	dopt.max_decode_memory = o->max_decode_memory;
	dopt.min_long_side = o->decode_long_side;
	if (o->decode_long_side > 0)
		dopt.min_short_side = FC_MIN_IMAGE_SIDE;
	st = fc_image_decode(data, len, &dopt, hooks, img, &info, err);
	t->decode_ms += now_ms() - t0;
	if (st != FC_OK)
		return st;
	t->decode_scale = info.scale_denom;
	if (img->width < FC_MIN_IMAGE_SIDE || img->height < FC_MIN_IMAGE_SIDE)
	{
		st = fc_fail(err, FC_ERR_INVALID_ARGUMENT,
					 "image of %dx%d pixels is too small to hold a face (minimum %dx%d)",
					 info.stored_width, info.stored_height, FC_MIN_IMAGE_SIDE, FC_MIN_IMAGE_SIDE);
		fc_image_free(img, fc_allocator_of(hooks));
		return st;
	}
	full_w = info.orientation >= 5 ? info.stored_height : info.stored_width;
	full_h = info.orientation >= 5 ? info.stored_width : info.stored_height;
	*sx = (float) full_w / img->width;
	*sy = (float) full_h / img->height;
	return FC_OK;
}

/* ------------------------------------------------------------- entry points */

/*
 * The common start of both entry points: resolve *opts (NULL means the
 * defaults, stored in *defaults), validate them, zero *t, and decode the photo
 * into *img (the caller frees it; on failure nothing is left to free).
 */
static fc_status
start_photo(const uint8_t *data, size_t len, const fc_pipeline_options **opts,
			fc_pipeline_options *defaults, const fc_hooks *hooks, fc_image *img,
			float *sx, float *sy, fc_timings *t, fc_error *err)
{
	fc_status	st;

	memset(t, 0, sizeof(*t));
	if (*opts == NULL)
	{
		fc_pipeline_defaults(defaults);
		*opts = defaults;
	}
	if ((st = check_options(*opts, err)) != FC_OK)
		return st;
	return decode(data, len, *opts, hooks, img, sx, sy, t, err);
}

fc_status
fc_pipeline_faces(fc_models *m, const uint8_t *data, size_t len,
				  const fc_pipeline_options *opts, const fc_hooks *hooks,
				  fc_face **faces_out, int *n_out, fc_timings *timings,
				  fc_error *err)
{
	const fc_allocator *a = fc_allocator_of(hooks);
	fc_pipeline_options defaults;
	fc_timings	tl = {0};
	fc_timings *t = timings ? timings : &tl;
	fc_detection dets[FC_DETECTOR_MAX_RESULTS];
	fc_image	img = {0};
	fc_face    *faces = NULL;
	int			n_det = 0,
				n = 0;
	float		sx,
				sy;
	double		t_start = now_ms(),
				t0;
	fc_status	st;

	*faces_out = NULL;
	*n_out = 0;
	if ((st = start_photo(data, len, &opts, &defaults, hooks, &img, &sx, &sy, t, err)) != FC_OK)
		return st;

	t0 = now_ms();
	st = fc_detector_run(m->detector, img.pixels, img.width, img.height, (int) img.stride,
						 opts->min_confidence, dets, opts->max_faces, &n_det, hooks, err);
	t->detect_ms = now_ms() - t0;
	if (st != FC_OK)
		goto fail;

	if (n_det > 0)
	{
		faces = a->alloc(a->ctx, sizeof(fc_face) * n_det);
		if (faces == NULL)
		{
			st = fc_fail(err, FC_ERR_NOMEM, "out of memory for %d faces", n_det);
			goto fail;
		}
	}
	for (int i = 0; i < n_det; i++)
	{
		fc_face    *f = &faces[n];
		/* face-api's crop: clip to the image, then floor (Box.clipAtImageBorders) */
		float		x0 = fmaxf(dets[i].x, 0.0f),
					y0 = fmaxf(dets[i].y, 0.0f);
		int			cx = (int) floorf(x0),
					cy = (int) floorf(y0),
					cw = (int) floorf(fminf(dets[i].x + dets[i].w - x0, img.width - x0)),
					ch = (int) floorf(fminf(dets[i].y + dets[i].h - y0, img.height - y0));

		if ((st = fc_poll(hooks, "face pipeline", err)) != FC_OK)
			goto fail;
		if (cx + cw > img.width)
			cw = img.width - cx;
		if (cy + ch > img.height)
			ch = img.height - cy;
		if (cw < 1 || ch < 1)
			continue;			/* face-api drops empty crops too */

		f->x = dets[i].x;
		f->y = dets[i].y;
		f->w = dets[i].w;
		f->h = dets[i].h;
		f->score = dets[i].score;
		t0 = now_ms();
		st = locate_landmarks(m, &img, cx, cy, cw, ch, f->landmarks, err);
		t->landmarks_ms += now_ms() - t0;
		if (st != FC_OK)
			goto fail;
		if ((st = align_and_recognize(m, &img, f->landmarks, a, f->embedding, t, err)) != FC_OK)
			goto fail;
		to_full_resolution(f, sx, sy);
		n++;
	}
	fc_image_free(&img, a);
	if (n == 0 && faces)
	{
		a->free(a->ctx, faces);
		faces = NULL;
	}
	*faces_out = faces;
	*n_out = n;
	t->total_ms = now_ms() - t_start;
	return FC_OK;

fail:
	fc_image_free(&img, a);
	if (faces)
		a->free(a->ctx, faces);
	return st;
}

fc_status
fc_pipeline_crop(fc_models *m, const uint8_t *data, size_t len,
				 const fc_pipeline_options *opts, const fc_hooks *hooks,
				 fc_face *face, fc_timings *timings, fc_error *err)
{
	const fc_allocator *a = fc_allocator_of(hooks);
	fc_pipeline_options defaults;
	fc_timings	tl = {0};
	fc_timings *t = timings ? timings : &tl;
	fc_image	img = {0};
	float		sx,
				sy;
	double		t_start = now_ms(),
				t0;
	fc_status	st;

	memset(face, 0, sizeof(*face));
	if ((st = start_photo(data, len, &opts, &defaults, hooks, &img, &sx, &sy, t, err)) != FC_OK)
		return st;
	if ((st = fc_poll(hooks, "face pipeline", err)) != FC_OK)
		goto done;

	face->w = (float) img.width;
	face->h = (float) img.height;
	face->score = 1.0f;
	t0 = now_ms();
	st = locate_landmarks(m, &img, 0, 0, img.width, img.height, face->landmarks, err);
	t->landmarks_ms = now_ms() - t0;
	if (st != FC_OK)
		goto done;
	if (opts->crop_align)
		st = align_and_recognize(m, &img, face->landmarks, a, face->embedding, t, err);
	else
	{
		/* the crop as it is, squeezed to the chip (for comparison; see README) */
		fc_image	chip = {0};

		t0 = now_ms();
		st = fc_crop_chip(&img, NULL, 0.0, FC_CHIP_SIZE, a, &chip, err);
		t->align_ms = now_ms() - t0;
		if (st == FC_OK)
			st = recognize_chip(m, &chip, face->embedding, t, err);
		fc_image_free(&chip, a);
	}
	if (st == FC_OK)
		to_full_resolution(face, sx, sy);
done:
	fc_image_free(&img, a);
	t->total_ms = now_ms() - t_start;
	return st;
}

int
fc_pipeline_most_prominent(const fc_face *faces, int n)
{
	int			best = -1;
	double		best_v = -1.0;

	for (int i = 0; i < n; i++)
	{
		double		v = (double) faces[i].w * faces[i].h * faces[i].score;

		if (v > best_v)
		{
			best_v = v;
			best = i;
		}
	}
	return best;
}

fc_status
fc_pipeline_chip(const uint8_t *data, size_t len, const fc_face *face, int size,
				 const fc_pipeline_options *opts, const fc_hooks *hooks,
				 fc_image *chip, fc_error *err)
{
	const fc_allocator *a = fc_allocator_of(hooks);
	fc_decode_options dopt = {0};
	fc_chip_details d;
	fc_image	img = {0};
	fc_status	st;

	memset(chip, 0, sizeof(*chip));
	/* full resolution: the landmarks are in full-resolution upright pixels */
	dopt.max_pixels = opts->max_pixels;
	st = fc_face_chip_details(face->landmarks, size, CHIP_PADDING, &d, err);
	if (st == FC_OK)
		st = fc_image_decode(data, len, &dopt, hooks, &img, NULL, err);
	if (st == FC_OK)
		st = fc_extract_image_chip(&img, &d, a, chip, err);
	fc_image_free(&img, a);
	return st;
}
