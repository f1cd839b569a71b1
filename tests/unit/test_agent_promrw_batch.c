/* test_agent_promrw_batch.c: remote write batches as a receiver sees them: every body is
 * snappy-uncompressed and unpacked with protobuf-c, then its series, sorted labels, samples and
 * timestamps are checked; the refusals of names, values and out-of-order samples; the histogram
 * helper's cumulative buckets against counts made here from the recorded values. */
#include <math.h>
#include <stdio.h>

#include "test_agent_promrw.h"

static uint64_t bits_of(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

Test(promrw_batch, encodes_series_with_sorted_labels_name_and_samples)
{
    promrw_batch *b = promrw_batch_new();
    aifb_err err = {0};
    promrw_label common[] = {{"run_id", "r-3fa09c1d22be"}};
    cr_assert_eq(promrw_batch_const_labels(b, common, 1, &err), AIFB_OK, "%s", err.msg);
    promrw_label ls[] = {{"phase", "steady"}, {"zone", ""}, {"Accel", "gpu"}};
    size_t id;
    cr_assert_eq(promrw_series_add(b, "aifb_requests_total", ls, 3, &id, &err), AIFB_OK, "%s",
                 err.msg);
    cr_assert_eq(promrw_sample_add(b, id, 42, 1700000000000, &err), AIFB_OK, "%s", err.msg);
    cr_assert_eq(promrw_sample_add(b, id, 43.5, 1700000001000, &err), AIFB_OK, "%s", err.msg);
    promrw_label gl[] = {{"phase", "warmup"}};
    cr_assert_eq(promrw_add(b, "aifb:inflight", gl, 1, -7.25, 1700000000500, &err), AIFB_OK, "%s",
                 err.msg);
    cr_assert_eq(promrw_batch_series(b), 2);
    cr_assert_eq(promrw_batch_samples(b), 3);

    Prometheus__WriteRequest *req = t_roundtrip(b);
    cr_assert_eq(req->n_timeseries, 2);
    const Prometheus__TimeSeries *c = req->timeseries[0];
    /* Byte order: "Accel" < "__name__" < "phase" < "run_id"; zone="" is left out. */
    const char *want[][2] = {{"Accel", "gpu"},
                             {"__name__", "aifb_requests_total"},
                             {"phase", "steady"},
                             {"run_id", "r-3fa09c1d22be"}};
    cr_assert_eq(c->n_labels, 4);
    for (size_t i = 0; i < 4; i++) {
        cr_assert_str_eq(c->labels[i]->name, want[i][0]);
        cr_assert_str_eq(c->labels[i]->value, want[i][1]);
    }
    cr_assert_eq(c->n_samples, 2);
    cr_assert_eq(c->samples[0]->value, 42);
    cr_assert_eq(c->samples[0]->timestamp, 1700000000000);
    cr_assert_eq(c->samples[1]->value, 43.5);
    cr_assert_eq(c->samples[1]->timestamp, 1700000001000);

    const Prometheus__TimeSeries *g = req->timeseries[1];
    cr_assert_eq(g->n_labels, 3);
    cr_assert_str_eq(g->labels[0]->name, "__name__");
    cr_assert_str_eq(g->labels[0]->value, "aifb:inflight");
    cr_assert_str_eq(t_label(g, "phase"), "warmup");
    cr_assert_str_eq(t_label(g, "run_id"), "r-3fa09c1d22be");
    cr_assert_eq(g->n_samples, 1);
    cr_assert_eq(g->samples[0]->value, -7.25);
    cr_assert_eq(g->samples[0]->timestamp, 1700000000500);
    prometheus__write_request__free_unpacked(req, NULL);
    promrw_batch_free(b);
}

Test(promrw_batch, the_same_series_again_is_the_same_series)
{
    promrw_batch *b = promrw_batch_new();
    aifb_err err = {0};
    promrw_label a[] = {{"x", "1"}, {"y", "2"}}, swapped[] = {{"y", "2"}, {"x", "1"}};
    promrw_label other[] = {{"x", "1"}, {"y", "3"}};
    size_t i1, i2, i3;
    cr_assert_eq(promrw_series_add(b, "m", a, 2, &i1, &err), AIFB_OK);
    cr_assert_eq(promrw_series_add(b, "m", swapped, 2, &i2, &err), AIFB_OK);
    cr_assert_eq(promrw_series_add(b, "m", other, 2, &i3, &err), AIFB_OK);
    cr_assert_eq(i1, i2);
    cr_assert_neq(i1, i3);
    cr_assert_eq(promrw_batch_series(b), 2);
    /* A series without samples is not sent. */
    cr_assert_eq(promrw_sample_add(b, i3, 1, 1000, &err), AIFB_OK);
    Prometheus__WriteRequest *req = t_roundtrip(b);
    cr_assert_eq(req->n_timeseries, 1);
    cr_assert_str_eq(t_label(req->timeseries[0], "y"), "3");
    prometheus__write_request__free_unpacked(req, NULL);

    promrw_batch_clear(b);
    cr_assert_eq(promrw_batch_series(b), 0);
    cr_assert_eq(promrw_batch_samples(b), 0);
    promrw_batch_free(b);
}

Test(promrw_batch, nan_is_ordinary_and_stale_marker_is_prometheus_own)
{
    promrw_batch *b = promrw_batch_new();
    aifb_err err = {0};
    size_t id;
    cr_assert_eq(promrw_series_add(b, "m", NULL, 0, &id, &err), AIFB_OK);
    cr_assert_eq(promrw_sample_add(b, id, -NAN, 1000, &err), AIFB_OK);
    cr_assert_eq(promrw_stale_add(b, id, 2000, &err), AIFB_OK);
    Prometheus__WriteRequest *req = t_roundtrip(b);
    cr_assert_eq(bits_of(req->timeseries[0]->samples[0]->value), 0x7ff8000000000001ULL);
    cr_assert_eq(bits_of(req->timeseries[0]->samples[1]->value), 0x7ff0000000000002ULL);
    prometheus__write_request__free_unpacked(req, NULL);
    promrw_batch_free(b);
}

/* Expects AIFB_EINVAL with a message containing needle, and a batch left as it was. */
static void refused(promrw_batch *b, aifb_code rc, const aifb_err *err, const char *needle)
{
    cr_assert_eq(rc, AIFB_EINVAL, "expected a refusal mentioning %s", needle);
    cr_assert(strstr(err->msg, needle), "'%s' does not mention %s", err->msg, needle);
    cr_assert_eq(promrw_batch_series(b), 1, "a refused series was added: %s", err->msg);
    cr_assert_eq(promrw_batch_samples(b), 1);
}

Test(promrw_batch, refuses_bad_names_values_and_order)
{
    promrw_batch *b = promrw_batch_new();
    aifb_err err = {0};
    size_t id, other;
    cr_assert_eq(promrw_add(b, "ok_metric", NULL, 0, 1, 5000, &err), AIFB_OK);
    cr_assert_eq(promrw_series_add(b, "ok_metric", NULL, 0, &id, &err), AIFB_OK);

    refused(b, promrw_series_add(b, "1st", NULL, 0, &other, &err), &err, "'1st'");
    refused(b, promrw_series_add(b, "a-b", NULL, 0, &other, &err), &err, "'a-b'");
    refused(b, promrw_series_add(b, "", NULL, 0, &other, &err), &err, "metric name ''");
    const char *bad_names[] = {"a-b", "9x", "", "a:b", "é"};
    for (size_t i = 0; i < sizeof bad_names / sizeof *bad_names; i++) {
        promrw_label l = {bad_names[i], "v"};
        char needle[40];
        snprintf(needle, sizeof needle, "label name '%s'", bad_names[i]);
        refused(b, promrw_series_add(b, "m", &l, 1, &other, &err), &err, needle);
    }
    promrw_label reserved = {"__name__", "x"};
    refused(b, promrw_series_add(b, "m", &reserved, 1, &other, &err), &err, "starts with __");
    promrw_label twice[] = {{"a", "1"}, {"a", "2"}};
    refused(b, promrw_series_add(b, "m", twice, 2, &other, &err), &err, "label 'a' given twice");
    promrw_label latin1 = {"a", "caf\xe9"}, overlong = {"a", "\xc0\xaf"};
    refused(b, promrw_series_add(b, "m", &latin1, 1, &other, &err), &err, "not UTF-8");
    refused(b, promrw_series_add(b, "m", &overlong, 1, &other, &err), &err, "not UTF-8");
    promrw_label utf8 = {"a", "café ☕"};

    refused(b, promrw_sample_add(b, id, 2, 5000, &err), &err, "not after the last one, at 5000");
    refused(b, promrw_sample_add(b, id, 2, 4000, &err), &err, "series ok_metric");
    refused(b, promrw_sample_add(b, 7, 2, 6000, &err), &err, "no series 7");
    refused(b, promrw_add(b, "ok_metric", NULL, 0, 2, 5000, &err), &err, "not after");

    promrw_label clash = {"run_id", "b"}, common = {"run_id", "a"};
    cr_assert_eq(promrw_batch_const_labels(b, &common, 1, &err), AIFB_OK);
    refused(b, promrw_series_add(b, "m", &clash, 1, &other, &err), &err, "'run_id' given twice");
    cr_assert_eq(promrw_batch_const_labels(b, &reserved, 1, &err), AIFB_EINVAL);

    /* Valid UTF-8 beyond ASCII is fine. */
    cr_assert_eq(promrw_series_add(b, "m", &utf8, 1, &other, &err), AIFB_OK, "%s", err.msg);
    promrw_batch_free(b);
}

/* The histogram: values in nanoseconds, counted here one by one against each bound. */
static const uint64_t MS = 1000000;

Test(promrw_batch, histogram_buckets_are_cumulative_counts_in_seconds)
{
    uint64_t values[] = {1 * MS,  1 * MS,  3 * MS,   5 * MS,   7 * MS,   7 * MS,    9 * MS, 12 * MS,
                         30 * MS, 49 * MS, 200 * MS, 640 * MS, 999 * MS, 3000 * MS, 0,      42};
    size_t nvalues = sizeof values / sizeof *values;
    hist h = {0};
    for (size_t i = 0; i < nvalues; i++)
        hist_record(&h, values[i]);
    double bounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 2.5};
    const char *les[] = {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "1", "2.5"};
    size_t nb = sizeof bounds / sizeof *bounds;

    promrw_batch *b = promrw_batch_new();
    aifb_err err = {0};
    promrw_label ls[] = {{"run_id", "r-1"}, {"phase", "steady"}};
    cr_assert_eq(
        promrw_histogram_add(b, "aifb_latency_seconds", ls, 2, &h, bounds, nb, 123456, &err),
        AIFB_OK, "%s", err.msg);
    cr_assert_eq(promrw_batch_series(b), nb + 3);
    Prometheus__WriteRequest *req = t_roundtrip(b);
    cr_assert_eq(req->n_timeseries, nb + 3);
    uint64_t sum = 0;
    for (size_t i = 0; i < nvalues; i++)
        sum += values[i];
    for (size_t k = 0; k <= nb; k++) {
        const char *le = k < nb ? les[k] : "+Inf";
        const Prometheus__TimeSeries *ts = t_series(req, "aifb_latency_seconds_bucket", "le", le);
        cr_assert_not_null(ts, "no bucket le=\"%s\"", le);
        double want = 0;
        for (size_t i = 0; i < nvalues; i++)
            want += k == nb || values[i] <= (uint64_t)llround(bounds[k] * 1e9);
        cr_assert_eq(ts->n_labels, 4);
        cr_assert_str_eq(t_label(ts, "run_id"), "r-1");
        cr_assert_str_eq(t_label(ts, "phase"), "steady");
        cr_assert_eq(ts->n_samples, 1);
        cr_assert_eq(ts->samples[0]->value, want, "le=%s: %g, expected %g", le,
                     ts->samples[0]->value, want);
        cr_assert_eq(ts->samples[0]->timestamp, 123456);
    }
    const Prometheus__TimeSeries *s = t_series(req, "aifb_latency_seconds_sum", "run_id", "r-1");
    const Prometheus__TimeSeries *c = t_series(req, "aifb_latency_seconds_count", "run_id", "r-1");
    cr_assert(s && c);
    cr_assert_null(t_label(s, "le"));
    cr_assert_eq(s->n_labels, 3);
    cr_assert_float_eq(s->samples[0]->value, (double)sum / 1e9, 1e-12);
    cr_assert_eq(c->samples[0]->value, (double)nvalues);
    cr_assert_eq(c->samples[0]->timestamp, 123456);
    prometheus__write_request__free_unpacked(req, NULL);
    promrw_batch_free(b);
    hist_free(&h);
}

Test(promrw_batch, histogram_is_all_or_nothing)
{
    hist h = {0};
    hist_record(&h, 5 * MS);
    promrw_batch *b = promrw_batch_new();
    aifb_err err = {0};
    double bounds[] = {0.01, 0.1};
    cr_assert_eq(promrw_histogram_add(b, "lat", NULL, 0, &h, bounds, 2, 1000, &err), AIFB_OK);
    size_t series = promrw_batch_series(b), samples = promrw_batch_samples(b);
    cr_assert_eq(samples, 5);

    struct {
        double bounds[2];
        const char *needle;
    } bad[] = {{{0.1, 0.01}, "not ascending"},
               {{0.1, 0.1}, "not ascending"},
               {{-1, 0.1}, "not a finite number >= 0"},
               {{0.1, INFINITY}, "+Inf"}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cr_assert_eq(promrw_histogram_add(b, "lat2", NULL, 0, &h, bad[i].bounds, 2, 2000, &err),
                     AIFB_EINVAL);
        cr_assert(strstr(err.msg, bad[i].needle), "%s", err.msg);
    }
    promrw_label le = {"le", "1"};
    cr_assert_eq(promrw_histogram_add(b, "lat2", &le, 1, &h, bounds, 2, 2000, &err), AIFB_EINVAL);
    cr_assert(strstr(err.msg, "le"), "%s", err.msg);
    promrw_label one = {"a", "b"};
    cr_assert_eq(promrw_histogram_add(b, "lat-x", &one, 1, &h, bounds, 2, 1000, &err), AIFB_EINVAL);
    cr_assert_eq(promrw_batch_series(b), series);
    cr_assert_eq(promrw_batch_samples(b), samples);

    /* Only the last series (_count) would be out of order: the buckets and _sum of "lat" (series
     * that exist) get no sample, those of "fresh" (new series) are not left behind. */
    cr_assert_eq(promrw_add(b, "lat_count", NULL, 0, 9, 3000, &err), AIFB_OK);
    cr_assert_eq(promrw_add(b, "fresh_count", NULL, 0, 9, 3000, &err), AIFB_OK);
    series += 1;
    samples += 2;
    cr_assert_eq(promrw_histogram_add(b, "lat", NULL, 0, &h, bounds, 2, 2000, &err), AIFB_EINVAL);
    cr_assert(strstr(err.msg, "series lat_count"), "%s", err.msg);
    cr_assert_eq(promrw_histogram_add(b, "fresh", NULL, 0, &h, bounds, 2, 2000, &err), AIFB_EINVAL);
    cr_assert(strstr(err.msg, "series fresh_count"), "%s", err.msg);
    cr_assert_eq(promrw_batch_series(b), series);
    cr_assert_eq(promrw_batch_samples(b), samples);

    /* Later is fine: the same series get another sample. */
    cr_assert_eq(promrw_histogram_add(b, "lat", NULL, 0, &h, bounds, 2, 4000, &err), AIFB_OK);
    cr_assert_eq(promrw_batch_series(b), series);
    cr_assert_eq(promrw_batch_samples(b), samples + 5);
    promrw_batch_free(b);
    hist_free(&h);
}

Test(promrw_batch, empty_histogram_has_zero_counts)
{
    hist h = {0};
    promrw_batch *b = promrw_batch_new();
    aifb_err err = {0};
    double bounds[] = {0.5};
    cr_assert_eq(promrw_histogram_add(b, "lat", NULL, 0, &h, bounds, 1, 1000, &err), AIFB_OK);
    Prometheus__WriteRequest *req = t_roundtrip(b);
    cr_assert_eq(req->n_timeseries, 4);
    for (size_t i = 0; i < req->n_timeseries; i++)
        cr_assert_eq(req->timeseries[i]->samples[0]->value, 0);
    cr_assert_not_null(t_series(req, "lat_bucket", "le", "0.5"));
    prometheus__write_request__free_unpacked(req, NULL);
    promrw_batch_free(b);
}
