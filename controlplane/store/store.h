/* store.h: aifbd's state in SQLite: services, runs and the events of their state changes.
 *
 * One store is one database file owned by one process: the connection holds the file locked
 * exclusively while open, so a second aifbd on the same state is refused at open instead of
 * reconciling the same runs twice. Every function is safe to call from any thread: the single
 * connection sits behind a mutex, with its statements prepared once at open and reset after each
 * use. Every state change is checked against the state machine of run_state.h
 * and stored together with its event in one transaction, so the event log and the records never
 * disagree. Lists page by an integer key (newest first) so a page costs the same on a store of
 * ten runs or of a million.
 *
 * Records read from the store own their strings: every char * is non-NULL ("" when unset) and is
 * freed by the matching *_free function. Functions that take a record only read it. */
#ifndef AIFB_STORE_H
#define AIFB_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/records.h"
#include "common/util.h"
#include "store/run_state.h"

typedef struct store store;

typedef struct run_rec {
    char id[AIFB_ID_LEN + 1];
    char *recipe;
    run_state state;
    kv *params;
    size_t nparams;   /* in schema order, as given */
    char *service_id; /* "" when the run started its own service */
    char *reason;
    int64_t created_at_ms, updated_at_ms, ended_at_ms; /* ended 0 while not final */
    char *executor, *run_dir, *result_path, *endpoint, *handles;
    metric *summary;
    size_t nsummary;
    int exit_code; /* -1 until known */
} run_rec;

typedef struct service_rec {
    char id[AIFB_ID_LEN + 1];
    char *recipe;
    service_state state;
    kv *params;
    size_t nparams;
    char *endpoint, *reason, *executor, *service_dir, *handles;
    int64_t created_at_ms, updated_at_ms, ended_at_ms;
} service_rec;

typedef enum event_kind { EVENT_RUN_STATE = 1, EVENT_SERVICE_STATE = 2 } event_kind;

typedef struct event_rec {
    uint64_t seq;
    int64_t time_ms;
    event_kind kind;
    char subject_id[AIFB_ID_LEN + 1];
    char from_state[16], to_state[16]; /* state names without prefix; from "" for creation */
    char *reason;
    char *recipe;
} event_rec;

/* Free the contents of a record (not the record itself) and zero it, so freeing twice is harmless.
 */
void run_rec_free(run_rec *r);
void service_rec_free(service_rec *s);
void event_rec_free(event_rec *e);
/* Free n records and the array holding them. */
void run_rec_array_free(run_rec *a, size_t n);
void service_rec_array_free(service_rec *a, size_t n);
void event_rec_array_free(event_rec *a, size_t n);

/* ---- opening ----------------------------------------------------------------------------- */

/* Opens (creating if needed) the database at path: WAL, synchronous=NORMAL, foreign keys, a busy
 * timeout, and migrations up to the newest schema by PRAGMA user_version, each step in its own
 * transaction. A file that is not a database, or whose schema is newer than this build knows, is
 * refused with a message saying so, and the file is left untouched. A file another process holds
 * open (another aifbd) is AIFB_EUNAVAILABLE "... in use by another process". The folder must
 * exist. */
aifb_code store_open(const char *path, store **out, aifb_err *err);
/* Closes the database and frees s (NULL is fine). No call on s may be running or follow. */
void store_close(store *s);
/* The schema version the database is at (the newest this build knows, once open). */
int store_schema_version(store *s);

/* ---- runs -------------------------------------------------------------------------------- */

/* Inserts a new run in state PENDING (r->state is ignored) with its creation event
 * ("" -> PENDING), in one transaction. r->id must be an id made by aifb_id_new('r', ...) and not
 * stored yet (AIFB_EINVAL / AIFB_EEXIST otherwise); r->recipe must not be empty. created/updated
 * times are set to now when 0; ended_at is 0 and exit_code is taken as given. ev (may be NULL)
 * receives the event, to be freed with event_rec_free. */
aifb_code store_run_insert(store *s, const run_rec *r, event_rec *ev, aifb_err *err);
/* Inserts n runs as store_run_insert does, all in one transaction: all of them or none. For
 * imports and for filling a store in tests and benchmarks. */
aifb_code store_run_insert_many(store *s, const run_rec *runs, size_t n, aifb_err *err);
/* Moves a run to `to` if the state machine allows it from its current state, storing the event,
 * updated_at, ended_at (when `to` is final) and the reason (NULL: ""), in one transaction. A
 * refused move is AIFB_EPRECONDITION "run r-... cannot go from SUCCEEDED to RUNNING"; an unknown
 * id AIFB_ENOTFOUND. ev (may be NULL) receives the event. */
aifb_code store_run_transition(store *s, const char *id, run_state to, const char *reason,
                               event_rec *ev, aifb_err *err);

/* Which non-state fields store_run_update changes: NULL pointers and false flags leave a field
 * as it is; has_summary with nsummary 0 clears the summary. */
typedef struct run_update {
    const char *endpoint, *handles, *result_path, *run_dir;
    const char *reason; /* why the run is as it is, without a change of state (e.g. while the
                           controller cannot be reached) */
    bool has_exit_code;
    int exit_code;
    const metric *summary;
    size_t nsummary;
    bool has_summary;
} run_update;
/* Updates the fields set in u and updated_at. Unknown id: AIFB_ENOTFOUND. */
aifb_code store_run_update(store *s, const char *id, const run_update *u, aifb_err *err);
/* Reads one run into *out (free with run_rec_free). Unknown id: AIFB_ENOTFOUND. */
aifb_code store_run_get(store *s, const char *id, run_rec *out, aifb_err *err);

typedef struct run_filter {
    const run_state *states; /* only runs in one of these states; nstates 0: every state */
    size_t nstates;
    const char *recipe;     /* NULL or "": every recipe */
    int page_size;          /* <= 0: 50; capped at 1000 */
    const char *page_token; /* NULL or "": first page */
} run_filter;
/* One page of runs, newest first (insertion order). *out is malloc'd (NULL when *n is 0; free
 * with run_rec_array_free). *next_token: malloc'd opaque token of the next page, or NULL on the
 * last page. A malformed token is AIFB_EINVAL "invalid page_token ..."; a state outside the
 * enum is AIFB_EINVAL too. f may be NULL (first page of everything). */
aifb_code store_run_list(store *s, const run_filter *f, run_rec **out, size_t *n, char **next_token,
                         aifb_err *err);
/* Every run not in a final state, oldest first (for the reconciler and for restart). */
aifb_code store_run_list_unfinished(store *s, run_rec **out, size_t *n, aifb_err *err);
/* How many runs are not in a final state (PENDING included); -1 only if the database fails. */
int store_run_count_active(store *s);

/* ---- services ---------------------------------------------------------------------------- */

/* As store_run_insert, for a service: state PENDING, id from aifb_id_new('s', ...). */
aifb_code store_service_insert(store *s, const service_rec *r, event_rec *ev, aifb_err *err);
/* As store_run_transition, with the service state machine:
 * AIFB_EPRECONDITION "service s-... cannot go from STOPPED to READY". */
aifb_code store_service_transition(store *s, const char *id, service_state to, const char *reason,
                                   event_rec *ev, aifb_err *err);

/* Which non-state fields store_service_update changes: NULL leaves a field as it is. */
typedef struct service_update {
    const char *endpoint, *handles, *service_dir;
} service_update;
/* Updates the fields set in u and updated_at. Unknown id: AIFB_ENOTFOUND. */
aifb_code store_service_update(store *s, const char *id, const service_update *u, aifb_err *err);
/* Reads one service into *out (free with service_rec_free). Unknown id: AIFB_ENOTFOUND. */
aifb_code store_service_get(store *s, const char *id, service_rec *out, aifb_err *err);
/* Every service, newest first; without include_ended only those not in a final state. */
aifb_code store_service_list(store *s, bool include_ended, service_rec **out, size_t *n,
                             aifb_err *err);
/* Every service not in a final state, oldest first. */
aifb_code store_service_list_unfinished(store *s, service_rec **out, size_t *n, aifb_err *err);

/* ---- events ------------------------------------------------------------------------------ */

/* Events with seq > after_seq in seq order, at most limit (0: no limit), only those of
 * subject_id when it is neither NULL nor "". *out is malloc'd (NULL when *n is 0). */
aifb_code store_events_after(store *s, uint64_t after_seq, const char *subject_id, size_t limit,
                             event_rec **out, size_t *n, aifb_err *err);
/* Highest seq stored (0 for none); kept in memory and atomic, so any thread may call it often
 * (a Watch stream polling for news) without touching the database. */
uint64_t store_last_seq(store *s);

#endif
