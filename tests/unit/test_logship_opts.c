/* test_logship_opts.c: aifb-logship's command line: the exact invocation aifbd uses, the
 * defaults (labels app and node, protobuf, 1 s and 1 MiB batches), sizes and durations in their
 * usual spellings, the token taken from the environment and never from an option, and each
 * mistake refused with a message naming the option. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "logship/opts.h"

static aifb_code parse(logship_opts *o, aifb_err *err, const char **args, int n)
{
    char *argv[64];
    argv[0] = "aifb-logship";
    for (int i = 0; i < n; i++)
        argv[i + 1] = (char *)args[i];
    return logship_opts_parse(o, n + 1, argv, err);
}

#define PARSE(o, err, ...)                                                                         \
    parse(o, err, (const char *[]){__VA_ARGS__},                                                   \
          (int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *)))

Test(opts, the_invocation_aifbd_uses)
{
    unsetenv("AIFB_RUN_ID");
    unsetenv("AIFB_LOKI_TOKEN");
    logship_opts o;
    aifb_err err;
    cr_assert_eq(PARSE(&o, &err, "--loki-url", "http://127.0.0.1:3100/loki/api/v1/push", "--file",
                       "D/service.out", "--file", "D/service.err", "--label", "run_id=R", "--label",
                       "role=service", "--positions", "D/logship.positions", "--spool",
                       "D/logship-spool", "--follow-pid", "4242"),
                 AIFB_OK, "%s", err.msg);
    cr_assert_eq(o.nsources, 2);
    cr_assert_str_eq(o.sources[1].pattern, "D/service.err");
    cr_assert_not(o.sources[1].glob);
    cr_assert_str_eq(ls_labels_get(&o.labels, "app"), "aifb");
    cr_assert_str_eq(ls_labels_get(&o.labels, "run_id"), "R");
    cr_assert_str_eq(ls_labels_get(&o.labels, "role"), "service");
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    host[strcspn(host, ".")] = '\0';
    cr_assert_str_eq(ls_labels_get(&o.labels, "node"), host);
    cr_assert_eq(o.follow_pid, 4242);
    cr_assert_str_eq(o.spool_dir, "D/logship-spool");
    cr_assert_eq(o.format, LS_FORMAT_PROTOBUF);
    cr_assert_eq(o.batch_wait_ms, 1000);
    cr_assert_eq(o.batch_bytes, 1u << 20);
    cr_assert_eq(o.flush_timeout_ms, 10000);
    cr_assert_null(o.token);
    logship_opts_free(&o);
}

Test(opts, sizes_durations_streams_and_the_token_from_the_environment)
{
    setenv("AIFB_LOKI_TOKEN", "s3cret-token", 1);
    setenv("AIFB_RUN_ID", "r-env", 1);
    logship_opts o;
    aifb_err err;
    cr_assert_eq(PARSE(&o, &err, "--loki-url", "http://x/loki/api/v1/push", "--glob", "/l/*.log",
                       "--file-stream", "/l/*.log=app", "--positions", "p", "--batch-wait", "250ms",
                       "--batch-bytes", "64KiB", "--spool-max-bytes", "1G", "--format", "json",
                       "--label", "app=", "--label", "team=x", "--max-retries", "-1"),
                 AIFB_OK, "%s", err.msg);
    cr_assert(o.sources[0].glob);
    cr_assert_str_eq(o.sources[0].stream, "app");
    cr_assert_eq(o.batch_wait_ms, 250);
    cr_assert_eq(o.batch_bytes, 65536);
    cr_assert_eq(o.spool_max_bytes, 1ull << 30);
    cr_assert_eq(o.format, LS_FORMAT_JSON);
    cr_assert_null(ls_labels_get(&o.labels, "app"));
    cr_assert_str_eq(ls_labels_get(&o.labels, "run_id"), "r-env");
    cr_assert_str_eq(o.token, "s3cret-token");
    cr_assert_eq(o.max_retries, -1);
    logship_opts_free(&o);
    unsetenv("AIFB_LOKI_TOKEN");
    unsetenv("AIFB_RUN_ID");

    int64_t ms;
    uint64_t b;
    cr_assert(logship_parse_duration("2", &ms) && ms == 2000);
    cr_assert(logship_parse_duration("1.5s", &ms) && ms == 1500);
    cr_assert(logship_parse_duration("2m", &ms) && ms == 120000);
    cr_assert_not(logship_parse_duration("fast", &ms));
    cr_assert_not(logship_parse_duration("-1s", &ms));
    cr_assert(logship_parse_size("1048576", &b) && b == 1048576);
    cr_assert(logship_parse_size("1MiB", &b) && b == 1048576);
    cr_assert(logship_parse_size("512k", &b) && b == 524288);
    cr_assert_not(logship_parse_size("1.5M", &b));
    cr_assert_not(logship_parse_size("M", &b));
    cr_assert_not(logship_parse_size("10 MB", &b));
}

static void expect_refused(const char *needle, const char **args, int n)
{
    logship_opts o;
    aifb_err err;
    cr_assert_eq(parse(&o, &err, args, n), AIFB_EINVAL, "expected a refusal naming %s", needle);
    cr_assert(strstr(err.msg, needle), "'%s' does not name %s", err.msg, needle);
    logship_opts_free(&o);
}

#define REFUSED(needle, ...)                                                                       \
    expect_refused(needle, (const char *[]){__VA_ARGS__},                                          \
                   (int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *)))

Test(opts, mistakes_are_refused_naming_the_option)
{
    REFUSED("--loki-url", "--file", "a", "--positions", "p");
    REFUSED("--file or --glob", "--loki-url", "http://x", "--positions", "p");
    REFUSED("--positions", "--loki-url", "http://x", "--file", "a");
    REFUSED("--label", "--loki-url", "http://x", "--file", "a", "--positions", "p", "--label",
            "bad-name=1");
    REFUSED("--batch-wait", "--loki-url", "http://x", "--file", "a", "--positions", "p",
            "--batch-wait", "soon");
    REFUSED("--format", "--loki-url", "http://x", "--file", "a", "--positions", "p", "--format",
            "xml");
    REFUSED("--file-stream", "--loki-url", "http://x", "--file", "a", "--positions", "p",
            "--file-stream", "b=x");
    REFUSED("--follow-pid", "--loki-url", "http://x", "--file", "a", "--positions", "p",
            "--follow-pid", "0");
    REFUSED("unknown option", "--loki-url", "http://x", "--file", "a", "--positions", "p",
            "--bearer-token", "secret"); /* no such option: ps would show the token */
    REFUSED("--token-file", "--loki-url", "http://x", "--file", "a", "--positions", "p",
            "--token-file", "/nonexistent/token");
    REFUSED("unexpected argument", "--loki-url", "http://x", "--file", "a", "--positions", "p",
            "stray");
}
