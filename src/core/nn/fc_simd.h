/*-------------------------------------------------------------------------
 *
 * fc_simd.h
 *	  Compiler settings for the core's hot loops; include it first in the
 *	  kernel files (conv.c, layers.c) and nowhere else.
 *
 * The kernels are plain C loops written so that the compiler vectorises
 * them (channels innermost, restrict pointers, no calls).  Two things stop
 * that from happening by default, and this header fixes both:
 *	- gcc's -O2 (what PGXS builds with) uses the "very cheap" vectoriser cost
 *	  model, which gives up on any loop whose trip count is not a known
 *	  multiple of the vector width, i.e. on all of ours.
 *	- A portable x86-64 build only has SSE2.  FC_MULTIVERSION compiles a
 *	  function a second and third time for x86-64-v3 (AVX2 + FMA) and v4
 *	  (AVX-512) and picks the best at load time (an ifunc), so the same
 *	  binary runs everywhere and uses what the CPU has.  No -march=native.
 *
 *-------------------------------------------------------------------------
 */
#ifndef FC_SIMD_H
#define FC_SIMD_H

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize ("tree-vectorize", "vect-cost-model=dynamic")
#endif

/* -DFC_NO_MULTIVERSION builds the portable code only (for valgrind, and to test it). */
#if defined(__x86_64__) && defined(__GNUC__) && defined(__has_attribute) && \
	defined(__linux__) && !defined(FC_NO_MULTIVERSION)
#if __has_attribute(target_clones)
#define FC_MULTIVERSION __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#endif
#endif

#ifndef FC_MULTIVERSION
#define FC_MULTIVERSION
#endif

/*
 * For helpers of an FC_MULTIVERSION function: inlined, they are compiled
 * once per clone with its instruction set; called, they would run the
 * portable version.
 */
#if defined(__GNUC__)
#define FC_CLONE_INLINE static inline __attribute__((always_inline))
#else
#define FC_CLONE_INLINE static inline
#endif

#endif							/* FC_SIMD_H */
