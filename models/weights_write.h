/*-------------------------------------------------------------------------
 *
 * weights_write.h
 *	  Writing .fwt weights files: the one writer used by models/convert and
 *	  by the unit tests (which craft small and deliberately broken files).
 *
 *-------------------------------------------------------------------------
 */
#ifndef FC_WEIGHTS_WRITE_H
#define FC_WEIGHTS_WRITE_H

#include "core/fc_common.h"
#include "core/nn/weights.h"

/* One tensor to write: float32 data of prod(shape[0..ndim-1]) elements. */
typedef struct fc_wtensor
{
	const char *name;
	int			ndim;			/* 0..FC_WEIGHTS_MAX_DIMS; 0 is a scalar */
	int			shape[FC_WEIGHTS_MAX_DIMS];
	const float *data;
} fc_wtensor;

/*
 * Write the n tensors, in this order, as a .fwt file at path.  The file is
 * written under a temporary name in the same directory and renamed into
 * place, so readers never see a half-written file and a process that has
 * the old file mapped keeps its (intact) copy.  Names must be unique,
 * nonempty and at most 255 bytes.  FC_ERR_INVALID_ARGUMENT for bad tensors,
 * FC_ERR_INTERNAL for I/O errors, FC_ERR_NOMEM.
 */
fc_status	fc_weights_write(const char *path, const fc_wtensor *tensors, int n,
							 fc_error *err);

/*
 * The file image fc_weights_write() would write: *image (malloc'd, caller
 * frees) of *size bytes.  For tests that corrupt it before writing it out.
 */
fc_status	fc_weights_image(const fc_wtensor *tensors, int n,
							 unsigned char **image, size_t *size, fc_error *err);

#endif							/* FC_WEIGHTS_WRITE_H */
