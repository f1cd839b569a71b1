/* exec_probe.h: the readiness probe of a service, advanced a little on every poll().
 *
 * poll() must never block for long, so a probe is a small state machine rather than a loop:
 * each exec_prober_step() starts an attempt when the interval has passed (a non-blocking TCP
 * connect, an HTTP GET over one, or a probe command as a child process) or checks the attempt in
 * flight without waiting (poll(2) with a zero timeout, waitpid with WNOHANG). An attempt that
 * fails is retried every interval until the probe's own deadline. */
#ifndef AIFB_EXEC_PROBE_H
#define AIFB_EXEC_PROBE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"
#include "exec/exec_resolve.h"
#include "exec/executor.h"

typedef enum exec_probe_result {
    EXEC_PROBE_PENDING,   /* not ready yet; call again later */
    EXEC_PROBE_PASSED,    /* the service answered */
    EXEC_PROBE_TIMED_OUT, /* the deadline passed without a passing attempt */
} exec_probe_result;

typedef struct exec_prober {
    exec_probe_kind kind;
    char *host;
    int port;
    char *path;
    exec_prog cmd; /* CMD: resolved before anything starts */
    char *cwd;     /* CMD: where the command runs */
    int timeout_ms, interval_ms;
    int64_t deadline_ms; /* monotonic */
    int64_t next_ms;     /* no new attempt before this */
    /* the attempt in flight */
    int stage; /* 0: none, 1: connecting, 2: reading the HTTP answer, 3: command running */
    int fd;
    pid_t child;
    int64_t attempt_start_ms, attempt_end_ms;
    unsigned attempts; /* attempts made, to take a host's addresses in turn */
    char answer[64];
    size_t answer_len;
    char last_error[160]; /* why the last attempt failed, for the timeout message */
} exec_prober;

/* Copies spec (defaults: host 127.0.0.1, timeout 60 s, interval 200 ms) and, for a CMD probe,
 * finds its program in search then PATH; cwd is where it will run. AIFB_EINVAL when the probe
 * cannot work (no port for TCP or HTTP, no command, a program not found). */
aifb_code exec_prober_init(exec_prober *p, const exec_probe *spec, const char *const *search,
                           const char *cwd, aifb_err *err);

/* Starts the clock: the probe times out timeout_ms after started_ms (monotonic; earlier than now
 * for a probe taken back after a restart). */
void exec_prober_start(exec_prober *p, int64_t started_ms);

/* Advances the probe without blocking. */
exec_probe_result exec_prober_step(exec_prober *p, int64_t now_ms);

/* "tcp probe of 127.0.0.1:6379", "http probe of http://127.0.0.1:8000/health",
 * "probe command pg_isready". */
void exec_prober_describe(const exec_prober *p, char *out, size_t outlen);

/* "host:port" (IPv6 hosts in brackets); "" when the probe names no port. */
void exec_prober_endpoint(const exec_prober *p, char *out, size_t outlen);

/* Ends the attempt in flight: closes its socket, kills and reaps its command. */
void exec_prober_abort(exec_prober *p);

/* Frees memory and closes the socket; kill_child false leaves a running probe command alone
 * (what free() of the executor must do: it releases memory and never kills). */
void exec_prober_free(exec_prober *p, bool kill_child);

#endif
