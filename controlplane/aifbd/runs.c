/* runs.c: a run's lifecycle.
 *
 * start: recipe and parameters are validated, the plan is built (every placeholder expanded) and
 * only then is anything stored or executed; the run is stored PENDING, handed to the executor
 * without life_mu held (submissions of several runs overlap), and moved to SUBMITTED. advance
 * (from the reconciler): the executor's phase becomes the run's state; when the client has
 * ended, its output is parsed into the result summary. stop: STOPPING, then the executor's
 * cancel; the reconciler sees CANCELLED once every process is gone.
 *
 * Every change happens under d->life_mu and re-reads the run first, so an API call and the
 * reconciler never act on a stale state; the store refuses any move the state machine forbids.
 * The one executor call made without it, submit, concerns a PENDING run that nothing else acts
 * on; a StopRun meanwhile is noted and carried out once the submission has answered. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aifbd/daemon.h"
#include "common/log.h"
#include "common/util.h"
#include "slurm/exec_slurm.h"

/* An executor refused by something upstream (a login node's changed host key, slurmrestd refusing
 * aifbd's token) is a problem of aifbd's setup, not of the caller's credentials: the caller
 * sees FAILED_PRECONDITION, so a client never mistakes it for its own token being wrong. */
static aifb_code start_failure_code(aifb_code c)
{
    return c == AIFB_EUNAUTHENTICATED || c == AIFB_EPERM ? AIFB_EPRECONDITION : c;
}

/* Splits "host:port" (the endpoints aifbd writes). */
static bool endpoint_split(const char *ep, char *host, size_t hostlen, int *port)
{
    const char *colon = ep ? strrchr(ep, ':') : NULL;
    if (!colon || colon == ep || (size_t)(colon - ep) >= hostlen)
        return false;
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end || p < 1 || p > 65535)
        return false;
    memcpy(host, ep, (size_t)(colon - ep));
    host[colon - ep] = '\0';
    *port = (int)p;
    return true;
}

/* Moves a run toward `to`, through RUNNING when the executor went faster than our polls (a
 * client that finished between two ticks never showed RUNNING, but it did run). */
static void move_run(aifbd *d, const run_rec *r, run_state to, const char *reason)
{
    if (r->state == to)
        return;
    aifb_err err;
    if (!run_state_can_move(r->state, to)) {
        if (!run_state_is_final(to) || !run_state_can_move(r->state, RUN_RUNNING))
            return; /* an older phase reported late: nothing to do */
        if (store_run_transition(d->db, r->id, RUN_RUNNING, "client started", NULL, &err))
            log_warn("run %s: %s", r->id, err.msg);
    }
    if (store_run_transition(d->db, r->id, to, reason, NULL, &err))
        log_warn("run %s: %s", r->id, err.msg);
    else
        log_info("run %s %s%s%s", r->id, run_state_name(to), reason && *reason ? ": " : "",
                 reason ? reason : "");
}

static aifb_code resolve_service_endpoint(aifbd *d, const char *service_id, char *endpoint,
                                          size_t len, aifb_err *err)
{
    if (!aifb_id_valid(service_id, 's'))
        return aifb_err_set(err, AIFB_EINVAL, "service_id '%.40s' is not a service id", service_id);
    service_rec s;
    if (store_service_get(d->db, service_id, &s, err))
        return err->code;
    aifb_code rc = AIFB_OK;
    if (s.state != SVC_READY)
        rc = aifb_err_set(err, AIFB_EPRECONDITION, "service %s is %s, not READY", service_id,
                          service_state_name(s.state));
    else
        snprintf(endpoint, len, "%s", s.endpoint);
    service_rec_free(&s);
    return rc;
}

/* The plan of a run from its stored record (used at start and again after a restart). */
static aifb_code plan_for_run(const recipe *r, const run_rec *run, exec_plan **plan, aifb_err *err)
{
    char host[256];
    int port = 0;
    if (!endpoint_split(run->endpoint, host, sizeof host, &port))
        return aifb_err_set(err, AIFB_EINTERNAL, "run %s has no valid endpoint '%s'", run->id,
                            run->endpoint ? run->endpoint : "");
    plan_input in = {.r = r,
                     .params = run->params,
                     .nparams = run->nparams,
                     .id = run->id,
                     .dir = run->run_dir,
                     .host = host,
                     .port = port,
                     .with_service = !run->service_id || !*run->service_id,
                     .with_client = true};
    return plan_build(&in, plan, err);
}

/* ---- submissions under way ------------------------------------------------------------ */

/* A run between its PENDING insert and the executor's answer. The executor is asked without
 * life_mu (a submission to Slurm takes milliseconds to seconds and must not hold up other
 * runs), so a StopRun arriving meanwhile is noted here and carried out once the jobs exist. */
struct submitting {
    struct submitting *next;
    char id[AIFB_ID_LEN + 1];
    bool stop;
    char reason[300];
};

/* With life_mu held. */
static submitting *submitting_add(aifbd *d, const char *id)
{
    submitting *t = xcalloc(1, sizeof *t);
    snprintf(t->id, sizeof t->id, "%s", id);
    t->next = d->submitting;
    d->submitting = t;
    return t;
}

/* With life_mu held. */
static submitting *submitting_find(aifbd *d, const char *id)
{
    for (submitting *t = d->submitting; t; t = t->next)
        if (!strcmp(t->id, id))
            return t;
    return NULL;
}

/* With life_mu held; frees t. */
static void submitting_remove(aifbd *d, submitting *t)
{
    for (submitting **pp = &d->submitting; *pp; pp = &(*pp)->next) {
        if (*pp == t) {
            *pp = t->next;
            break;
        }
    }
    free(t);
}

/* Hands the stored PENDING run to the executor (life_mu not held), then records the outcome:
 * SUBMITTED, or FAILED with the executor's message; a stop asked meanwhile is sent now. */
static aifb_code runs_submit(aifbd *d, const recipe *r, const exec_plan *plan, const char *dir,
                             submitting *ticket, aifb_err *err)
{
    aifb_err serr = {0};
    aifb_code src = d->exec->ops->submit(d->exec, plan, &serr);
    aifb_code rc = AIFB_OK;
    pthread_mutex_lock(&d->life_mu);
    if (src) {
        store_run_transition(d->db, plan->id, RUN_FAILED, serr.msg, NULL, NULL);
        rc = aifb_err_set(err, start_failure_code(serr.code), "run %s not started: %s", plan->id,
                          serr.msg);
        log_warn("run %s FAILED: %s", plan->id, serr.msg);
    } else {
        char why[128];
        snprintf(why, sizeof why, "submitted to the %s executor", d->exec->ops->name);
        store_run_transition(d->db, plan->id, RUN_SUBMITTED, why, NULL, NULL);
        log_info("run %s (%s) SUBMITTED, folder %s", plan->id, r->name, dir);
        if (ticket->stop) {
            aifb_err cerr;
            store_run_transition(d->db, plan->id, RUN_STOPPING, ticket->reason, NULL, NULL);
            if (d->exec->ops->cancel(d->exec, plan->id, &cerr))
                log_warn("run %s: cancel: %s", plan->id, cerr.msg);
            log_info("run %s STOPPING: %s", plan->id, ticket->reason);
        }
    }
    submitting_remove(d, ticket);
    pthread_mutex_unlock(&d->life_mu);
    return rc;
}

aifb_code runs_start(aifbd *d, const char *recipe_name, const kv *params, size_t nparams,
                     const char *service_id, run_rec *out, aifb_err *err)
{
    const recipe *r = aifbd_recipe(d, recipe_name, err);
    if (!r)
        return err->code;
    if (!r->client.role.present)
        return aifb_err_set(err, AIFB_EINVAL,
                            "recipe '%s' has no client part: start it with StartService", r->name);
    bool own_service = !service_id || !*service_id;
    if (own_service && !r->service.role.present)
        return aifb_err_set(err, AIFB_EINVAL,
                            "recipe '%s' has only a client: give the id of a READY service",
                            r->name);
    kv *resolved = NULL;
    size_t nresolved = 0;
    if (recipe_resolve_params(r, params, nparams, &resolved, &nresolved, err))
        return err->code;

    run_rec run = {0};
    aifb_id_new('r', run.id);
    char local_dir[4096];
    aifbd_run_dir(d, run.id, local_dir, sizeof local_dir);
    exec_place place;
    char endpoint[300], result[4200];
    aifb_code rc = d->exec->ops->place(d->exec, run.id, local_dir, &place, err);
    if (!rc && own_service) {
        int port = r->service.port ? r->service.port : place.port;
        if (!port)
            rc = plan_pick_port(place.host, &port, err);
        snprintf(endpoint, sizeof endpoint, "%s:%d", place.host, port);
    } else if (!rc) {
        rc = resolve_service_endpoint(d, service_id, endpoint, sizeof endpoint, err);
    }
    if (rc) {
        kv_array_free(resolved, nresolved);
        return rc;
    }
    snprintf(result, sizeof result, "%s/client.out", place.dir);
    run.recipe = (char *)r->name;
    run.params = resolved;
    run.nparams = nresolved;
    run.service_id = (char *)(own_service ? "" : service_id);
    run.reason = "";
    run.executor = (char *)d->exec->ops->name;
    run.run_dir = place.dir;
    run.result_path = result;
    run.endpoint = endpoint;
    run.handles = "";
    run.exit_code = -1;

    /* Build the plan before storing anything: an expansion error is the caller's to fix. */
    exec_plan *plan = NULL;
    if (plan_for_run(r, &run, &plan, err)) {
        kv_array_free(resolved, nresolved);
        return err->code;
    }
    if (aifb_mkdirs(local_dir, 0755, err)) {
        plan_free(plan);
        kv_array_free(resolved, nresolved);
        return err->code;
    }

    pthread_mutex_lock(&d->life_mu);
    rc = store_run_insert(d->db, &run, NULL, err);
    submitting *ticket = rc ? NULL : submitting_add(d, run.id);
    pthread_mutex_unlock(&d->life_mu);
    if (!rc)
        rc = runs_submit(d, r, plan, place.dir, ticket, err);
    plan_free(plan);
    kv_array_free(resolved, nresolved);
    if (rc)
        return rc;
    return store_run_get(d->db, run.id, out, err);
}

aifb_code runs_stop(aifbd *d, const char *id, const char *reason, run_rec *out, aifb_err *err)
{
    char why[300];
    snprintf(why, sizeof why, "%s", reason && *reason ? reason : "stopped on request");
    pthread_mutex_lock(&d->life_mu);
    run_rec r;
    aifb_code rc = store_run_get(d->db, id, &r, err);
    bool got = rc == AIFB_OK;
    if (!rc && !run_state_is_final(r.state)) {
        submitting *t = r.state == RUN_PENDING ? submitting_find(d, id) : NULL;
        if (t) {
            /* Its jobs are being submitted: they are cancelled as soon as they exist. */
            t->stop = true;
            snprintf(t->reason, sizeof t->reason, "%s", why);
        } else if (r.state == RUN_PENDING) {
            rc = store_run_transition(d->db, id, RUN_CANCELLED, why, NULL, err);
        } else {
            if (r.state != RUN_STOPPING)
                rc = store_run_transition(d->db, id, RUN_STOPPING, why, NULL, err);
            aifb_err cerr;
            if (!rc && d->exec->ops->cancel(d->exec, id, &cerr))
                log_warn("run %s: cancel: %s", id, cerr.msg);
        }
        if (!rc)
            log_info("run %s STOPPING: %s", id, why);
    }
    if (got)
        run_rec_free(&r);
    pthread_mutex_unlock(&d->life_mu);
    return rc ? rc : store_run_get(d->db, id, out, err);
}

/* A whole output file of a run, through the executor (it may live on a cluster). */
static aifb_code read_output(aifbd *d, const char *dir, const char *name, char **out, size_t *len,
                             aifb_err *err)
{
    const size_t max = 64u << 20;
    abuf b = {0};
    char *chunk = xmalloc(1 << 16);
    size_t n = 0;
    aifb_code rc;
    while ((rc = d->exec->ops->read_file(d->exec, dir, name, (int64_t)b.len, chunk, 1 << 16, &n,
                                         err)) == AIFB_OK &&
           n > 0 && b.len < max)
        abuf_append(&b, chunk, n);
    free(chunk);
    if (rc) {
        abuf_free(&b);
        return rc;
    }
    *len = b.len;
    *out = abuf_take(&b);
    return AIFB_OK;
}

/* Parses the client's output into the run's summary; a problem is noted, not fatal. */
static void run_record_outcome(aifbd *d, const run_rec *r, const exec_status *st, char *note,
                               size_t notelen)
{
    run_update u = {.has_exit_code = true, .exit_code = st->exit_code};
    metric *m = NULL;
    size_t nm = 0;
    const recipe *rc = recipe_catalog_find(d->recipes, r->recipe);
    const char *parser = rc ? rc->client.summary : NULL;
    note[0] = '\0';
    if (parser && strcmp(parser, "none") && r->result_path && *r->result_path) {
        char *text = NULL;
        size_t len = 0;
        aifb_err e;
        if (read_output(d, r->run_dir, "client.out", &text, &len, &e) == AIFB_OK &&
            summary_parse(parser, text, len, &m, &nm, &e) == AIFB_OK) {
            u.summary = m;
            u.nsummary = nm;
            u.has_summary = true;
        } else {
            snprintf(note, notelen, "; no summary: %.500s", e.msg);
        }
        free(text);
    }
    aifb_err e;
    if (store_run_update(d->db, r->id, &u, &e))
        log_warn("run %s: saving its outcome: %s", r->id, e.msg);
    metric_array_free(m, nm);
}

/* A Slurm controller that cannot be reached changes no state, only the reason a user reads
 * (EXEC_SLURM_UNREACHABLE ...); once it answers, the executor's own reason replaces it. */
static void run_note_unreachable(aifbd *d, const run_rec *r, const exec_status *st)
{
    const char *now = r->reason ? r->reason : "";
    size_t plen = strlen(EXEC_SLURM_UNREACHABLE);
    bool down = !strncmp(st->reason, EXEC_SLURM_UNREACHABLE, plen);
    bool was_down = !strncmp(now, EXEC_SLURM_UNREACHABLE, plen);
    if ((down || was_down) && strcmp(st->reason, now)) {
        run_update u = {.reason = st->reason};
        store_run_update(d->db, r->id, &u, NULL);
    }
}

void runs_advance(aifbd *d, const run_rec *stale)
{
    pthread_mutex_lock(&d->life_mu);
    run_rec r;
    aifb_err err;
    if (store_run_get(d->db, stale->id, &r, &err)) {
        pthread_mutex_unlock(&d->life_mu);
        return;
    }
    if (run_state_is_final(r.state) || r.state == RUN_PENDING)
        goto out;
    exec_status st;
    memset(&st, 0, sizeof st);
    st.exit_code = -1;
    if (d->exec->ops->poll(d->exec, r.id, &st, &err)) {
        if (err.code == AIFB_ENOTFOUND)
            move_run(d, &r, RUN_FAILED, "the executor has no trace of this run");
        else
            log_warn("run %s: poll: %s", r.id, err.msg);
        goto out;
    }
    if (st.handles[0] && strcmp(st.handles, r.handles ? r.handles : "")) {
        run_update u = {.handles = st.handles};
        store_run_update(d->db, r.id, &u, NULL);
    }
    /* On Slurm the service's host is known only once its job published it. */
    const char *endpoint = st.endpoint[0] ? st.endpoint : r.endpoint;
    if (st.endpoint[0] && strcmp(st.endpoint, r.endpoint ? r.endpoint : "")) {
        run_update u = {.endpoint = st.endpoint};
        store_run_update(d->db, r.id, &u, NULL);
    }
    run_note_unreachable(d, &r, &st);
    char note[600];
    char why[1200];
    switch (st.phase) {
    case EXEC_SUBMITTED:
        break;
    case EXEC_STARTING:
        move_run(d, &r, RUN_STARTING, "service started, waiting for it to be ready");
        break;
    case EXEC_RUNNING:
        snprintf(why, sizeof why, "client running against %s", endpoint);
        move_run(d, &r, RUN_RUNNING, why);
        break;
    case EXEC_STOPPING:
        if (r.state != RUN_STOPPING)
            move_run(d, &r, RUN_STOPPING,
                     st.reason[0] ? st.reason : "client ended, stopping the service");
        break;
    case EXEC_SUCCEEDED:
        run_record_outcome(d, &r, &st, note, sizeof note);
        snprintf(why, sizeof why, "client exited 0%s", note);
        move_run(d, &r, RUN_SUCCEEDED, why);
        d->exec->ops->forget(d->exec, r.id);
        break;
    case EXEC_FAILED:
        run_record_outcome(d, &r, &st, note, sizeof note);
        move_run(d, &r, RUN_FAILED, st.reason);
        d->exec->ops->forget(d->exec, r.id);
        break;
    case EXEC_CANCELLED:
        move_run(d, &r, RUN_CANCELLED, r.reason && *r.reason ? r.reason : "stopped on request");
        d->exec->ops->forget(d->exec, r.id);
        break;
    }
out:
    run_rec_free(&r);
    pthread_mutex_unlock(&d->life_mu);
}

void runs_adopt(aifbd *d, const run_rec *r)
{
    pthread_mutex_lock(&d->life_mu);
    aifb_err err = {0};
    const recipe *rc = recipe_catalog_find(d->recipes, r->recipe);
    if (!rc) {
        move_run(d, r, RUN_FAILED, "its recipe is no longer loaded; cannot take the run back");
        goto out;
    }
    /* A PENDING run may have been handed to the executor just before aifbd died: adopting
     * finds its processes if there are any, so none is left running untracked. */
    exec_plan *plan = NULL;
    if (plan_for_run(rc, r, &plan, &err) || d->exec->ops->adopt(d->exec, plan, &err)) {
        char why[AIFB_ERR_MSG_MAX + 64];
        if (r->state == RUN_PENDING)
            snprintf(why, sizeof why, "aifbd stopped before the run was submitted");
        else
            snprintf(why, sizeof why, "lost when aifbd restarted: %s", err.msg);
        move_run(d, r, RUN_FAILED, why);
    } else if (r->state == RUN_PENDING) {
        move_run(d, r, RUN_SUBMITTED, "taken back after a restart");
    } else {
        log_info("run %s (%s, %s) taken back after a restart", r->id, r->recipe,
                 run_state_name(r->state));
    }
    plan_free(plan);
out:
    pthread_mutex_unlock(&d->life_mu);
}

void runs_end_all(aifbd *d, const char *reason)
{
    run_rec *runs = NULL;
    size_t n = 0;
    aifb_err err;
    if (store_run_list_unfinished(d->db, &runs, &n, &err)) {
        log_error("listing unfinished runs: %s", err.msg);
        return;
    }
    pthread_mutex_lock(&d->life_mu);
    for (size_t i = 0; i < n; i++)
        move_run(d, &runs[i], RUN_CANCELLED, reason);
    pthread_mutex_unlock(&d->life_mu);
    run_rec_array_free(runs, n);
}
