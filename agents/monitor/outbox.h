/* outbox.h: the monitor's ordered queue of encoded batches, in memory then on disk, feeding the
 * remote write sender one batch at a time.
 *
 * Prometheus 2.42 refuses a whole batch when one of its samples is older than the newest it has
 * of that series (there is no out-of-order window), so after an outage the buffered batches must
 * arrive oldest first and nothing newer may overtake them. The outbox keeps them in one order:
 * the spool's records (the oldest), then the memory list. It hands the sender the oldest batch,
 * and only when the sender is done with it (sent, or refused with a 4xx) the next one; the
 * sender retries that one batch as long as Prometheus is away (max_retries < 0), so the sender's
 * own queue never holds more than one batch and never drops to make room.
 *
 * Memory is bounded by mem_max bytes of encoded batches. Beyond it the oldest memory batches
 * move to the spool (agents/core/spool.h: durable, bounded, oldest dropped first); when the
 * batch in flight is a memory one it moves first, so the spool's order stays the time order.
 * Without a spool the oldest batches are dropped and counted. At the end (outbox_close) the
 * sender is stopped and what is left in memory goes to the spool, where the next monitor started
 * on the same folder finds it and sends it before anything new. */
#ifndef AIFB_MONITOR_OUTBOX_H
#define AIFB_MONITOR_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "core/promrw.h"

typedef struct mon_outbox mon_outbox;

typedef struct mon_outbox_stats {
    uint64_t batches_sent, samples_sent, bytes_sent, retries; /* the sender's */
    uint64_t samples_dropped, batches_dropped; /* refused, pushed out of memory or the spool */
    uint64_t mem_bytes, mem_batches;           /* waiting in memory, the one in flight too */
    uint64_t disk_bytes, disk_batches;         /* waiting in the spool */
    uint64_t spooled_batches;                  /* written to the spool since the start */
    char last_error[320];                      /* the sender's last problem, "" if none */
} mon_outbox_stats;

/* A sender to url with the given options (retries without bound and a queue large enough for one
 * batch are forced), and the spool in spool_dir (NULL: none) bounded by spool_max (0: its
 * default). AIFB_EINVAL for a bad URL or options (promrw's message), AIFB_EPRECONDITION or
 * AIFB_EINTERNAL when the spool cannot be opened (spool's message). */
aifb_code outbox_new(const char *url, const promrw_sender_opts *opts, size_t mem_max,
                     const char *spool_dir, uint64_t spool_max, mon_outbox **out, aifb_err *err);
/* Appends an encoded batch (body malloc'd, taken over) of samples samples. */
void outbox_push(mon_outbox *o, void *body, size_t len, size_t samples);
/* Settles the batch in flight if the sender is done with it and hands over the next. True while a
 * batch is in flight. */
bool outbox_pump(mon_outbox *o);
/* Waits up to timeout_ms for the batch in flight, then pumps. */
void outbox_wait(mon_outbox *o, int timeout_ms);
/* When the batch in flight has waited stalled_ms or more (Prometheus is away) and a spool is
 * open, moves the oldest memory batch to the spool (the one in flight first, keeping the order);
 * true when one moved. For the end: what would go to the spool at close goes there while the
 * monitor still waits for Prometheus, and the close stays short. */
bool outbox_spill_one(mon_outbox *o, int64_t stalled_ms);
/* Nothing waiting and nothing in flight. */
bool outbox_empty(const mon_outbox *o);
void outbox_stats(mon_outbox *o, mon_outbox_stats *st);
/* Stops the sender (abandoning a batch in flight), spools what is left in memory for at most
 * spool_ms (each batch is an fsynced file: thousands take seconds), counts the rest dropped (all
 * of it without a spool), fills *final and frees everything. */
void outbox_close(mon_outbox *o, int spool_ms, mon_outbox_stats *final);

#endif
