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
 * decode's budget over the caller's fc_allocator, so in a backend its memory
 * lives in the right memory context and under face.max_decode_memory.
 *
 * Hostile files (image.h, "Bounded work and memory"):
 *	- libpng inflates zTXt, iTXt and iCCP inside png_read_info(), before
 *	  the first row: 300 zTXt chunks of 7.9 MB each took 10 s.  We read
 *	  only IHDR, PLTE, tRNS, IDAT, IEND and eXIf; every other chunk, known
 *	  or not, is marked PNG_HANDLE_CHUNK_NEVER, so libpng only runs its CRC
 *	  over the bytes (no zlib, no allocation).
 *	- Before libpng sees the file, a census walks the chunk headers (no
 *	  data read): more than FC_PNG_MAX_CHUNKS ancillary chunks is
 *	  FC_ERR_DECODE_LIMIT, and image data longer than the header's raw
 *	  size could ever deflate to (stored blocks, worst-case Huffman) is
 *	  FC_ERR_CORRUPT_IMAGE: libpng inflates all trailing IDAT data after
 *	  the last row, so a 64 x 64 header with 10 MB of IDAT would otherwise
 *	  inflate 10 GB.
 *	- The read callback polls the interrupt hook every 64 kB, so even the
 *	  skipping is cancellable.
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

/* Largest ancillary chunk libpng may buffer; only eXIf is kept (64 kB in JPEG). */
#define FC_PNG_CHUNK_MAX	(1024 * 1024)

/* Bytes read between two polls of the interrupt hook. */
#define FC_PNG_POLL_BYTES	(64 * 1024)

typedef struct fc_png_state
{
	const uint8_t *data;
	size_t		len;
	size_t		pos;
	size_t		next_poll;		/* pos at which on_read polls the hook */
	const fc_decode_ctx *ctx;
	const fc_allocator *allocator;
	fc_status	status;			/* set before our own png_error() calls */
	int			warnings;
	char		message[FC_ERROR_MSG_LEN];
	fc_image	img;
	size_t		charged;		/* pixel bytes charged to the budget */
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
	return fc_budget_alloc(png_get_mem_ptr(png), size);
}

static void
on_free(png_structp png, png_voidp ptr)
{
	fc_budget_free(png_get_mem_ptr(png), ptr);
}

static void fail_with(png_structp png, fc_png_state *s, fc_status st, const char *msg);

static void
on_read(png_structp png, png_bytep out, size_t n)
{
	fc_png_state *s = png_get_io_ptr(png);

	if (s->pos >= s->next_poll)
	{
		s->next_poll = s->pos + FC_PNG_POLL_BYTES;
		if (fc_decode_interrupted(s->ctx))
			fail_with(png, s, FC_ERR_CANCELLED, "cancelled");
	}
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

static uint32_t
be32(const uint8_t *p)
{
	return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16) | ((uint32_t) p[2] << 8) | p[3];
}

/*
 * Walk the chunk headers of data (signature checked by the caller) without
 * reading chunk data: count the ancillary chunks and sum the IDAT lengths
 * against the most the header's rows could take even stored uncompressed
 * (deflate's stored blocks add 5 bytes in 65535, fixed Huffman codes at
 * most 1/8).  A truncated walk just stops: libpng reports truncation.
 */
static fc_status
census(const uint8_t *data, size_t len, fc_error *err)
{
	uint64_t	raw = 0,
				idat = 0;
	int			ancillary = 0;

	for (size_t pos = 8; pos + 8 <= len;)
	{
		uint32_t	n = be32(data + pos);
		const uint8_t *type = data + pos + 4;

		if (memcmp(type, "IHDR", 4) == 0 && n >= 13 && pos + 8 + 13 <= len)
		{
			const uint8_t *h = data + pos + 8;
			uint64_t	w = be32(h),
						ht = be32(h + 4);
			unsigned	depth = h[8],
						color = h[9];
			unsigned	samples = color == 2 ? 3 : color == 4 ? 2 : color == 6 ? 4 : 1;

			/* filter byte + packed row; Adam7 adds up to 7 filter bytes a row */
			raw = ht * (8 + (w * samples * depth + 7) / 8);
		}
		else if (memcmp(type, "IDAT", 4) == 0)
			idat += n;
		else if (memcmp(type, "IEND", 4) == 0)
			break;
		else if ((type[0] & 0x20) != 0 && ++ancillary > FC_PNG_MAX_CHUNKS)
			return fc_fail(err, FC_ERR_DECODE_LIMIT,
						   "PNG image has more than %d ancillary chunks", FC_PNG_MAX_CHUNKS);
		if (n > 0x7fffffffu)
			break;				/* libpng refuses it */
		pos += (size_t) n + 12;
	}
	if (raw > 0 && idat > raw + raw / 8 + 65536)
		return fc_fail(err, FC_ERR_CORRUPT_IMAGE,
					   "could not decode PNG image: %llu bytes of image data, more than its %llu bytes of pixels can take",
					   (unsigned long long) idat, (unsigned long long) raw);
	return FC_OK;
}

/*
 * Every ancillary chunk but tRNS (transparency) and eXIf (orientation) is
 * skipped unread: the default for unknown chunks, and each known one by
 * name (libpng then treats it as unknown, PNG_HANDLE_AS_UNKNOWN_SUPPORTED).
 */
static void
skip_unused_chunks(png_structp png)
{
	static const png_byte unused[] =
		"bKGD\0cHRM\0gAMA\0hIST\0iCCP\0iTXt\0oFFs\0pCAL\0pHYs\0sBIT\0"
		"sCAL\0sPLT\0sRGB\0tEXt\0tIME\0zTXt\0";

	png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, NULL, 0);
	png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, unused, (int) (sizeof(unused) - 1) / 5);
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
	png_set_chunk_cache_max(png, FC_PNG_MAX_CHUNKS);
	skip_unused_chunks(png);
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

	if (!fc_budget_charge(ctx->budget, stride * height))
	{
		fc_decode_memory_exceeded(ctx->budget, "PNG", stride * height, &err);
		fail_with(png, s, err.status, err.message);
	}
	s->charged = stride * height;
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
			if ((y & 63) == 0 && fc_decode_interrupted(ctx))
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
	s.ctx = ctx;
	s.allocator = ctx->allocator;

	{
		fc_status	st = census(data, len, err);

		if (st != FC_OK)
			return st;
	}
	png = png_create_read_struct_2(PNG_LIBPNG_VER_STRING, &s, on_error, on_warning,
								   (png_voidp) ctx->budget, on_malloc, on_free);
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

		/* libpng's "out of memory" after our budget refused is our limit */
		if (st == FC_ERR_CORRUPT_IMAGE && ctx->budget->exceeded)
			st = FC_ERR_DECODE_MEMORY;
		png_destroy_read_struct(&png, &pinfo, NULL);
		if (s.img.pixels != NULL)
			ctx->allocator->free(ctx->allocator->ctx, s.img.pixels);
		fc_budget_release(ctx->budget, s.charged);
		info->warnings = s.warnings;
		if (st == FC_ERR_CANCELLED)
			return fc_fail(err, st, "image decoding was cancelled");
		if (st == FC_ERR_DECODE_MEMORY && s.status != st)
			return fc_decode_memory_exceeded(ctx->budget, "PNG", 0, err);
		if (st == FC_ERR_IMAGE_TOO_LARGE || st == FC_ERR_DECODE_MEMORY)
			return fc_fail(err, st, "%s", s.message);
		return fc_fail(err, st, "could not decode PNG image: %s", s.message);
	}
	decode_body(png, pinfo, &s, ctx, info);

	info->warnings = s.warnings;
	png_destroy_read_struct(&png, &pinfo, NULL);
	*out = s.img;
	return FC_OK;
}
