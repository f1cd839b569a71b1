/* engine.c: the epoll loop around libcurl's multi interface, pacing and phases (see engine.h).
 *
 * Four kinds of wake-ups share one epoll set, each tagged in the event's data:
 *   pace    a timerfd armed at the next intended send (absolute CLOCK_MONOTONIC): every request
 *           that is due goes out, then the timer is armed for the next one; in a closed loop it
 *           marks the phase's deadline instead
 *   curl    a timerfd libcurl arms through CURLMOPT_TIMERFUNCTION
 *   tick    every 100 ms: the caller's progress and pushes, and a closed loop's ramp
 *   signal  SIGINT/SIGTERM through a signalfd: stop sending, let what is in flight finish
 *   socket  libcurl's sockets, registered through CURLMOPT_SOCKETFUNCTION (idle keep-alive ones
 *           stay registered: see on_socket_cb)
 * After any wake-up, finished transfers are collected and, in a closed loop, replaced. */
#include "loadgen/engine_internal.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

enum { TAG_PACE = 1, TAG_CURL = 2, TAG_TICK = 3, TAG_SIGNAL = 4, TAG_SOCKET = 5 };
#define TICK_NS 100000000ULL

uint64_t engine_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

double engine_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

double engine_runq_wait_s(void)
{
    FILE *f = fopen("/proc/thread-self/schedstat", "r");
    unsigned long long run_ns = 0, wait_ns = 0;
    if (!f)
        return 0;
    if (fscanf(f, "%llu %llu", &run_ns, &wait_ns) != 2)
        wait_ns = 0;
    fclose(f);
    return (double)wait_ns / 1e9;
}

static void arm_abs(int fd, uint64_t at_ns)
{
    struct itimerspec its = {0};
    if (at_ns) {
        its.it_value.tv_sec = (time_t)(at_ns / 1000000000ULL);
        its.it_value.tv_nsec = (long)(at_ns % 1000000000ULL);
    }
    timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void drain_fd(int fd)
{
    uint64_t x;
    while (read(fd, &x, sizeof x) > 0) {
    }
}

/* ---- libcurl's sockets ------------------------------------------------------------------------
 *
 * libcurl lets go of a connection's socket when its transfer ends (CURL_POLL_REMOVE) and asks for
 * it again, to read the answer, when the next transfer reuses the connection. Taking it out of the
 * epoll set and putting it back would cost two system calls per request: an idle keep-alive socket
 * stays in the set instead ("parked"), and nothing is called when libcurl wants to read it again.
 * This holds only for descriptors whose close is known (a closed descriptor leaves the epoll set by
 * itself, and its number may come back as another file): connections' sockets, marked when libcurl
 * sets one up (on_sockopt_cb) and cleared when it closes one (on_closesocket_cb). Any other
 * descriptor (a resolver's) is added and removed as libcurl says. A parked socket that becomes
 * ready (the server closed the idle connection) leaves the set; libcurl finds the connection dead
 * when it next looks for one. */

static uint8_t *fd_state(lg_engine *e, curl_socket_t s)
{
    size_t i = (size_t)s;
    if (i >= e->nfds) {
        size_t n = e->nfds ? e->nfds : 256;
        while (n <= i)
            n *= 2;
        e->fds = xrealloc(e->fds, n);
        memset(e->fds + e->nfds, 0, n - e->nfds);
        e->nfds = n;
    }
    return &e->fds[i];
}

int on_sockopt_cb(void *ud, curl_socket_t s, curlsocktype purpose)
{
    if (purpose == CURLSOCKTYPE_IPCXN)
        *fd_state(ud, s) = LG_FD_OURS; /* a new socket, in no epoll set yet */
    return CURL_SOCKOPT_OK;
}

int on_closesocket_cb(void *ud, curl_socket_t s)
{
    lg_engine *e = ud;
    if ((size_t)s < e->nfds)
        e->fds[s] = 0; /* closing it takes it out of the epoll set */
    return close(s);
}

int on_socket_cb(CURL *h, curl_socket_t s, int what, void *ud, void *sockp)
{
    (void)h;
    (void)sockp;
    lg_engine *e = ud;
    uint8_t *st = fd_state(e, s);
    if (what == CURL_POLL_REMOVE) {
        if ((*st & ~LG_FD_PARKED) == (LG_FD_OURS | LG_FD_REG | LG_FD_IN)) {
            *st |= LG_FD_PARKED;
        } else {
            if (*st & LG_FD_REG)
                epoll_ctl(e->epfd, EPOLL_CTL_DEL, s, NULL);
            *st &= LG_FD_OURS;
        }
        return 0;
    }
    uint8_t want =
        LG_FD_REG | (what & CURL_POLL_IN ? LG_FD_IN : 0) | (what & CURL_POLL_OUT ? LG_FD_OUT : 0);
    if ((*st & LG_FD_OURS) && (*st & (LG_FD_REG | LG_FD_IN | LG_FD_OUT)) == want) {
        *st &= (uint8_t)~LG_FD_PARKED;
        return 0;
    }
    struct epoll_event ev = {.events = (want & LG_FD_IN ? EPOLLIN : 0) |
                                       (want & LG_FD_OUT ? EPOLLOUT : 0),
                             .data.u64 = ((uint64_t)s << 8) | TAG_SOCKET};
    if (!(*st & LG_FD_REG)) {
        if (epoll_ctl(e->epfd, EPOLL_CTL_ADD, s, &ev) && errno == EEXIST)
            epoll_ctl(e->epfd, EPOLL_CTL_MOD, s, &ev);
    } else if (epoll_ctl(e->epfd, EPOLL_CTL_MOD, s, &ev) && errno == ENOENT) {
        epoll_ctl(e->epfd, EPOLL_CTL_ADD, s, &ev);
    }
    *st = (uint8_t)((*st & LG_FD_OURS) | want);
    return 0;
}

/* A parked socket became ready: it leaves the epoll set (see above). */
static bool unpark(lg_engine *e, int fd)
{
    if ((size_t)fd >= e->nfds || !(e->fds[fd] & LG_FD_PARKED))
        return false;
    epoll_ctl(e->epfd, EPOLL_CTL_DEL, fd, NULL);
    e->fds[fd] = LG_FD_OURS;
    return true;
}

/* libcurl moves its deadline on nearly every call; the timerfd is only set again when the new
 * deadline is earlier than the one armed (or none is). Waking for an old, later-moved deadline is
 * harmless: libcurl then finds nothing due and gives its next one. This saves two system calls
 * per request. */
int on_timer_cb(CURLM *m, long timeout_ms, void *ud)
{
    (void)m;
    lg_engine *e = ud;
    if (timeout_ms < 0)
        return 0; /* "no timeout": a stale wake-up at the armed time costs less than a disarm */
    if (timeout_ms == 0) {
        e->curl_timeout_now = true;
        return 0;
    }
    uint64_t now = engine_now_ns(), at = now + (uint64_t)timeout_ms * 1000000ULL;
    if (e->curl_armed && e->curl_armed > now && e->curl_armed <= at)
        return 0;
    e->curl_armed = at;
    arm_abs(e->tfd_curl, at);
    return 0;
}

/* ---- sending and finishing ------------------------------------------------------------------- */

static void active_unlink(lg_engine *e, lg_req *r)
{
    if (r->prev)
        r->prev->next = r->next;
    else
        e->active = r->next;
    if (r->next)
        r->next->prev = r->prev;
    r->prev = r->next = NULL;
}

static void send_one(lg_engine *e, lg_phase *p, uint64_t t_intended)
{
    lg_req *r = req_get(e);
    req_prepare(e, r, p, t_intended);
    r->t_send = engine_now_ns();
    if (!p->t_first_send)
        p->t_first_send = r->t_send;
    p->t_last_send = r->t_send;
    p->st.sent++;
    e->inflight++;
    r->prev = NULL;
    r->next = e->active;
    if (e->active)
        e->active->prev = r;
    e->active = r;
    curl_multi_add_handle(e->multi, r->h);
}

static void kick(lg_engine *e)
{
    int running;
    e->curl_timeout_now = false;
    curl_multi_socket_action(e->multi, CURL_SOCKET_TIMEOUT, 0, &running);
}

static void closed_refill(lg_engine *e);
static void open_release_backlog(lg_engine *e);
static bool open_more(lg_engine *e);

static void collect_done(lg_engine *e)
{
    CURLMsg *m;
    int left;
    bool any = false;
    while ((m = curl_multi_info_read(e->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        lg_req *r = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
        CURLcode rc = m->data.result;
        curl_multi_remove_handle(e->multi, r->h);
        active_unlink(e, r);
        e->inflight--;
        req_finish(e, r, rc, engine_now_ns());
        req_put(e, r);
        any = true;
        if (e->o->max_errors && e->failed_total >= e->o->max_errors && !e->stop)
            e->stop = "max-errors";
    }
    if (!any || e->stop || !e->cur || e->sending_done)
        return;
    if (e->cur->open)
        open_release_backlog(e);
    else
        closed_refill(e);
}

/* ---- closed loop ----------------------------------------------------------------------------- */

static bool phase_may_schedule(lg_engine *e, uint64_t now)
{
    lg_phase *p = e->cur;
    if (p->requests && p->scheduled >= p->requests)
        return false;
    if (e->deadline && now >= e->deadline)
        return false;
    return true;
}

static void closed_users(lg_engine *e, uint64_t now)
{
    lg_phase *p = e->cur;
    if (p->ramp_s <= 0) {
        e->users = p->concurrency < e->fd_cap ? p->concurrency : e->fd_cap;
        return;
    }
    double frac = (double)(now - p->t_start) / (p->ramp_s * 1e9);
    int u = (int)(p->concurrency * (frac < 1 ? frac : 1) + 0.999999);
    e->users = u < 1 ? 1 : u > p->concurrency ? p->concurrency : u;
    if (e->users > e->fd_cap)
        e->users = e->fd_cap;
}

static void closed_refill(lg_engine *e)
{
    uint64_t now = engine_now_ns();
    bool sent = false;
    while (e->inflight < e->users && phase_may_schedule(e, now)) {
        e->cur->scheduled++;
        send_one(e, e->cur, now);
        sent = true;
    }
    if (!phase_may_schedule(e, now))
        e->sending_done = true;
    if (sent)
        kick(e);
}

/* ---- open loop ------------------------------------------------------------------------------- */

/* Requests the open loop may have in flight: the phase's cap, else as many as the client has
 * file descriptors for (each request may need its own connection). */
static int open_cap(const lg_engine *e, const lg_phase *p)
{
    if (p->concurrency && p->concurrency < e->fd_cap)
        return p->concurrency;
    return e->fd_cap;
}

static void backlog_push(lg_engine *e, uint64_t t)
{
    if (e->bl_len == e->bl_cap) {
        size_t ncap = e->bl_cap ? e->bl_cap * 2 : 1024;
        uint64_t *nb = xmalloc(ncap * sizeof *nb);
        for (size_t i = 0; i < e->bl_len; i++)
            nb[i] = e->backlog[(e->bl_head + i) % e->bl_cap];
        free(e->backlog);
        e->backlog = nb;
        e->bl_cap = ncap;
        e->bl_head = 0;
    }
    e->backlog[(e->bl_head + e->bl_len++) % e->bl_cap] = t;
    if ((int64_t)e->bl_len > e->cur->backlog_max)
        e->cur->backlog_max = (int64_t)e->bl_len;
}

static void open_release_backlog(lg_engine *e)
{
    lg_phase *p = e->cur;
    bool sent = false;
    while (e->bl_len && e->inflight < open_cap(e, p)) {
        uint64_t t = e->backlog[e->bl_head];
        e->bl_head = (e->bl_head + 1) % e->bl_cap;
        e->bl_len--;
        send_one(e, p, t);
        sent = true;
    }
    if (sent)
        kick(e);
    if (!e->bl_len && !open_more(e))
        e->sending_done = true;
}

static bool open_more(lg_engine *e)
{
    lg_phase *p = e->cur;
    if (p->requests && p->scheduled >= p->requests)
        return false;
    return !e->deadline || e->next_due < e->deadline;
}

static void open_next(lg_engine *e)
{
    e->next_due = e->cur->t_start + (uint64_t)(arrival_next(&e->arr) * 1e9);
}

/* With --spin-us, the pacing timer fires spin_us early and the last stretch is polled: waking
 * from a sleep costs a few hundred microseconds on some machines (virtual ones above all), more
 * than the send lag a 10k req/s open loop can afford. */
static uint64_t spin_until(uint64_t due)
{
    uint64_t now;
    while ((now = engine_now_ns()) < due) {
    }
    return now;
}

static void arm_pace(lg_engine *e)
{
    uint64_t spin = (uint64_t)e->o->spin_us * 1000u;
    arm_abs(e->tfd_pace, e->next_due > spin ? e->next_due - spin : e->next_due);
}

static void open_pace(lg_engine *e)
{
    lg_phase *p = e->cur;
    uint64_t now = engine_now_ns();
    uint64_t spin = (uint64_t)e->o->spin_us * 1000u;
    if (spin && open_more(e) && e->next_due > now && e->next_due - now <= spin)
        now = spin_until(e->next_due);
    bool sent = false;
    while (open_more(e) && e->next_due <= now) {
        p->scheduled++;
        if (e->inflight >= open_cap(e, p)) {
            backlog_push(e, e->next_due);
        } else {
            send_one(e, p, e->next_due);
            sent = true;
        }
        open_next(e);
        now = engine_now_ns();
    }
    if (sent)
        kick(e);
    if (open_more(e))
        arm_pace(e);
    else if (!e->bl_len)
        e->sending_done = true;
}

/* ---- the loop -------------------------------------------------------------------------------- */

static void tick(lg_engine *e)
{
    uint64_t now = engine_now_ns();
    if (e->cur && !e->cur->open && !e->sending_done && !e->stop) {
        closed_users(e, now);
        closed_refill(e);
    }
    if (e->tick_fn)
        e->tick_fn(e->tick_ud, e, e->cur, now);
}

static void on_signal(lg_engine *e)
{
    struct signalfd_siginfo si;
    while (read(e->sigfd, &si, sizeof si) == sizeof si) {
        if (!e->stop) {
            e->stop = "interrupted";
            fprintf(stderr,
                    "\naifb-loadgen: %s: stopping, waiting for requests in flight "
                    "(again to abort them)\n",
                    strsignal((int)si.ssi_signo));
        } else {
            e->stop = "aborted";
        }
    }
}

/* One round: waits for events and handles them. */
static void loop_once(lg_engine *e)
{
    struct epoll_event evs[256];
    int n = epoll_wait(e->epfd, evs, 256, e->curl_timeout_now ? 0 : -1);
    if (n < 0 && errno != EINTR)
        return;
    if (e->curl_timeout_now)
        kick(e);
    for (int i = 0; i < n; i++) {
        uint64_t tag = evs[i].data.u64 & 0xff;
        switch (tag) {
        case TAG_PACE: /* edge-triggered: not read (engine_setup.c) */
            if (e->cur && !e->sending_done && !e->stop) {
                if (e->cur->open)
                    open_pace(e);
                else
                    closed_refill(e); /* the deadline: no more sends */
            }
            break;
        case TAG_CURL:
            e->curl_armed = 0;
            kick(e);
            break;
        case TAG_TICK:
            drain_fd(e->tfd_tick);
            tick(e);
            break;
        case TAG_SIGNAL:
            on_signal(e);
            break;
        default: {
            int fd = (int)(evs[i].data.u64 >> 8), running, mask = 0;
            if (unpark(e, fd))
                break;
            if (evs[i].events & (EPOLLIN | EPOLLHUP))
                mask |= CURL_CSELECT_IN;
            if (evs[i].events & EPOLLOUT)
                mask |= CURL_CSELECT_OUT;
            if (evs[i].events & EPOLLERR)
                mask |= CURL_CSELECT_ERR;
            curl_multi_socket_action(e->multi, fd, mask, &running);
            break;
        }
        }
    }
    collect_done(e);
}

void engine_run_phase(lg_engine *e, lg_phase *p)
{
    if (e->stop)
        return;
    e->cur = p;
    e->sending_done = false;
    p->t_start = engine_now_ns();
    p->cpu_start = engine_cpu_s();
    p->wait_start = engine_runq_wait_s();
    e->deadline = p->duration_s > 0 ? p->t_start + (uint64_t)(p->duration_s * 1e9) : 0;
    if (p->open) {
        arrival_init(&e->arr, e->o->arrival, p->rate, e->o->burstiness, p->ramp_s,
                     e->o->seed * 7919u + (uint64_t)e->o->task_id + e->next_n);
        open_next(e);
        open_pace(e);
    } else {
        closed_users(e, p->t_start);
        if (e->deadline)
            arm_abs(e->tfd_pace, e->deadline);
        closed_refill(e);
    }
    while (!e->sending_done && !e->stop)
        loop_once(e);
    arm_abs(e->tfd_pace, 0);
    /* A stop drops what the cap still held back: it was never sent. */
    e->bl_len = 0;
    p->st.cpu_s = engine_cpu_s() - p->cpu_start;
    p->cpu_wait_s = engine_runq_wait_s() - p->wait_start;
}

void engine_drain(lg_engine *e, double timeout_s)
{
    e->cur = NULL;
    uint64_t until = engine_now_ns() + (uint64_t)(timeout_s * 1e9);
    arm_abs(e->tfd_pace, until);
    while (e->inflight > 0 && engine_now_ns() < until && (!e->stop || strcmp(e->stop, "aborted")))
        loop_once(e);
    arm_abs(e->tfd_pace, 0);
    /* Whatever is still in flight is abandoned: counted apart, not as a failure of the server. */
    while (e->active) {
        lg_req *r = e->active;
        curl_multi_remove_handle(e->multi, r->h);
        active_unlink(e, r);
        e->inflight--;
        e->aborted++;
        req_put(e, r);
    }
}
