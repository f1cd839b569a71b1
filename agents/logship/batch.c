/* batch.c: gathering lines and encoding them as a push request (see batch.h).
 *
 * The protobuf encoder makes two passes over the entries: one to size every message (a length
 * prefix comes before its message), one to write. Entries of a stream are chained through an
 * index array so each stream is written in one go without sorting. */
#include "logship/batch.h"

#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logship/utf8.h"

void ls_batch_add(ls_batch *b, uint32_t stream, int64_t ts, const char *line, size_t len)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 1024;
        b->e = xrealloc(b->e, b->cap * sizeof *b->e);
    }
    size_t off = b->text.len;
    if (utf8_append_repaired(&b->text, line, len))
        b->repaired++;
    b->e[b->n++] = (ls_entry){stream, ts, off, b->text.len - off};
}

void ls_batch_clear(ls_batch *b)
{
    b->text.len = 0;
    b->n = 0;
    b->repaired = 0;
    b->opened_ms = 0;
}

void ls_batch_free(ls_batch *b)
{
    abuf_free(&b->text);
    free(b->e);
    memset(b, 0, sizeof *b);
}

const char *ls_format_content_type(ls_format format)
{
    return format == LS_FORMAT_JSON ? "application/json" : "application/x-protobuf";
}

/* ---- protobuf -------------------------------------------------------------------------------- */

static size_t varint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static char *put_varint(char *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (char)(v | 0x80);
        v >>= 7;
    }
    *p++ = (char)v;
    return p;
}

/* A length-delimited field's size: its key, its length prefix and its len bytes. */
static size_t field_size(size_t len)
{
    return 1 + varint_size(len) + len;
}

/* The Timestamp message of ts (zero fields left out, as proto3 writes them). */
static size_t timestamp_size(int64_t ts)
{
    uint64_t sec = (uint64_t)(ts / 1000000000), ns = (uint64_t)(ts % 1000000000);
    return (sec ? 1 + varint_size(sec) : 0) + (ns ? 1 + varint_size(ns) : 0);
}

static size_t entry_size(const ls_entry *e)
{
    return field_size(timestamp_size(e->ts)) + field_size(e->len);
}

static char *put_entry(char *p, const ls_entry *e, const char *text)
{
    uint64_t sec = (uint64_t)(e->ts / 1000000000), ns = (uint64_t)(e->ts % 1000000000);
    *p++ = 0x12; /* StreamAdapter.entries */
    p = put_varint(p, entry_size(e));
    *p++ = 0x0a; /* EntryAdapter.timestamp */
    p = put_varint(p, timestamp_size(e->ts));
    if (sec) {
        *p++ = 0x08; /* Timestamp.seconds */
        p = put_varint(p, sec);
    }
    if (ns) {
        *p++ = 0x10; /* Timestamp.nanos */
        p = put_varint(p, ns);
    }
    *p++ = 0x12; /* EntryAdapter.line */
    p = put_varint(p, e->len);
    memcpy(p, text + e->off, e->len);
    return p + e->len;
}

/* Per stream of the batch: the size of its StreamAdapter and its first and last entries. */
typedef struct stream_plan {
    size_t size;
    size_t first, last;
    bool used;
} stream_plan;

static aifb_code encode_protobuf(const ls_batch *b, const ls_streams *streams, void **body,
                                 size_t *len, aifb_err *err)
{
    stream_plan *sp = xcalloc(streams->n ? streams->n : 1, sizeof *sp);
    size_t *next = xmalloc((b->n ? b->n : 1) * sizeof *next);
    size_t *order = xmalloc((streams->n ? streams->n : 1) * sizeof *order), nused = 0;
    for (size_t i = 0; i < b->n; i++) {
        stream_plan *s = &sp[b->e[i].stream];
        if (!s->used) {
            s->used = true;
            s->first = i;
            s->size = field_size(strlen(streams->v[b->e[i].stream].selector));
            order[nused++] = b->e[i].stream;
        } else {
            next[s->last] = i;
        }
        s->last = i;
        next[i] = SIZE_MAX;
        s->size += field_size(entry_size(&b->e[i]));
    }
    size_t total = 0;
    for (size_t k = 0; k < nused; k++)
        total += field_size(sp[order[k]].size);
    char *raw = xmalloc(total ? total : 1), *p = raw;
    for (size_t k = 0; k < nused; k++) {
        const stream_plan *s = &sp[order[k]];
        const char *sel = streams->v[order[k]].selector;
        size_t sl = strlen(sel);
        *p++ = 0x0a; /* PushRequest.streams */
        p = put_varint(p, s->size);
        *p++ = 0x0a; /* StreamAdapter.labels */
        p = put_varint(p, sl);
        memcpy(p, sel, sl);
        p += sl;
        for (size_t i = s->first; i != SIZE_MAX; i = next[i])
            p = put_entry(p, &b->e[i], b->text.p);
    }
    free(sp);
    free(next);
    free(order);
    size_t clen = snappy_max_compressed_length(total);
    char *out = xmalloc(clen ? clen : 1);
    snappy_status st = snappy_compress(raw, total, out, &clen);
    free(raw);
    if (st != SNAPPY_OK) {
        free(out);
        return aifb_err_set(err, AIFB_EINTERNAL, "snappy could not compress a batch (status %d)",
                            (int)st);
    }
    *body = out;
    *len = clen;
    return AIFB_OK;
}

/* ---- json ------------------------------------------------------------------------------------ */

/* Appends s[0..n) (valid UTF-8) as a JSON string: quote, backslash and control characters
 * escaped, runs of plain bytes copied at once. */
static void json_str(abuf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    abuf_reserve(b, n + 2);
    abuf_putc(b, '"');
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        abuf_append(b, s + run, i - run);
        run = i + 1;
        char esc[7] = {'\\', 0};
        size_t el = 2;
        switch (c) {
        case '"':
        case '\\':
            esc[1] = (char)c;
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            el = 6;
        }
        abuf_append(b, esc, el);
    }
    abuf_append(b, s + run, n - run);
    abuf_putc(b, '"');
}

static void encode_json(const ls_batch *b, const ls_streams *streams, void **body, size_t *len)
{
    size_t *next = xmalloc((b->n ? b->n : 1) * sizeof *next);
    size_t *first = xmalloc((streams->n ? streams->n : 1) * sizeof *first);
    size_t *last = xmalloc((streams->n ? streams->n : 1) * sizeof *last);
    size_t *order = xmalloc((streams->n ? streams->n : 1) * sizeof *order), nused = 0;
    for (size_t s = 0; s < streams->n; s++)
        first[s] = SIZE_MAX;
    for (size_t i = 0; i < b->n; i++) {
        uint32_t s = b->e[i].stream;
        if (first[s] == SIZE_MAX) {
            first[s] = i;
            order[nused++] = s;
        } else {
            next[last[s]] = i;
        }
        last[s] = i;
        next[i] = SIZE_MAX;
    }
    abuf out = {0};
    abuf_reserve(&out, b->text.len + b->n * 32 + 64);
    abuf_puts(&out, "{\"streams\":[");
    for (size_t k = 0; k < nused; k++) {
        abuf_printf(&out, "%s{\"stream\":%s,\"values\":[", k ? "," : "", streams->v[order[k]].json);
        for (size_t i = first[order[k]]; i != SIZE_MAX; i = next[i]) {
            char ts[32];
            int tl = snprintf(ts, sizeof ts, "%s[\"%lld\",", i == first[order[k]] ? "" : ",",
                              (long long)b->e[i].ts);
            abuf_append(&out, ts, (size_t)tl);
            json_str(&out, b->text.p + b->e[i].off, b->e[i].len);
            abuf_putc(&out, ']');
        }
        abuf_puts(&out, "]}");
    }
    abuf_puts(&out, "]}");
    free(next);
    free(first);
    free(last);
    free(order);
    *len = out.len;
    *body = abuf_take(&out);
}

aifb_code ls_batch_encode(const ls_batch *b, const ls_streams *streams, ls_format format,
                          void **body, size_t *len, aifb_err *err)
{
    if (format == LS_FORMAT_JSON) {
        encode_json(b, streams, body, len);
        return AIFB_OK;
    }
    return encode_protobuf(b, streams, body, len, err);
}
