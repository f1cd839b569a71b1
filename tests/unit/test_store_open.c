/* test_store_open.c: opening a database: the schema made by migrations, reopening, and the
 * files the store must refuse without touching them. */
#include "test_store_fixture.h"

#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* Runs one query returning one integer on the database file, outside the store. */
static long long raw_int(const char *sql)
{
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open_v2(fx_db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "%s", sql);
    long long v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static void raw_exec(const char *sql)
{
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open(fx_db, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
    sqlite3_close(db);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

static char *read_whole(const char *path)
{
    char *data = NULL;
    size_t len = 0;
    cr_assert_eq(aifb_read_file(path, 1 << 20, &data, &len, NULL), AIFB_OK);
    return data;
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

Test(store_open, a_new_file_gets_the_whole_schema_in_wal_mode, .init = store_fixture_setup,
     .fini = store_fixture_teardown)
{
    cr_assert_geq(store_schema_version(fx_store), 1);
    store_close(fx_store);
    fx_store = NULL;
    cr_assert_eq(raw_int("PRAGMA user_version"), 1);
    const char *tables[] = {"runs", "services", "events"};
    for (size_t i = 0; i < 3; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM sqlite_schema WHERE name = '%s'",
                 tables[i]);
        cr_assert_eq(raw_int(sql), 1, "table %s missing", tables[i]);
    }
    cr_assert_eq(raw_int("SELECT count(*) FROM sqlite_schema WHERE type = 'index' "
                         "AND name LIKE 'runs_by_%'"),
                 4);
    sqlite3 *db = NULL;
    sqlite3_open(fx_db, &db);
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    cr_assert_str_eq((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    sqlite3_close(db);
}

Test(store_open, reopening_keeps_the_runs_the_events_and_the_schema_version,
     .init = store_fixture_setup, .fini = store_fixture_teardown)
{
    char id[AIFB_ID_LEN + 1];
    store_fixture_insert_run("redis-bench", id);
    store_fixture_move_run(id, RUN_SUBMITTED);
    int version = store_schema_version(fx_store);
    uint64_t seq = store_last_seq(fx_store);
    cr_assert_eq(seq, 2);
    store_fixture_reopen();
    cr_assert_eq(store_schema_version(fx_store), version);
    cr_assert_eq(store_last_seq(fx_store), seq, "last seq %llu after reopen",
                 (unsigned long long)store_last_seq(fx_store));
    run_rec r;
    aifb_err err = {0};
    cr_assert_eq(store_run_get(fx_store, id, &r, &err), AIFB_OK, "%s", err.msg);
    cr_assert_eq(r.state, RUN_SUBMITTED);
    cr_assert_str_eq(r.recipe, "redis-bench");
    run_rec_free(&r);
    store_fixture_move_run(id, RUN_RUNNING);
    cr_assert_eq(store_last_seq(fx_store), seq + 1, "sequence numbers continue after reopen");
}

Test(store_open, a_schema_newer_than_this_build_is_refused_with_both_versions_named)
{
    store_fixture_make_dir();
    raw_exec("CREATE TABLE future (x); PRAGMA user_version = 999");
    aifb_err err = {0};
    store *s = NULL;
    cr_assert_eq(store_open(fx_db, &s, &err), AIFB_EPRECONDITION);
    cr_assert_null(s);
    cr_assert(strstr(err.msg, "schema version 999"), "message: %s", err.msg);
    cr_assert(strstr(err.msg, "newer than this build knows (1)"), "message: %s", err.msg);
    cr_assert(strstr(err.msg, fx_db), "message does not name the file: %s", err.msg);
    cr_assert_eq(raw_int("PRAGMA user_version"), 999, "the file was changed");
    cr_assert_eq(raw_int("SELECT count(*) FROM sqlite_schema WHERE name = 'runs'"), 0);
    store_fixture_remove_dir();
}

Test(store_open, a_file_that_is_not_sqlite_is_refused_and_left_exactly_as_it_was)
{
    store_fixture_make_dir();
    const char *text = "listen: 127.0.0.1:7450\nexecutor: local\n# not a database at all, "
                       "but long enough to fill more than the header SQLite reads first....\n";
    write_file(fx_db, text);
    aifb_err err = {0};
    store *s = NULL;
    cr_assert_eq(store_open(fx_db, &s, &err), AIFB_EINVAL);
    cr_assert_null(s);
    cr_assert(strstr(err.msg, "is not an SQLite database"), "message: %s", err.msg);
    cr_assert(strstr(err.msg, fx_db), "message does not name the file: %s", err.msg);
    char *after = read_whole(fx_db);
    cr_assert_str_eq(after, text, "the file was changed");
    free(after);
    char side[400];
    snprintf(side, sizeof side, "%s-wal", fx_db);
    cr_assert_not(exists(side), "a WAL file was created beside it");
    store_fixture_remove_dir();
}

Test(store_open, a_short_file_of_text_is_refused_too)
{
    store_fixture_make_dir();
    write_file(fx_db, "hello");
    aifb_err err = {0};
    store *s = NULL;
    cr_assert_eq(store_open(fx_db, &s, &err), AIFB_EINVAL, "message: %s", err.msg);
    char *after = read_whole(fx_db);
    cr_assert_str_eq(after, "hello");
    free(after);
    store_fixture_remove_dir();
}

Test(store_open, a_database_in_a_missing_folder_is_refused_naming_the_path)
{
    store_fixture_make_dir();
    char path[400];
    snprintf(path, sizeof path, "%s/no/such/folder/state.db", fx_dir);
    aifb_err err = {0};
    store *s = NULL;
    cr_assert_neq(store_open(path, &s, &err), AIFB_OK);
    cr_assert_null(s);
    cr_assert(strstr(err.msg, path), "message does not name the path: %s", err.msg);
    store_fixture_remove_dir();
}

Test(store_open, an_empty_path_is_refused)
{
    aifb_err err = {0};
    store *s = NULL;
    cr_assert_eq(store_open("", &s, &err), AIFB_EINVAL);
    cr_assert(strstr(err.msg, "empty"), "message: %s", err.msg);
}

Test(store_open, an_older_schema_is_migrated_forward_keeping_what_it_holds)
{
    /* Version 0 with a table of its own stands for "a file made before the store existed": the
     * migration adds the schema beside it and the stranger's data stays. */
    store_fixture_make_dir();
    raw_exec("CREATE TABLE notes (t TEXT); INSERT INTO notes VALUES ('kept')");
    store_fixture_open();
    cr_assert_eq(store_schema_version(fx_store), 1);
    store_close(fx_store);
    fx_store = NULL;
    cr_assert_eq(raw_int("SELECT count(*) FROM notes WHERE t = 'kept'"), 1);
    cr_assert_eq(raw_int("PRAGMA user_version"), 1);
    store_fixture_remove_dir();
}

Test(store_open, a_second_store_on_the_same_file_is_refused_while_the_first_is_open,
     .init = store_fixture_setup, .fini = store_fixture_teardown)
{
    char id[AIFB_ID_LEN + 1];
    store_fixture_insert_run("redis-bench", id);
    aifb_err err = {0};
    store *second = NULL;
    cr_assert_eq(store_open(fx_db, &second, &err), AIFB_EUNAVAILABLE, "message: %s", err.msg);
    cr_assert_null(second);
    cr_assert(strstr(err.msg, "in use by another process"), "message: %s", err.msg);
    cr_assert(strstr(err.msg, fx_db), "message: %s", err.msg);
    store_fixture_move_run(id, RUN_SUBMITTED); /* the first is unharmed */
}
