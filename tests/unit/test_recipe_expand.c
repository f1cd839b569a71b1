/* test_recipe_expand.c: placeholders expanded into argv elements and env values. Whatever a
 * value holds (shell syntax, quotes, spaces, other placeholders), each template stays exactly one
 * element and the value arrives byte for byte; values a schema refuses (newlines, 1 MB) never get
 * that far. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recipe/recipe.h"

static const char yaml[] = "name: demo\n"
                           "kind: benchmark\n"
                           "params:\n"
                           "  - {name: label, type: string, default: x}\n"
                           "service:\n"
                           "  command: [srv, --port, '${port}', --dir, '${workdir}/data']\n"
                           "  env: {LABEL: 'l=${label}', COST: '$$5'}\n"
                           "client:\n"
                           "  command: [cli, --label, '${label}', '--tag=${label}!', "
                           "'${endpoint}']\n";

static recipe *r;

static void setup(void)
{
    aifb_err err = {0};
    cr_assert_eq(recipe_parse(yaml, strlen(yaml), "demo.yaml", &r, &err), AIFB_OK, "%s", err.msg);
}

static void teardown(void)
{
    recipe_free(r);
}

TestSuite(recipe_expand, .init = setup, .fini = teardown);

/* Resolves label=value and expands the client command with the builtins of a run. */
static char **client_argv(const char *value)
{
    kv given = {"label", (char *)value}, *params;
    size_t n;
    aifb_err err = {0};
    cr_assert_eq(recipe_resolve_params(r, &given, 1, &params, &n, &err), AIFB_OK, "%s", err.msg);
    kv vars[8] = {{"run_id", "r-0123456789ab"},
                  {"run_dir", "/runs/r-0123456789ab"},
                  {"workdir", "/runs/r/client"},
                  {"host", "127.0.0.1"},
                  {"port", "4242"},
                  {"endpoint", "127.0.0.1:4242"}};
    vars[6] = params[0];
    char **argv;
    const recipe_cmd *cmd = &r->client.role.command;
    cr_assert_eq(
        recipe_expand_argv((const char *const *)cmd->argv, cmd->argc, vars, 7, &argv, &err),
        AIFB_OK, "%s", err.msg);
    kv_array_free(params, n);
    return argv;
}

static void assert_stays_one_element(const char *value)
{
    char **argv = client_argv(value);
    cr_assert_str_eq(argv[0], "cli");
    cr_assert_str_eq(argv[1], "--label");
    cr_assert_eq(memcmp(argv[2], value, strlen(value) + 1), 0, "'%s' changed to '%s'", value,
                 argv[2]);
    char tagged[4200];
    snprintf(tagged, sizeof tagged, "--tag=%s!", value);
    cr_assert_str_eq(argv[3], tagged);
    cr_assert_str_eq(argv[4], "127.0.0.1:4242");
    cr_assert_null(argv[5], "one element per template, nothing more");
    recipe_strv_free(argv);
}

Test(recipe_expand, hostile_values_stay_single_elements_byte_for_byte)
{
    const char *hostile[] = {
        "; rm -rf /",
        "$(touch /tmp/x)",
        "`touch /tmp/x`",
        "a b  c",
        "'\"'",
        "\"quoted\"",
        "&& reboot",
        "| cat /etc/shadow",
        "${port}",
        "$$",
        "$HOME",
        "*",
        "-rf",
        "x > /etc/passwd",
        "",
        "\\",
        "--",
        "ünïcödé ✓",
    };
    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++)
        assert_stays_one_element(hostile[i]);
}

Test(recipe_expand, a_value_spelling_a_placeholder_is_not_expanded_again)
{
    char **argv = client_argv("${endpoint}");
    cr_assert_str_eq(argv[2], "${endpoint}");
    recipe_strv_free(argv);
}

Test(recipe_expand, a_newline_or_a_1mb_value_is_refused_before_expansion)
{
    kv given = {"label", "a\nrm -rf /"}, *params;
    size_t n;
    aifb_err err = {0};
    cr_assert_eq(recipe_resolve_params(r, &given, 1, &params, &n, &err), AIFB_EINVAL);
    cr_assert(strstr(err.msg, "control character 0x0a"), "%s", err.msg);
    char *big = malloc(1024 * 1024 + 1);
    memset(big, 'A', 1024 * 1024);
    big[1024 * 1024] = '\0';
    given.value = big;
    cr_assert_eq(recipe_resolve_params(r, &given, 1, &params, &n, &err), AIFB_EINVAL);
    cr_assert(strstr(err.msg, "more than the maximum 4096"), "%s", err.msg);
    free(big);
}

Test(recipe_expand, env_values_expand_to_name_equals_value)
{
    kv vars[] = {{"label", "a b;c"}};
    char **env;
    aifb_err err = {0};
    cr_assert_eq(recipe_expand_env(r->service.role.env, r->service.role.nenv, vars, 1, &env, &err),
                 AIFB_OK, "%s", err.msg);
    cr_assert_str_eq(env[0], "LABEL=l=a b;c");
    cr_assert_str_eq(env[1], "COST=$5");
    cr_assert_null(env[2]);
    recipe_strv_free(env);
}

Test(recipe_expand, a_double_dollar_is_a_literal_dollar)
{
    char *s;
    cr_assert_eq(recipe_expand_string("$$${a}$$", (kv[]){{"a", "x"}}, 1, &s, NULL), AIFB_OK);
    cr_assert_str_eq(s, "$x$");
    free(s);
}

Test(recipe_expand, a_placeholder_without_a_value_is_refused_naming_it)
{
    char **argv = (char **)1;
    aifb_err err = {0};
    const char *tmpl[] = {"srv", "--port", "${port}"};
    cr_assert_eq(recipe_expand_argv(tmpl, 3, (kv[]){{"host", "h"}}, 1, &argv, &err), AIFB_EINVAL);
    cr_assert(strstr(err.msg, "placeholder ${port} has no value"), "%s", err.msg);
    cr_assert_eq(argv, (char **)1, "nothing is returned on failure");
}

Test(recipe_expand, a_malformed_template_is_refused_saying_why)
{
    char *s;
    aifb_err err = {0};
    cr_assert_eq(recipe_expand_string("cost $5", NULL, 0, &s, &err), AIFB_EINVAL);
    cr_assert(strstr(err.msg, "'$' at offset 5 is followed by neither '{' nor '$'"), "%s", err.msg);
    cr_assert_eq(recipe_expand_string("${a", NULL, 0, &s, &err), AIFB_EINVAL);
    cr_assert(strstr(err.msg, "unterminated placeholder at offset 0"), "%s", err.msg);
    cr_assert_eq(recipe_expand_string("${}", NULL, 0, &s, &err), AIFB_EINVAL);
    cr_assert(strstr(err.msg, "empty placeholder"), "%s", err.msg);
    cr_assert_eq(recipe_expand_string("${a b}", NULL, 0, &s, &err), AIFB_EINVAL);
    cr_assert(strstr(err.msg, "bad character ' '"), "%s", err.msg);
}

Test(recipe_expand, the_shipped_redis_recipe_expands_to_the_expected_commands)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/recipes/redis.yaml", AIFB_SOURCE_DIR);
    recipe *redis;
    aifb_err err = {0};
    cr_assert_eq(recipe_load_file(path, &redis, &err), AIFB_OK, "%s", err.msg);
    kv given = {"tests", "ping_inline,set"}, *params;
    size_t n;
    cr_assert_eq(recipe_resolve_params(redis, &given, 1, &params, &n, &err), AIFB_OK, "%s",
                 err.msg);
    kv vars[16];
    memcpy(vars, params, n * sizeof *vars);
    kv builtins[] = {{"run_id", "r-1"},     {"run_dir", "/r"}, {"workdir", "/r/service"},
                     {"host", "127.0.0.1"}, {"port", "6400"},  {"endpoint", "127.0.0.1:6400"}};
    memcpy(vars + n, builtins, sizeof builtins);
    size_t nvars = n + 6;
    char **argv;
    const recipe_cmd *svc = &redis->service.role.command;
    cr_assert_eq(
        recipe_expand_argv((const char *const *)svc->argv, svc->argc, vars, nvars, &argv, &err),
        AIFB_OK, "%s", err.msg);
    const char *want_svc[] = {
        "redis-server", "--port", "6400",         "--bind", "127.0.0.1", "--protected-mode", "no",
        "--save",       "",       "--appendonly", "no",     "--dir",     "/r/service",       NULL};
    for (size_t i = 0; want_svc[i]; i++)
        cr_assert_str_eq(argv[i], want_svc[i]);
    cr_assert_null(argv[13]);
    recipe_strv_free(argv);
    const recipe_cmd *cl = &redis->client.role.command;
    cr_assert_eq(
        recipe_expand_argv((const char *const *)cl->argv, cl->argc, vars, nvars, &argv, &err),
        AIFB_OK, "%s", err.msg);
    const char *want_cl[] = {"redis-benchmark",
                             "-h",
                             "127.0.0.1",
                             "-p",
                             "6400",
                             "-n",
                             "100000",
                             "-c",
                             "50",
                             "-P",
                             "1",
                             "-t",
                             "ping_inline,set",
                             "-d",
                             "3",
                             "-r",
                             "100000",
                             "--csv",
                             NULL};
    for (size_t i = 0; want_cl[i]; i++)
        cr_assert_str_eq(argv[i], want_cl[i], "argv[%zu]", i);
    cr_assert_null(argv[18]);
    recipe_strv_free(argv);
    kv_array_free(params, n);
    recipe_free(redis);
}
