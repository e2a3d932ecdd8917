/*-------------------------------------------------------------------------
 *
 * image_png.c
 *	  PNG decoding through libpng, with errors as return codes.
 *
 * libpng reports errors by calling an error function that must not return;
 * ours records the message and png_longjmp()s to the setjmp in
 * fc_decode_png(), which destroys the read struct and frees the pixels.
 * Warnings (bad CRC in an ancillary chunk, unknown chunks) are counted and
 * otherwise ignored, as every viewer does.  libpng allocates through the
 * caller's fc_allocator, so in a backend its memory lives in the right
 * memory context.
 *
 * Every PNG variant is normalised to 8-bit RGB by libpng's transforms:
 * palette and low-bit gray expanded, tRNS turned into alpha, 16-bit scaled
 * (not truncated) to 8, gray replicated to RGB, Adam7 de-interlaced.  An
 * alpha channel is then composited over black (see image.h for why).
 *
 *-------------------------------------------------------------------------
 */
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <png.h>

#include "image_int.h"

/* Largest ancillary chunk libpng may buffer (text, ICC, EXIF): 8 MB. */
#define FC_PNG_CHUNK_MAX	(8 * 1024 * 1024)

typedef struct fc_png_state
{
	const uint8_t *data;
	size_t		len;
	size_t		pos;
	const fc_allocator *allocator;
	fc_status	status;			/* set before our own png_error() calls */
	int			warnings;
	char		message[200];
	fc_image	img;
} fc_png_state;

static void
on_error(png_structp png, png_const_charp msg)
{
	fc_png_state *s = png_get_error_ptr(png);

	snprintf(s->message, sizeof(s->message), "%s", msg);
	fc_lowercase_first(s->message);
	png_longjmp(png, 1);
}

static void
on_warning(png_structp png, png_const_charp msg)
{
	fc_png_state *s = png_get_error_ptr(png);

	s->warnings++;
}

static png_voidp
on_malloc(png_structp png, png_alloc_size_t size)
{
	const fc_allocator *a = png_get_mem_ptr(png);

	return a->alloc(a->ctx, size);
}

static void
on_free(png_structp png, png_voidp ptr)
{
	const fc_allocator *a = png_get_mem_ptr(png);

	if (ptr != NULL)
		a->free(a->ctx, ptr);
}

static void
on_read(png_structp png, png_bytep out, size_t n)
{
	fc_png_state *s = png_get_io_ptr(png);

	if (n > s->len - s->pos)
		png_error(png, "premature end of PNG data");
	memcpy(out, s->data + s->pos, n);
	s->pos += n;
}

/* Raise a decoding failure with our own status from inside the jump zone. */
static void
fail_with(png_structp png, fc_png_state *s, fc_status st, const char *msg)
{
	s->status = st;
	png_error(png, msg);
}

/* RGBA row to RGB over black, in place at the start of the row. */
static void
composite_row(uint8_t *row, int width)
{
	for (int x = 0; x < width; x++)
	{
		unsigned	a = row[4 * x + 3];

		row[3 * x] = (uint8_t) ((row[4 * x] * a + 127) / 255);
		row[3 * x + 1] = (uint8_t) ((row[4 * x + 1] * a + 127) / 255);
		row[3 * x + 2] = (uint8_t) ((row[4 * x + 2] * a + 127) / 255);
	}
}

/* The part of decoding that can longjmp; resources are recorded in *s. */
static void
decode_body(png_structp png, png_infop pinfo, fc_png_state *s,
			const fc_decode_ctx *ctx, fc_decode_info *info)
{
	png_uint_32 width,
				height;
	int			bit_depth,
				color_type,
				interlace,
				passes,
				channels;
	size_t		stride;
	fc_error	err;

	png_set_read_fn(png, s, on_read);
	png_set_chunk_malloc_max(png, FC_PNG_CHUNK_MAX);
	png_read_info(png, pinfo);
	png_get_IHDR(png, pinfo, &width, &height, &bit_depth, &color_type,
				 &interlace, NULL, NULL);
	info->stored_width = (int) width;
	info->stored_height = (int) height;
	if (fc_check_pixel_limit(width, height, ctx->max_pixels, "PNG", &err) != FC_OK)
		fail_with(png, s, err.status, err.message);

	if (ctx->want_orientation)
	{
		png_uint_32 exif_len = 0;
		png_bytep	exif = NULL;

		if (png_get_eXIf_1(png, pinfo, &exif_len, &exif) != 0 && exif != NULL)
			info->orientation = fc_exif_orientation(exif, exif_len);
	}

	info->had_alpha = (color_type & PNG_COLOR_MASK_ALPHA) != 0 ||
		png_get_valid(png, pinfo, PNG_INFO_tRNS) != 0;
	png_set_expand(png);		/* palette -> RGB, gray < 8 bits -> 8, tRNS -> alpha */
	png_set_scale_16(png);
	if ((color_type & PNG_COLOR_MASK_COLOR) == 0)
		png_set_gray_to_rgb(png);
	passes = png_set_interlace_handling(png);
	png_read_update_info(png, pinfo);

	channels = png_get_channels(png, pinfo);
	if ((channels != 3 && channels != 4) || png_get_bit_depth(png, pinfo) != 8)
		fail_with(png, s, FC_ERR_INTERNAL, "unexpected PNG layout after transforms");
	stride = (size_t) width * channels;
	if (png_get_rowbytes(png, pinfo) != stride)
		fail_with(png, s, FC_ERR_INTERNAL, "unexpected PNG row size after transforms");

	s->img.pixels = ctx->allocator->alloc(ctx->allocator->ctx, stride * height);
	if (s->img.pixels == NULL)
		fail_with(png, s, FC_ERR_NOMEM, "out of memory for the PNG pixels");
	s->img.width = (int) width;
	s->img.height = (int) height;
	s->img.stride = stride;

	/* Interlaced images: each pass refines rows already in the buffer. */
	for (int pass = 0; pass < passes; pass++)
	{
		for (png_uint_32 y = 0; y < height; y++)
		{
			if ((y & 63) == 0 && ctx->hooks != NULL && ctx->hooks->interrupted != NULL &&
				ctx->hooks->interrupted(ctx->hooks->interrupt_ctx))
				fail_with(png, s, FC_ERR_CANCELLED, "cancelled");
			png_read_row(png, s->img.pixels + (size_t) y * stride, NULL);
		}
	}
	if (channels == 4)
	{
		for (png_uint_32 y = 0; y < height; y++)
			composite_row(s->img.pixels + (size_t) y * stride, (int) width);
	}
	/* Chunks after the image data (text, time) are not needed: no png_read_end. */
}

fc_status
fc_decode_png(const uint8_t *data, size_t len, const fc_decode_ctx *ctx,
			  fc_image *out, fc_decode_info *info, fc_error *err)
{
	fc_png_state s;
	png_structp png;
	png_infop	pinfo;

	memset(&s, 0, sizeof(s));
	s.data = data;
	s.len = len;
	s.allocator = ctx->allocator;

	png = png_create_read_struct_2(PNG_LIBPNG_VER_STRING, &s, on_error, on_warning,
								   (png_voidp) ctx->allocator, on_malloc, on_free);
	if (png == NULL)
		return fc_fail(err, FC_ERR_NOMEM, "out of memory creating the PNG decoder");
	pinfo = png_create_info_struct(png);
	if (pinfo == NULL)
	{
		png_destroy_read_struct(&png, NULL, NULL);
		return fc_fail(err, FC_ERR_NOMEM, "out of memory creating the PNG decoder");
	}

	if (setjmp(png_jmpbuf(png)))
	{
		fc_status	st = s.status != FC_OK ? s.status : FC_ERR_CORRUPT_IMAGE;

		png_destroy_read_struct(&png, &pinfo, NULL);
		if (s.img.pixels != NULL)
			ctx->allocator->free(ctx->allocator->ctx, s.img.pixels);
		info->warnings = s.warnings;
		if (st == FC_ERR_CANCELLED)
			return fc_fail(err, st, "image decoding was cancelled");
		if (st == FC_ERR_IMAGE_TOO_LARGE)
			return fc_fail(err, st, "%s", s.message);
		return fc_fail(err, st, "could not decode PNG image: %s", s.message);
	}
	decode_body(png, pinfo, &s, ctx, info);

	info->warnings = s.warnings;
	png_destroy_read_struct(&png, &pinfo, NULL);
	*out = s.img;
	return FC_OK;
}
