/*-------------------------------------------------------------------------
 *
 * png_write.c
 *	  PNG encoding with libpng into a growing memory buffer (png_write.h).
 *
 * libpng reports errors by longjmp to the png_jmpbuf set here; nothing
 * outside this file ever sees that jump (the core never lets a longjmp
 * cross it), and the buffer's memory comes from the caller's allocator.
 *
 *-------------------------------------------------------------------------
 */
#include <setjmp.h>
#include <string.h>

#include <png.h>

#include "png_write.h"

typedef struct png_buffer
{
	const fc_allocator *a;
	uint8_t    *data;
	size_t		len;
	size_t		cap;
	int			nomem;
} png_buffer;

/* libpng's write callback: append, doubling the buffer */
static void
png_buffer_write(png_structp png, png_bytep data, png_size_t n)
{
	png_buffer *b = png_get_io_ptr(png);

	if (b->len + n > b->cap)
	{
		size_t		cap = b->cap ? b->cap : 4096;
		uint8_t    *grown;

		while (cap < b->len + n)
			cap *= 2;
		grown = b->a->alloc(b->a->ctx, cap);
		if (!grown)
		{
			b->nomem = 1;
			png_error(png, "out of memory");
		}
		if (b->data)
		{
			memcpy(grown, b->data, b->len);
			b->a->free(b->a->ctx, b->data);
		}
		b->data = grown;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, n);
	b->len += n;
}

static void
png_buffer_flush(png_structp png)
{
}

/* libpng's default handlers print to stderr; the core never prints */
static void
png_quiet_error(png_structp png, png_const_charp msg)
{
	png_longjmp(png, 1);
}

static void
png_quiet_warning(png_structp png, png_const_charp msg)
{
}

/* the libpng calls, under their own setjmp: 0, or -1 after png_error */
static int
png_encode(png_structp png, png_infop info, const fc_image *img, png_buffer *buf)
{
	if (setjmp(png_jmpbuf(png)))
		return -1;
	png_set_write_fn(png, buf, png_buffer_write, png_buffer_flush);
	png_set_IHDR(png, info, (png_uint_32) img->width, (png_uint_32) img->height, 8,
				 PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
				 PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (int y = 0; y < img->height; y++)
		png_write_row(png, img->pixels + (size_t) y * img->stride);
	png_write_end(png, NULL);
	return 0;
}

fc_status
fc_png_write(const fc_image *img, const fc_allocator *allocator,
			 uint8_t **out, size_t *len, fc_error *err)
{
	const fc_allocator *a = allocator ? allocator : &fc_malloc_allocator;
	png_buffer	buf = {a, NULL, 0, 0, 0};
	png_structp png;
	png_infop	info = NULL;
	int			rc;

	*out = NULL;
	*len = 0;
	if (!img || img->width <= 0 || img->height <= 0 || !img->pixels)
		return fc_fail(err, FC_ERR_INVALID_ARGUMENT, "cannot write an empty image as PNG");
	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, png_quiet_error,
								  png_quiet_warning);
	if (png)
		info = png_create_info_struct(png);
	if (!png || !info)
	{
		png_destroy_write_struct(&png, NULL);
		return fc_fail(err, FC_ERR_NOMEM, "out of memory for the PNG writer");
	}
	rc = png_encode(png, info, img, &buf);
	png_destroy_write_struct(&png, &info);
	if (rc != 0)
	{
		if (buf.data)
			a->free(a->ctx, buf.data);
		return buf.nomem ? fc_fail(err, FC_ERR_NOMEM, "out of memory writing a PNG")
			: fc_fail(err, FC_ERR_INTERNAL, "could not write PNG image");
	}
	*out = buf.data;
	*len = buf.len;
	return FC_OK;
}
