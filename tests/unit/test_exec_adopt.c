/* test_exec_adopt.c: a restarted aifbd takes its plans back from the run folder.
 *
 * A crash of aifbd is simulated by free() without shutdown(): the executor's memory goes, its
 * processes stay. A second executor then adopt()s the plan from the files the first one left. */
#include "test_exec_support.h"

#include <sys/wait.h>

TestSuite(exec_adopt, .init = test_setup, .fini = test_teardown, .timeout = 60);

static void submit_ok(executor *ex, const exec_plan *plan)
{
    aifb_err err = {0};
    cr_assert_eq(ex->ops->submit(ex, plan, &err), AIFB_OK, "%s", err.msg);
}

/* Drops the current executor as a crash would and starts a new one. */
static void restart_executor(void)
{
    test_ex->ops->free(test_ex);
    test_ex = NULL;
    aifb_err err = {0};
    cr_assert_eq(exec_local_new(200, &test_ex, &err), AIFB_OK, "%s", err.msg);
}

static void adopt_ok(const exec_plan *plan)
{
    aifb_err err = {0};
    cr_assert_eq(test_ex->ops->adopt(test_ex, plan, &err), AIFB_OK, "%s", err.msg);
}

static void assert_groups_gone(void)
{
    pid_t svc = test_pgid("service"), cli = test_pgid("client");
    cr_assert(!test_group_alive(svc), "service group %d still has processes", (int)svc);
    cr_assert(!test_group_alive(cli), "client group %d still has processes", (int)cli);
}

Test(exec_adopt, a_plan_running_when_aifbd_died_is_taken_back_and_succeeds)
{
    char port[16];
    snprintf(port, sizeof port, "%d", test_free_port());
    char *svc[] = {"python3", "-c", TEST_PY_LISTENER, port, NULL};
    char *cli[] = {"sh", "-c", "sleep 0.5; echo done", NULL};
    exec_plan plan = test_benchmark_plan("r-00000000a001", svc, cli, atoi(port));
    submit_ok(test_ex, &plan);
    test_poll_until_phase(test_ex, plan.id, EXEC_RUNNING);
    restart_executor();
    adopt_ok(&plan);
    exec_status st = test_poll_until_final(test_ex, plan.id, NULL);
    cr_assert_eq(st.phase, EXEC_SUCCEEDED, "phase %d: %s", st.phase, st.reason);
    cr_assert_eq(st.exit_code, 0);
    char *out = test_read("client.out");
    cr_assert_str_eq(out, "done\n");
    free(out);
    assert_groups_gone();
}

Test(exec_adopt, a_plan_still_starting_keeps_being_probed_and_starts_its_client)
{
    char port[16], script[512];
    snprintf(port, sizeof port, "%d", test_free_port());
    /* The service listens only after a while, so the crash happens while it is STARTING. */
    snprintf(script, sizeof script, "import time; time.sleep(0.8)\n%s", TEST_PY_LISTENER);
    char *svc[] = {"python3", "-c", script, port, NULL};
    char *cli[] = {"sh", "-c", "echo client after restart", NULL};
    exec_plan plan = test_benchmark_plan("r-00000000a002", svc, cli, atoi(port));
    submit_ok(test_ex, &plan);
    test_poll_until_phase(test_ex, plan.id, EXEC_STARTING);
    restart_executor();
    adopt_ok(&plan);
    unsigned seen = 0;
    exec_status st = test_poll_until_final(test_ex, plan.id, &seen);
    cr_assert_eq(st.phase, EXEC_SUCCEEDED, "phase %d: %s", st.phase, st.reason);
    cr_assert(seen & (1u << EXEC_STARTING), "the adopted plan was not probed");
    char *out = test_read("client.out");
    cr_assert_str_eq(out, "client after restart\n");
    free(out);
    assert_groups_gone();
}

Test(exec_adopt, a_client_that_ended_while_aifbd_was_down_decides_the_run_from_its_status_file)
{
    char port[16];
    snprintf(port, sizeof port, "%d", test_free_port());
    char *svc[] = {"python3", "-c", TEST_PY_LISTENER, port, NULL};
    char *cli[] = {"sh", "-c", "exit 5", NULL};
    exec_plan plan = test_benchmark_plan("r-00000000a003", svc, cli, atoi(port));
    submit_ok(test_ex, &plan);
    test_poll_until_phase(test_ex, plan.id, EXEC_RUNNING);
    restart_executor();
    for (int i = 0; i < 500 && !test_exists("client.status"); i++)
        test_sleep_ms(10);
    adopt_ok(&plan);
    exec_status st = test_poll_until_final(test_ex, plan.id, NULL);
    cr_assert_eq(st.phase, EXEC_FAILED);
    cr_assert_eq(st.exit_code, 5);
    cr_assert_str_eq(st.reason, "client exited with status 5 (see client.err)");
    assert_groups_gone();
}

/* Kills a whole group and waits until it is gone, reaping what this process is parent of (as
 * init would for a real aifbd that died). */
static void kill_group_while_down(pid_t pgid)
{
    cr_assert(pgid > 0);
    kill(-pgid, SIGKILL);
    for (int i = 0; i < 500 && test_group_alive(pgid); i++) {
        while (waitpid(-pgid, NULL, WNOHANG) > 0)
            ;
        test_sleep_ms(10);
    }
    cr_assert(!test_group_alive(pgid), "group %d survived SIGKILL", (int)pgid);
}

Test(exec_adopt, processes_killed_while_aifbd_was_down_fail_the_run_with_that_reason)
{
    char port[16];
    snprintf(port, sizeof port, "%d", test_free_port());
    char *svc[] = {"python3", "-c", TEST_PY_LISTENER, port, NULL};
    char *cli[] = {"sleep", "100", NULL};
    exec_plan plan = test_benchmark_plan("r-00000000a004", svc, cli, atoi(port));
    submit_ok(test_ex, &plan);
    test_poll_until_phase(test_ex, plan.id, EXEC_RUNNING);
    restart_executor();
    kill_group_while_down(test_pgid("service"));
    kill_group_while_down(test_pgid("client"));
    adopt_ok(&plan);
    exec_status st = test_poll_until_final(test_ex, plan.id, NULL);
    cr_assert_eq(st.phase, EXEC_FAILED);
    cr_assert_str_eq(st.reason, "processes of the run were gone when aifbd restarted (no exit "
                                "status was recorded)");
}

Test(exec_adopt, a_plan_with_nothing_on_disk_is_not_found)
{
    char *cli[] = {"true", NULL};
    exec_plan plan = {.id = "r-00000000a005", .dir = test_dir, .has_client = true};
    plan.client.main.argv = cli;
    aifb_err err = {0};
    cr_assert_eq(test_ex->ops->adopt(test_ex, &plan, &err), AIFB_ENOTFOUND);
    cr_assert(strstr(err.msg, "r-00000000a005"), "%s", err.msg);
    exec_status st;
    cr_assert_eq(test_ex->ops->poll(test_ex, plan.id, &st, &err), AIFB_ENOTFOUND);
}

Test(exec_adopt, a_pid_file_naming_a_recycled_pid_is_not_mistaken_for_the_plan)
{
    /* The pid is this test's own (alive), but the start time is not: the supervisor is gone. */
    char path[512], text[64];
    test_path(path, sizeof path, "client.pid");
    int n = snprintf(text, sizeof text, "%d 1\n", (int)getpid());
    aifb_err err = {0};
    cr_assert_eq(aifb_write_file_atomic(path, text, (size_t)n, 0644, &err), AIFB_OK);
    char *cli[] = {"true", NULL};
    exec_plan plan = {.id = "r-00000000a006", .dir = test_dir, .has_client = true};
    plan.client.main.argv = cli;
    adopt_ok(&plan);
    exec_status st = test_poll_until_final(test_ex, plan.id, NULL);
    cr_assert_eq(st.phase, EXEC_FAILED);
    cr_assert(strstr(st.reason, "were gone when aifbd restarted"), "%s", st.reason);
    remove(path); /* so the cleanup does not signal this test's own group */
}
