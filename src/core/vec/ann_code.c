/*-------------------------------------------------------------------------
 *
 * ann_code.c
 *	  The faceann codes: seeded randomized Hadamard rotation, 4-bit scalar
 *	  codes of the rotated residual with their inner-product estimator over
 *	  an int8 query, and fp16 conversion.  See ann.h for the formulas.
 *
 * Kernels with a faster form on x86-64 (AVX-512 VNNI, AVX2, F16C) are compiled with
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
	int			p = 128;

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

/*
 * Fit u_i ~ lo + delta * n_i, n_i in 0..15: start from the min/max grid, then
 * alternate rounding to the grid and a least-squares refit of (lo, delta)
 * with n fixed.  The refit never increases |u - u^| and usually narrows the
 * grid, trading the two extreme coordinates' error for everyone else's.
 */
void
fc_ann_encode(const float *u, int pdim, uint8_t *nib, float *nr2, float *lo, float *delta)
{
	uint8_t		n[FC_ANN_MAX_PDIM];
	float		mn = u[0],
				mx = u[0];
	double		n2 = 0;
	float		l,
				d;

	for (int i = 0; i < pdim; i++)
	{
		mn = fminf(mn, u[i]);
		mx = fmaxf(mx, u[i]);
		n2 += (double) u[i] * u[i];
	}
	*nr2 = (float) n2;
	l = mn;
	d = (mx - mn) / FC_ANN_LEVELS;
	if (!(d > 0) || !isfinite(d))
	{
		/* all coordinates equal (a zero residual): exact with n = 0 */
		memset(nib, 0, pdim / 2);
		*lo = mn;
		*delta = 0.0f;
		return;
	}
	for (int iter = 0; iter < FC_ANN_REFITS + 1; iter++)
	{
		double		sn = 0,
					snn = 0,
					su = 0,
					snu = 0,
					den;

		for (int i = 0; i < pdim; i++)
		{
			long		q = lrintf((u[i] - l) / d);

			n[i] = (uint8_t) (q < 0 ? 0 : q > FC_ANN_LEVELS ? FC_ANN_LEVELS : q);
			sn += n[i];
			snn += (double) n[i] * n[i];
			su += u[i];
			snu += (double) n[i] * u[i];
		}
		if (iter == FC_ANN_REFITS)
			break;
		den = pdim * snn - sn * sn;
		if (!(den > 0))
			break;
		d = (float) ((pdim * snu - sn * su) / den);
		l = (float) ((su - d * sn) / pdim);
		if (!(d > 0))
		{
			/* cannot happen for a nonconstant u; keep the min/max grid */
			l = mn;
			d = (mx - mn) / FC_ANN_LEVELS;
		}
	}
	for (int c = 0; c < pdim; c += 128)
		for (int j = 0; j < 64; j++)
			nib[c / 2 + j] = (uint8_t) (n[c + j] | n[c + 64 + j] << 4);
	*lo = l;
	*delta = d;
}

void
fc_ann_decode(const uint8_t *nib, float lo, float delta, int pdim, float *u)
{
	for (int c = 0; c < pdim; c += 128)
		for (int j = 0; j < 64; j++)
		{
			u[c + j] = lo + delta * (nib[c / 2 + j] & 15);
			u[c + 64 + j] = lo + delta * (nib[c / 2 + j] >> 4);
		}
}

void
fc_ann_query_prepare(fc_ann_query *q, const float *v, int pdim)
{
	float		amax = 0;
	double		sum = 0,
				n2 = 0;

	for (int i = 0; i < pdim; i++)
	{
		amax = fmaxf(amax, fabsf(v[i]));
		sum += v[i];
		n2 += (double) v[i] * v[i];
	}
	q->pdim = pdim;
	q->vsum = (float) sum;
	q->vnorm2 = (float) n2;
	q->scale = amax > 0 && isfinite(amax) ? amax / 127.0f : 0.0f;
	for (int i = 0; i < pdim; i++)
	{
		long		t = q->scale > 0 ? lrintf(v[i] / q->scale) : 0;

		q->vq[i] = (int8_t) (t < -127 ? -127 : t > 127 ? 127 : t);
	}
}

/* sum_i vq_i n_i over one code, portable. */
static int32_t
code_dot_generic(const fc_ann_query *q, const uint8_t *nib)
{
	int32_t		s = 0;

	for (int c = 0; c < q->pdim; c += 128)
		for (int j = 0; j < 64; j++)
			s += (nib[c / 2 + j] & 15) * q->vq[c + j] + (nib[c / 2 + j] >> 4) * q->vq[c + 64 + j];
	return s;
}

static inline float
combine(const fc_ann_query *q, int32_t dot, const uint8_t *factors)
{
	float		f[2];

	memcpy(f, factors, sizeof(f));
	return f[0] * q->vsum + f[1] * q->scale * (float) dot;
}

float
fc_ann_estimate_ip(const fc_ann_query *q, const uint8_t *nib, float lo, float delta)
{
	float		f[2] = {lo, delta};

	return combine(q, code_dot_generic(q, nib), (const uint8_t *) f);
}

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
estimate_ip_batch_generic(const fc_ann_query *q, const uint8_t *nib, const uint8_t *factors,
						  int stride, int n, float *out)
{
	for (int i = 0; i < n; i++)
		out[i] = combine(q, code_dot_generic(q, nib + (size_t) i * stride),
						 factors + (size_t) i * stride);
}

#ifdef FC_ANN_X86
/*
 * AVX2: per 32 code bytes, the low and high nibbles (32 dimensions each) are
 * multiplied with the int8 query by VPMADDUBSW (15 * 127 * 2 fits int16)
 * and widened to int32 by VPMADDWD.
 */
__attribute__((target("avx2")))
static void
estimate_ip_batch_avx2(const fc_ann_query *q, const uint8_t *nib, const uint8_t *factors,
					   int stride, int n, float *out)
{
	const __m256i mask = _mm256_set1_epi8(15);
	const __m256i ones = _mm256_set1_epi16(1);

	for (int i = 0; i < n; i++)
	{
		const uint8_t *b = nib + (size_t) i * stride;
		__m256i		acc = _mm256_setzero_si256();
		__m128i		s;

		for (int c = 0; c < q->pdim; c += 128)
			for (int h = 0; h < 64; h += 32)
			{
				__m256i		x = _mm256_loadu_si256((const __m256i *) (b + c / 2 + h));
				__m256i		lo = _mm256_and_si256(x, mask);
				__m256i		hi = _mm256_and_si256(_mm256_srli_epi16(x, 4), mask);
				__m256i		p;

				p = _mm256_maddubs_epi16(lo, _mm256_loadu_si256((const __m256i *) (q->vq + c + h)));
				acc = _mm256_add_epi32(acc, _mm256_madd_epi16(p, ones));
				p = _mm256_maddubs_epi16(hi, _mm256_loadu_si256((const __m256i *) (q->vq + c + 64 + h)));
				acc = _mm256_add_epi32(acc, _mm256_madd_epi16(p, ones));
			}
		s = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
		s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
		s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
		out[i] = combine(q, _mm_cvtsi128_si32(s), factors + (size_t) i * stride);
	}
}

/* AVX-512 VNNI: one VPDPBUSD per 64 dimensions. */
__attribute__((target("avx512f,avx512bw,avx512vnni")))
static void
estimate_ip_batch_vnni(const fc_ann_query *q, const uint8_t *nib, const uint8_t *factors,
					   int stride, int n, float *out)
{
	const __m512i mask = _mm512_set1_epi8(15);

	for (int i = 0; i < n; i++)
	{
		const uint8_t *b = nib + (size_t) i * stride;
		__m512i		acc = _mm512_setzero_si512();

		for (int c = 0; c < q->pdim; c += 128)
		{
			__m512i		x = _mm512_loadu_si512((const void *) (b + c / 2));

			acc = _mm512_dpbusd_epi32(acc, _mm512_and_si512(x, mask),
									  _mm512_loadu_si512((const void *) (q->vq + c)));
			acc = _mm512_dpbusd_epi32(acc, _mm512_and_si512(_mm512_srli_epi16(x, 4), mask),
									  _mm512_loadu_si512((const void *) (q->vq + c + 64)));
		}
		out[i] = combine(q, _mm512_reduce_add_epi32(acc), factors + (size_t) i * stride);
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

void		(*fc_ann_estimate_ip_batch) (const fc_ann_query *q, const uint8_t *nib,
										 const uint8_t *factors, int stride, int n,
										 float *out) = estimate_ip_batch_generic;
void		(*fc_ann_to_half) (uint16_t *dst, const float *src, float scale, int n) = to_half_generic;
void		(*fc_ann_from_half) (float *dst, const uint16_t *src, int n) = from_half_generic;

int
fc_ann_use_isa(const char *isa)
{
	if (strcmp(isa, "generic") == 0)
	{
		fc_ann_estimate_ip_batch = estimate_ip_batch_generic;
		return 0;
	}
#ifdef FC_ANN_X86
	__builtin_cpu_init();
	if (strcmp(isa, "avx2") == 0 && __builtin_cpu_supports("avx2"))
	{
		fc_ann_estimate_ip_batch = estimate_ip_batch_avx2;
		return 0;
	}
	if (strcmp(isa, "avx512vnni") == 0 && __builtin_cpu_supports("avx512f") &&
		__builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vnni"))
	{
		fc_ann_estimate_ip_batch = estimate_ip_batch_vnni;
		return 0;
	}
#endif
	return -1;
}

void
fc_ann_init(void)
{
#ifdef FC_ANN_X86
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx2"))
		fc_ann_estimate_ip_batch = estimate_ip_batch_avx2;
	if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
		__builtin_cpu_supports("avx512vnni"))
		fc_ann_estimate_ip_batch = estimate_ip_batch_vnni;
	/* every AVX2 CPU has F16C; clang's builtin cannot test "f16c" directly */
	if (__builtin_cpu_supports("avx2"))
	{
		fc_ann_to_half = to_half_f16c;
		fc_ann_from_half = from_half_f16c;
	}
#endif
}
