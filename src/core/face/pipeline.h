/*-------------------------------------------------------------------------
 *
 * pipeline.h
 *	  Photo bytes in, faces out: decode -> detect (SSD) -> 68 landmarks ->
 *	  align (dlib face chip) -> recognise (128-D).  The one entry point the
 *	  PostgreSQL glue, face-cli and the fuzzer call.
 *
 * Two objects:
 *	- fc_models: the three mapped weight files and each network's run state
 *	  (about 50 MB of activation buffers), created once per process and kept
 *	  for its lifetime.  Its memory comes from the allocator given at open
 *	  (malloc in the backend too: it outlives every memory context).  Not
 *	  thread-safe: one per thread/backend.
 *	- Per call, everything image-sized (decoded pixels, crops, the result
 *	  array) comes from the call's hooks->allocator, so the backend hands a
 *	  per-call memory context and an ERROR frees it all.
 *
 * Coordinates: boxes and landmarks are in pixels of the upright image at
 * its full stored resolution (EXIF orientation applied), whatever DCT scale
 * the decoder used internally; x right, y down, face-api's convention
 * (pixel (i, j)'s value sits at coordinate (i, j); a box spans [x, x + w)).
 *
 * Cancellation: hooks->interrupted is polled between stages and faces; the
 * networks poll the hook they were opened with between layers.  Either way
 * the call returns FC_ERR_CANCELLED and frees what it allocated.
 *
 *-------------------------------------------------------------------------
 */
#ifndef FC_PIPELINE_H
#define FC_PIPELINE_H

#include <stdint.h>

#include "core/fc_common.h"
#include "core/image/image.h"
#include "face_sizes.h"


/* File names of the converted networks inside the model directory. */
#define FC_MODEL_DETECTOR		"ssd_mobilenetv1.fwt"
#define FC_MODEL_LANDMARKS		"landmarks68.fwt"
#define FC_MODEL_RECOGNIZER		"recognition.fwt"

/*
 * Smallest image accepted (either side, pixels): the detector finds no face
 * below ~20 px and the landmark net's input is 112 px, so a smaller image
 * is a caller's mistake (a thumbnail, a tracking pixel) worth an error.
 */
#define FC_MIN_IMAGE_SIDE	16

typedef struct fc_models fc_models;

/* One face found in a photo. */
typedef struct fc_face
{
	float		x;				/* detection box: left edge, pixels */
	float		y;				/* top edge */
	float		w;				/* width */
	float		h;				/* height */
	float		score;			/* detector confidence 0..1 (1 for a crop) */
	float		landmarks[2 * FC_LANDMARK_COUNT];	/* x0 y0 x1 y1 ... pixels */
	float		embedding[FC_EMBEDDING_DIMS];	/* descriptor, not normalised */
} fc_face;

/* Wall-clock milliseconds spent in each stage of one call (all faces summed). */
typedef struct fc_timings
{
	double		decode_ms;
	double		detect_ms;		/* includes building the 512x512 input */
	double		landmarks_ms;	/* includes cropping the 112x112 input */
	double		align_ms;		/* face chip extraction */
	double		recognize_ms;
	double		total_ms;
	int			decode_scale;	/* the JPEG DCT scale used: 1, 2, 4 or 8 */
} fc_timings;

typedef struct fc_pipeline_options
{
	float		min_confidence; /* detector threshold, 0 < t < 1 (face-api 0.5) */
	int64_t		max_pixels;		/* refuse larger images (header), 0 = decoder default */
	int64_t		max_decode_memory;	/* bytes one decode may hold, 0 = decoder default */
	int			max_faces;		/* keep at most this many (by score), 1..100 */
	/*
	 * JPEG DCT scaling: decode at the smallest 1/2^k scale whose longer side
	 * is still >= this (0 = always full size) and whose shorter side stays
	 * >= FC_MIN_IMAGE_SIDE, so a 12800 x 100 strip is decoded at 1/4, not
	 * at 1/8 to a useless 13 rows.  See FC_DECODE_LONG_SIDE.
	 */
	int			decode_long_side;
	/*
	 * fc_pipeline_crop only: nonzero (default) locates landmarks on the crop
	 * and aligns it like a detected face; zero feeds the crop, resized to
	 * 150x150, to the recognition net as it is (measured worse: README).
	 */
	int			crop_align;
} fc_pipeline_options;

/*
 * Default decode_long_side.  The detector sees 512 px; the landmark and
 * recognition crops need the face at roughly chip resolution (the inner
 * face spans ~100 px of the 150 px chip).  Decoding a photo at a long side
 * of >= 1600 px keeps every face the detector can find (>= ~40 px at 512)
 * at >= ~125 px, above chip resolution, while a 4000-px phone photo is
 * decoded at 1/2 and an 8000-px one at 1/4 (see test/bench/README.md).
 */
#define FC_DECODE_LONG_SIDE 1600

/* Fill opts with the defaults (face-api's threshold 0.5, 100 faces, aligned crops). */
void		fc_pipeline_defaults(fc_pipeline_options *opts);

/*
 * Open the three networks from dir (FC_MODEL_* file names) and allocate
 * their run state through hooks->allocator (NULL hooks = malloc, no
 * cancellation).  hooks->interrupted becomes the networks' between-layer
 * poll for the models' lifetime.  FC_ERR_MODEL with a message naming the
 * file for a missing, unreadable or corrupt model; FC_ERR_NOMEM.
 */
fc_status	fc_models_open(const char *dir, const fc_hooks *hooks,
						   fc_models **out, fc_error *err);
void		fc_models_close(fc_models *models);

/*
 * All faces in the photo data[0..len): detection score > min_confidence,
 * sorted by descending score, at most opts->max_faces.  *faces is an array
 * of *n_faces from hooks->allocator (NULL when there are none); timings may
 * be NULL.  Errors: the decoder's (FC_ERR_NOT_AN_IMAGE, _UNSUPPORTED_FORMAT,
 * _CORRUPT_IMAGE, _IMAGE_TOO_LARGE), FC_ERR_INVALID_ARGUMENT for bad
 * options or an image smaller than FC_MIN_IMAGE_SIDE, FC_ERR_NOMEM,
 * FC_ERR_CANCELLED.  No faces is not an error.
 */
fc_status	fc_pipeline_faces(fc_models *models, const uint8_t *data, size_t len,
							  const fc_pipeline_options *opts, const fc_hooks *hooks,
							  fc_face **faces, int *n_faces, fc_timings *timings,
							  fc_error *err);

/*
 * An image that already is a tight face crop (no detection): the 68
 * landmarks are located on the whole image, then it is aligned and
 * recognised like a detected face.  The face's box is the whole image with
 * score 1.  Same errors as fc_pipeline_faces; always one face.
 */
fc_status	fc_pipeline_crop(fc_models *models, const uint8_t *data, size_t len,
							 const fc_pipeline_options *opts, const fc_hooks *hooks,
							 fc_face *face, fc_timings *timings, fc_error *err);

/*
 * Index of the most prominent face, the one embed() returns: the largest
 * box area weighted by detector score (area * score), ties to the lower
 * index; -1 when n == 0.  Area first because the subject of a photo is
 * the biggest face in it; the score factor stops a large but doubtful
 * detection (a poster, a blurred passer-by at 0.55) from beating a clear
 * face of similar size.
 */
int			fc_pipeline_most_prominent(const fc_face *faces, int n);

/*
 * The aligned face chip of face (found in the same photo data[0..len) by
 * fc_pipeline_faces or fc_pipeline_crop) at size x size pixels: dlib's chip
 * (padding FC_CHIP_PADDING) fitted to its landmarks, cut from the photo
 * decoded at full resolution; at size FC_RECOGNIZER_INPUT_SIZE it is what
 * the recognition net sees.  *chip from hooks->allocator (fc_image_free).
 */
fc_status	fc_pipeline_chip(const uint8_t *data, size_t len, const fc_face *face, int size,
							 const fc_pipeline_options *opts, const fc_hooks *hooks,
							 fc_image *chip, fc_error *err);

#endif							/* FC_PIPELINE_H */
