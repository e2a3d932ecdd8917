/*-------------------------------------------------------------------------
 *
 * image_int.h
 *	  Private interface between the parts of the image decoder: the
 *	  format-specific decoders (image_jpeg.c, image_png.c), the EXIF reader
 *	  (image_exif.c) and the dispatcher (image.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef FC_IMAGE_INT_H
#define FC_IMAGE_INT_H

#include "image.h"

/* What a format decoder gets from the dispatcher (options resolved). */
typedef struct fc_decode_ctx
{
	const fc_allocator *allocator;
	const fc_hooks *hooks;		/* may be NULL */
	int64_t		max_pixels;
	int			min_long_side;
	int			min_short_side;
	int			want_orientation;	/* read the EXIF orientation into info */
} fc_decode_ctx;

/*
 * Decode JPEG / PNG data as stored (no orientation applied) into *out, whose
 * pixels come from ctx->allocator.  Fill info's format-specific fields
 * (stored size, scale_denom, warnings, had_alpha, orientation if
 * ctx->want_orientation).  On failure nothing stays allocated.
 */
fc_status	fc_decode_jpeg(const uint8_t *data, size_t len, const fc_decode_ctx *ctx,
						   fc_image *out, fc_decode_info *info, fc_error *err);
fc_status	fc_decode_png(const uint8_t *data, size_t len, const fc_decode_ctx *ctx,
						  fc_image *out, fc_decode_info *info, fc_error *err);

/*
 * The orientation (1..8) in an EXIF TIFF structure (starting at the "II"/"MM"
 * byte order mark), or 1 when absent, malformed or out of range.  Every read
 * is bounds-checked against len.
 */
int			fc_exif_orientation(const uint8_t *tiff, size_t len);

/* Check width * height against the limit; FC_ERR_IMAGE_TOO_LARGE if over. */
fc_status	fc_check_pixel_limit(int64_t width, int64_t height, int64_t max_pixels,
								 const char *what, fc_error *err);

/* Lowercase a library message's leading capital ("Not enough data" -> "not ..."),
 * leaving acronyms ("JPEG ...") alone. */
void		fc_lowercase_first(char *msg);

#endif							/* FC_IMAGE_INT_H */
