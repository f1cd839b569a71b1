/* slurm_ssh.h: the login-node transport of the Slurm executors, one libssh2 session to a login
 * node shared by every caller.
 *
 * The session is opened lazily by the first call, checked before anything is sent (the server's
 * host key must MATCH an entry of the known_hosts file, hashed and [host]:port forms included),
 * kept alive with SSH keepalives, and re-established by a background thread with exponential
 * backoff (1 s doubling to 30 s) when the connection drops. While it is down, calls fail at once
 * with AIFB_EUNAVAILABLE "login node HOST:PORT unreachable since <time>: <why>".
 *
 * Three ways to use it:
 *  - slurm_ssh_run(): one remote command (argv quoted into one command line for the user's
 *    shell), stdin fed, stdout and stderr collected, exit status returned;
 *  - the cli wrappers slurm_ssh_sbatch(), slurm_ssh_squeue(), slurm_ssh_sacct(),
 *    slurm_ssh_scancel(), with parsers that ignore whatever a login shell prints around them;
 *  - slurm_ssh_tunnel_open(): a unix socket in a private folder whose connections are each
 *    carried by a direct-tcpip channel to a host:port seen from the login node, so a REST client
 *    reaches a remote slurmrestd through `unix:/path` as if it were local.
 *
 * libssh2 sessions are not thread-safe: every libssh2 call is made under the session's mutex,
 * with the session in non-blocking mode so waiting never holds the lock.
 *
 * Files: slurm_ssh_session.c (connection, host key, login, keepalive, reconnection),
 * slurm_ssh_run.c (quoting and remote commands), slurm_ssh_cli.c (sbatch, squeue, sacct,
 * scancel and their parsers), slurm_ssh_sinfo.c (nodes and partitions), slurm_ssh_tunnel.c (the
 * local listener and its pump thread). */
#ifndef AIFB_SLURM_SSH_H
#define AIFB_SLURM_SSH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/util.h"
#include "slurm/slurm_api.h"

/* Where and how to log in. Zero or NULL fields take the default given beside them. */
typedef struct slurm_ssh_config {
    const char *host;        /* login node name or address: required */
    int port;                /* 0: 22 */
    const char *user;        /* required */
    const char *key_path;    /* private key, OpenSSH format (ed25519, ecdsa or rsa): required */
    const char *passphrase;  /* NULL: $SSH_KEY_PASSPHRASE when set; never logged */
    const char *known_hosts; /* NULL: ~/.ssh/known_hosts */
    int keepalive_s;         /* 0: 30 */
    int connect_timeout_ms;  /* 0: 10000; TCP connect, handshake and login together */
    int command_timeout_ms;  /* 0: 120000; one slurm_ssh_run() from start to exit status */
} slurm_ssh_config;

typedef struct slurm_ssh slurm_ssh;

/* Output beyond this many bytes per stream is read and dropped (result.truncated is set). */
#define SLURM_SSH_OUTPUT_MAX (4u << 20)

/* What one remote command did. out and err are NUL-terminated and never NULL after a
 * successful slurm_ssh_run(); free with slurm_ssh_result_free(). */
typedef struct slurm_ssh_result {
    int exit_status; /* the command's exit status; -1 when it ended by a signal */
    char signal[32]; /* the signal's name without "SIG" ("TERM"), or "" */
    char *out, *err; /* stdout and stderr */
    size_t out_len, err_len;
    bool truncated; /* a stream was longer than SLURM_SSH_OUTPUT_MAX */
} slurm_ssh_result;

/* Checks cfg and makes a session object; nothing is connected yet (the first call connects).
 * AIFB_EINVAL naming the field when host, user or key_path is missing, the port is out of
 * range, or the key file cannot be read. Starts the keepalive/reconnect thread. */
aifb_code slurm_ssh_new(const slurm_ssh_config *cfg, slurm_ssh **out, aifb_err *err);

/* Disconnects, stops the thread and frees s. Tunnels must be closed first. NULL is a no-op. */
void slurm_ssh_free(slurm_ssh *s);

/* Connects now if needed (host key check and login included). AIFB_OK when the session is up;
 * otherwise the error that keeps it down: AIFB_EUNAUTHENTICATED for a host key that is not the
 * known one (with how to trust it), AIFB_EPERM when the login node refuses the key,
 * AIFB_EUNAVAILABLE when it cannot be reached (at once while a reconnection is backing off). */
aifb_code slurm_ssh_connect(slurm_ssh *s, aifb_err *err);

/* Whether the session is connected right now (no network traffic). */
bool slurm_ssh_is_up(slurm_ssh *s);

/* Appends argv as one command line for a POSIX shell: each element one single-quoted word
 * ('it'\''s'), newlines and every other byte kept literally, so nothing is expanded. An empty
 * element becomes ''. argv is NULL-terminated. */
void slurm_ssh_quote_argv(abuf *b, const char *const *argv);

/* Runs argv (NULL-terminated, argv[0] required) on the login node through the user's shell,
 * feeds stdin_data (stdin_len bytes, may be 0) then EOF, and fills *out with both streams and
 * the exit status. A non-zero exit is not an error here: read out->exit_status. Errors:
 * AIFB_EINVAL (empty argv), AIFB_ETIMEOUT (no exit status within the command timeout; the
 * channel is closed), and those of slurm_ssh_connect(). *out is zeroed first; free it with
 * slurm_ssh_result_free() whatever the outcome. */
aifb_code slurm_ssh_run(slurm_ssh *s, const char *const *argv, const char *stdin_data,
                        size_t stdin_len, slurm_ssh_result *out, aifb_err *err);

void slurm_ssh_result_free(slurm_ssh_result *r);

/* ---- cli mode ---------------------------------------------------------------------------- */

/* One job as squeue or sacct shows it. Strings are malloc'd, never NULL. */
typedef struct slurm_ssh_job {
    int64_t job_id;
    char *name;
    char *state;     /* PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, ... */
    char *reason;    /* squeue's reason ("None", "NonZeroExitCode", "TimeLimit"); "" from sacct */
    char *comment;   /* "" when the job has none */
    int exit_code;   /* the job's exit code (0..255), valid when exit_signal is 0 */
    int exit_signal; /* the signal that ended it, or 0 */
} slurm_ssh_job;

void slurm_ssh_jobs_free(slurm_ssh_job *jobs, size_t n);

/* `sbatch --parsable [args...]` with script on stdin; *job_id from its reply (a
 * "ID;cluster" reply is accepted, banner lines are ignored). args is NULL-terminated or NULL.
 * AIFB_EINVAL with sbatch's own message when it exits non-zero (an unknown partition, ...). */
aifb_code slurm_ssh_sbatch(slurm_ssh *s, const char *script, const char *const *args,
                           int64_t *job_id, aifb_err *err);

/* The squeue format slurm_ssh_squeue() asks for and slurm_ssh_parse_squeue() reads:
 * id|state|reason|raw wait status|name|comment (the comment may itself hold '|'). */
#define SLURM_SSH_SQUEUE_FORMAT "JobID:|,State:|,Reason:|,exit_code:|,Name:|,Comment:"

/* Every job squeue still knows (`squeue --noheader --states=all`, so ended jobs stay visible
 * for the cluster's MinJobAge), or only those of user when user is not NULL. */
aifb_code slurm_ssh_squeue(slurm_ssh *s, const char *user, slurm_ssh_job **jobs, size_t *n,
                           aifb_err *err);

/* Parses squeue output in SLURM_SSH_SQUEUE_FORMAT; lines of any other shape (a login banner,
 * a message of the day) are skipped. Never fails on text: *jobs may be empty. */
aifb_code slurm_ssh_parse_squeue(const char *text, slurm_ssh_job **jobs, size_t *n, aifb_err *err);

/* The sacct fields slurm_ssh_sacct() asks for (-n -P -X): one job per line, '|' between. */
#define SLURM_SSH_SACCT_FIELDS "JobID,State,ExitCode,JobName,Comment"

/* Jobs accounting remembers after squeue forgot them (MinJobAge), started since since_epoch
 * (0: sacct's default of today). AIFB_EUNIMPLEMENTED when the cluster has no accounting. */
aifb_code slurm_ssh_sacct(slurm_ssh *s, int64_t since_epoch, slurm_ssh_job **jobs, size_t *n,
                          aifb_err *err);

/* Parses `sacct -n -P -X -o SLURM_SSH_SACCT_FIELDS` output ("CANCELLED by 0" becomes
 * CANCELLED, ExitCode "3:0" exit 3, "0:15" signal 15); other lines are skipped. */
aifb_code slurm_ssh_parse_sacct(const char *text, slurm_ssh_job **jobs, size_t *n, aifb_err *err);

/* `scancel ID`. AIFB_ENOTFOUND when Slurm does not know the job; other failures with
 * scancel's message. */
aifb_code slurm_ssh_scancel(slurm_ssh *s, int64_t job_id, aifb_err *err);

/* The sinfo formats slurm_ssh_sinfo() asks for: a node per line and partition
 * (name|state|cpus|memory MB|gres|partition, the default partition marked '*'), and a
 * partition per line (name|availability|nodes|cpus allocated/idle/other/total|node list). */
#define SLURM_SSH_SINFO_NODES      "%N|%T|%c|%m|%G|%P"
#define SLURM_SSH_SINFO_PARTITIONS "%P|%a|%D|%C|%N"

/* The cluster's nodes and partitions (three sinfo commands: nodes, partitions, --version;
 * release "" when the version is not known). Arrays malloc'd; free() them. */
aifb_code slurm_ssh_sinfo(slurm_ssh *s, slurm_node_info **nodes, size_t *nnodes,
                          slurm_partition_info **parts, size_t *nparts, char *release,
                          size_t releaselen, aifb_err *err);

/* Splits line[0..len) at sep into at most max fields (f, flen); the last takes the rest.
 * Returns the number of fields (the parsers of command output share it). */
size_t slurm_ssh_split(const char *line, size_t len, char sep, const char **f, size_t *flen,
                       size_t max);

/* Parsers of the two formats; other lines are skipped, a node listed once per partition is
 * one node with every partition. Never fail on text. */
aifb_code slurm_ssh_parse_sinfo_nodes(const char *text, slurm_node_info **nodes, size_t *n,
                                      aifb_err *err);
aifb_code slurm_ssh_parse_sinfo_partitions(const char *text, slurm_partition_info **parts,
                                           size_t *n, aifb_err *err);

/* ---- tunnel mode ------------------------------------------------------------------------- */

typedef struct slurm_ssh_tunnel slurm_ssh_tunnel;

/* Listens on a unix socket in a new private folder (mode 0700, under $TMPDIR or /tmp) and
 * carries each accepted connection over its own direct-tcpip channel to remote_host:remote_port
 * as seen from the login node. The session need not be up yet: channels are opened per
 * connection, and a connection made while the login node is unreachable is closed at once. */
aifb_code slurm_ssh_tunnel_open(slurm_ssh *s, const char *remote_host, int remote_port,
                                slurm_ssh_tunnel **out, aifb_err *err);

/* The socket's path, and the same as a URL for the REST client ("unix:/tmp/.../sock"). */
const char *slurm_ssh_tunnel_path(const slurm_ssh_tunnel *t);
const char *slurm_ssh_tunnel_url(const slurm_ssh_tunnel *t);

/* Stops the pump thread, closes every connection and channel, removes socket and folder. */
void slurm_ssh_tunnel_close(slurm_ssh_tunnel *t);

#endif
