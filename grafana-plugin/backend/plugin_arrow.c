/* plugin_arrow.c: an Apache Arrow IPC file writer for one data frame (plugin_arrow.h).
 *
 * The file: "ARROW1" and two bytes of padding; the schema message; one record batch message;
 * the end-of-stream marker; the footer (a flatbuffer naming the schema again and where the
 * record batch is); the footer's length; "ARROW1". Each message is the continuation marker
 * 0xFFFFFFFF, the metadata's length, the Message flatbuffer padded to 8 bytes, then the body.
 * Everything is little-endian, whatever the host.
 *
 * Flatbuffers are written front to back: a table (after its vtable) before what it points to,
 * so every offset to a string, vector or table points forward, as the format requires; a slot
 * is filled in once its target is written. Arrow's schema (Schema.fbs, Message.fbs, File.fbs),
 * metadata version V5; only the parts one frame needs. */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "plugin_arrow.h"

/* Arrow's enums and union tags. */
enum { V5 = 4 };
enum { HEADER_SCHEMA = 1, HEADER_RECORD_BATCH = 3 };
enum { TYPE_FLOATING_POINT = 3, TYPE_UTF8 = 5, TYPE_TIMESTAMP = 10 };
enum { PRECISION_DOUBLE = 2 };
enum { UNIT_NANOSECOND = 3 };

typedef struct buf {
    uint8_t *p;
    size_t len, cap;
} buf;

static uint8_t *room(buf *b, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = b->cap * 2 > b->len + n + 256 ? b->cap * 2 : b->len + n + 256;
        b->p = xrealloc(b->p, b->cap);
    }
    uint8_t *at = b->p + b->len;
    b->len += n;
    return at;
}

static void le_at(buf *b, size_t at, uint64_t v, unsigned size)
{
    for (unsigned i = 0; i < size; i++)
        b->p[at + i] = (uint8_t)(v >> (8 * i));
}

static void put_le(buf *b, uint64_t v, unsigned size)
{
    size_t at = b->len;
    room(b, size);
    le_at(b, at, v, size);
}

static void put_bytes(buf *b, const void *src, size_t n)
{
    if (n)
        memcpy(room(b, n), src, n);
}

static size_t pad(buf *b, size_t align)
{
    while (b->len % align)
        put_le(b, 0, 1);
    return b->len;
}

/* ---- flatbuffers ---------------------------------------------------------------------------- */

/* One scalar or offset field of a table: its slot id in the schema, its size in bytes (an
 * offset is 4) and its value (ignored for an offset, which is filled in with fb_ref). */
typedef struct fb_field {
    unsigned id, size;
    uint64_t value;
} fb_field;

#define FB_MAX_FIELDS 8

/* Writes a table's vtable and then the table (8-aligned, fields largest first, each on its
 * own alignment); at[i] gets where field i lies. Returns the table's position. */
static size_t fb_table(buf *b, const fb_field *f, size_t n, size_t *at)
{
    unsigned slots = 0, pos[FB_MAX_FIELDS], cur = 4;
    for (size_t i = 0; i < n; i++)
        slots = f[i].id + 1 > slots ? f[i].id + 1 : slots;
    for (unsigned size = 8; size >= 1; size /= 2)
        for (size_t i = 0; i < n; i++)
            if (f[i].size == size) {
                cur = (cur + size - 1) / size * size;
                pos[i] = cur;
                cur += size;
            }
    pad(b, 2);
    size_t vt = b->len;
    put_le(b, 4 + 2 * slots, 2);
    put_le(b, cur, 2);
    for (unsigned s = 0; s < slots; s++) {
        unsigned off = 0;
        for (size_t i = 0; i < n; i++)
            if (f[i].id == s)
                off = pos[i];
        put_le(b, off, 2);
    }
    size_t t = pad(b, 8);
    memset(room(b, cur), 0, cur);
    le_at(b, t, (uint32_t)(int32_t)(t - vt), 4);
    for (size_t i = 0; i < n; i++) {
        le_at(b, t + pos[i], f[i].value, f[i].size);
        if (at)
            at[i] = t + pos[i];
    }
    return t;
}

/* Points the offset slot at slot to target (written after it). */
static void fb_ref(buf *b, size_t slot, size_t target)
{
    le_at(b, slot, (uint32_t)(target - slot), 4);
}

static size_t fb_string(buf *b, const char *s)
{
    size_t n = strlen(s), at = pad(b, 4);
    put_le(b, n, 4);
    put_bytes(b, s, n);
    put_le(b, 0, 1);
    return at;
}

/* A vector of n offsets, to be filled in: element i's slot is at + 4 + 4 * i. */
static size_t fb_offsets(buf *b, size_t n)
{
    size_t at = pad(b, 4);
    put_le(b, n, 4);
    memset(room(b, 4 * n), 0, 4 * n);
    return at;
}

/* A vector of n structs of 8-aligned fields: the elements start 8-aligned after the length. */
static size_t fb_structs(buf *b, const uint8_t *elems, size_t size, size_t n)
{
    pad(b, 4);
    if ((b->len + 4) % 8)
        put_le(b, 0, 4);
    size_t at = b->len;
    put_le(b, n, 4);
    put_bytes(b, elems, size * n);
    return at;
}

/* [KeyValue] of n pairs. */
static size_t fb_key_values(buf *b, const char *const *keys, const char *const *values, size_t n)
{
    size_t v = fb_offsets(b, n);
    for (size_t i = 0; i < n; i++) {
        fb_field kv[] = {{0, 4, 0}, {1, 4, 0}};
        size_t at[2];
        fb_ref(b, v + 4 + 4 * i, fb_table(b, kv, 2, at));
        fb_ref(b, at[0], fb_string(b, keys[i]));
        fb_ref(b, at[1], fb_string(b, values[i]));
    }
    return v;
}

/* ---- schema --------------------------------------------------------------------------------- */

static size_t field_table(buf *b, const arrow_column *c)
{
    static const unsigned type_tag[] = {TYPE_UTF8, TYPE_FLOATING_POINT, TYPE_TIMESTAMP};
    /* name, nullable, type_type, type, children, custom_metadata */
    fb_field f[] = {{0, 4, 0}, {1, 1, 1}, {2, 1, type_tag[c->type]},
                    {3, 4, 0}, {5, 4, 0}, {6, 4, 0}};
    size_t at[6];
    size_t t = fb_table(b, f, 6, at);
    fb_ref(b, at[0], fb_string(b, c->name));
    size_t tat[2];
    switch (c->type) {
    case ARROW_UTF8:
        fb_ref(b, at[3], fb_table(b, NULL, 0, NULL));
        break;
    case ARROW_FLOAT64: {
        fb_field fp[] = {{0, 2, PRECISION_DOUBLE}};
        fb_ref(b, at[3], fb_table(b, fp, 1, NULL));
        break;
    }
    case ARROW_TIMESTAMP_NS: {
        fb_field ts[] = {{0, 2, UNIT_NANOSECOND}, {1, 4, 0}};
        fb_ref(b, at[3], fb_table(b, ts, 2, tat));
        fb_ref(b, tat[1], fb_string(b, "UTC"));
        break;
    }
    }
    fb_ref(b, at[4], fb_offsets(b, 0));
    const char *keys[] = {"name", "config"};
    const char *values[] = {c->name, c->config_json};
    fb_ref(b, at[5], fb_key_values(b, keys, values, c->config_json ? 2 : 1));
    return t;
}

static size_t schema_table(buf *b, const char *name, const char *ref_id, const arrow_column *cols,
                           size_t ncols)
{
    /* endianness (little), fields, custom_metadata */
    fb_field f[] = {{0, 2, 0}, {1, 4, 0}, {2, 4, 0}};
    size_t at[3];
    size_t t = fb_table(b, f, 3, at);
    size_t v = fb_offsets(b, ncols);
    fb_ref(b, at[1], v);
    for (size_t i = 0; i < ncols; i++)
        fb_ref(b, v + 4 + 4 * i, field_table(b, &cols[i]));
    const char *keys[] = {"name", "refId"};
    const char *values[] = {name ? name : "", ref_id ? ref_id : ""};
    fb_ref(b, at[2], fb_key_values(b, keys, values, 2));
    return t;
}

/* ---- the record batch's body ---------------------------------------------------------------- */

typedef struct batch {
    buf body;
    buf nodes;   /* FieldNode structs: length, null_count */
    buf buffers; /* Buffer structs: offset, length (in the body) */
    size_t nbuffers;
} batch;

static void body_buffer(batch *bt, const void *data, size_t len)
{
    put_le(&bt->buffers, bt->body.len, 8);
    put_le(&bt->buffers, len, 8);
    bt->nbuffers++;
    put_bytes(&bt->body, data, len);
    pad(&bt->body, 8);
}

static void column_body(batch *bt, const arrow_column *c, size_t rows)
{
    size_t nulls = 0;
    for (size_t r = 0; r < rows; r++)
        nulls += !c->valid[r];
    put_le(&bt->nodes, rows, 8);
    put_le(&bt->nodes, nulls, 8);

    /* The validity bitmap, least significant bit first; absent when nothing is null. */
    size_t bytes = (rows + 7) / 8;
    uint8_t *bits = xcalloc(bytes ? bytes : 1, 1);
    for (size_t r = 0; r < rows; r++)
        if (c->valid[r])
            bits[r / 8] |= (uint8_t)(1u << (r % 8));
    body_buffer(bt, bits, nulls ? bytes : 0);
    free(bits);

    buf data = {0};
    if (c->type == ARROW_UTF8) {
        buf offsets = {0};
        put_le(&offsets, 0, 4);
        for (size_t r = 0; r < rows; r++) {
            if (c->valid[r] && c->str[r])
                put_bytes(&data, c->str[r], strlen(c->str[r]));
            put_le(&offsets, data.len, 4);
        }
        body_buffer(bt, offsets.p, offsets.len);
        free(offsets.p);
    } else {
        for (size_t r = 0; r < rows; r++) {
            uint64_t v = 0;
            if (c->valid[r] && c->type == ARROW_FLOAT64)
                memcpy(&v, &c->f64[r], 8);
            else if (c->valid[r])
                v = (uint64_t)c->i64[r];
            put_le(&data, v, 8);
        }
    }
    body_buffer(bt, data.p, data.len);
    free(data.p);
}

/* ---- messages and the file ------------------------------------------------------------------ */

/* A Message flatbuffer: its root table with the header's slot, for the caller to fill in. */
static size_t message_start(buf *fb, unsigned header_type, size_t body_len)
{
    put_le(fb, 0, 4); /* the root offset */
    fb_field f[] = {{0, 2, V5}, {1, 1, header_type}, {2, 4, 0}, {3, 8, body_len}};
    size_t at[4];
    fb_ref(fb, 0, fb_table(fb, f, 4, at));
    return at[2];
}

/* Appends the encapsulated message (marker, length, padded metadata, body); returns the length
 * of everything before the body, as the footer's Block says it. */
static size_t put_message(buf *out, buf *fb, const buf *body)
{
    size_t meta = (fb->len + 8 + 7) / 8 * 8 - 8;
    put_le(out, 0xFFFFFFFFu, 4);
    put_le(out, meta, 4);
    put_bytes(out, fb->p, fb->len);
    memset(room(out, meta - fb->len), 0, meta - fb->len);
    if (body)
        put_bytes(out, body->p, body->len);
    return meta + 8;
}

uint8_t *arrow_file_write(const char *frame_name, const char *ref_id, const arrow_column *cols,
                          size_t ncols, size_t rows, size_t *len)
{
    buf out = {0};
    put_bytes(&out, "ARROW1\0\0", 8);

    buf fb = {0};
    size_t header = message_start(&fb, HEADER_SCHEMA, 0);
    fb_ref(&fb, header, schema_table(&fb, frame_name, ref_id, cols, ncols));
    put_message(&out, &fb, NULL);

    batch bt = {0};
    for (size_t i = 0; i < ncols; i++)
        column_body(&bt, &cols[i], rows);
    fb.len = 0;
    header = message_start(&fb, HEADER_RECORD_BATCH, bt.body.len);
    fb_field rb[] = {{0, 8, rows}, {1, 4, 0}, {2, 4, 0}};
    size_t at[3];
    fb_ref(&fb, header, fb_table(&fb, rb, 3, at));
    fb_ref(&fb, at[1], fb_structs(&fb, bt.nodes.p, 16, ncols));
    fb_ref(&fb, at[2], fb_structs(&fb, bt.buffers.p, 16, bt.nbuffers));
    size_t batch_at = out.len;
    size_t batch_meta = put_message(&out, &fb, &bt.body);
    size_t body_len = bt.body.len;
    free(bt.body.p);
    free(bt.nodes.p);
    free(bt.buffers.p);

    put_le(&out, 0xFFFFFFFFu, 4); /* end of stream */
    put_le(&out, 0, 4);

    /* The footer: version, schema, no dictionaries, the record batch's Block. */
    fb.len = 0;
    put_le(&fb, 0, 4);
    fb_field ft[] = {{0, 2, V5}, {1, 4, 0}, {2, 4, 0}, {3, 4, 0}};
    size_t fat[4];
    fb_ref(&fb, 0, fb_table(&fb, ft, 4, fat));
    fb_ref(&fb, fat[1], schema_table(&fb, frame_name, ref_id, cols, ncols));
    fb_ref(&fb, fat[2], fb_structs(&fb, NULL, 24, 0));
    buf block = {0};
    put_le(&block, batch_at, 8);
    put_le(&block, batch_meta, 4);
    put_le(&block, 0, 4);
    put_le(&block, body_len, 8);
    fb_ref(&fb, fat[3], fb_structs(&fb, block.p, 24, 1));
    free(block.p);

    pad(&out, 8);
    put_bytes(&out, fb.p, fb.len);
    put_le(&out, fb.len, 4);
    put_bytes(&out, "ARROW1", 6);
    free(fb.p);
    *len = out.len;
    return out.p;
}
