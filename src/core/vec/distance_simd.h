/*-------------------------------------------------------------------------
 *
 * distance_simd.h
 *	  Private to the distance kernels: the SIMD kernel tables that
 *	  distance.c dispatches to.
 *
 * The SIMD files are compiled only for x86-64 with GCC or Clang, which
 * support per-function target attributes and __builtin_cpu_supports.
 *
 *-------------------------------------------------------------------------
 */
#ifndef FACE_DISTANCE_SIMD_H
#define FACE_DISTANCE_SIMD_H

#include "distance.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define FACE_HAVE_X86_SIMD 1

/* distance_avx2.c: 256-bit kernels; need AVX2 and FMA */
extern const FaceDistanceKernels face_avx2_kernels;
/* distance_avx512.c: 512-bit kernels; need AVX-512F (plus AVX2, FMA) */
extern const FaceDistanceKernels face_avx512_kernels;
#endif

#endif							/* FACE_DISTANCE_SIMD_H */
