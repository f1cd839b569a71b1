/* test_aifbd_plan_agents.c: what aifbd's observe settings put beside each role of a plan: with a
 * Prometheus receiver, aifb-monitor labelled with the run (scraping the service's own /metrics
 * when the recipe declares it) and the receiver in every role's environment for aifb-loadgen;
 * with Loki, aifb-logship shipping the role's .out and .err; with neither, nothing. The
 * configuration refuses receiver URLs that cannot safely reach a command line. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aifbd/config.h"
#include "aifbd/daemon.h"
#include "test_aifbd_support.h"

#define RUN_DIR "/state/runs/r-0123456789ab"

static exec_plan *plan_of(const char *recipe_name, const char *id)
{
    recipe *r = t_load_recipe(recipe_name);
    kv *params = NULL;
    size_t n = 0;
    aifb_err err = {0};
    cr_assert_eq(recipe_resolve_params(r, NULL, 0, &params, &n, &err), AIFB_OK, "%s", err.msg);
    plan_input in = {.r = r,
                     .params = params,
                     .nparams = n,
                     .id = id,
                     .dir = RUN_DIR,
                     .host = "127.0.0.1",
                     .port = 6400,
                     .with_service = true,
                     .with_client = true};
    exec_plan *p = NULL;
    cr_assert_eq(plan_build(&in, &p, &err), AIFB_OK, "%s", err.msg);
    kv_array_free(params, n);
    recipe_free(r); /* the plan holds copies of everything it needs */
    return p;
}

static void observe(const char *prom, const char *loki)
{
    aifbd_observe_config o = {
        .prometheus_url = (char *)prom, .loki_url = (char *)loki, .interval_ms = 500};
    plan_set_observe(&o, 3000);
}

static void reset(void)
{
    plan_set_observe(NULL, 0);
}

TestSuite(plan_agents, .fini = reset);

static bool has_pair(char **argv, const char *opt, const char *value)
{
    for (size_t i = 0; argv[i] && argv[i + 1]; i++)
        if (!strcmp(argv[i], opt) && !strcmp(argv[i + 1], value))
            return true;
    return false;
}

static bool has_arg(char **argv, const char *a)
{
    for (size_t i = 0; argv[i]; i++)
        if (!strcmp(argv[i], a))
            return true;
    return false;
}

static bool env_has(char **env, const char *entry)
{
    for (size_t i = 0; env && env[i]; i++)
        if (!strcmp(env[i], entry))
            return true;
    return false;
}

static const exec_agent *agent_named(const exec_role *r, const char *name)
{
    for (size_t i = 0; i < r->nagents; i++)
        if (!strcmp(r->agents[i].name, name))
            return &r->agents[i];
    return NULL;
}

Test(plan_agents, without_receivers_no_agent_runs)
{
    exec_plan *p = plan_of("llm-sim", "r-0123456789ab");
    cr_assert_eq(p->service.nagents, 0);
    cr_assert_eq(p->client.nagents, 0);
    for (size_t i = 0; p->client.main.env[i]; i++)
        cr_assert(strncmp(p->client.main.env[i], "AIFB_REMOTE_WRITE_URL=", 22),
                  "no receiver, no URL");
    plan_free(p);
}

Test(plan_agents, a_prometheus_receiver_puts_a_labelled_monitor_beside_each_role)
{
    observe("http://127.0.0.1:9090/api/v1/write", NULL);
    exec_plan *p = plan_of("llm-sim", "r-0123456789ab");
    const exec_agent *svc = agent_named(&p->service, "monitor");
    const exec_agent *cli = agent_named(&p->client, "monitor");
    cr_assert(svc && cli, "a monitor beside the service and the client");
    cr_assert_null(agent_named(&p->service, "logship"), "no Loki, no log shipper");
    char **a = svc->cmd.argv;
    cr_assert_str_eq(a[0], "aifb-monitor");
    cr_assert(has_pair(a, "--remote-write", "http://127.0.0.1:9090/api/v1/write"));
    cr_assert(has_pair(a, "--interval", "500ms"));
    cr_assert(has_pair(a, "--label", "run_id=r-0123456789ab"));
    cr_assert(has_pair(a, "--label", "role=service"));
    cr_assert(has_pair(a, "--label", "recipe=llm-sim"));
    cr_assert(has_pair(a, "--scrape", "http://127.0.0.1:6400/metrics"),
              "llm-sim declares metrics_path: the service's own metrics are scraped");
    cr_assert(has_pair(a, "--spool", RUN_DIR "/service.monitor-spool"));
    cr_assert_str_eq(svc->pid_flag, "--pid");
    cr_assert(has_pair(a, "--flush-timeout", "2000ms"),
              "the last flush fits in the executor's 3 s grace period");
    cr_assert(has_pair(cli->cmd.argv, "--label", "role=client"));
    cr_assert_not(has_arg(cli->cmd.argv, "--scrape"), "the client has no /metrics");
    cr_assert(
        env_has(p->client.main.env, "AIFB_REMOTE_WRITE_URL=http://127.0.0.1:9090/api/v1/write"),
        "aifb-loadgen finds the receiver for its live series");
    cr_assert(env_has(p->client.main.env, "AIFB_RECIPE=llm-sim"),
              "and labels them with the recipe");
    plan_free(p);
}

Test(plan_agents, a_service_without_metrics_path_is_not_scraped)
{
    observe("http://127.0.0.1:9090/api/v1/write", NULL);
    exec_plan *p = plan_of("redis", "r-0123456789ab");
    const exec_agent *svc = agent_named(&p->service, "monitor");
    cr_assert_not_null(svc);
    cr_assert_not(has_arg(svc->cmd.argv, "--scrape"));
    plan_free(p);
}

Test(plan_agents, a_loki_receiver_ships_each_roles_output_and_error)
{
    observe(NULL, "http://loki:3100/loki/api/v1/push");
    exec_plan *p = plan_of("llm-sim", "r-0123456789ab");
    cr_assert_null(agent_named(&p->client, "monitor"));
    const exec_agent *l = agent_named(&p->client, "logship");
    cr_assert_not_null(l);
    char **a = l->cmd.argv;
    cr_assert_str_eq(a[0], "aifb-logship");
    cr_assert(has_pair(a, "--loki-url", "http://loki:3100/loki/api/v1/push"));
    cr_assert(has_pair(a, "--file", RUN_DIR "/client.out"));
    cr_assert(has_pair(a, "--file", RUN_DIR "/client.err"));
    cr_assert(has_pair(a, "--positions", RUN_DIR "/client.logship.positions"));
    cr_assert(has_pair(a, "--label", "role=client"));
    cr_assert(has_pair(a, "--label", "run_id=r-0123456789ab"));
    cr_assert_str_eq(l->pid_flag, "--follow-pid",
                     "locally the shipper follows main, so it ships main's last lines");
    cr_assert(has_pair(a, "--flush-timeout", "2000ms"));
    plan_free(p);
}

Test(plan_agents, a_long_lived_service_is_labelled_with_its_service_id)
{
    observe("http://127.0.0.1:9090/api/v1/write", "http://127.0.0.1:3100/loki/api/v1/push");
    exec_plan *p = plan_of("redis", "s-0123456789ab");
    cr_assert(has_pair(agent_named(&p->service, "monitor")->cmd.argv, "--label",
                       "service_id=s-0123456789ab"));
    cr_assert(has_pair(agent_named(&p->service, "logship")->cmd.argv, "--label",
                       "service_id=s-0123456789ab"));
    cr_assert(has_pair(agent_named(&p->service, "logship")->cmd.argv, "--label", "run_id="),
              "no run_id taken from the environment for a service");
    plan_free(p);
}

/* ---- the settings ------------------------------------------------------------------------ */

static aifb_code load_with(const char *key_env, const char *value, aifb_err *err)
{
    aifbd_config cfg;
    char *argv[] = {"aifbd", NULL};
    bool exit_now = false;
    setenv(key_env, value, 1);
    aifb_code rc = config_load(&cfg, 1, argv, &exit_now, err);
    if (rc == AIFB_OK)
        rc = config_validate(&cfg, err);
    unsetenv(key_env);
    config_free(&cfg);
    return rc;
}

Test(plan_agents, receiver_urls_that_cannot_safely_reach_a_command_line_are_refused)
{
    aifb_err err = {0};
    cr_assert_eq(load_with("AIFB_PROMETHEUS_URL", "http://127.0.0.1:9090/api/v1/write", &err),
                 AIFB_OK, "%s", err.msg);
    cr_assert_eq(load_with("AIFB_LOKI_URL", "https://loki.example:3100/loki/api/v1/push", &err),
                 AIFB_OK, "%s", err.msg);
    cr_assert_eq(load_with("AIFB_PROMETHEUS_URL", "ftp://x/api/v1/write", &err), AIFB_EINVAL);
    cr_assert(strstr(err.msg, "prometheus.remote_write_url (AIFB_PROMETHEUS_URL)"), "%s", err.msg);
    cr_assert_eq(load_with("AIFB_LOKI_URL", "http://loki:3100/push --file /etc/shadow", &err),
                 AIFB_EINVAL);
    cr_assert(strstr(err.msg, "loki.push_url (AIFB_LOKI_URL)"), "%s", err.msg);
    cr_assert_eq(load_with("AIFB_LOKI_URL", "http://user:secret@loki:3100/push", &err),
                 AIFB_EINVAL);
    cr_assert(strstr(err.msg, "user or password"), "%s", err.msg);
    cr_assert_null(strstr(err.msg, "secret"), "the password is not repeated: %s", err.msg);
}
