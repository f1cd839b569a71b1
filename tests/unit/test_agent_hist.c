/* The log-linear histogram: percentiles within its stated precision, and exact merging. */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>

#include "core/hist.h"
#include "core/rng.h"

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

Test(hist, values_below_1024_are_exact)
{
    hist h = {0};
    for (uint64_t v = 0; v < 1024; v++)
        hist_record(&h, v);
    cr_assert_eq(h.total, 1024);
    cr_assert_float_eq(hist_percentile(&h, 50), 511.0, 1e-9);
    cr_assert_eq(hist_count_le(&h, 99), 100);
    hist_free(&h);
}

Test(hist, every_bucket_is_within_0_2_percent_of_its_values)
{
    for (uint64_t v = 1024; v < ((uint64_t)1 << 40); v = v * 3 / 2 + 7) {
        uint64_t lo, width;
        hist_bucket_range(hist_bucket_of(v), &lo, &width);
        cr_assert(v >= lo && v < lo + width, "%llu not in its bucket", (unsigned long long)v);
        cr_assert_leq((double)width / (double)lo, 1.0 / 512 + 1e-12);
    }
    cr_assert_lt(hist_bucket_of(UINT64_MAX), HIST_MAX_BUCKETS);
}

Test(hist, percentiles_of_lognormal_latencies_match_the_sorted_values_within_0_1_percent)
{
    rng r;
    rng_seed(&r, 42);
    enum { N = 200000 };
    uint64_t *v = malloc(N * sizeof *v);
    hist h = {0};
    for (int i = 0; i < N; i++) {
        v[i] = (uint64_t)rng_lognormal(&r, 50e6, 20e6); /* 50 ms +- 20 ms in ns */
        hist_record(&h, v[i]);
    }
    qsort(v, N, sizeof *v, cmp_u64);
    double ps[] = {1, 10, 50, 90, 99, 99.9};
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
        double exact = (double)v[(size_t)ceil(ps[i] / 100 * N) - 1];
        double got = hist_percentile(&h, ps[i]);
        cr_assert_leq(fabs(got - exact) / exact, 0.001, "p%g: %f vs %f", ps[i], got, exact);
    }
    double sum = 0;
    for (int i = 0; i < N; i++)
        sum += (double)v[i];
    cr_assert_float_eq(hist_mean(&h), sum / N, 1e-3);
    cr_assert_eq(h.min, v[0]);
    cr_assert_eq(h.max, v[N - 1]);
    free(v);
    hist_free(&h);
}

Test(hist, merging_two_halves_equals_recording_everything_in_one)
{
    rng r;
    rng_seed(&r, 7);
    hist all = {0}, a = {0}, b = {0};
    for (int i = 0; i < 50000; i++) {
        uint64_t x = (uint64_t)rng_exponential(&r, 20e6);
        hist_record(&all, x);
        hist_record(i % 3 ? &a : &b, x);
    }
    hist_merge(&a, &b);
    cr_assert_eq(a.total, all.total);
    cr_assert_eq(a.sum, all.sum);
    cr_assert_eq(a.min, all.min);
    cr_assert_eq(a.max, all.max);
    for (double p = 0; p <= 100; p += 0.5)
        cr_assert_eq(hist_percentile(&a, p), hist_percentile(&all, p), "p%g", p);
    cr_assert_float_eq(hist_stddev(&a), hist_stddev(&all), 1e-3 * hist_stddev(&all));
    hist_free(&all);
    hist_free(&a);
    hist_free(&b);
}

Test(hist, json_round_trip_keeps_every_count)
{
    hist h = {0}, back = {0};
    for (uint64_t v = 1; v < 5000000; v = v * 5 / 4 + 1)
        hist_record_n(&h, v, v % 7 + 1);
    char *text = hist_to_json(&h);
    json_object *o = json_tokener_parse(text);
    const char *why = NULL;
    cr_assert(hist_from_json(&back, o, &why), "%s", why);
    cr_assert_eq(back.total, h.total);
    cr_assert_eq(back.sum, h.sum);
    for (double p = 1; p < 100; p += 7)
        cr_assert_eq(hist_percentile(&back, p), hist_percentile(&h, p));
    json_object_put(o);
    free(text);
    hist_free(&h);
    hist_free(&back);
}

Test(hist, json_whose_buckets_disagree_with_its_total_is_refused)
{
    json_object *o = json_tokener_parse(
        "{\"sub_bucket_bits\":10,\"total\":5,\"buckets\":[[3,2]],\"min\":3,\"max\":3}");
    hist h = {0};
    const char *why = NULL;
    cr_assert_not(hist_from_json(&h, o, &why));
    cr_assert_not_null(why);
    json_object_put(o);
}
