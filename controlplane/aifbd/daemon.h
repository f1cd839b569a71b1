/* daemon.h: aifbd's parts and how they fit.
 *
 *   main.c        options, start-up, signal wait, clean shutdown
 *   config.c      settings from defaults, file, environment, flags
 *   api_*.c       the ControlPlane RPC handlers (one file per group) and the method table
 *   convert.c     store records and recipes to aifb.v1 messages
 *   runs.c        a run's lifecycle: start (validate, plan, store, submit), stop, advance
 *   services.c    the same for long-lived services
 *   plan.c        a recipe plus resolved parameters -> the executor's exec_plan
 *   reconciler.c  the thread that polls the executor and advances every unfinished run/service,
 *                 and the adoption of unfinished work after a restart
 *   executors.c   the executor named by the configuration (local, slurm-ssh) and its settings
 *
 * Every change of a run's or a service's state goes through runs.c / services.c under life_mu, so
 * the API handlers and the reconciler never race on one record; reads (GetRun, ListRuns, Watch) go
 * straight to the store, which is thread-safe. */
#ifndef AIFBD_DAEMON_H
#define AIFBD_DAEMON_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "aifbd/config.h"
#include "common/records.h"
#include "exec/executor.h"
#include "recipe/recipe.h"
#include "rpc/rpc.h"
#include "store/store.h"

typedef struct submitting submitting; /* runs.c: runs whose submission is under way */

typedef struct aifbd {
    aifbd_config cfg;
    store *db;
    recipe_catalog *recipes;
    executor *exec;
    rpc_server *rpc;
    int64_t started_at_ms;
    int64_t started_mono_ms;
    pthread_mutex_t life_mu;
    submitting *submitting; /* guarded by life_mu */
    pthread_t reconciler;
    atomic_bool stopping;
    bool reconciler_started;
} aifbd;

/* ---- runs.c ---- */

/* Validates and starts a run. On AIFB_OK *out holds the stored run (free with run_rec_free).
 * Unknown recipe: AIFB_ENOTFOUND; a bad parameter: AIFB_EINVAL naming it; a service_id that is not
 * READY: AIFB_EPRECONDITION. Nothing is executed unless every check passed. */
aifb_code runs_start(aifbd *d, const char *recipe, const kv *params, size_t nparams,
                     const char *service_id, run_rec *out, aifb_err *err);
/* Asks a run to stop (CANCELLED once its processes are gone). A run already final is returned
 * unchanged. */
aifb_code runs_stop(aifbd *d, const char *id, const char *reason, run_rec *out, aifb_err *err);
/* One reconciler step for one unfinished run: poll the executor and move the run. */
void runs_advance(aifbd *d, const run_rec *r);
/* After a restart: hand an unfinished run back to the executor, or end it with the reason. */
void runs_adopt(aifbd *d, const run_rec *r);
/* Clean shutdown: every unfinished run ends CANCELLED with the reason (after exec->shutdown). */
void runs_end_all(aifbd *d, const char *reason);

/* ---- services.c ---- */

aifb_code services_start(aifbd *d, const char *recipe, const kv *params, size_t nparams,
                         service_rec *out, aifb_err *err);
aifb_code services_stop(aifbd *d, const char *id, const char *reason, service_rec *out,
                        aifb_err *err);
void services_advance(aifbd *d, const service_rec *s);
void services_adopt(aifbd *d, const service_rec *s);
void services_end_all(aifbd *d, const char *reason);

/* ---- plan.c ---- */

/* What a plan is built from: the recipe, resolved params, the id and folder, and the endpoint
 * (the own service's host:port chosen at start, or the existing service's). */
typedef struct plan_input {
    const recipe *r;
    const kv *params;
    size_t nparams;
    const char *id;
    const char *dir;
    const char *host;
    int port;
    bool with_service; /* start the recipe's service */
    bool with_client;  /* run the recipe's client */
} plan_input;

/* Builds the plan (every placeholder expanded). Free with plan_free. */
aifb_code plan_build(const plan_input *in, exec_plan **out, aifb_err *err);
void plan_free(exec_plan *p);
/* A free TCP port on host (bind to port 0 and read it back). */
aifb_code plan_pick_port(const char *host, int *port, aifb_err *err);

/* ---- plan_agents.c: the agents beside each role ---- */

/* Where the agents of the plans built from now on send what they observe (a copy is kept), and
 * the executor's grace period, which bounds the agents' last flush; aifbd_executor_new sets it
 * once from the configuration. NULL or unset URLs: no agent. */
void plan_set_observe(const aifbd_observe_config *o, int grace_ms);

/* A role's agents: aifb-monitor when a Prometheus receiver is set, aifb-logship when Loki is. */
typedef struct plan_agents {
    exec_agent agents[2];
    char **argv[2]; /* owned */
    size_t n;
} plan_agents;

/* The agents of role ("service" or "client") of the plan in is built from, vars being the role's
 * template variables (for the service's metrics_path). AIFB_EINVAL when metrics_path does not
 * expand. Free with plan_agents_free. */
aifb_code plan_agents_build(const plan_input *in, const char *role, const kv *vars, size_t nvars,
                            plan_agents *out, aifb_err *err);
void plan_agents_free(plan_agents *pa);

/* A new environment vector for a role: with a Prometheus receiver AIFB_REMOTE_WRITE_URL and
 * AIFB_RECIPE (aifb-loadgen labels its series with both), then the recipe's env entries (which
 * win). Freed with recipe_strv_free. (AIFB_RUN_ID and AIFB_ROLE come from the executors: the job
 * script's head on Slurm, the supervisor's environment locally.) */
char **plan_role_env(char **env, const plan_input *in, const char *role);

/* ---- reconciler.c ---- */

aifb_code reconciler_start(aifbd *d, aifb_err *err);
void reconciler_stop(aifbd *d);
/* Adopts every unfinished run and service (called once at start-up, before the API opens). */
void reconciler_adopt_all(aifbd *d);

/* ---- api_*.c ---- */

/* Registers the ControlPlane methods on the server. */
void api_register(aifbd *d, rpc_server *s);

/* ---- daemon.c ---- */

/* The recipe of that name, or NULL with AIFB_ENOTFOUND "no recipe named 'x' (known: a, b)". */
const recipe *aifbd_recipe(aifbd *d, const char *name, aifb_err *err);
/* Runs' and services' folders. */
void aifbd_run_dir(const aifbd *d, const char *id, char *out, size_t outlen);
void aifbd_service_dir(const aifbd *d, const char *id, char *out, size_t outlen);

#endif
