/* run.h: a whole aifb-loadgen run: the phases planned from the options (plan.c), carried out by
 * the engine, including the sweep and the SLO search (run.c), the result document (result.c), the
 * human summary and the live progress line (report.c), and `aifb-loadgen merge` (merge.c). */
#ifndef AIFB_LOADGEN_RUN_H
#define AIFB_LOADGEN_RUN_H

#include <stdio.h>

#include "common/util.h"
#include "loadgen/engine.h"

typedef struct lg_search_step {
    double rate;
    double goodput_fraction;
    bool ok;
    size_t phase; /* its index in lg_run.phases */
} lg_search_step;

typedef struct lg_run {
    const lg_opts *o;
    lg_phase *phases; /* reserved up front: requests in flight point at their phase */
    size_t nphases, cap;
    lg_stats total; /* every measured phase merged (for a search: the best passing step) */
    lg_search_step *steps;
    size_t nsteps;
    double best_rate; /* search: the highest rate meeting the target; 0: none */
    char **warnings;
    size_t nwarnings;
    char started_at[32];
    const char *model, *note, *stopped;
    int64_t aborted;
    double cpu_s, wall_s;
} lg_run;

/* The phases the options ask for (before a search adds its own). The load is this task's share
 * when several tasks run (rates and users divided, remainders to the first tasks). */
void plan_phases(const lg_opts *o, lg_run *run);
/* This task's share of a total. */
double plan_share_rate(const lg_opts *o, double rate);
int64_t plan_share_count(const lg_opts *o, int64_t n);
lg_phase *plan_add_phase(lg_run *run, const char *name, lg_phase_role role, bool open, double rate,
                         int conc, int64_t requests, double duration_s, double ramp_s);

/* The rate a phase actually sent at (requests over the span of their sends); 0 below 2. */
double phase_achieved_rate(const lg_phase *p);

/* Carries the run out. Returns 0, or 1 when it stopped on an error limit, 130 on an interrupt. */
int run_execute(lg_run *run, lg_engine *e);
void run_warn(lg_run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void run_free(lg_run *run);

/* The result document (schema in docs/loadgen.md). */
char *result_json(const lg_run *run);
/* Writes text to path atomically. */
aifb_code result_write(const char *path, const char *text, aifb_err *err);

/* The human summary (stdout). */
void report_summary(FILE *out, const lg_run *run);
/* The live progress line: whether the options ask for it, its tick (engine_tick_fn's shape,
 * ud unused), and the end of the line. */
bool report_progress_wanted(const lg_opts *o);
void report_progress_tick(void *ud, lg_engine *e, const lg_phase *p, uint64_t now);
void report_progress_end(void);

/* aifb-loadgen merge --result OUT PART...: one result from the results of several tasks. */
int merge_main(int argc, char **argv);

#endif
