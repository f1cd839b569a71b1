/* linesplit.c: lines out of arbitrary reads (see linesplit.h).
 *
 * The common case, a line wholly inside one read, is handed on straight from the caller's
 * buffer; only a line that straddles reads is gathered in the partial buffer. */
#include "logship/linesplit.h"

#include <string.h>

void linesplit_init(linesplit *ls, size_t max_line)
{
    memset(ls, 0, sizeof *ls);
    ls->max_line = max_line;
}

void linesplit_free(linesplit *ls)
{
    abuf_free(&ls->partial);
}

void linesplit_reset(linesplit *ls)
{
    ls->partial.len = 0;
    if (ls->partial.p)
        ls->partial.p[0] = '\0';
}

/* A complete line of len bytes whose newline follows it: without its "\r", and used counting
 * the newline. */
static void emit_line(const char *line, size_t len, size_t used, linesplit_emit emit, void *arg)
{
    if (len && line[len - 1] == '\r')
        len--;
    emit(arg, line, len, used);
}

/* Hands on max_line pieces of the partial buffer while it is longer than max_line. */
static void emit_pieces(linesplit *ls, linesplit_emit emit, void *arg)
{
    if (!ls->max_line || ls->partial.len <= ls->max_line)
        return;
    size_t off = 0;
    while (ls->partial.len - off > ls->max_line) {
        emit(arg, ls->partial.p + off, ls->max_line, ls->max_line);
        off += ls->max_line;
        ls->cuts++;
    }
    memmove(ls->partial.p, ls->partial.p + off, ls->partial.len - off);
    ls->partial.len -= off;
    ls->partial.p[ls->partial.len] = '\0';
}

void linesplit_feed(linesplit *ls, const char *data, size_t n, linesplit_emit emit, void *arg)
{
    const char *p = data, *end = data + n;
    if (ls->partial.len) {
        const char *nl = memchr(p, '\n', n);
        if (!nl) {
            abuf_append(&ls->partial, p, n);
            emit_pieces(ls, emit, arg);
            return;
        }
        abuf_append(&ls->partial, p, (size_t)(nl - p));
        emit_pieces(ls, emit, arg);
        emit_line(ls->partial.p, ls->partial.len, ls->partial.len + 1, emit, arg);
        linesplit_reset(ls);
        p = nl + 1;
    }
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            break;
        size_t len = (size_t)(nl - p);
        if (ls->max_line && len > ls->max_line) {
            abuf_append(&ls->partial, p, len);
            emit_pieces(ls, emit, arg);
            emit_line(ls->partial.p, ls->partial.len, ls->partial.len + 1, emit, arg);
            linesplit_reset(ls);
        } else {
            emit_line(p, len, len + 1, emit, arg);
        }
        p = nl + 1;
    }
    if (p < end) {
        abuf_append(&ls->partial, p, (size_t)(end - p));
        emit_pieces(ls, emit, arg);
    }
}

void linesplit_flush(linesplit *ls, linesplit_emit emit, void *arg)
{
    if (!ls->partial.len)
        return;
    emit(arg, ls->partial.p, ls->partial.len, ls->partial.len);
    linesplit_reset(ls);
}
