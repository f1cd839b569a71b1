/* exec_slurm_internal.h: what the files of the Slurm executor core share (exec_slurm.c, the
 * records; exec_slurm_opts.c, the copies of the job settings). Not for other modules. */
#ifndef AIFB_EXEC_SLURM_INTERNAL_H
#define AIFB_EXEC_SLURM_INTERNAL_H

#include <pthread.h>

#include "common/util.h"
#include "slurm/exec_slurm.h"

/* One job of a plan, as last seen. */
typedef struct sx_role {
    bool exists;            /* the plan has this role */
    int64_t id;             /* 0: not known yet (adopted, to be found by comment) */
    int64_t submitted_mono; /* when sbatch returned; a listing begun after it must have it */
    bool cancel_wanted;     /* to be sent by the lister thread (never under a caller's lock) */
    bool cancel_sent;
    bool listed, forgotten;
    slurm_job_state state;
    int exit_code, exit_signal;
} sx_role;

typedef struct sx_plan {
    struct sx_plan *next;
    char id[AIFB_ID_LEN + 1];
    char dir[4096];
    bool by_comment; /* taken back after a restart: job ids come from the comments */
    bool cancel_requested;
    sx_role svc, cli;
    char endpoint[256];          /* service.endpoint once read */
    int64_t applied_generation;  /* the listing last applied */
    int64_t endpoint_generation; /* the listing at the last endpoint read */
} sx_plan;

typedef struct sx_exec {
    executor_ops ops; /* a copy per executor, so it carries this executor's name */
    pthread_mutex_t mu;
    exec_slurm_backend *be;
    char *name;
    char *remote_base;
    slurm_opts svc_opts, cli_opts;
    void (*run_opts)(void *ctx, const exec_plan *plan, const char *role, slurm_opts *o);
    void *run_opts_ctx;
    int refresh_ms;
    sx_plan *plans;
    /* The shared listing: every aifb job, sorted by id. */
    exec_slurm_job *jobs;
    size_t njobs;
    int64_t generation;   /* listings so far; 0: none yet */
    int64_t listed_mono;  /* when the current listing was asked for */
    pthread_t lister;     /* lists every refresh_ms while plans are tracked; sends cancels */
    bool cancels_pending; /* some role has cancel_wanted: the lister sends them at once */
    pthread_cond_t wake;
    bool lister_started, stop;
    exec_slurm_cluster cluster; /* GetInfo's last answer (exec_slurm_cluster.c) */
    int64_t cluster_mono;       /* when it was asked for; 0: never */
    int64_t down_since_wall;    /* first failed listing of the current outage; 0: up */
    char down_why[AIFB_ERR_MSG_MAX];
} sx_exec;

/* Whether ex is a Slurm executor (made by exec_slurm_new). */
bool sx_is_slurm(const executor *ex);

/* Deep copy of o into dst (strings and the modules list), remote_base set to the given one;
 * the agents are not copied (none yet). Free with sx_opts_free. */
void sx_opts_copy(slurm_opts *dst, const slurm_opts *o, const char *remote_base);
void sx_opts_free(slurm_opts *o);

/* The run folder on the login node, through an ssh session (the cli and tunnel backends).
 * Values reach the remote shell as positional arguments, never as code. A file that does not
 * exist: AIFB_ENOTFOUND. */
aifb_code sx_ssh_mkdir_p(slurm_ssh *ssh, const char *path, aifb_err *err);
aifb_code sx_ssh_read_file(slurm_ssh *ssh, const char *path, int64_t offset, char *buf, size_t cap,
                           size_t *n, aifb_err *err);

#endif
