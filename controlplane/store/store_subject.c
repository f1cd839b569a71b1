/* store_subject.c: what runs and services share: creation and state-change events, the guarded
 * state move, and the checks and error mapping of inserts.
 *
 * A "subject" is a run or a service; store_subject describes the differences (table statements,
 * state names, which state machine). A state move reads the current state, asks the state
 * machine, writes the new state and its event, all inside one IMMEDIATE transaction under the
 * store's mutex, so two callers racing to move the same run cannot both succeed from the same
 * state, and a crash never keeps a state without its event or an event without its state. */
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *run_name_int(int s)
{
    return run_state_name((run_state)s);
}
static bool run_move_int(int from, int to)
{
    return run_state_can_move((run_state)from, (run_state)to);
}
static bool run_final_int(int s)
{
    return run_state_is_final((run_state)s);
}
static const char *service_name_int(int s)
{
    return service_state_name((service_state)s);
}
static bool service_move_int(int from, int to)
{
    return service_state_can_move((service_state)from, (service_state)to);
}
static bool service_final_int(int s)
{
    return service_state_is_final((service_state)s);
}

const store_subject store_subject_run = {
    "run",        EVENT_RUN_STATE, ST_RUN_STATE, ST_RUN_SET_STATE,
    run_name_int, run_move_int,    run_final_int};
const store_subject store_subject_service = {
    "service",        EVENT_SERVICE_STATE, ST_SVC_STATE,     ST_SVC_SET_STATE,
    service_name_int, service_move_int,    service_final_int};

aifb_code store_event_add(store *s, event_kind kind, const char *subject_id, const char *from,
                          const char *to, const char *reason, const char *recipe, int64_t time_ms,
                          uint64_t *seq, event_rec *ev, aifb_err *err)
{
    sqlite3_stmt *st = store_stmt(s, ST_EVENT_INSERT);
    reason = reason ? reason : "";
    sqlite3_bind_int64(st, 1, time_ms);
    sqlite3_bind_int(st, 2, (int)kind);
    store_bind_str(st, 3, subject_id);
    store_bind_str(st, 4, from);
    store_bind_str(st, 5, to);
    store_bind_str(st, 6, reason);
    store_bind_str(st, 7, recipe);
    int rc = sqlite3_step(st);
    store_stmt_done(st);
    if (rc != SQLITE_DONE)
        return store_db_fail(s, err, rc, "storing an event");
    *seq = (uint64_t)sqlite3_last_insert_rowid(s->db);
    if (ev) {
        memset(ev, 0, sizeof *ev);
        ev->seq = *seq;
        ev->time_ms = time_ms;
        ev->kind = kind;
        snprintf(ev->subject_id, sizeof ev->subject_id, "%s", subject_id);
        snprintf(ev->from_state, sizeof ev->from_state, "%s", from);
        snprintf(ev->to_state, sizeof ev->to_state, "%s", to);
        ev->reason = xstrdup(reason);
        ev->recipe = xstrdup(recipe);
    }
    return AIFB_OK;
}

void store_publish_seq(store *s, uint64_t seq)
{
    atomic_store_explicit(&s->last_seq, seq, memory_order_release);
}

uint64_t store_last_seq(store *s)
{
    return atomic_load_explicit(&s->last_seq, memory_order_acquire);
}

/* Reads the row key, state and recipe of a subject. */
static aifb_code store_subject_state(store *s, const store_subject *d, const char *id, int64_t *key,
                                     int *state, char **recipe, aifb_err *err)
{
    sqlite3_stmt *st = store_stmt(s, d->st_state);
    store_bind_str(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *key = sqlite3_column_int64(st, 0);
        *state = sqlite3_column_int(st, 1);
        *recipe = store_col_str(st, 2);
    }
    store_stmt_done(st);
    if (rc == SQLITE_DONE)
        return aifb_err_set(err, AIFB_ENOTFOUND, "%s %s not found", d->noun, id);
    return rc == SQLITE_ROW ? AIFB_OK : store_db_fail(s, err, rc, "reading a state");
}

static aifb_code store_subject_set_state(store *s, const store_subject *d, int64_t key, int to,
                                         const char *reason, int64_t now, aifb_err *err)
{
    sqlite3_stmt *st = store_stmt(s, d->st_set_state);
    sqlite3_bind_int64(st, 1, key);
    sqlite3_bind_int(st, 2, to);
    store_bind_str(st, 3, reason);
    sqlite3_bind_int64(st, 4, now);
    sqlite3_bind_int64(st, 5, d->is_final(to) ? now : 0);
    int rc = sqlite3_step(st);
    store_stmt_done(st);
    return rc == SQLITE_DONE ? AIFB_OK : store_db_fail(s, err, rc, "storing a state");
}

/* The body of a state move, inside an open transaction. */
static aifb_code store_subject_move(store *s, const store_subject *d, const char *id, int to,
                                    const char *reason, uint64_t *seq, event_rec *ev, aifb_err *err)
{
    int64_t key = 0;
    int from = 0;
    char *recipe = NULL;
    aifb_code rc = store_subject_state(s, d, id, &key, &from, &recipe, err);
    if (rc != AIFB_OK)
        return rc;
    if (!d->can_move(from, to)) {
        rc = aifb_err_set(err, AIFB_EPRECONDITION, "%s %s cannot go from %s to %s", d->noun, id,
                          d->state_name(from), d->state_name(to));
    } else {
        /* A clock stepped back to 0 must not make a final row look unfinished (ended_at 0). */
        int64_t now = aifb_now_ms();
        now = now > 0 ? now : 1;
        rc = store_subject_set_state(s, d, key, to, reason, now, err);
        if (rc == AIFB_OK)
            rc = store_event_add(s, d->kind, id, d->state_name(from), d->state_name(to), reason,
                                 recipe, now, seq, ev, err);
    }
    free(recipe);
    return rc;
}

aifb_code store_subject_transition(store *s, const store_subject *d, const char *id, int to,
                                   const char *reason, event_rec *ev, aifb_err *err)
{
    if (!id || !*id)
        return aifb_err_set(err, AIFB_EINVAL, "%s id is empty", d->noun);
    reason = reason ? reason : "";
    store_lock(s);
    uint64_t seq = 0;
    aifb_code rc = store_tx_begin(s, err);
    if (rc == AIFB_OK) {
        rc = store_subject_move(s, d, id, to, reason, &seq, ev, err);
        if (rc != AIFB_OK) {
            store_tx_rollback(s);
        } else if ((rc = store_tx_commit(s, err)) == AIFB_OK) {
            store_publish_seq(s, seq);
        } else if (ev) {
            event_rec_free(ev); /* filled by the move, but the move did not happen */
        }
    }
    store_unlock(s);
    return rc;
}

aifb_code store_check_new_id(const store_subject *d, const char *id, char prefix,
                             const char *recipe, aifb_err *err)
{
    if (!aifb_id_valid(id, prefix))
        return aifb_err_set(err, AIFB_EINVAL,
                            "%s id \"%.32s\" is not of the form %c- and 12 lowercase hex digits",
                            d->noun, id, prefix);
    if (!recipe || !*recipe)
        return aifb_err_set(err, AIFB_EINVAL, "%s %s has no recipe", d->noun, id);
    return AIFB_OK;
}

aifb_code store_insert_fail(store *s, const store_subject *d, const char *id,
                            const char *service_id, int rc, aifb_err *err)
{
    if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
        return aifb_err_set(err, AIFB_EEXIST, "%s %s already exists", d->noun, id);
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
        return aifb_err_set(err, AIFB_ENOTFOUND, "%s %s: service %s not found", d->noun, id,
                            service_id ? service_id : "");
    return store_db_fail(s, err, rc, "inserting");
}
