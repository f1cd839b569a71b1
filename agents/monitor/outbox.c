/* outbox.c: the ordered memory and disk queue (see outbox.h).
 *
 * The batch in flight is where it was when it was handed over, or where it moved since: at the
 * head of the memory list, at the head of the spool, or nowhere (its move to the spool failed;
 * only the sender's copy is left). When the sender's counters move past the values they had at
 * the hand-over, the batch is settled: delivered (batches_sent grew) or refused; either way it
 * leaves its place. */
#include "monitor/outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "core/spool.h"

typedef struct ob_batch {
    struct ob_batch *next;
    void *body;
    size_t len, samples;
} ob_batch;

typedef enum { FLIGHT_NONE, FLIGHT_MEM, FLIGHT_SPOOL, FLIGHT_GONE } flight;

struct mon_outbox {
    promrw_sender *sender;
    spool *sp;
    char *spool_dir;
    size_t mem_max;
    ob_batch *head, *tail;
    uint64_t mem_bytes, mem_batches;
    flight inflight;
    size_t inflight_samples;
    uint64_t base_done, base_sent; /* the sender's counters at the hand-over */
    int64_t handed_ms;             /* when (CLOCK_MONOTONIC) */
    uint64_t dropped_samples, dropped_batches, spooled;
    bool warned; /* about this outage's spilling or dropping */
};

aifb_code outbox_new(const char *url, const promrw_sender_opts *opts, size_t mem_max,
                     const char *spool_dir, uint64_t spool_max, mon_outbox **out, aifb_err *err)
{
    *out = NULL;
    mon_outbox *o = xcalloc(1, sizeof *o);
    o->mem_max = mem_max;
    if (spool_dir) {
        aifb_code rc = spool_open(spool_dir, spool_max, &o->sp, err);
        if (rc != AIFB_OK) {
            free(o);
            return rc;
        }
        o->spool_dir = xstrdup(spool_dir);
        if (spool_count(o->sp))
            log_info("%llu batches left in the spool %s are sent first",
                     (unsigned long long)spool_count(o->sp), spool_dir);
    }
    promrw_sender_opts so = opts ? *opts : (promrw_sender_opts){0};
    so.max_retries = -1;
    so.queue_max_bytes = (size_t)1 << 30;
    so.on_drop = NULL;
    aifb_code rc = promrw_sender_new(url, &so, &o->sender, err);
    if (rc != AIFB_OK) {
        spool_close(o->sp);
        free(o->spool_dir);
        free(o);
        return rc;
    }
    *out = o;
    return AIFB_OK;
}

static void drop(mon_outbox *o, size_t samples)
{
    o->dropped_batches++;
    o->dropped_samples += samples;
}

static ob_batch *mem_pop(mon_outbox *o)
{
    ob_batch *b = o->head;
    o->head = b->next;
    if (!o->head)
        o->tail = NULL;
    o->mem_bytes -= b->len;
    o->mem_batches--;
    return b;
}

static void batch_free(ob_batch *b)
{
    free(b->body);
    free(b);
}

/* Moves the oldest memory batch to the spool; false when the spool refused it (then it is
 * dropped). */
static bool to_spool(mon_outbox *o)
{
    bool was_flying = o->inflight == FLIGHT_MEM;
    ob_batch *b = mem_pop(o);
    aifb_err err = {0};
    bool ok = spool_push(o->sp, b->body, b->len, b->samples, &err) == AIFB_OK;
    if (ok)
        o->spooled++;
    else
        log_warn("a batch of %zu samples could not be spooled: %s", b->samples, err.msg);
    if (was_flying)
        o->inflight = ok ? FLIGHT_SPOOL : FLIGHT_GONE; /* not dropped yet: the sender has it */
    else if (!ok)
        drop(o, b->samples);
    batch_free(b);
    return ok;
}

/* Memory over its bound: the oldest batches go to disk, or are dropped without a spool (never
 * the one in flight, which the sender holds). */
static void spill(mon_outbox *o)
{
    while (o->mem_bytes > o->mem_max && o->head) {
        if (o->sp) {
            if (!o->warned)
                log_warn("Prometheus is not taking batches: buffering beyond %zu bytes of memory "
                         "in the spool %s",
                         o->mem_max, o->spool_dir);
            o->warned = true;
            to_spool(o);
            continue;
        }
        ob_batch *v = o->head;
        if (o->inflight == FLIGHT_MEM) {
            v = o->head->next;
            if (!v)
                break;
            o->head->next = v->next;
            if (o->tail == v)
                o->tail = o->head;
            o->mem_bytes -= v->len;
            o->mem_batches--;
        } else {
            mem_pop(o);
        }
        if (!o->warned)
            log_warn("Prometheus is not taking batches and the memory buffer (%zu bytes) is "
                     "full: dropping the oldest batches (--spool DIR would keep them on disk)",
                     o->mem_max);
        o->warned = true;
        drop(o, v->samples);
        batch_free(v);
    }
}

void outbox_push(mon_outbox *o, void *body, size_t len, size_t samples)
{
    ob_batch *b = xcalloc(1, sizeof *b);
    b->body = body;
    b->len = len;
    b->samples = samples;
    if (o->tail)
        o->tail->next = b;
    else
        o->head = b;
    o->tail = b;
    o->mem_bytes += len;
    o->mem_batches++;
    spill(o);
}

/* The batch in flight is done: delivered or refused. */
static void settle(mon_outbox *o, bool delivered)
{
    if (!delivered)
        drop(o, o->inflight_samples);
    if (o->inflight == FLIGHT_MEM)
        batch_free(mem_pop(o));
    else if (o->inflight == FLIGHT_SPOOL)
        spool_pop(o->sp, NULL);
    o->inflight = FLIGHT_NONE;
}

static void hand_over(mon_outbox *o, const void *body, size_t len, size_t samples, flight from)
{
    promrw_stats st;
    promrw_sender_stats(o->sender, &st);
    o->base_done = st.batches_sent + st.batches_dropped;
    o->base_sent = st.batches_sent;
    o->inflight = from;
    o->inflight_samples = samples;
    o->handed_ms = aifb_mono_ms();
    aifb_err err = {0};
    if (promrw_sender_submit_encoded(o->sender, body, len, samples, &err) != AIFB_OK) {
        log_warn("a batch of %zu samples could not be queued: %s", samples, err.msg);
        o->base_done = UINT64_MAX; /* settled as refused at the next pump */
    }
}

/* Hands the oldest waiting batch to the sender: the spool's first, then memory's. */
static void next(mon_outbox *o)
{
    if (o->sp && spool_count(o->sp)) {
        void *rec;
        size_t len;
        uint64_t tag;
        if (spool_peek(o->sp, &rec, &len, &tag, NULL) == AIFB_OK) {
            hand_over(o, rec, len, (size_t)tag, FLIGHT_SPOOL);
            free(rec);
            return;
        }
    }
    if (o->head)
        hand_over(o, o->head->body, o->head->len, o->head->samples, FLIGHT_MEM);
}

/* Settles the batch in flight if the sender is done with it; true when one is still in flight. */
static bool settle_if_done(mon_outbox *o)
{
    if (o->inflight == FLIGHT_NONE)
        return false;
    promrw_stats st;
    promrw_sender_stats(o->sender, &st);
    if (o->base_done != UINT64_MAX && st.batches_sent + st.batches_dropped == o->base_done)
        return true;
    settle(o, o->base_done != UINT64_MAX && st.batches_sent > o->base_sent);
    return false;
}

bool outbox_pump(mon_outbox *o)
{
    if (settle_if_done(o))
        return true;
    next(o);
    if (o->inflight == FLIGHT_NONE)
        o->warned = false; /* everything is out: a new outage gets its own warning */
    return o->inflight != FLIGHT_NONE;
}

void outbox_wait(mon_outbox *o, int timeout_ms)
{
    if (o->inflight != FLIGHT_NONE)
        promrw_sender_flush(o->sender, timeout_ms, NULL);
    outbox_pump(o);
}

bool outbox_spill_one(mon_outbox *o, int64_t stalled_ms)
{
    if (!o->sp || !o->head || o->inflight == FLIGHT_NONE ||
        aifb_mono_ms() - o->handed_ms < stalled_ms)
        return false;
    to_spool(o);
    return true;
}

bool outbox_empty(const mon_outbox *o)
{
    return o->inflight == FLIGHT_NONE && !o->head && !(o->sp && spool_count(o->sp));
}

static void fill_stats(mon_outbox *o, const promrw_stats *ps, mon_outbox_stats *st)
{
    memset(st, 0, sizeof *st);
    st->batches_sent = ps->batches_sent;
    st->samples_sent = ps->samples_sent;
    st->bytes_sent = ps->bytes_sent;
    st->retries = ps->retries;
    snprintf(st->last_error, sizeof st->last_error, "%s", ps->last_error);
    st->samples_dropped = o->dropped_samples;
    st->batches_dropped = o->dropped_batches;
    st->mem_bytes = o->mem_bytes;
    st->mem_batches = o->mem_batches;
    st->spooled_batches = o->spooled;
    if (o->sp) {
        spool_stats ss;
        spool_get_stats(o->sp, &ss);
        st->disk_bytes = ss.bytes;
        st->disk_batches = ss.records;
        st->samples_dropped += ss.dropped_tags;
        st->batches_dropped += ss.dropped_records;
    }
}

void outbox_stats(mon_outbox *o, mon_outbox_stats *st)
{
    promrw_stats ps;
    promrw_sender_stats(o->sender, &ps);
    fill_stats(o, &ps, st);
}

void outbox_close(mon_outbox *o, int spool_ms, mon_outbox_stats *final)
{
    settle_if_done(o);
    promrw_stats ps;
    promrw_sender_stats(o->sender, &ps);
    /* a batch still in flight is abandoned: it stays where it is (memory or spool) */
    promrw_sender_free(o->sender);
    if (o->inflight == FLIGHT_GONE)
        drop(o, o->inflight_samples);
    o->inflight = FLIGHT_NONE;
    int64_t until = aifb_mono_ms() + spool_ms;
    while (o->head && o->sp && aifb_mono_ms() < until)
        to_spool(o);
    if (o->head) {
        uint64_t batches = o->mem_batches, before = o->dropped_samples;
        while (o->head) {
            ob_batch *b = mem_pop(o);
            drop(o, b->samples);
            batch_free(b);
        }
        if (o->sp)
            log_warn("the newest %llu batches (%llu samples) could not be spooled within %d ms: "
                     "dropped",
                     (unsigned long long)batches, (unsigned long long)(o->dropped_samples - before),
                     spool_ms);
    }
    fill_stats(o, &ps, final);
    spool_close(o->sp);
    free(o->spool_dir);
    free(o);
}
