/* cmd_watch.c: `watch ADDR --service S --recipe R [--subscribers 100] [--events N] [--rate 50]`:
 * Watch fanned out to many subscribers while runs cause events.
 *
 * The steps, and why:
 *   1. Every subscriber opens Watch from the current last seq, each on its own thread (a
 *      blocking stream per subscriber: 100 streams in flight).
 *   2. A warm-up run is started and each subscriber must receive an event of it: then every
 *      stream is known to be live, whatever the order the threads got connected in.
 *   3. Once idle, the last seq is the base; runs are started at --rate per second until about N
 *      events (the warm-up run says how many events one run makes), and once every run ended the
 *      last seq is the target. Every event in (base, target] counts.
 *   4. Each subscriber records how many of them it received, the sum of their seqs, and for each
 *      the delivery latency: the receipt time minus the event's time_ms (same machine, same
 *      clock; time_ms has a resolution of 1 ms).
 *   5. A fresh Watch replaying (base, target] gives the reference count and sum; a subscriber
 *      "got every event" when both match. One more run then releases the streams (each ends at
 *      its first event past the target). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "common/util.h"

typedef struct watch_bench watch_bench;

typedef struct watch_sub {
    watch_bench *wb;
    pthread_t tid;
    atomic_ullong max_seq;
    atomic_long seen; /* every event, counted or not */
    long counted;
    uint64_t sum;
    bench_samples lat_ms;
    aifb_code rc;
    aifb_err err;
} watch_sub;

struct watch_bench {
    rpc_client *c;
    const char *recipe, *service;
    uint64_t from_seq;          /* where the subscribers start */
    atomic_ullong base, target; /* 0 until known */
    int stream_timeout_ms;
};

static bool watch_on_event(void *user, const ProtobufCMessage *msg)
{
    watch_sub *s = user;
    const Aifb__V1__Event *e = (const void *)msg;
    double now_ms = (double)aifb_now_ms();
    uint64_t base = atomic_load(&s->wb->base), target = atomic_load(&s->wb->target);
    if (target && e->seq > target)
        return false; /* the release run: the measurement is over */
    if (base && e->seq > base) {
        s->counted++;
        s->sum += e->seq;
        bench_samples_add(&s->lat_ms, now_ms - (double)e->time_ms);
    }
    if (e->seq > atomic_load(&s->max_seq))
        atomic_store(&s->max_seq, e->seq);
    atomic_fetch_add(&s->seen, 1);
    return true;
}

static void *watch_sub_main(void *arg)
{
    watch_sub *s = arg;
    Aifb__V1__WatchRequest req = AIFB__V1__WATCH_REQUEST__INIT;
    req.after_seq = s->wb->from_seq;
    s->rc =
        rpc_client_stream(s->wb->c, BENCH_METHOD("Watch"), &req.base, &aifb__v1__event__descriptor,
                          watch_on_event, s, s->wb->stream_timeout_ms, &s->err);
    return NULL;
}

static void watch_pause_s(double s)
{
    struct timespec t = {.tv_sec = (time_t)s, .tv_nsec = (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&t, NULL);
}

/* Waits until every subscriber has seen at least one event and max_seq >= seq. */
static aifb_code watch_wait_subs(watch_sub *subs, int n, uint64_t seq, double timeout_s,
                                 aifb_err *err)
{
    double end = bench_now_s() + timeout_s;
    for (;;) {
        int behind = 0;
        for (int i = 0; i < n; i++)
            behind += atomic_load(&subs[i].seen) == 0 || atomic_load(&subs[i].max_seq) < seq;
        if (!behind)
            return AIFB_OK;
        if (bench_now_s() > end)
            return aifb_err_set(err, AIFB_ETIMEOUT,
                                "%d of %d subscribers had not received event %llu after %.0f s",
                                behind, n, (unsigned long long)seq, timeout_s);
        watch_pause_s(0.02);
    }
}

/* The reference: every event in (base, target] as one fresh subscriber replays them. */
typedef struct watch_ref {
    uint64_t target, sum;
    long count;
} watch_ref;

static bool watch_ref_on_event(void *user, const ProtobufCMessage *msg)
{
    watch_ref *r = user;
    const Aifb__V1__Event *e = (const void *)msg;
    if (e->seq > r->target)
        return false;
    r->count++;
    r->sum += e->seq;
    return e->seq < r->target;
}

static aifb_code watch_reference(watch_bench *wb, watch_ref *ref, aifb_err *err)
{
    Aifb__V1__WatchRequest req = AIFB__V1__WATCH_REQUEST__INIT;
    req.after_seq = atomic_load(&wb->base);
    ref->target = atomic_load(&wb->target);
    ref->count = 0;
    ref->sum = 0;
    return rpc_client_stream(wb->c, BENCH_METHOD("Watch"), &req.base, &aifb__v1__event__descriptor,
                             watch_ref_on_event, ref, 30000, err);
}

/* Steps 2 and 3: warm-up, then about `events` events at `rate` runs per second. */
static aifb_code watch_cause_events(watch_bench *wb, watch_sub *subs, int n, long events, long rate,
                                    long *runs, aifb_err *err)
{
    uint64_t seq0 = wb->from_seq, seq1;
    if (bench_start_run(wb->c, wb->recipe, wb->service, NULL, err) ||
        bench_wait_idle(wb->c, 60, err) || bench_get_info(wb->c, &seq1, NULL, err) ||
        watch_wait_subs(subs, n, seq1, 30, err))
        return err->code;
    atomic_store(&wb->base, seq1);
    long per_run = seq1 > seq0 ? (long)(seq1 - seq0) : 1;
    *runs = (events + per_run - 1) / per_run;
    for (long i = 0; i < *runs; i++) {
        if (bench_start_run(wb->c, wb->recipe, wb->service, NULL, err))
            return err->code;
        watch_pause_s(1.0 / (double)rate);
    }
    uint64_t target;
    if (bench_wait_idle(wb->c, 120, err) || bench_get_info(wb->c, &target, NULL, err))
        return err->code;
    atomic_store(&wb->target, target);
    return watch_wait_subs(subs, n, target, 30, err);
}

static void watch_report(watch_bench *wb, watch_sub *subs, int n, long runs, const watch_ref *ref)
{
    bench_samples all = {0};
    int complete = 0;
    for (int i = 0; i < n; i++) {
        complete += subs[i].counted == ref->count && subs[i].sum == ref->sum;
        bench_samples_merge(&all, &subs[i].lat_ms);
    }
    printf("watch subscribers=%d events=%ld runs=%ld complete=%d delivered=%zu p50_ms=%.1f "
           "p99_ms=%.1f max_ms=%.1f\n",
           n, ref->count, runs, complete, all.n, bench_samples_quantile(&all, 0.5),
           bench_samples_quantile(&all, 0.99), bench_samples_quantile(&all, 1.0));
    if (complete < n)
        printf("note: watch: %d of %d subscribers missed events of (%llu, %llu]\n", n - complete, n,
               (unsigned long long)atomic_load(&wb->base),
               (unsigned long long)atomic_load(&wb->target));
    bench_samples_free(&all);
}

/* Steps 4 and 5 after the subscribers are running; always releases and joins them. */
static int watch_measure(watch_bench *wb, watch_sub *subs, int n, long events, long rate)
{
    aifb_err err = {0};
    long runs = 0;
    watch_ref ref = {0};
    aifb_code rc = watch_cause_events(wb, subs, n, events, rate, &runs, &err);
    if (rc == AIFB_OK)
        rc = watch_reference(wb, &ref, &err);
    if (!atomic_load(&wb->target))
        atomic_store(&wb->target, 1); /* a failure before the target: end at the next event */
    aifb_err release_err = {0};
    if (bench_start_run(wb->c, wb->recipe, wb->service, NULL, &release_err) && rc == AIFB_OK)
        rc = aifb_err_set(&err, release_err.code, "releasing the subscribers: %s", release_err.msg);
    for (int i = 0; i < n; i++)
        pthread_join(subs[i].tid, NULL);
    for (int i = 0; rc == AIFB_OK && i < n; i++)
        if (subs[i].rc != AIFB_OK)
            rc = aifb_err_set(&err, subs[i].rc, "subscriber %d: %s", i, subs[i].err.msg);
    if (rc == AIFB_OK)
        watch_report(wb, subs, n, runs, &ref);
    bench_wait_idle(wb->c, 60, NULL);
    return rc == AIFB_OK ? 0 : bench_fail("watch", &err);
}

static int watch_run(int argc, char **argv)
{
    static const char *const known[] = {"--service", "--recipe", "--subscribers",
                                        "--events",  "--rate",   NULL};
    bench_args a;
    aifb_err err = {0};
    long nsubs, events, rate;
    watch_bench wb = {.stream_timeout_ms = 600000};
    if (bench_args_check(&a, argc, argv, 1, known, &err) ||
        bench_arg_int(&a, "--subscribers", 100, 1, 1000, &nsubs, &err) ||
        bench_arg_int(&a, "--events", 1000, 1, 1000000, &events, &err) ||
        bench_arg_int(&a, "--rate", 50, 1, 10000, &rate, &err))
        return bench_fail("watch", &err);
    wb.recipe = bench_arg_str(&a, "--recipe", NULL);
    wb.service = bench_arg_str(&a, "--service", "");
    if (!wb.recipe) {
        aifb_err_set(&err, AIFB_EINVAL, "--recipe is required (a cheap client recipe)");
        return bench_fail("watch", &err);
    }
    if (rpc_client_new(bench_arg_pos(&a, 0), NULL, &wb.c, &err) ||
        bench_wait_idle(wb.c, 60, &err) || bench_get_info(wb.c, &wb.from_seq, NULL, &err)) {
        rpc_client_free(wb.c);
        return bench_fail("watch", &err);
    }
    watch_sub *subs = xcalloc((size_t)nsubs, sizeof *subs);
    for (long i = 0; i < nsubs; i++) {
        subs[i].wb = &wb;
        pthread_create(&subs[i].tid, NULL, watch_sub_main, &subs[i]);
    }
    int status = watch_measure(&wb, subs, (int)nsubs, events, rate);
    for (long i = 0; i < nsubs; i++)
        bench_samples_free(&subs[i].lat_ms);
    free(subs);
    rpc_client_free(wb.c);
    return status;
}

const bench_cmd bench_cmd_watch = {
    .name = "watch",
    .usage = "ADDR --recipe R [--service ID] [--subscribers 100] [--events 1000] [--rate 50]",
    .about = "Watch fan-out: every subscriber gets every event; delivery latency p50/p99",
    .run = watch_run,
};
