/*-------------------------------------------------------------------------
 *
 * test_landmarks.c
 *	  The 68-point landmark net against face-api: on the seeded input of
 *	  test/golden/nets.txt every point must lie within 0.5 px (of the 112
 *	  input) of face-api's.  Also: repeated passes agree, cancellation stops
 *	  a pass, and the recognizer's weights are refused with FC_ERR_MODEL.
 *
 * Needs the converted weights (make models); $FC_MODELS_DIR overrides the
 * models/ directory.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "alloc_check.h"
#include "golden.h"
#include "core/face/landmarks.h"

static int	failures = 0;

#define CHECK(cond, ...) do { if (!(cond)) { printf("FAIL: " __VA_ARGS__); printf("\n"); failures++; } } while (0)

static const char *
model_path(const char *file)
{
	static char path[1024];
	const char *dir = getenv("FC_MODELS_DIR");

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "models", file);
	return path;
}

static int	interrupt_after = -1;

static int
count_down(void *ctx)
{
	return interrupt_after >= 0 && interrupt_after-- == 0;
}

/* Adapters for alloc_check_init_paths(). */
static fc_status
landmarks_init_with(void *w, const fc_allocator *a, void **obj, fc_error *err)
{
	fc_hooks	h = {a, NULL, NULL};

	return fc_landmarks_init(w, &h, (fc_landmarks **) obj, err);
}

static void
landmarks_free_any(void *obj)
{
	fc_landmarks_free(obj);
}

int
main(void)
{
	const int	n = FC_LANDMARKS_INPUT_SIZE;
	fc_weights *w,
			   *other;
	fc_landmarks *lm;
	fc_error	err;
	fc_hooks	hooks = {&fc_malloc_allocator, count_down, NULL};
	float	   *px = malloc((size_t) n * n * 3 * sizeof(float));
	float		pts[FC_LANDMARKS_OUTPUTS],
				pts2[FC_LANDMARKS_OUTPUTS];
	double		golden[1 + FC_LANDMARKS_OUTPUTS],
				meta[8],
				worst = 0;

	if (fc_weights_open(model_path("landmarks68.fwt"), &w, &err) != FC_OK)
	{
		printf("FAIL: %s (run make models)\n", err.message);
		return 1;
	}
	if (fc_landmarks_init(w, &hooks, &lm, &err) != FC_OK)
	{
		printf("FAIL: init: %s\n", err.message);
		return 1;
	}

	CHECK(fc_golden_find("nets.txt", (const char *[]) {"landmarks_input"}, 1, 0, meta, 8) >= 4,
		  "nets.txt has no landmarks_input record");
	double		sum = fc_golden_input(px, n, n, FC_GOLDEN_SEED_LANDMARKS);

	CHECK(sum == meta[3], "golden input sum %.0f, nets.txt says %.0f", sum, meta[3]);
	CHECK(fc_golden_find("nets.txt", (const char *[]) {"landmarks"}, 1, 0, golden,
						 1 + FC_LANDMARKS_OUTPUTS) == 1 + FC_LANDMARKS_OUTPUTS &&
		  golden[0] == FC_LANDMARKS_OUTPUTS, "nets.txt has no 136-value landmarks record");

	CHECK(fc_landmarks_forward(lm, px, pts, &err) == FC_OK, "forward: %s", err.message);
	for (int i = 0; i < FC_LANDMARK_COUNT; i++)
	{
		/* distance in pixels of the 112x112 input */
		double		dx = (pts[2 * i] - golden[1 + 2 * i]) * n,
					dy = (pts[2 * i + 1] - golden[2 + 2 * i]) * n,
					d = sqrt(dx * dx + dy * dy);

		worst = fmax(worst, d);
	}
	printf("landmarks vs face-api: worst point %.2e px of the 112 input\n", worst);
	CHECK(worst <= 0.5, "a landmark is %.3f px from face-api's", worst);

	CHECK(fc_landmarks_forward(lm, px, pts2, &err) == FC_OK, "second forward: %s", err.message);
	CHECK(memcmp(pts, pts2, sizeof(pts)) == 0, "second pass differs from the first");

	interrupt_after = 2;
	CHECK(fc_landmarks_forward(lm, px, pts2, &err) == FC_ERR_CANCELLED, "interrupt not honoured");
	interrupt_after = -1;
	CHECK(fc_landmarks_forward(lm, px, pts2, &err) == FC_OK && memcmp(pts, pts2, sizeof(pts)) == 0,
		  "pass after a cancelled one differs");
	printf("%.3f GFLOP per face\n", fc_landmarks_flops(lm) / 1e9);
	fc_landmarks_free(lm);

	if (fc_weights_open(model_path("recognition.fwt"), &other, &err) == FC_OK)
	{
		CHECK(fc_landmarks_init(other, NULL, &lm, &err) == FC_ERR_MODEL,
			  "recognizer weights accepted as landmark net");
		printf("wrong weights: %s\n", err.message);
		fc_weights_close(other);
	}

	/* every allocation failure is FC_ERR_NOMEM and leaks nothing; all freed on success */
	failures += alloc_check_init_paths(landmarks_init_with, landmarks_free_any, w);
	fc_weights_close(w);
	free(px);

	if (failures)
	{
		printf("%d failures\n", failures);
		return 1;
	}
	printf("landmark net matches face-api\n");
	return 0;
}
