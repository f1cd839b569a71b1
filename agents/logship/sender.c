/* sender.c: the sender's queue, its thread, the spool and the positions (see sender.h).
 *
 * The reader appends payloads to a queue under the lock; the thread takes them one at a time.
 * Without a spool, or while the spool is empty and Loki answers, a payload is POSTed straight
 * from memory. Once anything is in the spool, the thread moves every new payload into it at
 * once (so the reader is never held up by an absent Loki) and sends the spool's oldest record,
 * waiting out a backoff between failures. Every payload ends in done(), which saves its
 * positions and wakes the reader. The lock is never held during a request, a disk write or a
 * wait. */
#include "logship/sender_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"

#define LOG_EVERY_MS 10000 /* repeated problems are logged at most this often */

void ls_payload_free(ls_payload *p)
{
    if (!p)
        return;
    free(p->body);
    ls_positions_free(&p->positions);
    free(p);
}

static void set_error(ls_sender *s, int status, const char *why)
{
    pthread_mutex_lock(&s->lock);
    s->st.last_status = status;
    if (why)
        snprintf(s->st.last_error, sizeof s->st.last_error, "%s", why);
    pthread_mutex_unlock(&s->lock);
}

static struct timespec mono_at(int64_t ms)
{
    return (struct timespec){(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
}

/* ---- a payload is done ----------------------------------------------------------------------- */

/* Saves p's positions, counts it done, wakes the reader, frees it. */
static void done(ls_sender *s, ls_payload *p)
{
    aifb_err err = {0};
    bool saved =
        !s->positions_path || ls_positions_save(s->positions_path, &p->positions, &err) == AIFB_OK;
    if (!saved && aifb_mono_ms() - s->positions_logged_ms >= LOG_EVERY_MS) {
        s->positions_logged_ms = aifb_mono_ms();
        log_warn("aifb-logship: cannot save the positions: %s", err.msg);
    }
    pthread_mutex_lock(&s->lock);
    s->done++;
    if (s->positions_path) {
        if (saved)
            s->st.positions_saved++;
        else
            s->st.positions_errors++;
    }
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
    uint64_t one = 1;
    if (write(s->wake_fd, &one, sizeof one) < 0) {
        /* a full counter still wakes the reader */
    }
    ls_payload_free(p);
}

/* Copies the spool's counters for other threads. */
static void spool_counts(ls_sender *s)
{
    spool_stats ss;
    spool_get_stats(s->sp, &ss);
    pthread_mutex_lock(&s->lock);
    s->spool_records = ss.records;
    s->st.spool_records = ss.records;
    s->st.spool_dropped_records = ss.dropped_records;
    s->st.spool_dropped_lines = ss.dropped_tags;
    pthread_mutex_unlock(&s->lock);
}

/* Writes p to the spool (one byte naming the format, then the body) and finishes it. False when
 * the spool could not take it (a write error): p is untouched. */
static bool to_spool(ls_sender *s, ls_payload *p)
{
    char *rec = xmalloc(p->len + 1);
    rec[0] = (char)p->format;
    memcpy(rec + 1, p->body, p->len);
    aifb_err err = {0};
    aifb_code rc = spool_push(s->sp, rec, p->len + 1, p->lines, &err);
    free(rec);
    spool_counts(s);
    if (rc != AIFB_OK && rc != AIFB_ERESOURCE) {
        log_warn("aifb-logship: cannot write a batch of %llu lines to the spool: %s",
                 (unsigned long long)p->lines, err.msg);
        return false;
    }
    if (rc == AIFB_ERESOURCE)
        log_warn("aifb-logship: %s", err.msg); /* counted by the spool as dropped */
    pthread_mutex_lock(&s->lock);
    if (rc == AIFB_OK) {
        s->st.batches_spooled++;
        s->st.lines_spooled += p->lines;
    }
    pthread_mutex_unlock(&s->lock);
    done(s, p);
    return true;
}

/* ---- requests -------------------------------------------------------------------------------- */

static int64_t backoff_ms(ls_sender *s, int attempt)
{
    return httppush_backoff_ms(&s->jitter, s->backoff_min_ms, s->backoff_max_ms, attempt);
}

/* One request and its counters; the refusal message logged at most every LOG_EVERY_MS. */
static ls_outcome post(ls_sender *s, const void *body, size_t len, ls_format format, uint64_t lines)
{
    int status = 0;
    char why[sizeof s->st.last_error];
    ls_outcome o = ls_http_post(s, body, len, format, &status, why, sizeof why);
    if (o == HTTPPUSH_SENT) {
        pthread_mutex_lock(&s->lock);
        s->st.last_status = status;
        s->st.batches_sent++;
        s->st.lines_sent += lines;
        s->st.bytes_sent += len;
        if (s->failing)
            log_info("aifb-logship: Loki takes batches again");
        s->failing = false;
        pthread_mutex_unlock(&s->lock);
        return o;
    }
    if (o == HTTPPUSH_STOPPED)
        return o;
    set_error(s, status, why);
    if (o == HTTPPUSH_REFUSED) {
        pthread_mutex_lock(&s->lock);
        s->st.batches_refused++;
        s->st.lines_refused += lines;
        s->failing = false;
        pthread_mutex_unlock(&s->lock);
        int64_t now = aifb_mono_ms();
        if (!s->refusal_logged_ms || now - s->refusal_logged_ms >= LOG_EVERY_MS) {
            log_warn("aifb-logship: a batch of %llu lines was refused and dropped: %s%s",
                     (unsigned long long)lines, why,
                     s->refusals_unlogged ? " (and earlier refusals not logged)" : "");
            s->refusal_logged_ms = now;
            s->refusals_unlogged = 0;
        } else {
            s->refusals_unlogged++;
        }
        return o;
    }
    pthread_mutex_lock(&s->lock);
    bool was = s->failing;
    s->failing = true;
    pthread_mutex_unlock(&s->lock);
    if (!was)
        log_warn("aifb-logship: %s; retrying with backoff%s", why,
                 s->sp ? ", batches go to the spool meanwhile" : "");
    return o;
}

static void count_retry(ls_sender *s)
{
    pthread_mutex_lock(&s->lock);
    s->st.retries++;
    pthread_mutex_unlock(&s->lock);
}

/* Sends the spool's oldest record; updates the backoff state. */
static void send_spooled(ls_sender *s, int *attempt, int64_t *next_try)
{
    void *rec;
    size_t len;
    uint64_t lines;
    aifb_err err = {0};
    if (spool_peek(s->sp, &rec, &len, &lines, &err) != AIFB_OK) {
        spool_counts(s);
        return;
    }
    const char *r = rec;
    ls_outcome o;
    if (len < 1 || (r[0] != LS_FORMAT_PROTOBUF && r[0] != LS_FORMAT_JSON)) {
        log_warn("aifb-logship: a spool record of %zu bytes is not a batch; dropped", len);
        pthread_mutex_lock(&s->lock);
        s->st.batches_refused++;
        s->st.lines_refused += lines;
        pthread_mutex_unlock(&s->lock);
        o = HTTPPUSH_REFUSED;
    } else {
        o = post(s, r + 1, len - 1, (ls_format)r[0], lines);
    }
    free(rec);
    if (o == HTTPPUSH_SENT || o == HTTPPUSH_REFUSED) {
        spool_pop(s->sp, NULL);
        spool_counts(s);
        *attempt = 0;
        *next_try = 0;
    } else if (o == HTTPPUSH_RETRY) {
        count_retry(s);
        *next_try = aifb_mono_ms() + backoff_ms(s, (*attempt)++);
    }
}

/* Sends a payload from memory (no spool, or an empty one). True when p is finished with; false
 * when it must be tried again (at *next_try) or the sender is stopping. */
static bool send_direct(ls_sender *s, ls_payload *p, int *attempt, int64_t *next_try)
{
    ls_outcome o = post(s, p->body, p->len, p->format, p->lines);
    if (o == HTTPPUSH_SENT || o == HTTPPUSH_REFUSED) {
        *attempt = 0;
        *next_try = 0;
        done(s, p);
        return true;
    }
    if (o == HTTPPUSH_STOPPED)
        return false;
    if (s->sp) {
        count_retry(s);
        *next_try = aifb_mono_ms() + backoff_ms(s, 0);
        *attempt = 1;
        return to_spool(s, p);
    }
    if (s->max_retries >= 0 && *attempt >= s->max_retries) {
        log_warn("aifb-logship: a batch of %llu lines was dropped after %d retries",
                 (unsigned long long)p->lines, *attempt);
        pthread_mutex_lock(&s->lock);
        s->st.batches_given_up++;
        s->st.lines_given_up += p->lines;
        pthread_mutex_unlock(&s->lock);
        *attempt = 0;
        done(s, p);
        return true;
    }
    count_retry(s);
    *next_try = aifb_mono_ms() + backoff_ms(s, (*attempt)++);
    return false;
}

/* ---- the thread ------------------------------------------------------------------------------ */

/* Waits, under the lock, until there is something to do now; false when stopping. New payloads
 * go into a spool that holds records whatever the backoff, unless writing to it failed before
 * disk_next. */
static bool wait_work(ls_sender *s, bool holding, int64_t next_try, int64_t disk_next)
{
    for (;;) {
        if (atomic_load(&s->stop))
            return false;
        bool spooling = s->sp && s->spool_records;
        if (spooling && (s->head || holding) && aifb_mono_ms() >= disk_next)
            return true;
        bool pending = holding || s->head || spooling;
        if (pending && aifb_mono_ms() >= next_try)
            return true;
        if (pending) {
            int64_t at = next_try;
            if (spooling && (s->head || holding) && disk_next < at)
                at = disk_next;
            struct timespec until = mono_at(at);
            pthread_cond_timedwait(&s->cond, &s->lock, &until);
        } else {
            pthread_cond_wait(&s->cond, &s->lock);
        }
    }
}

static ls_payload *pop_head(ls_sender *s)
{
    ls_payload *p = s->head;
    s->head = p->next;
    if (!s->head)
        s->tail = NULL;
    p->next = NULL;
    s->queued_bytes -= p->len;
    return p;
}

static void push_front(ls_sender *s, ls_payload *p)
{
    pthread_mutex_lock(&s->lock);
    p->next = s->head;
    s->head = p;
    if (!s->tail)
        s->tail = p;
    s->queued_bytes += p->len;
    pthread_mutex_unlock(&s->lock);
}

static void *sender_main(void *arg)
{
    ls_sender *s = arg;
    int attempt = 0;
    int64_t next_try = 0, disk_next = 0;
    ls_payload *held = NULL; /* a payload being retried from memory */
    for (;;) {
        pthread_mutex_lock(&s->lock);
        if (!wait_work(s, held != NULL, next_try, disk_next)) {
            pthread_mutex_unlock(&s->lock);
            break;
        }
        bool spooling = s->sp && s->spool_records;
        ls_payload *p = held ? NULL : s->head ? pop_head(s) : NULL;
        pthread_mutex_unlock(&s->lock);
        if (p && !p->len) { /* a marker: everything before it is done */
            done(s, p);
            continue;
        }
        if (spooling) {
            ls_payload *q = held ? held : p; /* behind what the spool holds, to keep the order */
            if (q && aifb_mono_ms() >= disk_next) {
                if (to_spool(s, q)) {
                    held = NULL;
                    continue;
                }
                disk_next = aifb_mono_ms() + backoff_ms(s, attempt); /* the disk failed */
            }
            if (q && q == p)
                push_front(s, p);
            if (aifb_mono_ms() >= next_try)
                send_spooled(s, &attempt, &next_try);
            continue;
        }
        if (!held)
            held = p;
        if (held && send_direct(s, held, &attempt, &next_try))
            held = NULL;
    }
    if (held)
        push_front(s, held);
    return NULL;
}

/* ---- the API --------------------------------------------------------------------------------- */

aifb_code ls_sender_new(const ls_sender_opts *o, ls_sender **out, aifb_err *err)
{
    *out = NULL;
    ls_sender *s = xcalloc(1, sizeof *s);
    pthread_mutex_init(&s->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cond, &ca);
    pthread_condattr_destroy(&ca);
    atomic_init(&s->stop, false);
    s->sp = o->spool;
    s->positions_path = xstrdup(o->positions_path);
    s->queue_max = o->queue_max_bytes ? o->queue_max_bytes : (16u << 20);
    s->connect_timeout_ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 5000;
    s->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 10000;
    s->backoff_min_ms = o->backoff_min_ms > 0 ? o->backoff_min_ms : 500;
    s->backoff_max_ms =
        o->backoff_max_ms >= s->backoff_min_ms ? o->backoff_max_ms : s->backoff_min_ms;
    s->max_retries = o->max_retries;
    rng_seed(&s->jitter, (uint64_t)aifb_now_ms() ^ (uint64_t)(uintptr_t)s ^ (uint64_t)getpid());
    s->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    aifb_code rc = s->wake_fd < 0
                       ? aifb_err_set(err, AIFB_EINTERNAL, "eventfd: %s", strerror(errno))
                       : ls_http_init(s, o, err);
    if (rc == AIFB_OK && s->sp)
        spool_counts(s);
    if (rc == AIFB_OK && pthread_create(&s->thread, NULL, sender_main, s) != 0)
        rc = aifb_err_set(err, AIFB_EINTERNAL, "cannot start the sender's thread");
    if (rc != AIFB_OK) {
        ls_sender_free(s);
        return rc;
    }
    s->thread_started = true;
    if (s->spool_records)
        log_info("aifb-logship: the spool holds %llu batches from before; they are sent first",
                 (unsigned long long)s->spool_records);
    *out = s;
    return AIFB_OK;
}

void ls_sender_submit(ls_sender *s, ls_payload *p)
{
    p->next = NULL;
    pthread_mutex_lock(&s->lock);
    if (s->tail)
        s->tail->next = p;
    else
        s->head = p;
    s->tail = p;
    s->queued_bytes += p->len;
    s->submitted++;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

bool ls_sender_full(ls_sender *s)
{
    pthread_mutex_lock(&s->lock);
    bool full = s->queued_bytes >= s->queue_max;
    pthread_mutex_unlock(&s->lock);
    return full;
}

int ls_sender_wake_fd(ls_sender *s)
{
    return s->wake_fd;
}

void ls_sender_drain_wake(ls_sender *s)
{
    uint64_t v;
    if (read(s->wake_fd, &v, sizeof v) < 0) {
        /* nothing to read: nothing to do */
    }
}

bool ls_sender_settled(ls_sender *s)
{
    pthread_mutex_lock(&s->lock);
    bool all = s->done == s->submitted;
    bool settled = all && (!s->spool_records || (s->sp && s->failing));
    pthread_mutex_unlock(&s->lock);
    return settled;
}

bool ls_sender_stop(ls_sender *s)
{
    if (s->thread_started) {
        pthread_mutex_lock(&s->lock);
        atomic_store(&s->stop, true);
        pthread_cond_broadcast(&s->cond);
        pthread_mutex_unlock(&s->lock);
        pthread_join(s->thread, NULL);
        s->thread_started = false;
    }
    size_t left = 0;
    uint64_t lines = 0;
    while (s->head) {
        ls_payload *p = pop_head(s);
        if (!p->len && !left) {
            done(s, p);
            continue;
        }
        if (p->len && s->sp && to_spool(s, p))
            continue;
        left += p->len != 0;
        lines += p->lines;
        ls_payload_free(p);
    }
    if (left)
        log_warn("aifb-logship: %zu batches (%llu lines) were not sent; their lines will be read "
                 "again from the files at the next start",
                 left, (unsigned long long)lines);
    return left == 0;
}

void ls_sender_get_stats(ls_sender *s, ls_sender_stats *out)
{
    pthread_mutex_lock(&s->lock);
    *out = s->st;
    pthread_mutex_unlock(&s->lock);
}

void ls_sender_free(ls_sender *s)
{
    if (!s)
        return;
    ls_sender_stop(s);
    ls_http_free(s);
    spool_close(s->sp);
    if (s->wake_fd >= 0)
        close(s->wake_fd);
    free(s->positions_path);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
    free(s);
}
