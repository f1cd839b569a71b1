/* cgroup.h: the processes of a Slurm job, from its cgroup (--job).
 *
 * Slurm's proctrack/cgroup and task/cgroup plugins put every process of job N under a folder
 * named job_N: /sys/fs/cgroup/system.slice/slurmstepd.scope/job_N/step_0/... with cgroup v2,
 * /sys/fs/cgroup/freezer/slurm/uid_U/job_N/... with v1. The monitor runs inside the job, so its
 * own /proc/self/cgroup names that folder; every process of the job is in a cgroup.procs file
 * somewhere below it. Paths are read under a root folder, as everywhere in the monitor. */
#ifndef AIFB_MONITOR_CGROUP_H
#define AIFB_MONITOR_CGROUP_H

#include <stddef.h>

#include "common/err.h"
#include "common/util.h"

/* The job's cgroup folder (a path under root, such as /sys/fs/cgroup/.../job_42) in out. job_id
 * (SLURM_JOB_ID) picks job_<job_id>; NULL takes the job folder the monitor's cgroup names.
 * AIFB_ENOTFOUND with a message saying what was looked for and where, when ROOT/proc/self/cgroup
 * names no such folder or it does not exist. */
aifb_code cgroup_job_dir(const char *root, const char *job_id, char *out, size_t n, aifb_err *err);

/* Calls cb(arg, pid) for every pid in the cgroup.procs of dir (under root) and of its
 * sub-folders; buf is scratch space. Folders that vanish meanwhile (a step ending) are skipped. */
void cgroup_list_pids(const char *root, const char *dir, void (*cb)(void *arg, int pid), void *arg,
                      abuf *buf);

#endif
