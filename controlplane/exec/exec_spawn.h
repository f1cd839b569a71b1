/* exec_spawn.h: starting a role under a supervisor process, and the files that describe it.
 *
 * aifbd forks one supervisor per role. The supervisor leads its own session and process group
 * (so one kill(-pgid) reaches everything the role started), sends its output to <dir>/<role>.out
 * and .err, runs each setup command and then main as its children, ignores SIGTERM so it can
 * record how they ended, and writes <dir>/<role>.status ("main 0 exit 3 wstatus 768"). aifbd
 * writes <dir>/<role>.pid ("<pgid> <start time>") right after the fork. A restarted aifbd finds
 * its processes again from these two files, so they are the executor's memory across crashes.
 *
 * Setup steps are numbered from 1 in status files and messages ("setup 2" is the second
 * command); main is "main 0"; "start 0" means the supervisor could not begin (see the .err). */
#ifndef AIFB_EXEC_SPAWN_H
#define AIFB_EXEC_SPAWN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"
#include "exec/exec_resolve.h"

/* A running (or finished) role as the files and the kernel know it. */
typedef struct exec_proc_id {
    pid_t pgid;                   /* the supervisor's pid, which is also the group id */
    unsigned long long starttime; /* /proc/<pid>/stat field 22: tells a recycled pid apart */
} exec_proc_id;

/* How a role ended, from its status file. */
typedef struct exec_role_end {
    char step[8]; /* "setup", "main" or "start" */
    int index;    /* setup: 1..n; main and start: 0 */
    int wstatus;  /* raw wait status of that step */
} exec_role_end;

/* Starts spec under a new supervisor. role is "service" or "client"; extra_env ("KEY=VALUE",
 * NULL-terminated or NULL) is added to every step's environment, under the plan's own entries.
 * Every string, the environment and the status text buffer are prepared before fork; the child
 * only makes async-signal-safe calls. Returns once the supervisor leads its process group, with
 * <dir>/<role>.pid written. */
aifb_code exec_spawn_role(const exec_role_spec *spec, const char *dir, const char *role,
                          char *const *extra_env, exec_proc_id *out, aifb_err *err);

/* Starts prog alone in a new process group, as aifbd, in cwd, with no input and its output
 * discarded (readiness probe commands). The caller reaps *pid. */
aifb_code exec_spawn_simple(const exec_prog *prog, const char *cwd, pid_t *pid, aifb_err *err);

/* Reads <dir>/<role>.pid. AIFB_ENOTFOUND when there is none. mtime_ms (may be NULL) receives
 * the file's modification time, which is when the role was started. */
aifb_code exec_pidfile_read(const char *dir, const char *role, exec_proc_id *out, int64_t *mtime_ms,
                            aifb_err *err);

/* Reads <dir>/<role>.status; false when it does not exist (yet) or cannot be parsed. */
bool exec_status_read(const char *dir, const char *role, exec_role_end *out);

/* Whether the process pid exists, is not a zombie, and started at starttime. */
bool exec_proc_alive(pid_t pid, unsigned long long starttime);

/* The start time (field 22 of /proc/<pid>/stat) and state letter of pid; false if gone. */
bool exec_proc_stat(pid_t pid, unsigned long long *starttime, char *state);

/* The last non-empty line of the file at path (at most outlen-1 bytes of it), "" when none. */
void exec_last_line(const char *path, char *out, size_t outlen);

/* Makes the calling process the reaper of orphans in its subtree, so processes of a group whose
 * supervisor was killed become this process's children and exec_reap_group() can collect them
 * (otherwise a zombie nobody reaps keeps kill(-pgid, 0) succeeding). */
void exec_become_subreaper(void);

/* Reaps every exited child of this process in group pgid without waiting. When the supervisor
 * (pid == pgid) is among them, *sup_done is set and its wait status stored in *sup_wstatus. */
void exec_reap_group(pid_t pgid, bool *sup_done, int *sup_wstatus);

/* Whether any process of group pgid still exists (zombies included). */
bool exec_group_alive(pid_t pgid);

#endif
