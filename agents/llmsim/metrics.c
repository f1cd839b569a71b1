/* metrics.c: the counters and histograms of aifb-llmsim and their text rendering (see metrics.h).
 *
 * Bucket bounds are copied from vLLM's Prometheus logger: TTFT from 1 ms to 2560 s, inter-token
 * latency from 10 ms to 80 s, end-to-end and queue time from 0.3 s to 7680 s. Counter families
 * carry their _total suffix in # TYPE lines, as the Python client that vLLM uses writes them. */
#include "llmsim/metrics.h"

#include <string.h>

static const double TTFT_BOUNDS[] = {0.001, 0.005, 0.01, 0.02,  0.04,  0.06,  0.08, 0.1,
                                     0.25,  0.5,   0.75, 1.0,   2.5,   5.0,   7.5,  10.0,
                                     20.0,  40.0,  80.0, 160.0, 640.0, 2560.0};
static const double ITL_BOUNDS[] = {0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2,  0.3,  0.4, 0.5,
                                    0.75, 1.0,   2.5,  5.0,   7.5, 10.0, 20.0, 40.0, 80.0};
static const double REQUEST_BOUNDS[] = {0.3,  0.5,   0.8,   1.0,   1.5,   2.0,    2.5,
                                        5.0,  10.0,  15.0,  20.0,  30.0,  40.0,   50.0,
                                        60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void hist_init(prom_hist *h, const double *bounds, size_t n)
{
    memset(h, 0, sizeof *h);
    h->bounds = bounds;
    h->n = n;
}

void metrics_init(llmsim_metrics *m)
{
    memset(m, 0, sizeof *m);
    hist_init(&m->ttft, TTFT_BOUNDS, COUNT(TTFT_BOUNDS));
    hist_init(&m->itl, ITL_BOUNDS, COUNT(ITL_BOUNDS));
    hist_init(&m->e2e, REQUEST_BOUNDS, COUNT(REQUEST_BOUNDS));
    hist_init(&m->queue, REQUEST_BOUNDS, COUNT(REQUEST_BOUNDS));
}

void metrics_observe_n(prom_hist *h, double seconds, uint64_t n)
{
    size_t i = 0;
    while (i < h->n && seconds > h->bounds[i])
        i++;
    h->counts[i] += n;
    h->count += n;
    h->sum += seconds * (double)n;
}

void metrics_observe(prom_hist *h, double seconds)
{
    metrics_observe_n(h, seconds, 1);
}

const char *metrics_fault_name(llmsim_fault f)
{
    static const char *const names[FAULT_COUNT] = {"error",     "rate_limit", "reset",
                                                   "malformed", "hang",       "slow_headers"};
    return (unsigned)f < FAULT_COUNT ? names[f] : "?";
}

static void family(abuf *o, const char *name, const char *type, const char *help)
{
    abuf_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void put_hist(abuf *o, const char *name, const char *help, const prom_hist *h,
                     const char *label)
{
    family(o, name, "histogram", help);
    uint64_t cum = 0;
    for (size_t i = 0; i <= h->n; i++) {
        cum += h->counts[i];
        if (i < h->n)
            abuf_printf(o, "%s_bucket{le=\"%g\",%s} %llu\n", name, h->bounds[i], label,
                        (unsigned long long)cum);
        else
            abuf_printf(o, "%s_bucket{le=\"+Inf\",%s} %llu\n", name, label,
                        (unsigned long long)cum);
    }
    abuf_printf(o, "%s_sum{%s} %.9g\n%s_count{%s} %llu\n", name, label, h->sum, name, label,
                (unsigned long long)h->count);
}

static void put_scalar(abuf *o, const char *name, const char *type, const char *help,
                       const char *label, uint64_t v)
{
    family(o, name, type, help);
    abuf_printf(o, "%s{%s} %llu\n", name, label, (unsigned long long)v);
}

/* model_name="..." with the label value escaped as the text format requires. */
static void model_label(abuf *o, const char *model)
{
    abuf_puts(o, "model_name=\"");
    for (const char *c = model; *c; c++) {
        if (*c == '\\' || *c == '"')
            abuf_putc(o, '\\');
        if (*c == '\n')
            abuf_puts(o, "\\n");
        else
            abuf_putc(o, *c);
    }
    abuf_putc(o, '"');
}

void metrics_render(const llmsim_metrics *m, const char *model, uint64_t running, uint64_t waiting,
                    abuf *out)
{
    abuf lb = {0};
    model_label(&lb, model);
    const char *l = lb.p;
    put_scalar(out, "vllm:num_requests_running", "gauge",
               "Number of requests in model execution batches.", l, running);
    put_scalar(out, "vllm:num_requests_waiting", "gauge",
               "Number of requests waiting to be processed.", l, waiting);
    put_scalar(out, "vllm:prompt_tokens_total", "counter", "Number of prefill tokens processed.", l,
               m->prompt_tokens);
    put_scalar(out, "vllm:generation_tokens_total", "counter",
               "Number of generation tokens processed.", l, m->generation_tokens);
    family(out, "vllm:request_success_total", "counter",
           "Count of successfully processed requests.");
    abuf_printf(out, "vllm:request_success_total{finished_reason=\"length\",%s} %llu\n", l,
                (unsigned long long)m->success);
    put_hist(out, "vllm:time_to_first_token_seconds",
             "Histogram of time to first token in seconds.", &m->ttft, l);
    put_hist(out, "vllm:inter_token_latency_seconds",
             "Histogram of inter-token latency in seconds.", &m->itl, l);
    put_hist(out, "vllm:time_per_output_token_seconds",
             "Histogram of time per output token in seconds (the same observations as "
             "vllm:inter_token_latency_seconds).",
             &m->itl, l);
    put_hist(out, "vllm:e2e_request_latency_seconds",
             "Histogram of e2e request latency in seconds.", &m->e2e, l);
    put_hist(out, "vllm:request_queue_time_seconds",
             "Histogram of time spent in WAITING phase for request.", &m->queue, l);
    family(out, "aifb_llmsim_injected_faults_total", "counter",
           "Faults injected by aifb-llmsim, by kind.");
    for (int f = 0; f < FAULT_COUNT; f++)
        abuf_printf(out, "aifb_llmsim_injected_faults_total{kind=\"%s\",%s} %llu\n",
                    metrics_fault_name((llmsim_fault)f), l, (unsigned long long)m->faults[f]);
    put_scalar(out, "aifb_llmsim_queue_full_total", "counter",
               "Requests answered 503 because the queue was full.", l, m->queue_full);
    put_scalar(out, "aifb_llmsim_aborted_total", "counter",
               "Requests whose client went away before the answer was complete.", l, m->aborted);
    put_scalar(out, "aifb_llmsim_bad_requests_total", "counter",
               "Requests answered 4xx for what they asked (not injected faults).", l,
               m->bad_requests);
    abuf_free(&lb);
}
