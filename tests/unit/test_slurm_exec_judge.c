/* test_slurm_exec_judge.c: how the Slurm executor judges a run from its service and client jobs
 * (exec_slurm_judge, a pure function): every job state against the phases a run goes through,
 * the reasons a user reads, and what the executor is asked to do next (cancel the other job,
 * read the endpoint). No network: the views are written by hand as a listing would fill them. */
#include <criterion/criterion.h>
#include <string.h>

#include "slurm/exec_slurm.h"

static exec_slurm_jobview job(int64_t id, slurm_job_state state)
{
    return (exec_slurm_jobview){.id = id, .exists = true, .listed = true, .state = state};
}

static exec_slurm_jobview ended(int64_t id, slurm_job_state state, int code, int sig)
{
    exec_slurm_jobview j = job(id, state);
    j.exit_code = code;
    j.exit_signal = sig;
    return j;
}

/* A whole benchmark: service job 10, client job 11. */
static exec_slurm_view run(slurm_job_state svc, slurm_job_state cli, bool endpoint)
{
    return (exec_slurm_view){.service = job(10, svc),
                             .client = job(11, cli),
                             .endpoint_known = endpoint,
                             .endpoint = endpoint ? "node1:23456" : NULL};
}

static exec_slurm_verdict judge(exec_slurm_view v)
{
    exec_slurm_verdict out;
    exec_slurm_judge(&v, &out);
    return out;
}

Test(slurm_exec_judge, both_jobs_waiting_in_the_queue_is_submitted)
{
    exec_slurm_verdict v = judge(run(SLURM_JOB_PENDING, SLURM_JOB_PENDING, false));
    cr_assert_eq(v.phase, EXEC_SUBMITTED);
    cr_assert(strstr(v.reason, "service job 10 is waiting in the queue"), "%s", v.reason);
    cr_assert_not(v.read_endpoint || v.cancel_client || v.cancel_service);
}

Test(slurm_exec_judge, a_job_not_yet_in_a_listing_counts_as_queued)
{
    exec_slurm_view r = run(SLURM_JOB_PENDING, SLURM_JOB_PENDING, false);
    r.service.listed = r.client.listed = false;
    cr_assert_eq(judge(r).phase, EXEC_SUBMITTED);
}

Test(slurm_exec_judge, a_running_service_without_endpoint_is_starting_and_its_endpoint_is_read)
{
    exec_slurm_verdict v = judge(run(SLURM_JOB_RUNNING, SLURM_JOB_RUNNING, false));
    cr_assert_eq(v.phase, EXEC_STARTING);
    cr_assert(v.read_endpoint, "the endpoint file is read while the service job runs");
}

Test(slurm_exec_judge, a_published_endpoint_and_a_running_client_is_running)
{
    exec_slurm_verdict v = judge(run(SLURM_JOB_RUNNING, SLURM_JOB_RUNNING, true));
    cr_assert_eq(v.phase, EXEC_RUNNING);
    cr_assert(strstr(v.reason, "node1:23456"), "%s", v.reason);
    cr_assert_not(v.read_endpoint);
}

Test(slurm_exec_judge, a_ready_service_whose_client_still_queues_is_starting)
{
    exec_slurm_verdict v = judge(run(SLURM_JOB_RUNNING, SLURM_JOB_PENDING, true));
    cr_assert_eq(v.phase, EXEC_STARTING);
    cr_assert(strstr(v.reason, "client job 11 is waiting in the queue"), "%s", v.reason);
}

Test(slurm_exec_judge, a_client_that_completed_stops_the_service_then_the_run_succeeds)
{
    exec_slurm_view r = run(SLURM_JOB_RUNNING, SLURM_JOB_COMPLETED, true);
    exec_slurm_verdict v = judge(r);
    cr_assert_eq(v.phase, EXEC_STOPPING);
    cr_assert(v.cancel_service, "the service job is cancelled once the client is done");
    cr_assert_eq(v.exit_code, 0);
    r.service = ended(10, SLURM_JOB_CANCELLED, 0, 15);
    v = judge(r);
    cr_assert_eq(v.phase, EXEC_SUCCEEDED);
    cr_assert_eq(v.exit_code, 0);
    cr_assert_not(v.cancel_service);
}

Test(slurm_exec_judge, a_client_exiting_3_fails_the_run_with_its_status_and_job_id)
{
    exec_slurm_view r = run(SLURM_JOB_CANCELLED, SLURM_JOB_FAILED, true);
    r.client = ended(11, SLURM_JOB_FAILED, 3, 0);
    exec_slurm_verdict v = judge(r);
    cr_assert_eq(v.phase, EXEC_FAILED);
    cr_assert_eq(v.exit_code, 3);
    cr_assert(strstr(v.reason, "client job 11 exited with status 3"), "%s", v.reason);
}

Test(slurm_exec_judge, a_failed_client_stops_the_service_before_the_run_ends)
{
    exec_slurm_view r = run(SLURM_JOB_RUNNING, SLURM_JOB_FAILED, true);
    r.client = ended(11, SLURM_JOB_FAILED, 2, 0);
    exec_slurm_verdict v = judge(r);
    cr_assert_eq(v.phase, EXEC_STOPPING);
    cr_assert(v.cancel_service);
    cr_assert(strstr(v.reason, "exited with status 2") && strstr(v.reason, "service job 10"), "%s",
              v.reason);
}

Test(slurm_exec_judge, a_client_killed_by_a_signal_names_the_signal)
{
    exec_slurm_view r = run(SLURM_JOB_CANCELLED, SLURM_JOB_FAILED, true);
    r.client = ended(11, SLURM_JOB_FAILED, 0, 9);
    exec_slurm_verdict v = judge(r);
    cr_assert_eq(v.phase, EXEC_FAILED);
    cr_assert_eq(v.exit_code, -1, "no exit status when a signal ended it");
    cr_assert(strstr(v.reason, "signal 9"), "%s", v.reason);
}

Test(slurm_exec_judge, a_client_over_its_time_limit_fails_with_timeout)
{
    exec_slurm_view r = run(SLURM_JOB_CANCELLED, SLURM_JOB_TIMEOUT, true);
    exec_slurm_verdict v = judge(r);
    cr_assert_eq(v.phase, EXEC_FAILED);
    cr_assert_str_eq(v.reason, "client job 11: TIMEOUT (time limit)");
}

Test(slurm_exec_judge, node_failure_memory_preemption_and_boot_failure_are_named)
{
    const struct {
        slurm_job_state s;
        const char *name;
    } cases[] = {{SLURM_JOB_NODE_FAIL, "NODE_FAIL"},
                 {SLURM_JOB_OUT_OF_MEMORY, "OUT_OF_MEMORY"},
                 {SLURM_JOB_PREEMPTED, "PREEMPTED"},
                 {SLURM_JOB_BOOT_FAIL, "BOOT_FAIL"},
                 {SLURM_JOB_DEADLINE, "DEADLINE"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        exec_slurm_verdict v = judge(run(SLURM_JOB_CANCELLED, cases[i].s, true));
        cr_assert_eq(v.phase, EXEC_FAILED, "%s", cases[i].name);
        cr_assert(strstr(v.reason, "client job 11") && strstr(v.reason, cases[i].name), "%s",
                  v.reason);
    }
}

Test(slurm_exec_judge, a_client_cancelled_outside_aifb_fails_the_run)
{
    exec_slurm_verdict v = judge(run(SLURM_JOB_CANCELLED, SLURM_JOB_CANCELLED, true));
    cr_assert_eq(v.phase, EXEC_FAILED);
    cr_assert(strstr(v.reason, "CANCELLED outside aifb"), "%s", v.reason);
}

Test(slurm_exec_judge, a_service_job_that_ends_first_cancels_the_client_and_names_its_state)
{
    exec_slurm_view r = run(SLURM_JOB_FAILED, SLURM_JOB_RUNNING, false);
    r.service = ended(10, SLURM_JOB_FAILED, 3, 0);
    exec_slurm_verdict v = judge(r);
    cr_assert_eq(v.phase, EXEC_STOPPING);
    cr_assert(v.cancel_client);
    cr_assert(strstr(v.reason, "service job 10 exited with status 3"), "%s", v.reason);
    r.client = ended(11, SLURM_JOB_CANCELLED, 0, 15);
    r.client.cancelled_by_aifb = true;
    v = judge(r);
    cr_assert_eq(v.phase, EXEC_FAILED);
    cr_assert(strstr(v.reason, "service job 10 exited with status 3") &&
                  strstr(v.reason, "before the client finished"),
              "the reason stays the service's, not the cancel aifb made: %s", v.reason);
}

Test(slurm_exec_judge, a_service_timeout_while_the_client_waits_fails_naming_timeout)
{
    exec_slurm_view r = run(SLURM_JOB_TIMEOUT, SLURM_JOB_PENDING, false);
    exec_slurm_verdict v = judge(r);
    cr_assert_eq(v.phase, EXEC_STOPPING);
    cr_assert(strstr(v.reason, "service job 10: TIMEOUT"), "%s", v.reason);
    cr_assert(v.cancel_client);
}

Test(slurm_exec_judge, a_job_slurm_has_forgotten_fails_the_run_with_its_id)
{
    exec_slurm_view r = run(SLURM_JOB_RUNNING, SLURM_JOB_RUNNING, true);
    r.client.listed = false;
    r.client.forgotten = true;
    exec_slurm_verdict v = judge(r);
    cr_assert_eq(v.phase, EXEC_STOPPING);
    cr_assert(v.cancel_service);
    r.service = ended(10, SLURM_JOB_CANCELLED, 0, 15);
    v = judge(r);
    cr_assert_eq(v.phase, EXEC_FAILED);
    cr_assert(strstr(v.reason, "Slurm has no record of client job 11"), "%s", v.reason);
}

Test(slurm_exec_judge, stopping_a_run_cancels_both_jobs_and_ends_cancelled_once_both_ended)
{
    exec_slurm_view r = run(SLURM_JOB_RUNNING, SLURM_JOB_RUNNING, true);
    r.cancel_requested = true;
    exec_slurm_verdict v = judge(r);
    cr_assert_eq(v.phase, EXEC_STOPPING);
    cr_assert(v.cancel_service && v.cancel_client);
    r.client = ended(11, SLURM_JOB_CANCELLED, 0, 15);
    v = judge(r);
    cr_assert_eq(v.phase, EXEC_STOPPING, "the service job is still running");
    r.service = ended(10, SLURM_JOB_CANCELLED, 0, 15);
    cr_assert_eq(judge(r).phase, EXEC_CANCELLED);
}

Test(slurm_exec_judge, a_cancel_wins_over_a_client_that_ended_meanwhile)
{
    exec_slurm_view r = run(SLURM_JOB_CANCELLED, SLURM_JOB_COMPLETED, true);
    r.cancel_requested = true;
    cr_assert_eq(judge(r).phase, EXEC_CANCELLED);
}

Test(slurm_exec_judge, a_service_alone_is_running_once_ready_and_succeeds_when_stopped)
{
    exec_slurm_view r = {
        .service = job(20, SLURM_JOB_RUNNING), .endpoint_known = true, .endpoint = "node2:30000"};
    exec_slurm_verdict v = judge(r);
    cr_assert_eq(v.phase, EXEC_RUNNING);
    cr_assert(strstr(v.reason, "service ready at node2:30000"), "%s", v.reason);
    r.cancel_requested = true;
    r.service = ended(20, SLURM_JOB_CANCELLED, 0, 15);
    v = judge(r);
    cr_assert_eq(v.phase, EXEC_SUCCEEDED);
    cr_assert_str_eq(v.reason, "service stopped on request");
}

Test(slurm_exec_judge, a_service_alone_that_ends_by_itself_fails)
{
    exec_slurm_view r = {.service = ended(20, SLURM_JOB_FAILED, 1, 0)};
    exec_slurm_verdict v = judge(r);
    cr_assert_eq(v.phase, EXEC_FAILED);
    cr_assert(strstr(v.reason, "service job 20 exited with status 1"), "%s", v.reason);
}

Test(slurm_exec_judge, a_client_alone_against_an_existing_service_runs_and_succeeds)
{
    exec_slurm_view r = {.client = job(30, SLURM_JOB_PENDING)};
    cr_assert_eq(judge(r).phase, EXEC_SUBMITTED);
    r.client = job(30, SLURM_JOB_RUNNING);
    cr_assert_eq(judge(r).phase, EXEC_RUNNING);
    r.client = ended(30, SLURM_JOB_COMPLETED, 0, 0);
    cr_assert_eq(judge(r).phase, EXEC_SUCCEEDED);
}

Test(slurm_exec_judge, completing_jobs_are_still_running_until_slurm_gives_their_end)
{
    exec_slurm_verdict v = judge(run(SLURM_JOB_RUNNING, SLURM_JOB_COMPLETING, true));
    cr_assert_eq(v.phase, EXEC_RUNNING);
    cr_assert_not(v.cancel_service);
}

Test(slurm_exec_judge, jobs_found_by_comment_after_a_restart_are_named_without_an_id)
{
    exec_slurm_view r = run(SLURM_JOB_RUNNING, SLURM_JOB_RUNNING, true);
    r.client = (exec_slurm_jobview){.exists = true, .forgotten = true};
    r.service = ended(10, SLURM_JOB_CANCELLED, 0, 15);
    exec_slurm_verdict v = judge(r);
    cr_assert_eq(v.phase, EXEC_FAILED);
    cr_assert(strstr(v.reason, "Slurm has no record of the client job"), "%s", v.reason);
}

Test(slurm_exec_judge, squeue_state_names_map_to_states_including_the_ones_outside_the_enum)
{
    cr_assert_eq(exec_slurm_state_from_name("RUNNING"), SLURM_JOB_RUNNING);
    cr_assert_eq(exec_slurm_state_from_name("CANCELLED+"), SLURM_JOB_CANCELLED);
    cr_assert_eq(exec_slurm_state_from_name("OUT_OF_MEMORY"), SLURM_JOB_OUT_OF_MEMORY);
    cr_assert_eq(exec_slurm_state_from_name("CONFIGURING"), SLURM_JOB_PENDING);
    cr_assert_eq(exec_slurm_state_from_name("REQUEUED"), SLURM_JOB_PENDING);
    cr_assert_eq(exec_slurm_state_from_name("STAGE_OUT"), SLURM_JOB_COMPLETING);
    cr_assert_eq(exec_slurm_state_from_name("SPECIAL_EXIT"), SLURM_JOB_FAILED);
    cr_assert_eq(exec_slurm_state_from_name("SOMETHING_NEW"), SLURM_JOB_UNKNOWN);
    cr_assert_eq(exec_slurm_state_from_name(NULL), SLURM_JOB_UNKNOWN);
    cr_assert_str_eq(exec_slurm_state_name(SLURM_JOB_NODE_FAIL), "NODE_FAIL");
    cr_assert(exec_slurm_state_is_final(SLURM_JOB_TIMEOUT));
    cr_assert_not(exec_slurm_state_is_final(SLURM_JOB_COMPLETING));
}

Test(slurm_exec_judge, a_job_in_an_unknown_state_is_waited_for_not_judged)
{
    exec_slurm_verdict v = judge(run(SLURM_JOB_RUNNING, SLURM_JOB_UNKNOWN, true));
    cr_assert_eq(v.phase, EXEC_RUNNING);
    cr_assert_not(v.cancel_service || v.cancel_client);
}
