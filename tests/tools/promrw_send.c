/* promrw_send.c: a test driver for the remote write sender (agents/core/promrw.h). It pushes one
 * batch to a receiver: a counter PREFIX_requests_total, a gauge PREFIX_inflight and a histogram
 * PREFIX_latency_seconds built from the latencies given, all labelled run_id and phase, then
 * flushes and prints the sender's counters as one JSON object, so a test can compare what it
 * asked for with what Prometheus stores.
 *
 *   promrw_send --url http://127.0.0.1:9090/api/v1/write --run-id r-1 --phase steady \
 *               --counter 42 --gauge 7.5 --latencies-ms 3,12,80 --bounds 0.005,0.01,0.1
 *
 * Exit status: 0 once the batch is sent or dropped (the counters say which), 1 when the flush
 * times out or the sender cannot be made, 2 for a usage error. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "core/promrw.h"

typedef struct args {
    const char *url, *run_id, *phase, *prefix, *token;
    double counter, gauge;
    double latencies[256], bounds[64];
    size_t nlatencies, nbounds;
    int64_t ts_ms;
    int max_retries, flush_ms;
} args;

/* Reads "a,b,c" into out; false (with a message) for anything that is not a number. */
static bool parse_list(const char *what, const char *s, double *out, size_t max, size_t *n)
{
    *n = 0;
    while (*s) {
        char *end;
        double v = strtod(s, &end);
        if (end == s || (*end && *end != ',') || *n == max) {
            fprintf(stderr, "promrw_send: --%s: '%s' is not a list of at most %zu numbers\n", what,
                    s, max);
            return false;
        }
        out[(*n)++] = v;
        s = *end ? end + 1 : end;
    }
    return true;
}

static int usage(void)
{
    fprintf(stderr, "usage: promrw_send --url URL --run-id ID --phase PHASE [--counter V] "
                    "[--gauge V] [--latencies-ms A,B,..] [--bounds S1,S2,..] [--timestamp-ms T] "
                    "[--prefix NAME] [--bearer-token T] [--max-retries N] [--flush-ms MS]\n");
    return 2;
}

static int parse_args(int argc, char **argv, args *a)
{
    static const struct option opts[] = {{"url", required_argument, 0, 'u'},
                                         {"run-id", required_argument, 0, 'r'},
                                         {"phase", required_argument, 0, 'p'},
                                         {"counter", required_argument, 0, 'c'},
                                         {"gauge", required_argument, 0, 'g'},
                                         {"latencies-ms", required_argument, 0, 'l'},
                                         {"bounds", required_argument, 0, 'b'},
                                         {"timestamp-ms", required_argument, 0, 't'},
                                         {"prefix", required_argument, 0, 'x'},
                                         {"bearer-token", required_argument, 0, 'k'},
                                         {"max-retries", required_argument, 0, 'm'},
                                         {"flush-ms", required_argument, 0, 'f'},
                                         {0, 0, 0, 0}};
    *a = (args){.prefix = "aifb_test", .counter = 1, .max_retries = 3, .flush_ms = 20000};
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'u':
            a->url = optarg;
            break;
        case 'r':
            a->run_id = optarg;
            break;
        case 'p':
            a->phase = optarg;
            break;
        case 'c':
            a->counter = strtod(optarg, NULL);
            break;
        case 'g':
            a->gauge = strtod(optarg, NULL);
            break;
        case 'l':
            if (!parse_list("latencies-ms", optarg, a->latencies, 256, &a->nlatencies))
                return 2;
            break;
        case 'b':
            if (!parse_list("bounds", optarg, a->bounds, 64, &a->nbounds))
                return 2;
            break;
        case 't':
            a->ts_ms = strtoll(optarg, NULL, 10);
            break;
        case 'x':
            a->prefix = optarg;
            break;
        case 'k':
            a->token = optarg;
            break;
        case 'm':
            a->max_retries = atoi(optarg);
            break;
        case 'f':
            a->flush_ms = atoi(optarg);
            break;
        default:
            return usage();
        }
    }
    if (!a->url || !a->run_id || !a->phase || optind != argc)
        return usage();
    if (!a->ts_ms)
        a->ts_ms = aifb_now_ms();
    return 0;
}

/* The three metrics of the driver, in one batch. */
static aifb_code fill(promrw_batch *b, const args *a, aifb_err *err)
{
    promrw_label ls[] = {{"run_id", a->run_id}, {"phase", a->phase}};
    char name[200];
    snprintf(name, sizeof name, "%s_requests_total", a->prefix);
    aifb_code rc = promrw_add(b, name, ls, 2, a->counter, a->ts_ms, err);
    snprintf(name, sizeof name, "%s_inflight", a->prefix);
    if (rc == AIFB_OK)
        rc = promrw_add(b, name, ls, 2, a->gauge, a->ts_ms, err);
    hist h = {0};
    for (size_t i = 0; i < a->nlatencies; i++)
        hist_record(&h, (uint64_t)llround(a->latencies[i] * 1e6));
    snprintf(name, sizeof name, "%s_latency_seconds", a->prefix);
    if (rc == AIFB_OK)
        rc = promrw_histogram_add(b, name, ls, 2, &h, a->bounds, a->nbounds, a->ts_ms, err);
    hist_free(&h);
    return rc;
}

static void print_stats(const promrw_stats *st, int64_t ts_ms)
{
    abuf out = {0};
    abuf_printf(&out,
                "{\"timestamp_ms\":%lld,\"batches_sent\":%llu,\"samples_sent\":%llu,"
                "\"bytes_sent\":%llu,\"retries\":%llu,\"batches_dropped\":%llu,"
                "\"batches_refused\":%llu,\"last_status\":%d,\"last_error\":",
                (long long)ts_ms, (unsigned long long)st->batches_sent,
                (unsigned long long)st->samples_sent, (unsigned long long)st->bytes_sent,
                (unsigned long long)st->retries, (unsigned long long)st->batches_dropped,
                (unsigned long long)st->batches_refused, st->last_status);
    abuf_json_str(&out, st->last_error);
    abuf_puts(&out, "}\n");
    fputs(out.p, stdout);
    abuf_free(&out);
}

int main(int argc, char **argv)
{
    args a;
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc;
    aifb_err err = {0};
    promrw_batch *b = promrw_batch_new();
    if (fill(b, &a, &err) != AIFB_OK) {
        fprintf(stderr, "promrw_send: %s\n", err.msg);
        promrw_batch_free(b);
        return 2;
    }
    promrw_sender_opts o = {.bearer_token = a.token, .max_retries = a.max_retries};
    promrw_sender *s = NULL;
    if (promrw_sender_new(a.url, &o, &s, &err) != AIFB_OK ||
        promrw_sender_submit(s, b, &err) != AIFB_OK ||
        promrw_sender_flush(s, a.flush_ms, &err) != AIFB_OK) {
        fprintf(stderr, "promrw_send: %s\n", err.msg);
        rc = 1;
    }
    if (s) {
        promrw_stats st;
        promrw_sender_stats(s, &st);
        print_stats(&st, a.ts_ms);
    }
    promrw_sender_free(s);
    promrw_batch_free(b);
    return rc;
}
