/* store_internal.h: what the store's files share and nobody else sees.
 *
 * store_db.c opens the database, runs migrations and owns the statement cache and transactions;
 * store_codec.c turns parameter and summary arrays into JSON text and back (it needs no lock);
 * store_subject.c holds what runs and services have in common (events, state moves); store_runs.c,
 * store_run_list.c, store_services.c and store_events.c implement the public calls of store.h.
 * Every function here expects the caller to hold s->mu unless its comment says otherwise. */
#ifndef AIFB_STORE_INTERNAL_H
#define AIFB_STORE_INTERNAL_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>

#include "store/store.h"

/* Columns read into a run_rec / service_rec, in the order store_run_from_row and
 * store_service_from_row expect them. */
#define RUN_COLS                                                                                   \
    "id, recipe, state, params, service_id, reason, created_at_ms, updated_at_ms, ended_at_ms, "   \
    "executor, run_dir, result_path, endpoint, handles, summary, exit_code"
#define SERVICE_COLS                                                                               \
    "id, recipe, state, params, endpoint, reason, executor, service_dir, handles, "                \
    "created_at_ms, updated_at_ms, ended_at_ms"
#define EVENT_COLS "seq, time_ms, kind, subject_id, from_state, to_state, reason, recipe"

/* Every statement the store runs, prepared once at open. Rows are keyed by `k`, an INTEGER
 * PRIMARY KEY in insertion order: lists page on it ("k < ?1 ORDER BY k DESC") so every page is
 * an index range scan, whatever its depth. The key queries select only k so SQLite answers
 * them from an index without touching the table; the rows are then read one by one by key. */
#define STORE_STATEMENTS(X)                                                                        \
    X(ST_BEGIN, "BEGIN IMMEDIATE")                                                                 \
    X(ST_BEGIN_READ, "BEGIN")                                                                      \
    X(ST_COMMIT, "COMMIT")                                                                         \
    X(ST_ROLLBACK, "ROLLBACK")                                                                     \
    X(ST_EVENT_INSERT, "INSERT INTO events (time_ms, kind, subject_id, from_state, to_state, "     \
                       "reason, recipe) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")                      \
    X(ST_EVENTS_AFTER, "SELECT " EVENT_COLS " FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2")   \
    X(ST_EVENTS_AFTER_SUBJECT, "SELECT " EVENT_COLS " FROM events WHERE subject_id = ?3 "          \
                               "AND seq > ?1 ORDER BY seq LIMIT ?2")                               \
    X(ST_RUN_INSERT,                                                                               \
      "INSERT INTO runs (id, recipe, state, params, service_id, reason, created_at_ms, "           \
      "updated_at_ms, ended_at_ms, executor, run_dir, result_path, endpoint, handles, summary, "   \
      "exit_code) VALUES (?1, ?2, ?3, ?4, nullif(?5, ''), ?6, ?7, ?8, 0, ?9, ?10, ?11, ?12, ?13, " \
      "?14, ?15)")                                                                                 \
    X(ST_RUN_STATE, "SELECT k, state, recipe FROM runs WHERE id = ?1")                             \
    X(ST_RUN_SET_STATE, "UPDATE runs SET state = ?2, reason = ?3, updated_at_ms = ?4, "            \
                        "ended_at_ms = ?5 WHERE k = ?1")                                           \
    X(ST_RUN_UPDATE,                                                                               \
      "UPDATE runs SET endpoint = coalesce(?2, endpoint), handles = coalesce(?3, handles), "       \
      "result_path = coalesce(?4, result_path), run_dir = coalesce(?5, run_dir), "                 \
      "exit_code = coalesce(?6, exit_code), summary = coalesce(?7, summary), "                     \
      "reason = coalesce(?9, reason), updated_at_ms = ?8 WHERE id = ?1")                           \
    X(ST_RUN_GET, "SELECT " RUN_COLS " FROM runs WHERE id = ?1")                                   \
    X(ST_RUN_GET_BY_KEY, "SELECT " RUN_COLS " FROM runs WHERE k = ?1")                             \
    X(ST_RUN_KEYS, "SELECT k FROM runs WHERE k < ?1 ORDER BY k DESC LIMIT ?2")                     \
    X(ST_RUN_KEYS_STATE,                                                                           \
      "SELECT k FROM runs WHERE state = ?3 AND k < ?1 ORDER BY k DESC LIMIT ?2")                   \
    X(ST_RUN_KEYS_RECIPE,                                                                          \
      "SELECT k FROM runs WHERE recipe = ?4 AND k < ?1 ORDER BY k DESC LIMIT ?2")                  \
    X(ST_RUN_KEYS_RECIPE_STATE, "SELECT k FROM runs WHERE recipe = ?4 AND state = ?3 AND k < ?1 "  \
                                "ORDER BY k DESC LIMIT ?2")                                        \
    X(ST_RUN_UNFINISHED, "SELECT " RUN_COLS " FROM runs WHERE ended_at_ms = 0 ORDER BY k")         \
    X(ST_RUN_COUNT_ACTIVE, "SELECT count(*) FROM runs WHERE ended_at_ms = 0")                      \
    X(ST_SVC_INSERT,                                                                               \
      "INSERT INTO services (id, recipe, state, params, endpoint, reason, executor, service_dir, " \
      "handles, created_at_ms, updated_at_ms, ended_at_ms) "                                       \
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 0)")                                  \
    X(ST_SVC_STATE, "SELECT k, state, recipe FROM services WHERE id = ?1")                         \
    X(ST_SVC_SET_STATE, "UPDATE services SET state = ?2, reason = ?3, updated_at_ms = ?4, "        \
                        "ended_at_ms = ?5 WHERE k = ?1")                                           \
    X(ST_SVC_UPDATE,                                                                               \
      "UPDATE services SET endpoint = coalesce(?2, endpoint), handles = coalesce(?3, handles), "   \
      "service_dir = coalesce(?4, service_dir), updated_at_ms = ?5 WHERE id = ?1")                 \
    X(ST_SVC_GET, "SELECT " SERVICE_COLS " FROM services WHERE id = ?1")                           \
    X(ST_SVC_LIST_ALL, "SELECT " SERVICE_COLS " FROM services ORDER BY k DESC")                    \
    X(ST_SVC_LIST_LIVE,                                                                            \
      "SELECT " SERVICE_COLS " FROM services WHERE ended_at_ms = 0 ORDER BY k DESC")               \
    X(ST_SVC_UNFINISHED, "SELECT " SERVICE_COLS " FROM services WHERE ended_at_ms = 0 ORDER BY k")

#define STORE_STMT_ENUM(name, sql) name,
typedef enum store_stmt_id { STORE_STATEMENTS(STORE_STMT_ENUM) ST_COUNT } store_stmt_id;
#undef STORE_STMT_ENUM

struct store {
    sqlite3 *db;
    pthread_mutex_t mu;
    sqlite3_stmt *stmts[ST_COUNT];
    _Atomic uint64_t last_seq;
    int version;
    char *path;
};

/* ---- store_db.c ---------------------------------------------------------------------------- */

void store_lock(store *s);
void store_unlock(store *s);
/* The cached statement id, ready to bind (statements are reset by store_stmt_done). */
sqlite3_stmt *store_stmt(store *s, store_stmt_id id);
/* Resets a statement and clears its bindings so the next user starts clean. */
void store_stmt_done(sqlite3_stmt *st);
/* Sets err from an SQLite failure: "<what>: <sqlite message>", with a code that says whose fault
 * it is (AIFB_EUNAVAILABLE for a locked database, AIFB_ERESOURCE for a full disk, else
 * AIFB_EINTERNAL). Returns the code. */
aifb_code store_db_fail(store *s, aifb_err *err, int rc, const char *what);
aifb_code store_tx_begin(store *s, aifb_err *err);
/* A read transaction: statements in it see one snapshot and share one lock check. End it with
 * store_tx_commit. */
aifb_code store_tx_begin_read(store *s, aifb_err *err);
aifb_code store_tx_commit(store *s, aifb_err *err);
void store_tx_rollback(store *s);
/* Binds a C string as text without copying it (the caller keeps it alive until the step). NULL
 * binds SQL NULL. */
int store_bind_str(sqlite3_stmt *st, int idx, const char *v);
/* Column text as a malloc'd string, "" for NULL. */
char *store_col_str(sqlite3_stmt *st, int col);
/* Copies an id column into a fixed buffer of AIFB_ID_LEN + 1 bytes. */
void store_col_id(sqlite3_stmt *st, int col, char out[AIFB_ID_LEN + 1]);

/* ---- store_codec.c ------------------------------------------------------------------------- */

/* JSON text of a parameter list: [["name","value"],...], in the given order. Never NULL. */
char *store_params_encode(const kv *p, size_t n);
/* JSON text of a summary: [["name",value,"unit"],...]; values round-trip bit for bit (NaN and
 * infinities as strings). Never NULL. */
char *store_summary_encode(const metric *m, size_t n);
/* Parse what the encoders wrote. On malformed text: AIFB_EDATALOSS naming the record
 * ("run r-3fa09c1d22be: stored summary is not valid"). */
aifb_code store_params_decode(const char *json, const char *noun, const char *id, kv **out,
                              size_t *n, aifb_err *err);
aifb_code store_summary_decode(const char *json, const char *noun, const char *id, metric **out,
                               size_t *n, aifb_err *err);

/* ---- store_runs.c -------------------------------------------------------------------------- */

/* Reads the current row of st (selected with RUN_COLS) into r; r is left zeroed on failure. */
aifb_code store_run_from_row(sqlite3_stmt *st, run_rec *r, aifb_err *err);
/* Steps st (parameters bound) and reads the one run it yields, then resets st; none is
 * AIFB_ENOTFOUND "run <what> not found". */
aifb_code store_run_read_one(store *s, sqlite3_stmt *st, const char *what, run_rec *out,
                             aifb_err *err);

/* ---- store_subject.c ----------------------------------------------------------------------- */

/* What differs between the run and the service state machines, for the shared code. */
typedef struct store_subject {
    const char *noun; /* "run", "service" */
    event_kind kind;
    store_stmt_id st_state, st_set_state;
    const char *(*state_name)(int s);
    bool (*can_move)(int from, int to);
    bool (*is_final)(int s);
} store_subject;

extern const store_subject store_subject_run, store_subject_service;

/* Stores an event inside the open transaction and fills ev (when not NULL). *seq receives its
 * sequence number, to be published with store_publish_seq once the transaction commits. */
aifb_code store_event_add(store *s, event_kind kind, const char *subject_id, const char *from,
                          const char *to, const char *reason, const char *recipe, int64_t time_ms,
                          uint64_t *seq, event_rec *ev, aifb_err *err);
/* Makes seq visible to store_last_seq. Called after COMMIT, under the lock. */
void store_publish_seq(store *s, uint64_t seq);
/* The whole state move of store_run_transition / store_service_transition; takes the lock. */
aifb_code store_subject_transition(store *s, const store_subject *d, const char *id, int to,
                                   const char *reason, event_rec *ev, aifb_err *err);
/* Checks an id to be inserted: the shape aifb_id_new(prefix) makes. */
aifb_code store_check_new_id(const store_subject *d, const char *id, char prefix,
                             const char *recipe, aifb_err *err);
/* Maps a failed INSERT: a duplicate id is AIFB_EEXIST, a service_id naming no service
 * AIFB_ENOTFOUND, anything else as store_db_fail. */
aifb_code store_insert_fail(store *s, const store_subject *d, const char *id,
                            const char *service_id, int rc, aifb_err *err);

#endif
