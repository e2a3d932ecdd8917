/*-------------------------------------------------------------------------
 *
 * bench_detector.c
 *	  Speed of the SSD face detector (fc_detector_run) on photos, one core.
 *
 *	bench_detector MODEL.fwt REPS photo.jpg...
 *
 * For each photo: faces found at min_score 0.5 and the best of REPS runs of
 * fc_detector_run (pad + resize to 512, network, decoding, NMS), as wall
 * and thread-CPU milliseconds; the CPU figure is the one that means
 * something on a shared machine.  Decoding (libjpeg, here only to get
 * pixels) is not timed.  Also reports the effective GFLOP/s of the
 * network (fc_detector_flops(), counted from the layer table) next to the GFLOP/s of
 * a large OpenBLAS sgemm measured in the same run, the practical peak of
 * this core, as a ratio.
 *
 *-------------------------------------------------------------------------
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>
#include <jpeglib.h>

#include "core/face/detector.h"


static double
ms_of(clockid_t clock)
{
	struct timespec t;

	clock_gettime(clock, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

typedef struct jpeg_fail
{
	struct jpeg_error_mgr pub;
	jmp_buf		jump;
} jpeg_fail;

static void
jpeg_fail_exit(j_common_ptr cinfo)
{
	longjmp(((jpeg_fail *) cinfo->err)->jump, 1);
}

static unsigned char *
decode_jpeg(const char *path, int *w, int *h)
{
	struct jpeg_decompress_struct cinfo;
	jpeg_fail	jerr;
	FILE	   *f = fopen(path, "rb");
	unsigned char *volatile rgb = NULL;

	if (f == NULL)
		return NULL;
	cinfo.err = jpeg_std_error(&jerr.pub);
	jerr.pub.error_exit = jpeg_fail_exit;
	if (setjmp(jerr.jump))
	{
		jpeg_destroy_decompress(&cinfo);
		fclose(f);
		free(rgb);
		return NULL;
	}
	jpeg_create_decompress(&cinfo);
	jpeg_stdio_src(&cinfo, f);
	jpeg_read_header(&cinfo, TRUE);
	cinfo.out_color_space = JCS_RGB;
	jpeg_start_decompress(&cinfo);
	*w = cinfo.output_width;
	*h = cinfo.output_height;
	rgb = malloc((size_t) *w * *h * 3);
	while (rgb != NULL && cinfo.output_scanline < cinfo.output_height)
	{
		JSAMPROW	row = rgb + (size_t) cinfo.output_scanline * *w * 3;

		jpeg_read_scanlines(&cinfo, &row, 1);
	}
	jpeg_finish_decompress(&cinfo);
	jpeg_destroy_decompress(&cinfo);
	fclose(f);
	return rgb;
}

/* Best-of-5 GFLOP/s of a 1024x512 by 512x512 sgemm (the shape of the SSD's middle layers). */
static double
sgemm_peak(void)
{
	const int	m = 1024,
				k = 512,
				n = 512;
	float	   *a = calloc((size_t) m * k, sizeof(float));
	float	   *b = calloc((size_t) k * n, sizeof(float));
	float	   *c = calloc((size_t) m * n, sizeof(float));
	double		best = 1e30;

	for (int i = 0; i < m * k; i++)
		a[i] = (float) (i % 7) * 0.1f;
	for (int i = 0; i < k * n; i++)
		b[i] = (float) (i % 5) * 0.1f;
	for (int r = 0; r < 6; r++)
	{
		double		t = ms_of(CLOCK_THREAD_CPUTIME_ID);

		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k,
					1.0f, a, k, b, n, 0.0f, c, n);
		t = ms_of(CLOCK_THREAD_CPUTIME_ID) - t;
		if (r > 0 && t < best)
			best = t;
	}
	free(a);
	free(b);
	free(c);
	return 2.0 * m * k * n / best / 1e6;
}

int
main(int argc, char **argv)
{
	fc_weights *weights;
	fc_detector *det;
	fc_error	err;
	int			reps;
	double		sum_cpu = 0,
				best_cpu_all = 1e30;
	double		peak,
				gflop;

	if (argc < 4)
	{
		fprintf(stderr, "usage: %s MODEL.fwt REPS photo.jpg...\n", argv[0]);
		return 2;
	}
	reps = atoi(argv[2]);
	if (reps < 1)
		reps = 1;
	if (fc_weights_open(argv[1], &weights, &err) != FC_OK ||
		fc_detector_init(weights, &fc_malloc_allocator, &det, &err) != FC_OK)
	{
		fprintf(stderr, "%s: %s\n", argv[1], err.message);
		return 1;
	}

	printf("%-14s %9s %5s %10s %10s\n", "photo", "size", "faces", "wall_ms", "cpu_ms");
	for (int p = 3; p < argc; p++)
	{
		int			w,
					h,
					n = 0;
		unsigned char *rgb = decode_jpeg(argv[p], &w, &h);
		fc_detection out[FC_DETECTOR_MAX_RESULTS];
		double		best_wall = 1e30,
					best_cpu = 1e30;
		const char *base;
		char		size[24];

		if (rgb == NULL)
		{
			fprintf(stderr, "cannot decode %s\n", argv[p]);
			return 1;
		}
		/* one untimed run first: page in the weights and the run state */
		for (int r = -1; r < reps; r++)
		{
			double		t0 = ms_of(CLOCK_MONOTONIC),
						c0 = ms_of(CLOCK_THREAD_CPUTIME_ID);

			if (fc_detector_run(det, rgb, w, h, w * 3, FC_DETECTOR_MIN_SCORE, out,
								FC_DETECTOR_MAX_RESULTS, &n, NULL, &err) != FC_OK)
			{
				fprintf(stderr, "%s: %s\n", argv[p], err.message);
				return 1;
			}
			if (r >= 0)
			{
				double		wall = ms_of(CLOCK_MONOTONIC) - t0,
							cpu = ms_of(CLOCK_THREAD_CPUTIME_ID) - c0;

				if (wall < best_wall)
					best_wall = wall;
				if (cpu < best_cpu)
					best_cpu = cpu;
			}
		}
		base = strrchr(argv[p], '/');
		base = base ? base + 1 : argv[p];
		snprintf(size, sizeof(size), "%dx%d", w, h);
		printf("%-14s %9s %5d %10.1f %10.1f\n", base, size, n, best_wall, best_cpu);
		sum_cpu += best_cpu;
		if (best_cpu < best_cpu_all)
			best_cpu_all = best_cpu;
		free(rgb);
	}

	peak = sgemm_peak();
	gflop = fc_detector_flops(det) / 1e9;
	printf("mean cpu ms %.1f; network %.2f GFLOP, %.1f GFLOP/s at the best run, sgemm peak %.1f GFLOP/s, ratio %.2f\n",
		   sum_cpu / (argc - 3), gflop, gflop * 1e3 / best_cpu_all, peak,
		   gflop * 1e3 / best_cpu_all / peak);

	fc_detector_free(det);
	fc_weights_close(weights);
	return 0;
}
