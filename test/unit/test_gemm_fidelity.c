/*-------------------------------------------------------------------------
 *
 * test_gemm_fidelity.c
 *	  face.precision = 'fast' against 'exact', end to end through
 *	  fc_pipeline_faces, on the six sample photos and their re-encoded,
 *	  half-size, shifted and EXIF-rotated variants (models/samples, written
 *	  by "make models").
 *
 * Two sets of bounds.  What 'fast' guarantees as built (checked, fails
 * the test): the same faces, as many and each exact face matched one to
 * one with a fast face at IoU >= 0.95; scores within 0.03; descriptors
 * within L2 0.3 (half the same-person threshold), median <= 0.05.  The
 * issue's bounds for making 'fast' the default (measured and printed):
 * IoU >= 0.97, scores within 0.03, every landmark within 1.5 px, every
 * descriptor within 0.05 and their median <= 0.02; the test fails if
 * FC_PRECISION_DEFAULT is 'fast' while any of these is not met.
 *
 * 'exact' itself is checked against face-api by test_pipeline.c.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit_check.h"
#include "core/face/pipeline.h"
#include "core/nn/gemm.h"
#include "core/nn/quant.h"

#define MAX_FACES_ALL 512

static uint8_t *
read_file(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	uint8_t    *b;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	*len = ftell(f);
	fseek(f, 0, SEEK_SET);
	b = malloc(*len);
	if (b && fread(b, 1, *len, f) != *len)
	{
		free(b);
		b = NULL;
	}
	fclose(f);
	return b;
}

static double
iou(const fc_face *a, const fc_face *b)
{
	double		ix = fmin(a->x + a->w, b->x + b->w) - fmax(a->x, b->x),
				iy = fmin(a->y + a->h, b->y + b->h) - fmax(a->y, b->y),
				i = (ix > 0 && iy > 0) ? ix * iy : 0;

	return i / (a->w * a->h + b->w * b->h - i);
}

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return x < y ? -1 : x > y;
}

static double desc_dist[MAX_FACES_ALL];
static int	n_dist = 0;
static double worst_iou = 1,
			worst_score = 0,
			worst_landmark = 0;

static fc_status
run(fc_models *m, fc_precision p, const uint8_t *data, size_t len,
	fc_face **faces, int *n, double *detect_ms)
{
	fc_error	err = {0};
	fc_timings	t;
	fc_status	st;

	fc_nn_precision = p;
	st = fc_pipeline_faces(m, data, len, NULL, NULL, faces, n, &t, &err);
	fc_nn_precision = FC_PRECISION_EXACT;
	CHECK(st == FC_OK, "%s", err.message);
	*detect_ms += t.detect_ms;
	return st;
}

static void
compare_photo(fc_models *m, const char *file, const uint8_t *data, size_t len,
			  double *ms_exact, double *ms_fast)
{
	fc_face    *ex,
			   *fa;
	int			ne,
				nf;
	int			used[128] = {0};

	if (run(m, FC_PRECISION_EXACT, data, len, &ex, &ne, ms_exact) != FC_OK)
		return;
	if (run(m, FC_PRECISION_FAST, data, len, &fa, &nf, ms_fast) != FC_OK)
	{
		free(ex);
		return;
	}
	CHECK(ne == nf, "%s: exact finds %d faces, fast %d", file, ne, nf);
	for (int i = 0; i < ne; i++)
	{
		int			best = -1;
		double		best_iou = 0,
					lm = 0,
					d = 0;

		for (int k = 0; k < nf && k < 128; k++)
			if (!used[k] && iou(&ex[i], &fa[k]) > best_iou)
			{
				best_iou = iou(&ex[i], &fa[k]);
				best = k;
			}
		CHECK(best >= 0 && best_iou >= 0.95, "%s face %d: best IoU %.3f", file, i, best_iou);
		if (best < 0)
			continue;
		used[best] = 1;
		worst_iou = fmin(worst_iou, best_iou);
		worst_score = fmax(worst_score, fabs(ex[i].score - fa[best].score));
		CHECK(fabs(ex[i].score - fa[best].score) <= 0.03, "%s face %d: score %.4f vs %.4f",
			  file, i, ex[i].score, fa[best].score);
		for (int p = 0; p < 2 * FC_LANDMARK_COUNT; p++)
			lm = fmax(lm, fabs(ex[i].landmarks[p] - fa[best].landmarks[p]));
		worst_landmark = fmax(worst_landmark, lm);
		for (int k = 0; k < FC_EMBEDDING_DIMS; k++)
			d += (ex[i].embedding[k] - fa[best].embedding[k]) *
				(double) (ex[i].embedding[k] - fa[best].embedding[k]);
		d = sqrt(d);
		CHECK(d <= 0.3, "%s face %d: descriptor moves %.4f", file, i, d);
		if (n_dist < MAX_FACES_ALL)
			desc_dist[n_dist++] = d;
	}
	printf("%-18s %d faces\n", file, ne);
	free(ex);
	free(fa);
}

int
main(void)
{
	static const char *const variants[] = {".jpg", "_q50.jpg", "_half.png", "_shift.jpg", "_rot.jpg"};
	const char *dir = getenv("FACE_MODEL_DIR") ? getenv("FACE_MODEL_DIR") : "models";
	fc_models  *m;
	fc_error	err = {0};
	double		ms_exact = 0,
				ms_fast = 0;
	int			photos = 0;

	if (fc_models_open(dir, NULL, &m, &err) != FC_OK)
	{
		fprintf(stderr, "%s (run \"make models\" first)\n", err.message);
		return 1;
	}
	printf("int8 kernel set: %s\n", fc_gemm_best()->name);
	for (int s = 1; s <= 6; s++)
		for (size_t v = 0; v < sizeof(variants) / sizeof(variants[0]); v++)
		{
			char		path[1024],
						file[64];
			size_t		len;
			uint8_t    *data;

			snprintf(file, sizeof(file), "sample%d%s", s, variants[v]);
			snprintf(path, sizeof(path), "%s/samples/%s", dir, file);
			data = read_file(path, &len);
			CHECK(data != NULL, "cannot read %s (run \"make models\")", path);
			if (data == NULL)
				continue;
			compare_photo(m, file, data, len, &ms_exact, &ms_fast);
			photos++;
			free(data);
		}
	CHECK(photos == 30 && n_dist >= 30, "%d photos, %d faces compared", photos, n_dist);
	if (n_dist > 0)
	{
		double		median;
		int			default_ok;

		qsort(desc_dist, n_dist, sizeof(double), cmp_double);
		median = desc_dist[n_dist / 2];

		CHECK(median <= 0.05, "median descriptor move %.4f", median);
		printf("%d faces: worst IoU %.4f, score %.4f, landmark %.2f px; descriptor median %.4f, max %.4f\n",
			   n_dist, worst_iou, worst_score, worst_landmark, median, desc_dist[n_dist - 1]);
		default_ok = worst_iou >= 0.97 && worst_score <= 0.03 && worst_landmark <= 1.5 &&
			desc_dist[n_dist - 1] <= 0.05 && median <= 0.02;
		printf("issue's bounds for 'fast' as the default: %s\n", default_ok ? "met" : "not met");
		CHECK(default_ok || FC_PRECISION_DEFAULT == FC_PRECISION_EXACT,
			  "FC_PRECISION_DEFAULT is 'fast' but it does not meet the fidelity bounds");
	}
	printf("detect stage, all photos: exact %.0f ms, fast %.0f ms (informative only)\n", ms_exact, ms_fast);
	fc_models_close(m);
	if (failures == 0)
		printf("test_gemm_fidelity: all checks passed\n");
	return failures ? 1 : 0;
}
