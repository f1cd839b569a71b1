/* report.c: what a person watching sees: a progress line while the run goes (achieved and
 * target rate, in flight, errors, p50 and p99 so far), and a summary table at the end in the
 * manner of vLLM's bench, so the two read alike. */
#include "loadgen/run.h"

#include <string.h>
#include <unistd.h>

typedef struct progress {
    const lg_opts *o;
    bool tty;
    uint64_t last_ns;
    int64_t last_sent;
    const lg_phase *last_phase;
    bool printed;
} progress;

static progress prog;

void report_progress_tick(void *ud, lg_engine *e, const lg_phase *p, uint64_t now)
{
    (void)ud;
    progress *pr = &prog;
    if (!pr->o)
        return;
    uint64_t every = pr->tty ? 1000000000ULL : 5000000000ULL;
    if (!p || now - pr->last_ns < every)
        return;
    if (p != pr->last_phase) {
        pr->last_phase = p;
        pr->last_sent = 0;
        pr->last_ns = p->t_start;
    }
    double dt = (double)(now - pr->last_ns) / 1e9;
    double rate = dt > 0 ? (double)(p->st.sent - pr->last_sent) / dt : 0;
    pr->last_ns = now;
    pr->last_sent = p->st.sent;
    const hist *lat = pr->o->stream ? &p->st.h[LG_H_TTFT] : &p->st.h[LG_H_E2EL];
    char target[48] = "", held[48] = "";
    if (p->open)
        snprintf(target, sizeof target, "/%.6g", p->rate);
    if (engine_backlog(e))
        snprintf(held, sizeof held, "  held back %lld", (long long)engine_backlog(e));
    fprintf(stderr,
            "%s[%s %5.1fs] %.6g%s req/s  in flight %d%s  ok %lld  err %lld  %s p50 %.1f p99 %.1f "
            "ms%s",
            pr->tty ? "\r\033[K" : "", p->name, (double)(now - p->t_start) / 1e9, rate, target,
            engine_in_flight(e), held, (long long)p->st.completed, (long long)p->st.failed,
            pr->o->stream ? "ttft" : "e2el", hist_percentile(lat, 50) / 1e6,
            hist_percentile(lat, 99) / 1e6, pr->tty ? "" : "\n");
    fflush(stderr);
    pr->printed = true;
}

bool report_progress_wanted(const lg_opts *o)
{
    bool tty = isatty(STDERR_FILENO);
    memset(&prog, 0, sizeof prog);
    if (o->quiet || o->progress == LG_PROGRESS_OFF || (o->progress == LG_PROGRESS_AUTO && !tty))
        return false;
    prog.o = o;
    prog.tty = tty;
    return true;
}

void report_progress_end(void)
{
    if (prog.printed && prog.tty)
        fputs("\n", stderr);
}

static void row_hist(FILE *out, const char *title, const hist *h)
{
    if (!h->total)
        return;
    fprintf(out, "%-26s %10.2f %10.2f %10.2f %10.2f %10.2f\n", title, hist_mean(h) / 1e6,
            hist_percentile(h, 50) / 1e6, hist_percentile(h, 90) / 1e6,
            hist_percentile(h, 99) / 1e6, (double)h->max / 1e6);
}

void report_summary(FILE *out, const lg_run *run)
{
    const lg_opts *o = run->o;
    const lg_stats *s = &run->total;
    double dur = s->duration_s;
    fprintf(out, "============ aifb-loadgen result ============\n");
    fprintf(out, "%-34s %s%s -> %s\n", "Workload:", lg_workload_name(o->workload),
            o->stream ? " (streaming)" : "", o->url);
    if (run->model && *run->model)
        fprintf(out, "%-34s %s\n", "Model:", run->model);
    fprintf(out, "%-34s %lld\n", "Successful requests:", (long long)s->completed);
    fprintf(out, "%-34s %lld\n", "Failed requests:", (long long)s->failed);
    fprintf(out, "%-34s %.2f\n", "Benchmark duration (s):", dur);
    if (lg_workload_is_llm(o->workload)) {
        fprintf(out, "%-34s %lld\n", "Total input tokens:", (long long)s->input_tokens);
        fprintf(out, "%-34s %lld%s\n", "Total generated tokens:", (long long)s->output_tokens,
                s->tokens_from_chunks ? " (counted from chunks)" : "");
    }
    fprintf(out, "%-34s %.2f\n", "Request throughput (req/s):", dur > 0 ? s->completed / dur : 0);
    if (o->nslos)
        fprintf(out, "%-34s %.2f\n", "Request goodput (req/s):", dur > 0 ? s->good / dur : 0);
    if (lg_workload_is_llm(o->workload)) {
        fprintf(out, "%-34s %.2f\n",
                "Output token throughput (tok/s):", dur > 0 ? s->output_tokens / dur : 0);
        fprintf(out, "%-34s %.2f\n", "Total token throughput (tok/s):",
                dur > 0 ? (s->input_tokens + s->output_tokens) / dur : 0);
    }
    if (o->search)
        fprintf(out, "%-34s %.6g\n", "Highest rate meeting SLOs (req/s):", run->best_rate);
    fprintf(out, "%-26s %10s %10s %10s %10s %10s\n", "Latency (ms)", "mean", "median", "p90", "p99",
            "max");
    row_hist(out, "TTFT", &s->h[LG_H_TTFT]);
    row_hist(out, "TPOT", &s->h[LG_H_TPOT]);
    row_hist(out, "ITL", &s->h[LG_H_ITL]);
    row_hist(out, "E2EL", &s->h[LG_H_E2EL]);
    row_hist(out, "TTFT from intended send", &s->h[LG_H_TTFT_INTENDED]);
    row_hist(out, "E2EL from intended send", &s->h[LG_H_E2EL_INTENDED]);
    row_hist(out, "Send lag", &s->h[LG_H_LAG]);
    if (s->failed) {
        fprintf(out, "%-34s", "Errors:");
        for (int i = 0; i < LG_NERR; i++)
            if (s->errors[i])
                fprintf(out, " %s %lld", lg_err_class_name((lg_err_class)i),
                        (long long)s->errors[i]);
        fputc('\n', out);
    }
    fprintf(out, "%-34s %.2f s (%.0f%% of one core)\n", "Client CPU:", run->cpu_s,
            run->wall_s > 0 ? 100 * run->cpu_s / run->wall_s : 0);
    fprintf(out, "=============================================\n");
}
