/* sse.h: an incremental parser of Server-Sent Events (the WHATWG event-stream format), fed the
 * bytes of a response as they arrive, however the network splits them.
 *
 * Lines end with CRLF, LF or CR (a CR at the end of one read and an LF at the start of the next are
 * one line end); "data:" lines of one event are joined with '\n'; lines starting with ':' are
 * comments; a blank line dispatches the event; an event without data is not dispatched. One space
 * after the colon is dropped. The parser keeps only the current line and event, so memory stays
 * bounded by max_line (a longer line is an error: a malformed or hostile stream). */
#ifndef AIFB_LOADGEN_SSE_H
#define AIFB_LOADGEN_SSE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/util.h"

/* Called once per dispatched event: event is its type ("message" when none was given), data its
 * joined data lines (NUL-terminated, len bytes). Return false to stop parsing (sse_feed then
 * returns SSE_STOPPED). */
typedef bool (*sse_event_fn)(void *ud, const char *event, const char *data, size_t len);

typedef struct sse_parser {
    abuf line;  /* the line being read */
    abuf data;  /* the event's data so far */
    abuf event; /* the event's type, empty for "message" */
    bool has_data;
    bool after_cr; /* the previous byte ended a line with CR: an LF now is part of it */
    size_t max_line;
    size_t comments; /* comment lines seen (servers send them as keep-alives) */
} sse_parser;

typedef enum sse_status {
    SSE_OK = 0,
    SSE_STOPPED = 1,   /* the callback asked to stop */
    SSE_TOO_LONG = -1, /* a line longer than max_line */
} sse_status;

/* max_line 0 means 1 MiB. */
void sse_init(sse_parser *p, size_t max_line);
sse_status sse_feed(sse_parser *p, const char *buf, size_t n, sse_event_fn fn, void *ud);
/* Whether bytes of an unfinished line or event are waiting (a stream that ends here was cut). */
bool sse_pending(const sse_parser *p);
/* Forgets any partial line or event (reuse for the next response). */
void sse_reset(sse_parser *p);
void sse_free(sse_parser *p);

#endif
