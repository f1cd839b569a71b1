/* hist.h: a log-linear histogram of non-negative integers (latencies in nanoseconds), written in
 * the manner of HdrHistogram: exact below 1,024, then 512 linear buckets per power of two, so any
 * recorded value is known to within 0.2% (a percentile is reported at its bucket's middle, within
 * 0.1%), from one nanosecond to centuries, in at most 28,672 counters allocated as values arrive.
 *
 * Two histograms merge exactly (the layout never changes), which is how the results of several
 * aifb-loadgen tasks of one Slurm job become one result: the merged percentiles are those of one
 * histogram that had recorded every value. Count, min, max and the sum are exact; the standard
 * deviation comes from an exact sum and a floating sum of squares. */
#ifndef AIFB_AGENT_HIST_H
#define AIFB_AGENT_HIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HIST_SUB_BITS 10 /* exact below 2^10; 2^9 buckets per doubling above */
#define HIST_MAX_BUCKETS                                                                           \
    ((64 - HIST_SUB_BITS + 1) * (1u << (HIST_SUB_BITS - 1)) + (1u << (HIST_SUB_BITS - 1)))

typedef struct hist {
    uint64_t *counts; /* counts[i] for bucket i; len grows to the highest bucket used */
    size_t len;
    uint64_t total;
    uint64_t min, max;
    uint64_t sum; /* exact; wraps only past 584 years of nanoseconds */
    double sumsq;
} hist;

/* A hist is ready when zero-initialised: hist h = {0}. */
void hist_record(hist *h, uint64_t value);
void hist_record_n(hist *h, uint64_t value, uint64_t n);
/* Adds every count of src to dst. */
void hist_merge(hist *dst, const hist *src);
void hist_reset(hist *h);
void hist_free(hist *h);

/* The value at percentile p (0..100): the middle of the bucket holding the ceil(p% * total)-th
 * smallest value, clamped to [min, max]; 0 for an empty histogram. */
double hist_percentile(const hist *h, double p);
double hist_mean(const hist *h);
/* Population standard deviation (as numpy.std, which vLLM's bench reports). */
double hist_stddev(const hist *h);
/* How many recorded values are at most v, to the bucket's precision (buckets whose lowest value is
 * at most v count whole): the cumulative count of a Prometheus bucket with le = v. */
uint64_t hist_count_le(const hist *h, uint64_t v);

/* The bucket a value falls in, and the range [lo, lo + width) of a bucket. */
size_t hist_bucket_of(uint64_t value);
void hist_bucket_range(size_t bucket, uint64_t *lo, uint64_t *width);

/* The histogram as JSON text: {"sub_bucket_bits":10,"total":..,"min":..,"max":..,"sum":..,
 * "sumsq":..,"buckets":[[index,count],...]} with only the buckets that are not empty. */
char *hist_to_json(const hist *h);
/* Reads what hist_to_json() wrote (from a parsed json-c object: struct json_object *). False with a
 * message in why (a static string) when it does not have that shape. */
bool hist_from_json(hist *h, const void *json_object, const char **why);

#endif
