/* server.c: aifb-llmsim's event loop, listener and connections (see sim.h for the whole).
 *
 * Sockets are edge-triggered (EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET, registered once): reads go to
 * EAGAIN, and a write that meets EAGAIN waits for the next EPOLLOUT. Each loop turn runs every
 * timer that is due, then waits: not at all when a timer is already due again (a stream with more
 * output ready), else until the timerfd, armed at the earliest due time with TFD_TIMER_ABSTIME,
 * or a socket wakes it. A client that closes its side is taken as gone, as vLLM aborts a request
 * whose client disconnected. A connection we close after its last answer shuts down its sending
 * side first and waits (a while) for the client's FIN, so unread input never turns the close into
 * a reset that would destroy the answer. */
#include "llmsim/sim.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

enum { TAG_LISTEN = 1, TAG_TIMER, TAG_SIGNAL, TAG_MAX };
#define IN_START 4096
#define OUT_KEEP (1024 * 1024) /* an idle connection keeps an output buffer at most this large */

int64_t sim_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---- replies ------------------------------------------------------------------------------ */

void conn_head(conn *c, int status, const char *ctype, int64_t length, const char *extra)
{
    abuf *o = &c->out;
    abuf_printf(o, "HTTP/1.1 %d %s\r\nServer: aifb-llmsim\r\n", status, http_reason(status));
    if (ctype)
        abuf_printf(o, "Content-Type: %s\r\n", ctype);
    if (length >= 0)
        abuf_printf(o, "Content-Length: %lld\r\n", (long long)length);
    else if (!c->http10)
        abuf_puts(o, "Transfer-Encoding: chunked\r\n");
    else
        c->keep_alive = false; /* HTTP/1.0 has no chunks: the body ends at the close */
    if (extra)
        abuf_puts(o, extra);
    if (!c->keep_alive)
        abuf_puts(o, "Connection: close\r\n");
    else if (c->http10)
        abuf_puts(o, "Connection: keep-alive\r\n");
    abuf_puts(o, "\r\n");
}

void conn_respond(conn *c, int status, const char *ctype, const char *body, size_t len,
                  const char *extra)
{
    conn_head(c, status, ctype, (int64_t)len, extra);
    abuf_append(&c->out, body, len);
}

void conn_error(conn *c, int status, const char *msg, const char *extra)
{
    abuf *b = &c->srv->scratch;
    b->len = 0;
    api_put_error(b, status, msg);
    conn_respond(c, status, "application/json", b->p, b->len, extra);
}

/* ---- closing -------------------------------------------------------------------------------- */

void conn_close(conn *c)
{
    if (c->dead)
        return;
    llmsim_server *s = c->srv;
    c->dead = true;
    gen_abort(&c->g, sim_now());
    close(c->fd);
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->next_dead = s->dead;
    s->dead = c;
    if (s->accept_paused && !s->stopping) {
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = TAG_LISTEN};
        if (epoll_ctl(s->ep, EPOLL_CTL_MOD, s->lfd, &ev) == 0)
            s->accept_paused = false;
    }
}

void conn_reset(conn *c)
{
    if (c->dead)
        return;
    conn_flush(c);
    if (c->dead)
        return;
    struct linger l = {.l_onoff = 1, .l_linger = 0};
    setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    c->g.resetting = true;
    conn_close(c);
}

static void start_linger(conn *c)
{
    c->lingering = true;
    shutdown(c->fd, SHUT_WR);
    c->in_off = c->in_len = 0;
    c->g.state = GEN_LINGER;
    theap_push(&c->srv->heap, &c->g.timer, sim_now() + LINGER_NS);
}

static void free_dead(llmsim_server *s)
{
    while (s->dead) {
        conn *c = s->dead;
        s->dead = c->next_dead;
        free(c->in);
        abuf_free(&c->out);
        abuf_free(&c->g.reply);
        free(c);
    }
}

/* ---- writing -------------------------------------------------------------------------------- */

void conn_flush(conn *c)
{
    while (!c->dead && c->out_off < c->out.len) {
        ssize_t n = send(c->fd, c->out.p + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL);
        if (n > 0) {
            c->out_off += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (c->out_off > c->out.cap / 2) { /* keep the buffer from creeping forward */
                memmove(c->out.p, c->out.p + c->out_off, c->out.len - c->out_off);
                c->out.len -= c->out_off;
                c->out_off = 0;
            }
            return;
        } else {
            conn_close(c); /* EPIPE, ECONNRESET: the client is gone */
            return;
        }
    }
    if (c->dead)
        return;
    c->out.len = c->out_off = 0;
    if (c->out.cap > OUT_KEEP)
        abuf_free(&c->out);
    if (c->close_after && !c->lingering && !c->busy)
        start_linger(c);
}

static void conn_on_writable(conn *c, int64_t now)
{
    conn_flush(c);
    if (c->dead || c->out_off < c->out.len)
        return;
    if (c->busy && c->g.blocked)
        gen_resume(&c->g, now);
    else if (!c->busy && !c->close_after && c->in_len > c->in_off)
        conn_pump(c, now); /* requests held back while the output was full */
}

void conn_request_done(conn *c, int64_t now)
{
    c->busy = false;
    if (!c->keep_alive)
        c->close_after = true;
    conn_flush(c);
    if (!c->dead && !c->close_after)
        conn_pump(c, now);
}

/* ---- reading -------------------------------------------------------------------------------- */

/* Reads until EAGAIN or a full buffer. False when the connection was closed (EOF or error). */
static bool conn_read(conn *c)
{
    size_t limit = HTTP_MAX_HEAD + c->srv->o->max_body_bytes + 64 * 1024;
    c->read_paused = false;
    for (;;) {
        if (c->in_off && (c->in_len == c->in_cap || c->in_off > c->in_cap / 2)) {
            memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
            c->in_len -= c->in_off;
            c->in_off = 0;
        }
        if (c->in_len == c->in_cap) {
            if (c->in_cap >= limit) {
                c->read_paused = true; /* resumed once requests are consumed */
                return true;
            }
            size_t cap = c->in_cap ? c->in_cap * 2 : IN_START;
            c->in_cap = cap < limit ? cap : limit;
            c->in = xrealloc(c->in, c->in_cap);
        }
        ssize_t n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
        if (n > 0) {
            c->in_len += (size_t)n;
            if (c->lingering)
                c->in_off = c->in_len = 0;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return true;
        conn_close(c);
        return false;
    }
}

void conn_pump(conn *c, int64_t now)
{
    for (;;) {
        conn_process_input(c, now);
        if (c->dead || c->busy || c->close_after || !c->read_paused)
            return;
        size_t before = c->in_len - c->in_off;
        if (!conn_read(c) || c->in_len - c->in_off == before)
            return;
    }
}

static void conn_on_event(conn *c, uint32_t events, int64_t now)
{
    if (c->dead)
        return;
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
        if (!conn_read(c))
            return;
        if (!c->lingering)
            conn_pump(c, now);
    }
    if (!c->dead && (events & EPOLLOUT))
        conn_on_writable(c, now);
}

/* ---- accepting ------------------------------------------------------------------------------ */

static void pause_accepting(llmsim_server *s, int err)
{
    log_warn("aifb-llmsim: accept: %s; not accepting until a connection closes", strerror(err));
    struct epoll_event ev = {.events = 0, .data.u64 = TAG_LISTEN};
    if (epoll_ctl(s->ep, EPOLL_CTL_MOD, s->lfd, &ev) == 0)
        s->accept_paused = true;
}

static void accept_all(llmsim_server *s)
{
    for (int i = 0; i < 256; i++) {
        int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                pause_accepting(s, errno);
            else if (errno != EAGAIN && errno != EWOULDBLOCK)
                log_warn("aifb-llmsim: accept: %s", strerror(errno));
            return;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        conn *c = xcalloc(1, sizeof *c);
        c->fd = fd;
        c->srv = s;
        c->g.c = c;
        http_parser_init(&c->hp);
        struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                                 .data.ptr = c};
        if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
            log_warn("aifb-llmsim: epoll_ctl: %s", strerror(errno));
            close(fd);
            free(c);
            continue;
        }
        c->next = s->conns;
        if (s->conns)
            s->conns->prev = c;
        s->conns = c;
    }
}

/* ---- timers and the loop -------------------------------------------------------------------- */

static void run_timers(llmsim_server *s, int64_t now)
{
    heap_node *n;
    while ((n = theap_peek(&s->heap)) && n->key <= now) {
        theap_pop(&s->heap);
        gen_fire((gen *)n, now);
    }
}

/* The epoll timeout: 0 when a timer is due or nearly due (within --spin-us: polling then hits the
 * due time, where a sleep would wake late), else -1 with the timerfd armed that much early. */
static int arm_timer(llmsim_server *s)
{
    heap_node *n = theap_peek(&s->heap);
    if (!n)
        return -1;
    int64_t spin = (int64_t)s->o->spin_us * 1000;
    if (n->key - spin <= sim_now())
        return 0;
    int64_t at = n->key - spin;
    if (s->armed != at) {
        struct itimerspec its = {
            .it_value = {.tv_sec = at / 1000000000LL, .tv_nsec = at % 1000000000LL}};
        if (timerfd_settime(s->tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
            return 1; /* cannot happen with a valid time; poll instead of stalling */
        s->armed = at;
    }
    return -1;
}

static void on_special(llmsim_server *s, uint64_t tag)
{
    if (tag == TAG_LISTEN) {
        accept_all(s);
    } else if (tag == TAG_TIMER) {
        /* Edge-triggered: each expiry is an event without reading the tick count, which saves a
         * system call per wakeup; setting the timer again clears it. */
        s->armed = 0;
    } else if (tag == TAG_SIGNAL) {
        struct signalfd_siginfo si;
        if (read(s->sfd, &si, sizeof si) == (ssize_t)sizeof si) {
            log_info("aifb-llmsim: %s received, stopping", strsignal((int)si.ssi_signo));
            s->stop = true;
        }
    }
}

int llmsim_server_run(llmsim_server *s)
{
    struct epoll_event evs[256];
    while (!s->stop) {
        run_timers(s, sim_now());
        free_dead(s);
        int n = epoll_wait(s->ep, evs, 256, arm_timer(s));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            log_error("aifb-llmsim: epoll_wait: %s", strerror(errno));
            return 1;
        }
        int64_t now = sim_now();
        for (int i = 0; i < n; i++) {
            if (evs[i].data.u64 < TAG_MAX)
                on_special(s, evs[i].data.u64);
            else
                conn_on_event(evs[i].data.ptr, evs[i].events, now);
        }
        free_dead(s);
    }
    return 0;
}

/* ---- set-up and tear-down ------------------------------------------------------------------- */

static aifb_code listen_on(llmsim_server *s, const llmsim_opts *o, aifb_err *err)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV},
                    *res;
    int rc = getaddrinfo(o->host, o->port, &hints, &res);
    if (rc)
        return aifb_err_set(err, AIFB_EINVAL, "--listen %s:%s: %s", o->host, o->port,
                            gai_strerror(rc));
    int last = 0;
    for (struct addrinfo *a = res; a; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            last = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, 4096) == 0) {
            s->lfd = fd;
            break;
        }
        last = errno;
        close(fd);
    }
    freeaddrinfo(res);
    if (s->lfd < 0)
        return aifb_err_set(err, AIFB_EUNAVAILABLE, "--listen %s:%s: cannot listen: %s", o->host,
                            o->port, strerror(last));
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    char host[INET6_ADDRSTRLEN] = "?", port[8] = "?";
    if (getsockname(s->lfd, (struct sockaddr *)&ss, &sl) == 0)
        getnameinfo((struct sockaddr *)&ss, sl, host, sizeof host, port, sizeof port,
                    NI_NUMERICHOST | NI_NUMERICSERV);
    snprintf(s->address, sizeof s->address, ss.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host,
             port);
    return AIFB_OK;
}

static aifb_code open_fds(llmsim_server *s, aifb_err *err)
{
    s->ep = epoll_create1(EPOLL_CLOEXEC);
    s->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, NULL);
    s->sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    signal(SIGPIPE, SIG_IGN);
    if (s->ep < 0 || s->tfd < 0 || s->sfd < 0)
        return aifb_err_set(err, AIFB_EINTERNAL, "epoll, timerfd or signalfd: %s", strerror(errno));
    int fds[] = {s->lfd, s->tfd, s->sfd};
    for (int i = 0; i < 3; i++) {
        struct epoll_event ev = {.events = EPOLLIN | (fds[i] == s->tfd ? EPOLLET : 0),
                                 .data.u64 = (uint64_t)(TAG_LISTEN + i)};
        if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fds[i], &ev) < 0)
            return aifb_err_set(err, AIFB_EINTERNAL, "epoll_ctl: %s", strerror(errno));
    }
    return AIFB_OK;
}

llmsim_server *llmsim_server_new(const llmsim_opts *o, aifb_err *err)
{
    llmsim_server *s = xcalloc(1, sizeof *s);
    s->o = o;
    s->lfd = s->ep = s->tfd = s->sfd = -1;
    metrics_init(&s->m);
    rng_seed(&s->faults, o->seed ^ 0x6a09e667f3bcc909ULL);
    s->itl_ns = (int64_t)(o->itl.ms * 1e6 + 0.5);
    abuf mj = {0};
    abuf_json_str(&mj, o->model);
    snprintf(s->model_json, sizeof s->model_json, "%s", mj.p);
    abuf_free(&mj);
    s->api = (api_ctx){.model = o->model,
                       .model_json = s->model_json,
                       .strict_model = o->strict_model,
                       .embedding_dim = o->embedding_dim};
    s->started_s = (int64_t)time(NULL);
    /* Timers should fire when due, not up to 50 us later (the default slack). */
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    aifb_raise_open_files_limit();
    if (listen_on(s, o, err) != AIFB_OK || open_fds(s, err) != AIFB_OK) {
        llmsim_server_free(s);
        return NULL;
    }
    if (o->request_log[0]) {
        s->request_log = fopen(o->request_log, "w");
        if (!s->request_log) {
            aifb_err_set(err, AIFB_EINVAL, "--request-log %s: %s", o->request_log, strerror(errno));
            llmsim_server_free(s);
            return NULL;
        }
        setvbuf(s->request_log, NULL, _IOLBF, 0); /* whole lines, readable while it runs */
    }
    return s;
}

const char *llmsim_server_address(const llmsim_server *s)
{
    return s->address;
}

void llmsim_server_free(llmsim_server *s)
{
    if (!s)
        return;
    s->stopping = true;
    while (s->conns)
        conn_close(s->conns);
    free_dead(s);
    theap_free(&s->heap);
    abuf_free(&s->scratch);
    int fds[] = {s->lfd, s->tfd, s->sfd, s->ep};
    for (int i = 0; i < 4; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    if (s->request_log)
        fclose(s->request_log);
    free(s);
}
