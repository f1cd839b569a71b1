/* api.h: the OpenAI request and response bodies aifb-llmsim understands and writes.
 *
 * Request bodies are read with json-c into the little the simulator needs (stream or not, how many
 * tokens, how many prompt tokens); anything wrong is a 400 whose message names the field.
 * Response bodies are written straight into a buffer. Prompt tokens are whitespace-separated
 * words: of the prompt (completions), of every message's text (chat), of each input (embeddings);
 * a prompt given as token ids counts its ids. */
#ifndef AIFB_LLMSIM_API_H
#define AIFB_LLMSIM_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/util.h"
#include "llmsim/sse.h"

typedef struct sim_request {
    sim_kind kind;
    bool stream;
    bool include_usage;  /* stream_options.include_usage */
    uint64_t max_tokens; /* 0: the request did not say */
    uint64_t prompt_tokens;
} sim_request;

/* What a generation request must match (strict_model: the "model" field must be this one). */
typedef struct api_ctx {
    const char *model;
    const char *model_json; /* model as a JSON string literal */
    bool strict_model;
    uint64_t embedding_dim;
} api_ctx;

/* Reads a /v1/chat/completions (SIM_CHAT) or /v1/completions (SIM_COMPLETION) body. 0 when it is
 * good, else the HTTP status to answer (400, or 404 for an unknown model) with err's message. */
int api_parse_generation(const api_ctx *ctx, sim_kind kind, const char *body, size_t len,
                         sim_request *out, aifb_err *err);
/* Reads a /v1/embeddings body and writes the whole answer into out; 0 or a status as above.
 * *prompt_tokens is the words of every input. */
int api_embeddings(const api_ctx *ctx, const char *body, size_t len, const char *id,
                   int64_t created, abuf *out, uint64_t *prompt_tokens, aifb_err *err);

/* The non-streamed answer of a generation request: ntok tokens, finish_reason "length", usage. */
void api_put_completion(abuf *out, sim_kind kind, const char *id, int64_t created,
                        const char *model_json, uint64_t ntok, uint64_t prompt_tokens);
/* {"error":{"message":...,"type":...,"param":null,"code":status}}. */
void api_put_error(abuf *out, int status, const char *message);
void api_put_models(abuf *out, const char *model_json, int64_t created);

/* Whitespace-separated words in s[0..n). */
uint64_t api_count_words(const char *s, size_t n);

#endif
