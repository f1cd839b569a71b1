/* push.c: live metrics by Prometheus remote write (see push.h). */
#include "loadgen/push.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/promrw.h"

struct lg_push {
    const lg_opts *o;
    promrw_sender *sender;
    promrw_batch *batch;
    uint64_t last_ns;
    int64_t last_ts;
};

/* Latency buckets in seconds: vLLM's TTFT buckets, which also suit TPOT, ITL and E2EL. */
static const double bounds[] = {0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1,  0.25, 0.5,
                                0.75,  1.0,   2.5,  5.0,  7.5,  10.0, 20.0, 40.0, 80.0, 160.0};
#define NBOUNDS (sizeof bounds / sizeof bounds[0])

static const struct {
    lg_hist_id id;
    const char *name;
} pushed_hists[] = {
    {LG_H_TTFT, "aifb_loadgen_ttft_seconds"},
    {LG_H_TPOT, "aifb_loadgen_tpot_seconds"},
    {LG_H_ITL, "aifb_loadgen_itl_seconds"},
    {LG_H_E2EL, "aifb_loadgen_e2el_seconds"},
    {LG_H_E2EL_INTENDED, "aifb_loadgen_e2el_intended_seconds"},
    {LG_H_LAG, "aifb_loadgen_lag_seconds"},
};

lg_push *push_new(const lg_opts *o, aifb_err *err)
{
    if (!o->remote_write)
        return NULL;
    lg_push *p = xcalloc(1, sizeof *p);
    p->o = o;
    if (promrw_sender_new(o->remote_write, NULL, &p->sender, err)) {
        free(p);
        return NULL;
    }
    p->batch = promrw_batch_new();
    /* Labels of every series: the run, the task, and the user's. */
    promrw_label labels[35];
    size_t n = 0;
    char task[16];
    snprintf(task, sizeof task, "%d", o->task_id);
    labels[n++] = (promrw_label){"run_id", o->run_id ? o->run_id : ""};
    labels[n++] = (promrw_label){"task", task};
    labels[n++] = (promrw_label){"role", "client"};
    char *copies[32] = {0};
    size_t nc = 0;
    for (char **l = o->labels; l && *l && nc < 32; l++) {
        copies[nc] = xstrdup(*l);
        char *eq = strchr(copies[nc], '=');
        *eq = '\0';
        labels[n++] = (promrw_label){copies[nc], eq + 1};
        nc++;
    }
    /* aifbd names the run's recipe for every role; a --label recipe=... wins. */
    const char *recipe = getenv("AIFB_RECIPE");
    bool own_recipe = false;
    for (size_t i = 3; i < n; i++)
        own_recipe |= !strcmp(labels[i].name, "recipe");
    if (recipe && *recipe && !own_recipe)
        labels[n++] = (promrw_label){"recipe", recipe};
    aifb_code rc = promrw_batch_const_labels(p->batch, labels, n, err);
    for (size_t i = 0; i < nc; i++)
        free(copies[i]);
    if (rc) {
        push_free(p);
        return NULL;
    }
    return p;
}

static int64_t wall_ms(lg_push *p)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    if (ms <= p->last_ts) /* samples of a series must move forward */
        ms = p->last_ts + 1;
    p->last_ts = ms;
    return ms;
}

static void add_phase(lg_push *p, const lg_phase *ph, int in_flight, int64_t held, int64_t ts)
{
    const lg_stats *s = &ph->st;
    promrw_label l[2] = {{"phase", ph->name}, {NULL, NULL}};
    struct {
        const char *name;
        double v;
    } one[] = {
        {"aifb_loadgen_requests_sent_total", (double)s->sent},
        {"aifb_loadgen_requests_completed_total", (double)s->completed},
        {"aifb_loadgen_requests_good_total", (double)s->good},
        {"aifb_loadgen_input_tokens_total", (double)s->input_tokens},
        {"aifb_loadgen_output_tokens_total", (double)s->output_tokens},
        {"aifb_loadgen_target_rate_requests_per_second", ph->open ? ph->rate : 0},
        {"aifb_loadgen_concurrency", (double)ph->concurrency},
        {"aifb_loadgen_in_flight", (double)in_flight},
        {"aifb_loadgen_held_back", (double)held},
    };
    for (size_t i = 0; i < sizeof one / sizeof one[0]; i++)
        promrw_add(p->batch, one[i].name, l, 1, one[i].v, ts, NULL);
    for (int c = 0; c < LG_NERR; c++) {
        l[1] = (promrw_label){"error_class", lg_err_class_name((lg_err_class)c)};
        promrw_add(p->batch, "aifb_loadgen_requests_failed_total", l, 2, (double)s->errors[c], ts,
                   NULL);
    }
    for (size_t i = 0; i < sizeof pushed_hists / sizeof pushed_hists[0]; i++)
        promrw_histogram_add(p->batch, pushed_hists[i].name, l, 1, &s->h[pushed_hists[i].id],
                             bounds, NBOUNDS, ts, NULL);
}

static void submit(lg_push *p)
{
    aifb_err err = {0};
    if (promrw_sender_submit(p->sender, p->batch, &err) && !p->o->quiet)
        fprintf(stderr, "aifb-loadgen: remote write: %s\n", err.msg);
    promrw_batch_clear(p->batch);
}

void push_tick(lg_push *p, lg_engine *e, const lg_phase *ph, uint64_t now_ns)
{
    if (!p || !ph || now_ns - p->last_ns < (uint64_t)(p->o->push_interval_s * 1e9))
        return;
    p->last_ns = now_ns;
    add_phase(p, ph, engine_in_flight(e), engine_backlog(e), wall_ms(p));
    submit(p);
}

void push_finish(lg_push *p, lg_run *run, double timeout_s)
{
    if (!p)
        return;
    int64_t ts = wall_ms(p);
    for (size_t i = 0; i < run->nphases; i++)
        add_phase(p, &run->phases[i], 0, 0, ts);
    submit(p);
    aifb_err err = {0};
    promrw_sender_flush(p->sender, (int)(timeout_s * 1000), &err);
    promrw_stats st;
    promrw_sender_stats(p->sender, &st);
    if (st.batches_dropped || err.code)
        run_warn(run, "remote write: %llu of %llu pushes to Prometheus were lost (%s)",
                 (unsigned long long)(st.batches_dropped + st.queued_batches),
                 (unsigned long long)(st.batches_sent + st.batches_dropped + st.queued_batches),
                 st.last_error[0] ? st.last_error : err.msg);
}

void push_free(lg_push *p)
{
    if (!p)
        return;
    if (p->sender)
        promrw_sender_free(p->sender);
    if (p->batch)
        promrw_batch_free(p->batch);
    free(p);
}
