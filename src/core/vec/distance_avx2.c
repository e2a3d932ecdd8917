/*-------------------------------------------------------------------------
 *
 * distance_avx2.c
 *	  AVX2+FMA distance kernels (8 floats per register).
 *
 * Two accumulators per sum hide the FMA latency on the 128-D vectors that
 * dominate; the last n % 8 elements are loaded with a mask rather than
 * finished in scalar code, so every length takes the same path.  Only
 * called after distance.c checked the CPU; see distance.h for contracts.
 *
 *-------------------------------------------------------------------------
 */
#include "distance_simd.h"

#ifdef FACE_HAVE_X86_SIMD
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2,fma")))

/* lanes [0, r) set, r in 0..7: the mask for a partial load */
AVX2 static inline __m256i
tail_mask(int r)
{
	const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);

	return _mm256_cmpgt_epi32(_mm256_set1_epi32(r), lanes);
}

AVX2 static inline float
hsum(__m256 v)
{
	__m128		s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));

	s = _mm_add_ps(s, _mm_movehl_ps(s, s));
	s = _mm_add_ss(s, _mm_movehdup_ps(s));
	return _mm_cvtss_f32(s);
}

AVX2 static float
l2_squared_avx2(const float *a, const float *b, int n)
{
	__m256		s0 = _mm256_setzero_ps(),
				s1 = _mm256_setzero_ps();
	int			i = 0;

	for (; i + 16 <= n; i += 16)
	{
		__m256		d0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
		__m256		d1 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8));

		s0 = _mm256_fmadd_ps(d0, d0, s0);
		s1 = _mm256_fmadd_ps(d1, d1, s1);
	}
	for (; i + 8 <= n; i += 8)
	{
		__m256		d = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));

		s0 = _mm256_fmadd_ps(d, d, s0);
	}
	if (i < n)
	{
		__m256i		m = tail_mask(n - i);
		__m256		d = _mm256_sub_ps(_mm256_maskload_ps(a + i, m), _mm256_maskload_ps(b + i, m));

		s1 = _mm256_fmadd_ps(d, d, s1);
	}
	return hsum(_mm256_add_ps(s0, s1));
}

AVX2 static float
inner_product_avx2(const float *a, const float *b, int n)
{
	__m256		s0 = _mm256_setzero_ps(),
				s1 = _mm256_setzero_ps();
	int			i = 0;

	for (; i + 16 <= n; i += 16)
	{
		s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
		s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
	}
	for (; i + 8 <= n; i += 8)
		s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
	if (i < n)
	{
		__m256i		m = tail_mask(n - i);

		s1 = _mm256_fmadd_ps(_mm256_maskload_ps(a + i, m), _mm256_maskload_ps(b + i, m), s1);
	}
	return hsum(_mm256_add_ps(s0, s1));
}

AVX2 static float
l1_distance_avx2(const float *a, const float *b, int n)
{
	/* |x| clears the sign bit */
	const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
	__m256		s0 = _mm256_setzero_ps(),
				s1 = _mm256_setzero_ps();
	int			i = 0;

	for (; i + 16 <= n; i += 16)
	{
		__m256		d0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
		__m256		d1 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8));

		s0 = _mm256_add_ps(s0, _mm256_and_ps(d0, abs_mask));
		s1 = _mm256_add_ps(s1, _mm256_and_ps(d1, abs_mask));
	}
	for (; i + 8 <= n; i += 8)
	{
		__m256		d = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));

		s0 = _mm256_add_ps(s0, _mm256_and_ps(d, abs_mask));
	}
	if (i < n)
	{
		__m256i		m = tail_mask(n - i);
		__m256		d = _mm256_sub_ps(_mm256_maskload_ps(a + i, m), _mm256_maskload_ps(b + i, m));

		s1 = _mm256_add_ps(s1, _mm256_and_ps(d, abs_mask));
	}
	return hsum(_mm256_add_ps(s0, s1));
}

AVX2 static void
cosine_parts_avx2(const float *a, const float *b, int n,
				  float *ab, float *aa, float *bb)
{
	__m256		sab = _mm256_setzero_ps(),
				saa = _mm256_setzero_ps(),
				sbb = _mm256_setzero_ps();
	int			i = 0;

	for (; i + 8 <= n; i += 8)
	{
		__m256		va = _mm256_loadu_ps(a + i);
		__m256		vb = _mm256_loadu_ps(b + i);

		sab = _mm256_fmadd_ps(va, vb, sab);
		saa = _mm256_fmadd_ps(va, va, saa);
		sbb = _mm256_fmadd_ps(vb, vb, sbb);
	}
	if (i < n)
	{
		__m256i		m = tail_mask(n - i);
		__m256		va = _mm256_maskload_ps(a + i, m);
		__m256		vb = _mm256_maskload_ps(b + i, m);

		sab = _mm256_fmadd_ps(va, vb, sab);
		saa = _mm256_fmadd_ps(va, va, saa);
		sbb = _mm256_fmadd_ps(vb, vb, sbb);
	}
	*ab = hsum(sab);
	*aa = hsum(saa);
	*bb = hsum(sbb);
}

const FaceDistanceKernels face_avx2_kernels = {
	"avx2",
	l2_squared_avx2,
	inner_product_avx2,
	l1_distance_avx2,
	cosine_parts_avx2,
};

#endif							/* FACE_HAVE_X86_SIMD */
