/* exec_probe.c: see exec_probe.h.
 *
 * One attempt at a time. TCP: a non-blocking connect, checked for writability; HTTP: the same
 * connect, then "GET <path> HTTP/1.0" and the status code of the answer's first line; CMD: the
 * command in its own process group, checked with WNOHANG and killed after 5 s. Every failure
 * leaves a short sentence in last_error so the timeout message can say what went wrong. */
#include "exec_probe.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"
#include "exec/exec_spawn.h"

#define PROBE_NET_ATTEMPT_MS 2000
#define PROBE_CMD_ATTEMPT_MS 5000

enum { STAGE_IDLE, STAGE_CONNECTING, STAGE_READING, STAGE_COMMAND };

aifb_code exec_prober_init(exec_prober *p, const exec_probe *spec, const char *const *search,
                           const char *cwd, aifb_err *err)
{
    memset(p, 0, sizeof *p);
    p->fd = -1;
    p->kind = spec->kind;
    p->port = spec->port;
    p->timeout_ms = spec->timeout_ms > 0 ? spec->timeout_ms : 60000;
    p->interval_ms = spec->interval_ms > 0 ? spec->interval_ms : 200;
    if ((p->kind == EXEC_PROBE_TCP || p->kind == EXEC_PROBE_HTTP) &&
        (spec->port <= 0 || spec->port > 65535))
        return aifb_err_set(err, AIFB_EINVAL, "readiness probe: port %d is not a TCP port",
                            spec->port);
    if (p->kind == EXEC_PROBE_CMD) {
        aifb_code rc = exec_resolve_prog(&spec->cmd, search, cwd, &p->cmd, err);
        if (rc) {
            aifb_err_prefix(err, "readiness probe");
            return rc;
        }
    }
    p->host = xstrdup(spec->host && *spec->host ? spec->host : "127.0.0.1");
    p->path = xstrdup(spec->path && *spec->path ? spec->path : "/");
    p->cwd = xstrdup(cwd);
    return AIFB_OK;
}

void exec_prober_start(exec_prober *p, int64_t started_ms)
{
    p->deadline_ms = started_ms + p->timeout_ms;
    p->next_ms = 0;
}

static void attempt_failed(exec_prober *p, const char *fmt, const char *detail)
{
    snprintf(p->last_error, sizeof p->last_error, fmt, detail);
    if (p->fd >= 0)
        close(p->fd);
    p->fd = -1;
    p->stage = STAGE_IDLE;
    p->next_ms = p->attempt_start_ms + p->interval_ms;
}

static void start_connect(exec_prober *p)
{
    char port[16];
    snprintf(port, sizeof port, "%d", p->port);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    int gai = getaddrinfo(p->host, port, &hints, &ai);
    if (gai != 0) {
        attempt_failed(p, "cannot resolve the host: %s", gai_strerror(gai));
        return;
    }
    /* A name like "localhost" may give ::1 and 127.0.0.1 while the service listens on one of
     * them only: successive attempts take the addresses in turn. */
    size_t count = 0;
    for (struct addrinfo *a = ai; a; a = a->ai_next)
        count++;
    struct addrinfo *pick = ai;
    for (size_t i = p->attempts++ % count; i > 0; i--)
        pick = pick->ai_next;
    p->fd = socket(pick->ai_family, pick->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                   pick->ai_protocol);
    if (p->fd < 0) {
        freeaddrinfo(ai);
        attempt_failed(p, "socket: %s", strerror(errno));
        return;
    }
    int rc = connect(p->fd, pick->ai_addr, pick->ai_addrlen);
    freeaddrinfo(ai);
    if (rc != 0 && errno != EINPROGRESS) {
        attempt_failed(p, "%s", strerror(errno));
        return;
    }
    p->stage = STAGE_CONNECTING;
    p->attempt_end_ms = p->attempt_start_ms + PROBE_NET_ATTEMPT_MS;
}

static bool fd_ready(int fd, short events)
{
    struct pollfd pfd = {.fd = fd, .events = events};
    return poll(&pfd, 1, 0) > 0;
}

static exec_probe_result send_request(exec_prober *p)
{
    abuf req = {0};
    bool v6 = strchr(p->host, ':') != NULL;
    abuf_printf(&req,
                "GET %s HTTP/1.0\r\nHost: %s%s%s:%d\r\nUser-Agent: aifb-probe\r\n"
                "Connection: close\r\n\r\n",
                p->path, v6 ? "[" : "", p->host, v6 ? "]" : "", p->port);
    ssize_t n = send(p->fd, req.p, req.len, MSG_NOSIGNAL);
    bool whole = n == (ssize_t)req.len;
    abuf_free(&req);
    if (!whole) {
        attempt_failed(p, "cannot send the request: %s", n < 0 ? strerror(errno) : "short");
        return EXEC_PROBE_PENDING;
    }
    p->stage = STAGE_READING;
    p->answer_len = 0;
    return EXEC_PROBE_PENDING;
}

static exec_probe_result check_connect(exec_prober *p)
{
    if (!fd_ready(p->fd, POLLOUT))
        return EXEC_PROBE_PENDING;
    int soerr = 0;
    socklen_t len = sizeof soerr;
    if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0)
        soerr = errno;
    if (soerr) {
        attempt_failed(p, "%s", strerror(soerr));
        return EXEC_PROBE_PENDING;
    }
    if (p->kind == EXEC_PROBE_TCP)
        return EXEC_PROBE_PASSED;
    return send_request(p);
}

/* Judges the answer's status line once it is complete (or the peer closed). */
static exec_probe_result judge_answer(exec_prober *p)
{
    p->answer[p->answer_len] = '\0';
    int code = 0;
    if (sscanf(p->answer, "HTTP/%*d.%*d %d", &code) == 1 && code >= 200 && code < 400)
        return EXEC_PROBE_PASSED;
    char line[48];
    snprintf(line, sizeof line, "%.*s", (int)strcspn(p->answer, "\r\n"), p->answer);
    attempt_failed(p, "answered '%s'", line[0] ? line : "nothing");
    return EXEC_PROBE_PENDING;
}

static exec_probe_result check_answer(exec_prober *p)
{
    for (;;) {
        size_t room = sizeof p->answer - 1 - p->answer_len;
        ssize_t n = recv(p->fd, p->answer + p->answer_len, room, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return EXEC_PROBE_PENDING;
        if (n < 0) {
            attempt_failed(p, "reading the answer: %s", strerror(errno));
            return EXEC_PROBE_PENDING;
        }
        p->answer_len += (size_t)n;
        p->answer[p->answer_len] = '\0';
        if (n == 0 || p->answer_len == sizeof p->answer - 1 || strstr(p->answer, "\r\n"))
            return judge_answer(p);
    }
}

static void start_command(exec_prober *p)
{
    aifb_err err;
    if (exec_spawn_simple(&p->cmd, p->cwd, &p->child, &err) != AIFB_OK) {
        attempt_failed(p, "%.150s", err.msg);
        return;
    }
    p->stage = STAGE_COMMAND;
    p->attempt_end_ms = p->attempt_start_ms + PROBE_CMD_ATTEMPT_MS;
}

/* Kills what is left of the probe command's group (a probe has no business leaving processes
 * behind) and reaps it: orphans of the group are our children, since aifbd is a subreaper. */
static void end_command_group(pid_t pgid)
{
    kill(-pgid, SIGKILL);
    for (;;) {
        pid_t w = waitpid(-pgid, NULL, 0);
        if (w < 0 && errno != EINTR)
            break;
    }
}

static void kill_command(exec_prober *p)
{
    if (p->child <= 0)
        return;
    kill(p->child, SIGKILL);
    end_command_group(p->child);
    p->child = 0;
}

static exec_probe_result check_command(exec_prober *p)
{
    int ws;
    pid_t w = waitpid(p->child, &ws, WNOHANG);
    if (w == 0)
        return EXEC_PROBE_PENDING;
    end_command_group(p->child);
    p->child = 0;
    if (w > 0 && WIFEXITED(ws) && WEXITSTATUS(ws) == 0)
        return EXEC_PROBE_PASSED;
    char why[48];
    if (w < 0)
        snprintf(why, sizeof why, "could not be waited for");
    else if (WIFSIGNALED(ws))
        snprintf(why, sizeof why, "was killed by signal %d", WTERMSIG(ws));
    else
        snprintf(why, sizeof why, "exited with status %d", WEXITSTATUS(ws));
    attempt_failed(p, "the probe command %s", why);
    return EXEC_PROBE_PENDING;
}

static exec_probe_result check_attempt(exec_prober *p, int64_t now_ms)
{
    exec_probe_result r = EXEC_PROBE_PENDING;
    switch (p->stage) {
    case STAGE_CONNECTING:
        r = check_connect(p);
        break;
    case STAGE_READING:
        r = check_answer(p);
        break;
    case STAGE_COMMAND:
        r = check_command(p);
        break;
    default:
        break;
    }
    if (r == EXEC_PROBE_PASSED) {
        exec_prober_abort(p);
        return r;
    }
    if (p->stage != STAGE_IDLE && now_ms >= p->attempt_end_ms) {
        bool cmd = p->stage == STAGE_COMMAND;
        exec_prober_abort(p);
        attempt_failed(
            p, "%s", cmd ? "the probe command did not finish within 5 s" : "no answer within 2 s");
    }
    return EXEC_PROBE_PENDING;
}

exec_probe_result exec_prober_step(exec_prober *p, int64_t now_ms)
{
    if (p->kind == EXEC_PROBE_NONE)
        return EXEC_PROBE_PASSED;
    if (p->stage == STAGE_IDLE && now_ms >= p->next_ms && now_ms < p->deadline_ms) {
        p->attempt_start_ms = now_ms;
        if (p->kind == EXEC_PROBE_CMD)
            start_command(p);
        else
            start_connect(p);
    }
    if (p->stage != STAGE_IDLE && check_attempt(p, now_ms) == EXEC_PROBE_PASSED)
        return EXEC_PROBE_PASSED;
    if (now_ms >= p->deadline_ms) {
        exec_prober_abort(p);
        return EXEC_PROBE_TIMED_OUT;
    }
    return EXEC_PROBE_PENDING;
}

void exec_prober_describe(const exec_prober *p, char *out, size_t outlen)
{
    char ep[300];
    exec_prober_endpoint(p, ep, sizeof ep);
    switch (p->kind) {
    case EXEC_PROBE_TCP:
        snprintf(out, outlen, "tcp probe of %s", ep);
        break;
    case EXEC_PROBE_HTTP:
        snprintf(out, outlen, "http probe of http://%s%s", ep, p->path);
        break;
    case EXEC_PROBE_CMD:
        snprintf(out, outlen, "probe command %s", p->cmd.argv ? p->cmd.argv[0] : "?");
        break;
    default:
        snprintf(out, outlen, "no probe");
        break;
    }
}

void exec_prober_endpoint(const exec_prober *p, char *out, size_t outlen)
{
    if (p->port <= 0 || !p->host) {
        snprintf(out, outlen, "%s", "");
        return;
    }
    bool v6 = strchr(p->host, ':') != NULL;
    snprintf(out, outlen, "%s%s%s:%d", v6 ? "[" : "", p->host, v6 ? "]" : "", p->port);
}

void exec_prober_abort(exec_prober *p)
{
    if (p->fd >= 0)
        close(p->fd);
    p->fd = -1;
    kill_command(p);
    p->stage = STAGE_IDLE;
}

void exec_prober_free(exec_prober *p, bool kill_child)
{
    if (kill_child)
        exec_prober_abort(p);
    else if (p->fd >= 0)
        close(p->fd);
    exec_prog_free(&p->cmd);
    free(p->host);
    free(p->path);
    free(p->cwd);
    memset(p, 0, sizeof *p);
    p->fd = -1;
}
