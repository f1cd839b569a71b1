/* plan_agents.c: the agents aifbd puts beside each role of a plan, from its observe settings
 * (docs/observe.md).
 *
 * With prometheus.remote_write_url set, every role gets aifb-monitor (its process tree, the node,
 * GPUs, and for a service that declares metrics_path its own /metrics, all labelled with the
 * run), and every role's environment names the receiver in AIFB_REMOTE_WRITE_URL, where
 * aifb-loadgen finds it for its live histograms. With loki.push_url set, every role gets
 * aifb-logship shipping its .out and .err. Each agent keeps its state (positions, spool) in the
 * run's folder beside the role's files, so an agent restarted with the run's job finds it again.
 * Labels are the run's id (run_id, or service_id for a long-lived service), the role and the
 * recipe's name: few and bounded, as both Prometheus and Loki ask. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aifbd/daemon.h"
#include "aifbd/executors.h"
#include "common/util.h"

static struct {
    char prometheus_url[2048];
    char loki_url[2048];
    int interval_ms;
    int flush_ms;
} observe;

/* How long an agent tries to push what it holds once asked to stop: within the executor's grace
 * period (a cancelled run's group is killed after it), a second to spare, never under a second
 * nor above the agents' own default of ten. */
static int flush_ms_for(int grace_ms)
{
    int ms = (grace_ms > 0 ? grace_ms : 5000) - 1000;
    return ms < 1000 ? 1000 : ms > 10000 ? 10000 : ms;
}

void plan_set_observe(const aifbd_observe_config *o, int grace_ms)
{
    observe.flush_ms = flush_ms_for(grace_ms);
    snprintf(observe.prometheus_url, sizeof observe.prometheus_url, "%s",
             o && o->prometheus_url ? o->prometheus_url : "");
    snprintf(observe.loki_url, sizeof observe.loki_url, "%s", o && o->loki_url ? o->loki_url : "");
    observe.interval_ms = o && o->interval_ms > 0 ? o->interval_ms : 1000;
}

/* A growing NULL-terminated argv. */
typedef struct argv_b {
    char **v;
    size_t n;
} argv_b;

static void arg(argv_b *a, const char *s)
{
    a->v = xrealloc(a->v, (a->n + 2) * sizeof *a->v);
    a->v[a->n++] = xstrdup(s);
    a->v[a->n] = NULL;
}

static void argf(argv_b *a, const char *fmt, const char *s1, const char *s2)
{
    abuf b = {0};
    abuf_printf(&b, fmt, s1, s2);
    arg(a, b.p);
    abuf_free(&b);
}

static void add_labels(argv_b *a, const plan_input *in, const char *role)
{
    const char *pairs[3][2] = {{in->id[0] == 's' ? "service_id" : "run_id", in->id},
                               {"role", role},
                               {"recipe", in->r->name}};
    for (size_t i = 0; i < 3; i++) {
        arg(a, "--label");
        argf(a, "%s=%s", pairs[i][0], pairs[i][1]);
    }
}

static void add_flush(argv_b *a)
{
    char ms[32];
    snprintf(ms, sizeof ms, "%dms", observe.flush_ms);
    arg(a, "--flush-timeout");
    arg(a, ms);
}

/* The host a monitor beside the service scrapes: the service's own address, or loopback when it
 * listens on every interface (or its address is only known on the node, as on Slurm). */
static const char *scrape_host(const char *host)
{
    bool ipv4 = host && *host && strspn(host, "0123456789.") == strlen(host);
    return ipv4 && strcmp(host, "0.0.0.0") ? host : "127.0.0.1";
}

static aifb_code monitor_argv(const plan_input *in, const char *role, const kv *vars, size_t nvars,
                              argv_b *a, aifb_err *err)
{
    char interval[32];
    snprintf(interval, sizeof interval, "%dms", observe.interval_ms);
    arg(a, "aifb-monitor");
    arg(a, "--remote-write");
    arg(a, observe.prometheus_url);
    arg(a, "--interval");
    arg(a, interval);
    add_labels(a, in, role);
    const char *mpath = in->r->service.metrics_path;
    if (!strcmp(role, "service") && mpath) {
        char *path = NULL;
        aifb_code rc = recipe_expand_string(mpath, vars, nvars, &path, err);
        if (rc) {
            aifb_err_prefix(err, "recipe %s, service.metrics_path", in->r->name);
            return rc;
        }
        abuf url = {0};
        abuf_printf(&url, "http://%s:%d%s", scrape_host(in->host), in->port, path);
        free(path);
        arg(a, "--scrape");
        arg(a, url.p);
        abuf_free(&url);
    }
    arg(a, "--spool");
    argf(a, "%s/%s.monitor-spool", in->dir, role);
    add_flush(a);
    return AIFB_OK;
}

static void logship_argv(const plan_input *in, const char *role, argv_b *a)
{
    arg(a, "aifb-logship");
    arg(a, "--loki-url");
    arg(a, observe.loki_url);
    arg(a, "--file");
    argf(a, "%s/%s.out", in->dir, role);
    arg(a, "--file");
    argf(a, "%s/%s.err", in->dir, role);
    add_labels(a, in, role);
    if (in->id[0] == 's') { /* not the run_id the shipper takes from $AIFB_RUN_ID */
        arg(a, "--label");
        arg(a, "run_id=");
    }
    arg(a, "--positions");
    argf(a, "%s/%s.logship.positions", in->dir, role);
    arg(a, "--spool");
    argf(a, "%s/%s.logship-spool", in->dir, role);
    add_flush(a);
}

aifb_code plan_agents_build(const plan_input *in, const char *role, const kv *vars, size_t nvars,
                            plan_agents *out, aifb_err *err)
{
    memset(out, 0, sizeof *out);
    if (observe.prometheus_url[0]) {
        argv_b a = {0};
        aifb_code rc = monitor_argv(in, role, vars, nvars, &a, err);
        out->argv[out->n] = a.v;
        out->agents[out->n++] =
            (exec_agent){.name = "monitor", .cmd = {a.v, NULL}, .pid_flag = "--pid"};
        if (rc) {
            plan_agents_free(out);
            return rc;
        }
    }
    if (observe.loki_url[0]) {
        argv_b a = {0};
        logship_argv(in, role, &a);
        out->argv[out->n] = a.v;
        out->agents[out->n++] =
            (exec_agent){.name = "logship", .cmd = {a.v, NULL}, .pid_flag = "--follow-pid"};
    }
    return AIFB_OK;
}

void plan_agents_free(plan_agents *pa)
{
    for (size_t i = 0; i < pa->n; i++)
        recipe_strv_free(pa->argv[i]);
    memset(pa, 0, sizeof *pa);
}

char **plan_role_env(char **env, const plan_input *in, const char *role)
{
    (void)role;
    size_t n = 0;
    while (env && env[n])
        n++;
    char **v = xcalloc(n + 3, sizeof *v);
    size_t k = 0;
    if (observe.prometheus_url[0]) {
        abuf b = {0};
        abuf_printf(&b, "AIFB_REMOTE_WRITE_URL=%s", observe.prometheus_url);
        v[k++] = abuf_take(&b);
        abuf_printf(&b, "AIFB_RECIPE=%s", in->r->name);
        v[k++] = abuf_take(&b);
    }
    /* The recipe's own entries come last, so a recipe may still set it itself. */
    for (size_t i = 0; i < n; i++)
        v[k++] = xstrdup(env[i]);
    return v;
}
