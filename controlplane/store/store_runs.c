/* store_runs.c: runs: insert, state moves, field updates, reads and paged lists.
 *
 * A run's row is keyed by k (insertion order). Listing is two steps: collect the keys of the
 * page from an index (one range scan per requested state, merged in memory, since SQLite cannot
 * merge several index ranges in key order itself), then read each row by key. Both steps cost
 * in proportion to the page, not to the table, so the page token is just the last key seen:
 * "k<number>". */
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void run_rec_free(run_rec *r)
{
    if (!r)
        return;
    free(r->recipe);
    kv_array_free(r->params, r->nparams);
    free(r->service_id);
    free(r->reason);
    free(r->executor);
    free(r->run_dir);
    free(r->result_path);
    free(r->endpoint);
    free(r->handles);
    metric_array_free(r->summary, r->nsummary);
    memset(r, 0, sizeof *r);
}

void run_rec_array_free(run_rec *a, size_t n)
{
    for (size_t i = 0; a && i < n; i++)
        run_rec_free(&a[i]);
    free(a);
}

aifb_code store_run_from_row(sqlite3_stmt *st, run_rec *r, aifb_err *err)
{
    memset(r, 0, sizeof *r);
    store_col_id(st, 0, r->id);
    r->recipe = store_col_str(st, 1);
    r->state = (run_state)sqlite3_column_int(st, 2);
    r->service_id = store_col_str(st, 4);
    r->reason = store_col_str(st, 5);
    r->created_at_ms = sqlite3_column_int64(st, 6);
    r->updated_at_ms = sqlite3_column_int64(st, 7);
    r->ended_at_ms = sqlite3_column_int64(st, 8);
    r->executor = store_col_str(st, 9);
    r->run_dir = store_col_str(st, 10);
    r->result_path = store_col_str(st, 11);
    r->endpoint = store_col_str(st, 12);
    r->handles = store_col_str(st, 13);
    r->exit_code = sqlite3_column_int(st, 15);
    aifb_code rc = store_params_decode((const char *)sqlite3_column_text(st, 3), "run", r->id,
                                       &r->params, &r->nparams, err);
    if (rc == AIFB_OK)
        rc = store_summary_decode((const char *)sqlite3_column_text(st, 14), "run", r->id,
                                  &r->summary, &r->nsummary, err);
    if (rc != AIFB_OK)
        run_rec_free(r);
    return rc;
}

/* ---- insert ---------------------------------------------------------------------------------- */

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

/* Inserts one run and its creation event inside an open transaction. */
static aifb_code store_run_insert_one(store *s, const run_rec *r, int64_t now, uint64_t *seq,
                                      event_rec *ev, aifb_err *err)
{
    const store_subject *d = &store_subject_run;
    aifb_code code = store_check_new_id(d, r->id, 'r', r->recipe, err);
    if (code != AIFB_OK)
        return code;
    int64_t created = r->created_at_ms ? r->created_at_ms : now;
    char *params = store_params_encode(r->params, r->nparams);
    char *summary = store_summary_encode(r->summary, r->nsummary);
    sqlite3_stmt *st = store_stmt(s, ST_RUN_INSERT);
    store_bind_str(st, 1, r->id);
    store_bind_str(st, 2, r->recipe);
    sqlite3_bind_int(st, 3, RUN_PENDING);
    store_bind_str(st, 4, params);
    store_bind_str(st, 5, or_empty(r->service_id));
    store_bind_str(st, 6, or_empty(r->reason));
    sqlite3_bind_int64(st, 7, created);
    sqlite3_bind_int64(st, 8, r->updated_at_ms ? r->updated_at_ms : created);
    store_bind_str(st, 9, or_empty(r->executor));
    store_bind_str(st, 10, or_empty(r->run_dir));
    store_bind_str(st, 11, or_empty(r->result_path));
    store_bind_str(st, 12, or_empty(r->endpoint));
    store_bind_str(st, 13, or_empty(r->handles));
    store_bind_str(st, 14, summary);
    sqlite3_bind_int(st, 15, -1); /* a run that has not started has no exit status yet */
    int rc = sqlite3_step(st);
    store_stmt_done(st);
    free(params);
    free(summary);
    if (rc != SQLITE_DONE)
        return store_insert_fail(s, d, r->id, r->service_id, rc, err);
    return store_event_add(s, EVENT_RUN_STATE, r->id, "", run_state_name(RUN_PENDING),
                           or_empty(r->reason), r->recipe, created, seq, ev, err);
}

/* Inserts n runs in one transaction; ev (for n == 1 only) receives the event. */
static aifb_code store_run_insert_tx(store *s, const run_rec *runs, size_t n, event_rec *ev,
                                     aifb_err *err)
{
    int64_t now = aifb_now_ms();
    uint64_t seq = 0;
    store_lock(s);
    aifb_code rc = store_tx_begin(s, err);
    for (size_t i = 0; rc == AIFB_OK && i < n; i++)
        rc = store_run_insert_one(s, &runs[i], now, &seq, n == 1 ? ev : NULL, err);
    if (rc != AIFB_OK) {
        store_tx_rollback(s);
        if (ev && n == 1 && seq)
            event_rec_free(ev); /* filled, but the insert did not happen */
    } else if ((rc = store_tx_commit(s, err)) == AIFB_OK) {
        if (n)
            store_publish_seq(s, seq);
    } else if (ev && n == 1) {
        event_rec_free(ev);
    }
    store_unlock(s);
    return rc;
}

aifb_code store_run_insert(store *s, const run_rec *r, event_rec *ev, aifb_err *err)
{
    return store_run_insert_tx(s, r, 1, ev, err);
}

aifb_code store_run_insert_many(store *s, const run_rec *runs, size_t n, aifb_err *err)
{
    return store_run_insert_tx(s, runs, n, NULL, err);
}

/* ---- state and fields ------------------------------------------------------------------------ */

aifb_code store_run_transition(store *s, const char *id, run_state to, const char *reason,
                               event_rec *ev, aifb_err *err)
{
    return store_subject_transition(s, &store_subject_run, id, (int)to, reason, ev, err);
}

aifb_code store_run_update(store *s, const char *id, const run_update *u, aifb_err *err)
{
    if (!id || !*id)
        return aifb_err_set(err, AIFB_EINVAL, "run id is empty");
    char *summary = u->has_summary ? store_summary_encode(u->summary, u->nsummary) : NULL;
    store_lock(s);
    sqlite3_stmt *st = store_stmt(s, ST_RUN_UPDATE);
    store_bind_str(st, 1, id);
    store_bind_str(st, 2, u->endpoint);
    store_bind_str(st, 3, u->handles);
    store_bind_str(st, 4, u->result_path);
    store_bind_str(st, 5, u->run_dir);
    if (u->has_exit_code)
        sqlite3_bind_int(st, 6, u->exit_code);
    store_bind_str(st, 7, summary);
    sqlite3_bind_int64(st, 8, aifb_now_ms());
    store_bind_str(st, 9, u->reason);
    int rc = sqlite3_step(st);
    store_stmt_done(st);
    int changed = sqlite3_changes(s->db);
    aifb_code code = AIFB_OK;
    if (rc != SQLITE_DONE)
        code = store_db_fail(s, err, rc, "updating a run");
    else if (changed == 0)
        code = aifb_err_set(err, AIFB_ENOTFOUND, "run %s not found", id);
    store_unlock(s);
    free(summary);
    return code;
}

/* ---- reads ----------------------------------------------------------------------------------- */

aifb_code store_run_read_one(store *s, sqlite3_stmt *st, const char *what, run_rec *out,
                             aifb_err *err)
{
    int rc = sqlite3_step(st);
    aifb_code code;
    if (rc == SQLITE_ROW)
        code = store_run_from_row(st, out, err);
    else if (rc == SQLITE_DONE)
        code = aifb_err_set(err, AIFB_ENOTFOUND, "run %s not found", what);
    else
        code = store_db_fail(s, err, rc, "reading a run");
    store_stmt_done(st);
    return code;
}

aifb_code store_run_get(store *s, const char *id, run_rec *out, aifb_err *err)
{
    memset(out, 0, sizeof *out);
    if (!id || !*id)
        return aifb_err_set(err, AIFB_EINVAL, "run id is empty");
    store_lock(s);
    sqlite3_stmt *st = store_stmt(s, ST_RUN_GET);
    store_bind_str(st, 1, id);
    aifb_code rc = store_run_read_one(s, st, id, out, err);
    store_unlock(s);
    return rc;
}

/* Reads every row a statement yields (parameters bound) into a growing array. */
static aifb_code store_run_read_all(store *s, sqlite3_stmt *st, run_rec **out, size_t *n,
                                    aifb_err *err)
{
    size_t cap = 0;
    aifb_code code = AIFB_OK;
    int rc;
    while (code == AIFB_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            *out = xrealloc(*out, cap * sizeof **out);
        }
        code = store_run_from_row(st, &(*out)[*n], err);
        if (code == AIFB_OK)
            (*n)++;
    }
    if (code == AIFB_OK && rc != SQLITE_DONE)
        code = store_db_fail(s, err, rc, "listing runs");
    store_stmt_done(st);
    return code;
}

aifb_code store_run_list_unfinished(store *s, run_rec **out, size_t *n, aifb_err *err)
{
    *out = NULL;
    *n = 0;
    store_lock(s);
    aifb_code rc = store_run_read_all(s, store_stmt(s, ST_RUN_UNFINISHED), out, n, err);
    store_unlock(s);
    if (rc != AIFB_OK) {
        run_rec_array_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

int store_run_count_active(store *s)
{
    store_lock(s);
    sqlite3_stmt *st = store_stmt(s, ST_RUN_COUNT_ACTIVE);
    int count = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    store_stmt_done(st);
    store_unlock(s);
    return count;
}
