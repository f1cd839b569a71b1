/* run.c: carrying out the planned phases, the SLO search, and the checks that turn a client that
 * fell behind into a warning in the result (see run.h). */
#include "loadgen/run.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void run_warn(lg_run *run, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char buf[512];
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    run->warnings = xrealloc(run->warnings, (run->nwarnings + 1) * sizeof *run->warnings);
    run->warnings[run->nwarnings++] = xstrdup(buf);
    if (!run->o->quiet)
        fprintf(stderr, "aifb-loadgen: warning: %s\n", buf);
}

static void finish_phase(lg_phase *p)
{
    uint64_t end = p->t_last_done > p->t_last_send ? p->t_last_done : p->t_last_send;
    p->st.duration_s = end > p->t_start ? (double)(end - p->t_start) / 1e9 : 0;
}

/* The rate a phase actually sent at: requests over the span of their sends. */
double phase_achieved_rate(const lg_phase *p)
{
    if (p->st.sent < 2 || p->t_last_send <= p->t_first_send)
        return 0;
    return (double)(p->st.sent - 1) / ((double)(p->t_last_send - p->t_first_send) / 1e9);
}

static void check_delivery(lg_run *run, const lg_phase *p)
{
    if (!p->open || p->role != LG_MEASURE || p->st.sent < 20)
        return;
    double achieved = phase_achieved_rate(p);
    /* A ramp or a random process makes the achieved rate differ from the target by design; the
     * lag says whether the client kept to its schedule whatever the process. */
    if (p->ramp_s <= 0 && run->o->arrival == ARRIVAL_CONSTANT && achieved < 0.99 * p->rate)
        run_warn(run, "phase %s: the target rate %.6g req/s was not delivered: %.6g req/s", p->name,
                 p->rate, achieved);
    double p99_lag_ms = hist_percentile(&p->st.h[LG_H_LAG], 99) / 1e6;
    if (p99_lag_ms <= 10)
        return;
    /* A client whose core was full while sending is the cause, whatever else was reached: a cap
     * fills up when answers are read late. Full means running, or ready to run but waiting for
     * a core another process held (a busy node). */
    double sending_s =
        p->t_last_send > p->t_start ? (double)(p->t_last_send - p->t_start) / 1e9 : 0;
    double busy = sending_s > 0 ? p->st.cpu_s / sending_s : 0;
    double waiting = sending_s > 0 ? p->cpu_wait_s / sending_s : 0;
    char why[200];
    if (busy + waiting >= 0.9 && waiting >= 0.1)
        snprintf(why, sizeof why,
                 ": the client's own CPU was the limit (%.0f%% of a core while sending, and "
                 "%.0f%% waiting for a core other processes held)",
                 100 * busy, 100 * waiting);
    else if (busy >= 0.9)
        snprintf(why, sizeof why,
                 ": the client's own CPU was the limit (%.0f%% of a core while sending; run "
                 "several tasks, docs/loadgen.md)",
                 100 * busy);
    else
        snprintf(why, sizeof why, "%s",
                 !p->backlog_max  ? ": the client could not keep up"
                 : p->concurrency ? ": the concurrency cap held them back"
                                  : ": the open files limit held them back (raise ulimit -n)");
    run_warn(run, "phase %s: requests left up to %.1f ms after their intended time (p99 lag)%s",
             p->name, p99_lag_ms, why);
}

static bool step_ok(const lg_run *run, const lg_stats *s, double *frac)
{
    int64_t n = s->completed + s->failed;
    *frac = n ? (double)s->good / (double)n : 0;
    return n > 0 && *frac >= run->o->goodput_target;
}

/* One probe of the search: a measured phase at rate, drained, judged. */
static bool probe(lg_run *run, lg_engine *e, double rate)
{
    const lg_opts *o = run->o;
    char name[48];
    snprintf(name, sizeof name, "search@%g", rate);
    lg_phase *p =
        plan_add_phase(run, name, LG_MEASURE, true, plan_share_rate(o, rate),
                       o->concurrency ? (int)plan_share_count(o, o->concurrency) : 0,
                       o->requests ? plan_share_count(o, o->requests) : 0, o->duration_s, 0);
    engine_run_phase(e, p);
    engine_drain(e, o->timeout_s);
    finish_phase(p);
    double frac;
    bool ok = step_ok(run, &p->st, &frac);
    run->steps = xrealloc(run->steps, (run->nsteps + 1) * sizeof *run->steps);
    run->steps[run->nsteps++] = (lg_search_step){
        .rate = rate, .goodput_fraction = frac, .ok = ok, .phase = run->nphases - 1};
    if (!o->quiet)
        fprintf(stderr, "aifb-loadgen: search: %g req/s: %.1f%% of requests met the SLOs (%s)\n",
                rate, 100 * frac, ok ? "pass" : "fail");
    if (ok && rate > run->best_rate)
        run->best_rate = rate;
    return ok;
}

/* Bisection on the rate: the highest rate in [lo, hi] whose goodput fraction meets the target. */
static void search(lg_run *run, lg_engine *e)
{
    const lg_opts *o = run->o;
    double lo = o->search_lo, hi = o->search_hi;
    if (!probe(run, e, hi) && !engine_stopped(e)) {
        if (probe(run, e, lo)) {
            for (int i = 0; i < o->search_steps && !engine_stopped(e); i++) {
                double mid = (lo + hi) / 2;
                if (probe(run, e, mid))
                    lo = mid;
                else
                    hi = mid;
            }
        }
    }
    const lg_stats *best = NULL;
    for (size_t i = 0; i < run->nsteps; i++)
        if (run->steps[i].ok && run->steps[i].rate == run->best_rate)
            best = &run->phases[run->steps[i].phase].st;
    if (best)
        stats_merge(&run->total, best);
    else
        run_warn(run, "no rate in [%g, %g] req/s met the SLOs for %.0f%% of requests", o->search_lo,
                 o->search_hi, 100 * o->goodput_target);
}

int run_execute(lg_run *run, lg_engine *e)
{
    const lg_opts *o = run->o;
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(run->started_at, sizeof run->started_at, "%Y-%m-%dT%H:%M:%SZ", &tm);
    uint64_t t0 = engine_now_ns();
    double cpu0 = engine_cpu_s();
    run->model = engine_model(e);
    run->note = engine_note(e);
    if (o->search) {
        search(run, e);
    } else {
        for (size_t i = 0; i < run->nphases && !engine_stopped(e); i++) {
            /* Sweep steps start from an idle server, so one step's queue is not the next's. */
            if (i && run->phases[i].role == LG_MEASURE && run->phases[i - 1].role == LG_MEASURE)
                engine_drain(e, o->timeout_s);
            engine_run_phase(e, &run->phases[i]);
        }
        engine_drain(e, engine_stopped(e) ? 10 : o->timeout_s);
        for (size_t i = 0; i < run->nphases; i++) {
            finish_phase(&run->phases[i]);
            if (run->phases[i].role == LG_MEASURE)
                stats_merge(&run->total, &run->phases[i].st);
        }
    }
    for (size_t i = 0; i < run->nphases; i++)
        check_delivery(run, &run->phases[i]);
    run->wall_s = (double)(engine_now_ns() - t0) / 1e9;
    run->cpu_s = engine_cpu_s() - cpu0;
    run->total.cpu_s = run->cpu_s;
    run->stopped = engine_stopped(e);
    run->aborted = engine_aborted(e);
    if (run->aborted)
        run_warn(run, "%lld requests were still in flight at the end and were abandoned",
                 (long long)run->aborted);
    if (run->total.tokens_from_chunks && lg_workload_is_llm(o->workload))
        run_warn(run,
                 "the server sent no usage for %lld requests: their output tokens are the count "
                 "of content chunks",
                 (long long)run->total.tokens_from_chunks);
    if (!run->stopped)
        return 0;
    return !strcmp(run->stopped, "max-errors") ? 1 : 130;
}

void run_free(lg_run *run)
{
    for (size_t i = 0; i < run->nphases; i++)
        stats_free(&run->phases[i].st);
    free(run->phases);
    stats_free(&run->total);
    free(run->steps);
    for (size_t i = 0; i < run->nwarnings; i++)
        free(run->warnings[i]);
    free(run->warnings);
}
