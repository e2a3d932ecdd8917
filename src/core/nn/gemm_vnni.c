/*-------------------------------------------------------------------------
 *
 * gemm_vnni.c
 *	  The AVX512_VNNI int8 kernel (see gemm.h for the arithmetic).
 *
 * Register tile: 8 rows of A by one 32-column panel of B, 16 zmm int32
 * accumulators.  Each k step of 4 loads the panel's 128 bytes (two zmm,
 * 4 k values of 16 columns each) and, per row, broadcasts the row's 4
 * bytes and issues two vpdpbusd.  A band's rows stay in L1/L2 while every
 * panel passes over them (conv.c sizes the bands).  Ragged edges: rows
 * past m read row 0 of the tile and are not stored; columns past n are
 * zero in the packed panel and masked off at the store.  The epilogue
 * does fc_q8_dequant's operations in the same order (int32 correction,
 * one fused multiply-add) and the activation is activation.h's, applied
 * to the stored row while it is in L1, so it gives the portable kernel's
 * bits.  Only called after gemm.c checked the CPU.
 *
 *-------------------------------------------------------------------------
 */
#include "fc_simd.h"

#include "activation.h"
#include "gemm_simd.h"

#ifdef FC_HAVE_GEMM_VNNI
#include <immintrin.h>
#include <string.h>

#define VNNI __attribute__((target("avx512f,avx512bw,avx512vnni,fma")))

#define MR 8

/* fc_q8_dequant on 16 lanes: the int32 correction, then one fused multiply-add */
VNNI static inline __m512
dequant(__m512i acc, __m512i zero_colsum, __m512 scale, __m512 bias)
{
	return _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(acc, zero_colsum)), scale, bias);
}

VNNI static void
q8_vnni(const fc_q8_rows *rows, const fc_q8_weights *w, const float *bias,
		fc_activation act, float slope, float *c, size_t ldc)
{
	const int	kq = w->kp / FC_Q8_KGROUP;
	for (int p = 0; p < w->npanels; p++)
	{
		const int8_t *bp = w->packed + (size_t) p * kq * FC_Q8_PANEL * FC_Q8_KGROUP;
		int			j0 = p * FC_Q8_PANEL;
		int			nj = w->n - j0 < FC_Q8_PANEL ? w->n - j0 : FC_Q8_PANEL;
		__mmask16	m0 = nj >= 16 ? 0xFFFF : (__mmask16) ((1u << nj) - 1);
		__mmask16	m1 = nj >= 32 ? 0xFFFF : nj > 16 ? (__mmask16) ((1u << (nj - 16)) - 1) : 0;
		__m512i		cs0 = _mm512_loadu_si512(w->colsum + j0);
		__m512i		cs1 = _mm512_loadu_si512(w->colsum + j0 + 16);
		__m512		sw0 = _mm512_loadu_ps(w->scale + j0);
		__m512		sw1 = _mm512_loadu_ps(w->scale + j0 + 16);
		__m512		b0 = bias ? _mm512_maskz_loadu_ps(m0, bias + j0) : _mm512_setzero_ps();
		__m512		b1 = bias ? _mm512_maskz_loadu_ps(m1, bias + j0 + 16) : _mm512_setzero_ps();

		for (int i0 = 0; i0 < rows->m; i0 += MR)
		{
			int			mr = rows->m - i0 < MR ? rows->m - i0 : MR;
			const uint8_t *ar[MR];
			__m512i		acc[2 * MR];

			for (int r = 0; r < MR; r++)
			{
				ar[r] = rows->a + (size_t) (i0 + (r < mr ? r : 0)) * rows->kp;
				acc[2 * r] = _mm512_setzero_si512();
				acc[2 * r + 1] = _mm512_setzero_si512();
			}
			for (int kk = 0; kk < kq; kk++)
			{
				const int8_t *bk = bp + (size_t) kk * FC_Q8_PANEL * FC_Q8_KGROUP;
				__m512i		v0 = _mm512_loadu_si512(bk);
				__m512i		v1 = _mm512_loadu_si512(bk + 64);

				for (int r = 0; r < MR; r++)
				{
					int32_t		a4;
					__m512i		av;

					memcpy(&a4, ar[r] + (size_t) kk * FC_Q8_KGROUP, sizeof(a4));
					av = _mm512_set1_epi32(a4);
					acc[2 * r] = _mm512_dpbusd_epi32(acc[2 * r], av, v0);
					acc[2 * r + 1] = _mm512_dpbusd_epi32(acc[2 * r + 1], av, v1);
				}
			}
			for (int r = 0; r < mr; r++)
			{
				int			i = i0 + r;
				__m512i		z = _mm512_set1_epi32(rows->zero[i]);
				__m512		sa = _mm512_set1_ps(rows->scale[i]);
				float	   *ci = c + (size_t) i * ldc + j0;

				_mm512_mask_storeu_ps(ci, m0,
									  dequant(acc[2 * r], _mm512_mullo_epi32(z, cs0),
											  _mm512_mul_ps(sa, sw0), b0));
				if (m1)
					_mm512_mask_storeu_ps(ci + 16, m1,
										  dequant(acc[2 * r + 1], _mm512_mullo_epi32(z, cs1),
												  _mm512_mul_ps(sa, sw1), b1));
				fc_activate_inline(ci, nj, act, slope);
			}
		}
	}
}

const fc_gemm_kernels fc_gemm_vnni_kernels = {"avx512_vnni", q8_vnni};

#endif							/* FC_HAVE_GEMM_VNNI */
