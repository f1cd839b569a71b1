/* test_store_runs.c: runs as aifbd stores and reads them: what goes in comes back exactly,
 * updates change only what they name, lists page through everything once, newest first. */
#include "test_store_fixture.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static kv odd_params[] = {
    {"clients", "8"},
    {"model", "a \"quoted\" name with \\ backslash"},
    {"prompt", "line one\nline two\ttabbed\r\x01\x1f end"},
    {"unicode", "h\xc3\xa9llo w\xc3\xb6rld \xe2\x82\xac \xf0\x9f\x9a\x80 \xe6\x97\xa5\xe6\x9c\xac"},
    {"empty", ""},
    {"json-ish", "[[\"not\",\"nested\"]]"},
    {"name with spaces & = ;", "'single' quotes; DROP TABLE runs; --"},
};
#define N_ODD (sizeof odd_params / sizeof *odd_params)

static metric odd_summary[] = {
    {"get_rps", 81234.56789012345, "ops/s"},
    {"p99_latency_ms", 0.1, "ms"},
    {"tiny", 4.9406564584124654e-324, "count"},
    {"huge", 1.7976931348623157e308, ""},
    {"negative_zero", -0.0, "\"quoted\" unit"},
    {"integer", 12345678901234567.0, "count"},
    {"nan", NAN, "x"},
    {"inf", INFINITY, "x"},
    {"minus_inf", -INFINITY, "\xc2\xb5s"},
};
#define N_SUMMARY (sizeof odd_summary / sizeof *odd_summary)

static void assert_same_bits(double a, double b, const char *name)
{
    if (isnan(a)) {
        cr_assert(isnan(b), "%s: NaN came back as %.17g", name, b);
        return;
    }
    cr_assert(memcmp(&a, &b, sizeof a) == 0, "%s: %.17g came back as %.17g", name, a, b);
}

Test(store_runs, params_and_summary_come_back_exactly_with_quotes_controls_and_unicode,
     .init = store_fixture_setup, .fini = store_fixture_teardown)
{
    run_rec in = store_fixture_run("redis-bench", odd_params, N_ODD);
    in.summary = odd_summary; /* insert keeps a summary given up front */
    in.nsummary = N_SUMMARY;
    in.reason = "created by \"test\"";
    aifb_err err = {0};
    event_rec ev = {0};
    cr_assert_eq(store_run_insert(fx_store, &in, &ev, &err), AIFB_OK, "%s", err.msg);
    cr_assert_str_eq(ev.from_state, "");
    cr_assert_str_eq(ev.to_state, "PENDING");
    cr_assert_str_eq(ev.subject_id, in.id);
    cr_assert_str_eq(ev.recipe, "redis-bench");
    cr_assert_eq(ev.kind, EVENT_RUN_STATE);
    event_rec_free(&ev);

    run_rec out;
    cr_assert_eq(store_run_get(fx_store, in.id, &out, &err), AIFB_OK, "%s", err.msg);
    cr_assert_eq(out.nparams, N_ODD);
    for (size_t i = 0; i < N_ODD; i++) {
        cr_assert_str_eq(out.params[i].name, odd_params[i].name, "param %zu name", i);
        cr_assert_str_eq(out.params[i].value, odd_params[i].value, "param %zu value", i);
    }
    cr_assert_eq(out.nsummary, N_SUMMARY);
    for (size_t i = 0; i < N_SUMMARY; i++) {
        cr_assert_str_eq(out.summary[i].name, odd_summary[i].name);
        cr_assert_str_eq(out.summary[i].unit, odd_summary[i].unit);
        assert_same_bits(odd_summary[i].value, out.summary[i].value, odd_summary[i].name);
    }
    cr_assert_eq(out.state, RUN_PENDING);
    cr_assert_str_eq(out.reason, "created by \"test\"");
    cr_assert_str_eq(out.executor, "local");
    cr_assert_str_eq(out.service_id, "");
    cr_assert_str_eq(out.endpoint, "");
    cr_assert_eq(out.exit_code, -1);
    cr_assert_gt(out.created_at_ms, 0);
    cr_assert_eq(out.updated_at_ms, out.created_at_ms);
    cr_assert_eq(out.ended_at_ms, 0);
    run_rec_free(&out);
    run_rec_free(&out); /* freeing twice is harmless */
}

Test(store_runs, a_run_without_params_or_summary_reads_back_empty, .init = store_fixture_setup,
     .fini = store_fixture_teardown)
{
    char id[AIFB_ID_LEN + 1];
    store_fixture_insert_run("pgbench", id);
    run_rec out;
    cr_assert_eq(store_run_get(fx_store, id, &out, NULL), AIFB_OK);
    cr_assert_eq(out.nparams, 0);
    cr_assert_null(out.params);
    cr_assert_eq(out.nsummary, 0);
    run_rec_free(&out);
}

Test(store_runs, an_update_changes_only_the_fields_it_names, .init = store_fixture_setup,
     .fini = store_fixture_teardown)
{
    char id[AIFB_ID_LEN + 1];
    store_fixture_insert_run("redis-bench", id);
    aifb_err err = {0};
    run_update u = {.endpoint = "127.0.0.1:36712", .run_dir = "runs/r1"};
    cr_assert_eq(store_run_update(fx_store, id, &u, &err), AIFB_OK, "%s", err.msg);
    run_update u2 = {.handles = "pgid 4242",
                     .has_exit_code = true,
                     .exit_code = 0,
                     .summary = odd_summary,
                     .nsummary = 2,
                     .has_summary = true};
    cr_assert_eq(store_run_update(fx_store, id, &u2, &err), AIFB_OK, "%s", err.msg);
    run_rec r;
    cr_assert_eq(store_run_get(fx_store, id, &r, NULL), AIFB_OK);
    cr_assert_str_eq(r.endpoint, "127.0.0.1:36712");
    cr_assert_str_eq(r.run_dir, "runs/r1");
    cr_assert_str_eq(r.handles, "pgid 4242");
    cr_assert_str_eq(r.result_path, "");
    cr_assert_eq(r.exit_code, 0);
    cr_assert_eq(r.nsummary, 2);
    cr_assert_str_eq(r.summary[1].name, "p99_latency_ms");
    cr_assert_eq(r.state, RUN_PENDING, "an update must not move the state");
    run_rec_free(&r);

    run_update clear = {.has_summary = true};
    cr_assert_eq(store_run_update(fx_store, id, &clear, &err), AIFB_OK);
    cr_assert_eq(store_run_get(fx_store, id, &r, NULL), AIFB_OK);
    cr_assert_eq(r.nsummary, 0, "an empty summary given clears it");
    cr_assert_str_eq(r.endpoint, "127.0.0.1:36712");
    run_rec_free(&r);

    cr_assert_eq(store_run_update(fx_store, "r-ffffffffffff", &u, &err), AIFB_ENOTFOUND);
    cr_assert(strstr(err.msg, "r-ffffffffffff"), "message: %s", err.msg);
}

Test(store_runs, a_reason_can_change_without_a_change_of_state, .init = store_fixture_setup,
     .fini = store_fixture_teardown)
{
    char id[AIFB_ID_LEN + 1];
    store_fixture_insert_run("redis-bench", id);
    store_fixture_move_run(id, RUN_SUBMITTED);
    uint64_t seq = store_last_seq(fx_store);
    aifb_err err = {0};
    run_update u = {.reason = "controller unreachable since 12:00:00: connection refused"};
    cr_assert_eq(store_run_update(fx_store, id, &u, &err), AIFB_OK, "%s", err.msg);
    run_rec r;
    cr_assert_eq(store_run_get(fx_store, id, &r, NULL), AIFB_OK);
    cr_assert_str_eq(r.reason, u.reason);
    cr_assert_eq(r.state, RUN_SUBMITTED);
    cr_assert_eq(store_last_seq(fx_store), seq, "no event: the state did not change");
    run_rec_free(&r);
    run_update other = {.endpoint = "n1:1"};
    cr_assert_eq(store_run_update(fx_store, id, &other, &err), AIFB_OK, "%s", err.msg);
    cr_assert_eq(store_run_get(fx_store, id, &r, NULL), AIFB_OK);
    cr_assert_str_eq(r.reason, u.reason, "an update without a reason keeps it");
    run_rec_free(&r);
}

Test(store_runs, ended_at_is_set_on_the_final_state_only, .init = store_fixture_setup,
     .fini = store_fixture_teardown)
{
    char id[AIFB_ID_LEN + 1];
    store_fixture_insert_run("redis-bench", id);
    const run_state path[] = {RUN_SUBMITTED, RUN_STARTING, RUN_RUNNING, RUN_STOPPING};
    run_rec r;
    for (size_t i = 0; i < 4; i++) {
        store_fixture_move_run(id, path[i]);
        cr_assert_eq(store_run_get(fx_store, id, &r, NULL), AIFB_OK);
        cr_assert_eq(r.ended_at_ms, 0, "ended_at set in %s", run_state_name(path[i]));
        cr_assert_str_eq(r.reason, "test");
        run_rec_free(&r);
    }
    aifb_err err = {0};
    cr_assert_eq(store_run_transition(fx_store, id, RUN_SUCCEEDED, NULL, NULL, &err), AIFB_OK);
    cr_assert_eq(store_run_get(fx_store, id, &r, NULL), AIFB_OK);
    cr_assert_gt(r.ended_at_ms, 0);
    cr_assert_geq(r.ended_at_ms, r.created_at_ms);
    cr_assert_eq(r.updated_at_ms, r.ended_at_ms);
    cr_assert_str_eq(r.reason, "", "a NULL reason is stored as empty");
    run_rec_free(&r);
}

Test(store_runs, a_bad_or_duplicate_id_or_a_missing_recipe_is_refused_naming_it,
     .init = store_fixture_setup, .fini = store_fixture_teardown)
{
    aifb_err err = {0};
    run_rec r = store_fixture_run("redis-bench", NULL, 0);
    snprintf(r.id, sizeof r.id, "x-12");
    cr_assert_eq(store_run_insert(fx_store, &r, NULL, &err), AIFB_EINVAL);
    cr_assert(strstr(err.msg, "\"x-12\""), "message: %s", err.msg);
    r = store_fixture_run("", NULL, 0);
    cr_assert_eq(store_run_insert(fx_store, &r, NULL, &err), AIFB_EINVAL);
    cr_assert(strstr(err.msg, "recipe"), "message: %s", err.msg);
    r = store_fixture_run("redis-bench", NULL, 0);
    cr_assert_eq(store_run_insert(fx_store, &r, NULL, &err), AIFB_OK);
    uint64_t seq = store_last_seq(fx_store);
    cr_assert_eq(store_run_insert(fx_store, &r, NULL, &err), AIFB_EEXIST);
    cr_assert(strstr(err.msg, r.id), "message: %s", err.msg);
    cr_assert_eq(store_last_seq(fx_store), seq, "a refused insert wrote an event");
    run_rec out;
    cr_assert_eq(store_run_get(fx_store, "r-000000000001", &out, &err), AIFB_ENOTFOUND);
    cr_assert_str_eq(err.msg, "run r-000000000001 not found");
}

Test(store_runs, a_run_on_a_long_lived_service_must_name_a_stored_service,
     .init = store_fixture_setup, .fini = store_fixture_teardown)
{
    aifb_err err = {0};
    run_rec r = store_fixture_run("redis-bench", NULL, 0);
    r.service_id = "s-0123456789ab";
    cr_assert_eq(store_run_insert(fx_store, &r, NULL, &err), AIFB_ENOTFOUND);
    cr_assert(strstr(err.msg, "s-0123456789ab"), "message: %s", err.msg);
    char sid[AIFB_ID_LEN + 1];
    store_fixture_insert_service("redis", sid);
    r.service_id = sid;
    cr_assert_eq(store_run_insert(fx_store, &r, NULL, &err), AIFB_OK, "%s", err.msg);
    run_rec out;
    cr_assert_eq(store_run_get(fx_store, r.id, &out, NULL), AIFB_OK);
    cr_assert_str_eq(out.service_id, sid);
    run_rec_free(&out);
}

Test(store_runs, unfinished_runs_come_oldest_first_and_are_counted_as_active,
     .init = store_fixture_setup, .fini = store_fixture_teardown)
{
    char ids[5][AIFB_ID_LEN + 1];
    for (int i = 0; i < 5; i++)
        store_fixture_insert_run("redis-bench", ids[i]);
    store_fixture_move_run(ids[1], RUN_CANCELLED);
    store_fixture_move_run(ids[3], RUN_SUBMITTED);
    store_fixture_move_run(ids[3], RUN_FAILED);
    store_fixture_move_run(ids[4], RUN_SUBMITTED);
    run_rec *runs = NULL;
    size_t n = 0;
    aifb_err err = {0};
    cr_assert_eq(store_run_list_unfinished(fx_store, &runs, &n, &err), AIFB_OK, "%s", err.msg);
    cr_assert_eq(n, 3);
    cr_assert_str_eq(runs[0].id, ids[0]);
    cr_assert_str_eq(runs[1].id, ids[2]);
    cr_assert_str_eq(runs[2].id, ids[4]);
    cr_assert_eq(runs[2].state, RUN_SUBMITTED);
    run_rec_array_free(runs, n);
    cr_assert_eq(store_run_count_active(fx_store), 3);
}

/* ---- paging ---------------------------------------------------------------------------------- */

/* 23 runs: recipe "a" for even i, "b" for odd; run i ends in state states_of[i % 4]. */
static char paged_ids[23][AIFB_ID_LEN + 1];
static const run_state states_of[4] = {RUN_PENDING, RUN_SUBMITTED, RUN_FAILED, RUN_CANCELLED};

static void fill_paged(void)
{
    for (int i = 0; i < 23; i++) {
        store_fixture_insert_run(i % 2 ? "b" : "a", paged_ids[i]);
        run_state want = states_of[i % 4];
        if (want == RUN_SUBMITTED)
            store_fixture_move_run(paged_ids[i], RUN_SUBMITTED);
        else if (want != RUN_PENDING)
            store_fixture_move_run(paged_ids[i], want);
    }
}

static bool matches(int i, const run_state *states, size_t nstates, const char *recipe)
{
    if (recipe && strcmp(recipe, i % 2 ? "b" : "a") != 0)
        return false;
    for (size_t k = 0; k < nstates; k++)
        if (states[k] == states_of[i % 4])
            return true;
    return nstates == 0;
}

/* Pages through a filter with the given page size; checks every matching run is seen exactly
 * once, newest first, and nothing else. */
static void check_paging(const run_state *states, size_t nstates, const char *recipe, int page)
{
    run_filter f = {.states = states, .nstates = nstates, .recipe = recipe, .page_size = page};
    char *token = NULL;
    int expect = 22; /* index of the next run the pages should yield, newest first */
    int pages = 0;
    do {
        f.page_token = token;
        run_rec *runs = NULL;
        size_t n = 0;
        char *next = NULL;
        aifb_err err = {0};
        cr_assert_eq(store_run_list(fx_store, &f, &runs, &n, &next, &err), AIFB_OK, "%s", err.msg);
        cr_assert_leq(n, (size_t)page);
        for (size_t k = 0; k < n; k++) {
            while (expect >= 0 && !matches(expect, states, nstates, recipe))
                expect--;
            cr_assert_geq(expect, 0, "more runs listed than match");
            cr_assert_str_eq(runs[k].id, paged_ids[expect], "page %d item %zu", pages, k);
            expect--;
        }
        run_rec_array_free(runs, n);
        free(token);
        token = next;
        pages++;
        cr_assert_lt(pages, 100, "paging does not end");
        if (token)
            cr_assert_eq(n, (size_t)page, "a short page that is not the last");
    } while (token);
    while (expect >= 0 && !matches(expect, states, nstates, recipe))
        expect--;
    cr_assert_lt(expect, 0, "run %d was never listed", expect);
}

Test(store_runs, paging_visits_every_run_once_newest_first_with_and_without_filters,
     .init = store_fixture_setup, .fini = store_fixture_teardown)
{
    fill_paged();
    const run_state failed[] = {RUN_FAILED};
    const run_state two[] = {RUN_CANCELLED, RUN_PENDING};
    const run_state dup[] = {RUN_SUBMITTED, RUN_SUBMITTED};
    const run_state all[] = {1, 2, 3, 4, 5, 6, 7, 8};
    const run_state none_stored[] = {RUN_RUNNING};
    int sizes[] = {1, 2, 5, 6, 23, 50};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        check_paging(NULL, 0, NULL, sizes[i]);
        check_paging(failed, 1, NULL, sizes[i]);
        check_paging(two, 2, NULL, sizes[i]);
        check_paging(dup, 2, NULL, sizes[i]);
        check_paging(all, 8, NULL, sizes[i]);
        check_paging(none_stored, 1, NULL, sizes[i]);
        check_paging(NULL, 0, "a", sizes[i]);
        check_paging(NULL, 0, "missing", sizes[i]);
        check_paging(two, 2, "b", sizes[i]);
        check_paging(failed, 1, "a", sizes[i]);
    }
}

Test(store_runs, the_page_size_defaults_to_50_and_is_capped_at_1000, .init = store_fixture_setup,
     .fini = store_fixture_teardown)
{
    run_rec many[1001];
    for (int i = 0; i < 1001; i++)
        many[i] = store_fixture_run("a", NULL, 0);
    aifb_err err = {0};
    cr_assert_eq(store_run_insert_many(fx_store, many, 1001, &err), AIFB_OK, "%s", err.msg);
    cr_assert_eq(store_last_seq(fx_store), 1001);
    int sizes[] = {0, -3, 5000};
    size_t want[] = {50, 50, 1000};
    for (int i = 0; i < 3; i++) {
        run_filter f = {.page_size = sizes[i]};
        run_rec *runs = NULL;
        size_t n = 0;
        char *next = NULL;
        cr_assert_eq(store_run_list(fx_store, &f, &runs, &n, &next, &err), AIFB_OK);
        cr_assert_eq(n, want[i], "page_size %d gave %zu runs", sizes[i], n);
        cr_assert_not_null(next);
        cr_assert_str_eq(runs[0].id, many[1000].id);
        run_rec_array_free(runs, n);
        free(next);
    }
}

Test(store_runs, a_malformed_page_token_or_an_unknown_state_is_refused, .init = store_fixture_setup,
     .fini = store_fixture_teardown)
{
    char id[AIFB_ID_LEN + 1];
    store_fixture_insert_run("a", id);
    const char *bad[] = {"x12", "k", "k0", "k-5", "k12z", "12", "k99999999999999999999", " k1"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        run_filter f = {.page_token = bad[i]};
        run_rec *runs = NULL;
        size_t n = 7;
        char *next = NULL;
        aifb_err err = {0};
        cr_assert_eq(store_run_list(fx_store, &f, &runs, &n, &next, &err), AIFB_EINVAL,
                     "token \"%s\" accepted", bad[i]);
        cr_assert(strstr(err.msg, "invalid page_token"), "message: %s", err.msg);
        cr_assert(strstr(err.msg, bad[i]), "message does not name the token: %s", err.msg);
        cr_assert_eq(n, 0);
        cr_assert_null(runs);
        cr_assert_null(next);
    }
    const run_state unknown[] = {RUN_RUNNING, (run_state)9};
    run_filter f = {.states = unknown, .nstates = 2};
    run_rec *runs = NULL;
    size_t n = 0;
    char *next = NULL;
    aifb_err err = {0};
    cr_assert_eq(store_run_list(fx_store, &f, &runs, &n, &next, &err), AIFB_EINVAL);
    cr_assert(strstr(err.msg, "9"), "message: %s", err.msg);
}

Test(store_runs, a_null_filter_lists_the_first_page_of_everything, .init = store_fixture_setup,
     .fini = store_fixture_teardown)
{
    char a[AIFB_ID_LEN + 1], b[AIFB_ID_LEN + 1];
    store_fixture_insert_run("x", a);
    store_fixture_insert_run("y", b);
    run_rec *runs = NULL;
    size_t n = 0;
    char *next = (char *)"sentinel";
    cr_assert_eq(store_run_list(fx_store, NULL, &runs, &n, &next, NULL), AIFB_OK);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(runs[0].id, b);
    cr_assert_str_eq(runs[1].id, a);
    cr_assert_null(next, "no next page after the last");
    run_rec_array_free(runs, n);
}
