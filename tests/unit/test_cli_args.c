/* test_cli_args.c: the aifb command's argument handling, without a server: how -p is split, what
 * a usage error looks like (one line on stderr, exit 2, nothing sent to aifbd), where options may
 * stand, and --help. Commands are driven through their group functions (cli_cmd_run,
 * cli_cmd_service) with a context whose aifbd address leads nowhere. */
#include <criterion/criterion.h>

#include "test_cli_support.h"

/* Runs `aifb <argv...>` below the given group; returns the exit status, stderr in *err_text. */
static int run_group(const struct cli_cmd *group, cli_ctx *ctx, char **argv, int argc,
                     char **err_text)
{
    test_capture cap = test_capture_begin(stderr);
    int rc = group->exec(ctx, argc, argv);
    *err_text = test_capture_end(&cap);
    return rc;
}

/* ---- -p key=value ------------------------------------------------------------------------- */

Test(cli_param, a_value_keeps_every_equals_sign_after_the_first)
{
    cli_ctx ctx = test_cli_ctx(NULL);
    json_object *params = json_object_new_object();
    cr_assert(cli_add_param(&ctx, params, "filter=a=b"));
    cr_assert(cli_add_param(&ctx, params, "empty="));
    json_object *v;
    cr_assert(json_object_object_get_ex(params, "filter", &v));
    cr_assert_str_eq(json_object_get_string(v), "a=b");
    cr_assert(json_object_object_get_ex(params, "empty", &v));
    cr_assert_str_eq(json_object_get_string(v), "");
    json_object_put(params);
}

Test(cli_param, a_key_given_twice_is_refused_with_one_line_naming_it)
{
    cli_ctx ctx = test_cli_ctx(&test_cli_group_run);
    json_object *params = json_object_new_object();
    cr_assert(cli_add_param(&ctx, params, "clients=4"));
    test_capture cap = test_capture_begin(stderr);
    bool ok = cli_add_param(&ctx, params, "clients=8");
    char *err = test_capture_end(&cap);
    cr_assert_not(ok);
    cr_assert(strstr(err, "'clients' is given twice"), "%s", err);
    cr_assert_eq(test_line_count(err), 1, "%s", err);
    json_object *v;
    json_object_object_get_ex(params, "clients", &v);
    cr_assert_str_eq(json_object_get_string(v), "4", "the first value stays");
    free(err);
    json_object_put(params);
}

Test(cli_param, text_without_a_key_and_an_equals_sign_is_refused_quoting_it)
{
    cli_ctx ctx = test_cli_ctx(&test_cli_group_run);
    json_object *params = json_object_new_object();
    const char *bad[] = {"clients", "=4", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        test_capture cap = test_capture_begin(stderr);
        bool ok = cli_add_param(&ctx, params, bad[i]);
        char *err = test_capture_end(&cap);
        char quoted[64];
        snprintf(quoted, sizeof quoted, "got '%s'", bad[i]);
        cr_assert_not(ok, "'%s' accepted", bad[i]);
        cr_assert(strstr(err, quoted), "%s", err);
        free(err);
    }
    cr_assert_eq(json_object_object_length(params), 0);
    json_object_put(params);
}

/* ---- where options may stand -------------------------------------------------------------- */

Test(cli_next_arg, options_may_come_before_between_and_after_positional_arguments)
{
    static const cli_opt opts[] = {
        {"param", 'p', true}, {"wait", 'w', false}, {"reason", 0, true}, {NULL, 0, false}};
    char *argv[] = {"start", "-p",       "a=1", "redis", "--wait", "--param=b=2",
                    "-pc=3", "--reason", "x y", "--",    "-d",     NULL};
    int argc = (int)(sizeof argv / sizeof argv[0]) - 1;
    cli_ctx ctx = test_cli_ctx(NULL);
    cli_args a;
    cli_args_init(&a, argc, argv);
    struct {
        int r;
        const char *value;
    } want[] = {
        {0, "a=1"}, {CLI_ARG_POSITIONAL, "redis"}, {1, NULL},          {0, "b=2"}, {0, "c=3"},
        {2, "x y"}, {CLI_ARG_POSITIONAL, "-d"},    {CLI_ARG_END, NULL}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const char *v;
        int r = cli_next_arg(&ctx, &a, opts, &v);
        cr_assert_eq(r, want[i].r, "argument %zu: %d, wanted %d", i, r, want[i].r);
        if (want[i].value)
            cr_assert_str_eq(v, want[i].value);
    }
}

Test(cli_next_arg, output_json_is_taken_anywhere_and_an_unknown_format_is_refused_naming_it)
{
    char *argv[] = {"list", "--output=json", "-o", "table", "-ojson", "-o", "yaml", NULL};
    cli_ctx ctx = test_cli_ctx(&test_cli_group_run);
    cli_args a;
    cli_args_init(&a, 5, argv);
    const char *v;
    cr_assert_eq(cli_next_arg(&ctx, &a, NULL, &v), CLI_ARG_END);
    cr_assert_eq(ctx.output, CLI_OUT_JSON, "the last -o wins");
    cli_args_init(&a, 7, argv);
    test_capture cap = test_capture_begin(stderr);
    int r = cli_next_arg(&ctx, &a, NULL, &v);
    char *err = test_capture_end(&cap);
    cr_assert_eq(r, CLI_ARG_ERROR);
    cr_assert(strstr(err, "'yaml'"), "%s", err);
    free(err);
}

Test(cli_next_arg, help_is_asked_with_h_or_help_wherever_it_stands)
{
    char *argv[] = {"start", "redis", "-h", "--help", NULL};
    cli_ctx ctx = test_cli_ctx(NULL);
    cli_args a;
    cli_args_init(&a, 4, argv);
    const char *v;
    cr_assert_eq(cli_next_arg(&ctx, &a, NULL, &v), CLI_ARG_POSITIONAL);
    cr_assert_eq(cli_next_arg(&ctx, &a, NULL, &v), CLI_ARG_HELP);
    cr_assert_eq(cli_next_arg(&ctx, &a, NULL, &v), CLI_ARG_HELP);
}

Test(cli_next_arg, a_missing_value_and_a_value_given_to_a_flag_are_usage_errors)
{
    static const cli_opt opts[] = {{"param", 'p', true}, {"wait", 'w', false}, {NULL, 0, false}};
    char *missing[] = {"start", "--param", NULL};
    char *flag_value[] = {"start", "--wait=yes", NULL};
    cli_ctx ctx = test_cli_ctx(&test_cli_group_run);
    cli_args a;
    const char *v;
    cli_args_init(&a, 2, missing);
    test_capture cap = test_capture_begin(stderr);
    int r1 = cli_next_arg(&ctx, &a, opts, &v);
    cli_args_init(&a, 2, flag_value);
    int r2 = cli_next_arg(&ctx, &a, opts, &v);
    char *err = test_capture_end(&cap);
    cr_assert_eq(r1, CLI_ARG_ERROR);
    cr_assert_eq(r2, CLI_ARG_ERROR);
    cr_assert(strstr(err, "'--param' needs a value"), "%s", err);
    cr_assert(strstr(err, "'--wait' takes no value"), "%s", err);
    cr_assert_eq(test_line_count(err), 2, "%s", err);
    free(err);
}

/* ---- whole commands, refused before anything is sent ------------------------------------ */

Test(cli_usage, an_unknown_option_exits_2_with_one_line_naming_it_and_the_help_to_read)
{
    char *argv[] = {"run", "start", "redis", "--bogus", NULL};
    cli_ctx ctx = test_cli_ctx(&test_cli_group_run);
    char *err;
    int rc = run_group(&test_cli_group_run, &ctx, argv, 4, &err);
    cr_assert_eq(rc, CLI_EXIT_USAGE);
    cr_assert_str_eq(err,
                     "aifb: run start: unknown option '--bogus' (see aifb run start --help)\n");
    cr_assert_null(ctx.client, "nothing was sent to aifbd");
    free(err);
}

Test(cli_usage, an_unknown_short_option_is_named_as_typed)
{
    char *argv[] = {"service", "stop", "s-0123456789ab", "-x", NULL};
    cli_ctx ctx = test_cli_ctx(&test_cli_group_service);
    char *err;
    int rc = run_group(&test_cli_group_service, &ctx, argv, 4, &err);
    cr_assert_eq(rc, CLI_EXIT_USAGE);
    cr_assert(strstr(err, "unknown option '-x'"), "%s", err);
    cr_assert_eq(test_line_count(err), 1, "%s", err);
    cr_assert_null(ctx.client);
    free(err);
}

Test(cli_usage, a_duplicate_parameter_on_run_start_exits_2_before_aifbd_is_called)
{
    char *argv[] = {"run", "start", "redis", "-p", "clients=1", "-p", "clients=2", NULL};
    cli_ctx ctx = test_cli_ctx(&test_cli_group_run);
    char *err;
    int rc = run_group(&test_cli_group_run, &ctx, argv, 7, &err);
    cr_assert_eq(rc, CLI_EXIT_USAGE);
    cr_assert(strstr(err, "'clients' is given twice"), "%s", err);
    cr_assert_null(ctx.client);
    free(err);
}

Test(cli_usage, missing_arguments_and_extra_ones_are_usage_errors)
{
    struct {
        const struct cli_cmd *group;
        char *argv[5];
        int argc;
        const char *says;
    } cases[] = {
        {&test_cli_group_run, {"run", "start"}, 2, "missing the RECIPE"},
        {&test_cli_group_run, {"run", "show", "r-1", "r-2"}, 4, "unexpected argument 'r-2'"},
        {&test_cli_group_run, {"run"}, 1, "missing command (one of: start, stop"},
        {&test_cli_group_run, {"run", "frobnicate"}, 2, "unknown command 'frobnicate'"},
        {&test_cli_group_service, {"service", "stop", "--wait"}, 3, "missing the service ID"},
        {&test_cli_group_run, {"run", "start", "redis", "--timeout", "soon"}, 5, "got 'soon'"},
        {&test_cli_group_run, {"run", "list", "--state", "weird"}, 4, "unknown state 'weird'"},
        {&test_cli_group_run, {"run", "logs", "r-1", "--stream=x.log"}, 4, "got 'x.log'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cli_ctx ctx = test_cli_ctx(cases[i].group);
        char *err;
        int rc = run_group(cases[i].group, &ctx, cases[i].argv, cases[i].argc, &err);
        cr_assert_eq(rc, CLI_EXIT_USAGE, "case %zu exited %d: %s", i, rc, err);
        cr_assert(strstr(err, cases[i].says), "case %zu: %s", i, err);
        cr_assert_eq(test_line_count(err), 1, "case %zu: %s", i, err);
        cr_assert_null(ctx.client);
        free(err);
    }
}

Test(cli_usage, help_of_one_command_goes_to_stdout_with_its_usage_and_exits_0)
{
    char *argv[] = {"service", "stop", "--help", NULL};
    cli_ctx ctx = test_cli_ctx(&test_cli_group_service);
    test_capture cap = test_capture_begin(stdout);
    int rc = cli_cmd_service(&ctx, 3, argv);
    char *out = test_capture_end(&cap);
    cr_assert_eq(rc, CLI_EXIT_OK);
    const char *usage = "usage: aifb service stop ID [--reason TEXT] [--wait]\n";
    cr_assert(strncmp(out, usage, strlen(usage)) == 0, "%s", out);
    cr_assert(strstr(out, "--wait"), "%s", out);
    cr_assert_null(ctx.client);
    free(out);
}

Test(cli_usage, help_of_a_group_lists_every_command_of_it)
{
    char *argv[] = {"run", "--help", NULL};
    cli_ctx ctx = test_cli_ctx(&test_cli_group_run);
    test_capture cap = test_capture_begin(stdout);
    int rc = cli_cmd_run(&ctx, 2, argv);
    char *out = test_capture_end(&cap);
    cr_assert_eq(rc, CLI_EXIT_OK);
    const char *names[] = {"aifb run start", "aifb run stop",  "aifb run list",
                           "aifb run show",  "aifb run watch", "aifb run logs"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        cr_assert(strstr(out, names[i]), "%s missing from:\n%s", names[i], out);
    free(out);
}

/* ---- values ------------------------------------------------------------------------------- */

Test(cli_values, whole_numbers_are_read_within_their_range_and_refused_outside_naming_them)
{
    cli_ctx ctx = test_cli_ctx(&test_cli_group_run);
    long v = 0;
    cr_assert(cli_parse_long(&ctx, "--limit", "25", 1, 100, &v));
    cr_assert_eq(v, 25);
    const char *bad[] = {"0", "101", "2x", "", "99999999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        test_capture cap = test_capture_begin(stderr);
        bool ok = cli_parse_long(&ctx, "--limit", bad[i], 1, 100, &v);
        char *err = test_capture_end(&cap);
        char quoted[64];
        snprintf(quoted, sizeof quoted, "got '%s'", bad[i]);
        cr_assert_not(ok, "'%s' accepted", bad[i]);
        cr_assert(strstr(err, "--limit expects a whole number from 1 to 100"), "%s", err);
        cr_assert(strstr(err, quoted), "%s", err);
        free(err);
    }
    cr_assert_eq(v, 25, "a refused value leaves the old one");
}

Test(cli_values, run_states_are_read_in_any_case_with_or_without_their_prefix)
{
    int st = 0;
    cr_assert(cli_run_state_parse("running", &st));
    cr_assert_eq(st, AIFB__V1__RUN_STATE__RUN_STATE_RUNNING);
    cr_assert(cli_run_state_parse("Succeeded", &st));
    cr_assert_eq(st, AIFB__V1__RUN_STATE__RUN_STATE_SUCCEEDED);
    cr_assert(cli_run_state_parse("RUN_STATE_FAILED", &st));
    cr_assert_eq(st, AIFB__V1__RUN_STATE__RUN_STATE_FAILED);
    cr_assert_not(cli_run_state_parse("unspecified", &st));
    cr_assert_not(cli_run_state_parse("", &st));
    cr_assert_not(cli_run_state_parse("run", &st));
}
