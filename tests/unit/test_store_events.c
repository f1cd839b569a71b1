/* test_store_events.c: the event log as Watch reads it, and long-lived services. */
#include "test_store_fixture.h"

#include <criterion/criterion.h>
#include <string.h>

Test(store_events, events_after_a_seq_come_in_order_for_everything_or_for_one_subject,
     .init = store_fixture_setup, .fini = store_fixture_teardown)
{
    char a[AIFB_ID_LEN + 1], b[AIFB_ID_LEN + 1], s[AIFB_ID_LEN + 1];
    store_fixture_insert_run("redis-bench", a); /* seq 1 */
    store_fixture_insert_run("pgbench", b);     /* seq 2 */
    store_fixture_move_run(a, RUN_SUBMITTED);   /* seq 3 */
    store_fixture_insert_service("vllm", s);    /* seq 4 */
    store_fixture_move_run(b, RUN_CANCELLED);   /* seq 5 */
    store_fixture_move_run(a, RUN_RUNNING);     /* seq 6 */
    cr_assert_eq(store_last_seq(fx_store), 6);

    event_rec *ev = NULL;
    size_t n = 0;
    aifb_err err = {0};
    cr_assert_eq(store_events_after(fx_store, 0, NULL, 0, &ev, &n, &err), AIFB_OK, "%s", err.msg);
    cr_assert_eq(n, 6);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(ev[i].seq, i + 1);
    cr_assert_eq(ev[3].kind, EVENT_SERVICE_STATE);
    cr_assert_str_eq(ev[3].subject_id, s);
    cr_assert_str_eq(ev[3].recipe, "vllm");
    cr_assert_str_eq(ev[4].from_state, "PENDING");
    cr_assert_str_eq(ev[4].to_state, "CANCELLED");
    cr_assert_str_eq(ev[4].reason, "test");
    cr_assert_str_eq(ev[4].recipe, "pgbench");
    cr_assert_gt(ev[4].time_ms, 0);
    event_rec_array_free(ev, n);

    cr_assert_eq(store_events_after(fx_store, 3, NULL, 2, &ev, &n, &err), AIFB_OK);
    cr_assert_eq(n, 2, "limit 2 gave %zu", n);
    cr_assert_eq(ev[0].seq, 4);
    cr_assert_eq(ev[1].seq, 5);
    event_rec_array_free(ev, n);

    cr_assert_eq(store_events_after(fx_store, 0, a, 0, &ev, &n, &err), AIFB_OK);
    cr_assert_eq(n, 3);
    const char *to[] = {"PENDING", "SUBMITTED", "RUNNING"};
    const uint64_t seqs[] = {1, 3, 6};
    for (size_t i = 0; i < 3; i++) {
        cr_assert_str_eq(ev[i].subject_id, a);
        cr_assert_str_eq(ev[i].to_state, to[i]);
        cr_assert_eq(ev[i].seq, seqs[i]);
    }
    event_rec_array_free(ev, n);

    cr_assert_eq(store_events_after(fx_store, 3, a, 0, &ev, &n, &err), AIFB_OK);
    cr_assert_eq(n, 1);
    cr_assert_eq(ev[0].seq, 6);
    event_rec_array_free(ev, n);

    cr_assert_eq(store_events_after(fx_store, 6, NULL, 0, &ev, &n, &err), AIFB_OK);
    cr_assert_eq(n, 0);
    cr_assert_null(ev);
    cr_assert_eq(store_events_after(fx_store, 0, "r-aaaaaaaaaaaa", 0, &ev, &n, &err), AIFB_OK);
    cr_assert_eq(n, 0);
}

Test(store_events, the_last_seq_survives_reopening_and_is_never_reused, .init = store_fixture_setup,
     .fini = store_fixture_teardown)
{
    cr_assert_eq(store_last_seq(fx_store), 0, "a new store has no events");
    char a[AIFB_ID_LEN + 1];
    store_fixture_insert_run("redis-bench", a);
    store_fixture_move_run(a, RUN_SUBMITTED);
    store_fixture_move_run(a, RUN_FAILED);
    cr_assert_eq(store_last_seq(fx_store), 3);
    store_fixture_reopen();
    cr_assert_eq(store_last_seq(fx_store), 3);
    char b[AIFB_ID_LEN + 1];
    store_fixture_insert_run("redis-bench", b);
    cr_assert_eq(store_last_seq(fx_store), 4);
}

Test(store_events, a_transition_hands_back_the_event_it_stored, .init = store_fixture_setup,
     .fini = store_fixture_teardown)
{
    char a[AIFB_ID_LEN + 1];
    store_fixture_insert_run("redis-bench", a);
    event_rec ev = {0};
    aifb_err err = {0};
    cr_assert_eq(store_run_transition(fx_store, a, RUN_CANCELLED, "stopped by \"ops\"", &ev, &err),
                 AIFB_OK);
    event_rec *stored = NULL;
    size_t n = 0;
    cr_assert_eq(store_events_after(fx_store, ev.seq - 1, NULL, 1, &stored, &n, &err), AIFB_OK);
    cr_assert_eq(n, 1);
    cr_assert_eq(stored[0].seq, ev.seq);
    cr_assert_eq(stored[0].time_ms, ev.time_ms);
    cr_assert_str_eq(stored[0].reason, ev.reason);
    cr_assert_str_eq(stored[0].reason, "stopped by \"ops\"");
    cr_assert_str_eq(stored[0].from_state, ev.from_state);
    cr_assert_str_eq(stored[0].to_state, ev.to_state);
    event_rec_array_free(stored, n);
    event_rec_free(&ev);
}

/* ---- services -------------------------------------------------------------------------------- */

Test(store_events, a_service_comes_back_as_stored_and_updates_change_what_they_name,
     .init = store_fixture_setup, .fini = store_fixture_teardown)
{
    kv params[] = {{"model", "Qwen/Qwen2.5 \"0.5B\""}, {"gpus", "1"}};
    service_rec in = {0};
    aifb_id_new('s', in.id);
    in.recipe = "vllm";
    in.params = params;
    in.nparams = 2;
    in.executor = "slurm-rest";
    aifb_err err = {0};
    event_rec ev = {0};
    cr_assert_eq(store_service_insert(fx_store, &in, &ev, &err), AIFB_OK, "%s", err.msg);
    cr_assert_eq(ev.kind, EVENT_SERVICE_STATE);
    cr_assert_str_eq(ev.to_state, "PENDING");
    event_rec_free(&ev);
    service_update u = {.endpoint = "mel2001:8000", .handles = "job 123"};
    cr_assert_eq(store_service_update(fx_store, in.id, &u, &err), AIFB_OK, "%s", err.msg);
    service_rec out;
    cr_assert_eq(store_service_get(fx_store, in.id, &out, &err), AIFB_OK, "%s", err.msg);
    cr_assert_str_eq(out.recipe, "vllm");
    cr_assert_eq(out.state, SVC_PENDING);
    cr_assert_eq(out.nparams, 2);
    cr_assert_str_eq(out.params[0].value, "Qwen/Qwen2.5 \"0.5B\"");
    cr_assert_str_eq(out.params[1].name, "gpus");
    cr_assert_str_eq(out.executor, "slurm-rest");
    cr_assert_str_eq(out.endpoint, "mel2001:8000");
    cr_assert_str_eq(out.handles, "job 123");
    cr_assert_str_eq(out.service_dir, "");
    cr_assert_eq(out.ended_at_ms, 0);
    service_rec_free(&out);
    cr_assert_eq(store_service_update(fx_store, "s-abcdefabcdef", &u, &err), AIFB_ENOTFOUND);
    cr_assert_eq(store_service_get(fx_store, "s-abcdefabcdef", &out, &err), AIFB_ENOTFOUND);
    cr_assert_str_eq(err.msg, "service s-abcdefabcdef not found");
    snprintf(in.id, sizeof in.id, "r-0123456789ab");
    cr_assert_eq(store_service_insert(fx_store, &in, NULL, &err), AIFB_EINVAL,
                 "a run id was accepted for a service");
}

Test(store_events, service_lists_are_newest_first_and_hide_ended_ones_unless_asked,
     .init = store_fixture_setup, .fini = store_fixture_teardown)
{
    char ids[3][AIFB_ID_LEN + 1];
    for (int i = 0; i < 3; i++)
        store_fixture_insert_service("redis", ids[i]);
    aifb_err err = {0};
    cr_assert_eq(store_service_transition(fx_store, ids[1], SVC_STOPPED, "asked", NULL, &err),
                 AIFB_OK);
    service_rec *list = NULL;
    size_t n = 0;
    cr_assert_eq(store_service_list(fx_store, true, &list, &n, &err), AIFB_OK, "%s", err.msg);
    cr_assert_eq(n, 3);
    cr_assert_str_eq(list[0].id, ids[2]);
    cr_assert_str_eq(list[2].id, ids[0]);
    cr_assert_eq(list[1].state, SVC_STOPPED);
    cr_assert_gt(list[1].ended_at_ms, 0);
    service_rec_array_free(list, n);
    cr_assert_eq(store_service_list(fx_store, false, &list, &n, &err), AIFB_OK);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(list[0].id, ids[2]);
    cr_assert_str_eq(list[1].id, ids[0]);
    service_rec_array_free(list, n);
    cr_assert_eq(store_service_list_unfinished(fx_store, &list, &n, &err), AIFB_OK);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(list[0].id, ids[0], "unfinished services come oldest first");
    cr_assert_str_eq(list[1].id, ids[2]);
    service_rec_array_free(list, n);
}
