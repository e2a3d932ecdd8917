/*-------------------------------------------------------------------------
 *
 * test_image_limits.c
 *	  The decoder's bounds on hostile photos (image.h, "Bounded work and
 *	  memory"): PNG text and unknown chunks skipped without inflating them,
 *	  the ancillary chunk cap, trailing image data refused, cancellation
 *	  from the read callback; JPEG's coefficient buffer charged to the
 *	  decode memory limit from the header, the progressive scan cap; the
 *	  short-side rule of the scale choice.  Small inputs, built here.
 *
 *-------------------------------------------------------------------------
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <png.h>

#include "core/image/image.h"
#include "unit_check.h"

/* ---- an allocator that records its peak ---- */

typedef struct peak_alloc
{
	size_t		bytes;
	size_t		peak;
	long		live;
} peak_alloc;

static void *
peak_malloc(void *ctx, size_t size)
{
	peak_alloc *p = ctx;
	size_t	   *b = malloc(size + 16);

	if (b == NULL)
		return NULL;
	b[0] = size;
	p->bytes += size;
	p->live++;
	if (p->bytes > p->peak)
		p->peak = p->bytes;
	return (char *) b + 16;
}

static void
peak_free(void *ctx, void *ptr)
{
	peak_alloc *p = ctx;
	size_t	   *b = (size_t *) ((char *) ptr - 16);

	p->bytes -= b[0];
	p->live--;
	free(b);
}

static int	polls_left;

/* Interrupted once polls_left polls have passed. */
static int
interrupt_after(void *ctx)
{
	int		   *calls = ctx;

	(*calls)++;
	return polls_left-- <= 0;
}

/* ---- PNG writing through libpng, into memory ---- */

typedef struct membuf
{
	uint8_t    *data;
	size_t		len,
				cap;
} membuf;

static void
mem_write(png_structp png, png_bytep d, size_t n)
{
	membuf	   *m = png_get_io_ptr(png);

	if (m->len + n > m->cap)
	{
		m->cap = (m->len + n) * 2;
		m->data = realloc(m->data, m->cap);
	}
	memcpy(m->data + m->len, d, n);
	m->len += n;
}

static void
mem_flush(png_structp png)
{
}

/*
 * A w x h RGB PNG with ntext compressed text chunks of text_len bytes each:
 * 'a' repeated (itxt & 2: pseudo-random letters, which barely compress).
 */
static membuf
png_with_text(int w, int h, int ntext, size_t text_len, int itxt)
{
	uint32_t	seed = 1;
	membuf		m = {0};
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop	info = png_create_info_struct(png);
	png_text   *text = calloc(ntext ? ntext : 1, sizeof(png_text));
	char	   *body = malloc(text_len + 1);
	uint8_t    *row = calloc(1, (size_t) w * 3);

	memset(body, 'a', text_len);
	if (itxt & 2)
		for (size_t i = 0; i < text_len; i++)
			body[i] = (char) ('a' + ((seed = seed * 1103515245u + 12345u) >> 16) % 26);
	body[text_len] = 0;
	itxt &= 1;
	for (int i = 0; i < ntext; i++)
	{
		text[i].compression = itxt ? PNG_ITXT_COMPRESSION_zTXt : PNG_TEXT_COMPRESSION_zTXt;
		text[i].key = "Comment";
		text[i].text = body;
		text[i].text_length = text_len;
		text[i].itxt_length = text_len;
	}
	png_set_write_fn(png, &m, mem_write, mem_flush);
	png_set_IHDR(png, info, w, h, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
				 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	if (ntext)
		png_set_text(png, info, text, ntext);
	png_write_info(png, info);
	for (int y = 0; y < h; y++)
	{
		for (int x = 0; x < w * 3; x++)
			row[x] = (uint8_t) (x + y);
		png_write_row(png, row);
	}
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	free(text);
	free(body);
	free(row);
	return m;
}

static uint32_t
crc_png(const uint8_t *p, size_t n)
{
	uint32_t	c = 0xffffffffu;

	for (size_t i = 0; i < n; i++)
	{
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
	}
	return ~c;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/* base with n empty "juNk" chunks inserted after IHDR (8 + 25 bytes in). */
static membuf
png_with_unknown(const membuf *base, int n)
{
	membuf		m;
	size_t		at = 8 + 25;

	m.len = base->len + (size_t) n * 12;
	m.data = malloc(m.len);
	memcpy(m.data, base->data, at);
	for (int i = 0; i < n; i++)
	{
		uint8_t    *c = m.data + at + (size_t) i * 12;

		put32(c, 0);
		memcpy(c + 4, "juNk", 4);
		put32(c + 8, crc_png(c + 4, 4));
	}
	memcpy(m.data + at + (size_t) n * 12, base->data + at, base->len - at);
	return m;
}

static fc_status
decode_peak(const membuf *m, const fc_decode_options *o, peak_alloc *pa, fc_decode_info *info,
			fc_error *err)
{
	fc_allocator a = {peak_malloc, peak_free, pa};
	fc_hooks	hooks = {&a, NULL, NULL};
	fc_image	img;
	fc_status	st;

	memset(pa, 0, sizeof(*pa));
	st = fc_image_decode(m->data, m->len, o, &hooks, &img, info, err);
	if (st == FC_OK)
		fc_image_free(&img, &a);
	CHECK(pa->live == 0, "%ld blocks leaked", pa->live);
	return st;
}

static void
test_png_text_skipped(void)
{
	/* 8 text chunks of 4 MB each: inflating one needs a 4 MB buffer */
	for (int itxt = 0; itxt <= 1; itxt++)
	{
		membuf		m = png_with_text(32, 32, 8, 4 << 20, itxt);
		peak_alloc	pa;
		fc_decode_info info;
		fc_error	err = {0};
		fc_status	st = decode_peak(&m, NULL, &pa, &info, &err);

		CHECK(st == FC_OK, "%s flood: %d %s", itxt ? "iTXt" : "zTXt", st, err.message);
		CHECK(pa.peak < (512 << 10), "%s flood: peak %zu bytes: the text was inflated",
			  itxt ? "iTXt" : "zTXt", pa.peak);
		free(m.data);
	}
}

static void
test_png_chunk_cap(void)
{
	membuf		base = png_with_text(16, 16, 0, 0, 0);
	membuf		ok = png_with_unknown(&base, FC_PNG_MAX_CHUNKS);
	membuf		over = png_with_unknown(&base, FC_PNG_MAX_CHUNKS + 1);
	peak_alloc	pa;
	fc_decode_info info;
	fc_error	err = {0};
	fc_status	st;

	st = decode_peak(&ok, NULL, &pa, &info, &err);
	CHECK(st == FC_OK, "%d unknown chunks: %d %s", FC_PNG_MAX_CHUNKS, st, err.message);
	st = decode_peak(&over, NULL, &pa, &info, &err);
	CHECK(st == FC_ERR_DECODE_LIMIT && strstr(err.message, "ancillary chunks"),
		  "%d unknown chunks: %d %s", FC_PNG_MAX_CHUNKS + 1, st, err.message);
	free(base.data);
	free(ok.data);
	free(over.data);
}

/* Cancellation reaches the decoder while it skips chunks, before any row. */
static void
test_png_cancel_in_read(void)
{
	/* 4 x 128 kB of barely compressible text: 300 kB to read before IDAT */
	membuf		m = png_with_text(32, 32, 4, 128 << 10, 2);
	peak_alloc	pa = {0};
	fc_allocator a = {peak_malloc, peak_free, &pa};
	int			calls = 0;
	fc_hooks	hooks = {&a, interrupt_after, &calls};
	fc_image	img;
	fc_error	err = {0};
	fc_status	st;

	polls_left = 2;				/* the third poll (after 128 kB read) says stop */
	st = fc_image_decode(m.data, m.len, NULL, &hooks, &img, NULL, &err);
	CHECK(st == FC_ERR_CANCELLED, "cancel while skipping text: %d %s", st, err.message);
	if (st == FC_OK)
		fc_image_free(&img, &a);
	CHECK(calls == 3, "the hook was polled %d times, expected 3 (every 64 kB read)", calls);
	CHECK(pa.live == 0, "%ld blocks leaked", pa.live);
	free(m.data);
}

/* ---- JPEG ---- */

static membuf
jpeg_encode(int w, int h, int comps, int progressive, const jpeg_scan_info *scans, int nscans)
{
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr jerr;
	unsigned char *out = NULL;
	unsigned long outlen = 0;
	JSAMPLE    *row = malloc((size_t) w * comps);
	membuf		m;

	c.err = jpeg_std_error(&jerr);
	jpeg_create_compress(&c);
	jpeg_mem_dest(&c, &out, &outlen);
	c.image_width = w;
	c.image_height = h;
	c.input_components = comps;
	c.in_color_space = comps == 3 ? JCS_RGB : JCS_GRAYSCALE;
	jpeg_set_defaults(&c);
	for (int i = 0; i < c.num_components; i++)
		c.comp_info[i].h_samp_factor = c.comp_info[i].v_samp_factor = 1;
	if (progressive)
		jpeg_simple_progression(&c);
	if (scans)
	{
		c.scan_info = scans;
		c.num_scans = nscans;
	}
	jpeg_start_compress(&c, TRUE);
	for (int y = 0; y < h; y++)
	{
		for (int x = 0; x < w * comps; x++)
			row[x] = (JSAMPLE) ((x * 7 + y * 3) & 255);
		jpeg_write_scanlines(&c, &row, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	free(row);
	m.data = malloc(outlen);
	memcpy(m.data, out, outlen);
	m.len = m.cap = outlen;
	free(out);
	return m;
}

static void
test_jpeg_coefficient_memory(void)
{
	/* progressive 4:4:4 1024 x 1024: 3 x 128 x 128 blocks x 128 bytes = 6 MB */
	membuf		prog = jpeg_encode(1024, 1024, 3, 1, NULL, 0);
	membuf		base = jpeg_encode(1024, 1024, 3, 0, NULL, 0);
	fc_decode_options small = {.max_decode_memory = 4 << 20, .min_long_side = 128};
	peak_alloc	pa;
	fc_decode_info info;
	fc_error	err = {0};
	fc_status	st;

	st = decode_peak(&prog, &small, &pa, &info, &err);
	CHECK(st == FC_ERR_DECODE_MEMORY && strstr(err.message, "decoder memory limit"),
		  "progressive under 4 MB: %d %s", st, err.message);
	/* a baseline file needs no whole-image buffer: the same cap holds it at 1/8 */
	st = decode_peak(&base, &small, &pa, &info, &err);
	CHECK(st == FC_OK && info.scale_denom == 8, "baseline under 4 MB: %d %s", st, err.message);
	CHECK(info.memory_peak > 0 && info.memory_peak <= (4 << 20),
		  "baseline peak %lld bytes", (long long) info.memory_peak);
	/* the default limit holds the progressive one, and charges its 6 MB */
	st = decode_peak(&prog, NULL, &pa, &info, &err);
	CHECK(st == FC_OK, "progressive, default limit: %d %s", st, err.message);
	CHECK(info.memory_peak >= 3 * 128 * 128 * 128, "progressive peak %lld bytes",
		  (long long) info.memory_peak);
	/* the pixels are charged too: a 1 MB cap refuses 1024 x 1024 x 3 */
	small.max_decode_memory = 1 << 20;
	small.min_long_side = 0;
	st = decode_peak(&base, &small, &pa, &info, &err);
	CHECK(st == FC_ERR_DECODE_MEMORY, "baseline full size under 1 MB: %d %s", st, err.message);
	free(prog.data);
	free(base.data);
}

static void
test_jpeg_scan_cap(void)
{
	/* 1 DC scan + 3 components x 63 coefficients x 2 (first, refinement) = 379 */
	static jpeg_scan_info s[1 + 3 * 63 * 2];
	int			n = 0;
	membuf		m;
	peak_alloc	pa;
	fc_decode_info info;
	fc_error	err = {0};
	fc_status	st;

	s[n].comps_in_scan = 3;
	for (int c = 0; c < 3; c++)
		s[n].component_index[c] = c;
	n++;
	for (int c = 0; c < 3; c++)
		for (int k = 1; k < 64; k++)
			for (int al = 1; al >= 0; al--)
			{
				s[n].comps_in_scan = 1;
				s[n].component_index[0] = c;
				s[n].Ss = s[n].Se = k;
				s[n].Ah = al == 1 ? 0 : 1;
				s[n].Al = al;
				n++;
			}
	m = jpeg_encode(64, 64, 3, 1, s, n);
	st = decode_peak(&m, NULL, &pa, &info, &err);
	CHECK(st == FC_ERR_DECODE_LIMIT && strstr(err.message, "progressive scans"),
		  "%d scans: %d %s", n, st, err.message);
	free(m.data);
}

static void
test_wide_strip_scale(void)
{
	membuf		m = jpeg_encode(12800, 100, 1, 0, NULL, 0);
	fc_decode_options o = {.min_long_side = 1600};
	peak_alloc	pa;
	fc_decode_info info;
	fc_error	err = {0};
	fc_status	st;

	st = decode_peak(&m, &o, &pa, &info, &err);
	CHECK(st == FC_OK && info.scale_denom == 8, "strip, long side only: %d 1/%d", st, info.scale_denom);
	o.min_short_side = 16;
	st = decode_peak(&m, &o, &pa, &info, &err);
	CHECK(st == FC_OK && info.scale_denom == 4, "strip, short side >= 16: %d 1/%d", st, info.scale_denom);
	free(m.data);
}

int
main(void)
{
	test_png_text_skipped();
	test_png_chunk_cap();
	test_png_cancel_in_read();
	test_jpeg_coefficient_memory();
	test_jpeg_scan_cap();
	test_wide_strip_scale();
	printf("test_image_limits: %s (%d failures)\n", failures ? "FAILED" : "ok", failures);
	return failures ? 1 : 0;
}
