/* ship.c: the reading thread's loop, the drain at the end and the counters (see ship.h).
 *
 * The loop sleeps in poll() on the signalfd, the inotify descriptor, the followed process' pidfd
 * and, while the sender's queue is full, its wake eventfd. It reads when inotify says something
 * changed (at most every COALESCE_MS, so a writer's many small writes are read in few large
 * reads), every --poll-interval whatever inotify says, and straight on while the files have more;
 * it cuts a batch when the next line would pass --batch-bytes or the oldest line has waited
 * --batch-wait. While the queue is full it reads nothing: the lines wait in their files. */
#include "logship/ship.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "logship/sender.h"

#define ROUND_BUDGET (1u << 20) /* bytes read from each file per round */
#define COALESCE_MS  5

typedef struct ship {
    const logship_opts *o;
    ls_streams streams;
    tail *t;
    ls_sender *snd;
    ls_batch batch;
    int sigfd, pidfd;
    bool pid_gone;
    uint64_t batches, lines_repaired, encode_errors;
    uint64_t closed_seen; /* files the tail had closed at the last positions update */
    int64_t started_ms;
} ship;

static int64_t realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- batches --------------------------------------------------------------------------------- */

/* Encodes the batch with the positions of every file as they are now (just past its last line)
 * and hands it to the sender. */
static void cut(ship *s)
{
    if (!s->batch.n)
        return;
    ls_payload *p = xcalloc(1, sizeof *p);
    aifb_err err = {0};
    if (ls_batch_encode(&s->batch, &s->streams, s->o->format, &p->body, &p->len, &err) != AIFB_OK) {
        log_error("aifb-logship: a batch of %zu lines could not be encoded and is lost: %s",
                  s->batch.n, err.msg);
        s->encode_errors += s->batch.n;
        free(p);
        ls_batch_clear(&s->batch);
        return;
    }
    p->format = s->o->format;
    p->lines = s->batch.n;
    tail_snapshot(s->t, &p->positions);
    tail_stats ts;
    tail_get_stats(s->t, &ts);
    s->closed_seen = ts.files_closed;
    s->lines_repaired += s->batch.repaired;
    s->batches++;
    ls_sender_submit(s->snd, p);
    ls_batch_clear(&s->batch);
}

/* When the tail has closed files since the last batch and no batch is being filled, a marker
 * carries the positions without them to the sender, which saves them in turn. */
static void files_gone(ship *s)
{
    tail_stats ts;
    tail_get_stats(s->t, &ts);
    if (ts.files_closed == s->closed_seen || s->batch.n)
        return;
    s->closed_seen = ts.files_closed;
    ls_payload *p = xcalloc(1, sizeof *p);
    p->format = s->o->format;
    tail_snapshot(s->t, &p->positions);
    ls_sender_submit(s->snd, p);
}

/* A line from the tail: stamped with the time it was read, into the batch (cut first when the
 * line would take the batch past its bound). */
static void on_line(void *arg, uint32_t stream, const char *line, size_t len)
{
    ship *s = arg;
    if (s->batch.n && ls_batch_bytes(&s->batch) + len > s->o->batch_bytes)
        cut(s);
    if (!s->batch.n)
        s->batch.opened_ms = aifb_mono_ms();
    ls_batch_add(&s->batch, stream, ls_streams_stamp(&s->streams, stream, realtime_ns()), line,
                 len);
}

/* ---- the followed process -------------------------------------------------------------------- */

static void follow_open(ship *s)
{
    s->pidfd = -1;
    pid_t pid = s->o->follow_pid;
    if (!pid)
        return;
#ifdef SYS_pidfd_open
    s->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (s->pidfd >= 0)
        return;
    if (errno == ESRCH) {
        s->pid_gone = true;
        return;
    }
#endif
    log_debug("aifb-logship: no pidfd for %d (%s); checking it every poll interval", (int)pid,
              strerror(errno));
}

/* Without a pidfd: whether the process is gone (a zombie counts as gone). */
static bool pid_gone(pid_t pid)
{
    if (kill(pid, 0) != 0 && errno == ESRCH)
        return true;
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *close_paren = strrchr(buf, ')');
    return close_paren && close_paren[1] == ' ' && close_paren[2] == 'Z';
}

/* ---- start ----------------------------------------------------------------------------------- */

static int signals_open(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* before the sender's thread: it inherits it */
    signal(SIGPIPE, SIG_IGN);
    return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

/* Removes the temporary files a killed run may have left beside the positions file. */
static void remove_leftovers(const char *positions)
{
    abuf pat = {0};
    abuf_printf(&pat, "%s.tmp.*", positions);
    glob_t g;
    if (glob(pat.p, 0, NULL, &g) == 0)
        for (size_t i = 0; i < g.gl_pathc; i++)
            unlink(g.gl_pathv[i]);
    globfree(&g);
    abuf_free(&pat);
}

/* The tail first (opened at the saved positions, which are written back at once: that proves
 * the file can be written before anything is sent), then the spool and the sender. */
static bool start(ship *s, aifb_err *err)
{
    const logship_opts *o = s->o;
    ls_positions saved = {0};
    remove_leftovers(o->positions);
    if (ls_positions_load(o->positions, &saved, err) != AIFB_OK)
        return false;
    ls_labels base = {0};
    for (size_t i = 0; i < o->labels.n; i++)
        ls_labels_set(&base, o->labels.v[i].name, o->labels.v[i].value, NULL);
    ls_streams_init(&s->streams, &base);
    tail_opts to = {o->sources, o->nsources, o->max_line_bytes, o->rotate_wait_ms, o->no_inotify};
    aifb_code rc = tail_new(&to, &s->streams, &saved, on_line, s, &s->t, err);
    if (rc == AIFB_OK) {
        tail_snapshot(s->t, &saved);
        rc = ls_positions_save(o->positions, &saved, err);
        if (rc != AIFB_OK)
            aifb_err_prefix(err, "cannot write the positions file");
    }
    ls_positions_free(&saved);
    if (rc != AIFB_OK)
        return false;
    spool *sp = NULL;
    if (o->spool_dir && spool_open(o->spool_dir, o->spool_max_bytes, &sp, err) != AIFB_OK)
        return false;
    size_t queue = 4 * o->batch_bytes > (16u << 20) ? 4 * o->batch_bytes : (16u << 20);
    ls_sender_opts so = {
        .url = o->loki_url,
        .tenant = o->tenant,
        .token = o->token,
        .positions_path = o->positions,
        .spool = sp,
        .queue_max_bytes = queue,
        .connect_timeout_ms = (int)o->connect_timeout_ms,
        .timeout_ms = (int)o->timeout_ms,
        .backoff_min_ms = (int)o->backoff_min_ms,
        .backoff_max_ms = (int)o->backoff_max_ms,
        .max_retries = o->max_retries,
    };
    return ls_sender_new(&so, &s->snd, err) == AIFB_OK;
}

/* ---- the loop -------------------------------------------------------------------------------- */

/* Why the loop stopped: a signal's name, or the followed process' end. */
static const char *read_signal(ship *s)
{
    struct signalfd_siginfo si;
    if (read(s->sigfd, &si, sizeof si) != (ssize_t)sizeof si)
        return NULL;
    return si.ssi_signo == SIGINT ? "SIGINT" : si.ssi_signo == SIGHUP ? "SIGHUP" : "SIGTERM";
}

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

/* A stop asked for while the followed process still runs (a process group stopped as one: the
 * process and its shipper get SIGTERM together) waits for that process to end, at most half the
 * flush timeout, so the lines it writes while it stops are shipped too. */
static bool stop_now(ship *s, const char *sig, const char **pending, int64_t *until)
{
    if (*pending || !s->o->follow_pid || s->pid_gone)
        return true; /* a second signal, or nothing to wait for */
    *pending = sig;
    *until = aifb_mono_ms() + s->o->flush_timeout_ms / 2;
    log_info("aifb-logship: %s: waiting for process %d to end first", sig, (int)s->o->follow_pid);
    return false;
}

static const char *follow_loop(ship *s)
{
    const logship_opts *o = s->o;
    bool more = true;
    int64_t next_tick = aifb_mono_ms() + o->poll_interval_ms, read_at = 0, last_round = 0;
    int64_t stop_until = 0;
    const char *stop_sig = NULL;
    int ifd = tail_fd(s->t);
    for (;;) {
        if (s->pid_gone)
            return stop_sig ? stop_sig : "the followed process ended";
        if (stop_sig && aifb_mono_ms() >= stop_until)
            return stop_sig;
        int64_t now = aifb_mono_ms();
        if (now >= next_tick) {
            tail_check(s->t);
            if (s->o->follow_pid && s->pidfd < 0 && pid_gone(s->o->follow_pid))
                s->pid_gone = true;
            more = true;
            next_tick = now + o->poll_interval_ms;
        }
        bool full = ls_sender_full(s->snd);
        if (more && !full && now >= read_at) {
            more = tail_read(s->t, ROUND_BUDGET) > 0;
            last_round = now;
            read_at = now;
            files_gone(s);
        }
        if (s->batch.n && aifb_mono_ms() - s->batch.opened_ms >= o->batch_wait_ms)
            cut(s);
        now = aifb_mono_ms();
        int64_t timeout = next_tick - now;
        if (s->batch.n)
            timeout = min64(timeout, s->batch.opened_ms + o->batch_wait_ms - now);
        if (more && !full)
            timeout = min64(timeout, read_at - now);
        if (stop_sig)
            timeout = min64(timeout, stop_until - now);
        struct pollfd pf[4] = {{s->sigfd, POLLIN, 0},
                               {s->pidfd, POLLIN, 0},
                               {full ? -1 : ifd, POLLIN, 0},
                               {full ? ls_sender_wake_fd(s->snd) : -1, POLLIN, 0}};
        if (poll(pf, 4, (int)(timeout > 0 ? timeout : 0)) < 0 && errno != EINTR)
            log_warn("aifb-logship: poll: %s", strerror(errno));
        if (pf[0].revents & POLLIN) {
            const char *sig = read_signal(s);
            if (sig && stop_now(s, sig, &stop_sig, &stop_until))
                return sig;
        }
        if (pf[1].revents & POLLIN)
            s->pid_gone = true;
        if (pf[3].revents & POLLIN)
            ls_sender_drain_wake(s->snd);
        if (pf[2].revents & POLLIN) {
            unsigned ev = tail_events(s->t);
            if (ev & TAIL_CHECK)
                tail_check(s->t);
            if (ev && !more) {
                more = true;
                read_at = last_round + COALESCE_MS;
            }
        }
    }
}

/* ---- the end --------------------------------------------------------------------------------- */

/* Waits for the sender's wake or a signal until deadline (50 ms at most); a signal sets *forced. */
static void wait_sender(ship *s, int64_t deadline, bool *forced)
{
    int64_t left = deadline - aifb_mono_ms();
    struct pollfd pf[2] = {{s->sigfd, POLLIN, 0}, {ls_sender_wake_fd(s->snd), POLLIN, 0}};
    if (poll(pf, 2, (int)(left < 0 ? 0 : left > 50 ? 50 : left)) <= 0)
        return;
    if ((pf[0].revents & POLLIN) && read_signal(s)) {
        log_warn("aifb-logship: a second signal: stopping now");
        *forced = true;
    }
    if (pf[1].revents & POLLIN)
        ls_sender_drain_wake(s->snd);
}

static void drain(ship *s, const char *why)
{
    const logship_opts *o = s->o;
    log_info("aifb-logship: %s: shipping what is left (within %lld ms)", why,
             (long long)o->flush_timeout_ms);
    int64_t deadline = aifb_mono_ms() + o->flush_timeout_ms;
    bool forced = false, at_end = false;
    tail_check(s->t);
    while (!forced && aifb_mono_ms() < deadline) {
        if (ls_sender_full(s->snd)) {
            wait_sender(s, deadline, &forced);
            continue;
        }
        if (!tail_read(s->t, ROUND_BUDGET)) {
            at_end = true;
            break;
        }
    }
    /* A partial line is a last line only at the end of its file: cut short, the rest of it is
     * still unread and comes at the next start. */
    if (at_end)
        tail_flush(s->t);
    cut(s);
    while (!forced && aifb_mono_ms() < deadline && !ls_sender_settled(s->snd))
        wait_sender(s, deadline, &forced);
    if (ls_sender_stop(s->snd)) {
        /* Every batch is done: the positions are those of the files now. */
        ls_positions now = {0};
        aifb_err err = {0};
        tail_snapshot(s->t, &now);
        if (ls_positions_save(o->positions, &now, &err) != AIFB_OK)
            log_warn("aifb-logship: cannot save the positions: %s", err.msg);
        ls_positions_free(&now);
    }
}

static void report(ship *s)
{
    tail_stats ts;
    ls_sender_stats ss;
    tail_get_stats(s->t, &ts);
    ls_sender_get_stats(s->snd, &ss);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                 (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    uint64_t dropped =
        ss.lines_refused + ss.lines_given_up + ss.spool_dropped_lines + s->encode_errors;
    abuf kv = {0};
    abuf_printf(&kv,
                "lines_read=%llu bytes_read=%llu lines_sent=%llu batches_sent=%llu "
                "bytes_sent=%llu retries=%llu lines_dropped=%llu lines_refused=%llu "
                "lines_given_up=%llu lines_spooled=%llu spool_dropped_lines=%llu "
                "spool_records=%llu lines_repaired=%llu line_cuts=%llu files_opened=%llu "
                "rotations=%llu truncations=%llu deletions=%llu cpu_s=%.3f",
                (unsigned long long)ts.lines, (unsigned long long)ts.bytes,
                (unsigned long long)ss.lines_sent, (unsigned long long)ss.batches_sent,
                (unsigned long long)ss.bytes_sent, (unsigned long long)ss.retries,
                (unsigned long long)dropped, (unsigned long long)ss.lines_refused,
                (unsigned long long)ss.lines_given_up, (unsigned long long)ss.lines_spooled,
                (unsigned long long)ss.spool_dropped_lines, (unsigned long long)ss.spool_records,
                (unsigned long long)s->lines_repaired, (unsigned long long)ts.cuts,
                (unsigned long long)ts.files_opened, (unsigned long long)ts.rotations,
                (unsigned long long)ts.truncations, (unsigned long long)ts.deletions, cpu);
    fprintf(stderr, "aifb-logship: done: %s\n", kv.p);
    fflush(stderr);
    if (s->o->stats_file) {
        /* The same counters as JSON: "k=v k=v" becomes {"k":v,"k":v}. */
        abuf js = {0};
        abuf_puts(&js, "{\"");
        for (const char *c = kv.p; *c; c++) {
            if (*c == '=')
                abuf_puts(&js, "\":");
            else if (*c == ' ')
                abuf_puts(&js, ",\"");
            else
                abuf_putc(&js, *c);
        }
        abuf_puts(&js, "}\n");
        aifb_err err = {0};
        if (aifb_write_file_atomic(s->o->stats_file, js.p, js.len, 0644, &err) != AIFB_OK)
            log_warn("aifb-logship: cannot write the stats file: %s", err.msg);
        abuf_free(&js);
    }
    abuf_free(&kv);
}

int ship_run(const logship_opts *o)
{
    ship s = {.o = o, .sigfd = -1, .pidfd = -1, .started_ms = aifb_mono_ms()};
    aifb_err err = {0};
    s.sigfd = signals_open();
    int rc = 0;
    if (s.sigfd < 0) {
        log_error("aifb-logship: signalfd: %s", strerror(errno));
        return 1;
    }
    if (!start(&s, &err)) {
        log_error("aifb-logship: %s", err.msg);
        rc = 1;
        goto out;
    }
    follow_open(&s);
    log_info("aifb-logship: shipping %zu files and patterns to %s (%s, batches of %lld ms or "
             "%zu bytes%s%s)",
             o->nsources, o->loki_url, o->format == LS_FORMAT_JSON ? "json" : "protobuf",
             (long long)o->batch_wait_ms, o->batch_bytes, o->spool_dir ? ", spool " : "",
             o->spool_dir ? o->spool_dir : "");
    drain(&s, follow_loop(&s));
    report(&s);
out:
    ls_sender_free(s.snd);
    tail_free(s.t);
    ls_streams_free(&s.streams);
    ls_batch_free(&s.batch);
    if (s.pidfd >= 0)
        close(s.pidfd);
    close(s.sigfd);
    return rc;
}
