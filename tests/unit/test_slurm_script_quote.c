/* test_slurm_script_quote.c: the quoting a job script relies on, the checks of values that cannot
 * be quoted, and the --time format. Quoted words are checked by bash itself: a word printed with
 * printf '%s\0' must give back the original bytes. */
#include "test_slurm_script_support.h"

TestSuite(slurm_quote, .init = t_setup, .fini = t_teardown, .timeout = 60);

/* What bash makes of `printf '%s\0' WORD` when WORD is the quoting of value. */
static char *bash_reads(const char *value, size_t *len, bool subst)
{
    abuf script = {0};
    abuf_puts(&script, "host='H O'\nprintf '%s\\0' ");
    if (subst)
        slurm_shell_quote_subst(&script, value, "@T@", "host");
    else
        slurm_shell_quote(&script, value);
    abuf_puts(&script, " > out\n");
    int status = t_run(script.p);
    abuf_free(&script);
    cr_assert_eq(status, 0);
    return t_read("out", len);
}

static void assert_round_trip(const char *value)
{
    size_t len = 0;
    char *got = bash_reads(value, &len, false);
    cr_assert_eq(len, strlen(value) + 1, "one word of %zu bytes expected, got %zu bytes",
                 strlen(value), len);
    cr_assert_str_eq(got, value);
    free(got);
}

Test(slurm_quote, quoted_values_come_back_from_bash_as_one_word_byte_for_byte)
{
    const char *values[] = {"plain",      "",       "a b",
                            "'",          "''",     "it's",
                            "\"",         "\\",     "\\'",
                            "$(id)",      "`id`",   "${HOME}",
                            "; rm -rf ~", "&& x",   "| y",
                            "* ? [a]",    "~",      "-n",
                            "--",         "\n",     "a\nb",
                            "\r\n",       "\t",     "\x01\x7f",
                            "!!",         "%j",     "\xc3\xa9\xe2\x9c\x93",
                            "$'\\n'",     "'\"'\"'"};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
        assert_round_trip(values[i]);
}

Test(slurm_quote, every_byte_value_survives_quoting)
{
    char all[256];
    for (int i = 1; i < 256; i++)
        all[i - 1] = (char)i;
    all[255] = '\0';
    assert_round_trip(all);
}

Test(slurm_quote, a_quoted_word_never_spans_lines_or_holds_control_characters)
{
    abuf b = {0};
    slurm_shell_quote(&b, "a\nb\rc\td\x1b\x7f'");
    for (size_t i = 0; i < b.len; i++)
        cr_assert((unsigned char)b.p[i] >= 0x20 && b.p[i] != 0x7f, "control byte in %s", b.p);
    cr_assert_str_eq(b.p, "'a'$'\\012''b'$'\\015''c'$'\\011''d'$'\\033'$'\\177'\\'");
    abuf_free(&b);
}

Test(slurm_quote, the_host_placeholder_becomes_the_variable_and_nothing_else_is_expanded)
{
    size_t len = 0;
    char *got = bash_reads("'$(x)@T@`y`@T@;", &len, true);
    cr_assert_str_eq(got, "'$(x)H O`y`H O;");
    free(got);
    got = bash_reads("@T@", &len, true);
    cr_assert_str_eq(got, "H O");
    free(got);
    got = bash_reads("no placeholder $(x)", &len, true);
    cr_assert_str_eq(got, "no placeholder $(x)");
    free(got);
}

Test(slurm_quote, directive_values_outside_the_safe_set_are_refused)
{
    const char *bad[] = {NULL,   "",    "a b",      "a\nb", "a\r", "a\tb", "'x'", "\"x\"",
                         "$(x)", "`x`", "a;b",      "a&b",  "a|b", "*",    "~",   "%j",
                         "-x",   "--x", "\xc3\xa9", "a\\b", "#x",  "a=b",  "a>b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert(!slurm_directive_value_ok(bad[i]), "'%s' was accepted", bad[i] ? bad[i] : "NULL");
    char longv[1100];
    memset(longv, 'a', sizeof longv - 1);
    longv[sizeof longv - 1] = '\0';
    cr_assert(!slurm_directive_value_ok(longv), "a value of 1099 characters was accepted");
    const char *good[] = {
        "p200000",       "cpu", "gpu,fpga", "default", "/project/home/p200000/aifb",
        "a.b_c-d+e:f@g", "x-"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        cr_assert(slurm_directive_value_ok(good[i]), "'%s' was refused", good[i]);
}

Test(slurm_quote, environment_names_must_be_shell_names)
{
    cr_assert(slurm_env_name_ok("AIFB_X"));
    cr_assert(slurm_env_name_ok("_x9"));
    const char *bad[] = {NULL,  "",    "9x", "A-B",           "A B",
                         "A=B", "A\n", "$A", "BASH_FUNC_x%%", "\xc3\xa9"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert(!slurm_env_name_ok(bad[i]), "'%s' was accepted", bad[i] ? bad[i] : "NULL");
}

Test(slurm_quote, time_limits_are_minutes_under_an_hour_and_days_hours_minutes_after)
{
    struct {
        int min;
        const char *want;
    } cases[] = {{1, "1"},
                 {45, "45"},
                 {59, "59"},
                 {60, "0-01:00:00"},
                 {90, "0-01:30:00"},
                 {1439, "0-23:59:00"},
                 {1440, "1-00:00:00"},
                 {2 * 1440 + 61, "2-01:01:00"},
                 {14 * 1440, "14-00:00:00"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[SLURM_TIME_MAX];
        slurm_format_time(cases[i].min, out);
        cr_assert_str_eq(out, cases[i].want, "%d minutes", cases[i].min);
    }
}

/* A minimal valid plan: a service and a client, both "true". */
static char *argv_true[] = {"true", NULL};
static exec_plan small_plan(void)
{
    return (exec_plan){.id = T_ID,
                       .has_service = true,
                       .service = {.main = {argv_true, NULL}},
                       .probe = {.kind = EXEC_PROBE_TCP, .host = "127.0.0.1", .port = 4000},
                       .has_client = true,
                       .client = {.main = {argv_true, NULL}},
                       .endpoint = "127.0.0.1:4000"};
}

/* Both scripts are refused with AIFB_EINVAL and a message holding every string in want. */
static void assert_refused(const exec_plan *p, const slurm_opts *o, const char *want1,
                           const char *want2)
{
    char *script = NULL;
    aifb_err err = {0};
    cr_assert_eq(slurm_script_service(p, o, &script, &err), AIFB_EINVAL, "accepted: %s", want1);
    cr_assert_null(script);
    cr_assert(strstr(err.msg, want1), "message '%s' does not name '%s'", err.msg, want1);
    if (want2)
        cr_assert(strstr(err.msg, want2), "message '%s' does not show '%s'", err.msg, want2);
    cr_assert(!strchr(err.msg, '\n'), "the message spans lines: %s", err.msg);
    err = (aifb_err){0};
    cr_assert_eq(slurm_script_client(p, o, &script, &err), AIFB_EINVAL);
    cr_assert(strstr(err.msg, want1), "client message '%s' does not name '%s'", err.msg, want1);
}

Test(slurm_quote, a_directive_value_with_a_newline_or_space_is_refused_naming_field_and_value)
{
    exec_plan p = small_plan();
    slurm_opts o = t_opts();
    o.partition = "cpu\n#SBATCH --qos=urgent";
    assert_refused(&p, &o, "partition", "cpu\\n#SBATCH --qos=urgent");
    o = t_opts();
    o.account = "p200000 --exclusive";
    assert_refused(&p, &o, "account", "p200000 --exclusive");
    o = t_opts();
    o.qos = "default'";
    assert_refused(&p, &o, "qos", "default'");
    o = t_opts();
    o.qos = "-x";
    assert_refused(&p, &o, "qos", "-x");
    o = t_opts();
    o.remote_base = "/project/my runs";
    assert_refused(&p, &o, "remote_base", "/project/my runs");
    o.remote_base = "/project/%u";
    assert_refused(&p, &o, "remote_base", "/project/%u");
    o.remote_base = "relative/path";
    assert_refused(&p, &o, "remote_base", "absolute");
    o.remote_base = NULL;
    assert_refused(&p, &o, "remote_base", NULL);
}

Test(slurm_quote, unusable_plan_values_are_refused_before_anything_is_written)
{
    exec_plan p = small_plan();
    slurm_opts o = t_opts();
    p.id = "r-1\n#SBATCH --x";
    assert_refused(&p, &o, "plan id", "r-1\\n#SBATCH --x");
    p = small_plan();
    char *env[] = {"BAD NAME=1", NULL};
    p.service.main.env = env;
    p.client.main.env = env;
    assert_refused(&p, &o, "environment entry", "BAD NAME=1");
    char *env2[] = {"NOEQUALS", NULL};
    p.service.main.env = env2;
    p.client.main.env = env2;
    assert_refused(&p, &o, "environment entry", "NOEQUALS");
    p = small_plan();
    const char *search[] = {"/a:/b", NULL};
    p.service.search = search;
    p.client.search = search;
    assert_refused(&p, &o, "search folder", "/a:/b");
    p = small_plan();
    o.image = "--bind=/:/x";
    assert_refused(&p, &o, "image", "--bind=/:/x");
    o = t_opts();
    const char *modules[] = {"-f", NULL};
    o.modules = modules;
    assert_refused(&p, &o, "module", "-f");
    o = t_opts();
    o.cpus_per_task = -1;
    assert_refused(&p, &o, "cpus_per_task", "-1");
    o = t_opts();
    o.memory_mb = -5;
    assert_refused(&p, &o, "memory_mb", "-5");
    o = t_opts();
    char *empty[] = {NULL};
    p.service.main.argv = empty;
    p.client.main.argv = empty;
    assert_refused(&p, &o, "has no program", NULL);
}

Test(slurm_quote, a_service_port_outside_the_tcp_range_is_refused)
{
    exec_plan p = small_plan();
    slurm_opts o = t_opts();
    char *script = NULL;
    aifb_err err = {0};
    p.probe.port = 0;
    cr_assert_eq(slurm_script_service(&p, &o, &script, &err), AIFB_EINVAL);
    cr_assert(strstr(err.msg, "port 0"), "%s", err.msg);
    p.probe.port = 70000;
    cr_assert_eq(slurm_script_service(&p, &o, &script, &err), AIFB_EINVAL);
    cr_assert(strstr(err.msg, "port 70000"), "%s", err.msg);
}

Test(slurm_quote, a_plan_without_the_role_asked_for_is_refused)
{
    exec_plan p = small_plan();
    slurm_opts o = t_opts();
    char *script = NULL;
    aifb_err err = {0};
    p.has_service = false;
    cr_assert_eq(slurm_script_service(&p, &o, &script, &err), AIFB_EINVAL);
    cr_assert(strstr(err.msg, "no service"), "%s", err.msg);
    p = small_plan();
    p.has_client = false;
    cr_assert_eq(slurm_script_client(&p, &o, &script, &err), AIFB_EINVAL);
    cr_assert(strstr(err.msg, "no client"), "%s", err.msg);
    p = small_plan();
    p.has_service = false;
    p.endpoint = NULL;
    cr_assert_eq(slurm_script_client(&p, &o, &script, &err), AIFB_EINVAL);
    cr_assert(strstr(err.msg, "endpoint"), "%s", err.msg);
}

/* The #SBATCH lines of a script, in order, joined by newlines. */
static char *directives_of(const char *script)
{
    abuf b = {0};
    for (const char *l = script; l && *l;) {
        const char *nl = strchr(l, '\n');
        size_t n = nl ? (size_t)(nl - l) : strlen(l);
        if (!strncmp(l, "#SBATCH ", 8)) {
            abuf_append(&b, l, n);
            abuf_putc(&b, '\n');
        }
        l = nl ? nl + 1 : NULL;
    }
    return abuf_take(&b);
}

Test(slurm_quote, the_directives_carry_the_run_id_resources_and_literal_paths)
{
    exec_plan p = small_plan();
    slurm_opts o = t_opts();
    o.remote_base = "/project/home/p200000/aifb/";
    o.time_limit_min = 90;
    o.gpus = 2;
    char *script = NULL;
    cr_assert_eq(slurm_script_service(&p, &o, &script, NULL), AIFB_OK);
    char *d = directives_of(script);
    cr_assert_str_eq(d, "#SBATCH --job-name=aifb-" T_ID "-service\n"
                        "#SBATCH --comment=aifb:" T_ID ":service\n"
                        "#SBATCH --account=p200000\n"
                        "#SBATCH --partition=cpu\n"
                        "#SBATCH --qos=default\n"
                        "#SBATCH --time=0-01:30:00\n"
                        "#SBATCH --nodes=1\n"
                        "#SBATCH --ntasks=1\n"
                        "#SBATCH --cpus-per-task=2\n"
                        "#SBATCH --mem=1024M\n"
                        "#SBATCH --gpus=2\n"
                        "#SBATCH --chdir=/project/home/p200000/aifb/runs/" T_ID "\n"
                        "#SBATCH --output=/project/home/p200000/aifb/runs/" T_ID "/service.out\n"
                        "#SBATCH --error=/project/home/p200000/aifb/runs/" T_ID "/service.err\n");
    cr_assert(!strstr(script, "--dependency"), "the jobs must not depend on each other");
    cr_assert(!strncmp(script, "#!/bin/bash\n#SBATCH", 19), "directives follow the shebang");
    free(d);
    free(script);

    o = (slurm_opts){.remote_base = "/r", .gpus = 1, .gres_style_gpus = true, .login_shell = true};
    cr_assert_eq(slurm_script_client(&p, &o, &script, NULL), AIFB_OK);
    d = directives_of(script);
    cr_assert_str_eq(d, "#SBATCH --job-name=aifb-" T_ID "-client\n"
                        "#SBATCH --comment=aifb:" T_ID ":client\n"
                        "#SBATCH --gres=gpu:1\n"
                        "#SBATCH --chdir=/r/runs/" T_ID "\n"
                        "#SBATCH --output=/r/runs/" T_ID "/client.out\n"
                        "#SBATCH --error=/r/runs/" T_ID "/client.err\n");
    cr_assert(!strncmp(script, "#!/bin/bash -l\n", 15));
    free(d);
    free(script);
}
