/*-------------------------------------------------------------------------
 *
 * bench_decode.c
 *	  Decode timings: full-size JPEG decode against DCT-scaled decodes
 *	  (1/2, 1/4, 1/8), and PNG, on the photos given on the command line.
 *
 *	  cc -O2 -Isrc/core -o bench_decode test/bench/bench_decode.c \
 *	     src/core/fc_common.c src/core/image*.c -ljpeg -lpng16 -lm
 *	  ./bench_decode [-n RUNS] photo.jpg ...
 *
 * For each photo and scale: the median thread CPU time and the median wall
 * time of RUNS decodes (default 15) on one core, and the output size.  On
 * a shared machine the CPU time is the figure to compare: wall time
 * includes waiting for the core.  min_long_side is set to the
 * scaled long side, so the decoder's own scale choice is what is timed.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/image/image.h"

static double
now_ms(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	int			runs = 15;
	int			first = 1;

	if (argc > 2 && strcmp(argv[1], "-n") == 0)
	{
		runs = atoi(argv[2]);
		first = 3;
	}
	if (runs < 1 || runs > 1000)
		runs = 15;
	printf("%-14s %-6s %-11s %11s %12s\n", "photo", "scale", "output", "cpu_ms(med)", "wall_ms(med)");
	for (int f = first; f < argc; f++)
	{
		FILE	   *fp = fopen(argv[f], "rb");
		uint8_t    *data;
		long		len;
		const char *base = strrchr(argv[f], '/') ? strrchr(argv[f], '/') + 1 : argv[f];
		fc_decode_info info;
		fc_image	img;
		fc_error	err;
		int			long_side;

		if (fp == NULL)
			continue;
		fseek(fp, 0, SEEK_END);
		len = ftell(fp);
		fseek(fp, 0, SEEK_SET);
		data = malloc(len);
		if (fread(data, 1, len, fp) != (size_t) len)
			len = 0;
		fclose(fp);
		if (fc_image_decode(data, len, NULL, NULL, &img, &info, &err) != FC_OK)
		{
			printf("%s: %s\n", base, err.message);
			free(data);
			continue;
		}
		long_side = info.stored_width > info.stored_height ? info.stored_width : info.stored_height;
		fc_image_free(&img, &fc_malloc_allocator);

		for (int denom = 1; denom <= (info.format == FC_FORMAT_JPEG ? 8 : 1); denom *= 2)
		{
			fc_decode_options opts = {0};
			double	   *t = malloc(sizeof(double) * runs);
			double	   *c = malloc(sizeof(double) * runs);

			opts.min_long_side = denom == 1 ? 0 : (long_side + denom - 1) / denom;
			for (int r = 0; r < runs; r++)
			{
				double		t0 = now_ms(CLOCK_MONOTONIC),
							c0 = now_ms(CLOCK_THREAD_CPUTIME_ID);

				if (fc_image_decode(data, len, &opts, NULL, &img, &info, &err) != FC_OK)
				{
					printf("%s: %s\n", base, err.message);
					break;
				}
				t[r] = now_ms(CLOCK_MONOTONIC) - t0;
				c[r] = now_ms(CLOCK_THREAD_CPUTIME_ID) - c0;
				if (r < runs - 1)
					fc_image_free(&img, &fc_malloc_allocator);
			}
			qsort(t, runs, sizeof(double), cmp_double);
			qsort(c, runs, sizeof(double), cmp_double);
			printf("%-14s 1/%-4d %5dx%-5d %11.2f %12.2f\n", base, info.scale_denom,
				   img.width, img.height, c[runs / 2], t[runs / 2]);
			fc_image_free(&img, &fc_malloc_allocator);
			free(t);
			free(c);
		}
		free(data);
	}
	return 0;
}
