/* stats.h: what the requests of one phase add up to, and the metrics' definitions.
 *
 * Every duration is measured on CLOCK_MONOTONIC in nanoseconds, from two origins:
 *   intended  when the load model meant to send the request (open loop: its arrival time;
 *             closed loop: when its user became free)
 *   send      when aifb-loadgen handed it to the network
 * lag = send - intended is the client's own delay; a latency "from intended" includes it, so
 * queueing the server causes is seen even when the client had to hold requests back (coordinated
 * omission is shown, not hidden).
 *
 * Per request (streaming LLM workloads):
 *   ttft   send -> first chunk carrying generated content
 *   e2el   send -> last content chunk (non-streaming: send -> end of the response)
 *   tpot   (e2el - ttft) / (output_tokens - 1), requests with more than one output token (vLLM)
 *   icl    every gap between two successive content chunks as received (vLLM's "itl" list,
 *          AIPerf's ICL)
 *   itl    each such gap divided by the tokens the later chunk carried (tokens per chunk taken
 *          as output_tokens / content chunks): the time per token, equal to icl when every chunk
 *          holds one token
 *   ttft_intended, e2el_intended   the same from the intended time
 * Output tokens come from the server's usage (stream_options.include_usage), else from the count
 * of content chunks (result: output_tokens_source). Goodput counts completed requests meeting
 * every SLO given (ttft, tpot, e2el; tpot is met by requests of one token); failed requests never
 * count. */
#ifndef AIFB_LOADGEN_STATS_H
#define AIFB_LOADGEN_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/util.h"
#include "core/hist.h"
#include "loadgen/opts.h"

typedef enum lg_err_class {
    LG_ERR_CONNECT = 0, /* could not connect (refused, unreachable, DNS, TLS) */
    LG_ERR_TIMEOUT,     /* no complete answer within --timeout */
    LG_ERR_HTTP,        /* an HTTP status other than 2xx (counted per status too) */
    LG_ERR_RESET,       /* the connection broke during the exchange */
    LG_ERR_MALFORMED,   /* a body or event stream that is not what the API promises */
    LG_ERR_STREAM,      /* the server reported an error inside the stream */
    LG_ERR_OTHER,
    LG_NERR,
} lg_err_class;

const char *lg_err_class_name(lg_err_class c);

/* One finished request, as the engine saw it. */
typedef struct lg_done {
    uint64_t t_intended, t_send, t_first, t_last, t_end; /* ns; t_first/t_last 0: no content */
    int64_t input_tokens, output_tokens;
    bool tokens_from_usage;
    size_t content_chunks;
    const uint64_t *gaps; /* the gaps between successive content chunks (content_chunks - 1) */
    size_t ngaps;
    bool streamed;
    bool ok;
    lg_err_class err;
    int status; /* HTTP status, 0 when none */
} lg_done;

typedef enum lg_hist_id {
    LG_H_TTFT = 0,
    LG_H_TPOT,
    LG_H_ITL,
    LG_H_ICL,
    LG_H_E2EL,
    LG_H_TTFT_INTENDED,
    LG_H_E2EL_INTENDED,
    LG_H_LAG,
    LG_NHIST,
} lg_hist_id;

const char *lg_hist_name(lg_hist_id h);

typedef struct lg_stats {
    hist h[LG_NHIST];
    int64_t sent, completed, failed, good;
    int64_t errors[LG_NERR];
    int64_t status[600]; /* failed requests by HTTP status */
    int64_t input_tokens, output_tokens;
    int64_t tokens_from_chunks; /* completed requests whose output count came from chunks */
    double duration_s;          /* first send to last completion */
    double cpu_s;               /* the client's CPU (user + system) */
    char first_error[LG_NERR][160];
} lg_stats;

/* Adds one request. slos may be NULL. Returns whether it met every SLO. */
bool stats_add(lg_stats *s, const lg_done *d, const lg_slo *slos, size_t nslos);
/* Whether a completed request meets every SLO (tpot is met by a request of one token). */
bool stats_meets_slos(double ttft_ms, double tpot_ms, double e2el_ms, bool has_tpot,
                      const lg_slo *slos, size_t nslos);
/* dst += src; the duration is the longer of the two (tasks of one job run side by side). */
void stats_merge(lg_stats *dst, const lg_stats *src);
void stats_free(lg_stats *s);

/* The result fields of a phase, appended to an open JSON object (no braces), vLLM's names:
 * completed, failed, duration, total_input_tokens, total_output_tokens, request_throughput,
 * output_throughput, total_token_throughput, request_goodput, then for each metric M of
 * lg_hist_name: mean_M_ms, median_M_ms, std_M_ms, p90_M_ms, p95_M_ms, p99_M_ms, p99.9_M_ms (named
 * vLLM spells it), min_M_ms, max_M_ms; errors by class and status. */
void stats_json(const lg_stats *s, abuf *b);
/* The raw state (histograms, counters) as a JSON object, what `aifb-loadgen merge` reads back. */
void stats_raw_json(const lg_stats *s, abuf *b);
/* Reads stats_raw_json()'s object (a json_object *). False with why on a bad shape. */
bool stats_from_raw(lg_stats *s, const void *json, const char **why);

#endif
