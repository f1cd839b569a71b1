/* test_store_fixture.h: what the store's test files share: a fresh temporary folder per test
 * holding one database, and small builders for run and service records.
 *
 * Criterion runs every test in its own process, so the globals below belong to one test. Use
 * .init = store_fixture_setup, .fini = store_fixture_teardown: the folder and everything in it
 * (database, WAL, shared memory) is removed after the test. */
#ifndef TEST_STORE_FIXTURE_H
#define TEST_STORE_FIXTURE_H

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"

static char fx_dir[256];
static char fx_db[300];
static store *fx_store;

static inline void store_fixture_make_dir(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(fx_dir, sizeof fx_dir, "%s/aifb-store-test-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    cr_assert_not_null(mkdtemp(fx_dir), "mkdtemp failed");
    snprintf(fx_db, sizeof fx_db, "%s/state.db", fx_dir);
}

/* Opens fx_db into fx_store, failing the test with the store's message when it cannot. */
static inline void store_fixture_open(void)
{
    aifb_err err = {0};
    aifb_code rc = store_open(fx_db, &fx_store, &err);
    cr_assert_eq(rc, AIFB_OK, "store_open: %s", err.msg);
}

static inline void store_fixture_reopen(void)
{
    store_close(fx_store);
    fx_store = NULL;
    store_fixture_open();
}

static inline void store_fixture_setup(void)
{
    store_fixture_make_dir();
    store_fixture_open();
}

static inline void store_fixture_remove_dir(void)
{
    DIR *d = opendir(fx_dir);
    if (!d)
        return;
    struct dirent *e;
    char path[600];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", fx_dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(fx_dir);
}

static inline void store_fixture_teardown(void)
{
    store_close(fx_store);
    fx_store = NULL;
    store_fixture_remove_dir();
}

/* A run record of `recipe` with a fresh id and the given parameters (not copied). */
static inline run_rec store_fixture_run(const char *recipe, kv *params, size_t nparams)
{
    run_rec r = {0};
    aifb_id_new('r', r.id);
    r.recipe = (char *)recipe;
    r.params = params;
    r.nparams = nparams;
    r.executor = (char *)"local";
    return r;
}

/* Inserts a run of `recipe` and returns its id in id_out; fails the test on error. */
static inline void store_fixture_insert_run(const char *recipe, char id_out[AIFB_ID_LEN + 1])
{
    run_rec r = store_fixture_run(recipe, NULL, 0);
    aifb_err err = {0};
    aifb_code rc = store_run_insert(fx_store, &r, NULL, &err);
    cr_assert_eq(rc, AIFB_OK, "store_run_insert: %s", err.msg);
    memcpy(id_out, r.id, AIFB_ID_LEN + 1);
}

static inline void store_fixture_insert_service(const char *recipe, char id_out[AIFB_ID_LEN + 1])
{
    service_rec r = {0};
    aifb_id_new('s', r.id);
    r.recipe = (char *)recipe;
    aifb_err err = {0};
    aifb_code rc = store_service_insert(fx_store, &r, NULL, &err);
    cr_assert_eq(rc, AIFB_OK, "store_service_insert: %s", err.msg);
    memcpy(id_out, r.id, AIFB_ID_LEN + 1);
}

/* Moves a run, failing the test with the store's message when refused. */
static inline void store_fixture_move_run(const char *id, run_state to)
{
    aifb_err err = {0};
    aifb_code rc = store_run_transition(fx_store, id, to, "test", NULL, &err);
    cr_assert_eq(rc, AIFB_OK, "moving %s to %s: %s", id, run_state_name(to), err.msg);
}

#endif
