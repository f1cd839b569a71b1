/* test_slurm_ssh_parse.c: reading squeue and sacct output as a login node returns it, with the
 * banners and messages of the day a login shell may print around the command's own lines. */
#include <criterion/criterion.h>
#include <stdlib.h>
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

static const char SINFO_NODES_NOISY[] = "Welcome to the login node | maintenance on Tuesday\n"
                                        "gpu001|mixed|128|512000|gpu:a100:4|gpu*\n"
                                        "gpu001|mixed|128|512000|gpu:a100:4|long\n"
                                        "cpu002|idle~|256|491520|(null)|cpu\r\n"
                                        "cpu003|down*|256|491520|(null)|cpu\n"
                                        "cpu004|drained|256|many|(null)|cpu\n"
                                        "Last login: Mon Jan  1 00:00:00 2024 from 10.0.0.1\n";

Test(slurm_ssh_parse, sinfo_nodes_merge_partitions_and_spell_states_as_slurmrestd_does)
{
    slurm_node_info *nodes = NULL;
    size_t n = 0;
    cr_assert_eq(slurm_ssh_parse_sinfo_nodes(SINFO_NODES_NOISY, &nodes, &n, NULL), AIFB_OK);
    cr_assert_eq(n, 3, "gpu001 once, cpu002, cpu003; the line without a memory figure skipped");
    cr_assert_str_eq(nodes[0].name, "gpu001");
    cr_assert_str_eq(nodes[0].state, "MIXED");
    cr_assert_eq(nodes[0].cpus, 128);
    cr_assert_eq(nodes[0].memory_mb, 512000);
    cr_assert_str_eq(nodes[0].gres, "gpu:a100:4");
    cr_assert_str_eq(nodes[0].partitions, "gpu,long", "the default mark '*' is not a name");
    cr_assert_str_eq(nodes[1].state, "IDLE+POWERED_DOWN");
    cr_assert_str_eq(nodes[1].gres, "");
    cr_assert_str_eq(nodes[2].state, "DOWN+NOT_RESPONDING");
    free(nodes);
}

Test(slurm_ssh_parse, sinfo_partitions_keep_the_default_and_the_total_cpus)
{
    static const char text[] = "motd: 1|2|3|4|5\n"
                               "gpu*|up|200|1024/24576/0/25600|mel[2001-2200]\n"
                               "cpu|down|573|0/73344/0/73344|mel[0001-0573]\r\n"
                               "large|up|20|n/a|mel[4001-4020]\n";
    slurm_partition_info *parts = NULL;
    size_t n = 0;
    cr_assert_eq(slurm_ssh_parse_sinfo_partitions(text, &parts, &n, NULL), AIFB_OK);
    cr_assert_eq(n, 2, "the banner and the line without CPU figures are skipped, got %zu", n);
    cr_assert_str_eq(parts[0].name, "gpu");
    cr_assert(parts[0].default_known && parts[0].is_default);
    cr_assert_str_eq(parts[0].state, "UP");
    cr_assert_eq(parts[0].total_nodes, 200);
    cr_assert_eq(parts[0].total_cpus, 25600);
    cr_assert_str_eq(parts[0].nodes, "mel[2001-2200]");
    cr_assert_str_eq(parts[1].name, "cpu");
    cr_assert(parts[1].default_known && !parts[1].is_default);
    cr_assert_str_eq(parts[1].state, "DOWN");
    free(parts);
}
