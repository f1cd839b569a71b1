/* test_store_state.c: the run and service state machines, alone and as the store enforces them.
 *
 * The allowed moves are written here a second time, as text, independently of the bit tables in
 * run_state.c; every cell of the 8x8 run matrix and the 6x6 service matrix is checked against
 * them, first on the pure functions, then through the store on a real database. */
#include "test_store_fixture.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "store/run_state.h"

static const char *const run_allowed[] = {
    "PENDING>SUBMITTED",  "PENDING>FAILED",     "PENDING>CANCELLED",  "SUBMITTED>STARTING",
    "SUBMITTED>RUNNING",  "SUBMITTED>STOPPING", "SUBMITTED>FAILED",   "SUBMITTED>CANCELLED",
    "STARTING>RUNNING",   "STARTING>STOPPING",  "STARTING>FAILED",    "STARTING>CANCELLED",
    "RUNNING>STOPPING",   "RUNNING>SUCCEEDED",  "RUNNING>FAILED",     "RUNNING>CANCELLED",
    "STOPPING>SUCCEEDED", "STOPPING>FAILED",    "STOPPING>CANCELLED",
};

static const char *const service_allowed[] = {
    "PENDING>STARTING",  "PENDING>FAILED",  "PENDING>STOPPED",  "STARTING>READY",
    "STARTING>STOPPING", "STARTING>FAILED", "STARTING>STOPPED", "READY>STOPPING",
    "READY>FAILED",      "READY>STOPPED",   "STOPPING>STOPPED", "STOPPING>FAILED",
};

static const char *const run_names[] = {"",         "PENDING",   "SUBMITTED", "STARTING", "RUNNING",
                                        "STOPPING", "SUCCEEDED", "FAILED",    "CANCELLED"};
static const char *const service_names[] = {"",         "PENDING", "STARTING", "READY",
                                            "STOPPING", "STOPPED", "FAILED"};

static bool listed(const char *const *table, size_t n, const char *from, const char *to)
{
    char cell[64];
    snprintf(cell, sizeof cell, "%s>%s", from, to);
    for (size_t i = 0; i < n; i++)
        if (strcmp(table[i], cell) == 0)
            return true;
    return false;
}

static bool run_expected(int from, int to)
{
    return listed(run_allowed, sizeof run_allowed / sizeof *run_allowed, run_names[from],
                  run_names[to]);
}

static bool service_expected(int from, int to)
{
    return listed(service_allowed, sizeof service_allowed / sizeof *service_allowed,
                  service_names[from], service_names[to]);
}

/* ---- names ----------------------------------------------------------------------------------- */

Test(store_state, every_run_state_has_its_proto_name_and_parses_back_in_three_spellings)
{
    for (int s = RUN_PENDING; s <= RUN_CANCELLED; s++) {
        cr_assert_str_eq(run_state_name((run_state)s), run_names[s]);
        char lower[32], prefixed[48];
        size_t i = 0;
        for (; run_names[s][i]; i++)
            lower[i] = (char)(run_names[s][i] | 0x20);
        lower[i] = '\0';
        snprintf(prefixed, sizeof prefixed, "RUN_STATE_%s", run_names[s]);
        const char *spellings[] = {run_names[s], lower, prefixed};
        for (size_t k = 0; k < 3; k++) {
            run_state got = 0;
            cr_assert(run_state_parse(spellings[k], &got), "\"%s\" not parsed", spellings[k]);
            cr_assert_eq((int)got, s, "\"%s\" parsed as %d", spellings[k], (int)got);
        }
    }
}

Test(store_state, every_service_state_has_its_proto_name_and_parses_back_in_three_spellings)
{
    for (int s = SVC_PENDING; s <= SVC_FAILED; s++) {
        cr_assert_str_eq(service_state_name((service_state)s), service_names[s]);
        char lower[32], prefixed[48];
        size_t i = 0;
        for (; service_names[s][i]; i++)
            lower[i] = (char)(service_names[s][i] | 0x20);
        lower[i] = '\0';
        snprintf(prefixed, sizeof prefixed, "SERVICE_STATE_%s", service_names[s]);
        const char *spellings[] = {service_names[s], lower, prefixed};
        for (size_t k = 0; k < 3; k++) {
            service_state got = 0;
            cr_assert(service_state_parse(spellings[k], &got), "\"%s\" not parsed", spellings[k]);
            cr_assert_eq((int)got, s);
        }
    }
}

Test(store_state, words_that_are_not_states_do_not_parse_and_leave_the_output_alone)
{
    const char *bad[] = {"",
                         "RUN_STATE_",
                         "RUNNINGX",
                         "RUN",
                         "UNSPECIFIED",
                         "RUN_STATE_READY",
                         "SERVICE_STATE_RUNNING",
                         " RUNNING"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        run_state r = RUN_RUNNING;
        cr_assert_not(run_state_parse(bad[i], &r), "\"%s\" parsed as a run state", bad[i]);
        cr_assert_eq(r, RUN_RUNNING);
    }
    run_state r = RUN_RUNNING;
    cr_assert_not(run_state_parse(NULL, &r));
    service_state s = SVC_READY;
    cr_assert_not(service_state_parse("RUNNING", &s));
    cr_assert_not(service_state_parse("SERVICE_STATE_", &s));
    cr_assert_eq(s, SVC_READY);
    cr_assert_str_eq(run_state_name((run_state)0), "UNKNOWN");
    cr_assert_str_eq(service_state_name((service_state)7), "UNKNOWN");
}

Test(store_state, exactly_succeeded_failed_cancelled_end_a_run_and_stopped_failed_a_service)
{
    for (int s = RUN_PENDING; s <= RUN_CANCELLED; s++)
        cr_assert_eq(run_state_is_final((run_state)s), s >= RUN_SUCCEEDED, "%s", run_names[s]);
    for (int s = SVC_PENDING; s <= SVC_FAILED; s++)
        cr_assert_eq(service_state_is_final((service_state)s), s >= SVC_STOPPED, "%s",
                     service_names[s]);
}

/* ---- the pure matrices ----------------------------------------------------------------------- */

Test(store_state, the_run_machine_allows_exactly_the_documented_moves)
{
    for (int from = 0; from <= 9; from++)
        for (int to = 0; to <= 9; to++) {
            bool in_range = from >= 1 && from <= 8 && to >= 1 && to <= 8;
            bool want = in_range && run_expected(from, to);
            cr_assert_eq(run_state_can_move((run_state)from, (run_state)to), want,
                         "%d -> %d should be %s", from, to, want ? "allowed" : "refused");
        }
}

Test(store_state, the_service_machine_allows_exactly_the_documented_moves)
{
    for (int from = 0; from <= 7; from++)
        for (int to = 0; to <= 7; to++) {
            bool in_range = from >= 1 && from <= 6 && to >= 1 && to <= 6;
            bool want = in_range && service_expected(from, to);
            cr_assert_eq(service_state_can_move((service_state)from, (service_state)to), want,
                         "%d -> %d should be %s", from, to, want ? "allowed" : "refused");
        }
}

/* ---- the matrices through the store ---------------------------------------------------------- */

/* Allowed paths from PENDING to each state, to put a fresh record there. */
static const run_state run_paths[9][4] = {
    [RUN_PENDING] = {0},
    [RUN_SUBMITTED] = {RUN_SUBMITTED},
    [RUN_STARTING] = {RUN_SUBMITTED, RUN_STARTING},
    [RUN_RUNNING] = {RUN_SUBMITTED, RUN_RUNNING},
    [RUN_STOPPING] = {RUN_SUBMITTED, RUN_STOPPING},
    [RUN_SUCCEEDED] = {RUN_SUBMITTED, RUN_RUNNING, RUN_SUCCEEDED},
    [RUN_FAILED] = {RUN_FAILED},
    [RUN_CANCELLED] = {RUN_CANCELLED},
};
static const service_state service_paths[7][3] = {
    [SVC_PENDING] = {0},
    [SVC_STARTING] = {SVC_STARTING},
    [SVC_READY] = {SVC_STARTING, SVC_READY},
    [SVC_STOPPING] = {SVC_STARTING, SVC_STOPPING},
    [SVC_STOPPED] = {SVC_STOPPED},
    [SVC_FAILED] = {SVC_FAILED},
};

static size_t events_of(const char *id, uint64_t after)
{
    event_rec *ev = NULL;
    size_t n = 0;
    aifb_err err = {0};
    cr_assert_eq(store_events_after(fx_store, after, id, 0, &ev, &n, &err), AIFB_OK, "%s", err.msg);
    event_rec_array_free(ev, n);
    return n;
}

/* One cell of the run matrix: a run in `from` is asked to go to `to`. */
static void check_run_cell(int from, int to)
{
    char id[AIFB_ID_LEN + 1];
    store_fixture_insert_run("redis-bench", id);
    for (int i = 0; i < 4 && run_paths[from][i]; i++)
        store_fixture_move_run(id, run_paths[from][i]);
    uint64_t before = store_last_seq(fx_store);
    aifb_err err = {0};
    event_rec ev = {0};
    aifb_code rc = store_run_transition(fx_store, id, (run_state)to, "cell", &ev, &err);
    run_rec r;
    cr_assert_eq(store_run_get(fx_store, id, &r, NULL), AIFB_OK);
    if (run_expected(from, to)) {
        cr_assert_eq(rc, AIFB_OK, "%s -> %s refused: %s", run_names[from], run_names[to], err.msg);
        cr_assert_eq((int)r.state, to);
        cr_assert_eq(ev.seq, before + 1, "the move's event has seq %llu after %llu",
                     (unsigned long long)ev.seq, (unsigned long long)before);
        cr_assert_str_eq(ev.from_state, run_names[from]);
        cr_assert_str_eq(ev.to_state, run_names[to]);
        cr_assert_eq(store_last_seq(fx_store), before + 1);
        cr_assert_eq(events_of(id, before), 1);
        cr_assert_eq(r.ended_at_ms > 0, to >= RUN_SUCCEEDED, "ended_at %lld after %s",
                     (long long)r.ended_at_ms, run_names[to]);
        event_rec_free(&ev);
    } else {
        cr_assert_eq(rc, AIFB_EPRECONDITION, "%s -> %s gave %d", run_names[from], run_names[to],
                     rc);
        char want[96];
        snprintf(want, sizeof want, "run %s cannot go from %s to %s", id, run_names[from],
                 run_names[to]);
        cr_assert_str_eq(err.msg, want);
        cr_assert_eq((int)r.state, from, "a refused move changed the state");
        cr_assert_eq(store_last_seq(fx_store), before, "a refused move wrote an event");
        cr_assert_eq(events_of(id, before), 0);
    }
    run_rec_free(&r);
}

Test(store_state, the_store_makes_every_allowed_run_move_and_refuses_every_other_naming_both,
     .init = store_fixture_setup, .fini = store_fixture_teardown)
{
    for (int from = RUN_PENDING; from <= RUN_CANCELLED; from++)
        for (int to = RUN_PENDING; to <= RUN_CANCELLED; to++)
            check_run_cell(from, to);
}

static void check_service_cell(int from, int to)
{
    char id[AIFB_ID_LEN + 1];
    store_fixture_insert_service("vllm", id);
    aifb_err err = {0};
    for (int i = 0; i < 3 && service_paths[from][i]; i++)
        cr_assert_eq(store_service_transition(fx_store, id, service_paths[from][i], "", NULL, &err),
                     AIFB_OK, "%s", err.msg);
    uint64_t before = store_last_seq(fx_store);
    aifb_code rc = store_service_transition(fx_store, id, (service_state)to, "cell", NULL, &err);
    service_rec r;
    cr_assert_eq(store_service_get(fx_store, id, &r, NULL), AIFB_OK);
    if (service_expected(from, to)) {
        cr_assert_eq(rc, AIFB_OK, "%s -> %s refused: %s", service_names[from], service_names[to],
                     err.msg);
        cr_assert_eq((int)r.state, to);
        cr_assert_eq(store_last_seq(fx_store), before + 1);
        cr_assert_eq(events_of(id, before), 1);
        cr_assert_eq(r.ended_at_ms > 0, to >= SVC_STOPPED);
    } else {
        cr_assert_eq(rc, AIFB_EPRECONDITION, "%s -> %s gave %d", service_names[from],
                     service_names[to], rc);
        char want[96];
        snprintf(want, sizeof want, "service %s cannot go from %s to %s", id, service_names[from],
                 service_names[to]);
        cr_assert_str_eq(err.msg, want);
        cr_assert_eq((int)r.state, from);
        cr_assert_eq(store_last_seq(fx_store), before);
    }
    service_rec_free(&r);
}

Test(store_state, the_store_makes_every_allowed_service_move_and_refuses_every_other_naming_both,
     .init = store_fixture_setup, .fini = store_fixture_teardown)
{
    for (int from = SVC_PENDING; from <= SVC_FAILED; from++)
        for (int to = SVC_PENDING; to <= SVC_FAILED; to++)
            check_service_cell(from, to);
}

Test(store_state, moving_a_run_that_does_not_exist_is_not_found, .init = store_fixture_setup,
     .fini = store_fixture_teardown)
{
    aifb_err err = {0};
    cr_assert_eq(store_run_transition(fx_store, "r-000000000000", RUN_SUBMITTED, "", NULL, &err),
                 AIFB_ENOTFOUND);
    cr_assert(strstr(err.msg, "r-000000000000"), "message: %s", err.msg);
    cr_assert_eq(store_service_transition(fx_store, "s-000000000000", SVC_READY, "", NULL, &err),
                 AIFB_ENOTFOUND);
    cr_assert_eq(store_last_seq(fx_store), 0);
}
