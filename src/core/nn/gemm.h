/*-------------------------------------------------------------------------
 *
 * gemm.h
 *	  The project's own int8 matrix-product kernels, for face.precision =
 *	  'fast': C[m][n] = act(bias[n] + dequantised(A_u8[m][k] x B_s8[k][n])).
 *
 * Why our own: the fp32 sgemm of the installed OpenBLAS is what runs the
 * networks in 'exact' mode, and which kernels it uses depends on its build
 * and on OPENBLAS_CORETYPE (Debian's 0.3.21 runs AVX2 code on AVX-512
 * CPUs and has no int8 or bf16 product at all).  An AVX512_VNNI
 * instruction (vpdpbusd) does 64 unsigned-by-signed byte multiply-adds
 * into 16 int32 lanes, so the int8 product of a 1x1 convolution runs
 * several times faster than any fp32 one on the same core.
 *
 * Quantisation (quant.c):
 *	- weights B, per output column n: symmetric, q = round(w / sw[n]) in
 *	  [-127, 127], sw[n] = max |w[.][n]| / 127; done once at model load;
 *	- activations A, per row (one pixel's channels): asymmetric unsigned,
 *	  q = round(x / sa[m]) + za[m] in [0, 255] with 0 exactly representable;
 *	  done per call, dynamically, so no calibration set is needed.
 * so that
 *	C[m][n] = sa[m] * sw[n] * (sum_k qa[m][k] * qb[k][n] - za[m] * colsum[n])
 *
 * Exactness across CPUs: the int32 sums are exact (|4 * 255 * 127| per
 * vpdpbusd step, no saturation) and the epilogue is one fmaf() per output
 * (the same correctly rounded operation as vfmadd), so every kernel set
 * gives the same bits; the tests compare them with ==.  The activation
 * is activation.h's, applied to each stored tile row.
 *
 * Kernel sets are chosen at run time from CPUID and XGETBV (gemm.c),
 * never from OPENBLAS_CORETYPE nor from what OpenBLAS picked; the
 * portable one is plain C.
 *
 *-------------------------------------------------------------------------
 */
#ifndef FC_GEMM_H
#define FC_GEMM_H

#include <stddef.h>
#include <stdint.h>

#include "layers.h"

/* Columns per packed panel of B, and k values per 32-bit lane (vpdpbusd's). */
#define FC_Q8_PANEL		32
#define FC_Q8_KGROUP	4

/*
 * A [k][n] weight matrix, quantised and packed: panel p holds columns
 * [32p, 32p + 32) as [kp / 4][32][4] bytes (4 consecutive k of one column
 * per 32-bit lane); columns past n and rows past k are zero.
 */
typedef struct fc_q8_weights
{
	int			k;				/* rows of the float matrix */
	int			n;				/* columns */
	int			kp;				/* k rounded up to a multiple of 4 */
	int			npanels;		/* ceil(n / 32) */
	const int8_t *packed;		/* [npanels][kp / 4][32][4] */
	const int32_t *colsum;		/* [npanels * 32]: sum over k of the column's codes */
	const float *scale;			/* [npanels * 32]: sw, 0 past n */
} fc_q8_weights;

/*
 * A band of quantised activation rows: row i is a[i * kp .. i * kp + kp)
 * (bytes past k are 0), dequantised as scale[i] * (q - zero[i]).
 */
typedef struct fc_q8_rows
{
	int			m;
	int			kp;
	const uint8_t *a;
	const float *scale;
	const int32_t *zero;
} fc_q8_rows;

/*
 * c[i][j] (row stride ldc floats) = act(bias[j] + dequantised product) for
 * i < rows->m, j < w->n; bias may be NULL.  rows->kp must equal w->kp.
 */
typedef void (*fc_gemm_q8_fn) (const fc_q8_rows *rows, const fc_q8_weights *w,
							   const float *bias, fc_activation act, float slope,
							   float *c, size_t ldc);

typedef struct fc_gemm_kernels
{
	const char *name;			/* "avx512_vnni", "portable" */
	fc_gemm_q8_fn q8;
} fc_gemm_kernels;

/* The plain-C set; runs anywhere, gives the same bits as every other set. */
extern const fc_gemm_kernels fc_gemm_portable;

/* The AVX512_VNNI set if this CPU and OS support it, else NULL. */
const fc_gemm_kernels *fc_gemm_vnni(void);

/* The best set for this CPU (decided once, from CPUID/XGETBV). */
const fc_gemm_kernels *fc_gemm_best(void);

/*
 * The shared dequantisation: fmaf(acc - zero * colsum, sa * sw, bias), the
 * activation (activation.h) applied after it.  Inline so that the SIMD
 * kernels' tails and the portable kernel round alike.
 */
static inline float
fc_q8_dequant(int32_t acc, int32_t zero, int32_t colsum, float sa, float sw, float bias)
{
	return __builtin_fmaf((float) (acc - zero * colsum), sa * sw, bias);
}

#endif							/* FC_GEMM_H */
