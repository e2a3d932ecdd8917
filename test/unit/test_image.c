/*-------------------------------------------------------------------------
 *
 * test_image.c
 *	  Unit tests of the image decoder (src/core/image*.c).
 *
 * Every input is generated here with libjpeg/libpng (baseline, progressive,
 * grayscale, CMYK/YCCK, PNG variants, EXIF orientations), then damaged
 * (truncated, corrupt entropy data, huge headers, foreign formats).  A
 * counting allocator checks that every path, success or failure, frees what
 * it took.  Files under test/fuzz/crashes/ (fuzzer regressions) are decoded
 * too.
 *
 *	  test_image                  run the tests (exit status 1 on failure)
 *	  test_image --seeds DIR      write the generated images as a fuzz corpus
 *
 *-------------------------------------------------------------------------
 */
#include <dirent.h>
#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jpeglib.h>
#include <png.h>

#include "core/image/image.h"
#include "core/face/netinput.h"

static int	failures;

#define CHECK(cond, ...) \
	do { if (!(cond)) { failures++; printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
		printf(__VA_ARGS__); printf("\n"); } } while (0)

/* ---- a counting allocator: detects leaks, can fail on demand ---- */

typedef struct counting
{
	long		live;			/* allocations not yet freed */
	long		calls;
	long		fail_at;		/* fail the n-th call (1-based); 0 = never */
	size_t		bytes;			/* currently allocated (tracked by header) */
	size_t		peak;
} counting;

static void *
count_alloc(void *ctx, size_t size)
{
	counting   *c = ctx;
	size_t	   *p;

	c->calls++;
	if (c->fail_at > 0 && c->calls == c->fail_at)
		return NULL;
	p = malloc(size + 16);
	if (p == NULL)
		return NULL;
	p[0] = size;
	c->live++;
	c->bytes += size;
	if (c->bytes > c->peak)
		c->peak = c->bytes;
	return (char *) p + 16;
}

static void
count_free(void *ctx, void *ptr)
{
	counting   *c = ctx;
	size_t	   *p = (size_t *) ((char *) ptr - 16);

	c->live--;
	c->bytes -= p[0];
	free(p);
}

typedef struct harness
{
	counting	cnt;
	fc_allocator alloc;
	fc_hooks	hooks;
} harness;

static void
harness_init(harness *h)
{
	memset(h, 0, sizeof(*h));
	h->alloc.alloc = count_alloc;
	h->alloc.free = count_free;
	h->alloc.ctx = &h->cnt;
	h->hooks.allocator = &h->alloc;
}

/* Decode with a fresh counting allocator; checks the no-leak contract. */
static fc_status
decode(const uint8_t *data, size_t len, const fc_decode_options *opts,
	   fc_image *img, fc_decode_info *info, fc_error *err, harness *h)
{
	fc_status	st;

	harness_init(h);
	st = fc_image_decode(data, len, opts, &h->hooks, img, info, err);
	if (st != FC_OK)
	{
		CHECK(h->cnt.live == 0, "leak on error path: %ld live (%s)", h->cnt.live, err->message);
		CHECK(img->pixels == NULL, "pixels left on error");
		CHECK(err->message[0] != '\0', "empty error message");
	}
	else
		CHECK(h->cnt.live == 1, "expected exactly the pixel buffer live, got %ld", h->cnt.live);
	return st;
}

static void
release(fc_image *img, harness *h)
{
	fc_image_free(img, &h->alloc);
	CHECK(h->cnt.live == 0, "leak after free: %ld", h->cnt.live);
}

/* ---- test images ---- */

/* A smooth, asymmetric RGB pattern (compresses well, survives JPEG). */
static uint8_t *
pattern(int w, int h)
{
	uint8_t    *p = malloc((size_t) w * h * 3);

	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++)
		{
			uint8_t    *q = p + ((size_t) y * w + x) * 3;

			q[0] = (uint8_t) (x * 255 / (w > 1 ? w - 1 : 1));
			q[1] = (uint8_t) (y * 255 / (h > 1 ? h - 1 : 1));
			q[2] = (uint8_t) (128 + (x - y) / 4);
		}
	return p;
}

/* Four flat quadrants: red TL, green TR, blue BL, white BR. */
static uint8_t *
quadrants(int w, int h)
{
	static const uint8_t col[4][3] = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {255, 255, 255}};
	uint8_t    *p = malloc((size_t) w * h * 3);

	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++)
			memcpy(p + ((size_t) y * w + x) * 3, col[(y >= h / 2) * 2 + (x >= w / 2)], 3);
	return p;
}

typedef struct jpeg_spec
{
	int			progressive;
	int			gray;			/* encode one channel (the green of the pattern) */
	J_COLOR_SPACE cmyk;			/* JCS_CMYK or JCS_YCCK: write Adobe CMYK */
	int			orientation;	/* 0 = no EXIF */
	int			big_endian_exif;
	int			quality;
	int			restart_rows;	/* restart marker every n MCU rows */
	int			no_subsampling;	/* 4:4:4 instead of libjpeg's default 4:2:0 */
	int			arithmetic;		/* arithmetic instead of Huffman coding */
} jpeg_spec;

static void
silent_output(j_common_ptr cinfo)
{
}

/* Encode w x h RGB pixels per spec; malloc'd result in *out. */
static size_t
encode_jpeg(const uint8_t *rgb, int w, int h, const jpeg_spec *spec, uint8_t **out)
{
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr e;
	unsigned char *buf = NULL;
	unsigned long len = 0;
	int			comps = spec->gray ? 1 : (spec->cmyk ? 4 : 3);
	uint8_t    *row = malloc((size_t) w * 4);

	c.err = jpeg_std_error(&e);
	e.output_message = silent_output;
	jpeg_create_compress(&c);
	jpeg_mem_dest(&c, &buf, &len);
	c.image_width = w;
	c.image_height = h;
	c.input_components = comps;
	c.in_color_space = spec->gray ? JCS_GRAYSCALE : (spec->cmyk ? JCS_CMYK : JCS_RGB);
	jpeg_set_defaults(&c);
	if (spec->cmyk)
		jpeg_set_colorspace(&c, spec->cmyk);	/* writes the Adobe marker */
	jpeg_set_quality(&c, spec->quality ? spec->quality : 95, TRUE);
	if (spec->progressive)
		jpeg_simple_progression(&c);
	c.restart_in_rows = spec->restart_rows;
	c.arith_code = spec->arithmetic ? TRUE : FALSE;
	if (spec->no_subsampling)
		for (int k = 0; k < c.num_components; k++)
			c.comp_info[k].h_samp_factor = c.comp_info[k].v_samp_factor = 1;
	jpeg_start_compress(&c, TRUE);
	if (spec->orientation)
	{
		/* "Exif\0\0" + TIFF header + IFD0 with one entry: orientation */
		uint8_t		exif[6 + 8 + 2 + 12 + 4] = "Exif\0\0";
		uint8_t    *t = exif + 6;
		int			be = spec->big_endian_exif;

		memcpy(t, be ? "MM\0*" : "II*\0", 4);
		t[4 + (be ? 3 : 0)] = 8;	/* IFD0 at offset 8 */
		t[8 + (be ? 1 : 0)] = 1;	/* one entry */
		t[10 + (be ? 0 : 1)] = 0x01;	/* tag 0x0112 */
		t[10 + (be ? 1 : 0)] = 0x12;
		t[12 + (be ? 1 : 0)] = 3;	/* SHORT */
		t[14 + (be ? 3 : 0)] = 1;	/* count 1 */
		t[18 + (be ? 1 : 0)] = (uint8_t) spec->orientation;
		jpeg_write_marker(&c, JPEG_APP0 + 1, exif, sizeof(exif));
	}
	while (c.next_scanline < c.image_height)
	{
		const uint8_t *src = rgb + (size_t) c.next_scanline * w * 3;
		JSAMPROW	r = row;

		for (int x = 0; x < w; x++)
		{
			if (spec->gray)
				row[x] = src[3 * x + 1];
			else if (spec->cmyk)
			{
				/* Adobe-inverted CMYK of this RGB with no black: stored = 255 - ink */
				row[4 * x] = src[3 * x];
				row[4 * x + 1] = src[3 * x + 1];
				row[4 * x + 2] = src[3 * x + 2];
				row[4 * x + 3] = 255;
			}
			else
				memcpy(row + 3 * x, src + 3 * x, 3);
		}
		jpeg_write_scanlines(&c, &r, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	free(row);
	*out = buf;
	return len;
}

typedef struct png_spec
{
	int			color_type;		/* PNG_COLOR_TYPE_* */
	int			bit_depth;
	int			interlace;
	int			orientation;	/* eXIf chunk when nonzero */
} png_spec;

typedef struct membuf
{
	uint8_t    *data;
	size_t		len;
	size_t		cap;
} membuf;

static void
png_write_mem(png_structp png, png_bytep d, size_t n)
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
png_flush_mem(png_structp png)
{
}

/*
 * Encode RGBA samples src (w x h x 4, 8 bits) as the spec's PNG type:
 * gray types take the red channel, alpha types keep alpha, palette builds
 * a palette of the distinct colors (at most 256) with tRNS, 16-bit types
 * repeat each byte (v * 257).
 */
static size_t
encode_png(const uint8_t *rgba, int w, int h, const png_spec *spec, uint8_t **out)
{
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop	info = png_create_info_struct(png);
	membuf		m = {0};
	int			ct = spec->color_type,
				bd = spec->bit_depth;
	int			ch = ct == PNG_COLOR_TYPE_GRAY ? 1 : ct == PNG_COLOR_TYPE_GRAY_ALPHA ? 2 :
		ct == PNG_COLOR_TYPE_RGB ? 3 : ct == PNG_COLOR_TYPE_RGBA ? 4 : 1;
	png_color	pal[256];
	png_byte	trans[256];
	int			npal = 0;
	uint8_t    *row = malloc((size_t) w * 8);

	png_set_write_fn(png, &m, png_write_mem, png_flush_mem);
	png_set_IHDR(png, info, w, h, bd, ct, spec->interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
				 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	if (ct == PNG_COLOR_TYPE_PALETTE)
	{
		for (int i = 0; i < w * h; i++)
		{
			const uint8_t *p = rgba + 4 * i;
			int			k;

			for (k = 0; k < npal; k++)
				if (pal[k].red == p[0] && pal[k].green == p[1] && pal[k].blue == p[2] && trans[k] == p[3])
					break;
			if (k == npal && npal < 256)
			{
				pal[npal].red = p[0];
				pal[npal].green = p[1];
				pal[npal].blue = p[2];
				trans[npal++] = p[3];
			}
		}
		png_set_PLTE(png, info, pal, npal);
		png_set_tRNS(png, info, trans, npal, NULL);
	}
	if (spec->orientation)
	{
		png_byte	exif[8 + 2 + 12 + 4] = "MM\0*\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01";

		exif[19] = (png_byte) spec->orientation;
		png_set_eXIf_1(png, info, sizeof(exif), exif);
	}
	png_write_info(png, info);
	{
		int			passes = png_set_interlace_handling(png);

		for (int pass = 0; pass < passes; pass++)
			for (int y = 0; y < h; y++)
			{
				const uint8_t *s = rgba + (size_t) y * w * 4;

				memset(row, 0, (size_t) w * 8);
				for (int x = 0; x < w; x++)
				{
					uint8_t		v[4];
					int			n = 0;

					if (ct == PNG_COLOR_TYPE_PALETTE)
					{
						for (int k = 0; k < npal; k++)
							if (pal[k].red == s[4 * x] && pal[k].green == s[4 * x + 1] &&
								pal[k].blue == s[4 * x + 2] && trans[k] == s[4 * x + 3])
							{
								v[n++] = (uint8_t) k;
								break;
							}
					}
					else if (ch <= 2)
					{
						v[n++] = s[4 * x];
						if (ch == 2)
							v[n++] = s[4 * x + 3];
					}
					else
						for (int k = 0; k < ch; k++)
							v[n++] = s[4 * x + k];

					for (int k = 0; k < n; k++)
					{
						if (bd == 16)
						{
							row[(x * ch + k) * 2] = v[k];
							row[(x * ch + k) * 2 + 1] = v[k];
						}
						else if (bd == 8)
							row[x * ch + k] = v[k];
						else	/* sub-byte gray or palette: pack MSB first */
						{
							int			per = 8 / bd;
							int			shift = 8 - bd * (x % per + 1);
							int			val = ct == PNG_COLOR_TYPE_PALETTE ? v[k] : v[k] >> (8 - bd);

							row[x / per] |= (uint8_t) (val << shift);
						}
					}
				}
				png_write_row(png, row);
			}
	}
	png_write_end(png, info);
	png_destroy_write_struct(&png, &info);
	free(row);
	*out = m.data;
	return m.len;
}

static uint8_t *
rgb_to_rgba(const uint8_t *rgb, int w, int h, uint8_t alpha)
{
	uint8_t    *p = malloc((size_t) w * h * 4);

	for (int i = 0; i < w * h; i++)
	{
		memcpy(p + 4 * i, rgb + 3 * i, 3);
		p[4 * i + 3] = alpha;
	}
	return p;
}

static const uint8_t *
px(const fc_image *img, int x, int y)
{
	return img->pixels + (size_t) y * img->stride + 3 * (size_t) x;
}

/* Mean absolute difference between img and w x h packed RGB ref. */
static double
mean_abs_diff(const fc_image *img, const uint8_t *ref)
{
	double		s = 0;

	for (int y = 0; y < img->height; y++)
		for (int x = 0; x < img->width; x++)
			for (int k = 0; k < 3; k++)
				s += abs((int) px(img, x, y)[k] - (int) ref[((size_t) y * img->width + x) * 3 + k]);
	return s / ((double) img->width * img->height * 3);
}

/* ---- JPEG ---- */

static void
test_jpeg_variants(void)
{
	const int	w = 96,
				h = 64;
	uint8_t    *rgb = pattern(w, h);
	struct
	{
		const char *name;
		jpeg_spec	spec;
	}			cases[] = {
		{"baseline", {0}},
		{"progressive", {.progressive = 1}},
		{"grayscale", {.gray = 1}},
		{"cmyk", {.cmyk = JCS_CMYK}},
		{"ycck", {.cmyk = JCS_YCCK}},
		{"progressive cmyk", {.progressive = 1, .cmyk = JCS_CMYK}},
		{"restart markers", {.restart_rows = 1}},
		{"4:4:4", {.no_subsampling = 1}},
		{"arithmetic", {.arithmetic = 1}},
		{"progressive arithmetic 4:4:4", {.progressive = 1, .arithmetic = 1, .no_subsampling = 1}},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		uint8_t    *jpg;
		size_t		len = encode_jpeg(rgb, w, h, &cases[i].spec, &jpg);
		fc_image	img;
		fc_decode_info info;
		fc_error	err = {0};
		harness		hs;
		fc_status	st = decode(jpg, len, NULL, &img, &info, &err, &hs);

		CHECK(st == FC_OK, "%s: %s", cases[i].name, err.message);
		if (st == FC_OK)
		{
			CHECK(img.width == w && img.height == h, "%s: %dx%d", cases[i].name, img.width, img.height);
			CHECK(info.format == FC_FORMAT_JPEG && info.scale_denom == 1 && info.orientation == 1,
				  "%s: info", cases[i].name);
			CHECK(img.stride >= (size_t) w * 3, "%s: stride", cases[i].name);
			if (cases[i].spec.gray)
			{
				double		d = 0;

				for (int y = 0; y < h; y++)
					for (int x = 0; x < w; x++)
					{
						const uint8_t *p = px(&img, x, y);

						CHECK(p[0] == p[1] && p[1] == p[2], "gray not replicated");
						d += abs(p[0] - rgb[((size_t) y * w + x) * 3 + 1]);
					}
				CHECK(d / (w * h) < 3.0, "grayscale differs by %.2f", d / (w * h));
			}
			else
			{
				double		d = mean_abs_diff(&img, rgb);

				CHECK(d < 3.0, "%s: mean abs diff %.2f", cases[i].name, d);
			}
			release(&img, &hs);
		}
		free(jpg);
	}
	free(rgb);
}

/*
 * EXIF orientation, checked against the EXIF 2.3 table (where the stored
 * row 0 and column 0 end up), not against the decoder's own formulas: we
 * follow the stored top-left and top-right corners.
 */
static void
test_exif_orientation(void)
{
	const int	w = 64,
				h = 32;
	uint8_t    *rgb = quadrants(w, h);

	/* display corner of stored TL and stored TR; 0=TL 1=TR 2=BL 3=BR */
	static const int tl_goes[9] = {0, 0, 1, 3, 2, 0, 1, 3, 2};
	static const int tr_goes[9] = {0, 1, 0, 2, 3, 2, 3, 1, 0};

	for (int be = 0; be <= 1; be++)
		for (int o = 1; o <= 8; o++)
		{
			jpeg_spec	spec = {.orientation = o, .big_endian_exif = be};
			uint8_t    *jpg;
			size_t		len = encode_jpeg(rgb, w, h, &spec, &jpg);
			fc_image	img;
			fc_decode_info info;
			fc_error	err = {0};
			harness		hs;

			if (decode(jpg, len, NULL, &img, &info, &err, &hs) != FC_OK)
			{
				CHECK(0, "orientation %d: %s", o, err.message);
				free(jpg);
				continue;
			}
			CHECK(info.orientation == o, "orientation read %d, want %d", info.orientation, o);
			if (o >= 5)
				CHECK(img.width == h && img.height == w, "o=%d: size %dx%d", o, img.width, img.height);
			else
				CHECK(img.width == w && img.height == h, "o=%d: size %dx%d", o, img.width, img.height);
			{
				/* sample 4 px inside each display corner */
				int			cx[4] = {4, img.width - 5, 4, img.width - 5};
				int			cy[4] = {4, 4, img.height - 5, img.height - 5};
				const uint8_t *a = px(&img, cx[tl_goes[o]], cy[tl_goes[o]]);
				const uint8_t *b = px(&img, cx[tr_goes[o]], cy[tr_goes[o]]);

				CHECK(a[0] > 200 && a[1] < 50 && a[2] < 50, "o=%d be=%d: stored TL (red) not at corner %d: %d,%d,%d",
					  o, be, tl_goes[o], a[0], a[1], a[2]);
				CHECK(b[0] < 50 && b[1] > 200 && b[2] < 50, "o=%d be=%d: stored TR (green) not at corner %d: %d,%d,%d",
					  o, be, tr_goes[o], b[0], b[1], b[2]);
			}
			release(&img, &hs);

			/* ignore_orientation leaves the pixels as stored */
			{
				fc_decode_options opts = {.ignore_orientation = 1};

				if (decode(jpg, len, &opts, &img, &info, &err, &hs) == FC_OK)
				{
					CHECK(img.width == w && px(&img, 4, 4)[0] > 200, "ignore_orientation o=%d", o);
					release(&img, &hs);
				}
				else
					CHECK(0, "ignore_orientation: %s", err.message);
			}
			free(jpg);
		}
	free(rgb);
}

static void
test_dct_scaling(void)
{
	const int	w = 800,
				h = 600;
	uint8_t    *rgb = pattern(w, h);
	jpeg_spec	spec = {.quality = 85};
	uint8_t    *jpg;
	size_t		len = encode_jpeg(rgb, w, h, &spec, &jpg);
	struct
	{
		int			min_long,
					min_short,
					denom,
					ow,
					oh;
	}			cases[] = {
		{0, 0, 1, 800, 600},
		{100, 0, 8, 100, 75},
		{200, 0, 4, 200, 150},
		{201, 0, 2, 400, 300},
		{0, 100, 4, 200, 150},
		{0, 300, 2, 400, 300},
		{0, 301, 1, 800, 600},
		{5000, 0, 1, 800, 600},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		fc_decode_options opts = {.min_long_side = cases[i].min_long, .min_short_side = cases[i].min_short};
		fc_image	img;
		fc_decode_info info;
		fc_error	err = {0};
		harness		hs;

		if (decode(jpg, len, &opts, &img, &info, &err, &hs) != FC_OK)
		{
			CHECK(0, "scaled decode: %s", err.message);
			continue;
		}
		CHECK(info.scale_denom == cases[i].denom && img.width == cases[i].ow && img.height == cases[i].oh,
			  "case %zu: denom %d size %dx%d, want %d %dx%d", i, info.scale_denom, img.width, img.height,
			  cases[i].denom, cases[i].ow, cases[i].oh);
		CHECK(info.stored_width == w && info.stored_height == h, "stored size");
		/* the reduced image still looks like the pattern: compare a pixel */
		{
			const uint8_t *p = px(&img, img.width / 2, img.height / 3);
			int			ex = (int) ((img.width / 2 + 0.5) * cases[i].denom) * 255 / (w - 1);

			CHECK(abs(p[0] - ex) < 8, "scaled pixel red %d want ~%d", p[0], ex);
		}
		release(&img, &hs);
	}
	free(jpg);
	free(rgb);
}

/* Find the first byte after the SOS header (start of entropy-coded data). */
static size_t
scan_data_offset(const uint8_t *d, size_t len)
{
	for (size_t i = 2; i + 4 < len; i++)
		if (d[i] == 0xFF && d[i + 1] == 0xDA)
			return i + 2 + ((d[i + 2] << 8) | d[i + 3]);
	return 0;
}

static void
test_jpeg_damage(void)
{
	const int	w = 128,
				h = 96;
	uint8_t    *rgb = pattern(w, h);

	for (int prog = 0; prog <= 1; prog++)
	{
		jpeg_spec	spec = {.progressive = prog};
		uint8_t    *jpg;
		size_t		len = encode_jpeg(rgb, w, h, &spec, &jpg);
		size_t		sos = scan_data_offset(jpg, len);
		fc_image	img;
		fc_error	err = {0};
		harness		hs;
		fc_status	st;

		CHECK(sos > 0, "no SOS");
		/* truncation anywhere before the last scan's end is an error */
		for (size_t cut = 1; cut < len - 2; cut += len / 37 + 1)
		{
			st = decode(jpg, cut, NULL, &img, NULL, &err, &hs);
			CHECK(st == FC_ERR_CORRUPT_IMAGE || st == FC_ERR_NOT_AN_IMAGE,
				  "prog=%d truncated at %zu/%zu: status %d (%s)", prog, cut, len, st, err.message);
			if (st == FC_OK)
				release(&img, &hs);
		}
		/*
		 * Only the EOI marker missing: libjpeg reads ahead into it and reports
		 * the premature end; it cannot tell this from a lost final scan, so
		 * it is an error too.  The complete file decodes.
		 */
		st = decode(jpg, len - 2, NULL, &img, NULL, &err, &hs);
		CHECK(st == FC_ERR_CORRUPT_IMAGE, "prog=%d missing EOI: %d %s", prog, st, err.message);
		if (st == FC_OK)
			release(&img, &hs);
		st = decode(jpg, len, NULL, &img, NULL, &err, &hs);
		CHECK(st == FC_OK, "prog=%d complete: %s", prog, err.message);
		if (st == FC_OK)
			release(&img, &hs);

		/* a run of 1 bits longer than any Huffman code */
		if (!prog)
		{
			uint8_t    *bad = malloc(len + 16);
			size_t		at = sos + (len - sos) / 3;

			memcpy(bad, jpg, at);
			for (int i = 0; i < 16; i += 2)
			{
				bad[at + i] = 0xFF;
				bad[at + i + 1] = 0x00;
			}
			memcpy(bad + at + 16, jpg + at, len - at);
			st = decode(bad, len + 16, NULL, &img, NULL, &err, &hs);
			CHECK(st == FC_ERR_CORRUPT_IMAGE && strstr(err.message, "Huffman") != NULL,
				  "corrupt Huffman: status %d (%s)", st, err.message);
			if (st == FC_OK)
				release(&img, &hs);
			free(bad);
		}
		free(jpg);
	}
	free(rgb);
}

/* Patch the SOF dimensions of a JPEG to w x h. */
static void
patch_sof(uint8_t *d, size_t len, int w, int h)
{
	for (size_t i = 2; i + 9 < len; i++)
		if (d[i] == 0xFF && (d[i + 1] == 0xC0 || d[i + 1] == 0xC2))
		{
			d[i + 5] = (uint8_t) (h >> 8);
			d[i + 6] = (uint8_t) h;
			d[i + 7] = (uint8_t) (w >> 8);
			d[i + 8] = (uint8_t) w;
			return;
		}
}

static uint32_t
crc32_png(const uint8_t *p, size_t n)
{
	uint32_t	c = 0xFFFFFFFFu;

	for (size_t i = 0; i < n; i++)
	{
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
	}
	return c ^ 0xFFFFFFFFu;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t) (v >> 24);
	p[1] = (uint8_t) (v >> 16);
	p[2] = (uint8_t) (v >> 8);
	p[3] = (uint8_t) v;
}

static void
test_huge_headers(void)
{
	uint8_t    *rgb = pattern(16, 16);
	uint8_t    *jpg,
			   *png;
	jpeg_spec	js = {0};
	png_spec	ps = {PNG_COLOR_TYPE_RGB, 8, 0, 0};
	uint8_t    *rgba = rgb_to_rgba(rgb, 16, 16, 255);
	size_t		jlen = encode_jpeg(rgb, 16, 16, &js, &jpg);
	size_t		plen = encode_png(rgba, 16, 16, &ps, &png);
	fc_image	img;
	fc_error	err = {0};
	harness		hs;
	fc_status	st;

	for (int prog = 0; prog <= 1; prog++)
	{
		uint8_t    *j2;
		jpeg_spec	s2 = {.progressive = prog};
		size_t		l2 = encode_jpeg(rgb, 16, 16, &s2, &j2);

		/* over libjpeg's own 65500 limit */
		patch_sof(j2, l2, 65535, 65535);
		st = decode(j2, l2, NULL, &img, NULL, &err, &hs);
		CHECK(st == FC_ERR_IMAGE_TOO_LARGE, "65535x65535 JPEG (prog %d): status %d (%s)", prog, st, err.message);
		CHECK(hs.cnt.peak < 1024 * 1024, "65535x65535 JPEG allocated %zu bytes first", hs.cnt.peak);
		/* under it, but over our pixel limit */
		patch_sof(j2, l2, 60000, 50000);
		st = decode(j2, l2, NULL, &img, NULL, &err, &hs);
		CHECK(st == FC_ERR_IMAGE_TOO_LARGE, "60000x50000 JPEG (prog %d): status %d (%s)", prog, st, err.message);
		CHECK(hs.cnt.peak < 1024 * 1024, "60000x50000 JPEG allocated %zu bytes first", hs.cnt.peak);
		CHECK(strstr(err.message, "60000x50000") != NULL, "message names the size: %s", err.message);

		/* an explicit small limit refuses a small image too */
		{
			fc_decode_options o = {.max_pixels = 100};

			st = decode(jpg, jlen, &o, &img, NULL, &err, &hs);
			CHECK(st == FC_ERR_IMAGE_TOO_LARGE, "16x16 with limit 100: %d", st);
		}
		free(j2);
	}

	/* a lossless (SOF3) or 12-bit JPEG is named as unsupported, not corrupt */
	{
		uint8_t    *j2 = malloc(jlen);

		for (int variant = 0; variant < 2; variant++)
		{
			memcpy(j2, jpg, jlen);
			for (size_t i = 2; i + 4 < jlen; i++)
				if (j2[i] == 0xFF && j2[i + 1] == 0xC0)
				{
					if (variant == 0)
						j2[i + 1] = 0xC3;
					else
						j2[i + 4] = 12;	/* sample precision */
					break;
				}
			st = decode(j2, jlen, NULL, &img, NULL, &err, &hs);
			CHECK(st == FC_ERR_UNSUPPORTED_FORMAT, "variant %d: status %d (%s)", variant, st, err.message);
			if (st == FC_OK)
				release(&img, &hs);
		}
		free(j2);
	}

	/* PNG IHDR at offset 8: length, "IHDR", w, h, ..., CRC over type+data */
	put32(png + 16, 65535);
	put32(png + 20, 65535);
	put32(png + 29, crc32_png(png + 12, 17));
	st = decode(png, plen, NULL, &img, NULL, &err, &hs);
	CHECK(st == FC_ERR_IMAGE_TOO_LARGE, "65535x65535 PNG: status %d (%s)", st, err.message);
	CHECK(hs.cnt.peak < 1024 * 1024, "65535x65535 PNG allocated %zu bytes first", hs.cnt.peak);

	free(jpg);
	free(png);
	free(rgb);
	free(rgba);
}

/* ---- PNG ---- */

static void
test_png_variants(void)
{
	const int	w = 37,
				h = 23;			/* odd sizes exercise Adam7 partial blocks */
	uint8_t    *rgb = pattern(w, h);
	uint8_t    *opaque = rgb_to_rgba(rgb, w, h, 255);
	uint8_t    *half = rgb_to_rgba(rgb, w, h, 128);
	uint8_t    *few = malloc((size_t) w * h * 4);	/* few colours for palettes */
	struct
	{
		const char *name;
		png_spec	spec;
		const uint8_t *src;
	}			cases[] = {
		{"rgb8", {PNG_COLOR_TYPE_RGB, 8, 0, 0}, opaque},
		{"rgb8 interlaced", {PNG_COLOR_TYPE_RGB, 8, 1, 0}, opaque},
		{"rgb16", {PNG_COLOR_TYPE_RGB, 16, 0, 0}, opaque},
		{"rgba8", {PNG_COLOR_TYPE_RGBA, 8, 0, 0}, half},
		{"rgba16 interlaced", {PNG_COLOR_TYPE_RGBA, 16, 1, 0}, half},
		{"gray8", {PNG_COLOR_TYPE_GRAY, 8, 0, 0}, opaque},
		{"gray16", {PNG_COLOR_TYPE_GRAY, 16, 0, 0}, opaque},
		{"gray1", {PNG_COLOR_TYPE_GRAY, 1, 0, 0}, opaque},
		{"gray+alpha", {PNG_COLOR_TYPE_GRAY_ALPHA, 8, 0, 0}, half},
		{"palette8", {PNG_COLOR_TYPE_PALETTE, 8, 0, 0}, few},
		{"palette4 interlaced", {PNG_COLOR_TYPE_PALETTE, 4, 1, 0}, few},
	};

	for (int i = 0; i < w * h; i++)
	{
		few[4 * i] = (uint8_t) ((i % 5) * 60);
		few[4 * i + 1] = (uint8_t) ((i % 3) * 100);
		few[4 * i + 2] = 77;
		few[4 * i + 3] = (i % 15 == 0) ? 0 : 255;	/* colour (0,0) fully transparent */
	}

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		const png_spec *sp = &cases[i].spec;
		uint8_t    *png;
		size_t		len = encode_png(cases[i].src, w, h, sp, &png);
		fc_image	img;
		fc_decode_info info;
		fc_error	err = {0};
		harness		hs;
		int			bad = 0;

		if (decode(png, len, NULL, &img, &info, &err, &hs) != FC_OK)
		{
			CHECK(0, "%s: %s", cases[i].name, err.message);
			free(png);
			continue;
		}
		CHECK(img.width == w && img.height == h && info.format == FC_FORMAT_PNG, "%s: size", cases[i].name);
		CHECK(info.had_alpha == ((sp->color_type & PNG_COLOR_MASK_ALPHA) != 0 ||
								 sp->color_type == PNG_COLOR_TYPE_PALETTE), "%s: had_alpha", cases[i].name);
		for (int y = 0; y < h && bad < 3; y++)
			for (int x = 0; x < w && bad < 3; x++)
			{
				const uint8_t *s = cases[i].src + ((size_t) y * w + x) * 4;
				const uint8_t *p = px(&img, x, y);
				int			want[3];

				for (int k = 0; k < 3; k++)
				{
					int			v = (sp->color_type & PNG_COLOR_MASK_COLOR) ? s[k] : s[0];

					if (sp->bit_depth == 1)
						v = (v >> 7) ? 255 : 0;
					/* composited over black, rounded */
					want[k] = (v * s[3] + 127) / 255;
					if ((sp->color_type & PNG_COLOR_MASK_ALPHA) == 0 && sp->color_type != PNG_COLOR_TYPE_PALETTE)
						want[k] = v;
				}
				if (p[0] != want[0] || p[1] != want[1] || p[2] != want[2])
				{
					bad++;
					CHECK(0, "%s: pixel (%d,%d) = %d,%d,%d want %d,%d,%d", cases[i].name, x, y,
						  p[0], p[1], p[2], want[0], want[1], want[2]);
				}
			}
		release(&img, &hs);
		free(png);
	}

	/* PNG eXIf orientation 6: stored TL goes to display TR */
	{
		uint8_t    *q = quadrants(40, 20);
		uint8_t    *qa = rgb_to_rgba(q, 40, 20, 255);
		png_spec	sp = {PNG_COLOR_TYPE_RGB, 8, 0, 6};
		uint8_t    *png;
		size_t		len = encode_png(qa, 40, 20, &sp, &png);
		fc_image	img;
		fc_decode_info info;
		fc_error	err = {0};
		harness		hs;

		if (decode(png, len, NULL, &img, &info, &err, &hs) == FC_OK)
		{
			CHECK(info.orientation == 6 && img.width == 20 && img.height == 40, "png exif: o=%d %dx%d",
				  info.orientation, img.width, img.height);
			CHECK(px(&img, 17, 2)[0] == 255 && px(&img, 17, 2)[1] == 0, "png exif: red not at TR");
			release(&img, &hs);
		}
		else
			CHECK(0, "png exif: %s", err.message);
		free(png);
		free(q);
		free(qa);
	}

	/* truncated and corrupted PNGs */
	{
		uint8_t    *png;
		size_t		len = encode_png(opaque, w, h, &cases[0].spec, &png);
		fc_image	img;
		fc_error	err = {0};
		harness		hs;
		fc_status	st;

		for (size_t cut = 1; cut < len - 12; cut += len / 29 + 1)
		{
			st = decode(png, cut, NULL, &img, NULL, &err, &hs);
			CHECK(st == FC_ERR_CORRUPT_IMAGE || st == FC_ERR_NOT_AN_IMAGE,
				  "png truncated at %zu/%zu: status %d (%s)", cut, len, st, err.message);
			if (st == FC_OK)
				release(&img, &hs);
		}
		/* a flipped bit in IDAT fails its CRC */
		png[len - 30] ^= 0x10;
		st = decode(png, len, NULL, &img, NULL, &err, &hs);
		CHECK(st == FC_ERR_CORRUPT_IMAGE, "png bad CRC: %d (%s)", st, err.message);
		if (st == FC_OK)
			release(&img, &hs);
		free(png);
	}
	free(rgb);
	free(opaque);
	free(half);
	free(few);
}

/* ---- small, foreign and empty inputs ---- */

static void
test_tiny_and_foreign(void)
{
	uint8_t		one[3] = {10, 200, 30};
	uint8_t		one4[4] = {10, 200, 30, 255};
	jpeg_spec	js = {0};
	png_spec	ps = {PNG_COLOR_TYPE_RGB, 8, 0, 0};
	uint8_t    *jpg,
			   *png;
	size_t		jl = encode_jpeg(one, 1, 1, &js, &jpg);
	size_t		pl = encode_png(one4, 1, 1, &ps, &png);
	fc_image	img;
	fc_error	err = {0};
	harness		hs;
	fc_status	st;

	st = decode(jpg, jl, NULL, &img, NULL, &err, &hs);
	CHECK(st == FC_OK && img.width == 1 && img.height == 1, "1x1 JPEG: %s", err.message);
	if (st == FC_OK)
		release(&img, &hs);
	st = decode(png, pl, NULL, &img, NULL, &err, &hs);
	CHECK(st == FC_OK && img.width == 1 && px(&img, 0, 0)[1] == 200, "1x1 PNG: %s", err.message);
	if (st == FC_OK)
		release(&img, &hs);
	{
		fc_decode_options o = {.min_long_side = 1};

		st = decode(jpg, jl, &o, &img, NULL, &err, &hs);
		CHECK(st == FC_OK && img.width == 1, "1x1 JPEG scaled: %s", err.message);
		if (st == FC_OK)
			release(&img, &hs);
	}
	free(jpg);
	free(png);

	{
		struct
		{
			const char *bytes;
			size_t		len;
			fc_status	st;
			const char *name;
		}			cases[] = {
			{"", 0, FC_ERR_NOT_AN_IMAGE, "empty"},
			{"hello, world: not an image at all", 33, FC_ERR_NOT_AN_IMAGE, "JPEG or PNG"},
			{"\xFF\xD8", 2, FC_ERR_NOT_AN_IMAGE, "JPEG or PNG"},
			{"\xFF\xD8\xFF", 3, FC_ERR_CORRUPT_IMAGE, "JPEG"},
			{"\x89PNG\r\n\x1A\n", 8, FC_ERR_CORRUPT_IMAGE, "PNG"},
			{"RIFF\x24\0\0\0WEBPVP8 \x18\0\0\0", 20, FC_ERR_UNSUPPORTED_FORMAT, "WebP"},
			{"GIF89a\x01\0\x01\0\x80\0\0", 13, FC_ERR_UNSUPPORTED_FORMAT, "GIF"},
			{"GIF87a\x01\0\x01\0", 10, FC_ERR_UNSUPPORTED_FORMAT, "GIF"},
			{"BM\x3A\0\0\0\0\0\0\0\x36\0\0\0\x28\0\0\0", 18, FC_ERR_UNSUPPORTED_FORMAT, "BMP"},
			{"II*\0\x08\0\0\0", 8, FC_ERR_UNSUPPORTED_FORMAT, "TIFF"},
			{"MM\0*\0\0\0\x08", 8, FC_ERR_UNSUPPORTED_FORMAT, "TIFF"},
			{"\0\0\0\x18" "ftypheic\0\0\0\0mif1heic", 24, FC_ERR_UNSUPPORTED_FORMAT, "HEIC"},
			{"\0\0\0\x1C" "ftypavif\0\0\0\0avifmif1miaf", 28, FC_ERR_UNSUPPORTED_FORMAT, "AVIF"},
			{"\0\0\0\x18" "ftypmif1\0\0\0\0mif1avif", 24, FC_ERR_UNSUPPORTED_FORMAT, "AVIF"},
			{"\0\0\0\x0CjP  \r\n\x87\n", 12, FC_ERR_UNSUPPORTED_FORMAT, "JPEG 2000"},
			{"\xFF\x0A\xFA\x7F", 4, FC_ERR_UNSUPPORTED_FORMAT, "JPEG XL"},
			{"8BPS\0\x01", 6, FC_ERR_UNSUPPORTED_FORMAT, "PSD"},
		};

		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		{
			st = decode((const uint8_t *) cases[i].bytes, cases[i].len, NULL, &img, NULL, &err, &hs);
			CHECK(st == cases[i].st, "case %zu (%s): status %d, want %d (%s)", i, cases[i].name, st,
				  cases[i].st, err.message);
			CHECK(strstr(err.message, cases[i].name) != NULL, "case %zu: message '%s' lacks '%s'",
				  i, err.message, cases[i].name);
			if (st == FC_OK)
				release(&img, &hs);
		}
	}
	CHECK(fc_image_decode(NULL, 0, NULL, NULL, &img, NULL, &err) == FC_ERR_NOT_AN_IMAGE, "NULL data");
}

/* ---- allocation failure and cancellation ---- */

static int
always_interrupted(void *ctx)
{
	return 1;
}

static void
test_nomem_and_cancel(void)
{
	const int	w = 64,
				h = 48;
	uint8_t    *rgb = pattern(w, h);
	uint8_t    *rgba = rgb_to_rgba(rgb, w, h, 200);
	jpeg_spec	js = {.progressive = 1, .orientation = 6};
	png_spec	ps = {PNG_COLOR_TYPE_RGBA, 8, 1, 0};
	uint8_t    *jpg,
			   *png;
	size_t		jl = encode_jpeg(rgb, w, h, &js, &jpg);
	size_t		pl = encode_png(rgba, w, h, &ps, &png);
	const uint8_t *data[2] = {jpg, png};
	size_t		lens[2] = {jl, pl};

	for (int f = 0; f < 2; f++)
	{
		int			succeeded = 0;

		/* fail the 1st, 2nd, ... allocation until the decode needs no more */
		for (long n = 1; n < 200 && !succeeded; n++)
		{
			harness		hs;
			fc_image	img;
			fc_error	err = {0};
			fc_status	st;

			harness_init(&hs);
			hs.cnt.fail_at = n;
			st = fc_image_decode(data[f], lens[f], NULL, &hs.hooks, &img, NULL, &err);
			if (st == FC_OK)
			{
				succeeded = 1;
				fc_image_free(&img, &hs.alloc);
			}
			else
				CHECK(st == FC_ERR_NOMEM || st == FC_ERR_CORRUPT_IMAGE,
					  "format %d fail_at %ld: status %d (%s)", f, n, st, err.message);
			CHECK(hs.cnt.live == 0, "format %d fail_at %ld: %ld allocations leaked", f, n, hs.cnt.live);
		}
		CHECK(succeeded, "format %d never succeeded under allocation failures", f);

		{
			harness		hs;
			fc_image	img;
			fc_error	err = {0};
			fc_status	st;

			harness_init(&hs);
			hs.hooks.interrupted = always_interrupted;
			st = fc_image_decode(data[f], lens[f], NULL, &hs.hooks, &img, NULL, &err);
			CHECK(st == FC_ERR_CANCELLED, "format %d: cancel gave %d (%s)", f, st, err.message);
			CHECK(hs.cnt.live == 0, "cancel leaked");
		}
	}
	free(jpg);
	free(png);
	free(rgb);
	free(rgba);
}

/* ---- resize ---- */

static void
test_resize(void)
{
	harness		hs;
	fc_image	img;
	fc_error	err = {0};
	float		out[4 * 4 * 3];

	harness_init(&hs);
	/* 2x1 image: red 0 then 100 */
	CHECK(fc_image_alloc(&img, 2, 1, &hs.alloc, &err) == FC_OK, "alloc");
	memset(img.pixels, 0, 6);
	img.pixels[3] = 100;

	/* TF legacy bilinear 2 -> 4: src x = 0, .5, 1, 1.5 (clamped) */
	CHECK(fc_image_resize_float(&img, NULL, FC_RESIZE_BILINEAR_TF, NULL, out, 4, 1, &err) == FC_OK, "tf");
	CHECK(out[0] == 0 && out[3] == 50 && out[6] == 100 && out[9] == 100,
		  "tf bilinear: %g %g %g %g", out[0], out[3], out[6], out[9]);
	/* half-pixel bilinear: src x = -.25 (clamped 0), .25, .75, 1.25 */
	CHECK(fc_image_resize_float(&img, NULL, FC_RESIZE_BILINEAR, NULL, out, 4, 1, &err) == FC_OK, "hp");
	CHECK(out[0] == 0 && out[3] == 25 && out[6] == 75 && out[9] == 100,
		  "half-pixel bilinear: %g %g %g %g", out[0], out[3], out[6], out[9]);
	/* area 2 -> 1 is the mean */
	CHECK(fc_image_resize_float(&img, NULL, FC_RESIZE_AREA, NULL, out, 1, 1, &err) == FC_OK, "area");
	CHECK(out[0] == 50, "area mean %g", out[0]);
	/* a canvas of 4x1 with the image centred at offset 1: 0 | 0 100 | 0 */
	{
		fc_region	r = {0, 0, 2, 1, 4, 1, 1, 0};
		fc_pixel_norm n = {{2, 1, 1}, {-1, 0, 0}};

		CHECK(fc_image_resize_float(&img, &r, FC_RESIZE_BILINEAR_TF, &n, out, 4, 1, &err) == FC_OK, "canvas");
		CHECK(out[0] == -1 && out[3] == -1 && out[6] == 199 && out[9] == -1,
			  "canvas+norm: %g %g %g %g", out[0], out[3], out[6], out[9]);
		/* area 4 -> 3: [0, 4/3) [4/3, 8/3) [8/3, 4) */
		CHECK(fc_image_resize_float(&img, &r, FC_RESIZE_AREA, NULL, out, 3, 1, &err) == FC_OK, "canvas area");
		CHECK(out[0] == 0 && fabsf(out[3] - 100 * (2.0f / 3) / (4.0f / 3)) < 1e-4 &&
			  fabsf(out[6] - 100 * (1.0f / 3) / (4.0f / 3)) < 1e-4, "canvas area: %g %g %g",
			  out[0], out[3], out[6]);
		r.offset_x = 3;
		CHECK(fc_image_resize_float(&img, &r, FC_RESIZE_AREA, NULL, out, 3, 1, &err) == FC_ERR_INVALID_ARGUMENT,
			  "region off canvas accepted");
		r.offset_x = 0;
		r.x = 1;
		CHECK(fc_image_resize_float(&img, &r, FC_RESIZE_AREA, NULL, out, 3, 1, &err) == FC_ERR_INVALID_ARGUMENT,
			  "region off image accepted");
	}
	fc_image_free(&img, &hs.alloc);
	CHECK(hs.cnt.live == 0, "resize leak");
}

/*
 * The detector's network input (netinput.c, face-api's padToSquare +
 * resizeBilinear) is the same computation as a TF-bilinear resize of the
 * image on a square zero canvas: check they agree, so either can serve.
 */
static void
test_matches_netinput(void)
{
	const int	sizes[][2] = {{37, 23}, {23, 37}, {40, 40}, {1, 5}};
	harness		hs;

	harness_init(&hs);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		for (int centered = 0; centered <= 1; centered++)
		{
			int			w = sizes[i][0],
						h = sizes[i][1],
						side = w > h ? w : h,
						diff = side - (w > h ? h : w),
						before = centered ? diff / 2 : 0;
			uint8_t    *rgb = pattern(w, h);
			fc_image	img = {w, h, (size_t) w * 3, rgb};
			fc_region	r = {0, 0, w, h, side, side, w < h ? before : 0, h < w ? before : 0};
			float		a[50 * 50 * 3],
						b[50 * 50 * 3];
			double		maxd = 0;
			fc_error	err = {0};

			fc_netinput_square(rgb, w, h, w * 3, 50, centered, a);
			CHECK(fc_image_resize_float(&img, &r, FC_RESIZE_BILINEAR_TF, NULL, b, 50, 50, &err) == FC_OK,
				  "resize: %s", err.message);
			for (int k = 0; k < 50 * 50 * 3; k++)
				maxd = fmax(maxd, fabs(a[k] - b[k]));
			CHECK(maxd < 1e-3, "%dx%d centered %d: netinput and resize differ by %g", w, h, centered, maxd);
			free(rgb);
		}
}

/* ---- fuzz regressions and seed corpus ---- */

static size_t
read_file(const char *path, uint8_t **out)
{
	FILE	   *f = fopen(path, "rb");
	size_t		n = 0,
				cap = 1 << 16;
	uint8_t    *buf;

	*out = NULL;
	if (f == NULL)
		return 0;
	buf = malloc(cap);
	for (;;)
	{
		size_t		r = fread(buf + n, 1, cap - n, f);

		n += r;
		if (n < cap)
			break;
		cap *= 2;
		buf = realloc(buf, cap);
	}
	fclose(f);
	*out = buf;
	return n;
}

static void
test_fuzz_regressions(const char *dir)
{
	DIR		   *d = opendir(dir);
	struct dirent *e;
	int			n = 0;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL)
	{
		char		path[4096];
		uint8_t    *data;
		size_t		len;
		fc_image	img;
		fc_error	err = {0};
		harness		hs;
		fc_decode_options opts = {.max_pixels = 4000000};

		if (e->d_name[0] == '.' || strcmp(e->d_name, "README") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		len = read_file(path, &data);
		if (decode(data, len, &opts, &img, NULL, &err, &hs) == FC_OK)
			release(&img, &hs);
		free(data);
		n++;
	}
	closedir(d);
	printf("decoded %d fuzz regression inputs from %s\n", n, dir);
}

static void
write_seed(const char *dir, const char *name, const uint8_t *data, size_t len)
{
	char		path[4096];
	FILE	   *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL)
		return;
	fwrite(data, 1, len, f);
	fclose(f);
}

/* Small examples of every decoded variant, for the fuzzer's corpus. */
static int
write_seeds(const char *dir)
{
	const int	w = 24,
				h = 16;
	uint8_t    *rgb = pattern(w, h);
	uint8_t    *rgba = rgb_to_rgba(rgb, w, h, 180);
	jpeg_spec	jspecs[] = {
		{0}, {.progressive = 1}, {.gray = 1}, {.cmyk = JCS_CMYK}, {.cmyk = JCS_YCCK, .progressive = 1},
		{.orientation = 6}, {.orientation = 3, .big_endian_exif = 1}, {.quality = 30},
		{.arithmetic = 1, .restart_rows = 1}, {.progressive = 1, .no_subsampling = 1},
	};
	png_spec	pspecs[] = {
		{PNG_COLOR_TYPE_RGB, 8, 0, 0}, {PNG_COLOR_TYPE_RGBA, 16, 1, 0}, {PNG_COLOR_TYPE_GRAY, 2, 0, 0},
		{PNG_COLOR_TYPE_GRAY_ALPHA, 8, 1, 0}, {PNG_COLOR_TYPE_PALETTE, 8, 0, 5},
	};

	mkdir(dir, 0755);
	for (size_t i = 0; i < sizeof(jspecs) / sizeof(jspecs[0]); i++)
	{
		uint8_t    *d;
		size_t		n = encode_jpeg(rgb, w, h, &jspecs[i], &d);
		char		name[32];

		snprintf(name, sizeof(name), "jpeg_%zu.jpg", i);
		write_seed(dir, name, d, n);
		free(d);
	}
	for (size_t i = 0; i < sizeof(pspecs) / sizeof(pspecs[0]); i++)
	{
		uint8_t    *d;
		size_t		n;
		char		name[32];

		if (pspecs[i].color_type == PNG_COLOR_TYPE_PALETTE)
			for (int k = 0; k < w * h; k++)
				rgba[4 * k] = rgba[4 * k + 1] = (uint8_t) (k % 9 * 20);
		n = encode_png(rgba, w, h, &pspecs[i], &d);
		snprintf(name, sizeof(name), "png_%zu.png", i);
		write_seed(dir, name, d, n);
		free(d);
	}
	write_seed(dir, "webp.bin", (const uint8_t *) "RIFF\x24\0\0\0WEBPVP8 ", 16);
	write_seed(dir, "gif.bin", (const uint8_t *) "GIF89a\x01\0\x01\0", 10);
	free(rgb);
	free(rgba);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--seeds") == 0)
		return write_seeds(argv[2]);

	test_jpeg_variants();
	test_exif_orientation();
	test_dct_scaling();
	test_jpeg_damage();
	test_huge_headers();
	test_png_variants();
	test_tiny_and_foreign();
	test_nomem_and_cancel();
	test_resize();
	test_matches_netinput();
	test_fuzz_regressions("test/fuzz/regressions");
	test_fuzz_regressions("test/fuzz/crashes");	/* local, not yet triaged */

	printf("test_image: %s (%d failures)\n", failures ? "FAILED" : "ok", failures);
	return failures ? 1 : 0;
}
