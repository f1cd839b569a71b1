/* batch.h: the lines of one push request, and their encoding as Loki's push API takes them.
 *
 * A batch is a text arena (every line, made valid UTF-8) and one entry per line: its stream, its
 * timestamp and where its text is. Lines are added in the order they were read, from any number
 * of streams; the encoders group them by stream (streams in the order they first appear, lines of
 * a stream in the order they were added).
 *
 * Two encodings of one logproto.PushRequest (proto/loki/push.proto):
 *   protobuf: written field by field straight from the arena (field numbers of Loki's
 *             pkg/push/push.proto: streams = 1; labels = 1, entries = 2; timestamp = 1, line = 2;
 *             seconds = 1, nanos = 2), then snappy-compressed (block format), Content-Type
 *             application/x-protobuf. Writing it directly costs one copy of each line instead of
 *             the message tree protobuf-c would need first; the unit tests decode the result
 *             with protobuf-c.
 *   json:     {"streams":[{"stream":{labels},"values":[["<ns since the epoch, as a string>",
 *             "<line>"],...]}]}, Content-Type application/json. */
#ifndef AIFB_LOGSHIP_BATCH_H
#define AIFB_LOGSHIP_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/util.h"
#include "logship/labels.h"

typedef enum ls_format { LS_FORMAT_PROTOBUF = 'p', LS_FORMAT_JSON = 'j' } ls_format;

typedef struct ls_entry {
    uint32_t stream;
    int64_t ts; /* nanoseconds since the Unix epoch */
    size_t off, len;
} ls_entry;

typedef struct ls_batch {
    abuf text;
    ls_entry *e;
    size_t n, cap;
    size_t repaired;   /* lines in which bytes that were not UTF-8 were replaced */
    int64_t opened_ms; /* CLOCK_MONOTONIC ms when its first line came; 0 when empty */
} ls_batch;

/* Adds a line (any bytes; ill-formed UTF-8 is replaced by U+FFFD). */
void ls_batch_add(ls_batch *b, uint32_t stream, int64_t ts, const char *line, size_t len);
/* The lines' text size, what --batch-bytes bounds. */
static inline size_t ls_batch_bytes(const ls_batch *b)
{
    return b->text.len;
}
/* Empties the batch, keeping its memory. */
void ls_batch_clear(ls_batch *b);
void ls_batch_free(ls_batch *b);

/* The request body of the batch in the given format; *body is malloc'd. AIFB_EINTERNAL only if
 * snappy fails. */
aifb_code ls_batch_encode(const ls_batch *b, const ls_streams *streams, ls_format format,
                          void **body, size_t *len, aifb_err *err);

/* The Content-Type of a format's bodies. */
const char *ls_format_content_type(ls_format format);

#endif
