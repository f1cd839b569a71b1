/* test_recipe_summary.c: result summaries parsed from real output of the tools, captured here
 * (tests/unit/fixtures/): redis-benchmark 7 --csv and pgbench 15, values as printed. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "recipe/recipe.h"

static char *fixture(const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/unit/fixtures/%s", AIFB_SOURCE_DIR, name);
    char *text;
    aifb_err err = {0};
    cr_assert_eq(aifb_read_file(path, 1 << 20, &text, len, &err), AIFB_OK, "%s", err.msg);
    return text;
}

static const metric *find(const metric *m, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(m[i].name, name))
            return &m[i];
    cr_assert_fail("no metric %s", name);
    return NULL;
}

static void assert_metric(const metric *m, size_t n, const char *name, double value,
                          const char *unit)
{
    const metric *x = find(m, n, name);
    cr_assert_eq(x->value, value, "%s = %.17g, expected %.17g", name, x->value, value);
    cr_assert_str_eq(x->unit, unit, "unit of %s", name);
}

static void parse_fixture(const char *parser, const char *file, metric **m, size_t *n)
{
    size_t len;
    char *text = fixture(file, &len);
    aifb_err err = {0};
    cr_assert_eq(summary_parse(parser, text, len, m, n, &err), AIFB_OK, "%s", err.msg);
    free(text);
}

Test(summary_redis, set_and_get_rows_become_rps_and_latency_metrics)
{
    metric *m;
    size_t n;
    parse_fixture("redis-benchmark-csv", "redis-benchmark-set-get.csv", &m, &n);
    cr_assert_eq(n, 14, "7 figures for each of 2 tests");
    assert_metric(m, n, "set_rps", 41666.67, "ops/s");
    assert_metric(m, n, "set_avg_latency_ms", 0.687, "ms");
    assert_metric(m, n, "set_min_latency_ms", 0.240, "ms");
    assert_metric(m, n, "set_p50_latency_ms", 0.535, "ms");
    assert_metric(m, n, "set_p95_latency_ms", 1.279, "ms");
    assert_metric(m, n, "set_p99_latency_ms", 4.575, "ms");
    assert_metric(m, n, "set_max_latency_ms", 5.943, "ms");
    assert_metric(m, n, "get_rps", 47619.05, "ops/s");
    assert_metric(m, n, "get_p99_latency_ms", 1.063, "ms");
    metric_array_free(m, n);
}

Test(summary_redis, test_names_with_spaces_and_brackets_become_snake_case)
{
    metric *m;
    size_t n;
    parse_fixture("redis-benchmark-csv", "redis-benchmark-mixed.csv", &m, &n);
    cr_assert_eq(n, 6 * 7);
    assert_metric(m, n, "ping_inline_rps", 166666.67, "ops/s");
    assert_metric(m, n, "ping_mbulk_rps", 249999.98, "ops/s");
    assert_metric(m, n, "lpush_rps", 166666.67, "ops/s");
    assert_metric(m, n, "lpush_needed_to_benchmark_lrange_rps", 166666.67, "ops/s");
    assert_metric(m, n, "lrange_100_first_100_elements_p95_latency_ms", 1.055, "ms");
    assert_metric(m, n, "mset_10_keys_max_latency_ms", 0.439, "ms");
    metric_array_free(m, n);
}

Test(summary_redis, lines_that_are_not_csv_rows_are_ignored)
{
    const char *text = "WARNING: could not fetch server CONFIG\n"
                       "SET: rps=1234.0 (overall: 1200.0) avg_msec=0.5\r"
                       "\"test\",\"rps\",\"avg_latency_ms\"\n"
                       "\"SET\",\"not a number\",\"1\"\n"
                       "\"GET\",\"100.5\",\"0.25\"\n"
                       "\"GET\",\"1\"\n"
                       "\"INCR\",\"7\",\"0.5\"";
    metric *m;
    size_t n;
    aifb_err err = {0};
    cr_assert_eq(summary_parse("redis-benchmark-csv", text, strlen(text), &m, &n, &err), AIFB_OK,
                 "%s", err.msg);
    cr_assert_eq(n, 4);
    assert_metric(m, n, "get_rps", 100.5, "ops/s");
    assert_metric(m, n, "get_avg_latency_ms", 0.25, "ms");
    assert_metric(m, n, "incr_rps", 7, "ops/s");
    assert_metric(m, n, "incr_avg_latency_ms", 0.5, "ms");
    metric_array_free(m, n);
}

Test(summary_redis, rows_of_older_versions_without_a_header_give_rps)
{
    const char *text = "\"PING_INLINE\",\"52631.58\"\n\"SET\",\"50000.00\"\n";
    metric *m;
    size_t n;
    cr_assert_eq(summary_parse("redis-benchmark-csv", text, strlen(text), &m, &n, NULL), AIFB_OK);
    cr_assert_eq(n, 2);
    assert_metric(m, n, "ping_inline_rps", 52631.58, "ops/s");
    assert_metric(m, n, "set_rps", 50000.00, "ops/s");
    metric_array_free(m, n);
}

Test(summary_redis, output_without_figures_is_not_found)
{
    const char *text = "Could not connect to Redis at 127.0.0.1:1: Connection refused\n";
    metric *m = (metric *)1;
    size_t n = 3;
    aifb_err err = {0};
    cr_assert_eq(summary_parse("redis-benchmark-csv", text, strlen(text), &m, &n, &err),
                 AIFB_ENOTFOUND);
    cr_assert_str_eq(err.msg, "no results found in redis-benchmark output");
    cr_assert_null(m);
    cr_assert_eq(n, 0);
}

Test(summary_pgbench, a_tpcb_run_gives_tps_latency_and_transactions)
{
    metric *m;
    size_t n;
    parse_fixture("pgbench", "pgbench-tpcb-like.out", &m, &n);
    cr_assert_eq(n, 5);
    cr_assert_str_eq(m[0].name, "tps", "the headline figure comes first");
    assert_metric(m, n, "tps", 3549.859265, "tx/s");
    assert_metric(m, n, "latency_average_ms", 0.563, "ms");
    assert_metric(m, n, "transactions", 10546, "count");
    assert_metric(m, n, "failed_transactions", 0, "count");
    assert_metric(m, n, "initial_connection_time_ms", 30.136, "ms");
    metric_array_free(m, n);
}

Test(summary_pgbench, a_run_with_progress_also_gives_the_latency_stddev)
{
    metric *m;
    size_t n;
    parse_fixture("pgbench", "pgbench-select-only-progress.out", &m, &n);
    cr_assert_eq(n, 6);
    assert_metric(m, n, "tps", 19395.609157, "tx/s");
    assert_metric(m, n, "latency_average_ms", 0.099, "ms");
    assert_metric(m, n, "latency_stddev_ms", 0.093, "ms");
    assert_metric(m, n, "transactions", 56854, "count");
    metric_array_free(m, n);
}

Test(summary_pgbench, older_pgbench_reports_take_tps_excluding_connections)
{
    const char *text = "number of transactions actually processed: 1000/1000\n"
                       "latency average = 1.234 ms\n"
                       "tps = 810.5 (including connections establishing)\n"
                       "tps = 823.25 (excluding connections establishing)\n"
                       "SQL script 1: <builtin: TPC-B (sort of)>\n"
                       " - 1000 transactions (100.0% of total, tps = 999.0)\n"
                       " - latency average = 9.999 ms\n";
    metric *m;
    size_t n;
    cr_assert_eq(summary_parse("pgbench", text, strlen(text), &m, &n, NULL), AIFB_OK);
    cr_assert_eq(n, 3);
    assert_metric(m, n, "tps", 823.25, "tx/s");
    assert_metric(m, n, "transactions", 1000, "count");
    assert_metric(m, n, "latency_average_ms", 1.234, "ms");
    metric_array_free(m, n);
}

Test(summary_pgbench, the_output_of_table_initialisation_alone_is_not_found)
{
    size_t len;
    char *text = fixture("pgbench-init.out", &len);
    metric *m;
    size_t n;
    aifb_err err = {0};
    cr_assert_eq(summary_parse("pgbench", text, len, &m, &n, &err), AIFB_ENOTFOUND);
    cr_assert_str_eq(err.msg, "no results found in pgbench output");
    free(text);
}

Test(summary, an_unknown_parser_is_refused_naming_it)
{
    metric *m;
    size_t n;
    aifb_err err = {0};
    cr_assert_eq(summary_parse("wrk", "x", 1, &m, &n, &err), AIFB_EINVAL);
    cr_assert(strstr(err.msg, "unknown summary parser 'wrk'"), "%s", err.msg);
    cr_assert(!summary_parser_known("wrk"));
    cr_assert(summary_parser_known("pgbench"));
}

Test(summary, the_none_parser_keeps_no_metrics)
{
    metric *m = (metric *)1;
    size_t n = 1;
    cr_assert_eq(summary_parse("none", "tps = 5\n", 8, &m, &n, NULL), AIFB_OK);
    cr_assert_eq(n, 0);
    cr_assert_null(m);
}
