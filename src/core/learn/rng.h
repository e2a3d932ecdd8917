/*-------------------------------------------------------------------------
 *
 * rng.h
 *	  The learning code's pseudo-random numbers: xoshiro256** (Blackman and
 *	  Vigna, 2018) seeded through splitmix64, so that training, sampling and
 *	  person splits are the same for a seed on every platform.
 *
 * Plain C, no PostgreSQL headers, no global state: each caller owns its
 * fc_rng.
 *
 *-------------------------------------------------------------------------
 */
#ifndef FC_LEARN_RNG_H
#define FC_LEARN_RNG_H

#include <stdint.h>

typedef struct fc_rng
{
	uint64_t	s[4];
} fc_rng;

/* Seed the four words of state from seed by splitmix64 (never all zero). */
extern void fc_rng_seed(fc_rng *rng, uint64_t seed);
/* The next 64 random bits. */
extern uint64_t fc_rng_next(fc_rng *rng);
/* Uniform in [0, 1), 53 bits. */
extern double fc_rng_uniform(fc_rng *rng);
/* Uniform integer in [0, n), n >= 1, without modulo bias (Lemire's method). */
extern uint64_t fc_rng_below(fc_rng *rng, uint64_t n);
/* Standard normal (Box-Muller; one value per call). */
extern double fc_rng_normal(fc_rng *rng);
/* Fisher-Yates shuffle of a[0..n). */
extern void fc_rng_shuffle_int(fc_rng *rng, int *a, int n);

#endif							/* FC_LEARN_RNG_H */
