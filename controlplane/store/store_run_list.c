/* store_run_list.c: ListRuns: one page of runs, newest first, filtered by states and recipe.
 *
 * A page is found in two steps. First the keys: one index range scan per requested state
 * ("state = ? AND k < ? ORDER BY k DESC LIMIT page+1", served by runs_by_state or
 * runs_by_recipe_state), or one scan without a state; the scans are merged in memory because
 * SQLite cannot merge several index ranges in key order itself (with "state IN (...)" it would
 * sort every matching row). Then the rows, read one by one by key. Both steps cost in proportion
 * to the page, not to the table, so a page deep into a million runs is as quick as the first.
 * The page token is the last key of the page, "k<number>": the next page is "k < number". */
#include "store_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RUN_PAGE_DEFAULT 50
#define RUN_PAGE_MAX     1000
#define RUN_STATE_COUNT  8

/* Parses "k<positive decimal>" into *before; NULL or "" means from the newest. */
static aifb_code store_run_parse_token(const char *token, int64_t *before, aifb_err *err)
{
    *before = INT64_MAX;
    if (!token || !*token)
        return AIFB_OK;
    const char *digits = token + 1;
    bool ok = token[0] == 'k' && *digits >= '1' && *digits <= '9';
    for (const char *c = digits; ok && *c; c++)
        ok = *c >= '0' && *c <= '9';
    if (ok) {
        errno = 0;
        long long v = strtoll(digits, NULL, 10);
        ok = errno == 0;
        *before = v;
    }
    if (!ok)
        return aifb_err_set(err, AIFB_EINVAL, "invalid page_token \"%.40s\"", token);
    return AIFB_OK;
}

/* The filter's states as a bit set (bit s for state s); 0 for every state. */
static aifb_code store_run_state_mask(const run_filter *f, unsigned *mask, aifb_err *err)
{
    *mask = 0;
    for (size_t i = 0; i < f->nstates; i++) {
        run_state st = f->states[i];
        if (st < RUN_PENDING || st > RUN_CANCELLED)
            return aifb_err_set(err, AIFB_EINVAL, "unknown run state %d in the filter", (int)st);
        *mask |= 1u << st;
    }
    unsigned every = ((1u << (RUN_STATE_COUNT + 1)) - 1) & ~1u;
    if (*mask == every)
        *mask = 0; /* all states: one scan instead of eight */
    return AIFB_OK;
}

typedef struct key_list {
    int64_t *k;
    size_t n, cap;
} key_list;

/* Appends the keys one index scan yields (state 0: no state condition). */
static aifb_code store_run_scan_keys(store *s, const char *recipe, int state, int64_t before,
                                     int limit, key_list *keys, aifb_err *err)
{
    store_stmt_id id = recipe ? (state ? ST_RUN_KEYS_RECIPE_STATE : ST_RUN_KEYS_RECIPE)
                              : (state ? ST_RUN_KEYS_STATE : ST_RUN_KEYS);
    sqlite3_stmt *st = store_stmt(s, id);
    sqlite3_bind_int64(st, 1, before);
    sqlite3_bind_int(st, 2, limit);
    if (state)
        sqlite3_bind_int(st, 3, state);
    if (recipe)
        store_bind_str(st, 4, recipe);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (keys->n == keys->cap) {
            keys->cap = keys->cap ? keys->cap * 2 : (size_t)limit;
            keys->k = xrealloc(keys->k, keys->cap * sizeof *keys->k);
        }
        keys->k[keys->n++] = sqlite3_column_int64(st, 0);
    }
    store_stmt_done(st);
    return rc == SQLITE_DONE ? AIFB_OK : store_db_fail(s, err, rc, "listing runs");
}

static int key_desc(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x < y) - (x > y);
}

/* The keys of the page plus one more if there is a next page, newest first. */
static aifb_code store_run_page_keys(store *s, const char *recipe, unsigned mask, int64_t before,
                                     int page, key_list *keys, aifb_err *err)
{
    aifb_code rc = AIFB_OK;
    if (!mask)
        return store_run_scan_keys(s, recipe, 0, before, page + 1, keys, err);
    for (int st = RUN_PENDING; rc == AIFB_OK && st <= RUN_CANCELLED; st++)
        if (mask & (1u << st))
            rc = store_run_scan_keys(s, recipe, st, before, page + 1, keys, err);
    if (keys->n > 1)
        qsort(keys->k, keys->n, sizeof *keys->k, key_desc);
    if (keys->n > (size_t)page + 1)
        keys->n = (size_t)page + 1;
    return rc;
}

/* Reads the rows of keys[0..n) into a new array. */
static aifb_code store_run_read_keys(store *s, const int64_t *keys, size_t n, run_rec **out,
                                     aifb_err *err)
{
    run_rec *runs = n ? xcalloc(n, sizeof *runs) : NULL;
    sqlite3_stmt *st = store_stmt(s, ST_RUN_GET_BY_KEY);
    for (size_t i = 0; i < n; i++) {
        char what[32];
        snprintf(what, sizeof what, "k%" PRId64, keys[i]);
        sqlite3_bind_int64(st, 1, keys[i]);
        aifb_code rc = store_run_read_one(s, st, what, &runs[i], err);
        if (rc != AIFB_OK) {
            run_rec_array_free(runs, i);
            return rc;
        }
    }
    *out = runs;
    return AIFB_OK;
}

static int store_run_page_size(const run_filter *f)
{
    if (f->page_size <= 0)
        return RUN_PAGE_DEFAULT;
    return f->page_size > RUN_PAGE_MAX ? RUN_PAGE_MAX : f->page_size;
}

aifb_code store_run_list(store *s, const run_filter *f, run_rec **out, size_t *n, char **next_token,
                         aifb_err *err)
{
    static const run_filter everything = {0};
    f = f ? f : &everything;
    *out = NULL;
    *n = 0;
    *next_token = NULL;
    int64_t before;
    unsigned mask;
    aifb_code rc = store_run_parse_token(f->page_token, &before, err);
    if (rc == AIFB_OK)
        rc = store_run_state_mask(f, &mask, err);
    if (rc != AIFB_OK)
        return rc;
    int page = store_run_page_size(f);
    const char *recipe = f->recipe && *f->recipe ? f->recipe : NULL;
    key_list keys = {0};
    store_lock(s);
    /* One snapshot for the whole page: keys and rows agree, and the lock is checked once. */
    rc = store_tx_begin_read(s, err);
    if (rc == AIFB_OK)
        rc = store_run_page_keys(s, recipe, mask, before, page, &keys, err);
    bool more = keys.n > (size_t)page;
    size_t count = more ? (size_t)page : keys.n;
    if (rc == AIFB_OK)
        rc = store_run_read_keys(s, keys.k, count, out, err);
    if (rc == AIFB_OK && (rc = store_tx_commit(s, err)) != AIFB_OK)
        run_rec_array_free(*out, count);
    else if (rc != AIFB_OK)
        store_tx_rollback(s);
    store_unlock(s);
    if (rc != AIFB_OK)
        *out = NULL;
    if (rc == AIFB_OK) {
        *n = count;
        if (more) {
            char token[32];
            snprintf(token, sizeof token, "k%" PRId64, keys.k[count - 1]);
            *next_token = xstrdup(token);
        }
    }
    free(keys.k);
    return rc;
}
