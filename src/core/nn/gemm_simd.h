/*-------------------------------------------------------------------------
 *
 * gemm_simd.h
 *	  Private to the gemm kernels: the SIMD kernel sets gemm.c chooses from.
 *
 * Compiled only for x86-64 with GCC or Clang (per-function target
 * attributes and <cpuid.h>); elsewhere only the portable set exists.
 *
 *-------------------------------------------------------------------------
 */
#ifndef FC_GEMM_SIMD_H
#define FC_GEMM_SIMD_H

#include "gemm.h"

/* gemm.c: the portable kernel, multiversioned (call it; fc_gemm_portable wraps it) */
void		fc_gemm_q8_portable(const fc_q8_rows *rows, const fc_q8_weights *w,
								const float *bias, fc_activation act, float slope,
								float *c, size_t ldc);

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define FC_HAVE_GEMM_VNNI 1

/* gemm_vnni.c: needs AVX512F, AVX512BW and AVX512_VNNI */
extern const fc_gemm_kernels fc_gemm_vnni_kernels;
#endif

#endif							/* FC_GEMM_SIMD_H */
