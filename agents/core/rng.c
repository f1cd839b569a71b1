/* rng.c: xoshiro256** and the distributions drawn from it (see rng.h).
 *
 * Gamma uses Marsaglia and Tsang's squeeze method (shape >= 1), with the usual U^(1/k) boost for
 * shapes below one; normal uses the polar method without keeping the spare value, so a draw never
 * depends on whether the previous call was a normal one. */
#include "core/rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void rng_seed(rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t rng_next(rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double rng_uniform(rng *r)
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

int64_t rng_range(rng *r, int64_t lo, int64_t hi)
{
    if (hi <= lo)
        return lo;
    uint64_t span = (uint64_t)(hi - lo) + 1;
    if (span == 0) /* the whole 64-bit range */
        return (int64_t)rng_next(r);
    /* Rejection keeps every value equally likely. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % span;
    uint64_t v;
    do
        v = rng_next(r);
    while (v >= limit);
    return lo + (int64_t)(v % span);
}

double rng_exponential(rng *r, double mean)
{
    return -mean * log1p(-rng_uniform(r));
}

double rng_normal(rng *r, double mean, double stddev)
{
    double u, v, s;
    do {
        u = 2.0 * rng_uniform(r) - 1.0;
        v = 2.0 * rng_uniform(r) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    return mean + stddev * u * sqrt(-2.0 * log(s) / s);
}

double rng_gamma(rng *r, double shape, double scale)
{
    if (shape < 1.0) {
        double u = rng_uniform(r);
        return rng_gamma(r, shape + 1.0, scale) * pow(u > 0 ? u : 0x1.0p-53, 1.0 / shape);
    }
    double d = shape - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
    for (;;) {
        double x, v;
        do {
            x = rng_normal(r, 0.0, 1.0);
            v = 1.0 + c * x;
        } while (v <= 0.0);
        v = v * v * v;
        double u = rng_uniform(r);
        if (u < 1.0 - 0.0331 * x * x * x * x)
            return d * v * scale;
        if (log(u) < 0.5 * x * x + d * (1.0 - v + log(v)))
            return d * v * scale;
    }
}

double rng_lognormal(rng *r, double mean, double stddev)
{
    if (mean <= 0)
        return 0;
    if (stddev <= 0)
        return mean;
    double s2 = log(1.0 + (stddev * stddev) / (mean * mean));
    double mu = log(mean) - s2 / 2.0;
    return exp(rng_normal(r, mu, sqrt(s2)));
}
