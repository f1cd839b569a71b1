/* slurm_ssh_run.c: one remote command on the login node: quoting argv into a command line,
 * opening an exec channel, feeding stdin, collecting both streams, reading the exit status.
 *
 * The login node runs the command line with the user's shell, so argv must arrive as one word
 * per element with nothing expanded. Only single quotes are used ('it'\''s'): inside them a POSIX
 * shell (and bash, zsh, ksh) takes every byte literally, newlines included, unlike $'...' which
 * plain sh may not know. The channel work is one loop that writes stdin, reads stdout and
 * stderr as they come (so a command that fills its pipe before reading all of stdin cannot
 * deadlock us), and waits on the socket without holding the session lock between steps. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slurm/slurm_ssh_internal.h"

void slurm_ssh_quote_argv(abuf *b, const char *const *argv)
{
    for (size_t i = 0; argv && argv[i]; i++) {
        if (i)
            abuf_putc(b, ' ');
        abuf_putc(b, '\'');
        for (const char *p = argv[i]; *p; p++) {
            if (*p == '\'')
                abuf_puts(b, "'\\''");
            else
                abuf_putc(b, *p);
        }
        abuf_putc(b, '\'');
    }
}

void slurm_ssh_result_free(slurm_ssh_result *r)
{
    if (!r)
        return;
    free(r->out);
    free(r->err);
    memset(r, 0, sizeof *r);
}

/* One command in flight: its channel and what it has produced so far. */
typedef struct ssh_exec {
    slurm_ssh *s;
    LIBSSH2_CHANNEL *ch;
    uint64_t gen;
    int64_t deadline;
    const char *in;
    size_t in_len, in_sent;
    bool eof_sent, out_done, err_done;
    abuf out, err;
    bool truncated;
} ssh_exec;

static void exec_keep(ssh_exec *x, abuf *b, const char *data, ssize_t n)
{
    size_t room = b->len < SLURM_SSH_OUTPUT_MAX ? SLURM_SSH_OUTPUT_MAX - b->len : 0;
    if ((size_t)n > room)
        x->truncated = true;
    abuf_append(b, data, (size_t)n < room ? (size_t)n : room);
}

/* Waits a slice for the socket; AIFB_ETIMEOUT past the deadline, AIFB_EUNAVAILABLE when the
 * connection went away meanwhile. */
static aifb_code exec_wait(ssh_exec *x, const char *what, aifb_err *err)
{
    if (aifb_mono_ms() >= x->deadline)
        return aifb_err_set(err, AIFB_ETIMEOUT, "login node %s:%d: %s took longer than %d ms",
                            x->s->host, x->s->port, what, x->s->command_timeout_ms);
    slurm_ssh_wait_unlocked(x->s);
    aifb_code code = slurm_ssh_check_gen_locked(x->s, x->gen, err);
    if (code != AIFB_OK)
        x->ch = NULL; /* freed with its session */
    return code;
}

static aifb_code exec_start(ssh_exec *x, const char *cmdline, aifb_err *err)
{
    slurm_ssh *s = x->s;
    while (!(x->ch = libssh2_channel_open_session(s->sess))) {
        int rc = libssh2_session_last_errno(s->sess);
        if (rc != LIBSSH2_ERROR_EAGAIN)
            return slurm_ssh_fail_locked(s, rc, "opening a session channel", err);
        aifb_code code = exec_wait(x, "opening a channel", err);
        if (code != AIFB_OK)
            return code;
    }
    int rc;
    while ((rc = libssh2_channel_exec(x->ch, cmdline)) == LIBSSH2_ERROR_EAGAIN) {
        aifb_code code = exec_wait(x, "starting the command", err);
        if (code != AIFB_OK)
            return code;
    }
    if (rc == 0)
        return AIFB_OK;
    aifb_code code = slurm_ssh_fail_locked(s, rc, "starting the command", err);
    if (code == AIFB_EUNAVAILABLE)
        x->ch = NULL;
    return code;
}

/* Feeds stdin, then EOF. A command that closed its stdin early just gets no more of it. */
static aifb_code exec_feed(ssh_exec *x, bool *progress, aifb_err *err)
{
    if (x->in_sent < x->in_len) {
        size_t chunk = x->in_len - x->in_sent;
        ssize_t n = libssh2_channel_write(x->ch, x->in + x->in_sent, chunk > 32768 ? 32768 : chunk);
        if (n > 0) {
            x->in_sent += (size_t)n;
            *progress = true;
        } else if (n != LIBSSH2_ERROR_EAGAIN && n < 0) {
            if (slurm_ssh_fail_locked(x->s, (int)n, "sending stdin", NULL) != AIFB_EINTERNAL) {
                x->ch = NULL;
                return slurm_ssh_check_gen_locked(x->s, x->gen, err);
            }
            x->in_sent = x->in_len;
        }
        return AIFB_OK;
    }
    if (!x->eof_sent) {
        int rc = libssh2_channel_send_eof(x->ch);
        if (rc == 0 || rc != LIBSSH2_ERROR_EAGAIN) {
            x->eof_sent = true;
            *progress = true;
        }
    }
    return AIFB_OK;
}

/* Reads what one stream has; done once it reports end of file. */
static aifb_code exec_drain(ssh_exec *x, int stream, bool *progress, aifb_err *err)
{
    bool *done = stream ? &x->err_done : &x->out_done;
    char buf[16384];
    while (!*done) {
        ssize_t n = libssh2_channel_read_ex(x->ch, stream, buf, sizeof buf);
        if (n == LIBSSH2_ERROR_EAGAIN)
            return AIFB_OK;
        if (n < 0) {
            aifb_code code = slurm_ssh_fail_locked(x->s, (int)n, "reading the output", err);
            if (code == AIFB_EUNAVAILABLE)
                x->ch = NULL;
            return code;
        }
        if (n == 0) {
            *done = libssh2_channel_eof(x->ch) == 1;
            return AIFB_OK;
        }
        exec_keep(x, stream ? &x->err : &x->out, buf, n);
        *progress = true;
    }
    return AIFB_OK;
}

static aifb_code exec_pump(ssh_exec *x, aifb_err *err)
{
    while (!(x->out_done && x->err_done)) {
        bool progress = false;
        aifb_code code = exec_feed(x, &progress, err);
        if (code == AIFB_OK)
            code = exec_drain(x, 0, &progress, err);
        if (code == AIFB_OK)
            code = exec_drain(x, 1, &progress, err);
        if (code == AIFB_OK && !progress && !(x->out_done && x->err_done))
            code = exec_wait(x, "the command", err);
        if (code != AIFB_OK)
            return code;
    }
    return AIFB_OK;
}

static aifb_code exec_finish(ssh_exec *x, slurm_ssh_result *r, aifb_err *err)
{
    int rc;
    while ((rc = libssh2_channel_close(x->ch)) == LIBSSH2_ERROR_EAGAIN) {
        aifb_code code = exec_wait(x, "closing the channel", err);
        if (code != AIFB_OK)
            return code;
    }
    while ((rc = libssh2_channel_wait_closed(x->ch)) == LIBSSH2_ERROR_EAGAIN) {
        aifb_code code = exec_wait(x, "closing the channel", err);
        if (code != AIFB_OK)
            return code;
    }
    r->exit_status = libssh2_channel_get_exit_status(x->ch);
    char *sig = NULL;
    size_t siglen = 0;
    libssh2_channel_get_exit_signal(x->ch, &sig, &siglen, NULL, NULL, NULL, NULL);
    if (sig) {
        snprintf(r->signal, sizeof r->signal, "%.*s", (int)siglen, sig);
        r->exit_status = -1;
        libssh2_free(x->s->sess, sig);
    }
    return AIFB_OK;
}

/* Frees the channel if its session still exists; in non-blocking mode a free that would wait
 * is retried a few slices, then left to the session's own teardown. */
static void exec_release(ssh_exec *x)
{
    for (int i = 0; x->ch && i < 50; i++) {
        if (slurm_ssh_check_gen_locked(x->s, x->gen, NULL) != AIFB_OK)
            break;
        if (libssh2_channel_free(x->ch) != LIBSSH2_ERROR_EAGAIN)
            break;
        slurm_ssh_wait_unlocked(x->s);
    }
    x->ch = NULL;
}

aifb_code slurm_ssh_run(slurm_ssh *s, const char *const *argv, const char *stdin_data,
                        size_t stdin_len, slurm_ssh_result *out, aifb_err *err)
{
    memset(out, 0, sizeof *out);
    if (!argv || !argv[0] || !*argv[0])
        return aifb_err_set(err, AIFB_EINVAL, "ssh: no command to run (argv[0] is empty)");
    abuf cmd = {0};
    slurm_ssh_quote_argv(&cmd, argv);
    ssh_exec x = {.s = s, .in = stdin_data, .in_len = stdin_data ? stdin_len : 0};
    pthread_mutex_lock(&s->mu);
    aifb_code code = slurm_ssh_ensure_locked(s, err);
    if (code == AIFB_OK) {
        x.gen = s->gen;
        x.deadline = aifb_mono_ms() + s->command_timeout_ms;
        code = exec_start(&x, cmd.p, err);
        if (code == AIFB_OK)
            code = exec_pump(&x, err);
        if (code == AIFB_OK)
            code = exec_finish(&x, out, err);
        exec_release(&x);
    }
    pthread_mutex_unlock(&s->mu);
    abuf_free(&cmd);
    if (code != AIFB_OK) {
        abuf_free(&x.out);
        abuf_free(&x.err);
        return code;
    }
    out->out_len = x.out.len;
    out->err_len = x.err.len;
    out->out = abuf_take(&x.out);
    out->err = abuf_take(&x.err);
    out->truncated = x.truncated;
    return AIFB_OK;
}
