/* test_store_scale.c: a store of 100,000 runs: filling it in one transaction, paging through all
 * of it, and the query plans that keep a page cheap however deep it is.
 *
 * The timings printed here (insert, GetRun, one ListRuns page with and without filters) are for
 * people reading the test log; nothing asserts on them, since speed belongs in bench/. What is
 * asserted is what makes the speed hold: every page query is an index range scan with no sort. */
#include "test_store_fixture.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store/store_internal.h"

#define SCALE_RUNS    100000
#define SCALE_RECIPES 4
static const char *const scale_recipes[SCALE_RECIPES] = {"redis-bench", "pgbench", "vllm-chat",
                                                         "memtier"};

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static kv scale_params[] = {{"clients", "50"},     {"requests", "100000"}, {"data_size", "64"},
                            {"pipeline", "1"},     {"ratio", "1:10"},      {"threads", "4"},
                            {"key_pattern", "R:R"}};

/* Fills the store: run i has recipe i % 4; one run in 100 is RUNNING, one in 10 FAILED. */
static void scale_fill(char (*ids)[AIFB_ID_LEN + 1])
{
    run_rec *runs = calloc(SCALE_RUNS, sizeof *runs);
    for (int i = 0; i < SCALE_RUNS; i++) {
        runs[i] = store_fixture_run(scale_recipes[i % SCALE_RECIPES], scale_params,
                                    sizeof scale_params / sizeof *scale_params);
        memcpy(ids[i], runs[i].id, sizeof runs[i].id);
    }
    aifb_err err = {0};
    double t0 = now_us();
    cr_assert_eq(store_run_insert_many(fx_store, runs, SCALE_RUNS, &err), AIFB_OK, "%s", err.msg);
    cr_log_info("inserting %d runs in one transaction: %.0f ms", SCALE_RUNS, (now_us() - t0) / 1e3);
    free(runs);
    for (int i = 0; i < SCALE_RUNS; i += 10) {
        if (i % 100 == 0) {
            store_fixture_move_run(ids[i], RUN_SUBMITTED);
            store_fixture_move_run(ids[i], RUN_RUNNING);
        } else {
            store_fixture_move_run(ids[i], RUN_FAILED);
        }
    }
}

/* Average microseconds of one ListRuns page (page 100) over `rounds` calls, starting deep in the
 * table when token is given. */
static double time_page(const run_filter *proto, int rounds, size_t *n_out)
{
    double t0 = now_us();
    for (int r = 0; r < rounds; r++) {
        run_filter f = *proto;
        run_rec *runs = NULL;
        char *next = NULL;
        aifb_err err = {0};
        cr_assert_eq(store_run_list(fx_store, &f, &runs, n_out, &next, &err), AIFB_OK, "%s",
                     err.msg);
        run_rec_array_free(runs, *n_out);
        free(next);
    }
    return (now_us() - t0) / rounds;
}

static void report_pages(void)
{
    static const run_state running[] = {RUN_RUNNING};
    static const run_state pending[] = {RUN_PENDING};
    static const run_state live[] = {RUN_PENDING, RUN_SUBMITTED, RUN_STARTING, RUN_RUNNING,
                                     RUN_STOPPING};
    struct {
        const char *what;
        run_filter f;
    } cases[] = {
        {"no filter", {.page_size = 100}},
        {"no filter, deep page", {.page_size = 100, .page_token = "k1000"}},
        {"state RUNNING (1%)", {.states = running, .nstates = 1, .page_size = 100}},
        {"state PENDING (89%)", {.states = pending, .nstates = 1, .page_size = 100}},
        {"5 live states", {.states = live, .nstates = 5, .page_size = 100}},
        {"recipe", {.recipe = "pgbench", .page_size = 100}},
        {"recipe + RUNNING",
         {.recipe = "redis-bench", .states = running, .nstates = 1, .page_size = 100}},
        {"recipe + RUNNING, deep",
         {.recipe = "redis-bench",
          .states = running,
          .nstates = 1,
          .page_size = 100,
          .page_token = "k50000"}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t n = 0;
        double us = time_page(&cases[i].f, 50, &n);
        cr_log_info("ListRuns page of %zu, %s: %.0f us", n, cases[i].what, us);
        cr_assert_gt(n, 0, "%s listed nothing", cases[i].what);
    }
}

static void report_get(char (*ids)[AIFB_ID_LEN + 1])
{
    const int rounds = 20000;
    double t0 = now_us();
    for (int i = 0; i < rounds; i++) {
        run_rec r;
        cr_assert_eq(store_run_get(fx_store, ids[(i * 7919) % SCALE_RUNS], &r, NULL), AIFB_OK);
        run_rec_free(&r);
    }
    cr_log_info("GetRun with %zu params: %.2f us", sizeof scale_params / sizeof *scale_params,
                (now_us() - t0) / rounds);
}

/* Pages through everything 1000 at a time and checks each run is seen once, newest first. */
static void page_through_all(char (*ids)[AIFB_ID_LEN + 1])
{
    run_filter f = {.page_size = 1000};
    char *token = NULL;
    int expect = SCALE_RUNS - 1;
    do {
        f.page_token = token;
        run_rec *runs = NULL;
        size_t n = 0;
        char *next = NULL;
        cr_assert_eq(store_run_list(fx_store, &f, &runs, &n, &next, NULL), AIFB_OK);
        for (size_t k = 0; k < n; k++, expect--)
            cr_assert_str_eq(runs[k].id, ids[expect], "at %d", expect);
        run_rec_array_free(runs, n);
        free(token);
        token = next;
    } while (token);
    cr_assert_eq(expect, -1, "%d runs never listed", expect + 1);
}

Test(store_scale, a_store_of_100000_runs_pages_through_all_of_them_once_newest_first,
     .init = store_fixture_setup, .fini = store_fixture_teardown, .timeout = 600)
{
    static char ids[SCALE_RUNS][AIFB_ID_LEN + 1];
    scale_fill(ids);
    page_through_all(ids);
    report_get(ids);
    report_pages();
    cr_assert_eq(store_run_count_active(fx_store), SCALE_RUNS - SCALE_RUNS / 10 + SCALE_RUNS / 100);
}

/* Every statement a ListRuns page or GetRun uses must be an index lookup or range scan in key
 * order: no full scan of runs and no temporary sort, which would make a page cost O(table). */
Test(store_scale, page_and_lookup_queries_use_an_index_and_never_sort, .init = store_fixture_setup,
     .fini = store_fixture_teardown)
{
    const store_stmt_id ids[] = {ST_RUN_KEYS,
                                 ST_RUN_KEYS_STATE,
                                 ST_RUN_KEYS_RECIPE,
                                 ST_RUN_KEYS_RECIPE_STATE,
                                 ST_RUN_GET,
                                 ST_RUN_GET_BY_KEY,
                                 ST_RUN_UNFINISHED,
                                 ST_EVENTS_AFTER,
                                 ST_EVENTS_AFTER_SUBJECT};
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) {
        char sql[1024];
        snprintf(sql, sizeof sql, "EXPLAIN QUERY PLAN %s", sqlite3_sql(fx_store->stmts[ids[i]]));
        sqlite3_stmt *st = NULL;
        cr_assert_eq(sqlite3_prepare_v2(fx_store->db, sql, -1, &st, NULL), SQLITE_OK);
        int rows = 0;
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *detail = (const char *)sqlite3_column_text(st, 3);
            rows++;
            cr_assert_null(strstr(detail, "TEMP B-TREE"), "%s\n  sorts: %s", sql, detail);
            bool indexed = strstr(detail, "USING") != NULL;
            bool key_scan = strncmp(detail, "SCAN", 4) == 0 && !indexed;
            /* A plain rowid-order scan is fine only when it is bounded by the key itself. */
            cr_assert(indexed || (key_scan && (ids[i] == ST_RUN_KEYS || ids[i] == ST_EVENTS_AFTER)),
                      "%s\n  plan: %s", sql, detail);
        }
        cr_assert_gt(rows, 0);
        sqlite3_finalize(st);
    }
}
