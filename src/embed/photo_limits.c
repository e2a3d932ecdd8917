/*-------------------------------------------------------------------------
 *
 * photo_limits.c
 *	  The per-photo resource limits: how large a photo embed() decodes
 *	  (face.max_pixels) and how much memory one decode may hold
 *	  (face.max_decode_memory).
 *
 * Photos are what untrusted users send, so these limits protect the server,
 * not the session: both are PGC_SUSET.  A DBA sets them in
 * postgresql.conf or per role/database (ALTER ROLE ... SET, as superuser),
 * and an ordinary user cannot raise them with SET.
 *
 * Worst-case memory of one call (README.md, "Limits"): the decode holds at
 * most face.max_decode_memory (the core charges libpng's allocations, the
 * pixels, the upright copy and libjpeg's pools, computed from the header,
 * to one budget); the networks add their fixed run state and inputs
 * (about 30 MB, independent of the photo).  The decoded image stays while
 * the networks run, and is inside that budget.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/guc.h"

#include "core/image/image.h"
#include "photo_limits.h"

static int	face_max_pixels = FC_MAX_PIXELS_DEFAULT;
static int	face_max_decode_memory_kb = (int) (FC_MAX_DECODE_MEMORY_DEFAULT / 1024);

void
FaceLimitsApply(fc_pipeline_options *opts)
{
	opts->max_pixels = face_max_pixels;
	opts->max_decode_memory = (int64_t) face_max_decode_memory_kb * 1024;
}

const char *
FaceLimitShow(const char *name)
{
	const char *v = GetConfigOptionByName(name, NULL, true);

	return v ? v : "?";
}

void
FaceLimitsDefine(void)
{
	DefineCustomIntVariable("face.max_pixels",
							"Largest image (width times height, from its header) embed() decodes.",
							"Larger images are refused before any pixel memory is allocated.  Only a superuser can change it.",
							&face_max_pixels,
							FC_MAX_PIXELS_DEFAULT, FC_MAX_PIXELS_MIN, FC_MAX_PIXELS_MAX,
							PGC_SUSET, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("face.max_decode_memory",
							"Most memory one photo's decoding may hold.",
							"Counts the decoder library's buffers (a progressive JPEG's coefficients), the pixels and the upright copy; larger photos are refused from their header.  Only a superuser can change it.",
							&face_max_decode_memory_kb,
							(int) (FC_MAX_DECODE_MEMORY_DEFAULT / 1024),
							(int) (FC_MAX_DECODE_MEMORY_MIN / 1024),
							(int) (FC_MAX_DECODE_MEMORY_MAX / 1024),
							PGC_SUSET, GUC_UNIT_KB,
							NULL, NULL, NULL);
}
