/*-------------------------------------------------------------------------
 *
 * png_write.h
 *	  Encode an RGB fc_image as PNG with libpng, into memory.  Plain C, no
 *	  PostgreSQL headers.
 *
 *-------------------------------------------------------------------------
 */
#ifndef FC_PNG_WRITE_H
#define FC_PNG_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "core/fc_common.h"
#include "image.h"

/*
 * The PNG of img (8-bit RGB, no interlace, default compression) in
 * *out[0..*len), allocated from allocator (the caller frees it).  Errors:
 * FC_ERR_INVALID_ARGUMENT for an empty image, FC_ERR_NOMEM, FC_ERR_INTERNAL
 * for a libpng failure.  Nothing is left allocated on failure.
 */
extern fc_status fc_png_write(const fc_image *img, const fc_allocator *allocator,
							  uint8_t **out, size_t *len, fc_error *err);

#endif							/* FC_PNG_WRITE_H */
