/* records.h: plain records shared by the store, the recipes and the API layer.
 *
 * kv holds a parameter's name and value in text form; metric one figure of a result summary.
 * Arrays of them are malloc'd and freed with the functions below (each frees its strings). */
#ifndef AIFB_RECORDS_H
#define AIFB_RECORDS_H

#include <stddef.h>

typedef struct kv {
    char *name;
    char *value;
} kv;

typedef struct metric {
    char *name; /* snake_case, unit as suffix where there is one: "get_rps", "p99_latency_ms" */
    double value;
    char *unit; /* "ops/s", "ms", "count" */
} metric;

void kv_array_free(kv *a, size_t n);
void metric_array_free(metric *a, size_t n);
/* Deep copies (NULL for n == 0). */
kv *kv_array_dup(const kv *a, size_t n);
metric *metric_array_dup(const metric *a, size_t n);

#endif
