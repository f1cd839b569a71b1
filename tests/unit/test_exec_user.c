/* test_exec_user.c: a role with a user runs as that user when aifbd is root, in a workdir that
 * user owns, and a workdir that user cannot reach is refused before anything starts. Skipped
 * when the tests do not run as root; uses the Debian user 'nobody'. */
#include "test_exec_support.h"

#include <pwd.h>

TestSuite(exec_user, .init = test_setup, .fini = test_teardown, .timeout = 60);

static void need_root(void)
{
    if (geteuid() != 0)
        cr_skip_test("switching users needs root");
    if (!getpwnam("nobody"))
        cr_skip_test("this system has no user 'nobody'");
}

Test(exec_user, a_client_with_a_user_runs_as_that_user_in_a_workdir_it_owns)
{
    need_root();
    cr_assert_eq(chmod(test_dir, 0755), 0);
    char workdir[512];
    test_path(workdir, sizeof workdir, "client");
    char *cli[] = {"sh", "-c", "id -un; echo \"$HOME\"; touch written-by-user", NULL};
    exec_plan plan = {.id = "r-00000000b001", .dir = test_dir, .has_client = true};
    plan.client.main.argv = cli;
    plan.client.user = "nobody";
    plan.client.workdir = workdir;
    aifb_err err = {0};
    cr_assert_eq(test_ex->ops->submit(test_ex, &plan, &err), AIFB_OK, "%s", err.msg);
    exec_status st = test_poll_until_final(test_ex, plan.id, NULL);
    cr_assert_eq(st.phase, EXEC_SUCCEEDED, "phase %d: %s", st.phase, st.reason);
    char *out = test_read("client.out");
    struct passwd *pw = getpwnam("nobody");
    char want[600];
    snprintf(want, sizeof want, "nobody\n%s\n", pw->pw_dir);
    cr_assert_str_eq(out, want);
    free(out);
    struct stat sb;
    cr_assert_eq(stat(workdir, &sb), 0);
    cr_assert_eq(sb.st_uid, pw->pw_uid, "the workdir was not given to the user");
    cr_assert(test_exists("client/written-by-user"));
}

Test(exec_user, a_workdir_the_user_cannot_reach_is_refused_with_a_way_to_fix_it)
{
    need_root();
    cr_assert_eq(chmod(test_dir, 0700), 0);
    char workdir[512];
    test_path(workdir, sizeof workdir, "client");
    char *cli[] = {"id", "-un", NULL};
    exec_plan plan = {.id = "r-00000000b002", .dir = test_dir, .has_client = true};
    plan.client.main.argv = cli;
    plan.client.user = "nobody";
    plan.client.workdir = workdir;
    aifb_err err = {0};
    cr_assert_eq(test_ex->ops->submit(test_ex, &plan, &err), AIFB_EINVAL);
    cr_assert(strstr(err.msg, "user 'nobody' cannot reach"), "%s", err.msg);
    cr_assert(strstr(err.msg, test_dir), "the closed folder is not named: %s", err.msg);
    cr_assert(strstr(err.msg, "--state-dir"), "no way to fix it is given: %s", err.msg);
    cr_assert(!test_exists("client.pid") && !test_exists("client.out"), "something started");
}

Test(exec_user, a_service_with_a_user_runs_its_setup_and_main_as_that_user)
{
    need_root();
    cr_assert_eq(chmod(test_dir, 0755), 0);
    char port[16], workdir[512];
    snprintf(port, sizeof port, "%d", test_free_port());
    test_path(workdir, sizeof workdir, "service");
    char *setup[] = {"sh", "-c", "id -un > setup-user", NULL};
    exec_cmd setups[] = {{.argv = setup}};
    char *svc[] = {"python3", "-c", TEST_PY_LISTENER, port, NULL};
    char *cli[] = {"cat", "service/setup-user", NULL};
    exec_plan plan = test_benchmark_plan("r-00000000b003", svc, cli, atoi(port));
    plan.service.user = "nobody";
    plan.service.workdir = workdir;
    plan.service.setup = setups;
    plan.service.nsetup = 1;
    aifb_err err = {0};
    cr_assert_eq(test_ex->ops->submit(test_ex, &plan, &err), AIFB_OK, "%s", err.msg);
    exec_status st = test_poll_until_final(test_ex, plan.id, NULL);
    cr_assert_eq(st.phase, EXEC_SUCCEEDED, "phase %d: %s", st.phase, st.reason);
    char *out = test_read("client.out");
    cr_assert_str_eq(out, "nobody\n");
    free(out);
}
