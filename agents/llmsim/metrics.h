/* metrics.h: what aifb-llmsim counts, and its /metrics page in Prometheus text format 0.0.4.
 *
 * The names, types and histogram buckets are vLLM's (vllm/v1/metrics/loggers.py), each series
 * labelled model_name="MODEL", so a dashboard or scraper written for vLLM reads the simulator
 * unchanged; the injected faults are counted under aifb_llmsim_* names. Plain counters: the server
 * is single-threaded. */
#ifndef AIFB_LLMSIM_METRICS_H
#define AIFB_LLMSIM_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "common/util.h"

#define PROM_MAX_BUCKETS 24

typedef struct prom_hist {
    const double *bounds; /* upper bounds in seconds, increasing; +Inf is implied */
    size_t n;
    uint64_t counts[PROM_MAX_BUCKETS + 1]; /* per bucket, not cumulative; [n] is +Inf */
    uint64_t count;
    double sum;
} prom_hist;

typedef enum llmsim_fault {
    FAULT_ERROR = 0,
    FAULT_RATE_LIMIT,
    FAULT_RESET,
    FAULT_MALFORMED,
    FAULT_HANG,
    FAULT_SLOW_HEADERS,
    FAULT_COUNT,
} llmsim_fault;

typedef struct llmsim_metrics {
    prom_hist ttft, itl, e2e, queue;
    uint64_t prompt_tokens, generation_tokens, success;
    uint64_t faults[FAULT_COUNT];
    uint64_t queue_full;   /* answered 503: the queue was at --max-queue */
    uint64_t aborted;      /* the client went away before its answer was complete */
    uint64_t bad_requests; /* answered 4xx for what the request said */
} llmsim_metrics;

void metrics_init(llmsim_metrics *m);
void metrics_observe(prom_hist *h, double seconds);
/* n observations of the same value at once. */
void metrics_observe_n(prom_hist *h, double seconds, uint64_t n);
const char *metrics_fault_name(llmsim_fault f);
/* Appends the whole page; running and waiting are the gauges' current values. */
void metrics_render(const llmsim_metrics *m, const char *model, uint64_t running, uint64_t waiting,
                    abuf *out);

#endif
