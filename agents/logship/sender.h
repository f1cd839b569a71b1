/* sender.h: delivering encoded batches to Loki from a thread of their own, in order, with
 * retries, a disk spool, and the positions file saved as batches are done.
 *
 * The reader (ship.c) hands over each batch as a payload: its request body and the positions of
 * every file once that batch is done. A batch is done when Loki accepted it (2xx), when it is
 * durably in the spool, or when it is dropped (refused with a 4xx other than 429, or out of
 * retries without a spool); then its positions are saved. Payloads are done strictly in the order
 * they were handed over, so the positions file never runs ahead of what is safe.
 *
 * Without a spool a batch is retried with exponential backoff and jitter (429, 5xx, no
 * connection) up to max_retries times (negative: without end) and then dropped, counted. While
 * it is being retried the queue fills and the reader stops reading (ls_sender_full): the lines
 * wait in their files, which cost no memory.
 *
 * With a spool a batch that fails once goes to the spool, and from then on, for as long as the
 * spool holds anything, every new batch goes behind it: the spool is sent oldest first, one
 * record at a time, retried without end, and new batches reach Loki only after everything older.
 * Records are the request bodies as first encoded (byte-identical when sent again, so Loki can
 * recognise repeated lines) behind one byte naming their format. The spool's bound drops its
 * oldest records (counted). Records left from an earlier run are sent first. */
#ifndef AIFB_LOGSHIP_SENDER_H
#define AIFB_LOGSHIP_SENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "core/spool.h"
#include "logship/batch.h"
#include "logship/positions.h"

/* A batch, or with len 0 a marker: nothing to send, only positions to save once every payload
 * before it is done (the reader sends one when a file it no longer follows must leave the
 * positions file and no batch is on its way to carry the news). */
typedef struct ls_payload {
    void *body;
    size_t len;
    ls_format format;
    uint64_t lines;
    ls_positions positions; /* to save once this batch is done */
    struct ls_payload *next;
} ls_payload;

void ls_payload_free(ls_payload *p);

typedef struct ls_sender_opts {
    const char *url;            /* http(s)://host:port/loki/api/v1/push */
    const char *tenant;         /* X-Scope-OrgID, or NULL */
    const char *token;          /* bearer token, or NULL; never logged, wiped at the end */
    const char *positions_path; /* saved after each batch is done */
    spool *spool;               /* NULL: none; owned by the sender from now on */
    size_t queue_max_bytes;     /* bodies waiting in memory before ls_sender_full says so */
    int connect_timeout_ms, timeout_ms;
    int backoff_min_ms, backoff_max_ms;
    int max_retries; /* without a spool; negative: without end */
} ls_sender_opts;

typedef struct ls_sender_stats {
    uint64_t batches_sent, lines_sent, bytes_sent;       /* accepted by Loki (from the spool too) */
    uint64_t retries;                                    /* failed requests that will be repeated */
    uint64_t batches_refused, lines_refused;             /* 4xx but 429: dropped */
    uint64_t batches_given_up, lines_given_up;           /* out of retries, without a spool */
    uint64_t batches_spooled, lines_spooled;             /* written to the spool */
    uint64_t spool_dropped_records, spool_dropped_lines; /* dropped by the spool's bound */
    uint64_t spool_records;                              /* in the spool now */
    uint64_t positions_saved, positions_errors;
    int last_status;
    char last_error[320];
} ls_sender_stats;

typedef struct ls_sender ls_sender;

/* A sender to opts->url with its thread started (nothing is sent before a batch comes, or the
 * spool holds records). AIFB_EINVAL for a URL that is not http(s):// or carries user:password@;
 * AIFB_EINTERNAL when libcurl or the thread cannot be started. On failure the spool is closed. */
aifb_code ls_sender_new(const ls_sender_opts *opts, ls_sender **out, aifb_err *err);

/* Queues p (owned by the sender from now on). Never blocks. */
void ls_sender_submit(ls_sender *s, ls_payload *p);
/* Whether the queue holds queue_max_bytes or more: the reader should wait. */
bool ls_sender_full(ls_sender *s);
/* Readable (an eventfd) whenever a batch is done, so a reader waiting for room can poll it.
 * Reading it is the caller's business (ls_sender_drain_wake). */
int ls_sender_wake_fd(ls_sender *s);
void ls_sender_drain_wake(ls_sender *s);

/* Whether there is nothing left to do now: every batch handed over is done and the spool is
 * empty, or (with a spool) every batch handed over is in it while Loki fails: waiting longer
 * would not send anything sooner, and the spool keeps it. */
bool ls_sender_settled(ls_sender *s);

/* Stops the thread (a request under way is abandoned). Batches not done yet go to the spool when
 * there is one (and their positions are saved); without one they stay unsent and their positions
 * unsaved, so their lines are read again at the next start. Returns whether every batch handed
 * over is done. */
bool ls_sender_stop(ls_sender *s);

void ls_sender_get_stats(ls_sender *s, ls_sender_stats *out);

/* Stops it if needed, closes the spool, frees everything. NULL is fine. */
void ls_sender_free(ls_sender *s);

#endif
