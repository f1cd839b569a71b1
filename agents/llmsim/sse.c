/* sse.c: streamed events in OpenAI's chunk shapes (see sse.h).
 *
 * Chat:        {"id","object":"chat.completion.chunk","created","model",
 *               "choices":[{"index":0,"delta":{"role"?,"content"},"logprobs":null,
 *               "finish_reason":null|"length"}]}
 * Completions: {"id","object":"text_completion",...,"choices":[{"index":0,"text",
 *               "logprobs":null,"finish_reason":...}]}
 * The usage event has "choices":[] and "usage":{prompt_tokens, completion_tokens, total_tokens},
 * as OpenAI sends it when stream_options.include_usage is true. */
#include "llmsim/sse.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define LIT(s) s, sizeof(s) - 1

static const char CHAT_MID_FIRST[] =
    "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"";
static const char CHAT_MID[] = "[{\"index\":0,\"delta\":{\"content\":\"";
static const char CHAT_TAIL[] = "\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n";
static const char CHAT_TAIL_LAST[] = "\"},\"logprobs\":null,\"finish_reason\":\"length\"}]}\n\n";
static const char TEXT_MID[] = "[{\"index\":0,\"text\":\"";
static const char TEXT_TAIL[] = "\",\"logprobs\":null,\"finish_reason\":null}]}\n\n";
static const char TEXT_TAIL_LAST[] = "\",\"logprobs\":null,\"finish_reason\":\"length\"}]}\n\n";

void sse_stream_init(sse_stream *s, sim_kind kind, bool chunked, const char *id, int64_t created,
                     const char *model_json)
{
    s->kind = kind;
    s->chunked = chunked;
    int n = snprintf(
        s->head, sizeof s->head,
        "data: {\"id\":\"%s\",\"object\":\"%s\",\"created\":%" PRId64 ",\"model\":%s,\"choices\":",
        id, kind == SIM_CHAT ? "chat.completion.chunk" : "text_completion", created, model_json);
    s->head_len = n < 0 ? 0 : (size_t)n < sizeof s->head ? (size_t)n : sizeof s->head - 1;
}

static char *put(char *w, const char *s, size_t n)
{
    memcpy(w, s, n);
    return w + n;
}

/* Writes the chunk-size line of an HTTP chunk of n bytes; returns the end. */
static char *chunk_start(char *w, size_t n)
{
    char hex[16];
    int i = 0;
    do {
        hex[i++] = "0123456789abcdef"[n & 15];
        n >>= 4;
    } while (n);
    while (i)
        *w++ = hex[--i];
    *w++ = '\r';
    *w++ = '\n';
    return w;
}

/* Appends one event made of head + parts; framed as a chunk when the stream is chunked. */
static void put_event(abuf *out, const sse_stream *s, const char *mid, size_t mid_len,
                      uint64_t ntok, const char *tail, size_t tail_len)
{
    size_t body = s->head_len + mid_len + (size_t)ntok * SSE_TOKEN_LEN + tail_len;
    abuf_reserve(out, body + 24);
    char *w = out->p + out->len;
    if (s->chunked)
        w = chunk_start(w, body);
    w = put(w, s->head, s->head_len);
    w = put(w, mid, mid_len);
    for (uint64_t i = 0; i < ntok; i++)
        w = put(w, SSE_TOKEN, SSE_TOKEN_LEN);
    w = put(w, tail, tail_len);
    if (s->chunked)
        w = put(w, "\r\n", 2);
    out->len = (size_t)(w - out->p);
    out->p[out->len] = '\0';
}

void sse_put_tokens(abuf *out, const sse_stream *s, uint64_t n, bool first, bool last)
{
    if (s->kind == SIM_CHAT) {
        if (first)
            put_event(out, s, LIT(CHAT_MID_FIRST), n, last ? CHAT_TAIL_LAST : CHAT_TAIL,
                      last ? sizeof CHAT_TAIL_LAST - 1 : sizeof CHAT_TAIL - 1);
        else
            put_event(out, s, LIT(CHAT_MID), n, last ? CHAT_TAIL_LAST : CHAT_TAIL,
                      last ? sizeof CHAT_TAIL_LAST - 1 : sizeof CHAT_TAIL - 1);
    } else {
        put_event(out, s, LIT(TEXT_MID), n, last ? TEXT_TAIL_LAST : TEXT_TAIL,
                  last ? sizeof TEXT_TAIL_LAST - 1 : sizeof TEXT_TAIL - 1);
    }
}

void sse_put_usage(abuf *out, const sse_stream *s, uint64_t prompt, uint64_t completion)
{
    char tail[160];
    int n = snprintf(tail, sizeof tail,
                     "[],\"usage\":{\"prompt_tokens\":%" PRIu64 ",\"total_tokens\":%" PRIu64
                     ",\"completion_tokens\":%" PRIu64 "}}\n\n",
                     prompt, prompt + completion, completion);
    put_event(out, s, "", 0, 0, tail, (size_t)n);
}

void sse_put_malformed(abuf *out, const sse_stream *s)
{
    /* The object and the string are never closed: a client's JSON parser must refuse it. */
    if (s->kind == SIM_CHAT)
        put_event(out, s, LIT(CHAT_MID), 1, LIT("\n\n"));
    else
        put_event(out, s, LIT(TEXT_MID), 1, LIT("\n\n"));
}

void sse_put_done(abuf *out, const sse_stream *s)
{
    static const char done[] = "data: [DONE]\n\n";
    if (s->chunked) {
        static const char framed[] = "e\r\ndata: [DONE]\n\n\r\n0\r\n\r\n";
        abuf_append(out, framed, sizeof framed - 1);
    } else {
        abuf_append(out, done, sizeof done - 1);
    }
}
