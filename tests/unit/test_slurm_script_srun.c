/* test_slurm_script_srun.c: a client job of several tasks runs its main command as one srun step
 * (each task of the step a load client with its share), its setup commands once; a job of one
 * task runs the command as it is. */
#include "test_slurm_script_support.h"

TestSuite(slurm_srun, .init = t_setup, .fini = t_teardown, .timeout = 60);

static char *client_script(int tasks)
{
    char *argv[] = {"aifb-loadgen", "--url", "http://x", NULL};
    char *setup_argv[] = {"prepare", NULL};
    exec_cmd setup[] = {{setup_argv, NULL}};
    exec_plan p = {.id = T_ID,
                   .has_client = true,
                   .endpoint = "node1:8000",
                   .client = {.main = {argv, NULL}, .setup = setup, .nsetup = 1}};
    slurm_opts o = t_opts();
    o.tasks = tasks;
    char *script = NULL;
    aifb_err err = {0};
    cr_assert_eq(slurm_script_client(&p, &o, &script, &err), AIFB_OK, "%s", err.msg);
    cr_assert(t_syntax_ok(script));
    return script;
}

Test(slurm_srun, a_client_of_several_tasks_runs_its_command_as_one_srun_step)
{
    char *s = client_script(4);
    cr_assert_not_null(strstr(s, "#SBATCH --ntasks=4"), "%s", s);
    cr_assert_not_null(strstr(s, "exec -- srun --kill-on-bad-exit=1 'aifb-loadgen' '--url'"), "%s",
                       s);
    /* The setup command runs once, in the batch step, not in every task. */
    cr_assert_not_null(strstr(s, "exec -- 'prepare'"), "%s", s);
    free(s);
}

Test(slurm_srun, a_client_of_one_task_runs_its_command_directly)
{
    char *s = client_script(1);
    cr_assert_null(strstr(s, "srun"), "%s", s);
    cr_assert_not_null(strstr(s, "exec -- 'aifb-loadgen'"), "%s", s);
    free(s);
}
