/* Arrival processes: the gaps have the mean and variance their distribution promises. */
#include <criterion/criterion.h>
#include <math.h>

#include "loadgen/arrival.h"

static void gap_moments(arrival_kind kind, double rate, double burstiness, int n, double *mean,
                        double *var)
{
    arrival a;
    arrival_init(&a, kind, rate, burstiness, 0, 12345);
    double prev = arrival_next(&a), s = 0, s2 = 0;
    for (int i = 0; i < n; i++) {
        double t = arrival_next(&a), g = t - prev;
        cr_assert_geq(g, 0);
        prev = t;
        s += g;
        s2 += g * g;
    }
    *mean = s / n;
    *var = s2 / n - *mean * *mean;
}

Test(arrival, constant_gaps_are_exactly_one_over_the_rate)
{
    arrival a;
    arrival_init(&a, ARRIVAL_CONSTANT, 2000, 1, 0, 1);
    double first = arrival_next(&a);
    cr_assert_float_eq(first, 0.0, 1e-12);
    for (int i = 1; i <= 10000; i++) {
        double t = arrival_next(&a); /* once: the assertion macro evaluates its arguments twice */
        cr_assert_float_eq(t, i / 2000.0, 1e-9);
    }
}

Test(arrival, poisson_gaps_have_mean_and_variance_of_an_exponential)
{
    double mean, var;
    int n = 200000;
    gap_moments(ARRIVAL_POISSON, 100, 1, n, &mean, &var);
    /* Mean within 4 standard errors (sd of the mean = (1/rate)/sqrt(n)). */
    cr_assert_leq(fabs(mean - 0.01), 4 * 0.01 / sqrt(n), "mean %g", mean);
    cr_assert_leq(fabs(var - 1e-4) / 1e-4, 0.03, "variance %g", var);
}

Test(arrival, gamma_gaps_are_burstier_below_shape_one_and_smoother_above)
{
    double rates[] = {50, 1000};
    double shapes[] = {0.25, 4};
    for (int r = 0; r < 2; r++) {
        for (int k = 0; k < 2; k++) {
            double mean, var, R = rates[r], K = shapes[k];
            int n = 200000;
            gap_moments(ARRIVAL_GAMMA, R, K, n, &mean, &var);
            double want_var = 1 / (R * R * K);
            cr_assert_leq(fabs(mean - 1 / R), 4 * sqrt(want_var / n), "rate %g k %g: mean %g", R, K,
                          mean);
            cr_assert_leq(fabs(var - want_var) / want_var, 0.06, "rate %g k %g: var %g vs %g", R, K,
                          var, want_var);
        }
    }
}

Test(arrival, the_same_seed_gives_the_same_schedule)
{
    arrival a, b;
    arrival_init(&a, ARRIVAL_GAMMA, 10, 0.5, 0, 99);
    arrival_init(&b, ARRIVAL_GAMMA, 10, 0.5, 0, 99);
    for (int i = 0; i < 1000; i++) {
        double x = arrival_next(&a), y = arrival_next(&b);
        cr_assert_eq(x, y);
    }
}

Test(arrival, a_linear_ramp_sends_half_as_many_requests_during_the_ramp)
{
    /* Rate ramps 0 -> 100 req/s over 10 s: 500 requests by 10 s, then 100 per second. */
    arrival a;
    arrival_init(&a, ARRIVAL_CONSTANT, 100, 1, 10, 1);
    int before = 0, after = 0;
    for (;;) {
        double t = arrival_next(&a);
        if (t >= 20)
            break;
        if (t < 10)
            before++;
        else
            after++;
    }
    cr_assert(before >= 499 && before <= 501, "%d in the ramp", before);
    cr_assert(after >= 999 && after <= 1001, "%d after", after);
}
