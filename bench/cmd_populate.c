/* cmd_populate.c: `populate STATE_DIR N`: writes N finished runs into a state folder's database,
 * with aifbd stopped, through the store library (the same code aifbd uses, so the rows, indexes
 * and events are exactly what aifbd would have written).
 *
 * The runs look like real ones: two recipes (redis, postgres-pgbench) with their parameters,
 * run folders, endpoints, a result summary for the ones that succeeded, and final states spread
 * 60% SUCCEEDED, 30% FAILED, 10% CANCELLED, each reached through the state machine's moves (so
 * the event log holds every transition too). Runs are inserted in batches of one transaction
 * each; the transitions are one transaction each, as aifbd makes them. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "common/util.h"
#include "store/store.h"

#define POPULATE_BATCH 5000

static const kv populate_redis_params[] = {
    {"requests", "100000"}, {"clients", "50"}, {"pipeline", "1"},
    {"tests", "set,get"},   {"datasize", "3"}, {"keyspace", "100000"},
};
static const kv populate_pg_params[] = {
    {"scale", "10"}, {"clients", "8"}, {"threads", "2"}, {"duration", "30"}, {"mode", "tpcb-like"}};
static const metric populate_redis_summary[] = {
    {"set_rps", 98231.4, "ops/s"},       {"set_p50_latency_ms", 0.263, "ms"},
    {"set_p99_latency_ms", 0.871, "ms"}, {"get_rps", 101522.9, "ops/s"},
    {"get_p50_latency_ms", 0.255, "ms"}, {"get_p99_latency_ms", 0.799, "ms"},
};
static const metric populate_pg_summary[] = {
    {"tps", 1843.2, "tx/s"}, {"latency_average_ms", 4.34, "ms"}, {"transactions", 55296, "count"}};

/* Fills one run record; strings point into `text`, which must outlive the record. */
static void populate_make_run(const char *dir, long i, int64_t created, run_rec *r, char *text,
                              size_t textlen)
{
    memset(r, 0, sizeof *r);
    aifb_id_new('r', r->id);
    bool redis = i % 3 != 2;
    r->recipe = redis ? "redis" : "postgres-pgbench";
    r->params = (kv *)(redis ? populate_redis_params : populate_pg_params);
    r->nparams = redis ? 6 : 5;
    bool succeeds = i % 10 < 6;
    r->summary = succeeds ? (metric *)(redis ? populate_redis_summary : populate_pg_summary) : NULL;
    r->nsummary = succeeds ? (redis ? 6 : 3) : 0;
    r->service_id = "";
    r->reason = "";
    r->executor = "local";
    r->created_at_ms = r->updated_at_ms = created;
    r->exit_code = -1;
    int n = snprintf(text, textlen, "%s/runs/%s", dir, r->id);
    r->run_dir = text;
    r->result_path = text + n + 1;
    n += 1 + snprintf(text + n + 1, textlen - (size_t)n - 1, "%s/runs/%s/client.out", dir, r->id);
    r->endpoint = text + n + 1;
    n += 1 + snprintf(text + n + 1, textlen - (size_t)n - 1, "127.0.0.1:%ld", 20000 + i % 40000);
    r->handles = text + n + 1;
    snprintf(text + n + 1, textlen - (size_t)n - 1, "pgid:%ld,pgid:%ld", 1000 + i, 1001 + i);
}

/* The moves of the i-th run from PENDING to its final state. */
static size_t populate_moves(long i, run_state moves[3], const char **reason)
{
    if (i % 10 < 6) {
        *reason = "client exited 0";
        moves[0] = RUN_SUBMITTED, moves[1] = RUN_RUNNING, moves[2] = RUN_SUCCEEDED;
        return 3;
    }
    if (i % 10 < 9) {
        *reason = "client exited with status 1: connection refused";
        moves[0] = RUN_FAILED;
        return 1;
    }
    *reason = "stopped by the user";
    moves[0] = RUN_CANCELLED;
    return 1;
}

/* Inserts runs [first, first+n) in one transaction, then moves each to its final state. */
static aifb_code populate_batch(store *db, const char *dir, long first, long n, long total,
                                int64_t now, char *sample_id, aifb_err *err)
{
    enum { TEXT = 3 * PATH_MAX };
    run_rec *runs = xcalloc((size_t)n, sizeof *runs);
    char *text = xmalloc((size_t)n * TEXT);
    for (long k = 0; k < n; k++) /* one second apart, the newest now */
        populate_make_run(dir, first + k, now - (total - first - k) * 1000, &runs[k],
                          text + k * TEXT, TEXT);
    aifb_code rc = store_run_insert_many(db, runs, (size_t)n, err);
    for (long k = 0; rc == AIFB_OK && k < n; k++) {
        run_state moves[3];
        const char *reason;
        size_t nm = populate_moves(first + k, moves, &reason);
        for (size_t m = 0; rc == AIFB_OK && m < nm; m++)
            rc = store_run_transition(db, runs[k].id, moves[m], m + 1 == nm ? reason : NULL, NULL,
                                      err);
    }
    if (rc == AIFB_OK && first <= total / 2 && total / 2 < first + n) /* from the middle */
        snprintf(sample_id, AIFB_ID_LEN + 1, "%s", runs[total / 2 - first].id);
    free(text);
    free(runs);
    return rc;
}

static int populate_run(int argc, char **argv)
{
    static const char *const known[] = {NULL};
    bench_args a;
    aifb_err err = {0};
    long total;
    if (bench_args_check(&a, argc, argv, 2, known, &err) ||
        bench_parse_long(bench_arg_pos(&a, 1), "N", 1, 100000000, &total, &err))
        return bench_fail("populate", &err);
    const char *dir = bench_arg_pos(&a, 0);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/aifb.db", dir);
    store *db = NULL;
    if (aifb_mkdirs(dir, 0755, &err) || store_open(path, &db, &err))
        return bench_fail("populate", &err);
    double t0 = bench_now_s();
    int64_t now = aifb_now_ms();
    char sample[AIFB_ID_LEN + 1] = "";
    aifb_code rc = AIFB_OK;
    for (long first = 0; rc == AIFB_OK && first < total; first += POPULATE_BATCH) {
        long n = total - first < POPULATE_BATCH ? total - first : POPULATE_BATCH;
        rc = populate_batch(db, dir, first, n, total, now, sample, &err);
    }
    store_close(db);
    if (rc != AIFB_OK)
        return bench_fail("populate", &err);
    printf("populate runs=%ld seconds=%.2f sample_id=%s\n", total, bench_now_s() - t0, sample);
    return 0;
}

const bench_cmd bench_cmd_populate = {
    .name = "populate",
    .usage = "STATE_DIR N",
    .about = "write N finished runs into STATE_DIR/aifb.db (aifbd stopped)",
    .run = populate_run,
};
