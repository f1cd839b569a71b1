/* slurm_ssh_tunnel.c: a local unix socket whose connections are carried over the login-node
 * session, each through its own direct-tcpip channel, to a host:port seen from the login node
 * (slurmrestd). libcurl then speaks HTTP to `unix:/path` as if slurmrestd were local.
 *
 * The socket lives in a folder made by mkdtemp (mode 0700), so only this user can connect. One
 * thread per tunnel polls the listener, the accepted connections and the session's socket in
 * short slices; each pass moves bytes both ways through two bounded buffers per connection, and
 * takes the session lock only for its libssh2 calls. A connection ends when either side ends;
 * its channel is freed under the generation it was opened in (a channel of a lost session went
 * with that session). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"
#include "slurm/slurm_ssh_internal.h"

#define TUN_BUF       32768
#define TUN_MAX_CONNS 64

typedef struct tun_conn {
    int fd;
    LIBSSH2_CHANNEL *ch;
    uint64_t gen;
    char up[TUN_BUF]; /* from the local client, towards the channel */
    size_t up_len;
    char down[TUN_BUF]; /* from the channel, towards the local client */
    size_t down_len, down_off;
    bool fd_eof, ch_eof, eof_sent, dead;
} tun_conn;

struct slurm_ssh_tunnel {
    slurm_ssh *s;
    char *remote_host;
    int remote_port;
    char *dir, *path, *url;
    int listen_fd;
    int stop_pipe[2];
    pthread_t thread;
    tun_conn *conns[TUN_MAX_CONNS];
    size_t nconns;
};

/* ---- the local side (no lock) ------------------------------------------------------------- */

static void tun_accept(slurm_ssh_tunnel *t)
{
    int fd = accept4(t->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return;
    if (t->nconns == TUN_MAX_CONNS) {
        log_warn("ssh tunnel %s: more than %d connections at once; one refused", t->path,
                 TUN_MAX_CONNS);
        close(fd);
        return;
    }
    tun_conn *c = xcalloc(1, sizeof *c);
    c->fd = fd;
    t->conns[t->nconns++] = c;
}

static void tun_local_io(tun_conn *c, short revents)
{
    if ((revents & (POLLIN | POLLHUP | POLLERR)) && !c->fd_eof && c->up_len < TUN_BUF) {
        ssize_t n = read(c->fd, c->up + c->up_len, TUN_BUF - c->up_len);
        if (n > 0)
            c->up_len += (size_t)n;
        else if (n == 0 || (errno != EAGAIN && errno != EINTR))
            c->fd_eof = true;
    }
    while (c->down_off < c->down_len) {
        ssize_t n = write(c->fd, c->down + c->down_off, c->down_len - c->down_off);
        if (n <= 0) {
            if (n < 0 && errno != EAGAIN && errno != EINTR)
                c->dead = true;
            break;
        }
        c->down_off += (size_t)n;
    }
    if (c->down_off == c->down_len)
        c->down_off = c->down_len = 0;
}

/* ---- the channel side (session lock held) ------------------------------------------------- */

static void tun_open_channel(slurm_ssh_tunnel *t, tun_conn *c)
{
    slurm_ssh *s = t->s;
    aifb_err err;
    if (slurm_ssh_ensure_locked(s, &err) != AIFB_OK) {
        log_warn("ssh tunnel to %s:%d: %s", t->remote_host, t->remote_port, err.msg);
        c->dead = true;
        return;
    }
    c->ch =
        libssh2_channel_direct_tcpip_ex(s->sess, t->remote_host, t->remote_port, "127.0.0.1", 0);
    c->gen = s->gen;
    if (c->ch)
        return;
    int rc = libssh2_session_last_errno(s->sess);
    if (rc == LIBSSH2_ERROR_EAGAIN)
        return;
    slurm_ssh_fail_locked(s, rc, "opening a tunnel channel", &err);
    log_warn("ssh tunnel to %s:%d: %s", t->remote_host, t->remote_port, err.msg);
    c->dead = true;
}

static void tun_channel_error(slurm_ssh_tunnel *t, tun_conn *c, ssize_t rc, const char *what)
{
    if (slurm_ssh_fail_locked(t->s, (int)rc, what, NULL) == AIFB_EUNAVAILABLE)
        c->ch = NULL; /* went with its session */
    c->dead = true;
}

static void tun_channel_io(slurm_ssh_tunnel *t, tun_conn *c)
{
    if (c->up_len) {
        ssize_t n = libssh2_channel_write(c->ch, c->up, c->up_len);
        if (n > 0) {
            memmove(c->up, c->up + n, c->up_len - (size_t)n);
            c->up_len -= (size_t)n;
        } else if (n < 0 && n != LIBSSH2_ERROR_EAGAIN) {
            tun_channel_error(t, c, n, "writing to the tunnel");
            return;
        }
    }
    if (c->fd_eof && !c->up_len && !c->eof_sent)
        c->eof_sent = libssh2_channel_send_eof(c->ch) != LIBSSH2_ERROR_EAGAIN;
    if (!c->down_len && !c->ch_eof) {
        ssize_t n = libssh2_channel_read(c->ch, c->down, TUN_BUF);
        if (n > 0)
            c->down_len = (size_t)n;
        else if (n == 0 && libssh2_channel_eof(c->ch))
            c->ch_eof = true;
        else if (n < 0 && n != LIBSSH2_ERROR_EAGAIN)
            tun_channel_error(t, c, n, "reading from the tunnel");
    }
}

/* Frees what a finished connection holds; false while its channel still needs the network. */
static bool tun_conn_release_locked(slurm_ssh_tunnel *t, tun_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    if (c->ch && slurm_ssh_check_gen_locked(t->s, c->gen, NULL) == AIFB_OK &&
        libssh2_channel_free(c->ch) == LIBSSH2_ERROR_EAGAIN)
        return false;
    c->ch = NULL;
    return true;
}

static void tun_pass_locked(slurm_ssh_tunnel *t)
{
    for (size_t i = 0; i < t->nconns;) {
        tun_conn *c = t->conns[i];
        if (!c->dead && c->ch && slurm_ssh_check_gen_locked(t->s, c->gen, NULL) != AIFB_OK) {
            c->ch = NULL;
            c->dead = true;
        }
        if (!c->dead && !c->ch)
            tun_open_channel(t, c);
        else if (!c->dead)
            tun_channel_io(t, c);
        if (c->ch_eof && !c->down_len)
            c->dead = true;
        if (c->dead && tun_conn_release_locked(t, c)) {
            free(c);
            t->conns[i] = t->conns[--t->nconns];
            continue;
        }
        i++;
    }
}

/* ---- the thread --------------------------------------------------------------------------- */

static void *tun_thread_main(void *arg)
{
    slurm_ssh_tunnel *t = arg;
    for (;;) {
        struct pollfd p[TUN_MAX_CONNS + 3];
        size_t np = 0;
        p[np++] = (struct pollfd){.fd = t->stop_pipe[0], .events = POLLIN};
        p[np++] = (struct pollfd){.fd = t->listen_fd, .events = POLLIN};
        pthread_mutex_lock(&t->s->mu);
        p[np++] = (struct pollfd){.fd = t->s->sock, .events = POLLIN};
        pthread_mutex_unlock(&t->s->mu);
        for (size_t i = 0; i < t->nconns; i++) {
            tun_conn *c = t->conns[i];
            short ev =
                (!c->fd_eof && c->up_len < TUN_BUF ? POLLIN : 0) | (c->down_len ? POLLOUT : 0);
            p[np++] = (struct pollfd){.fd = c->fd, .events = ev};
        }
        poll(p, np, SLURM_SSH_SLICE_MS);
        if (p[0].revents)
            break;
        size_t before = t->nconns;
        for (size_t i = 0; i < before; i++)
            tun_local_io(t->conns[i], p[3 + i].revents);
        if (p[1].revents & POLLIN)
            tun_accept(t);
        pthread_mutex_lock(&t->s->mu);
        tun_pass_locked(t);
        pthread_mutex_unlock(&t->s->mu);
        for (size_t i = 0; i < t->nconns; i++) /* bytes read from the channel just now */
            tun_local_io(t->conns[i], 0);
    }
    return NULL;
}

/* ---- open and close ----------------------------------------------------------------------- */

static aifb_code tun_listen(slurm_ssh_tunnel *t, aifb_err *err)
{
    const char *tmp = getenv("TMPDIR");
    abuf d = {0};
    abuf_printf(&d, "%s/aifb-ssh-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(d.p)) {
        aifb_code code = aifb_err_set(err, AIFB_EINTERNAL, "ssh tunnel: cannot make %s: %s", d.p,
                                      strerror(errno));
        abuf_free(&d);
        return code;
    }
    t->dir = abuf_take(&d);
    abuf_printf(&d, "%s/slurmrestd.sock", t->dir);
    t->path = abuf_take(&d);
    abuf_printf(&d, "unix:%s", t->path);
    t->url = abuf_take(&d);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (strlen(t->path) >= sizeof a.sun_path)
        return aifb_err_set(err, AIFB_EINVAL, "ssh tunnel: socket path %s is too long (TMPDIR)",
                            t->path);
    memcpy(a.sun_path, t->path, strlen(t->path) + 1);
    t->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (t->listen_fd < 0 || bind(t->listen_fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(t->listen_fd, 64) != 0)
        return aifb_err_set(err, AIFB_EINTERNAL, "ssh tunnel: cannot listen on %s: %s", t->path,
                            strerror(errno));
    return AIFB_OK;
}

static void tun_destroy(slurm_ssh_tunnel *t)
{
    if (t->listen_fd >= 0)
        close(t->listen_fd);
    if (t->path)
        unlink(t->path);
    if (t->dir)
        rmdir(t->dir);
    for (int i = 0; i < 2; i++)
        if (t->stop_pipe[i] >= 0)
            close(t->stop_pipe[i]);
    free(t->remote_host);
    free(t->dir);
    free(t->path);
    free(t->url);
    free(t);
}

aifb_code slurm_ssh_tunnel_open(slurm_ssh *s, const char *remote_host, int remote_port,
                                slurm_ssh_tunnel **out, aifb_err *err)
{
    if (!remote_host || !*remote_host || remote_port < 1 || remote_port > 65535)
        return aifb_err_set(err, AIFB_EINVAL, "ssh tunnel: bad remote address %s:%d",
                            remote_host ? remote_host : "(none)", remote_port);
    slurm_ssh_tunnel *t = xcalloc(1, sizeof *t);
    t->s = s;
    t->remote_host = xstrdup(remote_host);
    t->remote_port = remote_port;
    t->listen_fd = t->stop_pipe[0] = t->stop_pipe[1] = -1;
    aifb_code code = tun_listen(t, err);
    if (code == AIFB_OK && pipe2(t->stop_pipe, O_CLOEXEC) != 0)
        code = aifb_err_set(err, AIFB_EINTERNAL, "ssh tunnel: pipe: %s", strerror(errno));
    if (code == AIFB_OK && pthread_create(&t->thread, NULL, tun_thread_main, t) != 0)
        code = aifb_err_set(err, AIFB_EINTERNAL, "ssh tunnel: cannot start its thread");
    if (code != AIFB_OK) {
        tun_destroy(t);
        return code;
    }
    *out = t;
    return AIFB_OK;
}

const char *slurm_ssh_tunnel_path(const slurm_ssh_tunnel *t)
{
    return t->path;
}

const char *slurm_ssh_tunnel_url(const slurm_ssh_tunnel *t)
{
    return t->url;
}

void slurm_ssh_tunnel_close(slurm_ssh_tunnel *t)
{
    if (!t)
        return;
    (void)!write(t->stop_pipe[1], "x", 1);
    pthread_join(t->thread, NULL);
    pthread_mutex_lock(&t->s->mu);
    for (size_t i = 0; i < t->nconns; i++) {
        tun_conn *c = t->conns[i];
        for (int tries = 0; !tun_conn_release_locked(t, c) && tries < 50; tries++)
            slurm_ssh_wait_unlocked(t->s);
        free(c);
    }
    t->nconns = 0;
    pthread_mutex_unlock(&t->s->mu);
    tun_destroy(t);
}
