/*
 * fuzz_pipeline.c: libFuzzer target on the core's untrusted-input entry point,
 * fc_pipeline_faces() (decode -> detect -> landmarks -> align -> recognise), and
 * on fc_pipeline_crop().  Any input must come back as FC_OK or an error status:
 * no crash, no sanitizer report, no leak (every per-call allocation goes through
 * a counting allocator that must be back to zero after each call).
 *
 * Build and run: bash test/fuzz/run.sh [seconds]   (clang, ASan + UBSan)
 * Models: $FACE_MODEL_DIR (default ./models, from "make models").
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/face/pipeline.h"

static fc_models *models;
static long live;

static void *
count_alloc(void *ctx, size_t size)
{
	void	   *p = malloc(size);

	live += (p != NULL);
	return p;
}

static void
count_free(void *ctx, void *p)
{
	live -= (p != NULL);
	free(p);
}

static const fc_allocator counting = {count_alloc, count_free, NULL};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fc_hooks	hooks = {&counting, NULL, NULL};
	fc_pipeline_options o;
	fc_face    *faces = NULL;
	fc_face		crop;
	fc_error	err;
	int			n = 0;

	if (models == NULL)
	{
		const char *dir = getenv("FACE_MODEL_DIR") ? getenv("FACE_MODEL_DIR") : "models";

		if (fc_models_open(dir, NULL, &models, &err) != FC_OK)
		{
			fprintf(stderr, "%s\n", err.message);
			abort();
		}
	}
	fc_pipeline_defaults(&o);
	o.max_pixels = 4000000;		/* keep each run short; the limit path is exercised too */
	if (fc_pipeline_faces(models, data, size, &o, &hooks, &faces, &n, NULL, &err) == FC_OK)
		counting.free(NULL, faces);
	else if (err.message[0] == '\0')
		abort();				/* every failure must say why */
	if ((size & 7) == 0)		/* the crop path on a share of the inputs */
		(void) fc_pipeline_crop(models, data, size, &o, &hooks, &crop, NULL, &err);
	if (live != 0)
	{
		fprintf(stderr, "leak: %ld blocks\n", live);
		abort();
	}
	return 0;
}
