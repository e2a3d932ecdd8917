/*-------------------------------------------------------------------------
 *
 * fuzz_decode.c
 *	  libFuzzer target: untrusted bytes through the image decoder and what
 *	  consumes its output (float resize, crop chip).
 *
 * Each input is decoded twice: at full size with EXIF orientation, and with
 * DCT scaling (min_long_side 64) and orientation ignored, so the scaled
 * libjpeg path and the no-orientation path are exercised too.  A decoded
 * image is then resampled and cropped, which catches any disagreement
 * between the size the decoder reports and the pixels it allocated.
 * The pixel limit is kept small (4 MP) so the fuzzer spends its time on
 * parsing, not on megabyte memsets.  A third decode runs under a 256 kB
 * decode memory limit, so the budget's refusal paths (libpng's allocations,
 * libjpeg's estimate, the pixels, the upright copy) are fuzzed as well.
 *
 * When src/core/pipeline.c lands, its entry point belongs here as well
 * (decode + detect + align + embed on the same bytes).
 *
 * Build and run: test/fuzz/run_decode.sh
 *
 *-------------------------------------------------------------------------
 */
#include <stddef.h>
#include <stdint.h>

#include "core/face/align.h"
#include "core/image/image.h"

static void
consume(const fc_image *img)
{
	float		out[24 * 24 * 3];
	fc_error	err;
	fc_image	chip;
	fc_region	r = {0, 0, img->width, img->height,
		img->width + 3, img->height + 1, 2, 1};

	fc_image_resize_float(img, NULL, FC_RESIZE_AREA, NULL, out, 24, 24, &err);
	fc_image_resize_float(img, &r, FC_RESIZE_BILINEAR_TF, NULL, out, 24, 24, &err);
	if (fc_crop_chip(img, NULL, 0.25, 20, &fc_malloc_allocator, &chip, &err) == FC_OK)
		fc_image_free(&chip, &fc_malloc_allocator);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fc_decode_options full = {.max_pixels = 4000000};
	fc_decode_options scaled = {.max_pixels = 4000000, .min_long_side = 64, .ignore_orientation = 1};
	fc_decode_options tight = {.max_pixels = 4000000, .max_decode_memory = 256 * 1024,
	.min_long_side = 32, .min_short_side = 16};
	const fc_decode_options *opts[3] = {&full, &scaled, &tight};

	for (int i = 0; i < 3; i++)
	{
		fc_image	img;
		fc_decode_info info;
		fc_error	err;

		if (fc_image_decode(data, size, opts[i], NULL, &img, &info, &err) == FC_OK)
		{
			consume(&img);
			fc_image_free(&img, &fc_malloc_allocator);
		}
	}
	return 0;
}
