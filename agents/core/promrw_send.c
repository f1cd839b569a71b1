/* promrw_send.c: the remote write sender (see promrw.h): its queue, its thread, retries with
 * backoff, and its counters.
 *
 * Callers put encoded batches at the tail of a queue under the lock and return; the sender's
 * thread takes them from the head one at a time and POSTs each until it is sent, refused or given
 * up, so the samples of any series reach the receiver in the order they were submitted (the
 * specification's ordering rule; one request at a time is plenty for an agent's few batches a
 * second). Every batch that leaves the queue unsent goes through drop_payload, the one place a
 * disk spool would hook in (on_drop). The lock is never held during a request, a wait or a
 * callback. */
#include "core/promrw_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/util.h"

#define DEFAULT_QUEUE_MAX       ((size_t)8 << 20)
#define DEFAULT_CONNECT_TIMEOUT 5000
#define DEFAULT_TIMEOUT         10000
#define DEFAULT_BACKOFF_MIN     100
#define DEFAULT_BACKOFF_MAX     5000
#define DEFAULT_MAX_RETRIES     10

/* Called with the lock held. */
static void set_error(promrw_sender *s, const char *why)
{
    snprintf(s->st.last_error, sizeof s->st.last_error, "%s", why);
    s->st.last_error_ms = aifb_now_ms();
}

static void payload_free(rw_payload *p)
{
    free(p->body);
    free(p);
}

/* Counts a batch that leaves the queue unsent, hands it to on_drop when another try could have
 * worked (a spool may keep it), and frees it. Called without the lock. */
static void drop_payload(promrw_sender *s, rw_payload *p, const char *reason, bool refused)
{
    pthread_mutex_lock(&s->lock);
    s->st.batches_dropped++;
    s->st.samples_dropped += p->samples;
    if (refused)
        s->st.batches_refused++;
    pthread_mutex_unlock(&s->lock);
    if (reason && s->on_drop)
        s->on_drop(s->on_drop_arg, p->body, p->len, p->samples, reason);
    payload_free(p);
}

/* ---- configuration --------------------------------------------------------------------------- */

static aifb_code take_opts(promrw_sender *s, const promrw_sender_opts *o, aifb_err *err)
{
    static const promrw_sender_opts none = {0};
    if (!o)
        o = &none;
    bool basic = (o->basic_user && *o->basic_user) || (o->basic_password && *o->basic_password);
    if (o->bearer_token && *o->bearer_token && basic)
        return aifb_err_set(err, AIFB_EINVAL,
                            "remote write to %s: give a bearer token or basic auth, not both",
                            s->shown);
    if (basic && (!o->basic_user || !*o->basic_user || !o->basic_password))
        return aifb_err_set(err, AIFB_EINVAL,
                            "remote write to %s: basic auth needs both a user and a password",
                            s->shown);
    /* They go into a header line: a line break would end it and start another. */
    if ((o->bearer_token && strpbrk(o->bearer_token, "\r\n")) ||
        (basic && (strpbrk(o->basic_user, "\r\n") || strpbrk(o->basic_password, "\r\n"))))
        return aifb_err_set(err, AIFB_EINVAL, "remote write to %s: a credential holds a line break",
                            s->shown);
    if (basic && strchr(o->basic_user, ':'))
        return aifb_err_set(err, AIFB_EINVAL,
                            "remote write to %s: a basic auth user cannot hold ':'", s->shown);
    if (o->bearer_token && *o->bearer_token) {
        abuf h = {0};
        abuf_printf(&h, "Authorization: Bearer %s", o->bearer_token);
        s->bearer_header = abuf_take(&h);
    }
    if (basic) {
        s->basic_user = xstrdup(o->basic_user);
        s->basic_password = xstrdup(o->basic_password);
    }
    s->queue_max = o->queue_max_bytes ? o->queue_max_bytes : DEFAULT_QUEUE_MAX;
    s->connect_timeout_ms =
        o->connect_timeout_ms > 0 ? o->connect_timeout_ms : DEFAULT_CONNECT_TIMEOUT;
    s->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_TIMEOUT;
    s->backoff_min_ms = o->backoff_min_ms > 0 ? o->backoff_min_ms : DEFAULT_BACKOFF_MIN;
    s->backoff_max_ms = o->backoff_max_ms > 0 ? o->backoff_max_ms : DEFAULT_BACKOFF_MAX;
    if (s->backoff_max_ms < s->backoff_min_ms)
        s->backoff_max_ms = s->backoff_min_ms;
    s->max_retries = o->max_retries ? o->max_retries : DEFAULT_MAX_RETRIES;
    s->on_drop = o->on_drop;
    s->on_drop_arg = o->on_drop_arg;
    return AIFB_OK;
}

/* ---- the sender's thread --------------------------------------------------------------------- */

static struct timespec deadline_in(int64_t ms)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_sec += (time_t)(ms / 1000);
    t.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

/* Waits before retry number attempt + 1 (httppush_backoff_ms). False when the sender stops. */
static bool backoff_wait(promrw_sender *s, int attempt)
{
    int64_t w = httppush_backoff_ms(&s->jitter, s->backoff_min_ms, s->backoff_max_ms, attempt);
    struct timespec until = deadline_in(w);
    pthread_mutex_lock(&s->lock);
    while (!atomic_load(&s->stop))
        if (pthread_cond_timedwait(&s->cond, &s->lock, &until) == ETIMEDOUT)
            break;
    bool stopped = atomic_load(&s->stop);
    pthread_mutex_unlock(&s->lock);
    return !stopped;
}

/* Sends one payload until it is sent, refused, given up or the sender stops; frees it. */
static void deliver(promrw_sender *s, rw_payload *p, bool *failing)
{
    for (int attempt = 0;; attempt++) {
        int status = 0;
        char why[sizeof s->st.last_error];
        httppush_outcome o = rw_http_post(s, p, &status, why, sizeof why);
        pthread_mutex_lock(&s->lock);
        s->st.last_status = status;
        if (o == HTTPPUSH_SENT) {
            s->st.batches_sent++;
            s->st.samples_sent += p->samples;
            s->st.bytes_sent += p->len;
        } else if (o != HTTPPUSH_STOPPED) {
            set_error(s, why);
        }
        pthread_mutex_unlock(&s->lock);
        if (o == HTTPPUSH_SENT) {
            if (*failing)
                log_info("promrw: %s takes batches again", s->shown);
            *failing = false;
            payload_free(p);
            return;
        }
        if (o == HTTPPUSH_REFUSED) {
            log_warn("promrw: a batch of %zu samples was refused and dropped: %s", p->samples, why);
            drop_payload(s, p, NULL, true);
            return;
        }
        if (o == HTTPPUSH_STOPPED) {
            drop_payload(s, p, PROMRW_DROP_STOPPED, false);
            return;
        }
        if (s->max_retries >= 0 && attempt >= s->max_retries) {
            log_warn("promrw: a batch of %zu samples was dropped after %d retries: %s", p->samples,
                     attempt, why);
            drop_payload(s, p, PROMRW_DROP_RETRIES, false);
            return;
        }
        if (!*failing)
            log_warn("promrw: %s; retrying with backoff", why);
        else
            log_debug("promrw: retry %d: %s", attempt + 1, why);
        *failing = true;
        if (!backoff_wait(s, attempt)) {
            drop_payload(s, p, PROMRW_DROP_STOPPED, false);
            return;
        }
        pthread_mutex_lock(&s->lock);
        s->st.retries++;
        pthread_mutex_unlock(&s->lock);
    }
}

static void *sender_main(void *arg)
{
    promrw_sender *s = arg;
    bool failing = false;
    pthread_mutex_lock(&s->lock);
    for (;;) {
        while (!atomic_load(&s->stop) && !s->head)
            pthread_cond_wait(&s->cond, &s->lock);
        if (atomic_load(&s->stop))
            break;
        rw_payload *p = s->head;
        s->head = p->next;
        if (!s->head)
            s->tail = NULL;
        s->st.queued_batches--;
        s->st.queued_bytes -= p->len;
        s->busy_seq = p->seq;
        pthread_mutex_unlock(&s->lock);
        deliver(s, p, &failing);
        pthread_mutex_lock(&s->lock);
        s->busy_seq = 0;
        pthread_cond_broadcast(&s->cond);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

/* ---- the API --------------------------------------------------------------------------------- */

static void sender_destroy(promrw_sender *s)
{
    rw_http_free(s);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
    free(s->url);
    free(s->shown);
    aifb_secret_free(s->basic_user);
    aifb_secret_free(s->basic_password);
    aifb_secret_free(s->bearer_header);
    free(s);
}

aifb_code promrw_sender_new(const char *url, const promrw_sender_opts *opts, promrw_sender **out,
                            aifb_err *err)
{
    *out = NULL;
    promrw_sender *s = xcalloc(1, sizeof *s);
    pthread_mutex_init(&s->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cond, &ca);
    pthread_condattr_destroy(&ca);
    atomic_init(&s->stop, false);
    s->next_seq = 1;
    rng_seed(&s->jitter, (uint64_t)aifb_now_ms() ^ (uint64_t)(uintptr_t)s);
    aifb_code rc =
        httppush_check_url(url, "the remote write URL", "give them as the basic auth options",
                           &s->url, &s->shown, err);
    if (rc == AIFB_OK)
        rc = take_opts(s, opts, err);
    if (rc == AIFB_OK && !rw_http_init(s, err))
        rc = AIFB_EINTERNAL;
    if (rc == AIFB_OK && pthread_create(&s->thread, NULL, sender_main, s) != 0)
        rc = aifb_err_set(err, AIFB_EINTERNAL, "remote write to %s: cannot start a thread",
                          s->shown);
    if (rc != AIFB_OK) {
        sender_destroy(s);
        return rc;
    }
    s->thread_started = true;
    *out = s;
    return AIFB_OK;
}

/* Queues p (owned from now on), dropping the oldest waiting payloads to make room. */
static aifb_code enqueue(promrw_sender *s, rw_payload *p, aifb_err *err)
{
    if (p->len > s->queue_max) {
        pthread_mutex_lock(&s->lock);
        set_error(s, "queue full: a batch larger than the whole queue was dropped");
        pthread_mutex_unlock(&s->lock);
        aifb_err_set(err, AIFB_ERESOURCE,
                     "remote write to %s: a batch of %zu bytes (%zu samples) is larger than the "
                     "whole queue (%zu bytes); it was dropped",
                     s->shown, p->len, p->samples, s->queue_max);
        drop_payload(s, p, PROMRW_DROP_OVERFLOW, false);
        return AIFB_ERESOURCE;
    }
    rw_payload *dropped = NULL, **last = &dropped;
    size_t ndropped = 0, samples = 0;
    pthread_mutex_lock(&s->lock);
    while (s->head && s->st.queued_bytes + p->len > s->queue_max) {
        rw_payload *old = s->head;
        s->head = old->next;
        if (!s->head)
            s->tail = NULL;
        s->st.queued_batches--;
        s->st.queued_bytes -= old->len;
        old->next = NULL;
        *last = old;
        last = &old->next;
        ndropped++;
        samples += old->samples;
    }
    p->seq = s->next_seq++;
    if (s->tail)
        s->tail->next = p;
    else
        s->head = p;
    s->tail = p;
    s->st.queued_batches++;
    s->st.queued_bytes += p->len;
    if (ndropped) {
        char why[sizeof s->st.last_error];
        snprintf(why, sizeof why, "queue full: dropped the oldest %zu batches (%zu samples)",
                 ndropped, samples);
        set_error(s, why);
    }
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
    if (ndropped)
        log_warn("promrw: the queue for %s is full (%zu bytes): dropped the oldest %zu batches "
                 "(%zu samples)",
                 s->shown, s->queue_max, ndropped, samples);
    while (dropped) {
        rw_payload *next = dropped->next;
        drop_payload(s, dropped, PROMRW_DROP_OVERFLOW, false);
        dropped = next;
    }
    return AIFB_OK;
}

aifb_code promrw_sender_submit(promrw_sender *s, const promrw_batch *b, aifb_err *err)
{
    if (!promrw_batch_samples(b))
        return AIFB_OK;
    rw_payload *p = xcalloc(1, sizeof *p);
    p->samples = promrw_batch_samples(b);
    aifb_code rc = promrw_batch_encode(b, &p->body, &p->len, err);
    if (rc != AIFB_OK) {
        free(p);
        return rc;
    }
    return enqueue(s, p, err);
}

aifb_code promrw_sender_submit_encoded(promrw_sender *s, const void *body, size_t len,
                                       size_t samples, aifb_err *err)
{
    if (!len)
        return AIFB_OK;
    rw_payload *p = xcalloc(1, sizeof *p);
    p->body = xmalloc(len);
    memcpy(p->body, body, len);
    p->len = len;
    p->samples = samples;
    return enqueue(s, p, err);
}

/* Whether a payload with a sequence number up to target is still queued or being sent. */
static bool pending(const promrw_sender *s, uint64_t target)
{
    return (s->head && s->head->seq <= target) || (s->busy_seq && s->busy_seq <= target);
}

aifb_code promrw_sender_flush(promrw_sender *s, int timeout_ms, aifb_err *err)
{
    struct timespec until = deadline_in(timeout_ms > 0 ? timeout_ms : 0);
    pthread_mutex_lock(&s->lock);
    uint64_t target = s->next_seq - 1;
    while (pending(s, target))
        if (pthread_cond_timedwait(&s->cond, &s->lock, &until) == ETIMEDOUT)
            break;
    bool left = pending(s, target);
    size_t queued = s->st.queued_batches + (s->busy_seq ? 1 : 0);
    char last[sizeof s->st.last_error];
    snprintf(last, sizeof last, "%s", s->st.last_error[0] ? s->st.last_error : "none");
    pthread_mutex_unlock(&s->lock);
    if (left)
        return aifb_err_set(err, AIFB_ETIMEOUT,
                            "remote write to %s: %zu batches still queued after %d ms (last "
                            "problem: %s)",
                            s->shown, queued, timeout_ms, last);
    return AIFB_OK;
}

void promrw_sender_stats(promrw_sender *s, promrw_stats *out)
{
    pthread_mutex_lock(&s->lock);
    *out = s->st;
    pthread_mutex_unlock(&s->lock);
}

void promrw_sender_free(promrw_sender *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    uint64_t batches = s->st.batches_dropped, samples = s->st.samples_dropped;
    atomic_store(&s->stop, true);
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
    if (s->thread_started)
        pthread_join(s->thread, NULL);
    while (s->head) {
        rw_payload *p = s->head;
        s->head = p->next;
        drop_payload(s, p, PROMRW_DROP_STOPPED, false);
    }
    batches = s->st.batches_dropped - batches;
    samples = s->st.samples_dropped - samples;
    if (batches)
        log_warn("promrw: %llu batches (%llu samples) were not sent to %s: the sender was "
                 "stopped",
                 (unsigned long long)batches, (unsigned long long)samples, s->shown);
    sender_destroy(s);
}
