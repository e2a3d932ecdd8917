/*-------------------------------------------------------------------------
 *
 * image.h
 *	  Decode photo bytes (JPEG, PNG) to upright 8-bit RGB, and resample RGB
 *	  into the float tensors the networks read.
 *
 * Decoding is the only place where untrusted bytes meet C code, so the
 * contract is strict: every failure comes back as an fc_status with a
 * message (never a print, an exit or a longjmp out of this module), the
 * image size is checked against a pixel limit from the header before any
 * large allocation, and every path frees what it allocated.
 *
 * What is decoded:
 *	- JPEG (libjpeg-turbo): baseline, progressive, grayscale, RGB, CMYK and
 *	  YCCK (Adobe-marked CMYK is taken as inverted, as Photoshop writes it).
 *	  Corrupt entropy-coded data and premature end of data, which libjpeg
 *	  only reports as warnings, are errors here (FC_ERR_CORRUPT_IMAGE):
 *	  a half-grey photo would give a silently wrong embedding.  A file that
 *	  lacks only its final EOI marker counts as truncated too (libjpeg reads
 *	  ahead and cannot tell it from a lost last scan).  Side over 65500
 *	  (libjpeg's limit) is FC_ERR_IMAGE_TOO_LARGE.
 *	- PNG (libpng): gray, gray+alpha, palette, RGB, RGBA, 16-bit, interlaced.
 *	  Alpha is composited over black, which is what face-api sees in a
 *	  browser (a canvas stores premultiplied pixels and tf.browser.fromPixels
 *	  drops the alpha channel).
 *	- EXIF orientation (JPEG APP1, PNG eXIf) is applied so that the output is
 *	  upright, as a photo viewer shows it.
 *	- Everything else is FC_ERR_UNSUPPORTED_FORMAT naming the format when we
 *	  recognise it (WebP, GIF, HEIC, AVIF, BMP, TIFF, ...) or
 *	  FC_ERR_NOT_AN_IMAGE.
 *
 * Bounded work and memory (the bytes may come from anyone):
 *	- Memory: one decode holds at most max_decode_memory bytes (default
 *	  FC_MAX_DECODE_MEMORY_DEFAULT): libpng's allocations, the output
 *	  pixels and the upright copy are charged as they happen; libjpeg's
 *	  pools (its own malloc, released by jpeg_destroy_decompress() on every
 *	  path) are charged from the header before jpeg_start_decompress (the
 *	  coefficient buffer of a progressive or multi-scan file,
 *	  blocks x 128 bytes, dominates) and capped inside libjpeg too
 *	  (max_memory_to_use).  Over the cap: FC_ERR_DECODE_MEMORY.
 *	- Time: PNG chunks the pipeline does not use (text, ICC profiles,
 *	  unknown chunks) are skipped unread by zlib, the chunk count is capped,
 *	  image data longer than its header allows is refused before inflating;
 *	  progressive JPEG scans are capped (FC_JPEG_MAX_SCANS).  Over a fixed
 *	  cap: FC_ERR_DECODE_LIMIT.
 *	- Cancellation: the hook is polled in libpng's read callback (every
 *	  64 kB), every 64 PNG rows and in libjpeg's progress monitor (every
 *	  iMCU row and scan).
 *
 *-------------------------------------------------------------------------
 */
#ifndef FC_IMAGE_H
#define FC_IMAGE_H

#include "core/fc_common.h"

/*
 * An 8-bit RGB image: pixel (x, y) is pixels[y * stride + 3 * x + {0,1,2}],
 * top row first.  stride >= 3 * width (the decoder may leave slack at the
 * end of each row; always step rows by stride).
 */
typedef struct fc_image
{
	int			width;
	int			height;
	size_t		stride;			/* bytes from one row to the next */
	uint8_t    *pixels;
} fc_image;

typedef enum fc_image_format
{
	FC_FORMAT_UNKNOWN = 0,
	FC_FORMAT_JPEG,
	FC_FORMAT_PNG,
	/* recognised but not decoded */
	FC_FORMAT_GIF,
	FC_FORMAT_WEBP,
	FC_FORMAT_BMP,
	FC_FORMAT_TIFF,
	FC_FORMAT_HEIC,
	FC_FORMAT_AVIF,
	FC_FORMAT_JPEG2000,
	FC_FORMAT_JPEGXL,
	FC_FORMAT_ICO,
	FC_FORMAT_PSD
} fc_image_format;

/* Limits on header width * height (the "maximum pixels" setting). */
#define FC_MAX_PIXELS_DEFAULT	50000000	/* 50 MP: an 8660 x 5773 photo */
#define FC_MAX_PIXELS_MIN		1
#define FC_MAX_PIXELS_MAX		500000000	/* 500 MP; JPEG stops at 65500 x 65500 anyway */

/*
 * Limits on the memory one decode holds (the "maximum decode memory"
 * setting), in bytes.  The default holds a 24 MP baseline JPEG or PNG and a
 * 12 MP progressive 4:4:4 JPEG (72 MB of coefficients) but refuses a
 * progressive 7000 x 7000 4:4:4 one (294 MB).
 */
#define FC_MAX_DECODE_MEMORY_DEFAULT	((int64_t) 96 << 20)	/* 96 MB */
#define FC_MAX_DECODE_MEMORY_MIN		((int64_t) 1 << 20)		/* 1 MB */
#define FC_MAX_DECODE_MEMORY_MAX		((int64_t) 4 << 30)		/* 4 GB */

/* Fixed caps on a file's structure (FC_ERR_DECODE_LIMIT above them). */
#define FC_JPEG_MAX_SCANS	256		/* libjpeg's progressive default writes 10 */
#define FC_PNG_MAX_CHUNKS	4096	/* ancillary chunks; IDAT chunks are not counted */

typedef struct fc_decode_options
{
	/* Refuse (FC_ERR_IMAGE_TOO_LARGE) when the header's width * height
	 * exceeds this, before allocating anything image-sized.  0 = default. */
	int64_t		max_pixels;

	/* Refuse (FC_ERR_DECODE_MEMORY) a decode that would hold more than this
	 * many bytes (see "Bounded work and memory").  0 = default. */
	int64_t		max_decode_memory;

	/*
	 * JPEG DCT scaling: decode at the smallest of the scales 1/8, 1/4, 1/2, 1
	 * whose output still has its longer side >= min_long_side and its shorter
	 * side >= min_short_side (0 = no constraint; both 0 = full size).  The
	 * IDCT does the reduction, so a 1/4 decode costs a fraction of a full one
	 * and is already anti-aliased.  Ignored for PNG (no cheap reduction).
	 */
	int			min_long_side;
	int			min_short_side;

	/* Nonzero: leave the pixels as stored, ignoring EXIF orientation. */
	int			ignore_orientation;
} fc_decode_options;

typedef struct fc_decode_info
{
	fc_image_format format;
	int			stored_width;	/* header dimensions, before scaling and orientation */
	int			stored_height;
	int			orientation;	/* EXIF orientation 1..8 applied (1 if absent or ignored) */
	int			scale_denom;	/* decoded at 1/scale_denom: 1, 2, 4 or 8 (always 1 for PNG) */
	int			warnings;		/* tolerated decoder warnings (e.g. stray bytes between markers) */
	int			had_alpha;		/* PNG with an alpha channel or tRNS, composited over black */
	int64_t		memory_peak;	/* most bytes the decode held (charged to its budget) */
} fc_decode_info;

/*
 * Decode data[0..len) to an upright RGB image.  opts and info may be NULL
 * (defaults; no report).  hooks may be NULL (malloc, not cancellable); when
 * hooks->interrupted is set, long decodes (progressive JPEG scans) poll it and
 * stop with FC_ERR_CANCELLED.  On success *out owns pixels from the hooks'
 * allocator (release with fc_image_free); on failure *out is zeroed and
 * nothing is left allocated.
 *
 * Output size: the stored size divided by scale_denom (rounded up), with
 * width and height swapped for orientations 5-8.
 */
fc_status	fc_image_decode(const uint8_t *data, size_t len,
							const fc_decode_options *opts,
							const fc_hooks *hooks,
							fc_image *out, fc_decode_info *info,
							fc_error *err);

/* Release pixels of an image from fc_image_decode/fc_image_alloc; NULL-safe. */
void		fc_image_free(fc_image *img, const fc_allocator *allocator);

/* Allocate an uninitialised width x height image with stride 3 * width. */
fc_status	fc_image_alloc(fc_image *img, int width, int height,
						   const fc_allocator *allocator, fc_error *err);

/* The format the leading bytes announce (cheap; does not validate the rest). */
fc_image_format fc_image_sniff(const uint8_t *data, size_t len);

/* "JPEG", "PNG", "WebP", ...; "unknown" for FC_FORMAT_UNKNOWN. */
const char *fc_image_format_name(fc_image_format format);

/* ---- resampling into float tensors (image_resize.c) ---- */

typedef enum fc_resize_mode
{
	/*
	 * TensorFlow's resize_bilinear with align_corners = false and
	 * half_pixel_centers = false: source coordinate = dst * (in / out), no
	 * half-pixel shift, neighbours clamped at the last row/column.  This is
	 * what face-api's tf.image.resizeBilinear computes; use it to reproduce
	 * face-api's network inputs.
	 */
	FC_RESIZE_BILINEAR_TF,
	/* Bilinear with half-pixel centres (OpenCV INTER_LINEAR). */
	FC_RESIZE_BILINEAR,
	/*
	 * Area average: each output pixel is the mean of the source area it
	 * covers (fractional pixels weighted).  Anti-aliased downscaling; when
	 * upscaling it degrades to nearest-neighbour-like blocks, so use a
	 * bilinear mode for that.
	 */
	FC_RESIZE_AREA
} fc_resize_mode;

/*
 * Which part of the source is resampled.  The rectangle (x, y, width,
 * height), which must lie inside the image, is placed at (offset_x,
 * offset_y) on a virtual canvas_width x canvas_height canvas that is zero
 * elsewhere; the whole canvas is resampled to the destination size.  This
 * expresses face-api's "crop, pad to square with zeros (at the end or
 * centred), resize" in one pass.  canvas_width/height 0 = rectangle size.
 */
typedef struct fc_region
{
	int			x;
	int			y;
	int			width;
	int			height;
	int			canvas_width;
	int			canvas_height;
	int			offset_x;
	int			offset_y;
} fc_region;

/* Per-channel affine normalisation applied to each output value: v * scale + bias. */
typedef struct fc_pixel_norm
{
	float		scale[3];
	float		bias[3];
} fc_pixel_norm;

/*
 * Resample region (NULL = whole image) of src to dst, a packed NHWC float
 * tensor [dst_height][dst_width][3] in RGB order, values 0..255 passed
 * through norm (NULL = unchanged).  Allocates nothing.  Fails with
 * FC_ERR_INVALID_ARGUMENT if the region leaves the image or the canvas, or
 * a size is not positive.
 */
fc_status	fc_image_resize_float(const fc_image *src, const fc_region *region,
								  fc_resize_mode mode, const fc_pixel_norm *norm,
								  float *dst, int dst_width, int dst_height,
								  fc_error *err);

#endif							/* FC_IMAGE_H */
