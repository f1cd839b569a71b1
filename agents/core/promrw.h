/* promrw.h: pushing metrics to Prometheus by remote write 1.0, for the agents (aifb-loadgen, the
 * node monitor).
 *
 * Two parts. A promrw_batch gathers series (a metric name and labels) and their samples, checks
 * them against the rules of the Remote-Write 1.0 specification (metric and label names, sorted
 * labels with __name__, samples in time order) and encodes them as the request body: a protobuf
 * prometheus.WriteRequest (proto/prometheus/remote.proto), snappy-compressed in block format.
 * A promrw_sender owns one HTTP connection (libcurl) and a thread that POSTs the encoded batches
 * in the order they were submitted, so submitting never blocks the caller's event loop: a batch
 * is encoded and queued, the queue is bounded in bytes and drops its oldest batch when full.
 * 2xx is done; 5xx, 429 and connection errors are retried with exponential backoff and jitter, up
 * to a number of retries; any other status drops the batch with one log line naming the status
 * and the receiver's answer (retrying a request the receiver called invalid cannot succeed).
 *
 * Typical use, every few seconds from the agent's loop:
 *
 *     promrw_batch *b = promrw_batch_new();
 *     promrw_label common[] = {{"run_id", run_id}, {"phase", "steady"}};
 *     promrw_batch_const_labels(b, common, 2, &err);
 *     ...
 *     promrw_add(b, "aifb_requests_total", NULL, 0, (double)requests, now_ms, &err);
 *     promrw_histogram_add(b, "aifb_latency_seconds", NULL, 0, &h, bounds, nbounds, now_ms, &err);
 *     promrw_sender_submit(sender, b, &err);   // encoded and queued; b may be cleared and reused
 *     promrw_batch_clear(b);
 *     ...at the end: promrw_sender_flush(sender, 10000, &err); promrw_sender_free(sender);
 *
 * promrw.c holds the batch and its encoding, promrw_send.c the queue and the sender's thread,
 * promrw_http.c one POST and how its outcome is judged. */
#ifndef AIFB_AGENT_PROMRW_H
#define AIFB_AGENT_PROMRW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "core/hist.h"

/* ---- batches --------------------------------------------------------------------------------- */

/* One label of a series, as the caller gives it; both strings are copied by the batch. */
typedef struct promrw_label {
    const char *name;
    const char *value;
} promrw_label;

typedef struct promrw_batch promrw_batch;

/* An empty batch. Never NULL (aborts on out-of-memory, as xmalloc). */
promrw_batch *promrw_batch_new(void);
/* Frees the batch and everything in it. NULL is fine. */
void promrw_batch_free(promrw_batch *b);
/* Forgets every series and sample but keeps the constant labels and the memory, for the next
 * round. */
void promrw_batch_clear(promrw_batch *b);
/* How many series and samples the batch holds. */
size_t promrw_batch_series(const promrw_batch *b);
size_t promrw_batch_samples(const promrw_batch *b);

/* Labels added to every series added from now on (run_id, job, instance...), replacing any set
 * before; series already in the batch keep the labels they had. Checked as series labels are.
 * AIFB_EINVAL as for promrw_series_add, and nothing changes. */
aifb_code promrw_batch_const_labels(promrw_batch *b, const promrw_label *labels, size_t nlabels,
                                    aifb_err *err);

/* Adds the series named metric with the given labels (and the constant labels) and sets *series
 * to its index for promrw_sample_add; adding a series the batch already holds (same name, same
 * labels in any order) gives that series' index. The batch adds __name__ and sorts the labels by
 * name, as the specification requires. A label whose value is "" is left out (to Prometheus an
 * empty value and no label are the same). AIFB_EINVAL, naming what is wrong, and nothing added:
 * a metric name that is not [a-zA-Z_:][a-zA-Z0-9_:]*, a label name that is not
 * [a-zA-Z_][a-zA-Z0-9_]* or starts with "__" (reserved to Prometheus), a label given twice
 * (also when both a constant and a series label), a value that is not UTF-8. */
aifb_code promrw_series_add(promrw_batch *b, const char *metric, const promrw_label *labels,
                            size_t nlabels, size_t *series, aifb_err *err);

/* Appends a sample (a value at ts_ms, milliseconds since the Unix epoch) to a series. Samples of
 * one series must come in time order: AIFB_EINVAL when ts_ms is not after the series' last
 * sample, or for an unknown series index. A NaN value is sent as Prometheus' ordinary NaN, never
 * as the stale marker. */
aifb_code promrw_sample_add(promrw_batch *b, size_t series, double value, int64_t ts_ms,
                            aifb_err *err);
/* Appends Prometheus' stale marker at ts_ms: the series ends there (queries stop returning it),
 * as the specification asks of a sender when a series will no longer be appended to. Errors as
 * for promrw_sample_add. */
aifb_code promrw_stale_add(promrw_batch *b, size_t series, int64_t ts_ms, aifb_err *err);
/* promrw_series_add and promrw_sample_add in one call: the common case of one sample per series
 * per batch (a counter, a gauge). All or nothing. */
aifb_code promrw_add(promrw_batch *b, const char *metric, const promrw_label *labels,
                     size_t nlabels, double value, int64_t ts_ms, aifb_err *err);

/* Adds a classic Prometheus histogram from h, whose values are nanoseconds, all at ts_ms with the
 * same labels: metric_bucket{le="B"} for each boundary B of bounds_s (seconds, ascending, finite,
 * not negative) with the number of values at most B (hist_count_le, so to the histogram's
 * precision of 0.2%), metric_bucket{le="+Inf"} with every value, metric_sum in seconds and
 * metric_count. le is written as the shortest decimal that reads back as B ("0.005", "1", "2.5").
 * metric is the base name (aifb_request_latency_seconds). All or nothing: AIFB_EINVAL for bounds
 * that are not ascending, finite and non-negative, a label named le, and as for
 * promrw_series_add and promrw_sample_add. */
aifb_code promrw_histogram_add(promrw_batch *b, const char *metric, const promrw_label *labels,
                               size_t nlabels, const hist *h, const double *bounds_s,
                               size_t nbounds, int64_t ts_ms, aifb_err *err);

/* The request body for the batch: a prometheus.WriteRequest holding every series that has
 * samples, protobuf-encoded and snappy-compressed (block format). *body is malloc'd, the caller
 * frees it. AIFB_EINTERNAL only if snappy fails. */
aifb_code promrw_batch_encode(const promrw_batch *b, void **body, size_t *len, aifb_err *err);

/* ---- the sender ------------------------------------------------------------------------------ */

/* Why a batch that might still have been delivered was given up (see on_drop below). */
#define PROMRW_DROP_OVERFLOW "queue full"        /* the oldest batch, to make room */
#define PROMRW_DROP_RETRIES  "retries exhausted" /* 5xx, 429 or no connection, max_retries times */
#define PROMRW_DROP_STOPPED  "sender stopped" /* still queued or retrying at promrw_sender_free */

typedef struct promrw_sender_opts {
    /* Authorization: "Bearer <token>", or basic auth with a user and password; at most one of
     * the two. Never logged, never in an error message; wiped when the sender is freed. */
    const char *bearer_token;
    const char *basic_user;
    const char *basic_password;
    size_t queue_max_bytes; /* encoded batches waiting to be sent; 0: 8 MiB */
    int connect_timeout_ms; /* 0: 5000 */
    int timeout_ms;         /* one whole request; 0: 10000 */
    int backoff_min_ms;     /* wait before the first retry, doubled each time; 0: 100 */
    int backoff_max_ms;     /* the longest wait; 0: 5000. Each wait is drawn from [w/2, w]. */
    int max_retries;        /* of one batch before it is dropped; 0: 10; negative: no bound */
    /* Called with each batch given up for one of the PROMRW_DROP_* reasons (not for one the
     * receiver refused with a 4xx: sending it again could never succeed), with its encoded body
     * (valid during the call only) and sample count. This is where a disk spool plugs in: it
     * keeps the body and hands it back later with promrw_sender_submit_encoded. Runs on the
     * sender's thread or in promrw_sender_submit/free, never under the sender's lock; it must not
     * call promrw_sender_free. NULL: dropped batches are only counted. */
    void (*on_drop)(void *arg, const void *body, size_t len, size_t samples, const char *why);
    void *on_drop_arg;
} promrw_sender_opts;

/* What the sender has done so far (promrw_sender_stats). Counts are since promrw_sender_new. */
typedef struct promrw_stats {
    uint64_t batches_sent;    /* accepted by the receiver (2xx) */
    uint64_t samples_sent;    /* in those batches */
    uint64_t bytes_sent;      /* their request bodies, compressed, as sent */
    uint64_t retries;         /* requests repeated after a 5xx, a 429 or a connection error */
    uint64_t batches_dropped; /* refused (4xx), or given up (PROMRW_DROP_*) */
    uint64_t samples_dropped; /* in those batches */
    uint64_t batches_refused; /* of batches_dropped: those the receiver refused (4xx and others) */
    size_t queued_batches;    /* waiting now (not counting one being sent) */
    size_t queued_bytes;
    int last_status;       /* HTTP status of the last answer; 0 before any or after no answer */
    int64_t last_error_ms; /* when last_error happened (Unix epoch ms); 0: never */
    /* The last thing that went wrong, for people: "HTTP 400 from URL: <the receiver's answer>",
     * "URL unreachable: <libcurl's reason>", "queue full: dropped the oldest batch (N samples)".
     * Kept after later successes; "" until something goes wrong. */
    char last_error[320];
} promrw_stats;

typedef struct promrw_sender promrw_sender;

/* A sender to url ("http://prometheus:9090/api/v1/write", or https://), with its thread started;
 * nothing is sent yet, so this works while the receiver is down. opts may be NULL for the
 * defaults; its strings are copied. Requests go straight to the receiver (no proxy from the
 * environment: it would see the credentials). AIFB_EINVAL naming the problem: a URL that is not
 * http(s)://, one with user:password@ in it (use the options), both a token and basic auth, a
 * user without a password. AIFB_EINTERNAL if libcurl or the thread cannot be started. */
aifb_code promrw_sender_new(const char *url, const promrw_sender_opts *opts, promrw_sender **out,
                            aifb_err *err);

/* Encodes the batch and queues it for sending; returns at once (the batch is the caller's again,
 * to clear and reuse). A batch without samples is not sent. When the queue would outgrow
 * queue_max_bytes, the oldest waiting batches are dropped (counted, on_drop called, a warning
 * logged) to make room; a batch larger than the whole queue is itself dropped: AIFB_ERESOURCE.
 * AIFB_EINTERNAL as promrw_batch_encode. Thread-safe. */
aifb_code promrw_sender_submit(promrw_sender *s, const promrw_batch *b, aifb_err *err);
/* Queues a body promrw_batch_encode made (a spool handing back what on_drop gave it) with its
 * sample count; the body is copied. As promrw_sender_submit otherwise. */
aifb_code promrw_sender_submit_encoded(promrw_sender *s, const void *body, size_t len,
                                       size_t samples, aifb_err *err);

/* Waits until every batch submitted before the call has been sent or dropped, or timeout_ms
 * passes: AIFB_ETIMEOUT ("N batches still queued"). A dropped batch counts as done: read the
 * stats to know whether everything arrived. Thread-safe. */
aifb_code promrw_sender_flush(promrw_sender *s, int timeout_ms, aifb_err *err);

/* A copy of the sender's counters. Thread-safe. */
void promrw_sender_stats(promrw_sender *s, promrw_stats *out);

/* Stops the thread (a request under way is abandoned, a backoff wait cut short), drops what is
 * still queued (PROMRW_DROP_STOPPED, with a warning naming how many samples were not sent) and
 * frees the sender. Call promrw_sender_flush first to send what is queued. NULL is fine. */
void promrw_sender_free(promrw_sender *s);

#endif
