/* test_monitor_opts.c: aifb-monitor's command line: the defaults, the exact line aifbd starts it
 * with, every option, and each kind of bad value refused with the option and the value named. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/opts.h"

#define URL "http://127.0.0.1:9090/api/v1/write"

static aifb_code parse(mon_opts *o, aifb_err *err, const char *const *args)
{
    char *argv[64] = {"aifb-monitor"};
    int argc = 1;
    for (; args[argc - 1]; argc++)
        argv[argc] = (char *)args[argc - 1];
    return mon_opts_parse(o, argc, argv, err);
}

#define PARSE(o, err, ...) parse(o, err, (const char *const[]){__VA_ARGS__, NULL})

static void no_slurm(void)
{
    unsetenv("SLURM_JOB_ID");
}

TestSuite(monitor_opts, .init = no_slurm);

Test(monitor_opts, defaults)
{
    mon_opts o;
    aifb_err err = {0};
    cr_assert_eq(PARSE(&o, &err, "--remote-write", URL), AIFB_OK, "%s", err.msg);
    cr_assert_str_eq(o.remote_write, URL);
    cr_assert_eq(o.interval_ms, 1000);
    cr_assert_eq(o.duration_ms, 0);
    cr_assert_eq(o.flush_timeout_ms, 10000);
    cr_assert_eq(o.memory_buffer, 16u << 20);
    cr_assert_eq(o.pid, 0);
    cr_assert_not(o.job);
    cr_assert_null(o.spool_dir);
    cr_assert_str_eq(o.nvml_library, "libnvidia-ml.so.1");
    cr_assert_str_eq(o.root, "");
    cr_assert(o.instance[0] && !strchr(o.instance, '.'), "the short host name: %s", o.instance);
    mon_opts_free(&o);
}

Test(monitor_opts, the_line_aifbd_starts_it_with)
{
    mon_opts o;
    aifb_err err = {0};
    cr_assert_eq(PARSE(&o, &err, "--remote-write", URL, "--pid", "4242", "--interval", "1s",
                       "--label", "run_id=r-3fa09c1d22be", "--label", "role=service", "--scrape",
                       "http://127.0.0.1:8000/metrics", "--spool", "/var/lib/aifb/monitor-spool"),
                 AIFB_OK, "%s", err.msg);
    cr_assert_eq(o.pid, 4242);
    cr_assert_eq(o.interval_ms, 1000);
    cr_assert_eq(o.nlabels, 2);
    cr_assert_str_eq(o.labels[0].name, "run_id");
    cr_assert_str_eq(o.labels[0].value, "r-3fa09c1d22be");
    cr_assert_str_eq(o.labels[1].name, "role");
    cr_assert_str_eq(o.labels[1].value, "service");
    cr_assert_str_eq(o.scrape_url, "http://127.0.0.1:8000/metrics");
    cr_assert_str_eq(o.spool_dir, "/var/lib/aifb/monitor-spool");
    mon_opts_free(&o);
}

Test(monitor_opts, every_option)
{
    mon_opts o;
    aifb_err err = {0};
    cr_assert_eq(PARSE(&o, &err, "--remote-write=" URL, "--interval=250ms", "--duration", "2m",
                       "--flush-timeout", "1.5s", "--no-node", "--no-gpu", "--memory-buffer",
                       "64KiB", "--spool", "monitor-spool", "--spool-max-bytes", "1GB",
                       "--instance", "node-7", "--token-file", "/etc/aifb/token", "--root",
                       "captured", "--nvml-library", "/opt/nvml.so", "--log-level", "debug",
                       "--label", "a=b=c"),
                 AIFB_OK, "%s", err.msg);
    cr_assert_eq(o.interval_ms, 250);
    cr_assert_eq(o.duration_ms, 120000);
    cr_assert_eq(o.flush_timeout_ms, 1500);
    cr_assert(o.no_node && o.no_gpu);
    cr_assert_eq(o.memory_buffer, 65536);
    cr_assert_eq(o.spool_max_bytes, 1000000000);
    cr_assert_str_eq(o.instance, "node-7");
    cr_assert_str_eq(o.token_file, "/etc/aifb/token");
    cr_assert_str_eq(o.root, "captured");
    cr_assert_str_eq(o.nvml_library, "/opt/nvml.so");
    cr_assert_eq(o.log_level, AIFB_LOG_DEBUG);
    cr_assert_str_eq(o.labels[0].value, "b=c");
    mon_opts_free(&o);
}

Test(monitor_opts, job_is_the_default_inside_slurm_without_pid)
{
    setenv("SLURM_JOB_ID", "42", 1);
    mon_opts o;
    aifb_err err = {0};
    cr_assert_eq(PARSE(&o, &err, "--remote-write", URL), AIFB_OK);
    cr_assert(o.job && o.job_by_default);
    cr_assert_str_eq(o.job_id, "42");
    mon_opts_free(&o);
    cr_assert_eq(PARSE(&o, &err, "--remote-write", URL, "--job"), AIFB_OK);
    cr_assert(o.job && !o.job_by_default);
    mon_opts_free(&o);
    cr_assert_eq(PARSE(&o, &err, "--remote-write", URL, "--pid", "7"), AIFB_OK);
    cr_assert_not(o.job);
    mon_opts_free(&o);
}

Test(monitor_opts, bad_values_are_named)
{
    static const struct {
        const char *args[8];
        const char *msg;
    } bad[] = {
        {{"--pid", "7"}, "--remote-write URL is required"},
        {{"--remote-write", "ftp://x/"},
         "--remote-write: 'ftp://x/' is not an http:// or "
         "https:// URL"},
        {{"--remote-write", URL, "--interval", "fast"}, "--interval: 'fast' is not a duration"},
        {{"--remote-write", URL, "--interval", "10ms"}, "--interval: 10 ms is not between 50ms"},
        {{"--remote-write", URL, "--interval", "2h"}, "--interval: 7200000 ms is not between"},
        {{"--remote-write", URL, "--duration", "-1s"}, "--duration: '-1s' is not a duration"},
        {{"--remote-write", URL, "--pid", "0"}, "--pid: '0' is not a process id"},
        {{"--remote-write", URL, "--pid", "12ab"}, "--pid: '12ab' is not a process id"},
        {{"--remote-write", URL, "--pid", "3", "--job"}, "--pid and --job exclude each other"},
        {{"--remote-write", URL, "--label", "run_id"}, "--label: 'run_id' is not NAME=VALUE"},
        {{"--remote-write", URL, "--label", "1x=y"}, "--label: '1x=y' has a name that is not"},
        {{"--remote-write", URL, "--label", "__x=y"}, "--label: '__x=y' has a name starting"},
        {{"--remote-write", URL, "--label", "x="}, "--label: 'x=' has an empty value"},
        {{"--remote-write", URL, "--label", "mode=x"}, "--label: 'mode=x' uses a label name of"},
        {{"--remote-write", URL, "--label", "instance=x"}, "--label: 'instance=x' sets instance"},
        {{"--remote-write", URL, "--label", "a=1", "--label", "a=2"},
         "--label: 'a=2' names a label given before"},
        {{"--remote-write", URL, "--memory-buffer", "12X"}, "--memory-buffer: '12X' is not a size"},
        {{"--remote-write", URL, "--spool-max-bytes", "1MiB"}, "--spool-max-bytes needs --spool"},
        {{"--remote-write", URL, "--scrape", "localhost:8000/metrics"},
         "--scrape: 'localhost:8000/metrics' is not an http"},
        {{"--remote-write", URL, "--spool", ""}, "--spool: the value is empty"},
        {{"--remote-write", URL, "--token", "secret"}, "unknown option '--token'"},
        {{"--remote-write", URL, "--no-gpu=1"}, "--no-gpu takes no value"},
        {{"--remote-write", URL, "--interval"}, "--interval needs a value"},
        {{"--remote-write", URL, "extra"}, "unexpected argument 'extra'"},
        {{"--remote-write", URL, "--log-level", "loud"}, "--log-level: 'loud' is not one of"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mon_opts o;
        aifb_err err = {0};
        cr_assert_eq(parse(&o, &err, bad[i].args), AIFB_EINVAL, "accepted: %s %s %s",
                     bad[i].args[0], bad[i].args[1], bad[i].args[2] ? bad[i].args[2] : "");
        cr_assert(strstr(err.msg, bad[i].msg), "said '%s', not '%s'", err.msg, bad[i].msg);
        mon_opts_free(&o);
    }
}

Test(monitor_opts, durations_and_sizes)
{
    int64_t ms;
    cr_assert(mon_parse_duration_ms("1", &ms) && ms == 1000);
    cr_assert(mon_parse_duration_ms("0.5", &ms) && ms == 500);
    cr_assert(mon_parse_duration_ms("750ms", &ms) && ms == 750);
    cr_assert(mon_parse_duration_ms("1.5s", &ms) && ms == 1500);
    cr_assert(mon_parse_duration_ms("2m", &ms) && ms == 120000);
    cr_assert(mon_parse_duration_ms("1h", &ms) && ms == 3600000);
    for (const char *const *b =
             (const char *const[]){"", "s", "1d", "1 s", " 1s", "nan", "inf", "-1", "1e300h", NULL};
         *b; b++)
        cr_assert_not(mon_parse_duration_ms(*b, &ms), "accepted '%s'", *b);
    uint64_t n;
    cr_assert(mon_parse_bytes("4096", &n) && n == 4096);
    cr_assert(mon_parse_bytes("64k", &n) && n == 65536);
    cr_assert(mon_parse_bytes("16MiB", &n) && n == 16u << 20);
    cr_assert(mon_parse_bytes("16M", &n) && n == 16u << 20);
    cr_assert(mon_parse_bytes("16MB", &n) && n == 16000000);
    cr_assert(mon_parse_bytes("1GiB", &n) && n == 1u << 30);
    cr_assert(mon_parse_bytes("0", &n) && n == 0);
    for (const char *const *b = (const char *const[]){"", "M", "1.5M", "-1", "1T", "16 MiB",
                                                      "99999999999999999", "2000000G", NULL};
         *b; b++)
        cr_assert_not(mon_parse_bytes(*b, &n), "accepted '%s'", *b);
}
