/* linesplit.h: cutting the bytes read from a file into lines, whatever the read sizes.
 *
 * A line is the bytes up to a "\n" (the "\n" not included, nor one "\r" just before it, so
 * CRLF files give the same lines). Bytes after the last "\n" of a read are kept as a partial
 * line and completed by the next reads; linesplit_flush hands the partial line on as a line of
 * its own (at rotation, deletion, truncation and exit, when no newline will ever come). A line
 * longer than max_line is handed on in pieces of max_line bytes, so memory stays bounded.
 *
 * Every line is passed to the emit callback with the number of file bytes it used up (its
 * newline and "\r" included), so the caller knows the file offset just past the line: what a
 * positions file must record. Lines point into the caller's buffer or the splitter's own, and
 * are valid during the callback only. */
#ifndef AIFB_LOGSHIP_LINESPLIT_H
#define AIFB_LOGSHIP_LINESPLIT_H

#include <stddef.h>

#include "common/util.h"

typedef void (*linesplit_emit)(void *arg, const char *line, size_t len, size_t used);

typedef struct linesplit {
    abuf partial;    /* bytes of a line whose newline has not come yet */
    size_t max_line; /* 0: no bound */
    size_t cuts;     /* pieces handed on without a newline because a line outgrew max_line */
} linesplit;

void linesplit_init(linesplit *ls, size_t max_line);
void linesplit_free(linesplit *ls);

/* Cuts data into lines, handing each complete one to emit and keeping what follows the last
 * newline. */
void linesplit_feed(linesplit *ls, const char *data, size_t n, linesplit_emit emit, void *arg);

/* Hands the partial line on (if there is one) as a line. */
void linesplit_flush(linesplit *ls, linesplit_emit emit, void *arg);

/* Forgets the partial line without handing it on. */
void linesplit_reset(linesplit *ls);

/* The size of the partial line waiting for its newline. */
static inline size_t linesplit_pending(const linesplit *ls)
{
    return ls->partial.len;
}

#endif
