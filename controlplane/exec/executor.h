/* executor.h: one interface that turns a run's plan into processes or jobs and reports on them.
 *
 * aifbd builds an exec_plan from a recipe and validated parameters (every argv element and
 * environment value already expanded; nothing here goes through a shell) and hands it to the
 * configured executor: local (exec_local.c: process groups on this machine), later slurm-rest and
 * slurm-ssh. The reconciler calls poll() for each unfinished run on every tick and moves the run
 * through its states from what poll() reports; cancel() asks for a stop and the following polls
 * report its end. An executor keeps what it needs to find its processes or jobs again in the
 * run's folder, so a restarted aifbd adopt()s them and carries on.
 *
 * One plan may be a whole benchmark (service, then client once the service is ready), a
 * long-lived service alone, or a client alone against an existing service's endpoint. */
#ifndef AIFB_EXECUTOR_H
#define AIFB_EXECUTOR_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

/* One program to start: argv[0] is a name looked up in PATH (after the role's search_path) or a
 * path. Both arrays are NULL-terminated; env entries are "KEY=VALUE" added to aifbd's
 * environment. */
typedef struct exec_cmd {
    char **argv;
    char **env;
} exec_cmd;

/* A program that runs beside a role (aifb-monitor, aifb-logship), as aifbd's user and outside
 * any image, that must flush what it holds and exit once the role's main command has ended. Its
 * output goes to <role>.<name>.log in the run's folder, never into the role's own .out and .err.
 * The local executor starts it right after main, in a process group of its own (stopping the
 * role stops main, not its agents), with pid_flag and main's pid appended to its argv when
 * pid_flag is set: such an agent must end by itself once that pid is gone; one without gets
 * SIGTERM when main has ended. A Slurm job starts every agent before the role's setup commands,
 * without a pid (it finds the job's processes itself), and sends SIGTERM once the role ended. */
typedef struct exec_agent {
    const char *name; /* "monitor", "logship": [a-z]+ */
    exec_cmd cmd;
    const char *pid_flag; /* "--pid"; NULL: no pid is given */
} exec_agent;

/* The service or the client part of a plan: setup commands run in order (each must exit 0),
 * then main. The service's main is expected to run until stopped; the client's main ends and its
 * exit status decides the run. */
typedef struct exec_role {
    exec_cmd *setup;
    size_t nsetup;
    exec_cmd main;
    const char *user;          /* run as this user when aifbd runs as root; NULL: as aifbd */
    const char *const *search; /* folders (globs allowed) searched before PATH; NULL-terminated
                                  or NULL */
    const char *workdir;       /* working folder, created by the executor (owned by user when
                                  one is set); NULL: the run's folder */
    const exec_agent *agents;  /* programs beside the role; NULL when nagents is 0 */
    size_t nagents;
} exec_role;

/* TCP: a connect succeeds. HTTP: a GET of path answers 2xx or 3xx. CMD: a command exits 0 (for
 * servers that listen before they accept work, like PostgreSQL's pg_isready). */
typedef enum exec_probe_kind {
    EXEC_PROBE_NONE,
    EXEC_PROBE_TCP,
    EXEC_PROBE_HTTP,
    EXEC_PROBE_CMD,
} exec_probe_kind;

typedef struct exec_probe {
    exec_probe_kind kind;
    const char *host; /* "127.0.0.1" */
    int port;
    const char *path; /* HTTP: "/health"; any 2xx or 3xx answer counts as ready */
    exec_cmd cmd;     /* CMD: run (as aifbd) until it exits 0; each attempt at most 5 s */
    int timeout_ms;   /* give up (run FAILED) after this long; 0: 60000 */
    int interval_ms;  /* between attempts; 0: 200 */
} exec_probe;

typedef struct exec_plan {
    const char *id;  /* run id "r-..." or service id "s-..." */
    const char *dir; /* the run's folder; exists, writable by aifbd */
    bool has_service;
    exec_role service;
    exec_probe probe;
    bool has_client;
    exec_role client;
    const char *endpoint; /* host:port of the service the client uses (own or existing) */
} exec_plan;

/* Where a plan stands, as poll() sees it. */
typedef enum exec_phase {
    EXEC_SUBMITTED, /* accepted, processes launching or job queued */
    EXEC_STARTING,  /* service started, readiness probe not passed yet */
    EXEC_RUNNING,   /* client running (for a service-only plan: service ready) */
    EXEC_STOPPING,  /* tearing down after the client ended or a cancel */
    EXEC_SUCCEEDED, /* final: client exited 0 (service-only plan: stopped on request) */
    EXEC_FAILED,    /* final: see reason */
    EXEC_CANCELLED, /* final: cancel() was called and everything is gone */
} exec_phase;

typedef struct exec_status {
    exec_phase phase;
    int exit_code;      /* client's exit status when it exited, else -1 */
    char reason[512];   /* for people: "client exited with status 2 (see client.err)" */
    char endpoint[256]; /* host:port of the ready service, once known */
    char handles[256];  /* for people: "service pgid 1234, client pgid 1240" */
} exec_status;

/* Where a plan's files live and how its service is reached, as the executor sees them: aifbd
 * asks before building a plan, so ${run_dir}, ${workdir}, ${host} and ${port} name what the
 * processes will see (a cluster path and the node's host on Slurm, this machine locally). */
typedef struct exec_place {
    char dir[4096]; /* the run's folder as its processes see it */
    char host[256]; /* the host a service binds and a client dials */
    int port;       /* 0: aifbd picks a free port on this machine */
} exec_place;

typedef struct executor executor;

typedef struct executor_ops {
    const char *name; /* "local" */
    /* Starts a plan. Fails with AIFB_EINVAL naming what is wrong (a program not found, a user
     * that does not exist) before anything is started. The plan's memory is the caller's. */
    aifb_code (*submit)(executor *ex, const exec_plan *plan, aifb_err *err);
    /* Takes back a plan that was submitted before aifbd restarted, from what the executor left in
     * dir. AIFB_ENOTFOUND when nothing there says it was ever started. */
    aifb_code (*adopt)(executor *ex, const exec_plan *plan, aifb_err *err);
    /* Advances a plan (probes, starts the client once the service is ready, reaps) and reports
     * where it stands. Never blocks for long. */
    aifb_code (*poll)(executor *ex, const char *id, exec_status *st, aifb_err *err);
    /* Asks a plan to stop: SIGTERM, then SIGKILL after the grace period, to every process.
     * Returns at once; poll() reports EXEC_CANCELLED once all is gone. */
    aifb_code (*cancel)(executor *ex, const char *id, aifb_err *err);
    /* Forgets a plan in a final phase (frees what the executor holds for it). */
    void (*forget)(executor *ex, const char *id);
    /* Path of one of a plan's output files: stream is "service.out", "service.err",
     * "client.out" or "client.err". */
    aifb_code (*log_path)(executor *ex, const char *id, const char *stream, char *out,
                          size_t outlen, aifb_err *err);
    /* Where a new plan with this id goes; local_dir is the folder aifbd keeps for it. */
    aifb_code (*place)(executor *ex, const char *id, const char *local_dir, exec_place *out,
                       aifb_err *err);
    /* Reads up to cap bytes of the file `name` ("client.out", ...) in a plan's folder (as
     * placed) from offset; *n is 0 at its end. Works for ended plans too. A file that does not
     * exist (yet): AIFB_ENOTFOUND. */
    aifb_code (*read_file)(executor *ex, const char *dir, const char *name, int64_t offset,
                           char *buf, size_t cap, size_t *n, aifb_err *err);
    /* Stops every process this executor started and waits until they are gone (aifbd's own
     * clean shutdown). */
    void (*shutdown)(executor *ex);
    void (*free)(executor *ex);
} executor_ops;

struct executor {
    const executor_ops *ops;
    void *impl;
};

/* The local executor. grace_ms: how long after SIGTERM before SIGKILL (0: 5000).
 *
 * Each role runs under a supervisor process that leads its own process group; the run's folder
 * gets <role>.out and .err (appended), <role>.pid ("<pgid> <start time>"), <role>.status (how
 * the role ended: "main 0 exit 0 wstatus 0", "setup 1 exit 1 ...", numbered from 1) and
 * service.ready ("host:port") once the probe passed. Every role's environment has
 * AIFB_RUN_ID=<plan id> and AIFB_ROLE=<service|client>, as on Slurm; the client's has
 * AIFB_ENDPOINT=<endpoint> when an endpoint is known. A probe of kind NONE counts as passed as
 * soon as the service started. cancel() of a service-only plan whose service was ready ends
 * SUCCEEDED ("service stopped on request"); any other cancel ends CANCELLED.
 *
 * The calling process becomes a child subreaper (prctl PR_SET_CHILD_SUBREAPER) so processes
 * orphaned inside a plan's group are reaped by poll() rather than left as zombies. */
aifb_code exec_local_new(int grace_ms, executor **out, aifb_err *err);

#endif
