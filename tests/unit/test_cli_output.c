/* test_cli_output.c: what the aifb command shows people, without a server: durations, stopwatch
 * clocks, local times with their offset, aligned tables, summary metrics, and the one-line error
 * report (which never shows the token). */
#include <criterion/criterion.h>
#include <time.h>

#include "test_cli_support.h"

/* ---- durations and clocks ------------------------------------------------------------------ */

Test(cli_duration, durations_read_as_the_two_largest_units)
{
    struct {
        int64_t ms;
        const char *text;
    } cases[] = {
        {0, "0ms"},         {850, "850ms"},       {999, "999ms"},
        {1000, "1s"},       {59999, "59s"},       {60000, "1m00s"},
        {185000, "3m05s"},  {3599999, "59m59s"},  {3600000, "1h00m"},
        {7380000, "2h03m"}, {86399999, "23h59m"}, {3 * 86400000LL + 4 * 3600000LL, "3d04h"},
        {-5, "0ms"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[32];
        cr_assert_str_eq(cli_duration_text(cases[i].ms, buf, sizeof buf), cases[i].text, "%lld ms",
                         (long long)cases[i].ms);
    }
}

Test(cli_duration, the_progress_clock_shows_minutes_and_seconds_then_hours)
{
    char buf[32];
    cr_assert_str_eq(cli_clock_text(0, buf, sizeof buf), "00:00");
    cr_assert_str_eq(cli_clock_text(12999, buf, sizeof buf), "00:12");
    cr_assert_str_eq(cli_clock_text(3599000, buf, sizeof buf), "59:59");
    cr_assert_str_eq(cli_clock_text(3723000, buf, sizeof buf), "1:02:03");
    cr_assert_str_eq(cli_clock_text(-1000, buf, sizeof buf), "00:00");
}

/* ---- times --------------------------------------------------------------------------------- */

static const char *time_in_zone(const char *tz, int64_t ms, char *buf, size_t size)
{
    setenv("TZ", tz, 1);
    tzset();
    return cli_time_text(ms, buf, size);
}

Test(cli_time, times_are_local_with_the_offset_of_the_zone)
{
    char buf[40];
    const int64_t t = 1795872730301LL; /* 2026-11-28 13:32:10.301 UTC */
    cr_assert_str_eq(time_in_zone("UTC0", t, buf, sizeof buf), "2026-11-28T13:32:10+00:00");
    cr_assert_str_eq(time_in_zone("CET-1", t, buf, sizeof buf), "2026-11-28T14:32:10+01:00");
    cr_assert_str_eq(time_in_zone("EST5", t, buf, sizeof buf), "2026-11-28T08:32:10-05:00");
    cr_assert_str_eq(time_in_zone("IST-5:30", t, buf, sizeof buf), "2026-11-28T19:02:10+05:30");
    cr_assert_str_eq(time_in_zone("NST3:30", t, buf, sizeof buf), "2026-11-28T10:02:10-03:30");
}

Test(cli_time, a_time_not_reached_yet_shows_as_a_dash)
{
    char buf[40];
    cr_assert_str_eq(cli_time_text(0, buf, sizeof buf), "-");
}

/* ---- tables -------------------------------------------------------------------------------- */

static char *table_text(const cli_table *t)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    cli_table_print(t, f);
    fclose(f);
    return text;
}

Test(cli_table, columns_line_up_two_spaces_apart_and_the_last_is_not_padded)
{
    cli_table *t = cli_table_new(3, (const char *const[]){"ID", "RECIPE", "STATE"});
    cli_table_add(t, "r-1", "postgres-pgbench", "RUNNING");
    cli_table_add(t, "r-22222", "redis", "SUCCEEDED");
    char *text = table_text(t);
    cr_assert_str_eq(text, "ID       RECIPE            STATE\n"
                           "r-1      postgres-pgbench  RUNNING\n"
                           "r-22222  redis             SUCCEEDED\n");
    free(text);
    cli_table_free(t);
}

Test(cli_table, empty_trailing_cells_leave_no_blanks_at_the_end_of_a_line)
{
    cli_table *t = cli_table_new(3, NULL);
    cli_table_add(t, "reason", "", NULL);
    cli_table_add(t, "id", "r-1", "");
    cli_table_add(t, "service dir", "/tmp/x", "y");
    char *text = table_text(t);
    cr_assert_str_eq(text, "reason\n"
                           "id           r-1\n"
                           "service dir  /tmp/x  y\n");
    free(text);
    cli_table_free(t);
}

Test(cli_table, a_multibyte_character_counts_as_one_column_and_newlines_become_spaces)
{
    cli_table *t = cli_table_new(2, (const char *const[]){"NAME", "VALUE"});
    cli_table_add(t, "µs", "1");
    cli_table_add(t, "two\nlines", "2");
    char *text = table_text(t);
    cr_assert_str_eq(text, "NAME       VALUE\n"
                           "µs         1\n"
                           "two lines  2\n");
    free(text);
    cli_table_free(t);
}

Test(cli_table, a_table_grows_past_its_first_allocation)
{
    cli_table *t = cli_table_new(2, (const char *const[]){"N", "SQUARE"});
    for (int i = 0; i < 100; i++) {
        char n[16], sq[16];
        snprintf(n, sizeof n, "%d", i);
        snprintf(sq, sizeof sq, "%d", i * i);
        cli_table_add(t, n, sq);
    }
    char *text = table_text(t);
    cr_assert_eq(test_line_count(text), 101);
    cr_assert(strstr(text, "\n99  9801\n"), "%s", text);
    cr_assert(strstr(text, "\n7   49\n"), "%s", text);
    free(text);
    cli_table_free(t);
}

Test(cli_table, summary_metrics_print_as_aligned_names_values_and_units)
{
    Aifb__V1__Metric m[3];
    const char *names[] = {"set_rps", "p99_latency_ms", "errors"};
    const double values[] = {81234.5, 0.25, 0};
    const char *units[] = {"ops/s", "ms", ""};
    Aifb__V1__Metric *list[3];
    for (int i = 0; i < 3; i++) {
        aifb__v1__metric__init(&m[i]);
        m[i].name = (char *)names[i];
        m[i].value = values[i];
        m[i].unit = (char *)units[i];
        list[i] = &m[i];
    }
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    cli_print_metrics(list, 3, f);
    fclose(f);
    cr_assert_str_eq(text, "set_rps         81234.5 ops/s\n"
                           "p99_latency_ms  0.25 ms\n"
                           "errors          0\n");
    free(text);
}

/* ---- the error line ------------------------------------------------------------------------ */

static char *fail_text(cli_ctx *ctx, aifb_code code, const char *msg, int *rc)
{
    aifb_err err = {0};
    aifb_err_set(&err, code, "%s", msg);
    test_capture cap = test_capture_begin(stderr);
    *rc = cli_fail(ctx, &err);
    return test_capture_end(&cap);
}

Test(cli_fail, a_refusal_is_one_line_with_what_failed_the_status_and_the_message)
{
    cli_ctx ctx = test_cli_ctx(NULL);
    cli_set_what(&ctx, "run start %s", "redis");
    int rc;
    char *err =
        fail_text(&ctx, AIFB_EINVAL, "parameter 'clients':\n0 is below\tthe minimum 1", &rc);
    cr_assert_eq(rc, CLI_EXIT_FAILED);
    cr_assert_str_eq(err, "aifb: run start redis: INVALID_ARGUMENT: parameter 'clients': 0 is "
                          "below the minimum 1\n");
    free(err);
}

Test(cli_fail, an_unreachable_aifbd_is_named_by_its_address_in_one_line)
{
    cli_ctx ctx = test_cli_ctx(NULL);
    ctx.server = "127.0.0.1:1";
    int rc;
    char *err = fail_text(&ctx, AIFB_EUNAVAILABLE, "cannot connect to 127.0.0.1:1: refused", &rc);
    cr_assert_eq(rc, CLI_EXIT_FAILED);
    cr_assert_str_eq(err, "aifb: cannot reach aifbd at 127.0.0.1:1 (is aifbd running? start it "
                          "with `aifbd`)\n");
    free(err);
}

Test(cli_fail, unavailable_about_something_behind_aifbd_is_reported_as_aifbd_said_it)
{
    cli_ctx ctx = test_cli_ctx(NULL);
    ctx.server = "127.0.0.1:1";
    cli_set_what(&ctx, "run start redis");
    int rc;
    char *err = fail_text(&ctx, AIFB_EUNAVAILABLE, "slurmrestd at cluster:6820 is down", &rc);
    cr_assert_str_eq(err,
                     "aifb: run start redis: UNAVAILABLE: slurmrestd at cluster:6820 is down\n");
    free(err);
}

Test(cli_fail, a_refused_token_gets_a_hint_that_never_shows_the_token)
{
    cli_ctx ctx = test_cli_ctx(NULL);
    ctx.token = "s3cret-token-value";
    cli_set_what(&ctx, "info");
    int rc;
    char *err = fail_text(&ctx, AIFB_EUNAUTHENTICATED, "bad bearer token", &rc);
    cr_assert_str_eq(err, "aifb: info: UNAUTHENTICATED: bad bearer token (check AIFB_TOKEN)\n");
    cr_assert_null(strstr(err, "s3cret"));
    free(err);
    ctx.token = NULL;
    err = fail_text(&ctx, AIFB_EUNAUTHENTICATED, "a bearer token is required", &rc);
    cr_assert(strstr(err, "(set AIFB_TOKEN to aifbd's token)"), "%s", err);
    free(err);
}
