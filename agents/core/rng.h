/* rng.h: a seeded random number generator and the distributions the agents draw from.
 *
 * xoshiro256** seeded through splitmix64: fast, small, and the same sequence for the same seed on
 * every machine, so a synthetic dataset or an arrival schedule can be reproduced from its seed.
 * Not for secrets. */
#ifndef AIFB_AGENT_RNG_H
#define AIFB_AGENT_RNG_H

#include <stdint.h>

typedef struct rng {
    uint64_t s[4];
} rng;

void rng_seed(rng *r, uint64_t seed);
uint64_t rng_next(rng *r);
/* Uniform in [0, 1). */
double rng_uniform(rng *r);
/* Uniform integer in [lo, hi] (lo <= hi). */
int64_t rng_range(rng *r, int64_t lo, int64_t hi);
/* Exponential with the given mean. */
double rng_exponential(rng *r, double mean);
/* Normal with the given mean and standard deviation. */
double rng_normal(rng *r, double mean, double stddev);
/* Gamma with shape k > 0 and scale theta > 0 (mean k*theta, variance k*theta^2). */
double rng_gamma(rng *r, double shape, double scale);
/* Log-normal whose own mean and standard deviation are the given ones (not those of the log). */
double rng_lognormal(rng *r, double mean, double stddev);

#endif
