/* test_slurm_ssh_parse.c: reading squeue and sacct output as a login node returns it, with the
 * banners and messages of the day a login shell may print around the command's own lines. */
#include <criterion/criterion.h>
#include <string.h>

#include "slurm/slurm_ssh.h"

TestSuite(slurm_ssh_parse, .timeout = 30);

static const char SQUEUE_NOISY[] =
    "Welcome to the login node | maintenance on Tuesday\n"
    "=============================================\n"
    "Your quota: 12|34|56|78|90|12\n"
    "41|RUNNING|None|0|aifb-r-3fa09c1d22be-service|aifb run r-3fa09c1d22be\n"
    "42|FAILED|NonZeroExitCode|768|aifb-r-3fa09c1d22be-client|aifb|run|with bars\r\n"
    "43|CANCELLED|None|15|wrap|(null)\n"
    "44|PENDING|Resources|0|name with spaces|\n"
    "\n"
    "Last login: Mon Jan  1 00:00:00 2024 from 10.0.0.1\n";

Test(slurm_ssh_parse, squeue_lines_are_read_and_banner_lines_around_them_are_ignored)
{
    slurm_ssh_job *jobs = NULL;
    size_t n = 0;
    cr_assert_eq(slurm_ssh_parse_squeue(SQUEUE_NOISY, &jobs, &n, NULL), AIFB_OK);
    cr_assert_eq(n, 4, "4 jobs expected, got %zu", n);
    cr_assert_eq(jobs[0].job_id, 41);
    cr_assert_str_eq(jobs[0].state, "RUNNING");
    cr_assert_str_eq(jobs[0].name, "aifb-r-3fa09c1d22be-service");
    cr_assert_str_eq(jobs[0].comment, "aifb run r-3fa09c1d22be");
    cr_assert_str_eq(jobs[3].name, "name with spaces");
    cr_assert_str_eq(jobs[3].reason, "Resources");
    cr_assert_str_eq(jobs[3].comment, "");
    slurm_ssh_jobs_free(jobs, n);
}

Test(slurm_ssh_parse, a_comment_holding_bars_stays_whole_and_a_null_comment_is_empty)
{
    slurm_ssh_job *jobs = NULL;
    size_t n = 0;
    slurm_ssh_parse_squeue(SQUEUE_NOISY, &jobs, &n, NULL);
    cr_assert_eq(n, 4);
    cr_assert_str_eq(jobs[1].comment, "aifb|run|with bars");
    cr_assert_str_eq(jobs[2].comment, "");
    slurm_ssh_jobs_free(jobs, n);
}

Test(slurm_ssh_parse, squeue_raw_wait_status_becomes_exit_code_or_signal)
{
    slurm_ssh_job *jobs = NULL;
    size_t n = 0;
    slurm_ssh_parse_squeue(SQUEUE_NOISY, &jobs, &n, NULL);
    cr_assert_eq(n, 4);
    cr_assert_eq(jobs[1].exit_code, 3);
    cr_assert_eq(jobs[1].exit_signal, 0);
    cr_assert_str_eq(jobs[1].reason, "NonZeroExitCode");
    cr_assert_eq(jobs[2].exit_signal, 15);
    cr_assert_eq(jobs[2].exit_code, 0);
    slurm_ssh_jobs_free(jobs, n);
}

Test(slurm_ssh_parse, output_of_only_banners_gives_no_jobs)
{
    slurm_ssh_job *jobs = NULL;
    size_t n = 7;
    cr_assert_eq(slurm_ssh_parse_squeue("motd\nx|Y|z|1|a|b\n12|running|x|0|a|b\n", &jobs, &n, NULL),
                 AIFB_OK);
    cr_assert_eq(n, 0);
    slurm_ssh_jobs_free(jobs, n);
}

Test(slurm_ssh_parse, sacct_lines_give_state_exit_code_and_signal_and_skip_noise)
{
    const char *text = "This is a login banner\n"
                       "101|COMPLETED|0:0|aifb-r-1|aifb run r-1\n"
                       "102|CANCELLED by 0|0:15|aifb-r-2|\n"
                       "103|FAILED|3:0|aifb-r-3|c|d\n"
                       "103.batch|FAILED|3:0|batch|\n"
                       "104|TIMEOUT|0:1|x|y\n"
                       "oops|RUNNING|0:0|x|y\n";
    slurm_ssh_job *jobs = NULL;
    size_t n = 0;
    cr_assert_eq(slurm_ssh_parse_sacct(text, &jobs, &n, NULL), AIFB_OK);
    cr_assert_eq(n, 4, "4 jobs expected, got %zu", n);
    cr_assert_str_eq(jobs[0].state, "COMPLETED");
    cr_assert_str_eq(jobs[0].comment, "aifb run r-1");
    cr_assert_str_eq(jobs[1].state, "CANCELLED");
    cr_assert_eq(jobs[1].exit_signal, 15);
    cr_assert_eq(jobs[2].exit_code, 3);
    cr_assert_str_eq(jobs[2].comment, "c|d");
    cr_assert_eq(jobs[3].job_id, 104);
    cr_assert_str_eq(jobs[3].state, "TIMEOUT");
    slurm_ssh_jobs_free(jobs, n);
}
