/*-------------------------------------------------------------------------
 *
 * gen_hostile.c
 *	  Write a corpus of hostile photos (the attacks an upload endpoint sees)
 *	  into a directory, for test/tap/009_hostile_photos.pl and the soak test.
 *
 *	  gen_hostile OUTDIR [PHOTO]
 *
 * Every file is generated (nothing large is committed): PNG chunk floods
 * whose text or ICC data inflates to gigabytes, an IDAT that inflates far
 * beyond its header, a 49 MP PNG, headers claiming 65535 x 65535, a
 * progressive 7000 x 7000 4:4:4 JPEG (small file, huge coefficient buffer),
 * a progressive JPEG with 2080 scans, a 12800 x 100 strip, and truncations
 * and bit flips of PHOTO (when given) and of a small generated PNG.  The
 * names say what each file is; test/hostile/README.md lists the expected
 * outcome of each.  Built with zlib and libjpeg only (PNG is written by hand:
 * a crafted PNG is just chunks and CRCs).
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <zlib.h>

static const char *outdir;

static FILE *
open_out(const char *name)
{
	char		path[4096];
	FILE	   *f;

	snprintf(path, sizeof(path), "%s/%s", outdir, name);
	f = fopen(path, "wb");
	if (f == NULL)
	{
		perror(path);
		exit(1);
	}
	return f;
}

static void
put32(FILE *f, uint32_t v)
{
	uint8_t		b[4] = {v >> 24, v >> 16, v >> 8, v};

	fwrite(b, 1, 4, f);
}

/* One PNG chunk: length, type, data, CRC over type + data. */
static void
chunk(FILE *f, const char *type, const uint8_t *data, size_t len)
{
	uLong		crc = crc32(0, (const Bytef *) type, 4);

	if (len)
		crc = crc32(crc, data, (uInt) len);
	put32(f, (uint32_t) len);
	fwrite(type, 1, 4, f);
	if (len)
		fwrite(data, 1, len, f);
	put32(f, (uint32_t) crc);
}

static void
png_start(FILE *f, uint32_t w, uint32_t h, int color_type)
{
	uint8_t		ihdr[13] = {w >> 24, w >> 16, w >> 8, w, h >> 24, h >> 16, h >> 8, h,
	8, (uint8_t) color_type, 0, 0, 0};

	fwrite("\x89PNG\r\n\x1a\n", 1, 8, f);
	chunk(f, "IHDR", ihdr, 13);
}

/*
 * zlib stream of `rows` rows of `rowbytes` (filter byte 0 + a gray ramp),
 * then `extra` zero bytes; *out_len its size.  Streamed, so 147 MB of
 * pixels never sit in memory at once.
 */
static uint8_t *
deflate_rows(size_t rowbytes, size_t rows, size_t extra, size_t *out_len)
{
	z_stream	z = {0};
	size_t		cap = 1 << 20,
				n = 0;
	uint8_t    *out = malloc(cap);
	uint8_t    *row = calloc(1, rowbytes + 1);
	uint8_t    *zeros = calloc(1, 1 << 16);

	deflateInit(&z, 9);
	for (size_t i = 0; i < rowbytes; i++)
		row[1 + i] = (uint8_t) (64 + (i % 128));
	for (size_t r = 0; r <= rows; r++)
	{
		size_t		left = (r < rows) ? 1 : 0;

		if (r == rows)
		{
			/* the extra zeros, then finish */
			while (extra > 0 || left == 0)
			{
				size_t		k = extra > (1 << 16) ? (1 << 16) : extra;

				z.next_in = zeros;
				z.avail_in = (uInt) k;
				extra -= k;
				do
				{
					if (cap - n < 65536)
						out = realloc(out, cap *= 2);
					z.next_out = out + n;
					z.avail_out = (uInt) (cap - n);
					deflate(&z, extra == 0 ? Z_FINISH : Z_NO_FLUSH);
					n = cap - z.avail_out;
				} while (z.avail_out == 0 || (extra == 0 && z.avail_in == 0 && z.total_out != n));
				if (extra == 0)
					break;
			}
			break;
		}
		z.next_in = row;
		z.avail_in = (uInt) (rowbytes + 1);
		while (z.avail_in > 0)
		{
			if (cap - n < 65536)
				out = realloc(out, cap *= 2);
			z.next_out = out + n;
			z.avail_out = (uInt) (cap - n);
			deflate(&z, Z_NO_FLUSH);
			n = cap - z.avail_out;
		}
	}
	/* flush whatever is left */
	for (;;)
	{
		int			rc;

		if (cap - n < 65536)
			out = realloc(out, cap *= 2);
		z.next_out = out + n;
		z.avail_out = (uInt) (cap - n);
		rc = deflate(&z, Z_FINISH);
		n = cap - z.avail_out;
		if (rc == Z_STREAM_END)
			break;
	}
	deflateEnd(&z);
	free(row);
	free(zeros);
	*out_len = n;
	return out;
}

/* IDAT data for a w x h RGB image (compressed rows), in chunks of 64 KB. */
static void
idat(FILE *f, const uint8_t *z, size_t len)
{
	for (size_t off = 0; off < len; off += 65536)
		chunk(f, "IDAT", z + off, len - off < 65536 ? len - off : 65536);
}

/*
 * An RGB PNG whose header says w x h and whose IDAT holds rows of rw pixels
 * (rh of them) and then `extra` zero bytes.
 */
static void
plain_png(const char *name, uint32_t w, uint32_t h, size_t rw, size_t rh, size_t extra)
{
	FILE	   *f = open_out(name);
	size_t		zl;
	uint8_t    *z = deflate_rows(rw * 3, rh, extra, &zl);

	png_start(f, w, h, 2);
	idat(f, z, zl);
	chunk(f, "IEND", NULL, 0);
	fclose(f);
	free(z);
}

/*
 * A 64 x 64 PNG preceded by `count` ancillary chunks of `type`, each
 * carrying `prefix` and then a zlib stream inflating to `inflated` zeros.
 */
static void
chunk_flood(const char *name, const char *type, const uint8_t *prefix, size_t prefix_len,
			int count, size_t inflated)
{
	FILE	   *f = open_out(name);
	size_t		zl,
				il;
	uint8_t    *z = deflate_rows(0, 0, inflated, &zl);
	uint8_t    *body = malloc(prefix_len + zl);
	uint8_t    *img = deflate_rows(64 * 3, 64, 0, &il);

	memcpy(body, prefix, prefix_len);
	memcpy(body + prefix_len, z, zl);
	png_start(f, 64, 64, 2);
	for (int i = 0; i < count; i++)
		chunk(f, type, body, prefix_len + zl);
	idat(f, img, il);
	chunk(f, "IEND", NULL, 0);
	fclose(f);
	free(z);
	free(body);
	free(img);
}

static void
write_jpeg(const char *name, int w, int h, int comps, int progressive,
		   const jpeg_scan_info *scans, int nscans, int quality)
{
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr jerr;
	FILE	   *f = open_out(name);
	JSAMPLE    *row = malloc((size_t) w * comps);

	c.err = jpeg_std_error(&jerr);
	jpeg_create_compress(&c);
	jpeg_stdio_dest(&c, f);
	c.image_width = w;
	c.image_height = h;
	c.input_components = comps;
	c.in_color_space = comps == 3 ? JCS_RGB : JCS_GRAYSCALE;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, quality, TRUE);
	for (int i = 0; i < c.num_components; i++)
		c.comp_info[i].h_samp_factor = c.comp_info[i].v_samp_factor = 1;	/* 4:4:4 */
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
			row[x] = (JSAMPLE) (comps == 1 ? 128 : 96 + ((x / 97 + y / 89) & 31));
		jpeg_write_scanlines(&c, &row, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	fclose(f);
	free(row);
}

/*
 * 1 DC scan, then for each component and each AC coefficient a first scan at
 * Al = 10 and ten refinements: 1 + 3 * 63 * 11 = 2080 valid scans.
 */
static void
many_scans(const char *name)
{
	static jpeg_scan_info s[1 + 3 * 63 * 11];
	int			n = 0;

	s[n].comps_in_scan = 3;
	for (int c = 0; c < 3; c++)
		s[n].component_index[c] = c;
	s[n].Ss = s[n].Se = 0;
	s[n].Ah = s[n].Al = 0;
	n++;
	for (int c = 0; c < 3; c++)
		for (int k = 1; k < 64; k++)
			for (int al = 10; al >= 0; al--)
			{
				s[n].comps_in_scan = 1;
				s[n].component_index[0] = c;
				s[n].Ss = s[n].Se = k;
				s[n].Ah = (al == 10) ? 0 : al + 1;
				s[n].Al = al;
				n++;
			}
	write_jpeg(name, 2048, 2048, 3, 1, s, n, 95);
}

static uint8_t *
slurp(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	uint8_t    *b;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	*len = (size_t) ftell(f);
	fseek(f, 0, SEEK_SET);
	b = malloc(*len ? *len : 1);
	if (fread(b, 1, *len, f) != *len)
		*len = 0;
	fclose(f);
	return b;
}

static void
spit(const char *name, const uint8_t *b, size_t len)
{
	FILE	   *f = open_out(name);

	fwrite(b, 1, len, f);
	fclose(f);
}

/* Truncations at 1/8 .. 7/8 and 8 files with 1..64 flipped bits (fixed seed). */
static void
damage(const char *path, const char *stem, const char *ext)
{
	size_t		len;
	uint8_t    *b = slurp(path, &len);
	uint32_t	seed = 12345;
	char		name[256];

	if (b == NULL || len < 64)
	{
		fprintf(stderr, "cannot read %s\n", path);
		exit(1);
	}
	for (int i = 1; i < 8; i++)
	{
		snprintf(name, sizeof(name), "%s_trunc%d.%s", stem, i, ext);
		spit(name, b, len * i / 8);
	}
	for (int i = 0; i < 8; i++)
	{
		uint8_t    *c = malloc(len);

		memcpy(c, b, len);
		for (int k = 0; k < (1 << (i % 7)); k++)
		{
			seed = seed * 1103515245u + 12345u;
			/* keep the signature so the file still reaches the decoder */
			c[8 + (seed >> 8) % (len - 8)] ^= (uint8_t) (1u << ((seed >> 4) & 7));
		}
		snprintf(name, sizeof(name), "%s_flip%d.%s", stem, i, ext);
		spit(name, c, len);
		free(c);
	}
	free(b);
}

/* Patch the first SOF0/SOF2 marker's dimensions of a JPEG in memory. */
static void
jpeg_huge_header(void)
{
	char		path[4096];
	size_t		len;
	uint8_t    *b;

	write_jpeg("tmp_small.jpg", 64, 64, 3, 0, NULL, 0, 75);
	snprintf(path, sizeof(path), "%s/tmp_small.jpg", outdir);
	b = slurp(path, &len);
	remove(path);
	for (size_t i = 2; i + 9 < len; i++)
		if (b[i] == 0xFF && (b[i + 1] == 0xC0 || b[i + 1] == 0xC2))
		{
			b[i + 5] = b[i + 6] = b[i + 7] = b[i + 8] = 0xFF;
			break;
		}
	spit("jpeg_65535x65535.jpg", b, len);
	free(b);
}

int
main(int argc, char **argv)
{
	static const uint8_t ztxt_prefix[] = "Comment\0";	/* keyword, NUL, method 0 */
	static const uint8_t itxt_prefix[] = "Comment\0\1\0en\0\0";	/* compressed iTXt */
	/* profile name, NUL, method 0; the zeros after it fail libpng's header check,
	 * after inflating them: only the first iCCP is ever looked at */
	static const uint8_t iccp_prefix[] = "icc\0";
	size_t		zl;
	uint8_t    *z;
	FILE	   *f;
	const size_t flood = 7900 * 1024;	/* just under libpng's 8 MB chunk cap */

	if (argc < 2)
	{
		fprintf(stderr, "usage: %s OUTDIR [PHOTO]\n", argv[0]);
		return 2;
	}
	outdir = argv[1];

	/* chunk floods: 300 x 7.9 MB of text or ICC data to inflate before IDAT */
	chunk_flood("png_ztxt_flood.png", "zTXt", ztxt_prefix, sizeof(ztxt_prefix), 300, flood);
	chunk_flood("png_itxt_flood.png", "iTXt", itxt_prefix, sizeof(itxt_prefix) - 1, 300, flood);
	chunk_flood("png_iccp_flood.png", "iCCP", iccp_prefix, sizeof(iccp_prefix), 300, flood);
	/* 20000 unknown ancillary chunks */
	{
		uint8_t		junk[16] = {0};

		f = open_out("png_unknown_flood.png");
		png_start(f, 64, 64, 2);
		for (int i = 0; i < 20000; i++)
			chunk(f, "juNk", junk, sizeof(junk));
		z = deflate_rows(64 * 3, 64, 0, &zl);
		idat(f, z, zl);
		chunk(f, "IEND", NULL, 0);
		fclose(f);
		free(z);
	}

	/* 64 x 64 header, IDAT inflating to 64 rows and then 256 MB more */
	plain_png("png_idat_bomb.png", 64, 64, 64, 64, (size_t) 256 << 20);
	/* 7000 x 7000 RGB (49 MP, under the default 50 MP limit): 147 MB of pixels */
	plain_png("png_7000x7000.png", 7000, 7000, 7000, 7000, 0);
	/* headers claiming 65535 x 65535 */
	plain_png("png_65535x65535.png", 65535, 65535, 64, 64, 0);
	jpeg_huge_header();

	/* progressive 7000 x 7000 4:4:4: a small file, a 294 MB coefficient buffer */
	write_jpeg("jpeg_progressive_7000x7000.jpg", 7000, 7000, 3, 1, NULL, 0, 30);
	many_scans("jpeg_2080_scans.jpg");
	/* a strip: 12800 x 100 gray */
	write_jpeg("jpeg_12800x100.jpg", 12800, 100, 1, 0, NULL, 0, 75);

	/* truncations and bit flips */
	plain_png("tmp_small.png", 64, 64, 64, 64, 0);
	{
		char		path[4096];

		snprintf(path, sizeof(path), "%s/tmp_small.png", outdir);
		damage(path, "png_small", "png");
		remove(path);
	}
	if (argc > 2)
		damage(argv[2], "photo", "jpg");
	return 0;
}
