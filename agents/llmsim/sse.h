/* sse.h: the bytes of a streamed answer: OpenAI-shaped `data: {json}\n\n` events, each framed as
 * one HTTP/1.1 chunk (or bare, for a close-delimited HTTP/1.0 stream).
 *
 * This is the hot path when every delay is zero, so nothing here allocates per token: a stream
 * keeps the JSON prefix every one of its events shares ("data: {\"id\":..., \"choices\":"), and a
 * chunk is that prefix, a fixed middle, the tokens and a fixed tail, copied into the connection's
 * output buffer after one capacity check. */
#ifndef AIFB_LLMSIM_SSE_H
#define AIFB_LLMSIM_SSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/util.h"

/* The text of one token: a short word with its leading space. */
#define SSE_TOKEN     " tok"
#define SSE_TOKEN_LEN 4

typedef enum sim_kind { SIM_CHAT = 0, SIM_COMPLETION, SIM_EMBEDDING } sim_kind;

typedef struct sse_stream {
    sim_kind kind; /* SIM_CHAT or SIM_COMPLETION */
    bool chunked;  /* frame each event as an HTTP chunk */
    size_t head_len;
    char head[1024]; /* `data: {"id":"...","object":"...","created":N,"model":"...","choices":` */
} sse_stream;

/* model_json is the model name as a JSON string literal, quotes included (at most ~800 bytes). */
void sse_stream_init(sse_stream *s, sim_kind kind, bool chunked, const char *id, int64_t created,
                     const char *model_json);
/* One content event with n tokens; first adds the chat role, last sets finish_reason "length". */
void sse_put_tokens(abuf *out, const sse_stream *s, uint64_t n, bool first, bool last);
/* The usage event: "choices": [] and the token counts. */
void sse_put_usage(abuf *out, const sse_stream *s, uint64_t prompt, uint64_t completion);
/* One data: line whose JSON is cut short (error injection). */
void sse_put_malformed(abuf *out, const sse_stream *s);
/* `data: [DONE]` and, when chunked, the last (empty) chunk that ends the body. */
void sse_put_done(abuf *out, const sse_stream *s);

#endif
