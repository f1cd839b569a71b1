/* test_slurm_script_handshake.c: the readiness handshake between the two jobs, run with bash
 * outside Slurm. The service job probes (tcp, http, a command, none) until the service is ready,
 * then publishes host:port in service.endpoint; it fails with status 3 and a message when the
 * probe never passes or the service ends first, and leaves no process behind. The client job
 * waits for the endpoint, exports it, runs its setup commands in order and exits with its
 * command's status; without an endpoint it fails with status 3 and says why. */
#include "test_slurm_script_support.h"

TestSuite(slurm_handshake, .init = t_setup, .fini = t_teardown, .timeout = 60);

/* A service plan around argv with the given probe. */
static exec_plan service_plan(char **argv, exec_probe probe)
{
    return (exec_plan){
        .id = T_ID, .has_service = true, .service = {.main = {argv, NULL}}, .probe = probe};
}

static char *service_script(const exec_plan *p)
{
    slurm_opts o = t_opts();
    char *script = NULL;
    aifb_err err = {0};
    cr_assert_eq(slurm_script_service(p, &o, &script, &err), AIFB_OK, "%s", err.msg);
    cr_assert(t_syntax_ok(script));
    return script;
}

static char *endpoint_now(void)
{
    return t_read("base/runs/" T_ID "/service.endpoint", NULL);
}

/* The pid the service stand-in wrote, for checking it is gone afterwards. */
static pid_t standin_pid(void)
{
    char *s = t_read("log/svc.pid", NULL);
    cr_assert_not_null(s, "the service never started");
    pid_t pid = (pid_t)atoi(s);
    free(s);
    return pid;
}

static void assert_gone(pid_t pid)
{
    cr_assert(kill(pid, 0) != 0, "process %d outlived the job", (int)pid);
}

/* A stand-in service that listens on port until SIGTERM (python3, as on any node). */
static void listening_standin(int port, const char *before)
{
    char body[768];
    snprintf(body, sizeof body,
             "echo $$ > \"${log%%/*}/svc.pid\"\n%s\n"
             "exec python3 -c 'import socket,signal,sys\n"
             "signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))\n"
             "s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
             "s.bind((\"127.0.0.1\", %d)); s.listen(8)\n"
             "while True: s.accept()[0].close()'",
             before, port);
    t_standin("svc", body);
}

Test(slurm_handshake, a_service_that_listens_is_published_once_the_tcp_probe_passes)
{
    int port = t_free_port();
    listening_standin(port, ":");
    char *argv[] = {"svc", NULL};
    exec_plan p = service_plan(
        argv, (exec_probe){
                  .kind = EXEC_PROBE_TCP, .host = "127.0.0.1", .port = port, .timeout_ms = 10000});
    char *script = service_script(&p);
    pid_t job = t_start(script);
    cr_assert(t_await_file("base/runs/" T_ID "/service.endpoint"), "never published");
    char *ep = endpoint_now();
    char want[64];
    snprintf(want, sizeof want, "127.0.0.1:%d\n", port);
    cr_assert_str_eq(ep, want);
    free(ep);
    kill(job, SIGTERM);
    cr_assert_eq(t_wait(job), 0, "the service's own status on SIGTERM");
    assert_gone(standin_pid());
    free(script);
}

Test(slurm_handshake, a_port_another_process_listens_on_fails_the_job_before_the_service_starts)
{
    int port = 0;
    int fd = t_listen(&port); /* someone else's server on the node */
    t_standin("svc", "echo $$ > \"${log%/*}/svc.pid\"\nsleep 1");
    char *argv[] = {"svc", NULL};
    exec_plan p = service_plan(
        argv, (exec_probe){
                  .kind = EXEC_PROBE_TCP, .host = "127.0.0.1", .port = port, .timeout_ms = 10000});
    char *script = service_script(&p);
    cr_assert_eq(t_run(script), 3);
    char *errs = t_read("log/script.err", NULL);
    char want[96];
    snprintf(want, sizeof want, "aifb: FAILED: port %d is already in use on ", port);
    cr_assert(strstr(errs, want), "%s", errs);
    free(errs);
    cr_assert_null(endpoint_now(), "the other server's address is never published");
    cr_assert_null(t_read("log/svc.pid", NULL), "the service was not started");
    close(fd);
    free(script);
}

Test(slurm_handshake, the_tcp_probe_times_out_without_a_listener_and_the_service_is_stopped)
{
    t_standin("svc", "echo $$ > \"${log%/*}/svc.pid\"\nexec sleep 300");
    char *argv[] = {"svc", NULL};
    exec_plan p = service_plan(argv, (exec_probe){.kind = EXEC_PROBE_TCP,
                                                  .host = "127.0.0.1",
                                                  .port = t_free_port(),
                                                  .timeout_ms = 1000,
                                                  .interval_ms = 100});
    char *script = service_script(&p);
    cr_assert_eq(t_run(script), 3);
    char *errs = t_read("log/script.err", NULL);
    cr_assert(strstr(errs, "aifb: FAILED: the service was not ready within 1 s"), "%s", errs);
    free(errs);
    cr_assert_null(endpoint_now(), "no endpoint is published for a service that never came up");
    assert_gone(standin_pid());
    free(script);
}

Test(slurm_handshake, the_probe_keeps_trying_until_a_late_listener_appears)
{
    int port = t_free_port();
    listening_standin(port, "sleep 1.5");
    char *argv[] = {"svc", NULL};
    exec_plan p = service_plan(argv, (exec_probe){.kind = EXEC_PROBE_TCP,
                                                  .host = "0.0.0.0",
                                                  .port = port,
                                                  .timeout_ms = 20000,
                                                  .interval_ms = 100});
    char *script = service_script(&p);
    pid_t job = t_start(script);
    cr_assert(t_await_file("base/runs/" T_ID "/service.endpoint"), "never published");
    /* 0.0.0.0 means every interface: the published host is the node's, never the wildcard. */
    char *ep = endpoint_now();
    char suffix[32];
    snprintf(suffix, sizeof suffix, ":%d\n", port);
    cr_assert(strlen(ep) > strlen(suffix) && !strcmp(ep + strlen(ep) - strlen(suffix), suffix),
              "%s", ep);
    cr_assert(strncmp(ep, "0.0.0.0", 7) != 0);
    free(ep);
    /* scancel: SIGTERM to the job's shell is passed on and the service ends. */
    kill(job, SIGTERM);
    cr_assert_eq(t_wait(job), 0, "the service's own status on SIGTERM");
    assert_gone(standin_pid());
    free(script);
}

Test(slurm_handshake, an_http_probe_passes_once_the_server_answers)
{
    int port = t_free_port();
    char after[256];
    snprintf(after, sizeof after,
             "echo $$ > \"${log%%/*}/svc.pid\"\n"
             "exec python3 -m http.server --bind 127.0.0.1 %d >/dev/null 2>&1",
             port);
    t_standin("svc", after);
    char *argv[] = {"svc", NULL};
    exec_plan p = service_plan(argv, (exec_probe){.kind = EXEC_PROBE_HTTP,
                                                  .host = "127.0.0.1",
                                                  .port = port,
                                                  .path = "/",
                                                  .timeout_ms = 20000,
                                                  .interval_ms = 100});
    char *script = service_script(&p);
    pid_t job = t_start(script);
    cr_assert(t_await_file("base/runs/" T_ID "/service.endpoint"), "never published");
    char *ep = endpoint_now();
    char want[64];
    snprintf(want, sizeof want, "127.0.0.1:%d\n", port);
    cr_assert_str_eq(ep, want);
    free(ep);
    kill(job, SIGTERM);
    t_wait(job);
    assert_gone(standin_pid());
    free(script);
}

Test(slurm_handshake, a_probe_command_is_retried_until_it_exits_zero)
{
    char after[600];
    snprintf(after, sizeof after,
             "echo $$ > \"${log%%/*}/svc.pid\"\nsleep 1\n: > '%s/ready'\n"
             "exec sleep 30",
             t_dir);
    t_standin("svc", after);
    char ready[400];
    snprintf(ready, sizeof ready, "%s/ready", t_dir);
    char *argv[] = {"svc", NULL};
    char *probe[] = {"test", "-e", ready, NULL};
    exec_plan p = service_plan(argv, (exec_probe){.kind = EXEC_PROBE_CMD,
                                                  .host = "10.1.2.3",
                                                  .port = 5000,
                                                  .cmd = {probe, NULL},
                                                  .timeout_ms = 20000,
                                                  .interval_ms = 100});
    char *script = service_script(&p);
    pid_t job = t_start(script);
    cr_assert(t_await_file("base/runs/" T_ID "/service.endpoint"), "never published");
    cr_assert(t_exists(ready), "published before the probe passed");
    char *ep = endpoint_now();
    cr_assert_str_eq(ep, "10.1.2.3:5000\n", "a fixed host is published as it is");
    free(ep);
    kill(job, SIGTERM);
    cr_assert_eq(t_wait(job), 143, "sleep's own status on SIGTERM");
    assert_gone(standin_pid());
    free(script);
}

Test(slurm_handshake, without_a_fixed_host_the_node_name_is_published)
{
    t_standin("svc", "sleep 1");
    char *argv[] = {"svc", NULL};
    exec_plan p = service_plan(
        argv, (exec_probe){.kind = EXEC_PROBE_NONE, .host = SLURM_HOST_TOKEN, .port = 7000});
    char *script = service_script(&p);
    cr_assert_eq(t_run(script), 0);
    char *ep = endpoint_now();
    char host[256] = "";
    FILE *f = popen("hostname -f 2>/dev/null || hostname", "r");
    cr_assert(f && fgets(host, sizeof host, f));
    pclose(f);
    host[strcspn(host, "\n")] = '\0';
    char want[300];
    snprintf(want, sizeof want, "%s:7000\n", host);
    cr_assert_str_eq(ep, want);
    free(ep);
    free(script);
}

Test(slurm_handshake, a_service_that_exits_before_it_is_ready_fails_the_job_with_its_status)
{
    t_standin("svc", "exit 4");
    char *argv[] = {"svc", NULL};
    exec_plan p = service_plan(argv, (exec_probe){.kind = EXEC_PROBE_TCP,
                                                  .host = "127.0.0.1",
                                                  .port = t_free_port(),
                                                  .timeout_ms = 20000,
                                                  .interval_ms = 100});
    char *script = service_script(&p);
    cr_assert_eq(t_run(script), 3);
    char *errs = t_read("log/script.err", NULL);
    cr_assert(strstr(errs, "the service exited with status 4 before it was ready"), "%s", errs);
    free(errs);
    cr_assert_null(endpoint_now());
    free(script);
}

Test(slurm_handshake, a_stale_endpoint_of_an_earlier_attempt_is_removed_first)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/service.endpoint", t_rundir);
    t_write(path, "old-node:1\n", 11, 0644);
    t_standin("svc", "exit 4");
    char *argv[] = {"svc", NULL};
    exec_plan p = service_plan(argv, (exec_probe){.kind = EXEC_PROBE_TCP,
                                                  .host = "127.0.0.1",
                                                  .port = t_free_port(),
                                                  .timeout_ms = 5000});
    char *script = service_script(&p);
    cr_assert_eq(t_run(script), 3);
    cr_assert_null(endpoint_now());
    free(script);
}

Test(slurm_handshake, the_agents_hook_runs_beside_the_role_and_is_stopped_after_it)
{
    t_standin("svc", "sleep 1");
    t_standin("agent", "trap 'echo stopped > \"$log.stopped\"; kill $! 2>/dev/null; exit 0' TERM\n"
                       "sleep 30 &\nwait");
    char *argv[] = {"svc", NULL};
    char *agent[] = {"agent", "--role", "service", NULL};
    char *agent_env[] = {"AIFB_AGENT_X=1", NULL};
    exec_agent agents[] = {{.name = "monitor", .cmd = {agent, agent_env}, .pid_flag = "--pid"}};
    exec_plan p = service_plan(
        argv, (exec_probe){.kind = EXEC_PROBE_NONE, .host = "127.0.0.1", .port = 7000});
    p.service.agents = agents;
    p.service.nagents = 1;
    slurm_opts o = t_opts();
    char *script = NULL;
    cr_assert_eq(slurm_script_service(&p, &o, &script, NULL), AIFB_OK);
    cr_assert_eq(t_run(script), 0);
    size_t len = 0;
    char *args = t_read("log/agent.argv", &len);
    cr_assert_not_null(args, "the agent never started");
    cr_assert_eq(len, strlen("--role") + strlen("service") + 2,
                 "on Slurm no pid is appended: the agent finds the job's processes itself");
    free(args);
    char *env = t_read("log/agent.env", &len);
    cr_assert(t_nul_list_has(env, len, "AIFB_AGENT_X=1"));
    cr_assert(t_nul_list_has(env, len, "AIFB_RUN_ID=" T_ID), "agents know the run");
    cr_assert(t_nul_list_has(env, len, "AIFB_ROLE=service"));
    free(env);
    cr_assert(t_await_file("log/agent.stopped"), "the agent was not stopped");
    char *own_log = t_read("base/runs/" T_ID "/service.monitor.log", &len);
    cr_assert_not_null(own_log, "the agent's output goes to its own log in the run folder");
    free(own_log);
    free(script);
}

/* A client plan: setup commands then main, against this run's service. */
static char *client_script(char **main_argv, exec_cmd *setup, size_t nsetup, int timeout_s)
{
    exec_plan p = {.id = T_ID,
                   .has_service = true,
                   .has_client = true,
                   .client = {.setup = setup, .nsetup = nsetup, .main = {main_argv, NULL}},
                   .endpoint = SLURM_HOST_TOKEN ":6379"};
    slurm_opts o = t_opts();
    o.endpoint_timeout_s = timeout_s;
    char *script = NULL;
    aifb_err err = {0};
    cr_assert_eq(slurm_script_client(&p, &o, &script, &err), AIFB_OK, "%s", err.msg);
    cr_assert(t_syntax_ok(script));
    return script;
}

Test(slurm_handshake, the_client_fails_with_status_3_and_says_why_when_no_endpoint_comes)
{
    t_standin("client", NULL);
    char *argv[] = {"client", NULL};
    char *script = client_script(argv, NULL, 0, 1);
    cr_assert_eq(t_run(script), 3);
    char *errs = t_read("log/script.err", NULL);
    cr_assert(strstr(errs, "aifb: FAILED: the service endpoint never came"), "%s", errs);
    cr_assert(strstr(errs, "/service.endpoint did not appear within 1 s"), "%s", errs);
    free(errs);
    cr_assert_null(t_read("log/client.argv", NULL), "the client must not run");
    free(script);
}

Test(slurm_handshake, the_client_waits_for_the_endpoint_and_exits_with_its_commands_status)
{
    t_standin("client", "exit 7");
    char *argv[] = {"client", "-h", SLURM_HOST_TOKEN, NULL};
    char *script = client_script(argv, NULL, 0, 30);
    pid_t job = t_start(script);
    usleep(1200 * 1000);
    cr_assert_null(t_read("log/client.argv", NULL), "the client started without an endpoint");
    /* Published the way the service job does it: a temporary file renamed into place. */
    char tmp[1024], path[1024];
    snprintf(tmp, sizeof tmp, "%s/.service.endpoint.x", t_rundir);
    snprintf(path, sizeof path, "%s/service.endpoint", t_rundir);
    t_write(tmp, "node7.cluster:6380\n", 19, 0644);
    cr_assert_eq(rename(tmp, path), 0);
    cr_assert_eq(t_wait(job), 7);
    size_t len = 0;
    char *args = t_read("log/client.argv", &len);
    cr_assert_eq(len, 17);
    cr_assert(memcmp(args, "-h\0node7.cluster\0", 17) == 0);
    free(args);
    char *env = t_read("log/client.env", &len);
    cr_assert(t_nul_list_has(env, len, "AIFB_ENDPOINT=node7.cluster:6380"));
    cr_assert(t_nul_list_has(env, len, "AIFB_ENDPOINT_HOST=node7.cluster"));
    cr_assert(t_nul_list_has(env, len, "AIFB_ENDPOINT_PORT=6380"));
    free(env);
    free(script);
}

Test(slurm_handshake, setup_commands_run_in_order_and_a_failing_one_stops_the_client)
{
    char order[400];
    snprintf(order, sizeof order, "%s/order", t_dir);
    char line[600];
    snprintf(line, sizeof line, "echo setup1 >> '%s'", order);
    t_standin("setup1", line);
    snprintf(line, sizeof line, "echo setup2 >> '%s'; exit 5", order);
    t_standin("setup2", line);
    t_standin("client", NULL);
    char path[1024];
    snprintf(path, sizeof path, "%s/service.endpoint", t_rundir);
    t_write(path, "n:1\n", 4, 0644);
    char *s1[] = {"setup1", NULL}, *s2[] = {"setup2", NULL}, *argv[] = {"client", NULL};
    exec_cmd setup[] = {{s1, NULL}, {s2, NULL}};
    char *script = client_script(argv, setup, 2, 5);
    cr_assert_eq(t_run(script), 5, "the job ends with the failing setup command's status");
    char *got = t_read("order", NULL);
    cr_assert_str_eq(got, "setup1\nsetup2\n");
    free(got);
    char *errs = t_read("log/script.err", NULL);
    cr_assert(strstr(errs, "client setup command 2 exited with status 5"), "%s", errs);
    free(errs);
    cr_assert_null(t_read("log/client.argv", NULL), "the client must not run after a failure");
    free(script);
}
