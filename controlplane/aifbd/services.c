/* services.c: a long-lived service's lifecycle, the service-only half of a run: start (validate,
 * plan, store, submit), advance from the executor's phase (RUNNING means READY), stop. Runs
 * started with its id use its endpoint instead of starting their own service. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aifbd/daemon.h"
#include "common/log.h"
#include "common/util.h"

/* An executor refused by something upstream (a login node's changed host key, slurmrestd refusing
 * aifbd's token) is a problem of aifbd's setup, not of the caller's credentials: the caller
 * sees FAILED_PRECONDITION, so a client never mistakes it for its own token being wrong. */
static aifb_code start_failure_code(aifb_code c)
{
    return c == AIFB_EUNAUTHENTICATED || c == AIFB_EPERM ? AIFB_EPRECONDITION : c;
}

static void move_service(aifbd *d, const service_rec *s, service_state to, const char *reason)
{
    if (s->state == to)
        return;
    aifb_err err;
    if (!service_state_can_move(s->state, to)) {
        /* READY reported while we still thought PENDING: it did start first. */
        if (to != SVC_READY || !service_state_can_move(s->state, SVC_STARTING))
            return;
        if (store_service_transition(d->db, s->id, SVC_STARTING, "starting", NULL, &err))
            log_warn("service %s: %s", s->id, err.msg);
    }
    if (store_service_transition(d->db, s->id, to, reason, NULL, &err))
        log_warn("service %s: %s", s->id, err.msg);
    else
        log_info("service %s %s%s%s", s->id, service_state_name(to), reason && *reason ? ": " : "",
                 reason ? reason : "");
}

static aifb_code plan_for_service(const recipe *r, const service_rec *s, exec_plan **plan,
                                  aifb_err *err)
{
    const char *colon = s->endpoint ? strrchr(s->endpoint, ':') : NULL;
    if (!colon)
        return aifb_err_set(err, AIFB_EINTERNAL, "service %s has no endpoint", s->id);
    char host[256];
    snprintf(host, sizeof host, "%.*s", (int)(colon - s->endpoint), s->endpoint);
    plan_input in = {.r = r,
                     .params = s->params,
                     .nparams = s->nparams,
                     .id = s->id,
                     .dir = s->service_dir,
                     .host = host,
                     .port = atoi(colon + 1),
                     .with_service = true,
                     .with_client = false};
    return plan_build(&in, plan, err);
}

aifb_code services_start(aifbd *d, const char *recipe_name, const kv *params, size_t nparams,
                         service_rec *out, aifb_err *err)
{
    const recipe *r = aifbd_recipe(d, recipe_name, err);
    if (!r)
        return err->code;
    if (!r->service.role.present)
        return aifb_err_set(err, AIFB_EINVAL, "recipe '%s' has no service part", r->name);
    kv *resolved = NULL;
    size_t nresolved = 0;
    if (recipe_resolve_params(r, params, nparams, &resolved, &nresolved, err))
        return err->code;
    service_rec s = {0};
    aifb_id_new('s', s.id);
    char local_dir[4096], endpoint[300];
    aifbd_service_dir(d, s.id, local_dir, sizeof local_dir);
    exec_place place;
    aifb_code rc = d->exec->ops->place(d->exec, s.id, local_dir, &place, err);
    int port = r->service.port ? r->service.port : place.port;
    if (!rc && !port)
        rc = plan_pick_port(place.host, &port, err);
    if (rc) {
        kv_array_free(resolved, nresolved);
        return rc;
    }
    snprintf(endpoint, sizeof endpoint, "%s:%d", place.host, port);
    s.recipe = (char *)r->name;
    s.params = resolved;
    s.nparams = nresolved;
    s.endpoint = endpoint;
    s.reason = "";
    s.executor = (char *)d->exec->ops->name;
    s.service_dir = place.dir;
    s.handles = "";

    exec_plan *plan = NULL;
    rc = plan_for_service(r, &s, &plan, err);
    if (!rc)
        rc = aifb_mkdirs(local_dir, 0755, err);
    if (rc) {
        plan_free(plan);
        kv_array_free(resolved, nresolved);
        return rc;
    }
    pthread_mutex_lock(&d->life_mu);
    rc = store_service_insert(d->db, &s, NULL, err);
    if (!rc) {
        aifb_err serr = {0};
        if (d->exec->ops->submit(d->exec, plan, &serr)) {
            store_service_transition(d->db, s.id, SVC_FAILED, serr.msg, NULL, NULL);
            rc = aifb_err_set(err, start_failure_code(serr.code), "service %s not started: %s",
                              s.id, serr.msg);
        } else {
            log_info("service %s (%s) submitted, folder %s", s.id, r->name, place.dir);
        }
    }
    pthread_mutex_unlock(&d->life_mu);
    plan_free(plan);
    kv_array_free(resolved, nresolved);
    return rc ? rc : store_service_get(d->db, s.id, out, err);
}

aifb_code services_stop(aifbd *d, const char *id, const char *reason, service_rec *out,
                        aifb_err *err)
{
    char why[300];
    snprintf(why, sizeof why, "%s", reason && *reason ? reason : "stopped on request");
    pthread_mutex_lock(&d->life_mu);
    service_rec s;
    aifb_code rc = store_service_get(d->db, id, &s, err);
    bool got = rc == AIFB_OK;
    if (!rc && !service_state_is_final(s.state)) {
        if (s.state == SVC_PENDING) {
            rc = store_service_transition(d->db, id, SVC_STOPPED, why, NULL, err);
        } else {
            if (s.state != SVC_STOPPING)
                rc = store_service_transition(d->db, id, SVC_STOPPING, why, NULL, err);
            aifb_err cerr;
            if (!rc && d->exec->ops->cancel(d->exec, id, &cerr))
                log_warn("service %s: cancel: %s", id, cerr.msg);
        }
    }
    if (got)
        service_rec_free(&s);
    pthread_mutex_unlock(&d->life_mu);
    return rc ? rc : store_service_get(d->db, id, out, err);
}

void services_advance(aifbd *d, const service_rec *stale)
{
    pthread_mutex_lock(&d->life_mu);
    service_rec s;
    aifb_err err;
    if (store_service_get(d->db, stale->id, &s, &err)) {
        pthread_mutex_unlock(&d->life_mu);
        return;
    }
    exec_status st;
    memset(&st, 0, sizeof st);
    if (service_state_is_final(s.state))
        goto out;
    if (d->exec->ops->poll(d->exec, s.id, &st, &err)) {
        if (err.code == AIFB_ENOTFOUND)
            move_service(d, &s, SVC_FAILED, "the executor has no trace of this service");
        goto out;
    }
    if (st.handles[0] && strcmp(st.handles, s.handles ? s.handles : "")) {
        service_update u = {.handles = st.handles};
        store_service_update(d->db, s.id, &u, NULL);
    }
    /* On Slurm the host is known once the job published it; runs against the service dial it. */
    if (st.endpoint[0] && strcmp(st.endpoint, s.endpoint ? s.endpoint : "")) {
        service_update u = {.endpoint = st.endpoint};
        store_service_update(d->db, s.id, &u, NULL);
    }
    switch (st.phase) {
    case EXEC_SUBMITTED:
        break;
    case EXEC_STARTING:
        move_service(d, &s, SVC_STARTING, "waiting for it to be ready");
        break;
    case EXEC_RUNNING:
        move_service(d, &s, SVC_READY, "readiness probe passed");
        break;
    case EXEC_STOPPING:
        move_service(d, &s, SVC_STOPPING, s.reason);
        break;
    case EXEC_SUCCEEDED:
    case EXEC_CANCELLED:
        move_service(d, &s, s.state == SVC_STOPPING ? SVC_STOPPED : SVC_FAILED,
                     s.state == SVC_STOPPING ? s.reason : "the service ended by itself");
        d->exec->ops->forget(d->exec, s.id);
        break;
    case EXEC_FAILED:
        move_service(d, &s, SVC_FAILED, st.reason);
        d->exec->ops->forget(d->exec, s.id);
        break;
    }
out:
    service_rec_free(&s);
    pthread_mutex_unlock(&d->life_mu);
}

void services_adopt(aifbd *d, const service_rec *s)
{
    pthread_mutex_lock(&d->life_mu);
    aifb_err err = {0};
    const recipe *r = recipe_catalog_find(d->recipes, s->recipe);
    exec_plan *plan = NULL;
    if (s->state == SVC_PENDING) {
        move_service(d, s, SVC_FAILED, "aifbd stopped before the service was submitted");
    } else if (!r) {
        move_service(d, s, SVC_FAILED, "its recipe is no longer loaded");
    } else if (plan_for_service(r, s, &plan, &err) || d->exec->ops->adopt(d->exec, plan, &err)) {
        char why[AIFB_ERR_MSG_MAX + 64];
        snprintf(why, sizeof why, "lost when aifbd restarted: %s", err.msg);
        move_service(d, s, SVC_FAILED, why);
    } else {
        log_info("service %s (%s) taken back after a restart", s->id, s->recipe);
    }
    plan_free(plan);
    pthread_mutex_unlock(&d->life_mu);
}

void services_end_all(aifbd *d, const char *reason)
{
    service_rec *list = NULL;
    size_t n = 0;
    aifb_err err;
    if (store_service_list_unfinished(d->db, &list, &n, &err)) {
        log_error("listing unfinished services: %s", err.msg);
        return;
    }
    pthread_mutex_lock(&d->life_mu);
    for (size_t i = 0; i < n; i++)
        move_service(d, &list[i], SVC_STOPPED, reason);
    pthread_mutex_unlock(&d->life_mu);
    service_rec_array_free(list, n);
}
