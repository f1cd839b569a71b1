/* test_store_threads.c: four threads inserting and moving runs at once lose nothing: every run,
 * every move and every event is there afterwards, with sequence numbers 1..N and no gap. */
#include "test_store_fixture.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <string.h>

#define THREADS         4
#define RUNS_PER_THREAD 100

typedef struct worker {
    char ids[RUNS_PER_THREAD][AIFB_ID_LEN + 1];
    int failures;
    uint64_t max_seq_seen;
} worker;

/* Each run goes PENDING -> SUBMITTED -> RUNNING -> SUCCEEDED: four events. Readers in the
 * middle (get, list, last_seq) run against the writers of the other threads. */
static void *worker_main(void *arg)
{
    worker *w = arg;
    const run_state path[] = {RUN_SUBMITTED, RUN_RUNNING, RUN_SUCCEEDED};
    for (int i = 0; i < RUNS_PER_THREAD; i++) {
        run_rec r = store_fixture_run("redis-bench", NULL, 0);
        memcpy(w->ids[i], r.id, sizeof r.id);
        if (store_run_insert(fx_store, &r, NULL, NULL) != AIFB_OK)
            w->failures++;
        for (int k = 0; k < 3; k++) {
            event_rec ev = {0};
            if (store_run_transition(fx_store, r.id, path[k], "", &ev, NULL) != AIFB_OK) {
                w->failures++;
                continue;
            }
            if (ev.seq <= w->max_seq_seen)
                w->failures++; /* one thread's own events must have increasing seq */
            w->max_seq_seen = ev.seq;
            event_rec_free(&ev);
        }
        run_rec got;
        if (store_run_get(fx_store, r.id, &got, NULL) != AIFB_OK || got.state != RUN_SUCCEEDED)
            w->failures++;
        run_rec_free(&got);
        if (store_last_seq(fx_store) < w->max_seq_seen)
            w->failures++;
    }
    return NULL;
}

Test(store_threads, four_threads_inserting_and_moving_runs_lose_nothing,
     .init = store_fixture_setup, .fini = store_fixture_teardown)
{
    static worker workers[THREADS];
    pthread_t threads[THREADS];
    for (int t = 0; t < THREADS; t++)
        cr_assert_eq(pthread_create(&threads[t], NULL, worker_main, &workers[t]), 0);
    for (int t = 0; t < THREADS; t++)
        pthread_join(threads[t], NULL);
    for (int t = 0; t < THREADS; t++)
        cr_assert_eq(workers[t].failures, 0, "thread %d saw %d failures", t, workers[t].failures);

    const uint64_t total_events = THREADS * RUNS_PER_THREAD * 4;
    cr_assert_eq(store_last_seq(fx_store), total_events);
    event_rec *ev = NULL;
    size_t n = 0;
    aifb_err err = {0};
    cr_assert_eq(store_events_after(fx_store, 0, NULL, 0, &ev, &n, &err), AIFB_OK, "%s", err.msg);
    cr_assert_eq(n, total_events);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(ev[i].seq, i + 1, "gap in the sequence at %zu", i);
    event_rec_array_free(ev, n);

    run_filter f = {.page_size = 1000};
    run_rec *runs = NULL;
    char *next = NULL;
    cr_assert_eq(store_run_list(fx_store, &f, &runs, &n, &next, &err), AIFB_OK);
    cr_assert_eq(n, THREADS * RUNS_PER_THREAD);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(runs[i].state, RUN_SUCCEEDED);
    run_rec_array_free(runs, n);
    cr_assert_eq(store_run_count_active(fx_store), 0);
    for (int t = 0; t < THREADS; t++)
        for (int i = 0; i < RUNS_PER_THREAD; i++) {
            event_rec *mine = NULL;
            cr_assert_eq(store_events_after(fx_store, 0, workers[t].ids[i], 0, &mine, &n, NULL),
                         AIFB_OK);
            cr_assert_eq(n, 4, "run %s has %zu events", workers[t].ids[i], n);
            event_rec_array_free(mine, n);
        }
}

/* Two threads race to end the same runs: exactly one wins each race, the other is told the run
 * has already left the state it saw. */
typedef struct racer {
    char (*ids)[AIFB_ID_LEN + 1];
    run_state to;
    int wins, refusals, other;
} racer;

static void *racer_main(void *arg)
{
    racer *r = arg;
    for (int i = 0; i < RUNS_PER_THREAD; i++) {
        aifb_code rc = store_run_transition(fx_store, r->ids[i], r->to, "", NULL, NULL);
        if (rc == AIFB_OK)
            r->wins++;
        else if (rc == AIFB_EPRECONDITION)
            r->refusals++;
        else
            r->other++;
    }
    return NULL;
}

Test(store_threads, two_threads_ending_the_same_run_cannot_both_win, .init = store_fixture_setup,
     .fini = store_fixture_teardown)
{
    static char ids[RUNS_PER_THREAD][AIFB_ID_LEN + 1];
    for (int i = 0; i < RUNS_PER_THREAD; i++) {
        store_fixture_insert_run("redis-bench", ids[i]);
        store_fixture_move_run(ids[i], RUN_SUBMITTED);
        store_fixture_move_run(ids[i], RUN_RUNNING);
    }
    racer a = {.ids = ids, .to = RUN_CANCELLED}, b = {.ids = ids, .to = RUN_FAILED};
    pthread_t ta, tb;
    pthread_create(&ta, NULL, racer_main, &a);
    pthread_create(&tb, NULL, racer_main, &b);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    cr_assert_eq(a.other + b.other, 0);
    cr_assert_eq(a.wins + b.wins, RUNS_PER_THREAD);
    cr_assert_eq(a.refusals + b.refusals, RUNS_PER_THREAD);
    cr_assert_eq(store_last_seq(fx_store), RUNS_PER_THREAD * 4);
}
