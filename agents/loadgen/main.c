/* main.c: aifb-loadgen, the load client of aifb. `aifb-loadgen --help` and docs/loadgen.md say
 * what it does; run.h is the map of the code. Exit status: 0 done, 1 stopped by --max-errors or
 * an I/O failure writing the result, 2 bad options, 130 interrupted (the result is written in
 * every case but 2).
 *
 * In an srun step of several tasks, each task writes its result beside --result as
 * FILE.part<task>; task 0 waits for the others' parts and merges them into FILE (and prints the
 * merged document with --print-result), so the job's result is one, as if one client had sent
 * every request. Slurm starts the tasks together; the parts are the only thing they share. */
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "loadgen/push.h"
#include "loadgen/run.h"

/* What the engine's 100 ms tick drives: the progress line and the pushes. */
typedef struct ticks {
    bool progress;
    lg_push *push;
} ticks;

static void on_tick(void *ud, lg_engine *e, const lg_phase *p, uint64_t now)
{
    ticks *t = ud;
    if (t->progress)
        report_progress_tick(NULL, e, p, now);
    push_tick(t->push, e, p, now);
}

static int write_outputs(const lg_run *run, const lg_opts *o, bool summary)
{
    char *doc = result_json(run);
    int rc = 0;
    if (o->result_path) {
        aifb_err err = {0};
        if (result_write(o->result_path, doc, &err)) {
            fprintf(stderr, "aifb-loadgen: cannot write --result %s: %s\n", o->result_path,
                    err.msg);
            rc = 1;
        }
    }
    if (summary && !o->quiet)
        report_summary(stdout, run);
    if (o->print_result) {
        /* One line, so a reader of stdout finds the document as the last line starting '{'. */
        for (char *p = doc; *p; p++)
            if (*p == '\n')
                *p = ' ';
        printf("%s\n", doc);
    }
    fflush(stdout);
    free(doc);
    return rc;
}

static char *part_path(const char *final, int task)
{
    abuf b = {0};
    abuf_printf(&b, "%s.part%d", final, task);
    return abuf_take(&b);
}

/* Task 0 of an srun step: waits for every task's part (at most wait_s) and merges them. */
static int merge_parts(const char *final, int ntasks, bool print, double wait_s)
{
    char **parts = xcalloc((size_t)ntasks, sizeof *parts);
    for (int i = 0; i < ntasks; i++)
        parts[i] = part_path(final, i);
    fprintf(stderr, "aifb-loadgen: waiting for the results of %d tasks to merge them\n", ntasks);
    struct timespec tick = {.tv_nsec = 100000000L};
    for (double waited = 0;; waited += 0.1) {
        int missing = 0;
        for (int i = 0; i < ntasks; i++)
            missing += access(parts[i], R_OK) != 0;
        if (!missing)
            break;
        if (waited >= wait_s) {
            fprintf(stderr, "aifb-loadgen: %d of %d task results never came; %s holds task 0's\n",
                    missing, ntasks, parts[0]);
            for (int i = 0; i < ntasks; i++)
                free(parts[i]);
            free(parts);
            return 1;
        }
        nanosleep(&tick, NULL);
    }
    char **argv = xcalloc((size_t)ntasks + 5, sizeof *argv);
    int argc = 0;
    argv[argc++] = "merge";
    argv[argc++] = "--result";
    argv[argc++] = (char *) final;
    if (print)
        argv[argc++] = "--print-result";
    for (int i = 0; i < ntasks; i++)
        argv[argc++] = parts[i];
    int rc = merge_main(argc, argv);
    for (int i = 0; i < ntasks; i++)
        free(parts[i]);
    free(parts);
    free(argv);
    return rc;
}

int main(int argc, char **argv)
{
    /* A server closing a TLS connection while libcurl writes to it (libcurl asks for no signals,
     * and OpenSSL writes without MSG_NOSIGNAL) must be an error of that request, not the end of
     * the client. */
    signal(SIGPIPE, SIG_IGN);
    if (argc > 1 && !strcmp(argv[1], "merge"))
        return merge_main(argc - 1, argv + 1);
    lg_opts o;
    aifb_err err = {0};
    aifb_code code = opts_parse(argc, argv, &o, &err);
    if (code == AIFB_ECANCELLED) {
        opts_free(&o);
        return 0;
    }
    if (code) {
        fprintf(stderr, "aifb-loadgen: %s\n", err.msg);
        opts_free(&o);
        return 2;
    }
    /* Several tasks of one srun step: each writes a part, task 0 merges (above). */
    char *final = NULL;
    bool print_merged = false;
    if (o.task_from_slurm && o.result_path) {
        final = o.result_path;
        o.result_path = part_path(final, o.task_id);
        print_merged = o.print_result && o.task_id == 0;
        o.print_result = false;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    lg_engine *e = NULL;
    ticks t = {0};
    int rc;
    if (engine_new(&o, &e, &err) || (o.remote_write && !(t.push = push_new(&o, &err)))) {
        fprintf(stderr, "aifb-loadgen: %s\n", err.msg);
        rc = 2;
    } else {
        lg_run run = {.o = &o};
        plan_phases(&o, &run);
        t.progress = report_progress_wanted(&o);
        engine_on_tick(e, on_tick, &t);
        rc = run_execute(&run, e);
        report_progress_end();
        push_finish(t.push, &run, 5);
        /* A task's share is no summary of the job: the merged document is. */
        if (write_outputs(&run, &o, !final) && !rc)
            rc = 1;
        run_free(&run);
    }
    push_free(t.push);
    engine_free(e);
    curl_global_cleanup();
    if (final && o.task_id == 0 && rc != 2) {
        int mrc = merge_parts(final, o.ntasks, print_merged, 600);
        if (mrc && !rc)
            rc = 1;
    }
    free(final);
    opts_free(&o);
    return rc;
}
