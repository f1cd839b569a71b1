/* plan.c: a recipe plus resolved parameters -> the executor's exec_plan.
 *
 * Every placeholder is expanded here, once, into argv elements and environment values; the
 * executor never sees a template. Each role gets its own variables because ${workdir} is the
 * role's own folder (run_dir/service, run_dir/client). A role's Slurm settings are expanded and
 * checked here too, with the same variables, so a run whose parameters make a bad job setting
 * is refused before it is stored; the Slurm executor reads them back with plan_slurm(). All the
 * plan's memory hangs off one plan_box so plan_free() is one walk.
 *
 * With a Slurm executor every role also searches slurm.agents_dir, after its own search
 * folders: aifbd's own programs (aifb-loadgen) live there on the cluster. The agents beside each
 * role (aifb-monitor, aifb-logship) and AIFB_REMOTE_WRITE_URL in every role's environment come
 * from plan_agents.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "aifbd/daemon.h"
#include "aifbd/executors.h"
#include "common/util.h"

typedef struct plan_box {
    exec_plan plan; /* first, so an exec_plan* is a plan_box* */
    char *strs[12]; /* ids, folders, endpoint, agents_dir: freed with the box */
    size_t nstrs;
    char ***vecs; /* argv and env vectors */
    size_t nvecs;
    exec_cmd *cmds[4];
    size_t ncmds;
    const char **search[2];
    recipe_slurm_values slurm[2]; /* service, client */
    plan_agents role_agents[2];   /* service, client */
    const char *agents;           /* the plan's copy of agents_dir, or NULL */
} plan_box;

/* slurm.agents_dir while a Slurm executor is in use, else "" (plan_set_agents_dir). */
static char agents_dir[4096];

void plan_set_agents_dir(const char *dir)
{
    snprintf(agents_dir, sizeof agents_dir, "%s", dir ? dir : "");
}

const recipe_slurm_values *plan_slurm(const exec_plan *p, bool service)
{
    return &((const plan_box *)p)->slurm[service ? 0 : 1];
}

static char *box_str(plan_box *b, const char *s)
{
    char *d = xstrdup(s);
    if (b->nstrs < sizeof b->strs / sizeof b->strs[0])
        b->strs[b->nstrs++] = d;
    return d;
}

static void box_vec(plan_box *b, char **v)
{
    if (!v)
        return;
    b->vecs = xrealloc(b->vecs, (b->nvecs + 1) * sizeof *b->vecs);
    b->vecs[b->nvecs++] = v;
}

/* The variables of one role: parameters then builtins. */
static kv *role_vars(const plan_input *in, const char *workdir, const char *endpoint,
                     const char *port, size_t *n)
{
    kv *v = xcalloc(in->nparams + RECIPE_BUILTIN_COUNT, sizeof *v);
    size_t k = 0;
    for (size_t i = 0; i < in->nparams; i++)
        v[k++] = in->params[i];
    v[k++] = (kv){"run_id", (char *)in->id};
    v[k++] = (kv){"run_dir", (char *)in->dir};
    v[k++] = (kv){"workdir", (char *)workdir};
    v[k++] = (kv){"host", (char *)in->host};
    v[k++] = (kv){"port", (char *)port};
    v[k++] = (kv){"endpoint", (char *)endpoint};
    *n = k;
    return v;
}

static aifb_code expand_cmd(plan_box *b, const recipe_cmd *c, char **env, const kv *vars,
                            size_t nvars, exec_cmd *out, aifb_err *err)
{
    if (recipe_expand_argv((const char *const *)c->argv, c->argc, vars, nvars, &out->argv, err))
        return err->code;
    box_vec(b, out->argv);
    out->env = env;
    return AIFB_OK;
}

static aifb_code build_role(plan_box *b, const plan_input *in, const recipe_role *rr,
                            const char *name, const char *endpoint, const char *port,
                            exec_role *out, aifb_err *err)
{
    char workdir[4200];
    snprintf(workdir, sizeof workdir, "%s/%s", in->dir, name);
    size_t nvars;
    kv *vars = role_vars(in, workdir, endpoint, port, &nvars);
    char **env = NULL;
    int idx = name[0] == 's' ? 0 : 1;
    aifb_code rc = recipe_expand_env(rr->env, rr->nenv, vars, nvars, &env, err);
    if (!rc) {
        char **all = plan_role_env(env, in, name);
        recipe_strv_free(env);
        env = all;
        box_vec(b, env);
        rc = expand_cmd(b, &rr->command, env, vars, nvars, &out->main, err);
    }
    if (!rc)
        rc = plan_agents_build(in, name, vars, nvars, &b->role_agents[idx], err);
    if (!rc && rr->nsetup) {
        out->setup = xcalloc(rr->nsetup, sizeof *out->setup);
        b->cmds[b->ncmds++] = out->setup;
        out->nsetup = rr->nsetup;
        for (size_t i = 0; i < rr->nsetup && !rc; i++)
            rc = expand_cmd(b, &rr->setup[i], env, vars, nvars, &out->setup[i], err);
    }
    if (!rc)
        rc = recipe_slurm_expand(&rr->slurm, name, vars, nvars, &b->slurm[idx], err);
    free(vars);
    if (rc) {
        aifb_err_prefix(err, "recipe %s, %s", in->r->name, name);
        return rc;
    }
    out->user = rr->user;
    out->agents = b->role_agents[idx].n ? b->role_agents[idx].agents : NULL;
    out->nagents = b->role_agents[idx].n;
    if (agents_dir[0] && !b->agents)
        b->agents = box_str(b, agents_dir);
    size_t n = rr->nsearch_path + (b->agents != NULL);
    if (n) {
        const char **s = xcalloc(n + 1, sizeof *s);
        for (size_t i = 0; i < rr->nsearch_path; i++)
            s[i] = rr->search_path[i];
        if (b->agents)
            s[rr->nsearch_path] = b->agents;
        b->search[idx] = s;
        out->search = s;
    }
    out->workdir = box_str(b, workdir);
    return AIFB_OK;
}

static aifb_code build_probe(plan_box *b, const plan_input *in, const char *endpoint,
                             const char *port, aifb_err *err)
{
    const recipe_probe *rp = &in->r->service.probe;
    exec_probe *p = &b->plan.probe;
    p->host = box_str(b, in->host);
    p->port = in->port;
    p->timeout_ms = rp->timeout_s * 1000;
    switch (rp->type) {
    case RECIPE_PROBE_NONE:
        p->kind = EXEC_PROBE_NONE;
        return AIFB_OK;
    case RECIPE_PROBE_TCP:
        p->kind = EXEC_PROBE_TCP;
        return AIFB_OK;
    case RECIPE_PROBE_HTTP:
        p->kind = EXEC_PROBE_HTTP;
        break;
    case RECIPE_PROBE_CMD:
        p->kind = EXEC_PROBE_CMD;
        break;
    }
    char workdir[4200];
    snprintf(workdir, sizeof workdir, "%s/service", in->dir);
    size_t nvars;
    kv *vars = role_vars(in, workdir, endpoint, port, &nvars);
    aifb_code rc = AIFB_OK;
    if (rp->type == RECIPE_PROBE_HTTP) {
        char *path = NULL;
        rc = recipe_expand_string(rp->path ? rp->path : "/", vars, nvars, &path, err);
        if (!rc)
            p->path = box_str(b, path);
        free(path);
    } else {
        rc = expand_cmd(b, &rp->command, NULL, vars, nvars, &p->cmd, err);
    }
    free(vars);
    return rc;
}

aifb_code plan_build(const plan_input *in, exec_plan **out, aifb_err *err)
{
    plan_box *b = xcalloc(1, sizeof *b);
    exec_plan *p = &b->plan;
    for (size_t i = 0; i < 2; i++) /* a role the plan does not have asks for nothing */
        b->slurm[i] = (recipe_slurm_values){.gpus = -1,
                                            .nodes = -1,
                                            .tasks = -1,
                                            .cpus_per_task = -1,
                                            .time_limit_min = -1,
                                            .memory_mb = -1};
    char endpoint[300], port[16];
    snprintf(endpoint, sizeof endpoint, "%s:%d", in->host, in->port);
    snprintf(port, sizeof port, "%d", in->port);
    p->id = box_str(b, in->id);
    p->dir = box_str(b, in->dir);
    p->endpoint = box_str(b, endpoint);
    aifb_code rc = AIFB_OK;
    if (in->with_service) {
        p->has_service = true;
        rc = build_role(b, in, &in->r->service.role, "service", endpoint, port, &p->service, err);
        if (!rc)
            rc = build_probe(b, in, endpoint, port, err);
    }
    if (!rc && in->with_client) {
        p->has_client = true;
        rc = build_role(b, in, &in->r->client.role, "client", endpoint, port, &p->client, err);
    }
    if (rc) {
        plan_free(p);
        return rc;
    }
    *out = p;
    return AIFB_OK;
}

void plan_free(exec_plan *p)
{
    if (!p)
        return;
    plan_box *b = (plan_box *)p;
    for (size_t i = 0; i < b->nstrs; i++)
        free(b->strs[i]);
    for (size_t i = 0; i < b->nvecs; i++)
        recipe_strv_free(b->vecs[i]);
    free(b->vecs);
    for (size_t i = 0; i < b->ncmds; i++)
        free(b->cmds[i]);
    free((void *)b->search[0]);
    free((void *)b->search[1]);
    recipe_slurm_values_free(&b->slurm[0]);
    recipe_slurm_values_free(&b->slurm[1]);
    plan_agents_free(&b->role_agents[0]);
    plan_agents_free(&b->role_agents[1]);
    free(b);
}

aifb_code plan_pick_port(const char *host, int *port, aifb_err *err)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return aifb_err_set(err, AIFB_EINTERNAL, "socket: %s", strerror(errno));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
        close(fd);
        return aifb_err_set(err, AIFB_EINVAL, "'%s' is not an IPv4 address", host);
    }
    socklen_t len = sizeof a;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        int e = errno;
        close(fd);
        return aifb_err_set(err, AIFB_EUNAVAILABLE, "no free port on %s: %s", host, strerror(e));
    }
    *port = ntohs(a.sin_port);
    close(fd);
    return AIFB_OK;
}
