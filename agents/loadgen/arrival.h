/* arrival.h: when the requests of an open loop are sent.
 *
 * Arrivals are drawn with unit mean in "operational time" u (the expected number of arrivals so
 * far) and mapped to wall time through the inverse of the cumulative rate Lambda(t). For a constant
 * rate R, Lambda(t) = R t; with a linear ramp over T seconds the rate grows from 0 to R, so
 * Lambda(t) = R t^2 / (2T) before T. The same draws therefore give a constant, Poisson or gamma
 * process at a steady rate and during a ramp, and a fixed seed gives the same schedule.
 *
 *   constant  gaps of exactly 1/R
 *   poisson   exponential gaps, mean 1/R (coefficient of variation 1)
 *   gamma     gamma gaps with shape k = burstiness and scale 1/(R k): mean 1/R, variance
 *             1/(R^2 k); k < 1 is burstier than Poisson, k = 1 is Poisson, k > 1 smoother (vLLM's
 *             --burstiness means the same). */
#ifndef AIFB_LOADGEN_ARRIVAL_H
#define AIFB_LOADGEN_ARRIVAL_H

#include <stdbool.h>

#include "core/rng.h"

typedef enum arrival_kind {
    ARRIVAL_CONSTANT = 0,
    ARRIVAL_POISSON = 1,
    ARRIVAL_GAMMA = 2,
} arrival_kind;

typedef struct arrival {
    arrival_kind kind;
    double rate;       /* requests per second once ramped, > 0 */
    double burstiness; /* gamma's shape, > 0 */
    double ramp_s;     /* linear ramp from 0 to rate over this many seconds; 0: none */
    double u;          /* operational time of the last arrival */
    bool started;
    rng r;
} arrival;

void arrival_init(arrival *a, arrival_kind kind, double rate, double burstiness, double ramp_s,
                  uint64_t seed);
/* The next arrival, in seconds since the start of the phase (never decreasing). */
double arrival_next(arrival *a);
/* Lambda^-1: the time at which the expected count of arrivals reaches u. */
double arrival_time_of(const arrival *a, double u);

/* "constant", "poisson", "gamma"; and back (false for another word). */
const char *arrival_kind_name(arrival_kind k);
int arrival_kind_parse(const char *s, arrival_kind *out);

#endif
