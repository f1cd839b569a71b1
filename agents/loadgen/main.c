/* main.c: aifb-loadgen, the load client of aifb. `aifb-loadgen --help` and docs/loadgen.md say
 * what it does; run.h is the map of the code. Exit status: 0 done, 1 stopped by --max-errors or
 * an I/O failure writing the result, 2 bad options, 130 interrupted (the result is written in
 * every case but 2). */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static int write_outputs(const lg_run *run, const lg_opts *o)
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
    if (!o->quiet)
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

int main(int argc, char **argv)
{
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
        if (write_outputs(&run, &o) && !rc)
            rc = 1;
        run_free(&run);
    }
    push_free(t.push);
    engine_free(e);
    curl_global_cleanup();
    opts_free(&o);
    return rc;
}
