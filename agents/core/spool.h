/* spool.h: a bounded first-in first-out queue of records on disk, for an agent whose receiver
 * (Prometheus, Loki) is down longer than its memory can hold.
 *
 * A record is an opaque byte string (an encoded, compressed request body) with a 64-bit tag the
 * caller chooses (a sample count, a line count, a position). Each record is one file in the
 * spool's folder, named by a sequence number that only grows, written to a temporary name, fsynced
 * and renamed into place, then the folder fsynced: a record is either wholly in the spool or not
 * at all, even after a crash or a power cut, and spool_push returns only once it is durable. A
 * spool opened on a folder that holds records (an agent restarted after a crash) carries on with
 * them, oldest first; leftover temporary files are removed and a damaged record (a bad header or
 * length) is skipped with a warning and counted as dropped.
 *
 * The spool is bounded by max_bytes (records' payloads and headers): pushing past it drops the
 * oldest records first, each counted in the stats and logged once per push. One spool is used
 * from one thread at a time (the caller locks if it shares it).
 *
 * Typical use by a sender whose receiver is down:
 *
 *     spool *sp;
 *     spool_open("/var/spool/aifb-logship", 256u << 20, &sp, &err);
 *     spool_push(sp, body, len, nlines, &err);                // the receiver refused to answer
 *     ...when it answers again:
 *     while (spool_peek(sp, &rec, &len, &tag, &err) == AIFB_OK) {
 *         if (send(rec, len) != OK) { free(rec); break; }     // still down: keep it for later
 *         free(rec);
 *         spool_pop(sp, &err);                               // sent: forget it
 *     }
 *     spool_close(sp);
 */
#ifndef AIFB_AGENT_SPOOL_H
#define AIFB_AGENT_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

typedef struct spool spool;

typedef struct spool_stats {
    uint64_t records;         /* in the spool now */
    uint64_t bytes;           /* their size on disk, headers included */
    uint64_t pushed;          /* records pushed since spool_open */
    uint64_t popped;          /* records popped since spool_open */
    uint64_t dropped_records; /* the oldest, dropped to stay under max_bytes, or found damaged */
    uint64_t dropped_bytes;
    uint64_t dropped_tags; /* the sum of the dropped records' tags (samples or lines lost) */
} spool_stats;

/* Opens the spool in dir, creating the folder (mode 0700, parents too) if needed, and takes the
 * records already in it. max_bytes bounds the spool (0: 256 MiB). Only one process may use a
 * folder at a time: the folder is locked (flock on a lock file), AIFB_EPRECONDITION when another
 * process holds it. AIFB_EINVAL for an empty or relative-to-nothing path; AIFB_EINTERNAL naming
 * the folder and the reason when it cannot be created, read or locked. */
aifb_code spool_open(const char *dir, uint64_t max_bytes, spool **out, aifb_err *err);

/* Appends a record (len bytes, len may be 0, at most 1 GiB) with its tag; durable on return.
 * Drops the oldest records to make room under max_bytes; a record larger than max_bytes on its
 * own is not kept: AIFB_ERESOURCE, and it counts as dropped. AIFB_EINTERNAL when the write fails
 * (disk full: the record is not in the spool, and nothing else is lost). */
aifb_code spool_push(spool *s, const void *rec, size_t len, uint64_t tag, aifb_err *err);

/* The oldest record: *rec malloc'd (the caller frees it; never NULL on success, even for an
 * empty record), *len and *tag set; the record stays in the spool. AIFB_ENOTFOUND when the spool
 * is empty. A record found damaged is dropped (counted, logged) and the next one returned. */
aifb_code spool_peek(spool *s, void **rec, size_t *len, uint64_t *tag, aifb_err *err);

/* Removes the oldest record (the one spool_peek returns). AIFB_ENOTFOUND when empty. */
aifb_code spool_pop(spool *s, aifb_err *err);

/* How many records the spool holds now. */
uint64_t spool_count(const spool *s);

/* A copy of the counters. */
void spool_get_stats(const spool *s, spool_stats *out);

/* Closes the spool; its records stay on disk for the next spool_open. NULL is fine. */
void spool_close(spool *s);

#endif
