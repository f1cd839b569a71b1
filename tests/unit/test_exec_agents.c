/* test_exec_agents.c: the local executor runs a role's agents (aifb-monitor, aifb-logship) beside
 * its main command: started once main exists with main's pid after the agent's pid flag, writing
 * to their own log and not into the role's output, asked to stop with SIGTERM when main ends or
 * the plan is cancelled, and waited for, so a run is reported finished only once its agents have
 * flushed. The agents here are small shell programs that record what they saw. */
#include <sys/wait.h>

#include "test_exec_support.h"

/* A grace period well above the agents' 0.3 s flush, so a test would see an agent cut short by
 * the executor's SIGKILL if stopping a role reached its agents. */
static void setup_with_grace(void)
{
    test_setup();
    test_ex->ops->free(test_ex);
    aifb_err err = {0};
    cr_assert_eq(exec_local_new(3000, &test_ex, &err), AIFB_OK, "%s", err.msg);
}

TestSuite(exec_agents, .init = setup_with_grace, .fini = test_teardown, .timeout = 60);

/* Records its arguments and whether the pid it was given is alive. Given a pid ("--pid PID"),
 * it leaves by itself once that process is gone ("main-gone"); on SIGTERM it leaves too
 * ("got-term"). Either way it pauses (a flush to a slow receiver) and then writes
 * "<name>.flushed" in the run folder. */
#define AGENT_SCRIPT                                                                               \
    "flush() { sleep 0.3; echo done > \"$AIFB_TEST_DIR/$0.flushed\"; exit 0; }\n"                  \
    "trap 'echo got-term; flush' TERM\n"                                                           \
    "echo \"args $*\"\n"                                                                           \
    "if [ \"$1\" = --pid ] && kill -0 \"$2\" 2>/dev/null; then\n"                                  \
    "    echo main-alive\n"                                                                        \
    "    while kill -0 \"$2\" 2>/dev/null; do sleep 0.05; done\n"                                  \
    "    echo main-gone; flush\n"                                                                  \
    "fi\n"                                                                                         \
    "while :; do sleep 0.05; done\n"

static exec_plan client_plan(const char *id, char **cli, exec_agent *agents, size_t n)
{
    exec_plan p = {0};
    p.id = id;
    p.dir = test_dir;
    p.has_client = true;
    p.endpoint = "127.0.0.1:1";
    p.client.main.argv = cli;
    p.client.agents = agents;
    p.client.nagents = n;
    return p;
}

static void env_for_agents(void)
{
    setenv("AIFB_TEST_DIR", test_dir, 1);
}

Test(exec_agents, agents_follow_main_by_pid_log_apart_and_flush_before_the_run_ends)
{
    env_for_agents();
    char *cli[] = {"sh", "-c",
                   "echo $$ > main.pid; echo \"client-output $AIFB_RUN_ID $AIFB_ROLE\"; sleep 0.5",
                   NULL};
    char *mon[] = {"sh", "-c", AGENT_SCRIPT, "monitor", NULL};
    char *ship[] = {"sh", "-c", AGENT_SCRIPT, "logship", "--files", NULL};
    exec_agent agents[] = {{.name = "monitor", .cmd = {mon, NULL}, .pid_flag = "--pid"},
                           {.name = "logship", .cmd = {ship, NULL}}};
    exec_plan p = client_plan("r-0000000000a1", cli, agents, 2);
    p.client.workdir = test_dir;
    aifb_err err = {0};
    cr_assert_eq(test_ex->ops->submit(test_ex, &p, &err), AIFB_OK, "%s", err.msg);
    exec_status st = test_poll_until_final(test_ex, p.id, NULL);
    cr_assert_eq(st.phase, EXEC_SUCCEEDED, "%d: %s", st.phase, st.reason);

    char *main_pid = test_read("main.pid"), *mon_log = test_read("client.monitor.log");
    char *ship_log = test_read("client.logship.log"), *out = test_read("client.out");
    main_pid[strcspn(main_pid, "\n")] = '\0';
    char want[64];
    snprintf(want, sizeof want, "args --pid %s\n", main_pid);
    cr_assert(strstr(mon_log, want), "the monitor was given main's pid: %s", mon_log);
    cr_assert(strstr(mon_log, "main-alive"), "main was running when the monitor started");
    cr_assert(strstr(ship_log, "args --files\n"), "no pid for an agent without a flag: %s",
              ship_log);
    cr_assert(strstr(mon_log, "main-gone") && !strstr(mon_log, "got-term"),
              "the agent following main left by itself, unsignalled: %s", mon_log);
    cr_assert(strstr(ship_log, "got-term"), "the other one was asked to stop: %s", ship_log);
    cr_assert(test_exists("monitor.flushed") && test_exists("logship.flushed"),
              "the run ended before its agents had flushed");
    cr_assert(strstr(out, "client-output r-0000000000a1 client"),
              "the role knows its run and role, as on Slurm: %s", out);
    cr_assert_null(strstr(out, "args"), "agent output leaked into client.out: %s", out);
    free(main_pid);
    free(mon_log);
    free(ship_log);
    free(out);
    cr_assert(!test_group_alive(test_pgid("client")), "nothing of the role is left");
}

Test(exec_agents, a_cancelled_run_stops_its_agents_politely_too)
{
    env_for_agents();
    char *cli[] = {"sh", "-c", "sleep 30", NULL};
    char *mon[] = {"sh", "-c", AGENT_SCRIPT, "monitor", NULL};
    exec_agent agents[] = {{.name = "monitor", .cmd = {mon, NULL}, .pid_flag = "--pid"}};
    exec_plan p = client_plan("r-0000000000a2", cli, agents, 1);
    p.client.workdir = test_dir;
    aifb_err err = {0};
    cr_assert_eq(test_ex->ops->submit(test_ex, &p, &err), AIFB_OK, "%s", err.msg);
    test_poll_until_phase(test_ex, p.id, EXEC_RUNNING);
    for (int i = 0; i < 100; i++) {
        char *log = test_read("client.monitor.log");
        bool started = strstr(log, "args") != NULL;
        free(log);
        if (started)
            break;
        test_sleep_ms(20);
    }
    cr_assert_eq(test_ex->ops->cancel(test_ex, p.id, &err), AIFB_OK, "%s", err.msg);
    exec_status st = test_poll_until_final(test_ex, p.id, NULL);
    cr_assert_eq(st.phase, EXEC_CANCELLED, "%d: %s", st.phase, st.reason);
    cr_assert(test_exists("monitor.flushed"), "the agent was killed before it could flush");
    char *log = test_read("client.monitor.log");
    cr_assert(strstr(log, "main-gone") && !strstr(log, "got-term"),
              "stopping the role stopped main, and main's end the agent: %s", log);
    free(log);
    cr_assert(!test_group_alive(test_pgid("client")));
}

Test(exec_agents, an_agent_program_not_found_is_refused_before_anything_starts)
{
    char *cli[] = {"sh", "-c", "echo started > started", NULL};
    char *mon[] = {"aifb-no-such-agent", NULL};
    exec_agent agents[] = {{.name = "monitor", .cmd = {mon, NULL}, .pid_flag = "--pid"}};
    exec_plan p = client_plan("r-0000000000a3", cli, agents, 1);
    p.client.workdir = test_dir;
    aifb_err err = {0};
    cr_assert_eq(test_ex->ops->submit(test_ex, &p, &err), AIFB_EINVAL);
    cr_assert(strstr(err.msg, "client agent monitor") && strstr(err.msg, "aifb-no-such-agent"),
              "%s", err.msg);
    test_sleep_ms(200);
    cr_assert_not(test_exists("started"));
}
