/*-------------------------------------------------------------------------
 *
 * nn_bench.c
 *	  Speed of the networks of the face core on one core, against the
 *	  core's practical peak measured in the same run.
 *
 *	  make test/bench/nn_bench && nice test/bench/nn_bench [models_dir] [reps]
 *
 * The peak is a square OpenBLAS sgemm (serial build, one thread),
 * i.e. the best FLOP rate this core reaches on a convolution-shaped
 * problem; it is measured before and after the networks and the better of
 * the two is used, so a burst of load from other processes lowers the
 * ratio rather than inflating it.  Times are best-of-reps (the figure least
 * disturbed by the shared machine) with the median next to it, in wall
 * clock and in this thread's CPU time; on a loaded machine a whole network
 * pass (~10 ms) is rarely left alone for its whole duration, so the CPU
 * time is the better measure of the work done on one core.
 *
 * Inputs are the seeded golden images of test/golden (the values do not
 * matter for speed; dense nets do the same work on any input).
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>

#include "../unit/golden.h"
#include "core/face/landmarks.h"
#include "core/nn/layers.h"
#include "core/face/recognizer.h"

/*
 * The peak problem: big enough for OpenBLAS to reach its top rate, short
 * enough (about 3 ms) that many repetitions find a quiet moment on a
 * shared machine.
 */
#define PEAK_N		512
#define PEAK_REPS	100

static double
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
}

/* CPU time of this thread: excludes the time other processes held the core. */
static double
cpu_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
}

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return x < y ? -1 : x > y;
}

/* Best and median of n timings (sorts t). */
static void
summarize(double *t, int n, double *best, double *median)
{
	qsort(t, n, sizeof(double), cmp_double);
	*best = t[0];
	*median = t[n / 2];
}

typedef struct timing
{
	double		best;
	double		median;
} timing;

static void
report(const char *what, const char *clock, double flops, const timing *t, double peak)
{
	double		gflops = flops / (t->best * 1e6);

	printf("%-28s %-5s %7.3f %8.2f %10.2f %9.1f %7.0f%%\n", what, clock, flops / 1e9,
		   t->best, t->median, gflops, 100.0 * gflops / peak);
}

/* GFLOP/s of the best of reps n x n x n sgemms. */
static double
sgemm_peak(int n, int reps)
{
	float	   *a = malloc((size_t) n * n * sizeof(float)),
			   *b = malloc((size_t) n * n * sizeof(float)),
			   *c = malloc((size_t) n * n * sizeof(float));
	double		best = 1e30;

	for (size_t i = 0; i < (size_t) n * n; i++)
	{
		a[i] = (float) (i % 97) * 0.01f;
		b[i] = (float) (i % 89) * 0.01f;
	}
	for (int r = 0; r < reps; r++)
	{
		double		t = now_ms();

		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n,
					1.0f, a, n, b, n, 0.0f, c, n);
		t = now_ms() - t;
		if (t < best)
			best = t;
	}
	free(a);
	free(b);
	free(c);
	return 2.0 * n * n * n / (best * 1e6);
}

/* The recognizer's convolution shapes, timed one by one (random weights). */
typedef struct conv_shape
{
	const char *what;
	int			in,
				k,
				cin,
				cout,
				stride,
				count;			/* how many the network has */
	fc_padding	pad;
} conv_shape;

static const conv_shape rn_shapes[] = {
	{"conv32_down 7x7/2", 150, 7, 3, 32, 2, 1, FC_PAD_VALID},
	{"32 3x3", 35, 3, 32, 32, 1, 6, FC_PAD_SAME},
	{"64_down 3x3/2", 35, 3, 32, 64, 2, 1, FC_PAD_VALID},
	{"64 3x3", 17, 3, 64, 64, 1, 7, FC_PAD_SAME},
	{"128_down 3x3/2", 17, 3, 64, 128, 2, 1, FC_PAD_VALID},
	{"128 3x3", 8, 3, 128, 128, 1, 5, FC_PAD_SAME},
	{"256_down 3x3/2", 8, 3, 128, 256, 2, 1, FC_PAD_VALID},
	{"256 3x3", 4, 3, 256, 256, 1, 5, FC_PAD_SAME},
	{"256_down_out 3x3/2", 4, 3, 256, 256, 2, 1, FC_PAD_VALID},
	{"256 3x3 (2x2)", 2, 3, 256, 256, 1, 1, FC_PAD_SAME},
};

static void
bench_conv_shapes(int reps, double peak)
{
	double		total_ms = 0,
				total_flop = 0;

	printf("\nrecognizer convolutions, each shape alone (im2col + sgemm + bias/ReLU):\n");
	printf("  %-20s %5s %9s %9s %7s\n", "layer", "count", "ms each", "GFLOP/s", "of peak");
	for (size_t i = 0; i < sizeof(rn_shapes) / sizeof(rn_shapes[0]); i++)
	{
		const conv_shape *s = &rn_shapes[i];
		fc_conv2d	conv = {s->k, s->k, s->cin, s->cout, s->stride, s->pad, FC_ACT_RELU, 0, NULL, NULL};
		float	   *f = malloc((size_t) s->k * s->k * s->cin * s->cout * sizeof(float));
		float	   *bias = calloc(s->cout, sizeof(float));
		float	   *in = malloc(fc_tensor_size(s->in, s->in, s->cin) * sizeof(float));
		int			oh,
					ow;
		double		best = 1e30,
					flop;

		for (size_t j = 0; j < (size_t) s->k * s->k * s->cin * s->cout; j++)
			f[j] = (float) ((j * 7) % 13) * 0.01f - 0.06f;
		for (size_t j = 0; j < fc_tensor_size(s->in, s->in, s->cin); j++)
			in[j] = (float) (j % 255);
		conv.filters = f;
		conv.bias = bias;
		fc_conv2d_out_shape(&conv, s->in, s->in, &oh, &ow);

		float	   *out = malloc(fc_tensor_size(oh, ow, s->cout) * sizeof(float));
		float	   *scratch = malloc((fc_conv2d_scratch(&conv, s->in, s->in) + 1) * sizeof(float));
		fc_tensor	tin = {in, s->in, s->in, s->cin},
					tout = {.data = out};

		for (int r = 0; r < reps; r++)
		{
			double		t = now_ms();

			fc_conv2d_forward(&conv, &tin, &tout, scratch);
			t = now_ms() - t;
			if (t < best)
				best = t;
		}
		flop = 2.0 * oh * ow * s->k * s->k * s->cin * s->cout;
		printf("  %-20s %5d %9.3f %9.1f %6.0f%%\n", s->what, s->count, best,
			   flop / (best * 1e6), 100.0 * flop / (best * 1e6) / peak);
		total_ms += best * s->count;
		total_flop += flop * s->count;
		free(f);
		free(bias);
		free(in);
		free(out);
		free(scratch);
	}
	printf("  %-20s %5s %9.3f %9.1f %6.0f%%   (sum over the network)\n", "all convolutions", "",
		   total_ms, total_flop / (total_ms * 1e6), 100.0 * total_flop / (total_ms * 1e6) / peak);
}

/*
 * Depthwise 3x3 shapes of SSD MobileNetV1 at 512 (and the landmark net's
 * 56x56x32): memory-bound, so GB/s of input read + output written is the
 * figure that matters.
 */
static void
bench_dwconv(int reps)
{
	static const int shapes[][3] = {	/* in size, channels, stride */
		{256, 32, 1}, {256, 64, 2}, {128, 128, 1}, {128, 128, 2}, {64, 256, 1},
		{32, 512, 1}, {16, 1024, 1}, {56, 32, 1},
	};

	printf("\ndepthwise 3x3 'same' + bias + ReLU6 (SSD MobileNetV1 at 512, landmarks 56x56x32):\n");
	printf("  %-16s %9s %9s %9s\n", "input, stride", "ms", "GFLOP/s", "GB/s");
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
	{
		int			n = shapes[i][0],
					c = shapes[i][1],
					s = shapes[i][2];
		size_t		nin = fc_tensor_size(n, n, c);
		float	   *in = malloc(nin * sizeof(float)),
				   *f = malloc(9 * c * sizeof(float)),
				   *bias = calloc(c, sizeof(float)),
				   *out = malloc(nin * sizeof(float));
		fc_dwconv2d dw = {3, 3, c, s, FC_PAD_SAME, FC_ACT_RELU6, 0, f, bias};
		fc_tensor	tin = {in, n, n, c},
					tout = {.data = out};
		double		best = 1e30;
		char		what[32];

		for (size_t j = 0; j < nin; j++)
			in[j] = (float) (j % 13) - 6.0f;
		for (int j = 0; j < 9 * c; j++)
			f[j] = (float) (j % 5) * 0.1f;
		for (int r = 0; r < reps; r++)
		{
			double		t = now_ms();

			fc_dwconv2d_forward(&dw, &tin, &tout);
			t = now_ms() - t;
			if (t < best)
				best = t;
		}
		snprintf(what, sizeof(what), "%dx%dx%d /%d", n, n, c, s);
		printf("  %-16s %9.3f %9.1f %9.1f\n", what, best,
			   2.0 * 9 * tout.h * tout.w * c / (best * 1e6),
			   (nin + fc_tensor_size(tout.h, tout.w, c)) * sizeof(float) / (best * 1e6));
		free(in);
		free(f);
		free(bias);
		free(out);
	}
}

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "models";
	int			reps = argc > 2 ? atoi(argv[2]) : 50;
	char		path[1024];
	fc_weights *wr,
			   *wl;
	fc_recognizer *rec;
	fc_landmarks *lm;
	fc_error	err;
	float	   *chip = malloc(150 * 150 * 3 * sizeof(float));
	float	   *crop = malloc(112 * 112 * 3 * sizeof(float));
	float		desc[FC_EMBEDDING_DIMS],
				pts[FC_LANDMARKS_OUTPUTS];
	double	   *t = malloc(reps * sizeof(double)),
			   *tc = malloc(reps * sizeof(double));
	timing		rec_t[2],		/* wall, cpu */
				lmk_t[2];
	double		peak,
				peak2;

	if (reps < 1 || t == NULL || tc == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/recognition.fwt", dir);
	if (fc_weights_open(path, &wr, &err) != FC_OK ||
		fc_recognizer_init(wr, NULL, &rec, &err) != FC_OK)
	{
		fprintf(stderr, "nn_bench: %s (run make models)\n", err.message);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/landmarks68.fwt", dir);
	if (fc_weights_open(path, &wl, &err) != FC_OK ||
		fc_landmarks_init(wl, NULL, &lm, &err) != FC_OK)
	{
		fprintf(stderr, "nn_bench: %s (run make models)\n", err.message);
		return 1;
	}
	fc_golden_input(chip, 150, 150, FC_GOLDEN_SEED_RECOGNITION);
	fc_golden_input(crop, 112, 112, FC_GOLDEN_SEED_LANDMARKS);

	peak = sgemm_peak(PEAK_N, PEAK_REPS);
	printf("peak: sgemm %dx%dx%d, serial OpenBLAS, one core: %.1f GFLOP/s\n", PEAK_N, PEAK_N, PEAK_N, peak);

	/* warm-up pass each, then reps timed passes */
	fc_recognizer_forward(rec, chip, desc, &err);
	for (int r = 0; r < reps; r++)
	{
		double		t0 = now_ms(),
					c0 = cpu_ms();

		if (fc_recognizer_forward(rec, chip, desc, &err) != FC_OK)
			return 1;
		t[r] = now_ms() - t0;
		tc[r] = cpu_ms() - c0;
	}
	summarize(t, reps, &rec_t[0].best, &rec_t[0].median);
	summarize(tc, reps, &rec_t[1].best, &rec_t[1].median);

	fc_landmarks_forward(lm, crop, pts, &err);
	for (int r = 0; r < reps; r++)
	{
		double		t0 = now_ms(),
					c0 = cpu_ms();

		if (fc_landmarks_forward(lm, crop, pts, &err) != FC_OK)
			return 1;
		t[r] = now_ms() - t0;
		tc[r] = cpu_ms() - c0;
	}
	summarize(t, reps, &lmk_t[0].best, &lmk_t[0].median);
	summarize(tc, reps, &lmk_t[1].best, &lmk_t[1].median);

	peak2 = sgemm_peak(PEAK_N, PEAK_REPS);
	if (peak2 > peak)
		peak = peak2;
	printf("peak (better of before/after): %.1f GFLOP/s\n\n", peak);

	printf("%-28s %-5s %7s %8s %10s %9s %8s\n", "network (one face)", "clock", "GFLOP", "best ms",
		   "median ms", "GFLOP/s", "of peak");
	for (int k = 0; k < 2; k++)
	{
		static const char *const clocks[2] = {"wall", "cpu"};

		report("recognition ResNet 150x150", clocks[k], fc_recognizer_flops(rec), &rec_t[k], peak);
		report("68 landmarks 112x112", clocks[k], fc_landmarks_flops(lm), &lmk_t[k], peak);
	}

	bench_conv_shapes(reps, peak);
	bench_dwconv(reps);

	fc_recognizer_free(rec);
	fc_landmarks_free(lm);
	fc_weights_close(wr);
	fc_weights_close(wl);
	free(chip);
	free(crop);
	free(t);
	free(tc);
	return 0;
}
