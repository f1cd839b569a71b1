/* store_services.c: long-lived services: insert, state moves, field updates, reads, lists.
 *
 * The same shape as runs (store_runs.c) with the service state machine; services are few (one
 * per deployment a person started), so their lists read whole tables in key order. */
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void service_rec_free(service_rec *r)
{
    if (!r)
        return;
    free(r->recipe);
    kv_array_free(r->params, r->nparams);
    free(r->endpoint);
    free(r->reason);
    free(r->executor);
    free(r->service_dir);
    free(r->handles);
    memset(r, 0, sizeof *r);
}

void service_rec_array_free(service_rec *a, size_t n)
{
    for (size_t i = 0; a && i < n; i++)
        service_rec_free(&a[i]);
    free(a);
}

/* Reads a row selected with SERVICE_COLS. */
static aifb_code store_service_from_row(sqlite3_stmt *st, service_rec *r, aifb_err *err)
{
    memset(r, 0, sizeof *r);
    store_col_id(st, 0, r->id);
    r->recipe = store_col_str(st, 1);
    r->state = (service_state)sqlite3_column_int(st, 2);
    r->endpoint = store_col_str(st, 4);
    r->reason = store_col_str(st, 5);
    r->executor = store_col_str(st, 6);
    r->service_dir = store_col_str(st, 7);
    r->handles = store_col_str(st, 8);
    r->created_at_ms = sqlite3_column_int64(st, 9);
    r->updated_at_ms = sqlite3_column_int64(st, 10);
    r->ended_at_ms = sqlite3_column_int64(st, 11);
    aifb_code rc = store_params_decode((const char *)sqlite3_column_text(st, 3), "service", r->id,
                                       &r->params, &r->nparams, err);
    if (rc != AIFB_OK)
        service_rec_free(r);
    return rc;
}

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

/* Inserts the row and its creation event inside an open transaction. */
static aifb_code store_service_insert_one(store *s, const service_rec *r, uint64_t *seq,
                                          event_rec *ev, aifb_err *err)
{
    const store_subject *d = &store_subject_service;
    aifb_code code = store_check_new_id(d, r->id, 's', r->recipe, err);
    if (code != AIFB_OK)
        return code;
    int64_t created = r->created_at_ms ? r->created_at_ms : aifb_now_ms();
    char *params = store_params_encode(r->params, r->nparams);
    sqlite3_stmt *st = store_stmt(s, ST_SVC_INSERT);
    store_bind_str(st, 1, r->id);
    store_bind_str(st, 2, r->recipe);
    sqlite3_bind_int(st, 3, SVC_PENDING);
    store_bind_str(st, 4, params);
    store_bind_str(st, 5, or_empty(r->endpoint));
    store_bind_str(st, 6, or_empty(r->reason));
    store_bind_str(st, 7, or_empty(r->executor));
    store_bind_str(st, 8, or_empty(r->service_dir));
    store_bind_str(st, 9, or_empty(r->handles));
    sqlite3_bind_int64(st, 10, created);
    sqlite3_bind_int64(st, 11, r->updated_at_ms ? r->updated_at_ms : created);
    int rc = sqlite3_step(st);
    store_stmt_done(st);
    free(params);
    if (rc != SQLITE_DONE)
        return store_insert_fail(s, d, r->id, NULL, rc, err);
    return store_event_add(s, EVENT_SERVICE_STATE, r->id, "", service_state_name(SVC_PENDING),
                           or_empty(r->reason), r->recipe, created, seq, ev, err);
}

aifb_code store_service_insert(store *s, const service_rec *r, event_rec *ev, aifb_err *err)
{
    uint64_t seq = 0;
    store_lock(s);
    aifb_code rc = store_tx_begin(s, err);
    if (rc == AIFB_OK) {
        rc = store_service_insert_one(s, r, &seq, ev, err);
        if (rc != AIFB_OK) {
            store_tx_rollback(s);
        } else if ((rc = store_tx_commit(s, err)) == AIFB_OK) {
            store_publish_seq(s, seq);
        } else if (ev) {
            event_rec_free(ev); /* filled, but the insert did not happen */
        }
    }
    store_unlock(s);
    return rc;
}

aifb_code store_service_transition(store *s, const char *id, service_state to, const char *reason,
                                   event_rec *ev, aifb_err *err)
{
    return store_subject_transition(s, &store_subject_service, id, (int)to, reason, ev, err);
}

aifb_code store_service_update(store *s, const char *id, const service_update *u, aifb_err *err)
{
    if (!id || !*id)
        return aifb_err_set(err, AIFB_EINVAL, "service id is empty");
    store_lock(s);
    sqlite3_stmt *st = store_stmt(s, ST_SVC_UPDATE);
    store_bind_str(st, 1, id);
    store_bind_str(st, 2, u->endpoint);
    store_bind_str(st, 3, u->handles);
    store_bind_str(st, 4, u->service_dir);
    sqlite3_bind_int64(st, 5, aifb_now_ms());
    int rc = sqlite3_step(st);
    store_stmt_done(st);
    int changed = sqlite3_changes(s->db);
    aifb_code code = AIFB_OK;
    if (rc != SQLITE_DONE)
        code = store_db_fail(s, err, rc, "updating a service");
    else if (changed == 0)
        code = aifb_err_set(err, AIFB_ENOTFOUND, "service %s not found", id);
    store_unlock(s);
    return code;
}

aifb_code store_service_get(store *s, const char *id, service_rec *out, aifb_err *err)
{
    memset(out, 0, sizeof *out);
    if (!id || !*id)
        return aifb_err_set(err, AIFB_EINVAL, "service id is empty");
    store_lock(s);
    sqlite3_stmt *st = store_stmt(s, ST_SVC_GET);
    store_bind_str(st, 1, id);
    int rc = sqlite3_step(st);
    aifb_code code;
    if (rc == SQLITE_ROW)
        code = store_service_from_row(st, out, err);
    else if (rc == SQLITE_DONE)
        code = aifb_err_set(err, AIFB_ENOTFOUND, "service %s not found", id);
    else
        code = store_db_fail(s, err, rc, "reading a service");
    store_stmt_done(st);
    store_unlock(s);
    return code;
}

/* Reads every service a statement yields; takes the lock. */
static aifb_code store_service_read_all(store *s, store_stmt_id id, service_rec **out, size_t *n,
                                        aifb_err *err)
{
    *out = NULL;
    *n = 0;
    size_t cap = 0;
    aifb_code code = AIFB_OK;
    int rc;
    store_lock(s);
    sqlite3_stmt *st = store_stmt(s, id);
    while (code == AIFB_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            *out = xrealloc(*out, cap * sizeof **out);
        }
        code = store_service_from_row(st, &(*out)[*n], err);
        if (code == AIFB_OK)
            (*n)++;
    }
    if (code == AIFB_OK && rc != SQLITE_DONE)
        code = store_db_fail(s, err, rc, "listing services");
    store_stmt_done(st);
    store_unlock(s);
    if (code != AIFB_OK) {
        service_rec_array_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return code;
}

aifb_code store_service_list(store *s, bool include_ended, service_rec **out, size_t *n,
                             aifb_err *err)
{
    return store_service_read_all(s, include_ended ? ST_SVC_LIST_ALL : ST_SVC_LIST_LIVE, out, n,
                                  err);
}

aifb_code store_service_list_unfinished(store *s, service_rec **out, size_t *n, aifb_err *err)
{
    return store_service_read_all(s, ST_SVC_UNFINISHED, out, n, err);
}
