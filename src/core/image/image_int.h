/*-------------------------------------------------------------------------
 *
 * image_int.h
 *	  Private interface between the parts of the image decoder: the
 *	  dispatcher (image.c), the format-specific decoders (image_jpeg.c,
 *	  image_png.c), the EXIF reader (image_exif.c) and what the decoders
 *	  share (image_limits.c).
 *
 * Calls go one way: image.c -> image_jpeg.c / image_png.c ->
 * image_exif.c, image_limits.c.  A decoder never calls image.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef FC_IMAGE_INT_H
#define FC_IMAGE_INT_H

#include "image.h"

/*
 * The memory one decode may hold (image_limits.c): the library's
 * allocations routed through fc_budget_alloc, plus the pixel buffers
 * charged with fc_budget_charge.  exceeded is set when a charge was
 * refused, so a library's "out of memory" can be told apart from ours.
 */
typedef struct fc_decode_budget
{
	const fc_allocator *allocator;
	size_t		limit;			/* bytes */
	size_t		used;
	size_t		peak;
	int			exceeded;
} fc_decode_budget;

/* What a format decoder gets from the dispatcher (options resolved). */
typedef struct fc_decode_ctx
{
	const fc_allocator *allocator;
	const fc_hooks *hooks;		/* may be NULL */
	fc_decode_budget *budget;
	int64_t		max_pixels;
	int			min_long_side;
	int			min_short_side;
	int			want_orientation;	/* read the EXIF orientation into info */
} fc_decode_ctx;

/*
 * Decode JPEG / PNG data as stored (no orientation applied) into *out, whose
 * pixels come from ctx->allocator and stay charged to ctx->budget.  Fill
 * info's format-specific fields (stored size, scale_denom, warnings,
 * had_alpha, orientation if ctx->want_orientation).  On failure nothing
 * stays allocated.
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

/* ---- image_limits.c ---- */

/* Check width * height against the limit; FC_ERR_IMAGE_TOO_LARGE if over. */
fc_status	fc_check_pixel_limit(int64_t width, int64_t height, int64_t max_pixels,
								 const char *what, fc_error *err);

/* FC_ERR_DECODE_MEMORY with a message naming the limit and the need. */
fc_status	fc_decode_memory_exceeded(const fc_decode_budget *b, const char *what,
									  size_t need, fc_error *err);

/* Charge / release size bytes; charge returns 0 (and sets exceeded) over the cap. */
int			fc_budget_charge(fc_decode_budget *b, size_t size);
void		fc_budget_release(fc_decode_budget *b, size_t size);

/* Allocate / free through the budget (a size header in front); NULL over the cap. */
void	   *fc_budget_alloc(fc_decode_budget *b, size_t size);
void		fc_budget_free(fc_decode_budget *b, void *ptr);

/*
 * The largest reduction 1/d (d = max_denom, ..., 4, 2) whose output
 * (sides rounded up) keeps its long side >= ctx->min_long_side and its
 * short side >= ctx->min_short_side; 1 when none does or no minimum is set.
 */
int			fc_decode_scale(int64_t width, int64_t height, const fc_decode_ctx *ctx,
							int max_denom);

/* Nonzero when the caller's interrupt hook says stop. */
int			fc_decode_interrupted(const fc_decode_ctx *ctx);

/* Lowercase a library message's leading capital ("Not enough data" -> "not ..."),
 * leaving acronyms ("JPEG ...") alone. */
void		fc_lowercase_first(char *msg);

#endif							/* FC_IMAGE_INT_H */
