/* test_recipe_parse.c: loading recipes: the two shipped recipes read back as written, every kind
 * of malformed recipe is refused at load time with a message naming the file, the place and the
 * thing at fault, and the catalog skips bad files with a warning. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "recipe/recipe.h"

static recipe *load_shipped(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/recipes/%s.yaml", AIFB_SOURCE_DIR, name);
    recipe *r = NULL;
    aifb_err err = {0};
    aifb_code rc = recipe_load_file(path, &r, &err);
    cr_assert_eq(rc, AIFB_OK, "loading %s: %s", path, err.msg);
    return r;
}

static void assert_argv(const recipe_cmd *cmd, const char *const *want)
{
    size_t n = 0;
    while (want[n])
        n++;
    cr_assert_eq(cmd->argc, n, "argc %zu, expected %zu", cmd->argc, n);
    for (size_t i = 0; i < n; i++)
        cr_assert_str_eq(cmd->argv[i], want[i], "argv[%zu]", i);
}

Test(recipe_shipped, redis_recipe_reads_back_as_written)
{
    recipe *r = load_shipped("redis");
    cr_assert_str_eq(r->name, "redis");
    cr_assert_eq(r->kind, RECIPE_KIND_BENCHMARK);
    cr_assert(strstr(r->source_path, "recipes/redis.yaml"));
    cr_assert_eq(r->nparams, 6);
    const char *names[] = {"requests", "clients", "pipeline", "tests", "datasize", "keyspace"};
    for (size_t i = 0; i < 6; i++)
        cr_assert_str_eq(r->params[i].name, names[i]);
    const recipe_param *req = &r->params[0];
    cr_assert_eq(req->type, RECIPE_PARAM_INT);
    cr_assert_eq((int)req->type, 2, "numbered as aifb.v1.ParamType");
    cr_assert_str_eq(req->default_value, "100000");
    cr_assert(req->has_min && req->has_max);
    cr_assert_eq(req->min_int, 1);
    cr_assert_eq(req->max_int, 100000000);
    cr_assert_eq(req->min, 1.0);
    cr_assert_str_eq(req->unit, "requests");
    cr_assert_str_eq(req->description, "Total number of requests of each test");
    const recipe_param *tests = &r->params[3];
    cr_assert_eq(tests->type, RECIPE_PARAM_STRING);
    cr_assert_str_eq(tests->default_value, "set,get");
    cr_assert_str_eq(tests->pattern, "^[a-z0-9_]+(,[a-z0-9_]+)*$");
    cr_assert_eq(tests->max_length, 256);
    cr_assert_str_eq(r->params[1].default_value, "50");
    cr_assert_str_eq(r->params[2].default_value, "1");
    cr_assert_str_eq(r->params[4].default_value, "3");

    cr_assert(r->service.role.present);
    cr_assert_eq(r->service.port, 0, "port: auto");
    cr_assert_eq(r->service.probe.type, RECIPE_PROBE_TCP);
    cr_assert_eq(r->service.probe.timeout_s, 30);
    const char *svc[] = {
        "redis-server", "--port", "${port}",      "--bind", "${host}", "--protected-mode", "no",
        "--save",       "",       "--appendonly", "no",     "--dir",   "${workdir}",       NULL};
    assert_argv(&r->service.role.command, svc);
    cr_assert_null(r->service.role.user);

    cr_assert(r->client.role.present);
    cr_assert_str_eq(r->client.summary, "redis-benchmark-csv");
    const recipe_cmd *cl = &r->client.role.command;
    cr_assert_str_eq(cl->argv[0], "redis-benchmark");
    cr_assert_str_eq(cl->argv[cl->argc - 1], "--csv");
    recipe_free(r);
}

Test(recipe_shipped, postgres_recipe_reads_back_as_written)
{
    recipe *r = load_shipped("postgres-pgbench");
    cr_assert_str_eq(r->name, "postgres-pgbench");
    cr_assert_eq(r->kind, RECIPE_KIND_BENCHMARK);
    cr_assert_eq(r->nparams, 5);
    const recipe_param *mode = recipe_find_param(r, "mode");
    cr_assert_not_null(mode);
    cr_assert_eq(mode->type, RECIPE_PARAM_ENUM);
    cr_assert_eq(mode->nchoices, 3);
    cr_assert_str_eq(mode->choices[0], "tpcb-like");
    cr_assert_str_eq(mode->choices[1], "simple-update");
    cr_assert_str_eq(mode->choices[2], "select-only");
    cr_assert_str_eq(mode->default_value, "tpcb-like");
    const recipe_param *duration = recipe_find_param(r, "duration");
    cr_assert_str_eq(duration->default_value, "10");
    cr_assert_str_eq(duration->unit, "s");

    const recipe_service *s = &r->service;
    cr_assert_str_eq(s->role.user, "postgres");
    cr_assert_eq(s->role.nsearch_path, 1);
    cr_assert_str_eq(s->role.search_path[0], "/usr/lib/postgresql/*/bin");
    cr_assert_eq(s->role.nsetup, 1);
    const char *initdb[] = {"initdb",   "-D",           "${workdir}/pgdata", "-U",
                            "postgres", "--auth=trust", "--no-sync",         NULL};
    assert_argv(&s->role.setup[0], initdb);
    cr_assert_str_eq(s->role.command.argv[0], "postgres");
    cr_assert_str_eq(s->role.command.argv[4], "listen_addresses=${host}");
    cr_assert_eq(s->probe.type, RECIPE_PROBE_CMD);
    const char *probe[] = {"pg_isready", "-h", "${host}", "-p", "${port}", NULL};
    assert_argv(&s->probe.command, probe);
    cr_assert_eq(s->probe.timeout_s, 60);

    const recipe_client *c = &r->client;
    cr_assert_str_eq(c->summary, "pgbench");
    cr_assert_eq(c->role.nsetup, 1);
    cr_assert_str_eq(c->role.setup[0].argv[1], "-i");
    cr_assert_str_eq(c->role.setup[0].argv[3], "${scale}");
    cr_assert_str_eq(c->role.command.argv[0], "pgbench");
    recipe_free(r);
}

/* A small valid recipe; the malformed cases below each change one thing of it. */
#define GOOD_HEAD                                                                                  \
    "name: demo\n"                                                                                 \
    "kind: benchmark\n"
#define GOOD_PARAMS                                                                                \
    "params:\n"                                                                                    \
    "  - {name: n, type: int, default: 5, min: 1, max: 10}\n"
#define GOOD_SERVICE                                                                               \
    "service:\n"                                                                                   \
    "  command: [srv, --port, '${port}']\n"
#define GOOD_CLIENT                                                                                \
    "client:\n"                                                                                    \
    "  command: [cli, -n, '${n}', '${endpoint}']\n"

static void refused(const char *yaml, const char *const *needles)
{
    recipe *r = NULL;
    aifb_err err = {0};
    aifb_code rc = recipe_parse(yaml, strlen(yaml), "recipes/demo.yaml", &r, &err);
    cr_assert_eq(rc, AIFB_EINVAL, "expected a refusal of:\n%s", yaml);
    cr_assert_null(r);
    cr_assert(strstr(err.msg, "recipes/demo.yaml:") == err.msg, "message names the file: %s",
              err.msg);
    for (size_t i = 0; needles[i]; i++)
        cr_assert(strstr(err.msg, needles[i]), "message '%s' lacks '%s'", err.msg, needles[i]);
}

#define REFUSED(yaml, ...) refused(yaml, (const char *const[]){__VA_ARGS__, NULL})

Test(recipe_malformed, the_small_valid_recipe_loads)
{
    const char *yaml = GOOD_HEAD GOOD_PARAMS GOOD_SERVICE GOOD_CLIENT;
    recipe *r = NULL;
    aifb_err err = {0};
    cr_assert_eq(recipe_parse(yaml, strlen(yaml), "recipes/demo.yaml", &r, &err), AIFB_OK, "%s",
                 err.msg);
    cr_assert_eq(r->service.probe.type, RECIPE_PROBE_TCP, "probe defaults to tcp");
    cr_assert_eq(r->service.probe.timeout_s, RECIPE_PROBE_TIMEOUT_DEFAULT);
    cr_assert_str_eq(r->client.summary, "none");
    cr_assert_str_eq(r->description, "");
    recipe_free(r);
}

Test(recipe_malformed, an_unknown_top_level_key_is_refused_naming_it_and_its_line)
{
    REFUSED(GOOD_HEAD "descripton: typo\n" GOOD_PARAMS GOOD_SERVICE GOOD_CLIENT,
            "unknown key 'descripton'", "demo.yaml:3:1:", "known: name, description");
}

Test(recipe_malformed, an_unknown_key_in_a_service_is_refused_naming_it)
{
    REFUSED(GOOD_HEAD GOOD_PARAMS "service:\n  comand: [srv]\n  command: [srv]\n" GOOD_CLIENT,
            "unknown key 'comand' in service");
}

Test(recipe_malformed, an_unknown_key_in_a_parameter_is_refused_naming_the_parameter)
{
    REFUSED(GOOD_HEAD "params:\n  - {name: n, type: int, mni: 1}\n" GOOD_SERVICE GOOD_CLIENT,
            "unknown key 'mni' in parameter 'n'");
}

Test(recipe_malformed, an_unknown_key_in_a_probe_is_refused)
{
    REFUSED(GOOD_HEAD GOOD_PARAMS GOOD_SERVICE "  probe: {type: tcp, timeout: 3}\n" GOOD_CLIENT,
            "unknown key 'timeout' in service.probe");
}

Test(recipe_malformed, a_key_given_twice_is_refused)
{
    REFUSED(GOOD_HEAD "kind: service\n" GOOD_PARAMS GOOD_SERVICE, "key 'kind' appears twice");
}

Test(recipe_malformed, a_bad_recipe_name_is_refused_naming_it)
{
    REFUSED("name: Demo_1\nkind: benchmark\n" GOOD_SERVICE GOOD_CLIENT, "name 'Demo_1'",
            "demo.yaml:1:7:");
    REFUSED("kind: benchmark\n" GOOD_SERVICE GOOD_CLIENT, "no 'name'");
}

Test(recipe_malformed, a_bad_parameter_name_is_refused_naming_it)
{
    REFUSED(GOOD_HEAD "params:\n  - {name: Clients, type: int}\n" GOOD_SERVICE GOOD_CLIENT,
            "parameter name 'Clients'");
    REFUSED(GOOD_HEAD "params:\n  - {name: 9x, type: int}\n" GOOD_SERVICE GOOD_CLIENT,
            "parameter name '9x'");
}

Test(recipe_malformed, a_parameter_named_like_a_builtin_is_refused)
{
    REFUSED(GOOD_HEAD "params:\n  - {name: port, type: int}\n" GOOD_SERVICE GOOD_CLIENT,
            "parameter name 'port' is taken by a builtin");
}

Test(recipe_malformed, a_duplicate_parameter_is_refused_naming_it)
{
    REFUSED(
        GOOD_HEAD
        "params:\n  - {name: n, type: int}\n  - {name: n, type: string}\n" GOOD_SERVICE GOOD_CLIENT,
        "parameter 'n' is defined twice", "demo.yaml:5:");
}

Test(recipe_malformed, a_placeholder_naming_nothing_is_refused_with_its_place)
{
    REFUSED(GOOD_HEAD GOOD_PARAMS "service:\n  command: [srv, --port, '${prot}']\n" GOOD_CLIENT,
            "service.command[2]", "${prot}", "names neither a parameter nor a builtin",
            "demo.yaml:6:");
    REFUSED(GOOD_HEAD GOOD_PARAMS GOOD_SERVICE GOOD_CLIENT "  env: {X: 'a ${m} b'}\n",
            "client.env.X", "${m}");
    REFUSED(GOOD_HEAD GOOD_PARAMS GOOD_SERVICE "  probe: {type: http, path: '/${x}'}\n" GOOD_CLIENT,
            "service.probe.path", "${x}");
    REFUSED(GOOD_HEAD GOOD_PARAMS GOOD_SERVICE
            "  probe: {type: cmd, command: [chk, '${nope}']}\n" GOOD_CLIENT,
            "service.probe.command[1]", "${nope}");
    REFUSED(GOOD_HEAD GOOD_PARAMS GOOD_SERVICE GOOD_CLIENT "  setup:\n    - [prep, '${zz}']\n",
            "client.setup[0][1]", "${zz}");
}

Test(recipe_malformed, a_lone_dollar_or_an_unterminated_placeholder_is_refused)
{
    REFUSED(GOOD_HEAD GOOD_PARAMS "service:\n  command: [srv, '$port']\n" GOOD_CLIENT,
            "service.command[1]", "neither '{' nor '$'");
    REFUSED(GOOD_HEAD GOOD_PARAMS "service:\n  command: [srv, '${port']\n" GOOD_CLIENT,
            "unterminated placeholder");
}

Test(recipe_malformed, an_unknown_parameter_type_is_refused_naming_it)
{
    REFUSED(GOOD_HEAD "params:\n  - {name: n, type: integer}\n" GOOD_SERVICE GOOD_CLIENT,
            "type 'integer' is not one of string, int, float, bool, enum");
    REFUSED(GOOD_HEAD "params:\n  - {name: n}\n" GOOD_SERVICE GOOD_CLIENT,
            "parameter 'n' has no 'type'");
}

Test(recipe_malformed, min_greater_than_max_is_refused)
{
    REFUSED(GOOD_HEAD
            "params:\n  - {name: n, type: int, min: 10, max: 5}\n" GOOD_SERVICE GOOD_CLIENT,
            "parameter 'n': min 10 is greater than max 5");
    REFUSED(GOOD_HEAD
            "params:\n  - {name: f, type: float, min: 0.5, max: 0.25}\n" GOOD_SERVICE GOOD_CLIENT,
            "parameter 'f': min 0.5 is greater than max 0.25");
}

Test(recipe_malformed, a_default_out_of_range_is_refused_with_the_bound)
{
    REFUSED(GOOD_HEAD
            "params:\n  - {name: n, type: int, default: 0, min: 1}\n" GOOD_SERVICE GOOD_CLIENT,
            "default", "parameter 'n': 0 is below the minimum 1");
    REFUSED(GOOD_HEAD "params:\n  - {name: n, type: int, default: abc}\n" GOOD_SERVICE GOOD_CLIENT,
            "parameter 'n': 'abc' is not an integer");
}

Test(recipe_malformed, an_enum_default_that_is_not_a_choice_is_refused)
{
    REFUSED(GOOD_HEAD
            "params:\n  - {name: m, type: enum, choices: [a, b], default: c}\n" GOOD_SERVICE
                GOOD_CLIENT,
            "parameter 'm': 'c' is not one of a, b");
    REFUSED(GOOD_HEAD "params:\n  - {name: m, type: enum}\n" GOOD_SERVICE GOOD_CLIENT,
            "enum parameter 'm' has no 'choices'");
    REFUSED(GOOD_HEAD
            "params:\n  - {name: m, type: enum, choices: [a, a]}\n" GOOD_SERVICE GOOD_CLIENT,
            "choice 'a' is listed twice");
}

Test(recipe_malformed, a_bad_regex_is_refused_naming_the_pattern)
{
    REFUSED(GOOD_HEAD
            "params:\n  - {name: s, type: string, pattern: '^(ab$'}\n" GOOD_SERVICE GOOD_CLIENT,
            "parameter 's': pattern '^(ab$' is not a valid extended regular expression");
}

Test(recipe_malformed, a_default_not_matching_its_pattern_is_refused)
{
    REFUSED(GOOD_HEAD
            "params:\n  - {name: s, type: string, pattern: '[a-z]+', default: A1}\n" GOOD_SERVICE
                GOOD_CLIENT,
            "parameter 's': 'A1' does not match the pattern [a-z]+");
}

Test(recipe_malformed, a_key_for_another_type_is_refused)
{
    REFUSED(GOOD_HEAD
            "params:\n  - {name: n, type: int, pattern: '[0-9]+'}\n" GOOD_SERVICE GOOD_CLIENT,
            "parameter 'n': 'pattern' is only for string parameters, not int");
    REFUSED(GOOD_HEAD "params:\n  - {name: s, type: string, min: 1}\n" GOOD_SERVICE GOOD_CLIENT,
            "'min' is only for int and float parameters");
    REFUSED(GOOD_HEAD "params:\n  - {name: b, type: bool, choices: [x]}\n" GOOD_SERVICE GOOD_CLIENT,
            "'choices' is only for enum parameters");
}

Test(recipe_malformed, a_bad_kind_or_missing_part_is_refused)
{
    REFUSED("name: demo\nkind: bench\n" GOOD_SERVICE GOOD_CLIENT,
            "kind 'bench' is not one of benchmark, service, client");
    REFUSED(GOOD_HEAD GOOD_PARAMS GOOD_SERVICE, "kind benchmark needs a 'client' section");
    REFUSED("name: demo\nkind: service\n" GOOD_PARAMS GOOD_SERVICE GOOD_CLIENT,
            "kind service has no client");
    REFUSED("name: demo\nkind: client\n" GOOD_PARAMS GOOD_SERVICE GOOD_CLIENT,
            "kind client has no service");
}

Test(recipe_malformed, a_bad_port_probe_or_summary_is_refused)
{
    REFUSED(GOOD_HEAD GOOD_PARAMS GOOD_SERVICE "  port: 70000\n" GOOD_CLIENT, "service.port",
            "70000");
    REFUSED(GOOD_HEAD GOOD_PARAMS GOOD_SERVICE "  probe: {type: grpc}\n" GOOD_CLIENT,
            "probe.type 'grpc'");
    REFUSED(GOOD_HEAD GOOD_PARAMS GOOD_SERVICE "  probe: {type: http}\n" GOOD_CLIENT,
            "an http probe needs a 'path'");
    REFUSED(GOOD_HEAD GOOD_PARAMS GOOD_SERVICE "  probe: {type: tcp, path: /x}\n" GOOD_CLIENT,
            "path is only for http probes");
    REFUSED(GOOD_HEAD GOOD_PARAMS GOOD_SERVICE GOOD_CLIENT "  summary: wrk\n",
            "client.summary 'wrk' is not a known parser");
    REFUSED(GOOD_HEAD GOOD_PARAMS GOOD_SERVICE "  metrics_path: metrics\n" GOOD_CLIENT,
            "service.metrics_path 'metrics' must start with '/'");
    REFUSED(GOOD_HEAD GOOD_PARAMS GOOD_SERVICE "  metrics_path: /m/${nope}\n" GOOD_CLIENT, "nope");
}

Test(recipe_malformed, a_service_may_declare_where_its_own_metrics_are)
{
    const char *yaml = GOOD_HEAD GOOD_PARAMS GOOD_SERVICE "  metrics_path: /metrics\n" GOOD_CLIENT;
    recipe *r = NULL;
    aifb_err err = {0};
    cr_assert_eq(recipe_parse(yaml, strlen(yaml), "recipes/demo.yaml", &r, &err), AIFB_OK, "%s",
                 err.msg);
    cr_assert_str_eq(r->service.metrics_path, "/metrics");
    recipe_free(r);
}

Test(recipe_malformed, a_wrongly_shaped_value_is_refused_saying_what_it_should_be)
{
    REFUSED(GOOD_HEAD "params: {n: 1}\n" GOOD_SERVICE GOOD_CLIENT, "params must be a list");
    REFUSED(GOOD_HEAD GOOD_PARAMS "service:\n  command: srv --port 1\n" GOOD_CLIENT,
            "service.command must be a list");
    REFUSED(GOOD_HEAD GOOD_PARAMS "service:\n  command: []\n" GOOD_CLIENT,
            "service.command is an empty list");
    REFUSED(GOOD_HEAD "description:\n" GOOD_PARAMS GOOD_SERVICE GOOD_CLIENT,
            "description has no value");
    REFUSED(GOOD_HEAD GOOD_PARAMS GOOD_SERVICE "  search_path: [bin]\n" GOOD_CLIENT,
            "'bin' is not an absolute folder");
    REFUSED(GOOD_HEAD GOOD_PARAMS GOOD_SERVICE "  env: {1X: a}\n" GOOD_CLIENT,
            "'1X' is not a variable name");
}

Test(recipe_malformed, yaml_aliases_syntax_errors_and_extra_documents_are_refused)
{
    REFUSED(GOOD_HEAD GOOD_PARAMS "service:\n  command: &c [srv]\n"
                                  "client:\n  command: *c\n",
            "aliases");
    REFUSED(GOOD_HEAD "params: [\n", "YAML syntax error");
    REFUSED(GOOD_HEAD GOOD_PARAMS GOOD_SERVICE GOOD_CLIENT "---\nname: other\n",
            "more than one YAML document");
    REFUSED("", "the file is empty");
    REFUSED("- a\n- b\n", "the recipe must be a mapping");
}

Test(recipe_malformed, a_nul_byte_inside_a_value_is_refused)
{
    REFUSED(GOOD_HEAD "description: \"a\\0b\"\n" GOOD_PARAMS GOOD_SERVICE GOOD_CLIENT,
            "description contains a NUL byte");
}

/* ---- files and the catalog ---------------------------------------------------------------- */

static char catalog_dir[64];

static void write_file(const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", catalog_dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

static void make_catalog_dir(void)
{
    snprintf(catalog_dir, sizeof catalog_dir, "/tmp/aifb-recipes-XXXXXX");
    cr_assert_not_null(mkdtemp(catalog_dir));
}

static void remove_catalog_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", catalog_dir);
    cr_assert_eq(system(cmd), 0);
}

Test(recipe_file, a_recipe_whose_name_differs_from_its_file_is_refused, .init = make_catalog_dir,
     .fini = remove_catalog_dir)
{
    write_file("other.yaml", GOOD_HEAD GOOD_PARAMS GOOD_SERVICE GOOD_CLIENT);
    char path[256];
    snprintf(path, sizeof path, "%s/other.yaml", catalog_dir);
    recipe *r = NULL;
    aifb_err err = {0};
    cr_assert_eq(recipe_load_file(path, &r, &err), AIFB_EINVAL);
    cr_assert(strstr(err.msg, "name 'demo' differs from the file name"), "%s", err.msg);
    cr_assert(strstr(err.msg, "other.yaml"), "%s", err.msg);
}

Test(recipe_file, a_missing_file_is_not_found)
{
    recipe *r = NULL;
    aifb_err err = {0};
    cr_assert_eq(recipe_load_file("/nonexistent/aifb/x.yaml", &r, &err), AIFB_ENOTFOUND);
    cr_assert(strstr(err.msg, "/nonexistent/aifb/x.yaml"), "%s", err.msg);
}

Test(recipe_catalog, the_shipped_recipes_load_sorted_without_warnings)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/recipes", AIFB_SOURCE_DIR);
    recipe_catalog *c = NULL;
    aifb_err err = {0};
    cr_assert_eq(recipe_catalog_load(dir, &c, &err), AIFB_OK, "%s", err.msg);
    cr_assert_eq(recipe_catalog_warning_count(c), 0, "first warning: %s",
                 recipe_catalog_warning(c, 0));
    cr_assert_geq(recipe_catalog_count(c), 2);
    for (size_t i = 1; i < recipe_catalog_count(c); i++)
        cr_assert_lt(strcmp(recipe_catalog_at(c, i - 1)->name, recipe_catalog_at(c, i)->name), 0);
    cr_assert_not_null(recipe_catalog_find(c, "redis"));
    cr_assert_not_null(recipe_catalog_find(c, "postgres-pgbench"));
    cr_assert_null(recipe_catalog_find(c, "nope"));
    recipe_catalog_free(c);
}

Test(recipe_catalog, a_broken_file_and_a_second_recipe_of_one_name_become_warnings,
     .init = make_catalog_dir, .fini = remove_catalog_dir)
{
    write_file("demo.yaml", GOOD_HEAD GOOD_PARAMS GOOD_SERVICE GOOD_CLIENT);
    write_file("demo.yml", GOOD_HEAD GOOD_PARAMS GOOD_SERVICE GOOD_CLIENT);
    write_file("broken.yaml", "name: broken\nkind: benchmark\nbogus: 1\n");
    write_file("notes.txt", "not a recipe");
    recipe_catalog *c = NULL;
    aifb_err err = {0};
    cr_assert_eq(recipe_catalog_load(catalog_dir, &c, &err), AIFB_OK, "%s", err.msg);
    cr_assert_eq(recipe_catalog_count(c), 1);
    cr_assert_str_eq(recipe_catalog_at(c, 0)->name, "demo");
    cr_assert(strstr(recipe_catalog_at(c, 0)->source_path, "demo.yaml"));
    cr_assert_eq(recipe_catalog_warning_count(c), 2);
    cr_assert(strstr(recipe_catalog_warning(c, 0), "broken.yaml"));
    cr_assert(strstr(recipe_catalog_warning(c, 0), "unknown key 'bogus'"));
    cr_assert(strstr(recipe_catalog_warning(c, 1), "demo.yml: skipped: recipe 'demo' is already "
                                                   "loaded"));
    recipe_catalog_free(c);
}

Test(recipe_catalog, a_missing_folder_is_an_error)
{
    recipe_catalog *c = NULL;
    aifb_err err = {0};
    cr_assert_eq(recipe_catalog_load("/nonexistent/aifb-recipes", &c, &err), AIFB_ENOTFOUND);
    cr_assert_null(c);
    cr_assert(strstr(err.msg, "/nonexistent/aifb-recipes"), "%s", err.msg);
}
