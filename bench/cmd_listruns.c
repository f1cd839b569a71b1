/* cmd_listruns.c: `listruns ADDR [--pages P] [--walk W] [--page-size 100] [--state S]
 * [--recipe R]`: the latency of ListRuns pages, one call in flight (a person paging a table).
 *
 * Two figures: the first page, asked P times; and deep pages, reached by following
 * next_page_token from the first page to the end (or W pages), each page timed. On a store of
 * 100,000 runs with pages of 100 the walk reaches page 1000, so a server whose pages cost grows
 * with depth (OFFSET paging) shows it in the deep p99. Every run seen is counted, so the walk
 * also checks that the pages cover the store without repeating. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "common/util.h"
#include "store/run_state.h"

typedef struct listruns_query {
    int page_size;
    const char *recipe;
    Aifb__V1__RunState state; /* 0: every state */
} listruns_query;

/* One page, timed; *next (when not NULL; malloc'd, "" on the last page) gets the next token. */
static aifb_code listruns_page(rpc_client *c, const listruns_query *q, const char *token,
                               double *ms, size_t *nruns, char **next, aifb_err *err)
{
    Aifb__V1__ListRunsRequest req = AIFB__V1__LIST_RUNS_REQUEST__INIT;
    req.page_size = q->page_size;
    req.recipe = (char *)(q->recipe ? q->recipe : "");
    req.page_token = (char *)token;
    Aifb__V1__RunState states[1] = {q->state};
    if (q->state) {
        req.states = states;
        req.n_states = 1;
    }
    ProtobufCMessage *reply = NULL;
    double t0 = bench_now_s();
    aifb_code rc = rpc_client_unary(c, BENCH_METHOD("ListRuns"), &req.base,
                                    &aifb__v1__list_runs_response__descriptor, &reply, 10000, err);
    *ms = (bench_now_s() - t0) * 1e3;
    if (rc != AIFB_OK) {
        aifb_err_prefix(err, "ListRuns (page_token \"%s\")", token);
        return rc;
    }
    const Aifb__V1__ListRunsResponse *resp = (const void *)reply;
    *nruns = resp->n_runs;
    if (next)
        *next = xstrdup(resp->next_page_token);
    protobuf_c_message_free_unpacked(reply, NULL);
    return AIFB_OK;
}

static aifb_code listruns_first(rpc_client *c, const listruns_query *q, long pages,
                                bench_samples *ms, size_t *nfirst, aifb_err *err)
{
    for (long i = 0; i < pages; i++) {
        double t;
        if (listruns_page(c, q, "", &t, nfirst, NULL, err))
            return err->code;
        bench_samples_add(ms, t);
    }
    return AIFB_OK;
}

static aifb_code listruns_walk(rpc_client *c, const listruns_query *q, long max_pages,
                               bench_samples *ms, long *pages, long *runs, double *last_ms,
                               aifb_err *err)
{
    char *token = xstrdup("");
    *pages = *runs = 0;
    aifb_code rc = AIFB_OK;
    while (rc == AIFB_OK && (max_pages <= 0 || *pages < max_pages)) {
        char *next = NULL;
        size_t n = 0;
        rc = listruns_page(c, q, token, last_ms, &n, &next, err);
        if (rc != AIFB_OK)
            break;
        bench_samples_add(ms, *last_ms);
        ++*pages;
        *runs += (long)n;
        free(token);
        token = next;
        if (!token[0])
            break;
    }
    free(token);
    return rc;
}

static aifb_code listruns_parse(const bench_args *a, listruns_query *q, long *pages, long *walk,
                                aifb_err *err)
{
    long size;
    if (bench_arg_int(a, "--pages", 200, 1, 100000, pages, err) ||
        bench_arg_int(a, "--walk", 0, 0, 10000000, walk, err) ||
        bench_arg_int(a, "--page-size", 100, 1, 1000, &size, err))
        return err->code;
    q->page_size = (int)size;
    q->recipe = bench_arg_str(a, "--recipe", NULL);
    const char *state = bench_arg_str(a, "--state", NULL);
    run_state st = 0;
    if (state && !run_state_parse(state, &st))
        return aifb_err_set(err, AIFB_EINVAL, "--state: '%s' is not a run state", state);
    q->state = (Aifb__V1__RunState)st;
    return AIFB_OK;
}

static int listruns_run(int argc, char **argv)
{
    static const char *const known[] = {"--pages", "--walk",   "--page-size",
                                        "--state", "--recipe", NULL};
    bench_args a;
    aifb_err err = {0};
    listruns_query q = {0};
    long pages, walk, walked, runs;
    rpc_client *c = NULL;
    if (bench_args_check(&a, argc, argv, 1, known, &err) ||
        listruns_parse(&a, &q, &pages, &walk, &err) ||
        rpc_client_new(bench_arg_pos(&a, 0), NULL, &c, &err))
        return bench_fail("listruns", &err);
    bench_samples first = {0}, deep = {0};
    size_t nfirst = 0;
    double last_ms = 0;
    int status = 0;
    if (listruns_first(c, &q, pages, &first, &nfirst, &err) ||
        listruns_walk(c, &q, walk, &deep, &walked, &runs, &last_ms, &err))
        status = bench_fail("listruns", &err);
    else
        printf("listruns page_size=%d first_runs=%zu first_p50_ms=%.3f first_p99_ms=%.3f "
               "pages_walked=%ld runs_seen=%ld deep_p50_ms=%.3f deep_p99_ms=%.3f "
               "last_page_ms=%.3f\n",
               q.page_size, nfirst, bench_samples_quantile(&first, 0.5),
               bench_samples_quantile(&first, 0.99), walked, runs,
               bench_samples_quantile(&deep, 0.5), bench_samples_quantile(&deep, 0.99), last_ms);
    bench_samples_free(&first);
    bench_samples_free(&deep);
    rpc_client_free(c);
    return status;
}

const bench_cmd bench_cmd_listruns = {
    .name = "listruns",
    .usage = "ADDR [--pages 200] [--walk 0 (to the end)] [--page-size 100] [--state S] "
             "[--recipe R]",
    .about = "ListRuns latency: the first page P times, then every page via page tokens",
    .run = listruns_run,
};
