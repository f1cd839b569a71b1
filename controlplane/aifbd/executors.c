/* executors.c: see executors.h. The Slurm settings are merged here into the slurm_opts the job
 * scripts are written from: the configuration's (role over job) when the executor is made, the
 * executor copies what it keeps; a recipe's per role and per run (aifbd_slurm_run_opts). */
#include "aifbd/executors.h"

#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aifbd/daemon.h"
#include "common/util.h"
#include "slurm/exec_slurm.h"

static const char *pick_str(const char *role, const char *job)
{
    return role && *role ? role : job && *job ? job : NULL;
}

/* -1 means unset; 0 leaves the directive out. */
static int pick_int(int role, int job)
{
    int v = role >= 0 ? role : job;
    return v > 0 ? v : 0;
}

void aifbd_slurm_job_base(const aifbd_slurm_config *sc, bool service, const char *const *modules,
                          slurm_opts *o)
{
    const aifbd_slurm_job *job = &sc->job, *role = service ? &sc->service : &sc->client;
    memset(o, 0, sizeof *o);
    o->account = pick_str(role->account, job->account);
    o->partition = pick_str(role->partition, job->partition);
    o->qos = pick_str(role->qos, job->qos);
    o->time_limit_min = pick_int(role->time_limit_min, job->time_limit_min);
    o->nodes = pick_int(role->nodes, job->nodes);
    o->tasks = pick_int(role->tasks, job->tasks);
    o->cpus_per_task = pick_int(role->cpus_per_task, job->cpus_per_task);
    o->memory_mb = pick_int(role->memory_mb, job->memory_mb);
    o->gpus = pick_int(role->gpus, job->gpus);
    o->gres_style_gpus = sc->gpu_directive && !strcmp(sc->gpu_directive, "gres");
    o->remote_base = sc->remote_base;
    o->endpoint_timeout_s = sc->endpoint_timeout_s;
    o->login_shell = sc->login_shell;
    o->modules = modules;
}

void aifbd_slurm_job_apply(const aifbd_slurm_config *sc, bool service,
                           const recipe_slurm_values *rv, slurm_opts *o)
{
    const char *site_partition = service ? sc->service.partition : sc->client.partition;
    if (rv->image)
        o->image = rv->image;
    if (rv->partition && !(site_partition && *site_partition))
        o->partition = rv->partition;
    if (rv->gpus >= 0)
        o->gpus = rv->gpus;
    if (rv->nodes >= 0)
        o->nodes = rv->nodes;
    if (rv->tasks >= 0)
        o->tasks = rv->tasks;
    if (rv->cpus_per_task >= 0)
        o->cpus_per_task = rv->cpus_per_task;
    if (rv->memory_mb >= 0)
        o->memory_mb = rv->memory_mb;
    if (rv->time_limit_min >= 0)
        o->time_limit_min = rv->time_limit_min;
}

void aifbd_slurm_run_opts(void *ctx, const exec_plan *plan, const char *role, slurm_opts *o)
{
    bool service = !strcmp(role, "service");
    aifbd_slurm_job_apply(ctx, service, plan_slurm(plan, service), o);
}

/* "A, B" -> {"A", "B", NULL}; every piece in one allocation with the array. */
static char **split_modules(const char *list)
{
    size_t len = list ? strlen(list) : 0, n = 1;
    for (size_t i = 0; i < len; i++)
        n += list[i] == ',';
    char **out = xcalloc(1, (n + 1) * sizeof *out + len + 1);
    char *text = (char *)(out + n + 1);
    if (len)
        memcpy(text, list, len + 1);
    size_t k = 0;
    for (char *save = NULL, *tok = len ? strtok_r(text, ",", &save) : NULL; tok;
         tok = strtok_r(NULL, ",", &save)) {
        tok += strspn(tok, " \t");
        size_t tl = strlen(tok);
        while (tl && (tok[tl - 1] == ' ' || tok[tl - 1] == '\t'))
            tok[--tl] = '\0';
        if (tl)
            out[k++] = tok;
    }
    return out;
}

/* The user tokens are minted for: slurm_rest.user, else the account aifbd runs as. */
static const char *rest_user(const aifbd_slurm_config *sc, char *buf, size_t len)
{
    if (sc->rest_user && *sc->rest_user)
        return sc->rest_user;
    struct passwd pw, *found = NULL;
    if (getpwuid_r(geteuid(), &pw, buf, len, &found) || !found)
        return NULL;
    return found->pw_name;
}

/* slurmrestd's settings: a fixed token (SLURM_JWT) wins; otherwise tokens minted with the key
 * for rest_user(). pwbuf holds the user name when it comes from the password database. */
static slurm_rest_config rest_settings(const aifbd_slurm_config *sc, char *pwbuf, size_t len)
{
    bool mint = sc->jwt_key_path && *sc->jwt_key_path && !(sc->jwt && *sc->jwt);
    return (slurm_rest_config){.url = sc->rest_url,
                               .user = mint ? rest_user(sc, pwbuf, len) : sc->rest_user,
                               .token = sc->jwt,
                               .jwt_key_path = mint ? sc->jwt_key_path : NULL,
                               .jwt_lifetime_s = sc->jwt_lifetime_s,
                               .version = sc->rest_version};
}

static aifb_code slurm_ssh_executor(const aifbd_config *cfg, executor **out, aifb_err *err)
{
    const aifbd_slurm_config *sc = &cfg->slurm;
    slurm_ssh_config ssh = {.host = sc->ssh_host,
                            .port = sc->ssh_port,
                            .user = sc->ssh_user,
                            .key_path = sc->ssh_key_path,
                            .known_hosts = sc->ssh_known_hosts};
    exec_slurm_backend *be = NULL;
    char pwbuf[4096];
    slurm_rest_config rest = rest_settings(sc, pwbuf, sizeof pwbuf);
    aifb_code made = !strcmp(sc->ssh_mode, "tunnel") ? exec_slurm_tunnel_new(&ssh, &rest, &be, err)
                                                     : exec_slurm_cli_new(&ssh, &be, err);
    if (made)
        return made;
    char **modules = split_modules(sc->modules);
    exec_slurm_config xc = {.name = "slurm-ssh",
                            .remote_base = sc->remote_base,
                            .refresh_ms = cfg->tick_ms > 500 ? cfg->tick_ms : 500,
                            .run_opts = aifbd_slurm_run_opts,
                            .run_opts_ctx = (void *)sc};
    aifbd_slurm_job_base(sc, true, (const char *const *)modules, &xc.service);
    aifbd_slurm_job_base(sc, false, (const char *const *)modules, &xc.client);
    aifb_code rc = exec_slurm_new(&xc, be, out, err);
    free(modules);
    return rc;
}

static aifb_code slurm_rest_executor(const aifbd_config *cfg, executor **out, aifb_err *err)
{
    const aifbd_slurm_config *sc = &cfg->slurm;
    char pwbuf[4096];
    slurm_rest_config rc = rest_settings(sc, pwbuf, sizeof pwbuf);
    exec_slurm_backend *be = NULL;
    if (exec_slurm_rest_new(&rc, &be, err))
        return err->code;
    char **modules = split_modules(sc->modules);
    exec_slurm_config xc = {.name = "slurm-rest",
                            .remote_base = sc->remote_base,
                            .refresh_ms = cfg->tick_ms > 500 ? cfg->tick_ms : 500,
                            .run_opts = aifbd_slurm_run_opts,
                            .run_opts_ctx = (void *)sc};
    aifbd_slurm_job_base(sc, true, (const char *const *)modules, &xc.service);
    aifbd_slurm_job_base(sc, false, (const char *const *)modules, &xc.client);
    aifb_code code = exec_slurm_new(&xc, be, out, err);
    free(modules);
    return code;
}

aifb_code aifbd_executor_new(const aifbd_config *cfg, executor **out, aifb_err *err)
{
    bool local = !strcmp(cfg->executor, "local");
    plan_set_agents_dir(local ? NULL : cfg->slurm.agents_dir);
    plan_set_observe(&cfg->observe, cfg->grace_ms);
    if (local)
        return exec_local_new(cfg->grace_ms, out, err);
    if (!strcmp(cfg->executor, "slurm-ssh"))
        return slurm_ssh_executor(cfg, out, err);
    if (!strcmp(cfg->executor, "slurm-rest"))
        return slurm_rest_executor(cfg, out, err);
    return aifb_err_set(err, AIFB_EUNIMPLEMENTED,
                        "executor '%s' is not available in this build (available: local, "
                        "slurm-ssh, slurm-rest)",
                        cfg->executor);
}
