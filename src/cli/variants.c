/*-------------------------------------------------------------------------
 *
 * variants.c
 *	  face-cli --variants DIR photo ...: write altered copies of photos for
 *	  the invariance tests (an embedding must survive them):
 *
 *	  <name>_q50.jpg     re-encoded as JPEG at quality 50
 *	  <name>_half.png    downscaled to half size (area average), as PNG
 *	  <name>_shift.jpg   the top 7 rows and left 5 columns cut off
 *	                     (every face moves by a few pixels), quality 95
 *	  <name>_rot.jpg     pixels stored rotated 90 degrees clockwise with
 *	                     EXIF orientation 8, so a viewer (and our decoder)
 *	                     shows the original upright photo
 *	  <name>_face<i>.png the i-th detected face's box, cropped (what users
 *	                     who store tight crops have; for embed_crop)
 *
 *	  "make models" runs it on the sample photos; the results are installed
 *	  with them and read by sql/embed_invariance.sql.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <png.h>

#include "core/image/image.h"
#include "core/face/pipeline.h"
#include "variants.h"

static int
write_jpeg(const char *path, const uint8_t *rgb, int w, int h, size_t stride,
		   int quality, int exif_orientation)
{
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr jerr;
	FILE	   *f = fopen(path, "wb");

	if (f == NULL)
		return -1;
	c.err = jpeg_std_error(&jerr);	/* errors exit(): fine for a build tool */
	jpeg_create_compress(&c);
	jpeg_stdio_dest(&c, f);
	c.image_width = w;
	c.image_height = h;
	c.input_components = 3;
	c.in_color_space = JCS_RGB;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, quality, TRUE);
	jpeg_start_compress(&c, TRUE);
	if (exif_orientation)
	{
		/* APP1 "Exif": big-endian TIFF header, one IFD with one entry (0x0112) */
		static uint8_t exif[] = {
			'E', 'x', 'i', 'f', 0, 0,
			'M', 'M', 0, 42, 0, 0, 0, 8,	/* TIFF header, IFD at 8 */
			0, 1,				/* one entry */
			0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 0, 0, 0,	/* orientation, SHORT, 1 */
			0, 0, 0, 0			/* no next IFD */
		};

		exif[6 + 8 + 2 + 8 + 1] = (uint8_t) exif_orientation;
		jpeg_write_marker(&c, JPEG_APP0 + 1, exif, sizeof(exif));
	}
	while (c.next_scanline < c.image_height)
	{
		JSAMPROW	row = (JSAMPROW) (rgb + c.next_scanline * stride);

		jpeg_write_scanlines(&c, &row, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	return fclose(f);
}

static int
write_png(const char *path, const uint8_t *rgb, int w, int h, size_t stride)
{
	png_image	img;

	memset(&img, 0, sizeof(img));
	img.version = PNG_IMAGE_VERSION;
	img.width = w;
	img.height = h;
	img.format = PNG_FORMAT_RGB;
	return png_image_write_to_file(&img, path, 0, rgb, (png_int_32) stride, NULL) ? 0 : -1;
}

/* dst = src rotated 90 degrees clockwise (dst is h x w). */
static void
rotate_cw(const fc_image *src, uint8_t *dst)
{
	int			dw = src->height;

	for (int y = 0; y < src->height; y++)
		for (int x = 0; x < src->width; x++)
			memcpy(dst + ((size_t) x * dw + (dw - 1 - y)) * 3,
				   src->pixels + y * src->stride + 3 * x, 3);
}

/* Crop each face's detection box (clipped to the image) to outdir/<base>_face<i>.png. */
static int
write_face_crops(fc_models *models, const char *outdir, const char *base,
				 const fc_image *img, const uint8_t *data, size_t len)
{
	fc_face    *faces = NULL;
	fc_error	err = {0};
	int			n = 0,
				rc = 0;

	if (fc_pipeline_faces(models, data, len, NULL, NULL, &faces, &n, NULL, &err) != FC_OK)
	{
		fprintf(stderr, "face-cli: %s: %s\n", base, err.message);
		return -1;
	}
	for (int i = 0; i < n && rc == 0; i++)
	{
		char		out[1024];
		int			x = faces[i].x < 0 ? 0 : (int) faces[i].x,
					y = faces[i].y < 0 ? 0 : (int) faces[i].y,
					w = (int) (faces[i].x + faces[i].w) - x,
					h = (int) (faces[i].y + faces[i].h) - y;

		if (x + w > img->width)
			w = img->width - x;
		if (y + h > img->height)
			h = img->height - y;
		snprintf(out, sizeof(out), "%s/%s_face%d.png", outdir, base, i);
		rc = write_png(out, img->pixels + y * img->stride + 3 * x, w, h, img->stride);
	}
	free(faces);
	return rc;
}

int
cli_write_variants(fc_models *models, const char *outdir, const char *path,
				   const uint8_t *data, size_t len)
{
	fc_image	img = {0},
				half = {0};
	fc_error	err = {0};
	char		base[512],
				out[1024];
	const char *slash = strrchr(path, '/');
	float	   *fl = NULL;
	uint8_t    *rot = NULL;
	int			rc = -1;

	snprintf(base, sizeof(base), "%s", slash ? slash + 1 : path);
	if (strrchr(base, '.'))
		*strrchr(base, '.') = '\0';
	if (fc_image_decode(data, len, NULL, NULL, &img, NULL, &err) != FC_OK)
	{
		fprintf(stderr, "face-cli: %s: %s\n", path, err.message);
		return -1;
	}

	snprintf(out, sizeof(out), "%s/%s_q50.jpg", outdir, base);
	if (write_jpeg(out, img.pixels, img.width, img.height, img.stride, 50, 0) != 0)
		goto done;

	snprintf(out, sizeof(out), "%s/%s_shift.jpg", outdir, base);
	if (write_jpeg(out, img.pixels + 7 * img.stride + 5 * 3, img.width - 5, img.height - 7,
				   img.stride, 95, 0) != 0)
		goto done;

	if ((rot = malloc((size_t) img.width * img.height * 3)) == NULL)
		goto done;
	rotate_cw(&img, rot);
	snprintf(out, sizeof(out), "%s/%s_rot.jpg", outdir, base);
	/* stored rotated clockwise; orientation 8 tells the viewer to turn it back */
	if (write_jpeg(out, rot, img.height, img.width, (size_t) img.height * 3, 95, 8) != 0)
		goto done;

	if (fc_image_alloc(&half, img.width / 2, img.height / 2, &fc_malloc_allocator, &err) != FC_OK ||
		(fl = malloc(sizeof(float) * half.width * half.height * 3)) == NULL ||
		fc_image_resize_float(&img, NULL, FC_RESIZE_AREA, NULL, fl, half.width, half.height,
							  &err) != FC_OK)
		goto done;
	for (size_t i = 0; i < (size_t) half.width * half.height * 3; i++)
	{
		float		v = fl[i] + 0.5f;

		half.pixels[(i / (half.width * 3)) * half.stride + i % (half.width * 3)] =
			(uint8_t) (v < 0 ? 0 : v > 255 ? 255 : v);
	}
	snprintf(out, sizeof(out), "%s/%s_half.png", outdir, base);
	if (write_png(out, half.pixels, half.width, half.height, half.stride) != 0)
		goto done;
	snprintf(out, sizeof(out), "%s/%s_face*.png", outdir, base);
	if (models && write_face_crops(models, outdir, base, &img, data, len) != 0)
		goto done;
	rc = 0;
done:
	if (rc != 0)
		fprintf(stderr, "face-cli: cannot write %s\n", out);
	free(fl);
	free(rot);
	fc_image_free(&half, &fc_malloc_allocator);
	fc_image_free(&img, &fc_malloc_allocator);
	return rc;
}
