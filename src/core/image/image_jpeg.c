/*-------------------------------------------------------------------------
 *
 * image_jpeg.c
 *	  JPEG decoding through libjpeg-turbo, with errors as return codes.
 *
 * libjpeg reports a fatal error by calling error_exit(), which by default
 * prints and calls exit(); a warning goes to emit_message(), which by
 * default prints.  Inside a database backend neither is acceptable, so we
 * install our own error manager: error_exit() formats the message and
 * longjmp()s back to decode_jpeg(), which destroys the decompressor and
 * frees the output before returning FC_ERR_CORRUPT_IMAGE.  The jump never
 * leaves this file.
 *
 * Warnings: libjpeg carries on past damaged entropy-coded data ("bad
 * Huffman code", "premature end of data segment") and past a truncated file
 * (it pads with an EOI marker), producing grey or smeared regions.  A
 * smeared face gives a wrong embedding without any sign of trouble, so these
 * data-corruption warnings are errors here.  Harmless warnings (stray bytes
 * between markers, an unknown JFIF revision, a bad ICC profile) are counted
 * in info->warnings and decoding continues.
 *
 * Progressive JPEGs are decoded in full before the first scanline comes out;
 * a crafted file can have thousands of tiny scans, each a pass over the
 * whole image.  A progress monitor caps the scan count (FC_JPEG_MAX_SCANS,
 * FC_ERR_DECODE_LIMIT) and polls the caller's interrupt hook, so a slow
 * decode can be cancelled.
 *
 * Memory: libjpeg allocates with its own malloc (jmemnobs), so its pools are
 * not in the caller's allocator; they are bounded instead.  A progressive or
 * multi-scan file needs a coefficient buffer for the whole image, 128 bytes
 * a DCT block, however small the DCT-scaled output: a 575 kB progressive
 * 7000 x 7000 4:4:4 file wants 294 MB.  So after the header, before
 * jpeg_start_decompress() allocates anything image-sized, we compute that
 * buffer (plus a generous bound on the row buffers) and charge it to the
 * decode's budget; over the cap is FC_ERR_DECODE_MEMORY.  libjpeg's
 * max_memory_to_use is set to the same figure, so should the estimate ever
 * fall short, libjpeg stops (it would need a backing store, which this
 * build of libjpeg does not have) rather than allocate more.
 *
 *-------------------------------------------------------------------------
 */
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

#include "image_int.h"

/* Bytes of libjpeg's row buffers (upsampling, colour conversion, IDCT output)
 * per image column and component: a generous bound for 4:2:0 context rows. */
#define FC_JPEG_ROW_BYTES	64

/* libjpeg's tables, pool headers and saved markers, beyond the image buffers. */
#define FC_JPEG_FIXED_BYTES	(1024 * 1024)

typedef struct fc_jpeg_err
{
	struct jpeg_error_mgr pub;	/* libjpeg's part; must be first */
	jmp_buf		jump;
	fc_status	status;
	int			warnings;
	int			own_message;	/* message is ours and complete, not libjpeg's */
	char		message[FC_ERROR_MSG_LEN];	/* >= JMSG_LENGTH_MAX */
} fc_jpeg_err;

typedef struct fc_jpeg_progress
{
	struct jpeg_progress_mgr pub;	/* must be first */
	const fc_decode_ctx *ctx;
} fc_jpeg_progress;

/* Everything decode_jpeg() must release, reachable after a longjmp. */
typedef struct fc_jpeg_state
{
	struct jpeg_decompress_struct cinfo;
	fc_jpeg_err jerr;
	fc_jpeg_progress progress;
	fc_image	img;
	const fc_allocator *allocator;
	size_t		charged;		/* bytes charged to the budget (libjpeg's + pixels) */
} fc_jpeg_state;

static void
jump_with_message(j_common_ptr cinfo, fc_status status)
{
	fc_jpeg_err *e = (fc_jpeg_err *) cinfo->err;

	e->status = status;
	(*cinfo->err->format_message) (cinfo, e->message);
	longjmp(e->jump, 1);
}

static void
on_error_exit(j_common_ptr cinfo)
{
	fc_status	st = FC_ERR_CORRUPT_IMAGE;

	if (cinfo->err->msg_code == JERR_NO_BACKING_STORE)
		st = FC_ERR_DECODE_MEMORY;	/* over max_memory_to_use */
	else if (cinfo->err->msg_code == JERR_OUT_OF_MEMORY)
		st = FC_ERR_NOMEM;
	else if (cinfo->err->msg_code == JERR_IMAGE_TOO_BIG)
		st = FC_ERR_IMAGE_TOO_LARGE;	/* over libjpeg's own 65500-pixel side */
	else if (cinfo->err->msg_code == JERR_BAD_PRECISION ||	/* 12/16-bit samples */
			 cinfo->err->msg_code == JERR_SOF_UNSUPPORTED ||	/* lossless, hierarchical */
			 cinfo->err->msg_code == JERR_ARITH_NOTIMPL ||
			 cinfo->err->msg_code == JERR_NOT_COMPILED ||
			 cinfo->err->msg_code == JERR_CONVERSION_NOTIMPL)
		st = FC_ERR_UNSUPPORTED_FORMAT;
	jump_with_message(cinfo, st);
}

/* Is this warning a sign that pixel data is missing or damaged? */
static int
is_corruption_warning(int code)
{
	switch (code)
	{
		case JWRN_JPEG_EOF:
		case JWRN_HIT_MARKER:
		case JWRN_HUFF_BAD_CODE:
		case JWRN_ARITH_BAD_CODE:
		case JWRN_MUST_RESYNC:
		case JWRN_NOT_SEQUENTIAL:
		case JWRN_BOGUS_PROGRESSION:
			return 1;
		default:
			return 0;
	}
}

static void
on_emit_message(j_common_ptr cinfo, int msg_level)
{
	fc_jpeg_err *e = (fc_jpeg_err *) cinfo->err;

	if (msg_level >= 0)
		return;					/* trace messages */
	if (is_corruption_warning(cinfo->err->msg_code))
		jump_with_message(cinfo, FC_ERR_CORRUPT_IMAGE);
	e->warnings++;
}

static void
on_output_message(j_common_ptr cinfo)
{
	/* never print */
}

static void
on_progress(j_common_ptr cinfo)
{
	fc_jpeg_progress *p = (fc_jpeg_progress *) cinfo->progress;
	fc_jpeg_err *e = (fc_jpeg_err *) cinfo->err;

	if (cinfo->is_decompressor &&
		((j_decompress_ptr) cinfo)->input_scan_number > FC_JPEG_MAX_SCANS)
	{
		e->status = FC_ERR_DECODE_LIMIT;
		e->own_message = 1;
		snprintf(e->message, sizeof(e->message),
				 "JPEG image has more than %d progressive scans (the decoder's fixed limit)",
				 FC_JPEG_MAX_SCANS);
		longjmp(e->jump, 1);
	}
	if (fc_decode_interrupted(p->ctx))
	{
		e->status = FC_ERR_CANCELLED;
		snprintf(e->message, sizeof(e->message), "cancelled");
		longjmp(e->jump, 1);
	}
}

/* The orientation from the first "Exif" APP1 marker saved by libjpeg, or 1. */
static int
jpeg_orientation(j_decompress_ptr cinfo)
{
	for (jpeg_saved_marker_ptr m = cinfo->marker_list; m != NULL; m = m->next)
	{
		if (m->marker == JPEG_APP0 + 1 && m->data_length >= 6 &&
			memcmp(m->data, "Exif\0\0", 6) == 0)
			return fc_exif_orientation(m->data + 6, m->data_length - 6);
	}
	return 1;
}

/*
 * Set the DCT scale (fc_decode_scale: the largest reduction that keeps both
 * minimum sides) and compute the output dimensions.
 */
static void
choose_scale(j_decompress_ptr cinfo, const fc_decode_ctx *ctx)
{
	cinfo->scale_num = 1;
	cinfo->scale_denom = (unsigned) fc_decode_scale(cinfo->image_width, cinfo->image_height,
												   ctx, 8);
	jpeg_calc_output_dimensions(cinfo);
}

/*
 * The most libjpeg will allocate for this image (see the file header): the
 * whole-image coefficient buffer when the file has several scans (each
 * component's blocks, padded to its sampling factors, 64 coefficients of 2
 * bytes), the row buffers, the saved markers and fixed tables.  Valid after
 * jpeg_read_header.
 */
static size_t
libjpeg_memory(j_decompress_ptr cinfo)
{
	size_t		total = FC_JPEG_FIXED_BYTES +
		(size_t) cinfo->image_width * cinfo->num_components * FC_JPEG_ROW_BYTES;

	/* the APP1 markers saved for EXIF are in libjpeg's pools too */
	for (jpeg_saved_marker_ptr m = cinfo->marker_list; m != NULL; m = m->next)
		total += m->data_length + sizeof(*m);

	if (jpeg_has_multiple_scans(cinfo))
	{
		for (int ci = 0; ci < cinfo->num_components; ci++)
		{
			const jpeg_component_info *c = &cinfo->comp_info[ci];
			size_t		w = c->width_in_blocks,
						h = c->height_in_blocks;

			w = (w + c->h_samp_factor - 1) / c->h_samp_factor * c->h_samp_factor;
			h = (h + c->v_samp_factor - 1) / c->v_samp_factor * c->v_samp_factor;
			total += w * h * DCTSIZE2 * sizeof(JCOEF);
		}
	}
	return total;
}

/* Charge size bytes to the budget or jump out with FC_ERR_DECODE_MEMORY. */
static void
charge_or_jump(fc_jpeg_state *s, const fc_decode_ctx *ctx, size_t size)
{
	fc_error	err;

	if (!fc_budget_charge(ctx->budget, size))
	{
		fc_decode_memory_exceeded(ctx->budget, "JPEG", size, &err);
		s->jerr.status = err.status;
		s->jerr.own_message = 1;
		snprintf(s->jerr.message, sizeof(s->jerr.message), "%s", err.message);
		longjmp(s->jerr.jump, 1);
	}
	s->charged += size;
}

/*
 * CMYK as libjpeg hands it over (YCCK already converted to CMYK) to RGB, in
 * place at the start of the row.  Adobe applications write CMYK inverted
 * (0 = full ink) and mark the file with an Adobe APP14 segment, so with that
 * marker the channels are taken as inverted; this is the convention browsers
 * and libjpeg-turbo's own tools follow.
 */
static void
cmyk_row_to_rgb(uint8_t *row, JDIMENSION width, int inverted)
{
	for (JDIMENSION x = 0; x < width; x++)
	{
		unsigned	c = row[4 * x],
					m = row[4 * x + 1],
					y = row[4 * x + 2],
					k = row[4 * x + 3];

		if (!inverted)
		{
			c = 255 - c;
			m = 255 - m;
			y = 255 - y;
			k = 255 - k;
		}
		/* now 255 = no ink: R = (1 - C)(1 - K) in these units, rounded */
		row[3 * x] = (uint8_t) ((c * k + 127) / 255);
		row[3 * x + 1] = (uint8_t) ((m * k + 127) / 255);
		row[3 * x + 2] = (uint8_t) ((y * k + 127) / 255);
	}
}

/*
 * The part of decoding that can longjmp back to fc_decode_jpeg(); every
 * resource it takes is recorded in *s first.
 */
static void
decode_body(fc_jpeg_state *s, const uint8_t *data, size_t len,
			const fc_decode_ctx *ctx, fc_decode_info *info)
{
	j_decompress_ptr cinfo = &s->cinfo;
	int			cmyk;
	size_t		stride;
	fc_error	err;

	jpeg_mem_src(cinfo, (const unsigned char *) data, (unsigned long) len);
	if (ctx->want_orientation)
		jpeg_save_markers(cinfo, JPEG_APP0 + 1, 0xFFFF);
	jpeg_read_header(cinfo, TRUE);

	info->stored_width = (int) cinfo->image_width;
	info->stored_height = (int) cinfo->image_height;
	/* The limit is checked on the header before libjpeg allocates its
	 * per-image buffers (jpeg_start_decompress) or we allocate pixels. */
	if (fc_check_pixel_limit(cinfo->image_width, cinfo->image_height,
							 ctx->max_pixels, "JPEG", &err) != FC_OK)
	{
		s->jerr.status = err.status;
		s->jerr.own_message = 1;
		snprintf(s->jerr.message, sizeof(s->jerr.message), "%s", err.message);
		longjmp(s->jerr.jump, 1);
	}
	if (ctx->want_orientation)
		info->orientation = jpeg_orientation(cinfo);

	switch (cinfo->jpeg_color_space)
	{
		case JCS_GRAYSCALE:
		case JCS_YCbCr:
		case JCS_RGB:
			cinfo->out_color_space = JCS_EXT_RGB;
			cmyk = 0;
			break;
		case JCS_CMYK:
		case JCS_YCCK:
			cinfo->out_color_space = JCS_CMYK;
			cmyk = 1;
			break;
		default:
			s->jerr.status = FC_ERR_UNSUPPORTED_FORMAT;
			snprintf(s->jerr.message, sizeof(s->jerr.message),
					 "JPEG color space with %d components is not supported",
					 cinfo->num_components);
			longjmp(s->jerr.jump, 1);
	}
	choose_scale(cinfo, ctx);
	info->scale_denom = (int) cinfo->scale_denom;

	/* libjpeg's own memory, from the header, before it allocates any of it */
	{
		size_t		need = libjpeg_memory(cinfo);

		charge_or_jump(s, ctx, need);
		cinfo->mem->max_memory_to_use = (long) need;
	}
	jpeg_start_decompress(cinfo);

	/* CMYK rows are 4 bytes a pixel until converted in place. */
	stride = (size_t) cinfo->output_width * (cmyk ? 4 : 3);
	charge_or_jump(s, ctx, stride * cinfo->output_height);
	s->img.pixels = ctx->allocator->alloc(ctx->allocator->ctx,
										  stride * cinfo->output_height);
	if (s->img.pixels == NULL)
	{
		s->jerr.status = FC_ERR_NOMEM;
		snprintf(s->jerr.message, sizeof(s->jerr.message),
				 "out of memory for a %ux%u image", cinfo->output_width, cinfo->output_height);
		longjmp(s->jerr.jump, 1);
	}
	s->img.width = (int) cinfo->output_width;
	s->img.height = (int) cinfo->output_height;
	s->img.stride = stride;

	while (cinfo->output_scanline < cinfo->output_height)
	{
		JSAMPROW	row = s->img.pixels + (size_t) cinfo->output_scanline * stride;

		if (jpeg_read_scanlines(cinfo, &row, 1) != 1)
		{
			/* only a suspending source returns 0; the memory source never does */
			s->jerr.status = FC_ERR_CORRUPT_IMAGE;
			snprintf(s->jerr.message, sizeof(s->jerr.message), "no scanline returned");
			longjmp(s->jerr.jump, 1);
		}
		if (cmyk)
			cmyk_row_to_rgb(row, cinfo->output_width, cinfo->saw_Adobe_marker);
	}
	/* Trailing markers are not read: jpeg_finish_decompress() would only
	 * complain about a missing EOI after all pixels arrived. */
}

fc_status
fc_decode_jpeg(const uint8_t *data, size_t len, const fc_decode_ctx *ctx,
			   fc_image *out, fc_decode_info *info, fc_error *err)
{
	fc_jpeg_state s;

	memset(&s, 0, sizeof(s));
	s.allocator = ctx->allocator;
	s.cinfo.err = jpeg_std_error(&s.jerr.pub);
	s.jerr.pub.error_exit = on_error_exit;
	s.jerr.pub.emit_message = on_emit_message;
	s.jerr.pub.output_message = on_output_message;
	s.progress.pub.progress_monitor = on_progress;
	s.progress.ctx = ctx;

	if (setjmp(s.jerr.jump))
	{
		char		msg[FC_ERROR_MSG_LEN];
		fc_status	st = s.jerr.status != FC_OK ? s.jerr.status : FC_ERR_CORRUPT_IMAGE;

		/* libjpeg's messages start with a capital ("Corrupt JPEG data: ...") */
		snprintf(msg, sizeof(msg), "%s", s.jerr.message);
		fc_lowercase_first(msg);
		jpeg_destroy_decompress(&s.cinfo);
		if (s.img.pixels != NULL)
			ctx->allocator->free(ctx->allocator->ctx, s.img.pixels);
		fc_budget_release(ctx->budget, s.charged);
		info->warnings = s.jerr.warnings;
		if (st == FC_ERR_CANCELLED)
			return fc_fail(err, st, "image decoding was cancelled");
		if (st == FC_ERR_DECODE_MEMORY && !s.jerr.own_message)
			return fc_decode_memory_exceeded(ctx->budget, "JPEG", 0, err);
		if (s.jerr.own_message)
			return fc_fail(err, st, "%s", msg);
		return fc_fail(err, st, "could not decode JPEG image: %s", msg);
	}

	jpeg_create_decompress(&s.cinfo);
	s.cinfo.progress = &s.progress.pub;
	decode_body(&s, data, len, ctx, info);

	info->warnings = s.jerr.warnings;
	jpeg_destroy_decompress(&s.cinfo);
	/* libjpeg's pools are gone; the pixels stay charged until the decode ends */
	fc_budget_release(ctx->budget, s.charged - s.img.stride * (size_t) s.img.height);
	*out = s.img;
	return FC_OK;
}
