/*-------------------------------------------------------------------------
 *
 * face_cli.c
 *	  face-cli: the face pipeline without PostgreSQL, for trying photos,
 *	  scripting accuracy checks and profiling.
 *
 *	  face-cli [options] photo.jpg ...
 *
 *	--models DIR        converted networks (default $FACE_MODEL_DIR, else ./models)
 *	--min-confidence X  detector threshold (default 0.5, face-api's)
 *	--max-faces N       keep the N best detections (default 100)
 *	--decode-long N     JPEG DCT scaling keeps the long side >= N (0 = full size)
 *	--crop              each file is a tight face crop: no detection
 *	--no-align          with --crop: resize the crop to 150x150 instead of aligning
 *	--quiet             only the face/box lines and timings (no landmarks, embeddings)
 *	--bench N           run each photo N times after a warm-up; print per-stage
 *	                    best and median milliseconds and peak memory
 *	--variants DIR      write altered copies of each photo and crops of its faces
 *	                    to DIR for the invariance tests (variants.c)
 *
 * Output, one tab-separated record per line (easy to grep and to parse):
 *	image   <file> <faces> decode <ms> (1/<scale>) detect <ms> landmarks <ms>
 *	        align <ms> recognize <ms> total <ms>
 *	face    <file> <i> <score> <x> <y> <w> <h>       box in pixels
 *	landmarks <file> <i> x0 y0 ... x67 y67
 *	embedding <file> <i> [d0,...,d127]              face_embedding text form
 *	error   <file> <message>
 * Exit status 1 if any file failed.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "core/face/pipeline.h"
#include "variants.h"

typedef struct cli_args
{
	const char *models;
	fc_pipeline_options opts;
	int			crop;
	int			quiet;
	int			bench;
	const char *variants;
} cli_args;

static void
usage(void)
{
	fprintf(stderr,
			"usage: face-cli [--models DIR] [--min-confidence X] [--max-faces N]\n"
			"                [--decode-long N] [--crop [--no-align]] [--quiet] [--bench N]\n"
			"                [--variants DIR]\n"
			"                photo ...\n");
	exit(2);
}

static uint8_t *
read_file(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	uint8_t    *buf = NULL;
	long		n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
		(buf = malloc(n > 0 ? n : 1)) != NULL)
	{
		if (fread(buf, 1, n, f) != (size_t) n)
		{
			free(buf);
			buf = NULL;
		}
		*len = n;
	}
	fclose(f);
	return buf;
}

/* Run the pipeline once on data; *faces is malloc'd (or NULL). */
static fc_status
run_once(fc_models *m, const cli_args *a, const uint8_t *data, size_t len,
		 fc_face **faces, int *n, fc_timings *t, fc_error *err)
{
	if (a->crop)
	{
		fc_status	st;

		*faces = malloc(sizeof(fc_face));
		if (*faces == NULL)
			return fc_fail(err, FC_ERR_NOMEM, "out of memory");
		st = fc_pipeline_crop(m, data, len, &a->opts, NULL, *faces, t, err);
		*n = (st == FC_OK);
		return st;
	}
	return fc_pipeline_faces(m, data, len, &a->opts, NULL, faces, n, t, err);
}

static void
print_faces(const char *file, const fc_face *faces, int n, const fc_timings *t, int quiet)
{
	printf("image\t%s\t%d\tdecode\t%.2f\t(1/%d)\tdetect\t%.2f\tlandmarks\t%.2f\t"
		   "align\t%.2f\trecognize\t%.2f\ttotal\t%.2f\n",
		   file, n, t->decode_ms, t->decode_scale, t->detect_ms, t->landmarks_ms,
		   t->align_ms, t->recognize_ms, t->total_ms);
	for (int i = 0; i < n; i++)
	{
		const fc_face *f = &faces[i];

		printf("face\t%s\t%d\t%.6f\t%.2f\t%.2f\t%.2f\t%.2f\n",
			   file, i, f->score, f->x, f->y, f->w, f->h);
		if (quiet)
			continue;
		printf("landmarks\t%s\t%d", file, i);
		for (int k = 0; k < 2 * FC_LANDMARK_COUNT; k++)
			printf("\t%.2f", f->landmarks[k]);
		printf("\nembedding\t%s\t%d\t[", file, i);
		for (int k = 0; k < FC_EMBEDDING_DIMS; k++)
			printf("%s%.9g", k ? "," : "", f->embedding[k]);
		printf("]\n");
	}
}

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return (x > y) - (x < y);
}

/* Best and median of n values (sorts v). */
static void
best_median(double *v, int n, double *best, double *median)
{
	qsort(v, n, sizeof(double), cmp_double);
	*best = v[0];
	*median = (n % 2) ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double
cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/*
 * --bench: warm up, time reps runs, print best/median per stage (wall
 * clock) and of the whole call's CPU time (on a loaded machine the wall
 * clock includes waiting for the core; the CPU time is the work done).
 */
static int
bench_file(fc_models *m, const cli_args *a, const char *file, const uint8_t *data, size_t len)
{
	enum {DEC, DET, LM, AL, REC, TOT, CPU, NSTAGE};
	static const char *names[NSTAGE] = {"decode", "detect", "landmarks", "align", "recognize", "total", "cpu"};
	double	   *v[NSTAGE];
	int			n = 0,
				scale = 1;
	int			rc = 0;

	for (int s = 0; s < NSTAGE; s++)
		v[s] = malloc(sizeof(double) * a->bench);
	for (int r = -1; r < a->bench && rc == 0; r++)
	{
		fc_face    *faces = NULL;
		fc_timings	t;
		fc_error	err = {0};
		double		c0 = cpu_ms();

		if (run_once(m, a, data, len, &faces, &n, &t, &err) != FC_OK)
		{
			printf("error\t%s\t%s\n", file, err.message);
			rc = 1;
		}
		c0 = cpu_ms() - c0;
		free(faces);
		if (r < 0 || rc)
			continue;			/* the first run warms caches and pages in the weights */
		v[DEC][r] = t.decode_ms;
		v[DET][r] = t.detect_ms;
		v[LM][r] = t.landmarks_ms;
		v[AL][r] = t.align_ms;
		v[REC][r] = t.recognize_ms;
		v[TOT][r] = t.total_ms;
		v[CPU][r] = c0;
		scale = t.decode_scale;
	}
	if (rc == 0)
	{
		printf("bench\t%s\tfaces\t%d\truns\t%d\tscale\t1/%d", file, n, a->bench, scale);
		for (int s = 0; s < NSTAGE; s++)
		{
			double		best,
						med;

			best_median(v[s], a->bench, &best, &med);
			printf("\t%s\t%.2f\t%.2f", names[s], best, med);
		}
		printf("\n");
	}
	for (int s = 0; s < NSTAGE; s++)
		free(v[s]);
	return rc;
}

static void
parse_args(int argc, char **argv, cli_args *a, int *first)
{
	int			i;

	memset(a, 0, sizeof(*a));
	fc_pipeline_defaults(&a->opts);
	a->models = getenv("FACE_MODEL_DIR") ? getenv("FACE_MODEL_DIR") : "models";
	for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++)
	{
		const char *o = argv[i];
		const char *val = (i + 1 < argc) ? argv[i + 1] : NULL;

		if (strcmp(o, "--") == 0)
		{
			i++;
			break;
		}
		else if (strcmp(o, "--crop") == 0)
			a->crop = 1;
		else if (strcmp(o, "--no-align") == 0)
			a->opts.crop_align = 0;
		else if (strcmp(o, "--quiet") == 0)
			a->quiet = 1;
		else if (val == NULL)
			usage();
		else if (strcmp(o, "--models") == 0)
			a->models = argv[++i];
		else if (strcmp(o, "--min-confidence") == 0)
			a->opts.min_confidence = strtof(argv[++i], NULL);
		else if (strcmp(o, "--max-faces") == 0)
			a->opts.max_faces = atoi(argv[++i]);
		else if (strcmp(o, "--decode-long") == 0)
			a->opts.decode_long_side = atoi(argv[++i]);
		else if (strcmp(o, "--variants") == 0)
			a->variants = argv[++i];
		else if (strcmp(o, "--bench") == 0)
		{
			a->bench = atoi(argv[++i]);
			if (a->bench < 1)
				usage();
		}
		else
			usage();
	}
	if (i >= argc)
		usage();
	*first = i;
}

int
main(int argc, char **argv)
{
	cli_args	a;
	fc_models  *m = NULL;
	fc_error	err = {0};
	int			first,
				rc = 0;
	struct rusage ru;

	parse_args(argc, argv, &a, &first);
	if (fc_models_open(a.models, NULL, &m, &err) != FC_OK && a.variants == NULL)
	{
		fprintf(stderr, "face-cli: %s\n(run \"make models\" or pass --models DIR)\n", err.message);
		return 1;
	}
	if (a.variants)
	{
		for (int i = first; i < argc; i++)
		{
			size_t		len = 0;
			uint8_t    *data = read_file(argv[i], &len);

			if (data == NULL || cli_write_variants(m, a.variants, argv[i], data, len) != 0)
				rc = 1;
			free(data);
		}
		fc_models_close(m);
		return rc;
	}
	for (int i = first; i < argc; i++)
	{
		size_t		len = 0;
		uint8_t    *data = read_file(argv[i], &len);
		fc_face    *faces = NULL;
		fc_timings	t;
		int			n = 0;

		if (data == NULL)
		{
			printf("error\t%s\tcannot read file\n", argv[i]);
			rc = 1;
			continue;
		}
		if (a.bench)
			rc |= bench_file(m, &a, argv[i], data, len);
		else if (run_once(m, &a, data, len, &faces, &n, &t, &err) != FC_OK)
		{
			printf("error\t%s\t%s\n", argv[i], err.message);
			rc = 1;
		}
		else
			print_faces(argv[i], faces, n, &t, a.quiet);
		free(faces);
		free(data);
	}
	if (a.bench && getrusage(RUSAGE_SELF, &ru) == 0)
		printf("peak_rss_mb\t%.1f\n", ru.ru_maxrss / 1024.0);
	fc_models_close(m);
	return rc;
}
