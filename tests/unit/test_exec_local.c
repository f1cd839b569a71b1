/* test_exec_local.c: the local executor runs a plan's processes and reports what a user sees.
 *
 * Real processes in a temporary run folder: a Python listener as the service, sh and printf as
 * clients. Every test ends with the executor's shutdown and a SIGKILL to the groups named in the
 * pid files, so nothing outlives a failing test. */
#include "test_exec_support.h"

#include <sys/wait.h>

TestSuite(exec_local, .init = test_setup, .fini = test_teardown, .timeout = 60);

static void submit_ok(const exec_plan *plan)
{
    aifb_err err = {0};
    cr_assert_eq(test_ex->ops->submit(test_ex, plan, &err), AIFB_OK, "%s", err.msg);
}

static void assert_groups_gone(void)
{
    pid_t svc = test_pgid("service"), cli = test_pgid("client");
    cr_assert(!test_group_alive(svc), "service group %d still has processes", (int)svc);
    cr_assert(!test_group_alive(cli), "client group %d still has processes", (int)cli);
}

Test(exec_local, a_benchmark_plan_runs_the_client_once_the_service_listens_and_succeeds)
{
    char port[16];
    snprintf(port, sizeof port, "%d", test_free_port());
    char *svc[] = {"python3", "-c", TEST_PY_LISTENER, port, NULL};
    char *cli[] = {"sh", "-c", "echo hi; echo \"endpoint=$AIFB_ENDPOINT\"; exit 0", NULL};
    exec_plan plan = test_benchmark_plan("r-000000000001", svc, cli, atoi(port));
    submit_ok(&plan);
    unsigned seen = 0;
    exec_status st = test_poll_until_final(test_ex, plan.id, &seen);
    cr_assert_eq(st.phase, EXEC_SUCCEEDED, "phase %d: %s", st.phase, st.reason);
    cr_assert_eq(st.exit_code, 0);
    cr_assert(seen & (1u << EXEC_STARTING), "the plan was never reported STARTING");
    char *out = test_read("client.out"), *ready = test_read("service.ready");
    char want[64];
    snprintf(want, sizeof want, "endpoint=127.0.0.1:%s", port);
    cr_assert(strstr(out, "hi\n"), "client.out: %s", out);
    cr_assert(strstr(out, want), "client.out lacks %s: %s", want, out);
    cr_assert(strstr(ready, want + 9), "service.ready: %s", ready);
    cr_assert(strstr(st.endpoint, want + 9), "endpoint %s", st.endpoint);
    cr_assert(strstr(st.handles, "service pgid") && strstr(st.handles, "client pgid"));
    free(out);
    free(ready);
    assert_groups_gone();
    cr_assert_eq(waitpid(-1, NULL, WNOHANG), -1, "a child of the test was left unreaped");
}

Test(exec_local, a_client_exiting_3_fails_the_run_with_its_exit_code_named)
{
    char port[16];
    snprintf(port, sizeof port, "%d", test_free_port());
    char *svc[] = {"python3", "-c", TEST_PY_LISTENER, port, NULL};
    char *cli[] = {"sh", "-c", "echo bad input >&2; exit 3", NULL};
    exec_plan plan = test_benchmark_plan("r-000000000002", svc, cli, atoi(port));
    submit_ok(&plan);
    exec_status st = test_poll_until_final(test_ex, plan.id, NULL);
    cr_assert_eq(st.phase, EXEC_FAILED);
    cr_assert_eq(st.exit_code, 3);
    cr_assert_str_eq(st.reason, "client exited with status 3 (see client.err)");
    assert_groups_gone();
}

Test(exec_local, a_client_killed_by_a_signal_fails_the_run_naming_the_signal)
{
    char *cli[] = {"sh", "-c", "kill -9 $$", NULL};
    exec_plan plan = {.id = "r-000000000003", .dir = test_dir, .has_client = true};
    plan.client.main.argv = cli;
    submit_ok(&plan);
    exec_status st = test_poll_until_final(test_ex, plan.id, NULL);
    cr_assert_eq(st.phase, EXEC_FAILED);
    cr_assert_eq(st.exit_code, -1);
    cr_assert_str_eq(st.reason, "client killed by signal 9");
}

Test(exec_local, a_service_that_exits_at_once_fails_before_running_with_its_last_error_line)
{
    char *svc[] = {"sh", "-c",
                   "echo starting; echo 'first line' >&2; "
                   "echo 'fatal: bad config' >&2; exit 1",
                   NULL};
    char *cli[] = {"sh", "-c", "echo client ran", NULL};
    exec_plan plan = test_benchmark_plan("r-000000000004", svc, cli, test_free_port());
    submit_ok(&plan);
    unsigned seen = 0;
    exec_status st = test_poll_until_final(test_ex, plan.id, &seen);
    cr_assert_eq(st.phase, EXEC_FAILED);
    cr_assert(!(seen & (1u << EXEC_RUNNING)), "the plan was reported RUNNING");
    cr_assert_str_eq(st.reason, "service exited with status 1 before it was ready (see "
                                "service.err): fatal: bad config");
    cr_assert(!test_exists("client.out"), "the client was started");
    assert_groups_gone();
}

Test(exec_local, a_probe_that_never_passes_fails_the_run_and_stops_the_service)
{
    int port = test_free_port();
    char *svc[] = {"sleep", "100", NULL};
    char *cli[] = {"true", NULL};
    exec_plan plan = test_benchmark_plan("r-000000000005", svc, cli, port);
    plan.probe.timeout_ms = 500;
    submit_ok(&plan);
    exec_status st = test_poll_until_final(test_ex, plan.id, NULL);
    cr_assert_eq(st.phase, EXEC_FAILED);
    char want[128];
    snprintf(want, sizeof want, "service not ready after 0.5 s (tcp probe of 127.0.0.1:%d)", port);
    cr_assert(strncmp(st.reason, want, strlen(want)) == 0, "reason: %s", st.reason);
    cr_assert(strstr(st.reason, "refused"), "reason does not say why: %s", st.reason);
    assert_groups_gone();
    char *status = test_read("service.status");
    cr_assert(strstr(status, "main 0 signal 15"), "service.status: %s", status);
    free(status);
}

Test(exec_local, cancel_while_running_ends_cancelled_and_kills_a_child_that_ignores_sigterm)
{
    char port[16];
    snprintf(port, sizeof port, "%d", test_free_port());
    char *svc[] = {"python3", "-c", TEST_PY_LISTENER, port, NULL};
    char *cli[] = {"sh", "-c", "trap '' TERM; sleep 100; echo not reached", NULL};
    exec_plan plan = test_benchmark_plan("r-000000000006", svc, cli, atoi(port));
    submit_ok(&plan);
    test_poll_until_phase(test_ex, plan.id, EXEC_RUNNING);
    aifb_err err = {0};
    cr_assert_eq(test_ex->ops->cancel(test_ex, plan.id, &err), AIFB_OK, "%s", err.msg);
    cr_assert_eq(test_ex->ops->cancel(test_ex, plan.id, &err), AIFB_OK, "a second cancel");
    exec_status st = test_poll_until_final(test_ex, plan.id, NULL);
    cr_assert_eq(st.phase, EXEC_CANCELLED, "phase %d: %s", st.phase, st.reason);
    assert_groups_gone();
    cr_assert_eq(test_ex->ops->cancel(test_ex, plan.id, &err), AIFB_OK, "cancel after the end");
}

Test(exec_local, a_service_only_plan_stays_running_until_stopped_and_then_succeeds)
{
    char port[16];
    snprintf(port, sizeof port, "%d", test_free_port());
    char *svc[] = {"python3", "-c", TEST_PY_LISTENER, port, NULL};
    exec_plan plan = test_benchmark_plan("s-000000000007", svc, NULL, atoi(port));
    plan.has_client = false;
    submit_ok(&plan);
    test_poll_until_phase(test_ex, plan.id, EXEC_RUNNING);
    aifb_err err = {0};
    cr_assert_eq(test_ex->ops->cancel(test_ex, plan.id, &err), AIFB_OK, "%s", err.msg);
    exec_status st = test_poll_until_final(test_ex, plan.id, NULL);
    cr_assert_eq(st.phase, EXEC_SUCCEEDED, "phase %d: %s", st.phase, st.reason);
    assert_groups_gone();
}

Test(exec_local, a_service_that_dies_while_the_client_runs_fails_the_run_and_stops_the_client)
{
    char port[16];
    snprintf(port, sizeof port, "%d", test_free_port());
    /* Listens, then dies with status 4 once the client has connected once. */
    char *svc[] = {"python3", "-c",
                   "import socket,sys\n"
                   "s=socket.socket(); s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen(4)\n"
                   "s.accept(); s.accept()\n"
                   "print('lost the disk', file=sys.stderr); sys.exit(4)\n",
                   port, NULL};
    char *cli[] = {"python3", "-c",
                   "import socket,sys,time\n"
                   "socket.create_connection(('127.0.0.1', int(sys.argv[1])))\n"
                   "time.sleep(100)\n",
                   port, NULL};
    exec_plan plan = test_benchmark_plan("r-000000000008", svc, cli, atoi(port));
    plan.client.search = test_python_search;
    submit_ok(&plan);
    exec_status st = test_poll_until_final(test_ex, plan.id, NULL);
    cr_assert_eq(st.phase, EXEC_FAILED);
    cr_assert_str_eq(st.reason, "service exited with status 4 while the client was running "
                                "(see service.err): lost the disk");
    assert_groups_gone();
}

Test(exec_local, an_http_probe_waits_for_a_2xx_answer)
{
    char port[16];
    snprintf(port, sizeof port, "%d", test_free_port());
    char *svc[] = {"python3", "-m", "http.server", port, "--bind", "127.0.0.1", NULL};
    char *cli[] = {"true", NULL};
    exec_plan plan = test_benchmark_plan("r-000000000009", svc, cli, atoi(port));
    plan.probe.kind = EXEC_PROBE_HTTP;
    plan.probe.path = "/";
    submit_ok(&plan);
    exec_status st = test_poll_until_final(test_ex, plan.id, NULL);
    cr_assert_eq(st.phase, EXEC_SUCCEEDED, "phase %d: %s", st.phase, st.reason);
    assert_groups_gone();
}

Test(exec_local, an_http_probe_answered_404_never_counts_as_ready)
{
    char port[16];
    snprintf(port, sizeof port, "%d", test_free_port());
    char *svc[] = {"python3", "-m", "http.server", port, "--bind", "127.0.0.1", NULL};
    char *cli[] = {"true", NULL};
    exec_plan plan = test_benchmark_plan("r-000000000010", svc, cli, atoi(port));
    plan.probe.kind = EXEC_PROBE_HTTP;
    plan.probe.path = "/no-such-page";
    plan.probe.timeout_ms = 1500;
    submit_ok(&plan);
    exec_status st = test_poll_until_final(test_ex, plan.id, NULL);
    cr_assert_eq(st.phase, EXEC_FAILED);
    cr_assert(strstr(st.reason, "(http probe of http://127.0.0.1:") &&
                  strstr(st.reason, "/no-such-page)") && strstr(st.reason, "404"),
              "reason: %s", st.reason);
    cr_assert(!test_exists("client.out"), "the client was started");
}

Test(exec_local, a_probe_command_decides_readiness_by_its_exit_status_and_leaves_nothing)
{
    char flag[512], probe_cmd[600];
    test_path(flag, sizeof flag, "service/ready.flag");
    /* The background sleep must not outlive the attempt that started it. */
    snprintf(probe_cmd, sizeof probe_cmd, "sleep 30 & test -f '%s'", flag);
    char *svc[] = {"sh", "-c", "sleep 0.3; touch ready.flag; exec sleep 100", NULL};
    char *cli[] = {"sh", "-c", "echo client after flag", NULL};
    char *probe[] = {"sh", "-c", probe_cmd, NULL};
    char workdir[512];
    test_path(workdir, sizeof workdir, "service");
    exec_plan plan = test_benchmark_plan("r-000000000011", svc, cli, 0);
    plan.service.workdir = workdir;
    plan.probe.kind = EXEC_PROBE_CMD;
    plan.probe.cmd.argv = probe;
    submit_ok(&plan);
    unsigned seen = 0;
    exec_status st = test_poll_until_final(test_ex, plan.id, &seen);
    cr_assert_eq(st.phase, EXEC_SUCCEEDED, "phase %d: %s", st.phase, st.reason);
    cr_assert(seen & (1u << EXEC_STARTING));
    cr_assert(test_exists("service/ready.flag"), "the service did not run in its workdir");
    cr_assert(test_exists("service.ready"));
    assert_groups_gone();
    cr_assert_eq(waitpid(-1, NULL, WNOHANG), -1, "a probe process was left behind");
}

Test(exec_local, a_failing_setup_command_stops_the_service_before_main_and_is_named)
{
    char *setup1[] = {"sh", "-c", "echo setup one ran", NULL};
    char *setup2[] = {"false", NULL};
    exec_cmd setups[] = {{.argv = setup1}, {.argv = setup2}};
    char *svc[] = {"sh", "-c", "echo main ran; sleep 100", NULL};
    char *cli[] = {"true", NULL};
    exec_plan plan = test_benchmark_plan("r-000000000012", svc, cli, test_free_port());
    plan.service.setup = setups;
    plan.service.nsetup = 2;
    submit_ok(&plan);
    exec_status st = test_poll_until_final(test_ex, plan.id, NULL);
    cr_assert_eq(st.phase, EXEC_FAILED);
    cr_assert(strncmp(st.reason, "service setup command 2 (false) exited with status 1",
                      strlen("service setup command 2 (false) exited with status 1")) == 0,
              "reason: %s", st.reason);
    char *out = test_read("service.out");
    cr_assert(strstr(out, "setup one ran"), "service.out: %s", out);
    cr_assert(!strstr(out, "main ran"), "main ran after a failed setup: %s", out);
    free(out);
}

Test(exec_local, argv_with_hostile_values_reaches_the_program_byte_for_byte)
{
    char *values[] = {"",
                      "  two  spaces ",
                      "$(touch pwned)",
                      "`touch pwned`",
                      "'\"\\",
                      ";rm -rf /tmp/nothing;",
                      "*",
                      "-n",
                      "line1\nline2",
                      "$HOME",
                      "\xc3\xbcnic\xc3\xb6"
                      "de",
                      "\x01\x7f\xff",
                      "%s%n",
                      NULL};
    char *cli[32] = {"printf", "%s|\\n"};
    size_t n = 2;
    abuf want = {0};
    for (size_t i = 0; values[i]; i++) {
        cli[n++] = values[i];
        abuf_printf(&want, "%s|\n", values[i]);
    }
    cli[n] = NULL;
    exec_plan plan = {.id = "r-000000000013", .dir = test_dir, .has_client = true};
    plan.client.main.argv = cli;
    submit_ok(&plan);
    exec_status st = test_poll_until_final(test_ex, plan.id, NULL);
    cr_assert_eq(st.phase, EXEC_SUCCEEDED, "phase %d: %s", st.phase, st.reason);
    char *out = test_read("client.out");
    cr_assert_str_eq(out, want.p);
    cr_assert(!test_exists("pwned"), "a value was run by a shell");
    free(out);
    abuf_free(&want);
}

Test(exec_local, aifbds_own_credentials_never_reach_a_roles_environment)
{
    setenv("AIFB_TOKEN", "aifbd-api-token-0123456789", 1);
    setenv("SLURM_JWT", "eyJ.slurm.jwt", 1);
    setenv("AIFB_PROM_TOKEN", "for-the-agents", 1);
    char *cli[] = {"sh", "-c", "env", NULL};
    exec_plan plan = {.id = "r-000000000014", .dir = test_dir, .has_client = true};
    plan.client.main.argv = cli;
    submit_ok(&plan);
    exec_status st = test_poll_until_final(test_ex, plan.id, NULL);
    cr_assert_eq(st.phase, EXEC_SUCCEEDED, "phase %d: %s", st.phase, st.reason);
    char *out = test_read("client.out");
    cr_assert(!strstr(out, "aifbd-api-token") && !strstr(out, "AIFB_TOKEN="), "%s", out);
    cr_assert(!strstr(out, "SLURM_JWT="), "%s", out);
    cr_assert(strstr(out, "AIFB_PROM_TOKEN=for-the-agents"), "the agents' token goes on: %s", out);
    cr_assert(strstr(out, "PATH="), "the rest of the environment goes on: %s", out);
    free(out);
    unsetenv("AIFB_TOKEN");
    unsetenv("SLURM_JWT");
    unsetenv("AIFB_PROM_TOKEN");
}

Test(exec_local, a_program_not_found_is_refused_with_its_name_and_nothing_starts)
{
    char port[16];
    snprintf(port, sizeof port, "%d", test_free_port());
    char *svc[] = {"python3", "-c", TEST_PY_LISTENER, port, NULL};
    char *cli[] = {"no-such-program-aifb", "--flag", NULL};
    exec_plan plan = test_benchmark_plan("r-000000000014", svc, cli, atoi(port));
    aifb_err err = {0};
    cr_assert_eq(test_ex->ops->submit(test_ex, &plan, &err), AIFB_EINVAL);
    cr_assert(strstr(err.msg, "program 'no-such-program-aifb' not found in PATH"), "%s", err.msg);
    cr_assert(!test_exists("service.pid") && !test_exists("service.out"), "something started");
    exec_status st;
    cr_assert_eq(test_ex->ops->poll(test_ex, plan.id, &st, &err), AIFB_ENOTFOUND);
}

Test(exec_local, search_folders_are_tried_before_path_highest_version_first)
{
    char folder[512];
    const char *versions[] = {"9", "15", "10"};
    for (int i = 0; i < 3; i++) {
        snprintf(folder, sizeof folder, "%s/pg/%s/bin", test_dir, versions[i]);
        aifb_err err = {0};
        cr_assert_eq(aifb_mkdirs(folder, 0755, &err), AIFB_OK, "%s", err.msg);
        char script[600], body[64];
        snprintf(script, sizeof script, "%s/whichpg", folder);
        int len = snprintf(body, sizeof body, "#!/bin/sh\necho version %s\n", versions[i]);
        cr_assert_eq(aifb_write_file_atomic(script, body, (size_t)len, 0755, &err), AIFB_OK);
    }
    char pattern[512];
    snprintf(pattern, sizeof pattern, "%s/pg/*/bin", test_dir);
    const char *search[] = {pattern, NULL};
    char *cli[] = {"whichpg", NULL};
    exec_plan plan = {.id = "r-000000000015", .dir = test_dir, .has_client = true};
    plan.client.main.argv = cli;
    plan.client.search = search;
    submit_ok(&plan);
    exec_status st = test_poll_until_final(test_ex, plan.id, NULL);
    cr_assert_eq(st.phase, EXEC_SUCCEEDED, "%s", st.reason);
    char *out = test_read("client.out");
    cr_assert_str_eq(out, "version 15\n");
    free(out);
}

Test(exec_local, an_unknown_user_is_refused_with_its_name_and_nothing_starts)
{
    char *cli[] = {"true", NULL};
    exec_plan plan = {.id = "r-000000000016", .dir = test_dir, .has_client = true};
    plan.client.main.argv = cli;
    plan.client.user = "no-such-user-aifb";
    aifb_err err = {0};
    cr_assert_eq(test_ex->ops->submit(test_ex, &plan, &err), AIFB_EINVAL);
    cr_assert(strstr(err.msg, "user 'no-such-user-aifb' does not exist"), "%s", err.msg);
    cr_assert(!test_exists("client.pid") && !test_exists("client.out"), "something started");
}

Test(exec_local, log_paths_name_the_four_streams_and_refuse_anything_else)
{
    char *cli[] = {"true", NULL};
    exec_plan plan = {.id = "r-000000000017", .dir = test_dir, .has_client = true};
    plan.client.main.argv = cli;
    submit_ok(&plan);
    char path[512], want[512];
    aifb_err err = {0};
    const char *streams[] = {"service.out", "service.err", "client.out", "client.err"};
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(test_ex->ops->log_path(test_ex, plan.id, streams[i], path, sizeof path, &err),
                     AIFB_OK, "%s", err.msg);
        test_path(want, sizeof want, streams[i]);
        cr_assert_str_eq(path, want);
    }
    cr_assert_eq(
        test_ex->ops->log_path(test_ex, plan.id, "../../etc/passwd", path, sizeof path, &err),
        AIFB_EINVAL);
    cr_assert(strstr(err.msg, "'../../etc/passwd'"), "%s", err.msg);
    test_poll_until_final(test_ex, plan.id, NULL);
}

Test(exec_local, shutdown_stops_every_running_plan_and_leaves_no_process)
{
    char port[16];
    snprintf(port, sizeof port, "%d", test_free_port());
    char *svc[] = {"python3", "-c", TEST_PY_LISTENER, port, NULL};
    char *cli[] = {"sh", "-c", "trap '' TERM; sleep 100", NULL};
    exec_plan plan = test_benchmark_plan("r-000000000018", svc, cli, atoi(port));
    submit_ok(&plan);
    test_poll_until_phase(test_ex, plan.id, EXEC_RUNNING);
    test_ex->ops->shutdown(test_ex);
    assert_groups_gone();
    exec_status st = {0};
    aifb_err err = {0};
    cr_assert_eq(test_ex->ops->poll(test_ex, plan.id, &st, &err), AIFB_OK);
    cr_assert_eq(st.phase, EXEC_CANCELLED);
}

Test(exec_local, submitting_the_same_plan_twice_is_refused)
{
    char *cli[] = {"true", NULL};
    exec_plan plan = {.id = "r-000000000019", .dir = test_dir, .has_client = true};
    plan.client.main.argv = cli;
    submit_ok(&plan);
    aifb_err err = {0};
    cr_assert_eq(test_ex->ops->submit(test_ex, &plan, &err), AIFB_EEXIST);
    cr_assert(strstr(err.msg, "r-000000000019"), "%s", err.msg);
    test_poll_until_final(test_ex, plan.id, NULL);
}
