/* exec_slurm.h: the Slurm executors ("slurm-ssh", "slurm-rest"): runs as batch jobs on a cluster.
 *
 * One executor core (exec_slurm.c) does everything that does not depend on how Slurm is reached:
 * it places a run in <remote_base>/runs/<id>, writes the service and client job scripts
 * (slurm_script.h), submits them, keeps one listing of every aifb job per refresh interval for
 * all runs together (never one request per run), judges each run from its two jobs, cancels,
 * and takes runs back after a restart by finding their jobs by comment ("aifb:<id>:<role>").
 * A backend (exec_slurm_backend) carries the few operations that do depend on it:
 *
 *   exec_slurm_cli.c   a login node over SSH (slurm_ssh.h): sbatch, squeue, scancel, and the run
 *                      folder's files read with remote commands
 *   exec_slurm_rest.c  slurmrestd (slurm_rest.h): the job's settings go beside the script in
 *                      the submit request, list_jobs is one GET jobs, and the run folder is made
 *                      and read on this machine, so it needs a filesystem shared with the cluster
 *   exec_slurm_tunnel.c  slurmrestd reached through an SSH tunnel from the login node for the
 *                      jobs, and the run folder handled on the login node as in cli mode
 *
 * The judgement of a run from its jobs (exec_slurm_judge.c) is a pure function, declared here so
 * the tests can drive it state by state.
 *
 * While the controller or the login node cannot be reached, runs keep their phase with the
 * reason "controller unreachable since <time>: <why>"; nothing is resubmitted, and everything
 * resumes when it answers. */
#ifndef AIFB_EXEC_SLURM_H
#define AIFB_EXEC_SLURM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "exec/executor.h"
#include "slurm/slurm_api.h"
#include "slurm/slurm_rest.h"
#include "slurm/slurm_script.h"
#include "slurm/slurm_ssh.h"

/* How poll()'s reason starts while the controller or login node cannot be reached (the phase is
 * then the last one known): aifbd shows it as the run's reason until the controller answers. */
#define EXEC_SLURM_UNREACHABLE "controller unreachable since "

/* ---- what a backend sees and does ------------------------------------------------------- */

/* One of our jobs as the controller lists it. */
typedef struct exec_slurm_job {
    int64_t id;
    slurm_job_state state;
    int exit_code;   /* 0..255 once ended (valid when exit_signal is 0) */
    int exit_signal; /* the signal that ended it, or 0 */
    char comment[128];
} exec_slurm_job;

/* One job to submit: the script (with its #SBATCH directives) and, for backends that pass the
 * job's description beside the script (REST), the same settings as values. */
typedef struct exec_slurm_submission {
    const char *script;
    const char *name;    /* aifb-<id>-<role> */
    const char *comment; /* aifb:<id>:<role> */
    const char *dir;     /* the run folder: working directory */
    const char *role;    /* "service" or "client": output goes to <dir>/<role>.out|err */
    const slurm_opts *opts;
} exec_slurm_submission;

typedef struct exec_slurm_backend exec_slurm_backend;

/* What GetInfo shows of the cluster (exec_slurm_cluster_get). */
typedef struct exec_slurm_cluster {
    char controller[384]; /* how it is reached: "slurmrestd at URL", "login node ... (sinfo)" */
    char release[64];     /* Slurm's release ("22.05.8"), "" when not known */
    char api_version[16]; /* the slurmrestd data version, "" in cli mode */
    slurm_node_info *nodes;
    size_t nnodes;
    slurm_partition_info *partitions;
    size_t npartitions;
    char error[AIFB_ERR_MSG_MAX]; /* "" when the last attempt succeeded */
    int64_t fetched_at_ms;        /* wall clock of the nodes and partitions; 0: never */
} exec_slurm_cluster;

void exec_slurm_cluster_free(exec_slurm_cluster *c);

/* The operations that depend on how Slurm is reached. Every one may fail with
 * AIFB_EUNAVAILABLE while the controller or login node is unreachable; the core then keeps
 * what it knew. A backend must be safe to call from several threads. */
typedef struct exec_slurm_backend_ops {
    const char *name; /* "cli", "rest" */
    /* Submits one job. A refusal (an unknown partition, ...) is AIFB_EINVAL with Slurm's
     * message; AIFB_ETIMEOUT when it is unknown whether the job was created. */
    aifb_code (*submit)(exec_slurm_backend *b, const exec_slurm_submission *s, int64_t *job_id,
                        aifb_err *err);
    /* Every job of ours the controller still knows (comment starting "aifb:"), in one request.
     * *jobs is malloc'd (NULL when *n is 0). */
    aifb_code (*list_jobs)(exec_slurm_backend *b, exec_slurm_job **jobs, size_t *n, aifb_err *err);
    /* Cancels a job; one Slurm no longer knows counts as cancelled. */
    aifb_code (*cancel)(exec_slurm_backend *b, int64_t job_id, aifb_err *err);
    /* Creates a folder and its parents where the jobs will see it. */
    aifb_code (*mkdir_p)(exec_slurm_backend *b, const char *path, aifb_err *err);
    /* Up to cap bytes of the file at path from offset (*n 0 at its end); AIFB_ENOTFOUND when
     * there is no such file. */
    aifb_code (*read_file)(exec_slurm_backend *b, const char *path, int64_t offset, char *buf,
                           size_t cap, size_t *n, aifb_err *err);
    /* The cluster's nodes, partitions, release, and how it is reached (controller,
     * api_version); error and fetched_at_ms are the core's. */
    aifb_code (*cluster)(exec_slurm_backend *b, exec_slurm_cluster *out, aifb_err *err);
    void (*free)(exec_slurm_backend *b);
} exec_slurm_backend_ops;

struct exec_slurm_backend {
    const exec_slurm_backend_ops *ops;
    void *impl;
};

/* The login-node backend: one slurm_ssh session (a copy of ssh is kept; nothing is connected
 * until the first call). squeue lists the jobs of ssh->user. Errors as slurm_ssh_new(). */
aifb_code exec_slurm_cli_new(const slurm_ssh_config *ssh, exec_slurm_backend **out, aifb_err *err);

/* The slurmrestd backend: one slurm_rest client made from rest (see slurm_rest_new; nothing is
 * sent until the first call, so this works while slurmrestd is down). Jobs get PATH (a default
 * one when aifbd has none), HOME, USER, LOGNAME, LANG, LC_ALL, TZ and TMPDIR from aifbd's
 * environment. The run folder is made and read on this machine: REMOTE_BASE_PATH must be on a
 * filesystem shared with the nodes. Errors as slurm_rest_new(). */
aifb_code exec_slurm_rest_new(const slurm_rest_config *rest, exec_slurm_backend **out,
                              aifb_err *err);

/* The tunnel backend (slurm-ssh, mode tunnel): one slurm_ssh session made from ssh, a
 * slurm_ssh_tunnel through it to rest->url ("http://HOST:PORT", slurmrestd's address as the
 * login node sees it), and a slurmrestd backend as exec_slurm_rest_new() speaking through the
 * tunnel's socket with rest's token or key (the JWT headers are sent over the socket). Jobs go
 * through slurmrestd; the run folder is made and read on the login node as in cli mode. Nothing
 * is connected until the first call. AIFB_EINVAL naming slurm_rest.url when it is not
 * http://HOST[:PORT]; other errors as slurm_ssh_new() and slurm_rest_new(). */
aifb_code exec_slurm_tunnel_new(const slurm_ssh_config *ssh, const slurm_rest_config *rest,
                                exec_slurm_backend **out, aifb_err *err);

/* ---- the executor ----------------------------------------------------------------------- */

typedef struct exec_slurm_config {
    const char *name;        /* the executor's name: "slurm-ssh" or "slurm-rest" */
    const char *remote_base; /* REMOTE_BASE_PATH: runs go to <remote_base>/runs/<id>; absolute */
    slurm_opts service;      /* the service job's settings (copied) */
    slurm_opts client;       /* the client job's settings (copied) */
    int refresh_ms;          /* at least this long between two job listings; 0: 1000 */
    /* Per-run settings, or NULL: called at each submission for each role of the plan ("service",
     * "client") with *o a copy of that role's settings above, which it may change for this run
     * only (aifbd applies a recipe's slurm section). Strings it sets must stay valid until
     * submit() returns; the plan's memory does. */
    void (*run_opts)(void *ctx, const exec_plan *plan, const char *role, slurm_opts *o);
    void *run_opts_ctx;
} exec_slurm_config;

/* An executor over backend, which it owns from now on (freed with the executor, also when this
 * fails). AIFB_EINVAL naming the setting when remote_base is missing or not absolute. */
aifb_code exec_slurm_new(const exec_slurm_config *cfg, exec_slurm_backend *backend, executor **out,
                         aifb_err *err);

/* The cluster behind ex for GetInfo: asked now at most once per EXEC_SLURM_CLUSTER_TTL_MS (the
 * last answer is copied in between), never while the controller is known to be unreachable.
 * When asking fails, the last answer (if any) comes back with error set and AIFB_OK. Free with
 * exec_slurm_cluster_free. AIFB_EUNIMPLEMENTED when ex is not a Slurm executor. */
#define EXEC_SLURM_CLUSTER_TTL_MS 5000
aifb_code exec_slurm_cluster_get(executor *ex, exec_slurm_cluster *out, aifb_err *err);

/* ---- judging a run from its jobs (pure) ------------------------------------------------- */

/* One job of a run as the last listing showed it. */
typedef struct exec_slurm_jobview {
    int64_t id;             /* 0: not known (never submitted, or not found by comment) */
    bool exists;            /* the plan has this role */
    bool listed;            /* the last listing had it: state and exit below are valid */
    bool forgotten;         /* a listing made after its submission did not have it */
    bool cancelled_by_aifb; /* aifb cancelled it (the other job ended first) */
    slurm_job_state state;
    int exit_code, exit_signal;
} exec_slurm_jobview;

typedef struct exec_slurm_view {
    exec_slurm_jobview service, client;
    bool endpoint_known;   /* service.endpoint was read */
    bool cancel_requested; /* cancel() was called */
    const char *endpoint;  /* for reasons; may be NULL */
} exec_slurm_view;

typedef struct exec_slurm_verdict {
    exec_phase phase;
    int exit_code; /* the client's exit status once it exited, else -1 */
    char reason[512];
    bool cancel_service; /* the service job must be cancelled (the client ended or failed) */
    bool cancel_client;  /* the client job must be cancelled (the service ended first) */
    bool read_endpoint;  /* the service job runs and its endpoint is not known yet */
} exec_slurm_verdict;

/* Where a run stands from its jobs. Queued jobs: SUBMITTED; the service running without a
 * published endpoint: STARTING; endpoint known and client running: RUNNING; client COMPLETED
 * with 0: STOPPING until the service job is cancelled, then SUCCEEDED; a client that failed,
 * timed out, lost its node, ran out of memory, was preempted or cancelled outside aifb, a service
 * job that ended first, a job Slurm has forgotten: STOPPING until the other job ended, then
 * FAILED with a reason that names the job and how it ended ("client job 12 exited with status
 * 3", "client job 12: TIMEOUT (time limit)"). After cancel(): STOPPING, then CANCELLED once both
 * ended (a service-only plan whose service was ready: SUCCEEDED, "service stopped on request"). */
void exec_slurm_judge(const exec_slurm_view *v, exec_slurm_verdict *out);

/* A state name as squeue or sacct prints it ("RUNNING", "CANCELLED+", "OUT_OF_MEMORY") as a
 * slurm_job_state; states that are not in the enum map to the nearest one (CONFIGURING and
 * REQUEUED to PENDING, STAGE_OUT to COMPLETING, SPECIAL_EXIT to FAILED, REVOKED to CANCELLED);
 * unknown names to SLURM_JOB_UNKNOWN. */
slurm_job_state exec_slurm_state_from_name(const char *name);

/* The state's name as Slurm spells it ("OUT_OF_MEMORY"). */
const char *exec_slurm_state_name(slurm_job_state s);

/* Whether a job in this state has ended for good. */
bool exec_slurm_state_is_final(slurm_job_state s);

#endif
