/* store_db.c: opening the database, its schema migrations, the statement cache, transactions.
 *
 * The schema grows by migrations: store_migrations[i] takes a database from user_version i to
 * i + 1, and store_open applies the missing ones in order, each in its own transaction together
 * with the new user_version, so a crash leaves the file at some whole version. To change the
 * schema, append a migration; never edit one that has shipped.
 *
 * Opening checks the file before it writes anything: a file that is not SQLite, or a schema newer
 * than this build, is refused while the file is still as it was. */
#include "store_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Version 1: services, runs (a service_id refers to a service, NULL when the run started its own)
 * and events. Each list the API offers has an index that yields its rows in key order:
 * runs_by_state, runs_by_recipe and runs_by_recipe_state for ListRuns filters (SQLite appends the
 * rowid k to every index, so "state = ? AND k < ? ORDER BY k DESC" is one range scan), partial
 * indexes of the unfinished rows for the reconciler, events_by_subject for Watch of one subject.
 * Events use AUTOINCREMENT so a sequence number is never reused, even if old events are pruned. */
static const char store_schema_v1[] =
    "CREATE TABLE services ("
    "  k INTEGER PRIMARY KEY,"
    "  id TEXT NOT NULL UNIQUE,"
    "  recipe TEXT NOT NULL,"
    "  state INTEGER NOT NULL CHECK (state BETWEEN 1 AND 6),"
    "  params TEXT NOT NULL,"
    "  endpoint TEXT NOT NULL,"
    "  reason TEXT NOT NULL,"
    "  executor TEXT NOT NULL,"
    "  service_dir TEXT NOT NULL,"
    "  handles TEXT NOT NULL,"
    "  created_at_ms INTEGER NOT NULL,"
    "  updated_at_ms INTEGER NOT NULL,"
    "  ended_at_ms INTEGER NOT NULL);"
    "CREATE INDEX services_unfinished ON services (k) WHERE ended_at_ms = 0;"
    "CREATE TABLE runs ("
    "  k INTEGER PRIMARY KEY,"
    "  id TEXT NOT NULL UNIQUE,"
    "  recipe TEXT NOT NULL,"
    "  state INTEGER NOT NULL CHECK (state BETWEEN 1 AND 8),"
    "  params TEXT NOT NULL,"
    "  service_id TEXT REFERENCES services (id),"
    "  reason TEXT NOT NULL,"
    "  created_at_ms INTEGER NOT NULL,"
    "  updated_at_ms INTEGER NOT NULL,"
    "  ended_at_ms INTEGER NOT NULL,"
    "  executor TEXT NOT NULL,"
    "  run_dir TEXT NOT NULL,"
    "  result_path TEXT NOT NULL,"
    "  endpoint TEXT NOT NULL,"
    "  handles TEXT NOT NULL,"
    "  summary TEXT NOT NULL,"
    "  exit_code INTEGER NOT NULL);"
    "CREATE INDEX runs_by_state ON runs (state);"
    "CREATE INDEX runs_by_recipe ON runs (recipe);"
    "CREATE INDEX runs_by_recipe_state ON runs (recipe, state);"
    "CREATE INDEX runs_by_service ON runs (service_id);"
    "CREATE INDEX runs_unfinished ON runs (k) WHERE ended_at_ms = 0;"
    "CREATE TABLE events ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  time_ms INTEGER NOT NULL,"
    "  kind INTEGER NOT NULL,"
    "  subject_id TEXT NOT NULL,"
    "  from_state TEXT NOT NULL,"
    "  to_state TEXT NOT NULL,"
    "  reason TEXT NOT NULL,"
    "  recipe TEXT NOT NULL);"
    "CREATE INDEX events_by_subject ON events (subject_id);";

static const char *const store_migrations[] = {store_schema_v1};
#define STORE_SCHEMA_NEWEST ((int)(sizeof store_migrations / sizeof store_migrations[0]))

#define STORE_STMT_SQL(name, sql) [name] = sql,
static const char *const store_stmt_sql[ST_COUNT] = {STORE_STATEMENTS(STORE_STMT_SQL)};
#undef STORE_STMT_SQL

/* One process owns the database: the connection takes an exclusive lock on its first read and
 * keeps it until closed. That is what the daemon's model needs anyway (two aifbd reconciling the
 * same runs would submit jobs twice, so a second one is refused at open), and it is what makes
 * reads cheap: in WAL mode without the lock every statement costs two fcntl() and an fstat() to
 * coordinate with other processes, more than the lookup itself. With it, SQLite keeps the WAL
 * index in memory and no -shm file exists. The database is memory-mapped (up to 256 MiB) so
 * reading a page of rows copies nothing through read(). People inspect a live store through the
 * API; the sqlite3 shell can open the file once aifbd has stopped. */
#define STORE_ACCESS_PRAGMAS "PRAGMA locking_mode = EXCLUSIVE; PRAGMA mmap_size = 268435456"

/* How long open waits for another process to release the file (a previous aifbd exiting)
 * before saying it is in use. */
#define STORE_BUSY_TIMEOUT_MS 2000

void store_lock(store *s)
{
    pthread_mutex_lock(&s->mu);
}

void store_unlock(store *s)
{
    pthread_mutex_unlock(&s->mu);
}

sqlite3_stmt *store_stmt(store *s, store_stmt_id id)
{
    return s->stmts[id];
}

void store_stmt_done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

aifb_code store_db_fail(store *s, aifb_err *err, int rc, const char *what)
{
    aifb_code code = AIFB_EINTERNAL;
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        code = AIFB_EUNAVAILABLE;
        break;
    case SQLITE_FULL:
        code = AIFB_ERESOURCE;
        break;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        code = AIFB_EDATALOSS;
        break;
    default:
        break;
    }
    return aifb_err_set(err, code, "%s: %s (database %s)", what, sqlite3_errmsg(s->db), s->path);
}

/* Runs a cached statement that returns no rows. */
static aifb_code store_exec_cached(store *s, store_stmt_id id, const char *what, aifb_err *err)
{
    sqlite3_stmt *st = store_stmt(s, id);
    int rc = sqlite3_step(st);
    store_stmt_done(st);
    return rc == SQLITE_DONE ? AIFB_OK : store_db_fail(s, err, rc, what);
}

aifb_code store_tx_begin(store *s, aifb_err *err)
{
    return store_exec_cached(s, ST_BEGIN, "beginning a transaction", err);
}

aifb_code store_tx_begin_read(store *s, aifb_err *err)
{
    return store_exec_cached(s, ST_BEGIN_READ, "beginning a read transaction", err);
}

aifb_code store_tx_commit(store *s, aifb_err *err)
{
    aifb_code rc = store_exec_cached(s, ST_COMMIT, "committing", err);
    if (rc != AIFB_OK)
        store_tx_rollback(s);
    return rc;
}

void store_tx_rollback(store *s)
{
    /* Harmless when SQLite already rolled back on its own (after SQLITE_FULL, say). */
    if (!sqlite3_get_autocommit(s->db))
        store_exec_cached(s, ST_ROLLBACK, "rolling back", NULL);
}

int store_bind_str(sqlite3_stmt *st, int idx, const char *v)
{
    return v ? sqlite3_bind_text(st, idx, v, -1, SQLITE_STATIC) : sqlite3_bind_null(st, idx);
}

char *store_col_str(sqlite3_stmt *st, int col)
{
    const char *t = (const char *)sqlite3_column_text(st, col);
    return xstrdup(t ? t : "");
}

void store_col_id(sqlite3_stmt *st, int col, char out[AIFB_ID_LEN + 1])
{
    const char *t = (const char *)sqlite3_column_text(st, col);
    snprintf(out, AIFB_ID_LEN + 1, "%s", t ? t : "");
}

/* ---- opening --------------------------------------------------------------------------------- */

/* Reads PRAGMA user_version. This is the first read of the file, so a file that is not a
 * database fails here, before anything has been written to it. */
static aifb_code store_read_version(store *s, int *version, aifb_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW)
        return AIFB_OK;
    if ((rc & 0xff) == SQLITE_NOTADB)
        return aifb_err_set(err, AIFB_EINVAL,
                            "%s is not an SQLite database (%s); refusing to use it", s->path,
                            sqlite3_errstr(rc));
    if ((rc & 0xff) == SQLITE_BUSY)
        return aifb_err_set(err, AIFB_EUNAVAILABLE,
                            "database %s is in use by another process (another aifbd?)", s->path);
    return store_db_fail(s, err, rc, "reading the schema version");
}

static aifb_code store_exec(store *s, const char *sql, const char *what, aifb_err *err)
{
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? AIFB_OK : store_db_fail(s, err, rc, what);
}

/* Applies migration `to` (1-based) and sets user_version, in one transaction. */
static aifb_code store_migrate_step(store *s, int to, aifb_err *err)
{
    /* PRAGMA takes no bound parameters; the value is our own integer, not input. */
    char set_version[48];
    snprintf(set_version, sizeof set_version, "PRAGMA user_version = %d", to);
    char what[64];
    snprintf(what, sizeof what, "migrating the schema to version %d", to);
    aifb_code rc = store_exec(s, "BEGIN IMMEDIATE", what, err);
    if (rc != AIFB_OK)
        return rc;
    rc = store_exec(s, store_migrations[to - 1], what, err);
    if (rc == AIFB_OK)
        rc = store_exec(s, set_version, what, err);
    if (rc == AIFB_OK)
        rc = store_exec(s, "COMMIT", what, err);
    if (rc != AIFB_OK)
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

static aifb_code store_migrate(store *s, aifb_err *err)
{
    int version = 0;
    aifb_code rc = store_read_version(s, &version, err);
    if (rc != AIFB_OK)
        return rc;
    if (version < 0)
        return aifb_err_set(err, AIFB_EDATALOSS,
                            "database %s has schema version %d, which no aifbd ever wrote", s->path,
                            version);
    if (version > STORE_SCHEMA_NEWEST)
        return aifb_err_set(err, AIFB_EPRECONDITION,
                            "database %s has schema version %d, newer than this build knows (%d); "
                            "use a newer aifbd",
                            s->path, version, STORE_SCHEMA_NEWEST);
    /* Settings that write (WAL) come only after the file proved to be ours. */
    rc = store_exec(s,
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; "
                    "PRAGMA foreign_keys = ON",
                    "configuring the database", err);
    for (int v = version + 1; rc == AIFB_OK && v <= STORE_SCHEMA_NEWEST; v++)
        rc = store_migrate_step(s, v, err);
    if (rc == AIFB_OK)
        s->version = STORE_SCHEMA_NEWEST;
    return rc;
}

static aifb_code store_prepare_all(store *s, aifb_err *err)
{
    for (int i = 0; i < ST_COUNT; i++) {
        int rc = sqlite3_prepare_v3(s->db, store_stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                                    &s->stmts[i], NULL);
        if (rc != SQLITE_OK)
            return store_db_fail(s, err, rc, "preparing a statement");
    }
    return AIFB_OK;
}

/* The newest sequence number ever given, from AUTOINCREMENT's own record. */
static aifb_code store_load_last_seq(store *s, aifb_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "SELECT seq FROM sqlite_sequence WHERE name = 'events'", -1,
                                &st, NULL);
    uint64_t seq = 0;
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        seq = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return store_db_fail(s, err, rc, "reading the last event sequence number");
    atomic_store(&s->last_seq, seq);
    return AIFB_OK;
}

static aifb_code store_open_db(store *s, aifb_err *err)
{
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(s->path, &s->db, flags, NULL);
    if (rc != SQLITE_OK)
        return aifb_err_set(err, AIFB_EINVAL, "cannot open database %s: %s", s->path,
                            s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);
    /* Before the first read, or SQLite would already have set up shared-memory locking. */
    aifb_code code = store_exec(s, STORE_ACCESS_PRAGMAS, "configuring the database", err);
    if (code == AIFB_OK)
        code = store_migrate(s, err);
    if (code == AIFB_OK)
        code = store_prepare_all(s, err);
    if (code == AIFB_OK)
        code = store_load_last_seq(s, err);
    return code;
}

aifb_code store_open(const char *path, store **out, aifb_err *err)
{
    *out = NULL;
    if (!path || !*path)
        return aifb_err_set(err, AIFB_EINVAL, "database path is empty");
    store *s = xcalloc(1, sizeof *s);
    s->path = xstrdup(path);
    pthread_mutex_init(&s->mu, NULL);
    aifb_code rc = store_open_db(s, err);
    if (rc != AIFB_OK) {
        store_close(s);
        return rc;
    }
    *out = s;
    return AIFB_OK;
}

void store_close(store *s)
{
    if (!s)
        return;
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(s->stmts[i]);
    sqlite3_close(s->db);
    pthread_mutex_destroy(&s->mu);
    free(s->path);
    free(s);
}

int store_schema_version(store *s)
{
    return s->version;
}
