/*-------------------------------------------------------------------------
 *
 * gemm.c
 *	  The portable int8 kernel and the run-time choice of kernel set (see
 *	  gemm.h for the arithmetic; the AVX512_VNNI set is gemm_vnni.c).
 *
 * The CPU is asked directly (CPUID leaf 7 for AVX512F/BW/VNNI, XGETBV for
 * the OS saving the opmask and 512-bit registers), once; nothing here
 * reads OPENBLAS_CORETYPE or depends on OpenBLAS.
 *
 *-------------------------------------------------------------------------
 */
#include "fc_simd.h"

#include <string.h>

#include "activation.h"
#include "gemm.h"
#include "gemm_simd.h"

/*
 * One row of A times one panel of B into acc[32]: the reference the SIMD
 * kernels must match exactly.  Compiled per ISA (FC_MULTIVERSION) so that
 * it is not hopelessly slow where no VNNI kernel exists.
 */
FC_CLONE_INLINE void
row_panel(const uint8_t *restrict a, const int8_t *restrict b, int kq,
		  int32_t *restrict acc)
{
	for (int j = 0; j < FC_Q8_PANEL; j++)
		acc[j] = 0;
	for (int kk = 0; kk < kq; kk++)
	{
		const int8_t *restrict bk = b + (size_t) kk * FC_Q8_PANEL * FC_Q8_KGROUP;
		const uint8_t *restrict ak = a + (size_t) kk * FC_Q8_KGROUP;

		for (int j = 0; j < FC_Q8_PANEL; j++)
			acc[j] += ak[0] * bk[j * 4] + ak[1] * bk[j * 4 + 1] +
				ak[2] * bk[j * 4 + 2] + ak[3] * bk[j * 4 + 3];
	}
}

FC_MULTIVERSION void
fc_gemm_q8_portable(const fc_q8_rows *rows, const fc_q8_weights *w, const float *bias,
			fc_activation act, float slope, float *c, size_t ldc)
{
	const int	kq = w->kp / FC_Q8_KGROUP;
	int32_t		acc[FC_Q8_PANEL];

	for (int i = 0; i < rows->m; i++)
	{
		const uint8_t *a = rows->a + (size_t) i * rows->kp;
		float	   *ci = c + (size_t) i * ldc;

		for (int p = 0; p < w->npanels; p++)
		{
			int			j0 = p * FC_Q8_PANEL;
			int			nj = w->n - j0 < FC_Q8_PANEL ? w->n - j0 : FC_Q8_PANEL;

			row_panel(a, w->packed + (size_t) p * kq * FC_Q8_PANEL * FC_Q8_KGROUP, kq, acc);
			for (int j = 0; j < nj; j++)
				ci[j0 + j] = fc_q8_dequant(acc[j], rows->zero[i], w->colsum[j0 + j],
										   rows->scale[i], w->scale[j0 + j],
										   bias ? bias[j0 + j] : 0.0f);
			fc_activate_inline(ci + j0, nj, act, slope);
		}
	}
}

/*
 * The table points at a plain wrapper: taking the address of a
 * multiversioned (ifunc) function in a static initializer crashes LLVM 14's
 * bitcode summary writer when PostgreSQL installs the JIT bitcode.
 */
static void
q8_portable(const fc_q8_rows *rows, const fc_q8_weights *w, const float *bias,
			fc_activation act, float slope, float *c, size_t ldc)
{
	fc_gemm_q8_portable(rows, w, bias, act, slope, c, ldc);
}

const fc_gemm_kernels fc_gemm_portable = {"portable", q8_portable};

#if defined(FC_HAVE_GEMM_VNNI)
#include <cpuid.h>

/* AVX512F + AVX512BW + AVX512_VNNI, and the OS saves opmask/ZMM state. */
static int
cpu_has_vnni(void)
{
	unsigned int eax,
				ebx,
				ecx,
				edx;
	unsigned int xcr0_lo,
				xcr0_hi;

	if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & (1u << 27)))
		return 0;				/* no OSXSAVE: XGETBV unavailable */
	__asm__ volatile ("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
	/* XMM (1), YMM (2), opmask (5), ZMM_Hi256 (6), Hi16_ZMM (7) */
	if ((xcr0_lo & 0xE6) != 0xE6)
		return 0;
	if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx))
		return 0;
	return (ebx & (1u << 16)) &&	/* AVX512F */
		(ebx & (1u << 30)) &&	/* AVX512BW */
		(ecx & (1u << 11));		/* AVX512_VNNI */
}

const fc_gemm_kernels *
fc_gemm_vnni(void)
{
	static int	known = -1;

	if (known < 0)
		known = cpu_has_vnni();
	return known ? &fc_gemm_vnni_kernels : NULL;
}
#else
const fc_gemm_kernels *
fc_gemm_vnni(void)
{
	return NULL;
}
#endif

const fc_gemm_kernels *
fc_gemm_best(void)
{
	const fc_gemm_kernels *k = fc_gemm_vnni();

	return k ? k : &fc_gemm_portable;
}
