/* test_logship_encode.c: the push request bodies aifb-logship writes, read back by independent
 * decoders: the protobuf body snappy-uncompressed and unpacked by protobuf-c's code generated
 * from proto/loki/push.proto, the JSON body parsed by json-c. Both must hold every stream once
 * (in the order streams first appear), every line of a stream in the order it was added, with its
 * timestamp to the nanosecond (whole seconds, where proto3 leaves nanos out, included) and its
 * text (made valid UTF-8; JSON escapes included, a NUL byte too). */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loki/push.pb-c.h"
#include "logship/batch.h"

typedef struct line {
    const char *stream;
    int64_t ts;
    const char *text;
    size_t len;
    const char *want; /* after UTF-8 repair */
} line;

static char *big;

static line LINES[] = {
    {"stdout", 1795900000123456789, "one", 3, "one"},
    {"stderr", 1795900000123456790, "e1 \"quoted\" \\ tab\there", 0, NULL},
    {"stdout", 1795900001000000000, "two (a whole second)", 0, NULL},
    {"stdout", 1795900001000000001, "bad \xff byte", 0, "bad \xef\xbf\xbd byte"},
    {"stderr", 1795900001000000002, "", 0, ""},
    {"stdout", 1795900002000000003, NULL, 100000, NULL}, /* big: two-byte length prefixes */
    {"stdout", 1795900002000000004, "caf\xc3\xa9 \xe2\x82\xac", 0, NULL},
};
#define NLINES (sizeof LINES / sizeof *LINES)

static void fill(ls_streams *s, ls_batch *b)
{
    big = malloc(100001);
    for (size_t i = 0; i < 100000; i++)
        big[i] = (char)('a' + i % 26);
    big[100000] = '\0';
    LINES[5].text = LINES[5].want = big;
    ls_labels base = {0};
    ls_labels_set(&base, "app", "aifb", NULL);
    ls_labels_set(&base, "run_id", "r-1", NULL);
    ls_streams_init(s, &base);
    memset(b, 0, sizeof *b);
    for (size_t i = 0; i < NLINES; i++) {
        line *l = &LINES[i];
        if (!l->len)
            l->len = strlen(l->text);
        if (!l->want)
            l->want = l->text;
        ls_batch_add(b, ls_streams_get(s, l->stream), l->ts, l->text, l->len);
    }
    cr_assert_eq(b->repaired, 1);
}

static void done(ls_streams *s, ls_batch *b)
{
    ls_batch_free(b);
    ls_streams_free(s);
    free(big);
}

/* The lines of LINES in stream, in order. */
static size_t lines_of(const char *stream, const line **out)
{
    size_t n = 0;
    for (size_t i = 0; i < NLINES; i++)
        if (!strcmp(LINES[i].stream, stream))
            out[n++] = &LINES[i];
    return n;
}

Test(encode, protobuf_unpacks_with_protobuf_c)
{
    ls_streams s;
    ls_batch b;
    fill(&s, &b);
    void *body;
    size_t len;
    aifb_err err;
    cr_assert_eq(ls_batch_encode(&b, &s, LS_FORMAT_PROTOBUF, &body, &len, &err), AIFB_OK);
    size_t raw_len;
    cr_assert_eq(snappy_uncompressed_length(body, len, &raw_len), SNAPPY_OK);
    char *raw = malloc(raw_len);
    cr_assert_eq(snappy_uncompress(body, len, raw, &raw_len), SNAPPY_OK);
    Logproto__PushRequest *req =
        logproto__push_request__unpack(NULL, raw_len, (const uint8_t *)raw);
    cr_assert_not_null(req, "protobuf-c cannot unpack the body");
    cr_assert_eq(req->n_streams, 2);
    const char *names[] = {"stdout", "stderr"};
    for (size_t k = 0; k < 2; k++) {
        Logproto__StreamAdapter *st = req->streams[k];
        char want_labels[128];
        snprintf(want_labels, sizeof want_labels, "{app=\"aifb\", run_id=\"r-1\", stream=\"%s\"}",
                 names[k]);
        cr_assert_str_eq(st->labels, want_labels);
        cr_assert_eq(st->hash, 0);
        const line *want[NLINES];
        size_t n = lines_of(names[k], want);
        cr_assert_eq(st->n_entries, n, "stream %s", names[k]);
        for (size_t i = 0; i < n; i++) {
            Logproto__EntryAdapter *e = st->entries[i];
            cr_assert_not_null(e->timestamp);
            cr_assert_eq(e->timestamp->seconds * 1000000000 + e->timestamp->nanos, want[i]->ts,
                         "stream %s entry %zu", names[k], i);
            cr_assert_str_eq(e->line, want[i]->want, "stream %s entry %zu", names[k], i);
            cr_assert_eq(e->n_structuredmetadata, 0);
        }
    }
    logproto__push_request__free_unpacked(req, NULL);
    free(raw);
    free(body);
    done(&s, &b);
}

Test(encode, json_parses_with_json_c)
{
    ls_streams s;
    ls_batch b;
    fill(&s, &b);
    ls_batch_add(&b, ls_streams_get(&s, "stderr"), 1795900003000000000, "nul\0ctl\x01", 8);
    void *body;
    size_t len;
    aifb_err err;
    cr_assert_eq(ls_batch_encode(&b, &s, LS_FORMAT_JSON, &body, &len, &err), AIFB_OK);
    cr_assert_eq(strlen(body), len);
    json_tokener *tok = json_tokener_new();
    json_object *doc = json_tokener_parse_ex(tok, body, (int)len);
    cr_assert_not_null(doc, "json-c: %s", json_tokener_error_desc(json_tokener_get_error(tok)));
    json_tokener_free(tok);
    json_object *streams;
    cr_assert(json_object_object_get_ex(doc, "streams", &streams));
    cr_assert_eq(json_object_array_length(streams), 2);
    const char *names[] = {"stdout", "stderr"};
    for (size_t k = 0; k < 2; k++) {
        json_object *st = json_object_array_get_idx(streams, k), *labels, *values, *v;
        cr_assert(json_object_object_get_ex(st, "stream", &labels));
        cr_assert_eq(json_object_object_length(labels), 3);
        cr_assert(json_object_object_get_ex(labels, "stream", &v));
        cr_assert_str_eq(json_object_get_string(v), names[k]);
        cr_assert(json_object_object_get_ex(labels, "run_id", &v));
        cr_assert_str_eq(json_object_get_string(v), "r-1");
        cr_assert(json_object_object_get_ex(st, "values", &values));
        const line *want[NLINES];
        size_t n = lines_of(names[k], want);
        cr_assert_eq(json_object_array_length(values), n + (k == 1));
        for (size_t i = 0; i < n; i++) {
            json_object *pair = json_object_array_get_idx(values, i);
            json_object *ts = json_object_array_get_idx(pair, 0);
            json_object *text = json_object_array_get_idx(pair, 1);
            cr_assert(json_object_is_type(ts, json_type_string), "the timestamp is a string");
            char want_ts[32];
            snprintf(want_ts, sizeof want_ts, "%lld", (long long)want[i]->ts);
            cr_assert_str_eq(json_object_get_string(ts), want_ts);
            cr_assert_str_eq(json_object_get_string(text), want[i]->want);
        }
        if (k == 1) {
            json_object *text = json_object_array_get_idx(json_object_array_get_idx(values, n), 1);
            cr_assert_eq(json_object_get_string_len(text), 8);
            cr_assert_arr_eq(json_object_get_string(text), "nul\0ctl\x01", 8);
        }
    }
    json_object_put(doc);
    free(body);
    done(&s, &b);
}

Test(encode, an_empty_batch_is_an_empty_request)
{
    ls_labels base = {0};
    ls_labels_set(&base, "app", "aifb", NULL);
    ls_streams s;
    ls_streams_init(&s, &base);
    ls_batch b = {0};
    void *body;
    size_t len;
    aifb_err err;
    cr_assert_eq(ls_batch_encode(&b, &s, LS_FORMAT_JSON, &body, &len, &err), AIFB_OK);
    cr_assert_str_eq(body, "{\"streams\":[]}");
    free(body);
    cr_assert_eq(ls_batch_encode(&b, &s, LS_FORMAT_PROTOBUF, &body, &len, &err), AIFB_OK);
    size_t raw_len = 99;
    cr_assert_eq(snappy_uncompressed_length(body, len, &raw_len), SNAPPY_OK);
    cr_assert_eq(raw_len, 0);
    free(body);
    ls_streams_free(&s);
}

Test(encode, clear_keeps_nothing_of_the_last_batch)
{
    ls_labels base = {0};
    ls_labels_set(&base, "app", "aifb", NULL);
    ls_streams s;
    ls_streams_init(&s, &base);
    ls_batch b = {0};
    ls_batch_add(&b, ls_streams_get(&s, "x"), 1, "first", 5);
    cr_assert_eq(ls_batch_bytes(&b), 5);
    ls_batch_clear(&b);
    cr_assert_eq(b.n, 0);
    cr_assert_eq(ls_batch_bytes(&b), 0);
    ls_batch_add(&b, ls_streams_get(&s, "x"), 2, "second", 6);
    void *body;
    size_t len;
    cr_assert_eq(ls_batch_encode(&b, &s, LS_FORMAT_JSON, &body, &len, NULL), AIFB_OK);
    cr_assert_str_eq(body, "{\"streams\":[{\"stream\":{\"app\":\"aifb\",\"stream\":\"x\"},"
                           "\"values\":[[\"2\",\"second\"]]}]}");
    free(body);
    ls_batch_free(&b);
    ls_streams_free(&s);
}
