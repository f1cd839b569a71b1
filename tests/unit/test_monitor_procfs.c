/* test_monitor_procfs.c: the node collector on captured /proc and /sys files
 * (fixtures/monitor/node: two CPUs, a virtio disk with a partition, an NVMe disk, a loop device
 * and a device-mapper volume, lo, eth0 and an InfiniBand port), and finding a Slurm job's
 * processes from its cgroup, v2 (fixtures/monitor/cgroup-v2: job 42 with three steps, a job 421
 * beside it) and v1 (fixtures/monitor/cgroup-v1: the freezer hierarchy). */
#include <criterion/criterion.h>
#include <string.h>
#include <unistd.h>

#include "monitor/cgroup.h"
#include "monitor/procfs.h"
#include "monitor/ptree.h"

#define FIXTURES AIFB_SOURCE_DIR "/tests/unit/fixtures/monitor/"

static double value(const mon_samples *s, mon_metric m, const char *l0)
{
    const mon_sample *x = mon_samples_find(s, m, l0, NULL);
    cr_assert_not_null(x, "no %s{%s}", mon_metric_get(m)->name, l0 ? l0 : "");
    return x->value;
}

static size_t count(const mon_samples *s, mon_metric m)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++)
        n += s->v[i].metric == m;
    return n;
}

Test(monitor_node, cpu_memory_and_load_in_base_units)
{
    mon_node *n = node_new(FIXTURES "node");
    mon_samples s = {0};
    node_collect(n, &s);
    double hz = (double)sysconf(_SC_CLK_TCK);
    cr_assert_eq(count(&s, M_NODE_CPU), 8);
    cr_assert_float_eq(value(&s, M_NODE_CPU, "user"), 1000 / hz, 1e-9);
    cr_assert_float_eq(value(&s, M_NODE_CPU, "nice"), 20 / hz, 1e-9);
    cr_assert_float_eq(value(&s, M_NODE_CPU, "system"), 300 / hz, 1e-9);
    cr_assert_float_eq(value(&s, M_NODE_CPU, "idle"), 50000 / hz, 1e-9);
    cr_assert_float_eq(value(&s, M_NODE_CPU, "iowait"), 40 / hz, 1e-9);
    cr_assert_float_eq(value(&s, M_NODE_CPU, "irq"), 0, 1e-9);
    cr_assert_float_eq(value(&s, M_NODE_CPU, "softirq"), 60 / hz, 1e-9);
    cr_assert_float_eq(value(&s, M_NODE_CPU, "steal"), 7 / hz, 1e-9);
    cr_assert_eq(value(&s, M_NODE_CPUS, NULL), 2);
    cr_assert_eq(value(&s, M_NODE_MEM_TOTAL, NULL), 16318428.0 * 1024);
    cr_assert_eq(value(&s, M_NODE_MEM_AVAILABLE, NULL), 8765432.0 * 1024);
    cr_assert_eq(value(&s, M_NODE_MEM_FREE, NULL), 1234567.0 * 1024);
    cr_assert_eq(value(&s, M_NODE_MEM_CACHED, NULL), 2222222.0 * 1024, "not SwapCached");
    cr_assert_eq(value(&s, M_NODE_MEM_BUFFERS, NULL), 111111.0 * 1024);
    cr_assert_eq(value(&s, M_NODE_SWAP_TOTAL, NULL), 4194300.0 * 1024);
    cr_assert_eq(value(&s, M_NODE_SWAP_FREE, NULL), 4194000.0 * 1024);
    cr_assert_eq(value(&s, M_NODE_LOAD1, NULL), 0.44);
    cr_assert_eq(value(&s, M_NODE_LOAD5, NULL), 1.22);
    cr_assert_eq(value(&s, M_NODE_LOAD15, NULL), 2.15);
    mon_samples_free(&s);
    node_free(n);
}

Test(monitor_node, network_devices_but_lo)
{
    mon_node *n = node_new(FIXTURES "node");
    mon_samples s = {0};
    node_collect(n, &s);
    cr_assert_eq(count(&s, M_NODE_NET_RX_BYTES), 2);
    cr_assert_null(mon_samples_find(&s, M_NODE_NET_RX_BYTES, "lo", NULL));
    cr_assert_eq(value(&s, M_NODE_NET_RX_BYTES, "eth0"), 65542013);
    cr_assert_eq(value(&s, M_NODE_NET_RX_PACKETS, "eth0"), 2598);
    cr_assert_eq(value(&s, M_NODE_NET_TX_BYTES, "eth0"), 161325);
    cr_assert_eq(value(&s, M_NODE_NET_TX_PACKETS, "eth0"), 2139);
    /* no blank after the colon, as the kernel writes large counters */
    cr_assert_eq(value(&s, M_NODE_NET_RX_BYTES, "ib0"), 123456789012.0);
    cr_assert_eq(value(&s, M_NODE_NET_TX_BYTES, "ib0"), 210987654321.0);
    mon_samples_free(&s);
    node_free(n);
}

Test(monitor_node, whole_disks_only_in_bytes_and_seconds)
{
    mon_node *n = node_new(FIXTURES "node");
    mon_samples s = {0};
    node_collect(n, &s);
    cr_assert_eq(count(&s, M_NODE_DISK_READ_BYTES), 3, "vda, nvme0n1, dm-0");
    for (const char *const *p = (const char *const[]){"vda1", "nvme0n1p1", "loop0", NULL}; *p; p++)
        cr_assert_null(mon_samples_find(&s, M_NODE_DISK_READS, *p, NULL), "%s", *p);
    cr_assert_eq(value(&s, M_NODE_DISK_READS, "vda"), 1176849);
    cr_assert_eq(value(&s, M_NODE_DISK_READ_BYTES, "vda"), 29400098.0 * 512);
    cr_assert_eq(value(&s, M_NODE_DISK_WRITES, "vda"), 1511410);
    cr_assert_eq(value(&s, M_NODE_DISK_WRITTEN_BYTES, "vda"), 125658064.0 * 512);
    cr_assert_float_eq(value(&s, M_NODE_DISK_IO_TIME, "vda"), 264.084, 1e-9);
    cr_assert_eq(value(&s, M_NODE_DISK_READ_BYTES, "nvme0n1"), 4000.0 * 512);
    cr_assert_eq(value(&s, M_NODE_DISK_WRITES, "dm-0"), 3);
    mon_samples_free(&s);
    node_free(n);
}

Test(monitor_node, a_missing_file_leaves_its_series_out)
{
    mon_node *n = node_new(FIXTURES "cgroup-v2"); /* a root with no /proc/stat and the rest */
    mon_samples s = {0};
    node_collect(n, &s);
    node_collect(n, &s); /* logged once, not twice */
    cr_assert_eq(s.n, 0);
    mon_samples_free(&s);
    node_free(n);
}

Test(monitor_cgroup, finds_the_job_folder_in_cgroup_v2)
{
    char dir[4096];
    aifb_err err = {0};
    cr_assert_eq(cgroup_job_dir(FIXTURES "cgroup-v2", "42", dir, sizeof dir, &err), AIFB_OK, "%s",
                 err.msg);
    cr_assert_str_eq(dir, "/sys/fs/cgroup/system.slice/slurmstepd.scope/job_42");
    cr_assert_eq(cgroup_job_dir(FIXTURES "cgroup-v2", NULL, dir, sizeof dir, &err), AIFB_OK);
    cr_assert_str_eq(dir, "/sys/fs/cgroup/system.slice/slurmstepd.scope/job_42");
    cr_assert_eq(cgroup_job_dir(FIXTURES "cgroup-v2", "4", dir, sizeof dir, &err), AIFB_ENOTFOUND);
    cr_assert(strstr(err.msg, "job_4 "), "%s", err.msg);
    cr_assert(strstr(err.msg, "proctrack/cgroup"), "%s", err.msg);
}

Test(monitor_cgroup, finds_the_job_folder_in_cgroup_v1_freezer)
{
    char dir[4096];
    aifb_err err = {0};
    cr_assert_eq(cgroup_job_dir(FIXTURES "cgroup-v1", "7", dir, sizeof dir, &err), AIFB_OK, "%s",
                 err.msg);
    cr_assert_str_eq(dir, "/sys/fs/cgroup/freezer/slurm/uid_1000/job_7");
}

static void add_pid(void *arg, int pid)
{
    int *v = arg;
    v[++v[0]] = pid;
}

Test(monitor_cgroup, lists_every_step_of_the_job_and_nothing_else)
{
    int pids[16] = {0};
    abuf buf = {0};
    cgroup_list_pids(FIXTURES "cgroup-v2", "/sys/fs/cgroup/system.slice/slurmstepd.scope/job_42",
                     add_pid, pids, &buf);
    abuf_free(&buf);
    cr_assert_eq(pids[0], 4);
    int seen = 0;
    for (int i = 1; i <= pids[0]; i++) {
        cr_assert_neq(pids[i], 999, "job 421's process");
        seen |= (pids[i] == 300) | (pids[i] == 301) << 1 | (pids[i] == 302) << 2 |
                (pids[i] == 310) << 3;
    }
    cr_assert_eq(seen, 15);
}

Test(monitor_cgroup, the_job_processes_but_the_agents_are_one_series_set)
{
    /* 300 is left out by pid, 302 by its name (an aifb-monitor) */
    mon_ptree *t = ptree_new_cgroup(FIXTURES "cgroup-v2",
                                    "/sys/fs/cgroup/system.slice/slurmstepd.scope/job_42", 300);
    mon_samples s = {0};
    cr_assert(ptree_collect(t, &s));
    double hz = (double)sysconf(_SC_CLK_TCK), page = (double)sysconf(_SC_PAGESIZE);
    cr_assert_eq(value(&s, M_PROCESS_COUNT, NULL), 2);
    cr_assert_float_eq(value(&s, M_PROCESS_CPU, "user"), (150 + 3 + 10) / hz, 1e-9);
    cr_assert_float_eq(value(&s, M_PROCESS_CPU, "system"), (30 + 4 + 20) / hz, 1e-9);
    cr_assert_eq(value(&s, M_PROCESS_THREADS, NULL), 4 + 1);
    cr_assert_eq(value(&s, M_PROCESS_RSS, NULL), (2000 + 200) * page);
    cr_assert_eq(value(&s, M_PROCESS_VMS, NULL), 9000000 + 3000000);
    mon_samples_free(&s);
    ptree_free(t);
}
