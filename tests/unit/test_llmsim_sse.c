/* test_llmsim_sse.c: what aifb-llmsim streams. The chunked framing is exact, every data: line of
 * a stream is a JSON object of OpenAI's chunk shape (chat and completions), the tokens add up,
 * only the last content chunk says finish_reason "length", the usage chunk has "choices": [], the
 * stream ends with [DONE] and the empty chunk; the injected malformed line is not JSON. */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "llmsim/sse.h"

/* Removes HTTP chunk framing, checking each size line against its data; *ended: the last chunk. */
static char *unchunk(const char *p, size_t len, bool *ended)
{
    abuf out = {0};
    size_t i = 0;
    *ended = false;
    while (i < len) {
        char *end;
        unsigned long n = strtoul(p + i, &end, 16);
        cr_assert_eq(end[0], '\r', "chunk size line at %zu", i);
        cr_assert_eq(end[1], '\n');
        i = (size_t)(end - p) + 2;
        if (n == 0) {
            cr_assert_eq(len - i, 2, "bytes after the last chunk");
            cr_assert_eq(memcmp(p + i, "\r\n", 2), 0);
            *ended = true;
            break;
        }
        cr_assert_leq(i + n + 2, len, "chunk of %lu runs past the end", n);
        abuf_append(&out, p + i, n);
        cr_assert_eq(memcmp(p + i + n, "\r\n", 2), 0, "chunk data not followed by CRLF");
        i += n + 2;
    }
    return abuf_take(&out);
}

/* Splits an event stream into the data of each event (each "data: X\n\n"); returns the count. */
static size_t events(char *text, char **data, size_t max)
{
    size_t n = 0;
    char *at = text;
    while (*at) {
        cr_assert_eq(strncmp(at, "data: ", 6), 0, "event does not start with 'data: ': %.40s", at);
        char *end = strstr(at, "\n\n");
        cr_assert(end, "event without its blank line");
        *end = '\0';
        cr_assert_lt(n, max);
        data[n++] = at + 6;
        at = end + 2;
    }
    return n;
}

static json_object *get(json_object *o, const char *path)
{
    char buf[128];
    strcpy(buf, path);
    for (char *k = strtok(buf, "."); k; k = strtok(NULL, ".")) {
        if (json_object_is_type(o, json_type_array))
            o = json_object_array_get_idx(o, (size_t)atoi(k));
        else if (!json_object_object_get_ex(o, k, &o))
            return NULL;
    }
    return o;
}

static const char *str(json_object *o, const char *path)
{
    json_object *v = get(o, path);
    return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* A stream of ntok tokens in chunks of k (as the scheduler sends them: the first alone). */
static char *stream_text(sim_kind kind, uint64_t ntok, uint64_t k, bool usage, bool *ended)
{
    sse_stream s;
    sse_stream_init(&s, kind, true, kind == SIM_CHAT ? "chatcmpl-1" : "cmpl-1", 1700000000,
                    "\"m\\\"odel\"");
    abuf out = {0};
    for (uint64_t sent = 0; sent < ntok;) {
        uint64_t n = sent == 0 ? 1 : (ntok - sent < k ? ntok - sent : k);
        sse_put_tokens(&out, &s, n, sent == 0, sent + n == ntok);
        sent += n;
    }
    if (usage)
        sse_put_usage(&out, &s, 12, ntok);
    sse_put_done(&out, &s);
    char *text = unchunk(out.p, out.len, ended);
    abuf_free(&out);
    return text;
}

static void check_stream(sim_kind kind, uint64_t ntok, uint64_t k)
{
    bool ended;
    char *text = stream_text(kind, ntok, k, true, &ended);
    cr_assert(ended, "no last chunk");
    char *data[64];
    size_t n = events(text, data, 64);
    size_t content = n - 2;
    cr_assert_str_eq(data[n - 1], "[DONE]");
    size_t tokens = 0;
    for (size_t i = 0; i < n - 1; i++) {
        json_object *o = json_tokener_parse(data[i]);
        cr_assert(o, "event %zu is not JSON: %s", i, data[i]);
        cr_assert_str_eq(str(o, "id"), kind == SIM_CHAT ? "chatcmpl-1" : "cmpl-1");
        cr_assert_str_eq(str(o, "object"),
                         kind == SIM_CHAT ? "chat.completion.chunk" : "text_completion");
        cr_assert_str_eq(str(o, "model"), "m\"odel");
        cr_assert_eq(json_object_get_int64(get(o, "created")), 1700000000);
        if (i == content) {
            cr_assert_eq(json_object_array_length(get(o, "choices")), 0);
            cr_assert_eq(json_object_get_int(get(o, "usage.prompt_tokens")), 12);
            cr_assert_eq(json_object_get_int64(get(o, "usage.completion_tokens")), (int64_t)ntok);
            cr_assert_eq(json_object_get_int64(get(o, "usage.total_tokens")), (int64_t)ntok + 12);
        } else {
            const char *t = str(o, kind == SIM_CHAT ? "choices.0.delta.content" : "choices.0.text");
            cr_assert(t, "event %zu has no content: %s", i, data[i]);
            tokens += strlen(t) / SSE_TOKEN_LEN;
            cr_assert_eq(strlen(t), (i == 0 ? 1 : (i == content - 1 ? strlen(t) / 4 : k)) * 4);
            const char *fr = str(o, "choices.0.finish_reason");
            if (i == content - 1)
                cr_assert_str_eq(fr, "length");
            else
                cr_assert_null(fr, "finish_reason before the last chunk");
            if (kind == SIM_CHAT && i == 0)
                cr_assert_str_eq(str(o, "choices.0.delta.role"), "assistant");
        }
        json_object_put(o);
    }
    cr_assert_eq(tokens, ntok);
    free(text);
}

Test(llmsim_sse, chat_chunks_parse_as_openai_chunks)
{
    check_stream(SIM_CHAT, 8, 1);
}

Test(llmsim_sse, completion_chunks_parse_as_openai_chunks)
{
    check_stream(SIM_COMPLETION, 8, 1);
}

Test(llmsim_sse, tokens_grouped_per_chunk_after_the_first)
{
    check_stream(SIM_CHAT, 11, 4); /* 1 + 4 + 4 + 2 */
    check_stream(SIM_COMPLETION, 2, 8);
    check_stream(SIM_CHAT, 1, 3);
}

Test(llmsim_sse, the_malformed_line_is_not_json)
{
    sse_stream s;
    sse_stream_init(&s, SIM_CHAT, false, "chatcmpl-1", 1, "\"m\"");
    abuf out = {0};
    sse_put_malformed(&out, &s);
    char *data[2];
    size_t n = events(out.p, data, 2);
    cr_assert_eq(n, 1);
    json_tokener *tok = json_tokener_new();
    json_object *o = json_tokener_parse_ex(tok, data[0], (int)strlen(data[0]));
    cr_assert_null(o, "the malformed line parsed: %s", data[0]);
    json_tokener_free(tok);
    abuf_free(&out);
}

Test(llmsim_sse, a_close_delimited_stream_has_no_framing)
{
    sse_stream s;
    sse_stream_init(&s, SIM_COMPLETION, false, "cmpl-1", 1, "\"m\"");
    abuf out = {0};
    sse_put_tokens(&out, &s, 1, true, true);
    sse_put_done(&out, &s);
    cr_assert_eq(strncmp(out.p, "data: {", 7), 0);
    cr_assert(strstr(out.p, "}\n\ndata: [DONE]\n\n"));
    cr_assert_eq(out.p[out.len - 1], '\n');
    cr_assert_null(strstr(out.p, "\r\n"));
    abuf_free(&out);
}
