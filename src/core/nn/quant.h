/*-------------------------------------------------------------------------
 *
 * quant.h
 *	  int8 quantisation for face.precision = 'fast': weights once at model
 *	  load, activations per call (the arithmetic is in gemm.h), and the
 *	  precision switch the convolutions read.
 *
 *-------------------------------------------------------------------------
 */
#ifndef FC_QUANT_H
#define FC_QUANT_H

#include "core/fc_common.h"
#include "gemm.h"
#include "layers.h"

typedef enum fc_precision
{
	FC_PRECISION_EXACT,			/* fp32 sgemm everywhere: today's bits */
	FC_PRECISION_FAST			/* int8 kernels where a layer has them */
} fc_precision;

/*
 * face.precision's default.  'fast' may become the default only once it
 * meets the fidelity bounds against 'exact' (IoU >= 0.97, scores
 * within 0.03, landmarks within 1.5 px, descriptors within 0.05, median
 * 0.02); test_gemm_fidelity.c measures them and fails if this says 'fast'
 * while they are not met.  Today the int8 detector moves boxes by up to
 * 3%, and the landmark net turns that into moves of several pixels.
 */
#define FC_PRECISION_DEFAULT	FC_PRECISION_EXACT

/*
 * What fc_conv2d_forward does with layers that carry int8 weights; set by
 * the face.precision GUC (src/embed/precision.c), by tests and benchmarks.
 * One per process, like OpenBLAS's own settings: a backend runs one call
 * at a time.
 */
extern fc_precision fc_nn_precision;

/* Longest k the int8 path takes (conv.c's stack band holds 8 rows of it). */
#define FC_Q8_MAX_K		4096

/* Bytes fc_q8_pack needs for a k x n matrix (k <= FC_Q8_MAX_K). */
size_t		fc_q8_bytes(int k, int n);

/*
 * Quantise the row-major [k][n] float matrix w into mem (fc_q8_bytes(k, n)
 * bytes, 64-byte aligned) and describe it in *out (pointers into mem).
 */
void		fc_q8_pack(const float *w, int k, int n, void *mem, fc_q8_weights *out);

/*
 * Quantise m rows of k floats (row stride ldx) into a (row stride kp,
 * bytes [k, kp) zeroed), scale[m] and zero[m]; see gemm.h.
 */
void		fc_q8_quantise_rows(const float *x, size_t ldx, int m, int k,
								uint8_t *a, int kp, float *scale, int32_t *zero);

/*
 * Give every 1x1 stride-1 convolution among convs[0..n) (NULL entries and
 * other shapes are skipped) int8 weights, all in one allocation through
 * alloc returned in *block (NULL if none qualified; free it with
 * alloc->free after the convolutions).  FC_ERR_NOMEM on failure, with the
 * convolutions untouched.
 */
fc_status	fc_q8_attach(fc_conv2d *const *convs, int n, const fc_allocator *alloc,
						 void **block, fc_error *err);

#endif							/* FC_QUANT_H */
