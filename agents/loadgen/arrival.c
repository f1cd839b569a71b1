/* arrival.c: arrival schedules of the open loop (see arrival.h for the mapping through
 * operational time). */
#include "loadgen/arrival.h"

#include <math.h>
#include <string.h>

void arrival_init(arrival *a, arrival_kind kind, double rate, double burstiness, double ramp_s,
                  uint64_t seed)
{
    memset(a, 0, sizeof *a);
    a->kind = kind;
    a->rate = rate;
    a->burstiness = burstiness > 0 ? burstiness : 1.0;
    a->ramp_s = ramp_s > 0 ? ramp_s : 0;
    rng_seed(&a->r, seed);
}

double arrival_time_of(const arrival *a, double u)
{
    if (a->ramp_s <= 0)
        return u / a->rate;
    double ramp_arrivals = a->rate * a->ramp_s / 2.0;
    if (u < ramp_arrivals)
        return sqrt(2.0 * a->ramp_s * u / a->rate);
    return a->ramp_s + (u - ramp_arrivals) / a->rate;
}

double arrival_next(arrival *a)
{
    double gap;
    switch (a->kind) {
    case ARRIVAL_POISSON:
        gap = rng_exponential(&a->r, 1.0);
        break;
    case ARRIVAL_GAMMA:
        gap = rng_gamma(&a->r, a->burstiness, 1.0 / a->burstiness);
        break;
    default:
        gap = 1.0;
        break;
    }
    /* The first request goes at the start of the phase, as in vLLM's bench; then the gaps. */
    if (!a->started) {
        a->started = true;
        gap = 0;
    }
    a->u += gap;
    return arrival_time_of(a, a->u);
}

const char *arrival_kind_name(arrival_kind k)
{
    return k == ARRIVAL_POISSON ? "poisson" : k == ARRIVAL_GAMMA ? "gamma" : "constant";
}

int arrival_kind_parse(const char *s, arrival_kind *out)
{
    static const char *const names[] = {"constant", "poisson", "gamma"};
    for (int i = 0; i < 3; i++) {
        if (!strcmp(s, names[i])) {
            *out = (arrival_kind)i;
            return 1;
        }
    }
    return 0;
}
