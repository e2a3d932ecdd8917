/*-------------------------------------------------------------------------
 *
 * rng.c
 *	  xoshiro256** and splitmix64 (rng.h): the learning code's deterministic
 *	  random numbers.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>

#include "rng.h"

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t	z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

void
fc_rng_seed(fc_rng *rng, uint64_t seed)
{
	uint64_t	x = seed;

	for (int i = 0; i < 4; i++)
		rng->s[i] = splitmix64(&x);
}

uint64_t
fc_rng_next(fc_rng *rng)
{
	uint64_t   *s = rng->s;
	uint64_t	result = rotl(s[1] * 5, 7) * 9;
	uint64_t	t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

double
fc_rng_uniform(fc_rng *rng)
{
	return (double) (fc_rng_next(rng) >> 11) * (1.0 / 9007199254740992.0);
}

uint64_t
fc_rng_below(fc_rng *rng, uint64_t n)
{
	/* Lemire (2019): multiply-shift with rejection of the short interval */
	unsigned __int128 m = (unsigned __int128) fc_rng_next(rng) * n;
	uint64_t	low = (uint64_t) m;

	if (low < n)
	{
		uint64_t	threshold = -n % n;

		while (low < threshold)
		{
			m = (unsigned __int128) fc_rng_next(rng) * n;
			low = (uint64_t) m;
		}
	}
	return (uint64_t) (m >> 64);
}

double
fc_rng_normal(fc_rng *rng)
{
	double		u1 = 1.0 - fc_rng_uniform(rng);	/* (0, 1]: log is finite */
	double		u2 = fc_rng_uniform(rng);

	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

void
fc_rng_shuffle_int(fc_rng *rng, int *a, int n)
{
	for (int i = n - 1; i > 0; i--)
	{
		int			j = (int) fc_rng_below(rng, (uint64_t) i + 1);
		int			t = a[i];

		a[i] = a[j];
		a[j] = t;
	}
}
