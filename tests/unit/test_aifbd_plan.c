/* test_aifbd_plan.c: a recipe and validated parameters become the executor's plan: every
 * placeholder expanded into exactly one argv element, ${workdir} per role, the probe aimed at the
 * chosen endpoint. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aifbd/daemon.h"
#include "test_aifbd_support.h"

static exec_plan *plan_for(const recipe *r, const kv *given, size_t ngiven, bool service,
                           bool client)
{
    kv *params = NULL;
    size_t n = 0;
    aifb_err err = {0};
    cr_assert_eq(recipe_resolve_params(r, given, ngiven, &params, &n, &err), AIFB_OK, "%s",
                 err.msg);
    plan_input in = {.r = r,
                     .params = params,
                     .nparams = n,
                     .id = "r-0123456789ab",
                     .dir = "/state/runs/r-0123456789ab",
                     .host = "127.0.0.1",
                     .port = 6400,
                     .with_service = service,
                     .with_client = client};
    exec_plan *p = NULL;
    cr_assert_eq(plan_build(&in, &p, &err), AIFB_OK, "%s", err.msg);
    kv_array_free(params, n);
    return p;
}

static bool argv_has_pair(char **argv, const char *opt, const char *value)
{
    for (size_t i = 0; argv[i] && argv[i + 1]; i++)
        if (!strcmp(argv[i], opt) && !strcmp(argv[i + 1], value))
            return true;
    return false;
}

Test(plan, the_redis_plan_passes_every_parameter_as_its_own_argv_element)
{
    recipe *r = t_load_recipe("redis");
    kv given[] = {{"requests", "1234"}, {"clients", "7"}, {"tests", "set,get,incr"}};
    exec_plan *p = plan_for(r, given, 3, true, true);
    cr_assert(p->has_service && p->has_client);
    cr_assert_str_eq(p->endpoint, "127.0.0.1:6400");
    cr_assert(argv_has_pair(p->client.main.argv, "-n", "1234"));
    cr_assert(argv_has_pair(p->client.main.argv, "-c", "7"));
    cr_assert(argv_has_pair(p->client.main.argv, "-t", "set,get,incr"));
    cr_assert(argv_has_pair(p->client.main.argv, "-p", "6400"));
    cr_assert(argv_has_pair(p->service.main.argv, "--port", "6400"));
    cr_assert_str_eq(p->service.workdir, "/state/runs/r-0123456789ab/service");
    cr_assert_str_eq(p->client.workdir, "/state/runs/r-0123456789ab/client");
    cr_assert_eq(p->probe.kind, EXEC_PROBE_TCP);
    cr_assert_str_eq(p->probe.host, "127.0.0.1");
    cr_assert_eq(p->probe.port, 6400);
    plan_free(p);
    recipe_free(r);
}

Test(plan, a_client_only_plan_has_no_service_part)
{
    recipe *r = t_load_recipe("redis");
    exec_plan *p = plan_for(r, NULL, 0, false, true);
    cr_assert(!p->has_service && p->has_client);
    cr_assert_str_eq(p->endpoint, "127.0.0.1:6400");
    plan_free(p);
    recipe_free(r);
}

Test(plan, the_postgres_plan_runs_setup_as_postgres_and_probes_with_a_command)
{
    recipe *r = t_load_recipe("postgres-pgbench");
    kv given[] = {{"duration", "3"}};
    exec_plan *p = plan_for(r, given, 1, true, true);
    cr_assert_str_eq(p->service.user, "postgres");
    cr_assert_geq(p->service.nsetup, 1);
    bool pgdata = false;
    for (size_t i = 0; p->service.setup[0].argv[i]; i++)
        pgdata |= !strcmp(p->service.setup[0].argv[i], "/state/runs/r-0123456789ab/service/pgdata");
    cr_assert(pgdata, "initdb writes into the service's own folder");
    cr_assert_eq(p->probe.kind, EXEC_PROBE_CMD);
    cr_assert(argv_has_pair(p->probe.cmd.argv, "-p", "6400"));
    cr_assert(argv_has_pair(p->client.main.argv, "-T", "3"));
    plan_free(p);
    recipe_free(r);
}

Test(plan, a_hostile_string_value_stays_one_argv_element_byte_for_byte)
{
    const char *yaml = "name: echo\n"
                       "description: echo\n"
                       "kind: benchmark\n"
                       "params:\n"
                       "  - name: msg\n"
                       "    type: string\n"
                       "    default: x\n"
                       "service:\n"
                       "  command: [sleep, '100']\n"
                       "  probe: {type: none}\n"
                       "client:\n"
                       "  command: [printf, '%s', '--msg=${msg}']\n";
    recipe *r = NULL;
    aifb_err err = {0};
    cr_assert_eq(recipe_parse(yaml, strlen(yaml), "echo.yaml", &r, &err), AIFB_OK, "%s", err.msg);
    const char *hostile = "'; rm -rf / $(reboot) `id` \"x\" && echo $HOME | tee /etc/passwd";
    kv given[] = {{"msg", (char *)hostile}};
    exec_plan *p = plan_for(r, given, 1, true, true);
    char expect[512];
    snprintf(expect, sizeof expect, "--msg=%s", hostile);
    cr_assert_str_eq(p->client.main.argv[2], expect);
    cr_assert_null(p->client.main.argv[3]);
    plan_free(p);
    recipe_free(r);
}

Test(plan, a_free_port_is_a_real_port)
{
    int port = 0;
    aifb_err err = {0};
    cr_assert_eq(plan_pick_port("127.0.0.1", &port, &err), AIFB_OK, "%s", err.msg);
    cr_assert(port > 0 && port < 65536);
    cr_assert_eq(plan_pick_port("not-an-address", &port, &err), AIFB_EINVAL);
}
