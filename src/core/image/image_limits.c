/*-------------------------------------------------------------------------
 *
 * image_limits.c
 *	  What the format decoders share: the pixel limit, the decode memory
 *	  budget, the DCT-style scale choice, the cancellation poll and message
 *	  tidying.
 *
 * The decoders (image_jpeg.c, image_png.c) call only this file and their
 * library; image.c calls the decoders.  So the arrows point one way:
 * image.c -> decoders -> image_limits.c.
 *
 * The budget: every byte a decode holds (the library's own allocations when
 * they come through us, the output pixels, the rotated copy) is charged to
 * one fc_decode_budget whose cap is the caller's max_decode_memory.  A charge
 * over the cap fails and the decoder returns FC_ERR_DECODE_MEMORY, so one
 * call never holds more than the cap, whatever the file says.
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <string.h>

#include "image_int.h"

fc_status
fc_check_pixel_limit(int64_t width, int64_t height, int64_t max_pixels,
					 const char *what, fc_error *err)
{
	if (width <= 0 || height <= 0)
		return fc_fail(err, FC_ERR_CORRUPT_IMAGE, "%s header has size %lldx%lld",
					   what, (long long) width, (long long) height);
	if (width * height > max_pixels)
		return fc_fail(err, FC_ERR_IMAGE_TOO_LARGE,
					   "%s image of %lldx%lld pixels exceeds the limit of %lld pixels",
					   what, (long long) width, (long long) height, (long long) max_pixels);
	return FC_OK;
}

fc_status
fc_decode_memory_exceeded(const fc_decode_budget *b, const char *what, size_t need,
						  fc_error *err)
{
	if (need == 0)
		return fc_fail(err, FC_ERR_DECODE_MEMORY,
					   "could not decode %s image within the decoder memory limit of %zu kB",
					   what, b->limit / 1024);
	return fc_fail(err, FC_ERR_DECODE_MEMORY,
				   "could not decode %s image: it needs %zu kB, more than the decoder memory limit of %zu kB",
				   what, (b->used + need + 1023) / 1024, b->limit / 1024);
}

int
fc_budget_charge(fc_decode_budget *b, size_t size)
{
	if (size > b->limit || b->used > b->limit - size)
	{
		b->exceeded = 1;
		return 0;
	}
	b->used += size;
	if (b->used > b->peak)
		b->peak = b->used;
	return 1;
}

void
fc_budget_release(fc_decode_budget *b, size_t size)
{
	b->used = size > b->used ? 0 : b->used - size;
}

/*
 * Allocations a library frees without telling the size carry it in a
 * header; 16 bytes keep the payload aligned for any type.
 */
#define BUDGET_HEADER 16

void *
fc_budget_alloc(fc_decode_budget *b, size_t size)
{
	uint8_t    *p;

	if (size > SIZE_MAX - BUDGET_HEADER || !fc_budget_charge(b, size + BUDGET_HEADER))
		return NULL;
	p = b->allocator->alloc(b->allocator->ctx, size + BUDGET_HEADER);
	if (p == NULL)
	{
		fc_budget_release(b, size + BUDGET_HEADER);
		return NULL;
	}
	memcpy(p, &size, sizeof(size));
	return p + BUDGET_HEADER;
}

void
fc_budget_free(fc_decode_budget *b, void *ptr)
{
	uint8_t    *p;
	size_t		size;

	if (ptr == NULL)
		return;
	p = (uint8_t *) ptr - BUDGET_HEADER;
	memcpy(&size, p, sizeof(size));
	fc_budget_release(b, size + BUDGET_HEADER);
	b->allocator->free(b->allocator->ctx, p);
}

int
fc_decode_scale(int64_t width, int64_t height, const fc_decode_ctx *ctx, int max_denom)
{
	if (ctx->min_long_side <= 0 && ctx->min_short_side <= 0)
		return 1;
	for (int denom = max_denom; denom >= 2; denom /= 2)
	{
		int64_t		w = (width + denom - 1) / denom,
					h = (height + denom - 1) / denom;
		int64_t		lo = w < h ? w : h,
					hi = w < h ? h : w;

		if (hi >= ctx->min_long_side && lo >= ctx->min_short_side)
			return denom;
	}
	return 1;
}

int
fc_decode_interrupted(const fc_decode_ctx *ctx)
{
	return ctx->hooks != NULL && ctx->hooks->interrupted != NULL &&
		ctx->hooks->interrupted(ctx->hooks->interrupt_ctx);
}

void
fc_lowercase_first(char *msg)
{
	if (isupper((unsigned char) msg[0]) && islower((unsigned char) msg[1]))
		msg[0] = (char) tolower((unsigned char) msg[0]);
}
