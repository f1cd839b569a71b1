/* slurm_api.h: the JSON shapes of slurmrestd, one data version at a time, behind one interface.
 *
 * slurmrestd speaks a versioned data format (v0.0.NN) and each Slurm release offers only a few:
 * 22.05 has v0.0.38; 23.11 has v0.0.38 to v0.0.40; 24.05 v0.0.39 to v0.0.41; 24.11 v0.0.40 to
 * v0.0.42; 25.05 v0.0.40 to v0.0.43; 25.11 v0.0.41 to v0.0.44. The versions differ in
 * the details aifb depends on: v0.0.38 gives a job state as one string and the raw wait status as
 * exit_code, takes the environment as an object and the script beside the job; from v0.0.40 on a
 * job state is an array of flags (base state first), numbers are {set, infinite, number}
 * objects, exit codes are structured, the environment is an array of "K=V" strings and the
 * script lives inside the job.
 *
 * A slurm_api is a table of functions for one version: it builds a submit body from a
 * slurm_job_spec and decodes replies into records that are the same whatever the version
 * (slurm_job_info, slurm_node_info, slurm_partition_info). It is pure: no network, no global
 * state; the transports (REST over TCP or a unix socket, an SSH tunnel) call it. Pick a table by
 * name (slurm_api_get, slurm_api_lookup) or from the server's own OpenAPI document
 * (slurm_api_detect).
 *
 * Every parser takes a body and its length (no NUL terminator needed) and never reads past it. */
#ifndef AIFB_SLURM_API_H
#define AIFB_SLURM_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/records.h"

/* A job's state as aifb sees it. COMPLETING stands for any job whose processes have ended but
 * whose epilog or stage-out still runs: its final state comes with a later reply. */
typedef enum slurm_job_state {
    SLURM_JOB_PENDING,
    SLURM_JOB_RUNNING,
    SLURM_JOB_SUSPENDED,
    SLURM_JOB_COMPLETING,
    SLURM_JOB_COMPLETED,
    SLURM_JOB_FAILED,
    SLURM_JOB_CANCELLED,
    SLURM_JOB_TIMEOUT,
    SLURM_JOB_NODE_FAIL,
    SLURM_JOB_OUT_OF_MEMORY,
    SLURM_JOB_PREEMPTED,
    SLURM_JOB_BOOT_FAIL,
    SLURM_JOB_DEADLINE,
    SLURM_JOB_UNKNOWN,
} slurm_job_state;

/* What aifb submits. NULL or "" strings and 0 numbers are left out of the body, so Slurm (the
 * partition's defaults) decides. script and cwd are required: without a working directory
 * slurmrestd would run the job in its own. */
typedef struct slurm_job_spec {
    const char *name, *comment, *account, *partition, *qos;
    int time_limit_min; /* minutes */
    int nodes;          /* exactly this many nodes */
    int tasks;          /* tasks in the whole job */
    int cpus_per_task;  /* at most 65534 */
    int64_t memory_mb;  /* per node, megabytes */
    int gpus;           /* per node */
    const char *cwd, *stdout_path, *stderr_path;
    const kv *env;      /* names [A-Za-z_][A-Za-z0-9_]*, each once */
    size_t nenv;        /* 0: PATH=/usr/local/bin:/usr/bin:/bin is sent (Slurm refuses none) */
    const char *script; /* the whole batch script, "#!" line included */
} slurm_job_spec;

/* What aifb reads back about a job, the same for every version. Strings are cut to fit. */
typedef struct slurm_job_info {
    uint32_t job_id;
    char name[256];
    char comment[256];
    slurm_job_state state;
    bool completing;        /* Slurm's COMPLETING flag (state is then SLURM_JOB_COMPLETING) */
    char state_reason[128]; /* "None", "Priority", "NonZeroExitCode", "TimeLimit", ... */
    /* Only for a job that has ended (or is completing): has_exit is true and exit_status is the
     * process's exit code, or exit_signal the signal that ended it (the other one is -1);
     * raw_wait_status is the wait(2) status they come from (v0.0.38 gives it as exit_code; for
     * newer versions it is rebuilt: exit code << 8, or the signal). Otherwise all three are -1. */
    bool has_exit;
    int exit_status;
    int exit_signal;
    int raw_wait_status;
    /* Unix seconds; 0 when Slurm gives none. While a job runs, end_time is its expected end. */
    int64_t submit_time, start_time, end_time;
    char nodes[256]; /* "node[01-04]" as Slurm writes it; "" before allocation */
    char partition[64];
} slurm_job_info;

/* A node as GetInfo shows it. */
typedef struct slurm_node_info {
    char name[64];
    char state[64]; /* upper case, base state then flags: "IDLE", "MIXED+DRAIN" */
    int cpus;
    int64_t memory_mb;    /* configured real memory */
    char gres[128];       /* "gpu:4", "" when none */
    char partitions[128]; /* comma-separated */
} slurm_node_info;

/* A partition as GetInfo shows it. */
typedef struct slurm_partition_info {
    char name[64];
    char state[32];  /* "UP", "DOWN", "DRAIN", "INACTIVE" */
    char nodes[256]; /* configured node list */
    int total_nodes, total_cpus;
    /* v0.0.40 to v0.0.42 do not say which partition is the default: default_known is false. */
    bool default_known;
    bool is_default;
} slurm_partition_info;

/* The slurmrestd endpoints aifb uses. */
typedef enum slurm_endpoint {
    SLURM_EP_SUBMIT,     /* POST job/submit */
    SLURM_EP_JOB,        /* GET or DELETE job/{id}: arg is the job id */
    SLURM_EP_JOBS,       /* GET jobs: arg is update_time (0: none). Given one, Slurm sends every
                            job when anything changed since then and an empty list (v0.0.40 on:
                            with a warning) when nothing did: empty is not "no jobs" then. */
    SLURM_EP_NODES,      /* GET nodes */
    SLURM_EP_PARTITIONS, /* GET partitions */
    SLURM_EP_PING,       /* GET ping */
    SLURM_EP_DIAG,       /* GET diag */
} slurm_endpoint;

/* One data version. The parsers take the reply body of the matching endpoint: parse_jobs reads
 * the replies of both GET jobs and GET job/{id}. They are strict where aifb depends on a field (a
 * job without job_id or job_state is refused with AIFB_EINVAL naming the version and the field)
 * and ignore fields they do not know. When a reply carries Slurm errors instead of data, they
 * fail with the errors as message ("slurmrestd: Invalid job id specified (error 2017)"):
 * AIFB_ENOTFOUND for an unknown job, AIFB_EINVAL for a refused submission, AIFB_EABORTED for
 * anything else. Arrays they return are malloc'd (NULL when empty); the caller frees them. */
typedef struct slurm_api {
    const char *version;  /* "v0.0.38" */
    const char *releases; /* the Slurm releases that offer it, for messages: "22.05 to 23.11" */
    /* A POST job/submit body (malloc'd JSON text), or AIFB_EINVAL naming what in spec cannot be
     * expressed (a negative count, a bad variable name, a missing script). */
    aifb_code (*submit_body)(const slurm_job_spec *spec, char **json, aifb_err *err);
    aifb_code (*parse_submit)(const char *body, size_t len, uint32_t *job_id, aifb_err *err);
    aifb_code (*parse_jobs)(const char *body, size_t len, slurm_job_info **jobs, size_t *n,
                            aifb_err *err);
    aifb_code (*parse_nodes)(const char *body, size_t len, slurm_node_info **nodes, size_t *n,
                             aifb_err *err);
    aifb_code (*parse_partitions)(const char *body, size_t len, slurm_partition_info **parts,
                                  size_t *n, aifb_err *err);
} slurm_api;

/* The table of a supported version ("v0.0.42"), or NULL. */
const slurm_api *slurm_api_get(const char *version);

/* Like slurm_api_get, but an unsupported or malformed version is AIFB_EINVAL with a message
 * naming it and listing the supported ones (for a version given in configuration). */
aifb_code slurm_api_lookup(const char *version, const slurm_api **out, aifb_err *err);

/* The supported versions, oldest first, as one line: "v0.0.38, v0.0.40, v0.0.41, v0.0.42". */
const char *slurm_api_supported(void);

/* Reads slurmrestd's OpenAPI document (GET /openapi/v3) and picks the newest supported version
 * among the /slurm/v0.0.NN/ paths it lists. AIFB_EINVAL when the document is not JSON or has no
 * "paths" object or no Slurm paths; AIFB_EUNIMPLEMENTED naming the offered versions when none of
 * them is supported. */
aifb_code slurm_api_detect(const char *openapi_doc, size_t len, const slurm_api **out,
                           aifb_err *err);

/* Writes the URL path of an endpoint for this version into out ("/slurm/v0.0.40/job/42").
 * AIFB_EINVAL for job 0 or an unknown endpoint, AIFB_ERANGE when out is too small. */
aifb_code slurm_api_path(const slurm_api *api, slurm_endpoint ep, uint64_t arg, char *out,
                         size_t outlen, aifb_err *err);

/* The "errors" array of any reply (any version) as one sentence in msg:
 * "slurmrestd: Invalid job id specified (error 2017)", several joined by "; ". Returns true when
 * the reply has at least one error; false (msg "") when it has none or is not JSON. */
bool slurm_api_errors(const char *body, size_t len, char *msg, size_t msglen);

/* The Slurm release a reply's meta names ("22.05.8", "24.11.1"); false when it names none. */
bool slurm_api_release(const char *body, size_t len, char *out, size_t outlen);

/* "PENDING", "RUNNING", ..., as Slurm spells them. */
const char *slurm_job_state_name(slurm_job_state s);

/* Whether a job in this state is over for good (COMPLETING is not: it ends in another state). */
bool slurm_job_state_final(slurm_job_state s);

#endif
