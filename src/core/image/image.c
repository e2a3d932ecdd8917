/*-------------------------------------------------------------------------
 *
 * image.c
 *	  Format sniffing, decode dispatch, the pixel limit and EXIF orientation.
 *
 * The decoders produce pixels as stored; this file turns them upright.  An
 * EXIF orientation tag says how the stored pixels must be transformed for
 * display (TIFF 6.0 / EXIF 2.3 tag 0x0112): 1 as stored, 2 mirrored, 3
 * rotated 180, 4 flipped, 5 transposed, 6 rotated 90 clockwise, 7
 * transversed, 8 rotated 90 counter-clockwise.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "image_int.h"

static int
starts_with(const uint8_t *data, size_t len, size_t off, const char *magic, size_t n)
{
	return len >= off + n && memcmp(data + off, magic, n) == 0;
}

fc_image_format
fc_image_sniff(const uint8_t *data, size_t len)
{
	if (data == NULL || len == 0)
		return FC_FORMAT_UNKNOWN;
	if (starts_with(data, len, 0, "\xFF\xD8\xFF", 3))
		return FC_FORMAT_JPEG;
	if (starts_with(data, len, 0, "\x89PNG\r\n\x1A\n", 8))
		return FC_FORMAT_PNG;
	if (starts_with(data, len, 0, "GIF87a", 6) || starts_with(data, len, 0, "GIF89a", 6))
		return FC_FORMAT_GIF;
	if (starts_with(data, len, 0, "RIFF", 4) && starts_with(data, len, 8, "WEBP", 4))
		return FC_FORMAT_WEBP;
	if (starts_with(data, len, 0, "II*\0", 4) || starts_with(data, len, 0, "MM\0*", 4) ||
		starts_with(data, len, 0, "II+\0", 4) || starts_with(data, len, 0, "MM\0+", 4))
		return FC_FORMAT_TIFF;
	if (starts_with(data, len, 0, "\0\0\0\x0CjP  \r\n\x87\n", 12) ||
		starts_with(data, len, 0, "\xFF\x4F\xFF\x51", 4))
		return FC_FORMAT_JPEG2000;
	if (starts_with(data, len, 0, "\xFF\x0A", 2) ||
		starts_with(data, len, 0, "\0\0\0\x0CJXL \r\n\x87\n", 12))
		return FC_FORMAT_JPEGXL;
	if (starts_with(data, len, 0, "8BPS", 4))
		return FC_FORMAT_PSD;

	/* ISO base media file: a "ftyp" box whose brands say HEIF or AVIF. */
	if (starts_with(data, len, 4, "ftyp", 4) && len >= 16)
	{
		uint32_t	boxlen = ((uint32_t) data[0] << 24) | (data[1] << 16) | (data[2] << 8) | data[3];
		size_t		end = boxlen < len ? boxlen : len;
		int			heif = 0;

		/* major brand at 8, minor version at 12, compatible brands from 16 */
		for (size_t off = 8; off + 4 <= end; off += (off == 8 ? 8 : 4))
		{
			if (memcmp(data + off, "avif", 4) == 0 || memcmp(data + off, "avis", 4) == 0)
				return FC_FORMAT_AVIF;
			if (memcmp(data + off, "heic", 4) == 0 || memcmp(data + off, "heix", 4) == 0 ||
				memcmp(data + off, "hevc", 4) == 0 || memcmp(data + off, "hevx", 4) == 0 ||
				memcmp(data + off, "heim", 4) == 0 || memcmp(data + off, "heis", 4) == 0 ||
				memcmp(data + off, "mif1", 4) == 0 || memcmp(data + off, "msf1", 4) == 0)
				heif = 1;
		}
		if (heif)
			return FC_FORMAT_HEIC;
	}

	/* BMP: "BM" is weak alone, so also require a known DIB header size. */
	if (starts_with(data, len, 0, "BM", 2) && len >= 18)
	{
		uint32_t	dib = data[14] | (data[15] << 8) | (data[16] << 16) | ((uint32_t) data[17] << 24);

		if (dib == 12 || dib == 40 || dib == 52 || dib == 56 || dib == 64 ||
			dib == 108 || dib == 124)
			return FC_FORMAT_BMP;
	}
	/* ICO/CUR: reserved 0, type 1 or 2, a plausible image count. */
	if (len >= 6 && data[0] == 0 && data[1] == 0 && (data[2] == 1 || data[2] == 2) &&
		data[3] == 0 && (data[4] | data[5]) != 0)
		return FC_FORMAT_ICO;

	return FC_FORMAT_UNKNOWN;
}

const char *
fc_image_format_name(fc_image_format format)
{
	switch (format)
	{
		case FC_FORMAT_JPEG:
			return "JPEG";
		case FC_FORMAT_PNG:
			return "PNG";
		case FC_FORMAT_GIF:
			return "GIF";
		case FC_FORMAT_WEBP:
			return "WebP";
		case FC_FORMAT_BMP:
			return "BMP";
		case FC_FORMAT_TIFF:
			return "TIFF";
		case FC_FORMAT_HEIC:
			return "HEIC/HEIF";
		case FC_FORMAT_AVIF:
			return "AVIF";
		case FC_FORMAT_JPEG2000:
			return "JPEG 2000";
		case FC_FORMAT_JPEGXL:
			return "JPEG XL";
		case FC_FORMAT_ICO:
			return "ICO";
		case FC_FORMAT_PSD:
			return "PSD";
		case FC_FORMAT_UNKNOWN:
			break;
	}
	return "unknown";
}

fc_status
fc_image_alloc(fc_image *img, int width, int height, const fc_allocator *allocator,
			   fc_error *err)
{
	size_t		stride;

	memset(img, 0, sizeof(*img));
	if (width <= 0 || height <= 0)
		return fc_fail(err, FC_ERR_INVALID_ARGUMENT,
					   "image size %dx%d is not positive", width, height);
	stride = (size_t) width * 3;
	/* a size_t product overflow is impossible on 64-bit for int dimensions */
	img->pixels = allocator->alloc(allocator->ctx, stride * (size_t) height);
	if (img->pixels == NULL)
		return fc_fail(err, FC_ERR_NOMEM, "out of memory for a %dx%d image", width, height);
	img->width = width;
	img->height = height;
	img->stride = stride;
	return FC_OK;
}

void
fc_image_free(fc_image *img, const fc_allocator *allocator)
{
	if (img == NULL)
		return;
	if (img->pixels != NULL)
		allocator->free(allocator->ctx, img->pixels);
	memset(img, 0, sizeof(*img));
}

/*
 * Apply EXIF orientation o (2..8) to *img, replacing its pixels.  For each
 * output pixel (x, y) we read the stored pixel the tag maps there; see the
 * file header for the meaning of each value.
 */
static fc_status
apply_orientation(fc_image *img, int o, const fc_decode_ctx *ctx, fc_error *err)
{
	const fc_allocator *allocator = ctx->allocator;
	int			w = img->width,
				h = img->height;
	int			swap = (o >= 5);
	fc_image	out;
	fc_status	st;

	/* the copy is charged to the decode's budget: both exist at once */
	if (!fc_budget_charge(ctx->budget, img->stride * (size_t) h))
		return fc_decode_memory_exceeded(ctx->budget, "rotated", img->stride * (size_t) h, err);
	st = fc_image_alloc(&out, swap ? h : w, swap ? w : h, allocator, err);
	if (st != FC_OK)
		return st;

	for (int y = 0; y < out.height; y++)
	{
		uint8_t    *dst = out.pixels + (size_t) y * out.stride;

		for (int x = 0; x < out.width; x++)
		{
			int			sx,
						sy;
			const uint8_t *src;

			switch (o)
			{
				case 2: sx = w - 1 - x; sy = y; break;
				case 3: sx = w - 1 - x; sy = h - 1 - y; break;
				case 4: sx = x; sy = h - 1 - y; break;
				case 5: sx = y; sy = x; break;
				case 6: sx = y; sy = h - 1 - x; break;
				case 7: sx = w - 1 - y; sy = h - 1 - x; break;
				case 8: sx = w - 1 - y; sy = x; break;
				default: sx = x; sy = y; break;
			}
			src = img->pixels + (size_t) sy * img->stride + 3 * (size_t) sx;
			dst[3 * x] = src[0];
			dst[3 * x + 1] = src[1];
			dst[3 * x + 2] = src[2];
		}
	}
	fc_image_free(img, allocator);
	*img = out;
	return FC_OK;
}

fc_status
fc_image_decode(const uint8_t *data, size_t len, const fc_decode_options *opts,
				const fc_hooks *hooks, fc_image *out, fc_decode_info *info,
				fc_error *err)
{
	fc_decode_options defaults = {0};
	fc_decode_info local_info;
	fc_decode_ctx ctx;
	fc_decode_budget budget = {0};
	fc_image_format format;
	fc_status	st;

	memset(out, 0, sizeof(*out));
	if (info == NULL)
		info = &local_info;
	memset(info, 0, sizeof(*info));
	info->orientation = 1;
	info->scale_denom = 1;
	if (opts == NULL)
		opts = &defaults;

	ctx.hooks = hooks;
	ctx.allocator = fc_allocator_of(hooks);
	ctx.max_pixels = opts->max_pixels > 0 ? opts->max_pixels : FC_MAX_PIXELS_DEFAULT;
	budget.allocator = ctx.allocator;
	budget.limit = (size_t) (opts->max_decode_memory > 0 ? opts->max_decode_memory
							 : FC_MAX_DECODE_MEMORY_DEFAULT);
	ctx.budget = &budget;
	ctx.min_long_side = opts->min_long_side > 0 ? opts->min_long_side : 0;
	ctx.min_short_side = opts->min_short_side > 0 ? opts->min_short_side : 0;
	ctx.want_orientation = !opts->ignore_orientation;

	if (data == NULL || len == 0)
		return fc_fail(err, FC_ERR_NOT_AN_IMAGE, "image data is empty");

	format = fc_image_sniff(data, len);
	info->format = format;
	switch (format)
	{
		case FC_FORMAT_JPEG:
			st = fc_decode_jpeg(data, len, &ctx, out, info, err);
			break;
		case FC_FORMAT_PNG:
			st = fc_decode_png(data, len, &ctx, out, info, err);
			break;
		case FC_FORMAT_UNKNOWN:
			return fc_fail(err, FC_ERR_NOT_AN_IMAGE,
						   "data is not a JPEG or PNG image (unrecognised leading bytes)");
		default:
			return fc_fail(err, FC_ERR_UNSUPPORTED_FORMAT,
						   "%s images are not supported; only JPEG and PNG are decoded",
						   fc_image_format_name(format));
	}
	info->memory_peak = (int64_t) budget.peak;
	if (st != FC_OK)
	{
		memset(out, 0, sizeof(*out));
		return st;
	}

	if (ctx.want_orientation && info->orientation >= 2 && info->orientation <= 8)
	{
		st = apply_orientation(out, info->orientation, &ctx, err);
		if (st != FC_OK)
		{
			fc_image_free(out, ctx.allocator);
			return st;
		}
	}
	if (!ctx.want_orientation)
		info->orientation = 1;
	info->memory_peak = (int64_t) budget.peak;
	return FC_OK;
}
