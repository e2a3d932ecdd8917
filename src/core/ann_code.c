/*-------------------------------------------------------------------------
 *
 * ann_code.c
 *	  The faceann codes: seeded randomized Hadamard rotation, 1-bit codes
 *	  with the RaBitQ inner-product estimator over a 4-bit query, and fp16
 *	  conversion.  See ann.h for the formulas.
 *
 * Kernels with a faster form on x86-64 (popcount, F16C) are compiled with
 * target attributes and chosen once at run time by fc_ann_init(), so the
 * binary still runs on a CPU without them.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <string.h>

#include "ann.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define FC_ANN_X86 1
#endif

#define ROTATION_ROUNDS 3

int
fc_ann_padded_dim(int dim)
{
	int			p = 64;

	while (p < dim)
		p <<= 1;
	return p;
}

/* splitmix64: the sign of coordinate i in round r is a pure function of the seed. */
static inline uint64_t
mix64(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* In-place fast Walsh-Hadamard transform of u[0..n), n a power of two (unnormalised). */
static void
fwht(float *u, int n)
{
	for (int h = 1; h < n; h <<= 1)
		for (int i = 0; i < n; i += h << 1)
			for (int j = i; j < i + h; j++)
			{
				float		a = u[j];
				float		b = u[j + h];

				u[j] = a + b;
				u[j + h] = a - b;
			}
}

void
fc_ann_rotate(const float *x, int dim, int pdim, uint64_t seed, float *u)
{
	/* each round is D_r (random signs) then H / sqrt(pdim): orthogonal */
	float		scale = 1.0f / sqrtf((float) pdim);

	memcpy(u, x, sizeof(float) * dim);
	memset(u + dim, 0, sizeof(float) * (pdim - dim));
	for (int r = 0; r < ROTATION_ROUNDS; r++)
	{
		uint64_t	base = mix64(seed ^ ((uint64_t) (r + 1) << 40));

		for (int i = 0; i < pdim; i += 64)
		{
			uint64_t	signs = mix64(base + (uint64_t) i);

			for (int j = 0; j < 64; j++)
				if (signs >> j & 1)
					u[i + j] = -u[i + j];
		}
		fwht(u, pdim);
		for (int i = 0; i < pdim; i++)
			u[i] *= scale;
	}
}

void
fc_ann_encode(const float *u, int pdim, uint8_t *bits, float *nr2, float *k)
{
	double		n2 = 0,
				l1 = 0;

	memset(bits, 0, pdim / 8);
	for (int i = 0; i < pdim; i++)
	{
		if (u[i] > 0)
			bits[i >> 3] |= (uint8_t) (1u << (i & 7));
		n2 += (double) u[i] * u[i];
		l1 += fabs(u[i]);
	}
	*nr2 = (float) n2;
	*k = l1 > 0 ? (float) (n2 / l1) : 0.0f;
}

void
fc_ann_query_prepare(fc_ann_query *q, const float *v, int pdim)
{
	float		lo = v[0],
				hi = v[0];
	double		sum = 0,
				n2 = 0;

	for (int i = 0; i < pdim; i++)
	{
		lo = fminf(lo, v[i]);
		hi = fmaxf(hi, v[i]);
		sum += v[i];
		n2 += (double) v[i] * v[i];
	}
	q->pdim = pdim;
	q->nwords = pdim / 64;
	q->lo = lo;
	q->delta = hi > lo ? (hi - lo) / ((1 << FC_ANN_QBITS) - 1) : 0.0f;
	q->vsum = (float) sum;
	q->vnorm2 = (float) n2;
	memset(q->planes, 0, sizeof(q->planes));
	for (int i = 0; i < pdim; i++)
	{
		unsigned	qq = q->delta > 0 ? (unsigned) lrintf((v[i] - lo) / q->delta) : 0;

		if (qq > (1u << FC_ANN_QBITS) - 1)
			qq = (1u << FC_ANN_QBITS) - 1;
		for (int j = 0; j < FC_ANN_QBITS; j++)
			if (qq >> j & 1)
				q->planes[j][i >> 6] |= 1ULL << (i & 63);
	}
	for (int c = 0; c < pdim / 128; c++)
		for (int j = 0; j < FC_ANN_QBITS; j++)
		{
			q->packed[c][2 * j] = q->planes[j][2 * c];
			q->packed[c][2 * j + 1] = q->planes[j][2 * c + 1];
		}
}

/*
 * The estimator body, instantiated twice: portable and with the popcnt
 * instruction (the generic __builtin_popcountll is a table walk without it).
 */
#define ESTIMATE_BODY \
	uint64_t	w; \
	long		weighted = 0, \
				ones = 0; \
	float		sb; \
	for (int i = 0; i < q->nwords; i++) \
	{ \
		memcpy(&w, bits + 8 * i, 8); \
		ones += __builtin_popcountll(w); \
		for (int j = 0; j < FC_ANN_QBITS; j++) \
			weighted += (long) __builtin_popcountll(w & q->planes[j][i]) << j; \
	} \
	sb = q->lo * (float) ones + q->delta * (float) weighted; \
	return k * (2.0f * sb - q->vsum);

static float
estimate_ip_generic(const fc_ann_query *q, const uint8_t *bits, float k)
{
	ESTIMATE_BODY
}

#ifdef FC_ANN_X86
__attribute__((target("popcnt")))
static float
estimate_ip_popcnt(const fc_ann_query *q, const uint8_t *bits, float k)
{
	ESTIMATE_BODY
}
#endif

/* IEEE binary16 from float, round to nearest even (values beyond 65504 -> inf). */
static uint16_t
half_from_float(float f)
{
	uint32_t	x,
				ax,
				sign,
				h,
				rem;

	memcpy(&x, &f, 4);
	sign = (x >> 16) & 0x8000;
	ax = x & 0x7fffffff;
	if (ax >= 0x7f800000)
		return (uint16_t) (sign | 0x7c00 | (ax > 0x7f800000 ? 0x200 : 0));
	if (ax >= 0x477ff000)		/* rounds to >= 65520: infinity */
		return (uint16_t) (sign | 0x7c00);
	if (ax < 0x38800000)		/* below 2^-14: subnormal, in units of 2^-24 */
	{
		float		v;

		memcpy(&v, &ax, 4);
		return (uint16_t) (sign | (uint32_t) lrintf(v * 16777216.0f));
	}
	h = ((ax >> 23) - 127 + 15) << 10 | (ax & 0x7fffff) >> 13;
	rem = ax & 0x1fff;
	if (rem > 0x1000 || (rem == 0x1000 && (h & 1)))
		h++;					/* a carry into the exponent is still correct */
	return (uint16_t) (sign | h);
}

static float
half_to_float(uint16_t h)
{
	uint32_t	sign = (uint32_t) (h & 0x8000) << 16;
	uint32_t	exp = (h >> 10) & 0x1f;
	uint32_t	mant = h & 0x3ff;
	uint32_t	x;
	float		f;

	if (exp == 0)
	{
		f = (float) mant * (1.0f / 16777216.0f);
		return sign ? -f : f;
	}
	if (exp == 31)
		x = sign | 0x7f800000 | mant << 13;
	else
		x = sign | (exp - 15 + 127) << 23 | mant << 13;
	memcpy(&f, &x, 4);
	return f;
}

static void
estimate_ip_batch_generic(const fc_ann_query *q, const uint8_t *bits, const uint8_t *kptr,
						  int stride, int n, float *out)
{
	for (int i = 0; i < n; i++)
	{
		float		k;

		memcpy(&k, kptr + (size_t) i * stride, sizeof(float));
		out[i] = fc_ann_estimate_ip(q, bits + (size_t) i * stride, k);
	}
}

#ifdef FC_ANN_X86
/*
 * AVX-512 with VPOPCNTQ: per 128 dimensions the code is broadcast to the
 * four bit-planes (8 x 64 bits), ANDed, popcounted in one instruction and
 * accumulated; lane weights 1,1,2,2,4,4,8,8 are applied once at the end.
 */
__attribute__((target("avx512f,avx512vpopcntdq,popcnt")))
static void
estimate_ip_batch_avx512(const fc_ann_query *q, const uint8_t *bits, const uint8_t *kptr,
						 int stride, int n, float *out)
{
	const __m512i shifts = _mm512_set_epi64(3, 3, 2, 2, 1, 1, 0, 0);
	int			chunks = q->pdim / 128;

	if (q->pdim % 128 != 0)		/* 64 dimensions: half a chunk */
	{
		estimate_ip_batch_generic(q, bits, kptr, stride, n, out);
		return;
	}

	for (int i = 0; i < n; i++)
	{
		const uint8_t *b = bits + (size_t) i * stride;
		__m512i		acc = _mm512_setzero_si512();
		long		ones = 0;
		long		weighted;
		float		k,
					sb;

		for (int c = 0; c < chunks; c++)
		{
			__m128i		code = _mm_loadu_si128((const __m128i *) (b + 16 * c));
			__m512i		bc = _mm512_broadcast_i32x4(code);
			__m512i		pl = _mm512_loadu_si512((const void *) q->packed[c]);

			acc = _mm512_add_epi64(acc, _mm512_popcnt_epi64(_mm512_and_si512(bc, pl)));
			ones += _mm_popcnt_u64((uint64_t) _mm_cvtsi128_si64(code)) +
				_mm_popcnt_u64((uint64_t) _mm_extract_epi64(code, 1));
		}
		weighted = _mm512_reduce_add_epi64(_mm512_sllv_epi64(acc, shifts));
		memcpy(&k, kptr + (size_t) i * stride, sizeof(float));
		sb = q->lo * (float) ones + q->delta * (float) weighted;
		out[i] = k * (2.0f * sb - q->vsum);
	}
}
#endif

static void
to_half_generic(uint16_t *dst, const float *src, float scale, int n)
{
	for (int i = 0; i < n; i++)
		dst[i] = half_from_float(src[i] * scale);
}

static void
from_half_generic(float *dst, const uint16_t *src, int n)
{
	for (int i = 0; i < n; i++)
		dst[i] = half_to_float(src[i]);
}

#ifdef FC_ANN_X86
__attribute__((target("avx,f16c")))
static void
to_half_f16c(uint16_t *dst, const float *src, float scale, int n)
{
	int			i = 0;
	__m256		s = _mm256_set1_ps(scale);

	for (; i + 8 <= n; i += 8)
	{
		__m128i		h = _mm256_cvtps_ph(_mm256_mul_ps(_mm256_loadu_ps(src + i), s),
										_MM_FROUND_TO_NEAREST_INT);

		_mm_storeu_si128((__m128i *) (dst + i), h);
	}
	to_half_generic(dst + i, src + i, scale, n - i);
}

__attribute__((target("avx,f16c")))
static void
from_half_f16c(float *dst, const uint16_t *src, int n)
{
	int			i = 0;

	for (; i + 8 <= n; i += 8)
		_mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *) (src + i))));
	from_half_generic(dst + i, src + i, n - i);
}
#endif

float		(*fc_ann_estimate_ip) (const fc_ann_query *q, const uint8_t *bits, float k) = estimate_ip_generic;
void		(*fc_ann_estimate_ip_batch) (const fc_ann_query *q, const uint8_t *bits,
										 const uint8_t *kptr, int stride, int n, float *out) = estimate_ip_batch_generic;
void		(*fc_ann_to_half) (uint16_t *dst, const float *src, float scale, int n) = to_half_generic;
void		(*fc_ann_from_half) (float *dst, const uint16_t *src, int n) = from_half_generic;

void
fc_ann_init(void)
{
#ifdef FC_ANN_X86
	__builtin_cpu_init();
	if (__builtin_cpu_supports("popcnt"))
		fc_ann_estimate_ip = estimate_ip_popcnt;
	if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vpopcntdq"))
		fc_ann_estimate_ip_batch = estimate_ip_batch_avx512;
	/* every AVX2 CPU has F16C; clang's builtin cannot test "f16c" directly */
	if (__builtin_cpu_supports("avx2"))
	{
		fc_ann_to_half = to_half_f16c;
		fc_ann_from_half = from_half_f16c;
	}
#endif
}
