/*-------------------------------------------------------------------------
 *
 * distance_avx512.c
 *	  AVX-512F distance kernels (16 floats per register).
 *
 * Same shape as distance_avx2.c: two accumulators, then one masked load
 * for the last n % 16 elements (AVX-512 masks make the tail free).  A
 * 128-D vector is eight registers.  Only called after distance.c checked
 * the CPU; see distance.h for contracts.
 *
 *-------------------------------------------------------------------------
 */
#include "distance_simd.h"

#ifdef FACE_HAVE_X86_SIMD
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f,avx2,fma")))

/* lanes [0, r) set, r in 0..15 */
#define TAIL_MASK(r)	((__mmask16) ((1u << (r)) - 1))

AVX512 static float
l2_squared_avx512(const float *a, const float *b, int n)
{
	__m512		s0 = _mm512_setzero_ps(),
				s1 = _mm512_setzero_ps();
	int			i = 0;

	for (; i + 32 <= n; i += 32)
	{
		__m512		d0 = _mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
		__m512		d1 = _mm512_sub_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16));

		s0 = _mm512_fmadd_ps(d0, d0, s0);
		s1 = _mm512_fmadd_ps(d1, d1, s1);
	}
	for (; i + 16 <= n; i += 16)
	{
		__m512		d = _mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));

		s0 = _mm512_fmadd_ps(d, d, s0);
	}
	if (i < n)
	{
		__mmask16	m = TAIL_MASK(n - i);
		__m512		d = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i));

		s1 = _mm512_fmadd_ps(d, d, s1);
	}
	return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}

AVX512 static float
inner_product_avx512(const float *a, const float *b, int n)
{
	__m512		s0 = _mm512_setzero_ps(),
				s1 = _mm512_setzero_ps();
	int			i = 0;

	for (; i + 32 <= n; i += 32)
	{
		s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
		s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), s1);
	}
	for (; i + 16 <= n; i += 16)
		s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
	if (i < n)
	{
		__mmask16	m = TAIL_MASK(n - i);

		s1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i), s1);
	}
	return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}

AVX512 static float
l1_distance_avx512(const float *a, const float *b, int n)
{
	__m512		s0 = _mm512_setzero_ps(),
				s1 = _mm512_setzero_ps();
	int			i = 0;

	for (; i + 32 <= n; i += 32)
	{
		__m512		d0 = _mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
		__m512		d1 = _mm512_sub_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16));

		s0 = _mm512_add_ps(s0, _mm512_abs_ps(d0));
		s1 = _mm512_add_ps(s1, _mm512_abs_ps(d1));
	}
	for (; i + 16 <= n; i += 16)
	{
		__m512		d = _mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));

		s0 = _mm512_add_ps(s0, _mm512_abs_ps(d));
	}
	if (i < n)
	{
		__mmask16	m = TAIL_MASK(n - i);
		__m512		d = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i));

		s1 = _mm512_add_ps(s1, _mm512_abs_ps(d));
	}
	return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}

AVX512 static void
cosine_parts_avx512(const float *a, const float *b, int n,
					float *ab, float *aa, float *bb)
{
	__m512		sab = _mm512_setzero_ps(),
				saa = _mm512_setzero_ps(),
				sbb = _mm512_setzero_ps();
	int			i = 0;

	for (; i + 16 <= n; i += 16)
	{
		__m512		va = _mm512_loadu_ps(a + i);
		__m512		vb = _mm512_loadu_ps(b + i);

		sab = _mm512_fmadd_ps(va, vb, sab);
		saa = _mm512_fmadd_ps(va, va, saa);
		sbb = _mm512_fmadd_ps(vb, vb, sbb);
	}
	if (i < n)
	{
		__mmask16	m = TAIL_MASK(n - i);
		__m512		va = _mm512_maskz_loadu_ps(m, a + i);
		__m512		vb = _mm512_maskz_loadu_ps(m, b + i);

		sab = _mm512_fmadd_ps(va, vb, sab);
		saa = _mm512_fmadd_ps(va, va, saa);
		sbb = _mm512_fmadd_ps(vb, vb, sbb);
	}
	*ab = _mm512_reduce_add_ps(sab);
	*aa = _mm512_reduce_add_ps(saa);
	*bb = _mm512_reduce_add_ps(sbb);
}

const FaceDistanceKernels face_avx512_kernels = {
	"avx512",
	l2_squared_avx512,
	inner_product_avx512,
	l1_distance_avx512,
	cosine_parts_avx512,
};

#endif							/* FACE_HAVE_X86_SIMD */
