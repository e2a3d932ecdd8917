/* variants.h: face-cli --variants (see variants.c) */
#ifndef FC_CLI_VARIANTS_H
#define FC_CLI_VARIANTS_H

#include <stddef.h>
#include <stdint.h>

#include "core/face/pipeline.h"

/*
 * Write outdir/<name>_{q50,shift,rot}.jpg and _half.png for photo path (its
 * bytes in data), and with models (may be NULL) the face crops _face<i>.png.
 */
int			cli_write_variants(fc_models *models, const char *outdir, const char *path,
							   const uint8_t *data, size_t len);

#endif
