/* store_events.c: reading the event log (Watch, audit) and freeing event records.
 *
 * Events are written by store_subject.c inside the transaction of the change they record; this
 * file only reads them back in sequence order, from after a given sequence number, so a Watch
 * stream can resume exactly where it stopped. */
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void event_rec_free(event_rec *e)
{
    if (!e)
        return;
    free(e->reason);
    free(e->recipe);
    memset(e, 0, sizeof *e);
}

void event_rec_array_free(event_rec *a, size_t n)
{
    for (size_t i = 0; a && i < n; i++)
        event_rec_free(&a[i]);
    free(a);
}

/* Reads a row selected with EVENT_COLS. */
static void store_event_from_row(sqlite3_stmt *st, event_rec *e)
{
    memset(e, 0, sizeof *e);
    e->seq = (uint64_t)sqlite3_column_int64(st, 0);
    e->time_ms = sqlite3_column_int64(st, 1);
    e->kind = (event_kind)sqlite3_column_int(st, 2);
    store_col_id(st, 3, e->subject_id);
    const char *from = (const char *)sqlite3_column_text(st, 4);
    snprintf(e->from_state, sizeof e->from_state, "%s", from ? from : "");
    const char *to = (const char *)sqlite3_column_text(st, 5);
    snprintf(e->to_state, sizeof e->to_state, "%s", to ? to : "");
    e->reason = store_col_str(st, 6);
    e->recipe = store_col_str(st, 7);
}

aifb_code store_events_after(store *s, uint64_t after_seq, const char *subject_id, size_t limit,
                             event_rec **out, size_t *n, aifb_err *err)
{
    *out = NULL;
    *n = 0;
    bool one_subject = subject_id && *subject_id;
    /* SQLite integers are signed; no stored seq is above INT64_MAX. */
    int64_t after = after_seq > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)after_seq;
    int64_t max = limit == 0 || limit > (size_t)INT64_MAX ? -1 : (int64_t)limit;
    size_t cap = 0;
    store_lock(s);
    sqlite3_stmt *st = store_stmt(s, one_subject ? ST_EVENTS_AFTER_SUBJECT : ST_EVENTS_AFTER);
    sqlite3_bind_int64(st, 1, after);
    sqlite3_bind_int64(st, 2, max);
    if (one_subject)
        store_bind_str(st, 3, subject_id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            *out = xrealloc(*out, cap * sizeof **out);
        }
        store_event_from_row(st, &(*out)[(*n)++]);
    }
    store_stmt_done(st);
    aifb_code code = rc == SQLITE_DONE ? AIFB_OK : store_db_fail(s, err, rc, "reading events");
    store_unlock(s);
    if (code != AIFB_OK) {
        event_rec_array_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return code;
}
