/*-------------------------------------------------------------------------
 *
 * test_recognizer.c
 *	  The recognition ResNet against face-api: the descriptor of the seeded
 *	  input in test/golden/nets.txt must have cosine similarity >= 0.9999
 *	  with face-api's.  Also: repeated passes agree (no state leaks between
 *	  forward() calls), cancellation stops a pass, and a weights file of
 *	  another network is refused with FC_ERR_MODEL.
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
#include "core/face/recognizer.h"

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
recognizer_init_with(void *w, const fc_allocator *a, void **obj, fc_error *err)
{
	fc_hooks	h = {a, NULL, NULL};

	return fc_recognizer_init(w, &h, (fc_recognizer **) obj, err);
}

static void
recognizer_free_any(void *obj)
{
	fc_recognizer_free(obj);
}

int
main(void)
{
	fc_weights *w,
			   *other;
	fc_recognizer *r;
	fc_error	err;
	fc_hooks	hooks = {&fc_malloc_allocator, count_down, NULL};
	float	   *px = malloc(150 * 150 * 3 * sizeof(float));
	float		d[FC_EMBEDDING_DIMS],
				d2[FC_EMBEDDING_DIMS];
	double		golden[1 + FC_EMBEDDING_DIMS],
				meta[8];
	double		dot = 0,
				na = 0,
				nb = 0,
				maxdiff = 0;

	if (fc_weights_open(model_path("recognition.fwt"), &w, &err) != FC_OK)
	{
		printf("FAIL: %s (run make models)\n", err.message);
		return 1;
	}
	if (fc_recognizer_init(w, &hooks, &r, &err) != FC_OK)
	{
		printf("FAIL: init: %s\n", err.message);
		return 1;
	}

	/* the golden input, checked against its recorded pixel sum first */
	CHECK(fc_golden_find("nets.txt", (const char *[]) {"recognition_input"}, 1, 0, meta, 8) >= 3,
		  "nets.txt has no recognition_input record");
	double		sum = fc_golden_input(px, 150, 150, FC_GOLDEN_SEED_RECOGNITION);

	CHECK(sum == meta[3], "golden input sum %.0f, nets.txt says %.0f", sum, meta[3]);
	CHECK(fc_golden_find("nets.txt", (const char *[]) {"recognition"}, 1, 0, golden,
						 1 + FC_EMBEDDING_DIMS) == 1 + FC_EMBEDDING_DIMS &&
		  golden[0] == FC_EMBEDDING_DIMS, "nets.txt has no 128-D recognition record");

	CHECK(fc_recognizer_forward(r, px, d, &err) == FC_OK, "forward: %s", err.message);
	for (int i = 0; i < FC_EMBEDDING_DIMS; i++)
	{
		double		g = golden[1 + i];

		dot += d[i] * g;
		na += (double) d[i] * d[i];
		nb += g * g;
		maxdiff = fmax(maxdiff, fabs(d[i] - g));
	}
	double		cosine = dot / sqrt(na * nb);

	printf("descriptor vs face-api: cosine %.7f, max |diff| %.2e, norm %.4f (face-api %.4f)\n",
		   cosine, maxdiff, sqrt(na), sqrt(nb));
	CHECK(cosine >= 0.9999, "cosine similarity %.7f < 0.9999", cosine);

	/* a second pass over the same input gives the same bits */
	CHECK(fc_recognizer_forward(r, px, d2, &err) == FC_OK, "second forward: %s", err.message);
	CHECK(memcmp(d, d2, sizeof(d)) == 0, "second pass differs from the first");

	/* cancellation: the hook is polled between blocks */
	interrupt_after = 3;
	CHECK(fc_recognizer_forward(r, px, d2, &err) == FC_ERR_CANCELLED, "interrupt not honoured");
	interrupt_after = -1;
	CHECK(fc_recognizer_forward(r, px, d2, &err) == FC_OK && memcmp(d, d2, sizeof(d)) == 0,
		  "pass after a cancelled one differs");
	printf("%.3f GFLOP per face\n", fc_recognizer_flops(r) / 1e9);
	fc_recognizer_free(r);

	/* the landmark net's weights are not a recognizer */
	if (fc_weights_open(model_path("landmarks68.fwt"), &other, &err) == FC_OK)
	{
		CHECK(fc_recognizer_init(other, NULL, &r, &err) == FC_ERR_MODEL,
			  "landmark weights accepted as recognizer");
		printf("wrong weights: %s\n", err.message);
		fc_weights_close(other);
	}

	/* every allocation failure is FC_ERR_NOMEM and leaks nothing; all freed on success */
	failures += alloc_check_init_paths(recognizer_init_with, recognizer_free_any, w);
	fc_weights_close(w);
	free(px);

	if (failures)
	{
		printf("%d failures\n", failures);
		return 1;
	}
	printf("recognizer matches face-api\n");
	return 0;
}
