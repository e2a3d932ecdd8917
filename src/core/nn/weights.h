/*-------------------------------------------------------------------------
 *
 * weights.h
 *	  The project's weights file (.fwt): one network per file, written by
 *	  models/convert from the tfjs manifests, memory-mapped read-only once per
 *	  process so that backends share its pages.
 *
 * Conventions the converter guarantees (the networks rely on them):
 *	- All tensors are float32, dequantized (q*scale + min).
 *	- Layouts are TensorFlow's: conv filters HWIO [kh][kw][cin][cout],
 *	  depthwise filters [kh][kw][c] (tfjs's trailing multiplier 1 dropped),
 *	  fully connected [in][out].  Activations in the networks are NHWC.
 *	- Names are the tfjs manifest names.  Per-channel affine layers that
 *	  follow a convolution (the ResNet's "scale", batch norm) are folded into
 *	  that convolution's filters and bias and do not appear in the file;
 *	  every convolution has a ".../bias" tensor after conversion even if
 *	  tfjs had none.
 *	- int32 constants of the tfjs graph (SSD) are not weights and are skipped.
 *
 *-------------------------------------------------------------------------
 */
#ifndef FC_WEIGHTS_H
#define FC_WEIGHTS_H

#include "core/fc_common.h"

typedef struct fc_weights fc_weights;

/* Most dimensions a stored tensor has (conv filters are 4-D). */
#define FC_WEIGHTS_MAX_DIMS 4

/*
 * Map and validate (magic, version, table bounds, checksum) the file at path.
 * On success *out owns the mapping until fc_weights_close().  Uses malloc for
 * its small tensor table: weights live for the process lifetime, outside any
 * memory context.
 *
 * Every defect -- missing, truncated, trailing bytes, foreign magic, other
 * format version, a table entry out of bounds or misaligned, a checksum
 * mismatch -- is FC_ERR_MODEL with a one-line message naming the file and
 * the defect (FC_ERR_NOMEM if malloc fails); nothing outside the mapping is
 * ever read.  Cost: one pass over the file for the checksum, about 20 ms of
 * CPU for each 22 MB network on this project's VM (mostly first touch of the
 * mapped pages; hashing the same bytes in anonymous memory takes 4 ms).  A
 * process that opens the files before forking (postmaster, via
 * shared_preload_libraries) passes the validated mappings to its children
 * for free.  Layout: weights_format.h; the files and their tensors:
 * models/README.md.
 */
fc_status	fc_weights_open(const char *path, fc_weights **out, fc_error *err);
void		fc_weights_close(fc_weights *w);

/*
 * The tensor called name, checked against the expected shape (ndim dims in
 * shape[]); NULL with err filled (FC_ERR_MODEL) if absent or of another shape.
 */
const float *fc_weights_get(const fc_weights *w, const char *name,
							int ndim, const int *shape, fc_error *err);

/* Number of tensors, and the i-th tensor's name (for listing and tests). */
int			fc_weights_count(const fc_weights *w);
const char *fc_weights_name(const fc_weights *w, int i);

/* The i-th tensor's number of dimensions; its dims are copied to shape[]. */
int			fc_weights_shape(const fc_weights *w, int i,
							 int shape[FC_WEIGHTS_MAX_DIMS]);

#endif							/* FC_WEIGHTS_H */
