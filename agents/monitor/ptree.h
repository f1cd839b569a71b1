/* ptree.h: the watched processes, a process and all its descendants (--pid) or every process of
 * a Slurm job's cgroup (--job), sampled as one set of series: never a series per pid, since
 * pids are unbounded.
 *
 * Each tick lists the processes (the /proc folder, or the cgroup's cgroup.procs files), keeps
 * what it knew of each from the tick before (sorted by pid, merged), reads /proc/PID/stat, io and
 * fd of the watched ones and sums them. Descendants are found by parent pid: a process seen for
 * the first time is read once to learn its parent, and one known to be outside the tree is not
 * read again, so a tick costs a directory listing plus three small reads per watched process.
 * A descendant stays watched when its parent dies and it is reparented.
 *
 * CPU seconds never go backwards, though processes come and go: each process counts its own time
 * plus its reaped children's (cutime, cstime), so a child that exits and is waited for by a
 * watched parent moves into that parent's figure; a watched process that ends without a watched
 * parent to reap it keeps its last figure in an accumulator. I/O bytes are accounted the same
 * way (the kernel adds a reaped child's I/O to its parent's /proc/PID/io). Each counter is also
 * clamped to never decrease, against the races of a process ending between two reads. */
#ifndef AIFB_MONITOR_PTREE_H
#define AIFB_MONITOR_PTREE_H

#include <stdbool.h>

#include "monitor/metrics.h"

typedef struct mon_ptree mon_ptree;

/* Watches pid and its descendants under ROOT/proc. NULL with AIFB_ENOTFOUND in err when the
 * process does not exist (or is a zombie already). */
mon_ptree *ptree_new_pid(const char *root, int pid, aifb_err *err);
/* Watches the processes of the cgroup folder cgdir (a path under root, such as
 * /sys/fs/cgroup/system.slice/slurmstepd.scope/job_42) and of its sub-folders, but exclude_pid
 * (the monitor itself) and the agents aifbd starts beside a role (processes named aifb-monitor
 * or aifb-logship), which are not the job's workload. */
mon_ptree *ptree_new_cgroup(const char *root, const char *cgdir, int exclude_pid);

/* Appends the watched set's samples. False once the watched process is gone (--pid: it ended,
 * is a zombie, or its pid now names another process) or the cgroup holds no process but the
 * monitor: the samples of that call are the last ones. */
bool ptree_collect(mon_ptree *t, mon_samples *out);
void ptree_free(mon_ptree *t);

#endif
