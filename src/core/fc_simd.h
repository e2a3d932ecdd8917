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

#if defined(__x86_64__) && defined(__GNUC__) && defined(__has_attribute) && \
	defined(__linux__)
#if __has_attribute(target_clones)
#define FC_MULTIVERSION __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#endif
#endif

#ifndef FC_MULTIVERSION
#define FC_MULTIVERSION
#endif

#endif							/* FC_SIMD_H */
