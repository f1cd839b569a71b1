/* config.h: aifbd's settings, from embedded defaults, a config file, the environment and flags.
 *
 * Precedence, lowest first: the defaults below (enough to run with no arguments), the config file
 * (--config FILE or $AIFB_CONFIG; YAML, one level of sections flattened to "section.key"), the
 * environment (AIFB_*), then command-line flags. Secrets (the token) are held here and never
 * printed: config_describe() shows "(set)" instead. */
#ifndef AIFBD_CONFIG_H
#define AIFBD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "common/log.h"

/* Job settings; -1 (numbers) or NULL (text): not set, the cluster's default or, for the service
 * and client overrides, the setting of every job. */
typedef struct aifbd_slurm_job {
    char *account, *partition, *qos;
    int time_limit_min, nodes, tasks, cpus_per_task, memory_mb, gpus;
} aifbd_slurm_job;

/* What the Slurm executors need (docs/slurm.md, examples/aifbd-meluxina.yaml). */
typedef struct aifbd_slurm_config {
    aifbd_slurm_job job;     /* slurm.*: every job */
    aifbd_slurm_job service; /* slurm_service.*: the service job, over job */
    aifbd_slurm_job client;  /* slurm_client.*: the client job, over job */
    char *gpu_directive;     /* gpus (--gpus=N) or gres (--gres=gpu:N) */
    char *remote_base;       /* REMOTE_BASE_PATH: runs go to <remote_base>/runs/<id> */
    int endpoint_timeout_s;  /* how long a client job waits for its service */
    bool login_shell;        /* #!/bin/bash -l */
    char *modules;           /* comma-separated `module load` list */
    char *agents_dir;        /* aifbd's programs (aifb-loadgen) on the cluster: searched by
                                every job after its role's own search folders */
    char *rest_url;          /* http://host:port or unix:/path */
    char *rest_user;         /* X-SLURM-USER-NAME */
    char *rest_version;      /* auto, v0.0.38, v0.0.40, v0.0.41, v0.0.42 */
    char *jwt;               /* SLURM_JWT (a secret; environment only) */
    char *jwt_key_path;      /* HS256 key to mint tokens with instead */
    int jwt_lifetime_s;
    char *ssh_host, *ssh_user, *ssh_key_path, *ssh_known_hosts;
    int ssh_port;
    char *ssh_mode; /* tunnel (REST through the login node) or cli (sbatch/squeue/scancel) */
} aifbd_slurm_config;

/* Where the agents beside every service and client send what they observe (docs/observe.md).
 * Each URL left unset turns its agent off. */
typedef struct aifbd_observe_config {
    char *prometheus_url; /* remote write receiver: aifb-monitor, and aifb-loadgen's live series */
    char *loki_url;       /* Loki's push API: aifb-logship */
    int interval_ms;      /* aifb-monitor's sampling period; default 1000 */
} aifbd_observe_config;

typedef struct aifbd_config {
    char *listen;    /* host:port or unix:PATH; default 127.0.0.1:50051 */
    char *state_dir; /* SQLite and run folders; default $XDG_STATE_HOME/aifb, root: /var/lib/aifb */
    char *recipes_dir; /* default: first of <exe>/../share/aifb/recipes, <exe>/../../recipes */
    char *executor;    /* local (default), slurm-ssh, slurm-rest (see docs/slurm.md) */
    char *token;       /* bearer token required on every call when set (a secret) */
    char *config_path; /* the file read, or NULL */
    int workers;       /* RPC worker threads; default 2 */
    int grace_ms;      /* SIGTERM to SIGKILL when stopping processes; default 5000 */
    int tick_ms;       /* reconciler period; default 200 */
    aifb_log_level log_level;
    bool log_json;
    aifbd_slurm_config slurm;
    aifbd_observe_config observe;
} aifbd_config;

/* Fills cfg from defaults, file, environment and argv. Returns AIFB_OK, or an error naming the bad
 * option or value. *exit_now is set (with AIFB_OK) for --help and --version, which print and ask
 * main to exit 0. */
aifb_code config_load(aifbd_config *cfg, int argc, char **argv, bool *exit_now, aifb_err *err);
/* Checks what can only be checked with everything known: a listener that is not loopback or a
 * unix socket needs a token; the executor is known. */
aifb_code config_validate(const aifbd_config *cfg, aifb_err *err);
/* One line for the log, with secrets masked. */
void config_describe(const aifbd_config *cfg, char *out, size_t outlen);
void config_free(aifbd_config *cfg);

#endif
