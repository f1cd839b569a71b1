/* workload.h: what each workload sends and how its answers are read.
 *
 *   chat         POST <url>/v1/chat/completions  {"model","messages","max_tokens",...}
 *   completions  POST <url>/v1/completions       {"model","prompt","max_tokens",...}
 *   embeddings   POST <url>/v1/embeddings        {"model","input"}
 *   http         --method <url> with --body filled from the dataset ({{prompt}} as a JSON string's
 *                contents, {{id}} the request id, {{n}} the request's number)
 *   qdrant       POST <url>/collections/<name>/points/search  {"vector":[...],"limit":10}
 * Streaming requests ask for stream_options.include_usage so output tokens come from the server.
 * A workload reads chunks (streaming) or the whole body and says what they carried. */
#ifndef AIFB_LOADGEN_WORKLOAD_H
#define AIFB_LOADGEN_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/util.h"
#include "loadgen/dataset.h"
#include "loadgen/opts.h"

/* The full URL requests go to (malloc'd). */
char *workload_url(const lg_opts *o);

/* Writes the request body for one item into b (emptied first). id is the request's x-request-id,
 * n its number. */
void workload_body(const lg_opts *o, const char *model, const lg_item *it, const char *id,
                   uint64_t n, rng *r, abuf *b);

/* What one streamed event or a whole body carried. */
typedef struct lg_chunk {
    bool done;      /* data: [DONE] */
    bool content;   /* generated text (content, text or reasoning) */
    bool has_usage; /* usage with completion_tokens */
    int64_t prompt_tokens, completion_tokens;
    bool error;     /* an {"error": ...} object */
    bool malformed; /* not JSON, or not the API's shape */
    char why[128];  /* for error and malformed */
} lg_chunk;

typedef struct json_tokener json_tokener;

/* Reads one SSE event's data of an LLM stream. */
void workload_read_event(lg_workload w, json_tokener *tok, const char *data, size_t len,
                         lg_chunk *out);
/* Reads a whole 2xx response body. */
void workload_read_body(lg_workload w, json_tokener *tok, const char *body, size_t len,
                        lg_chunk *out);

#endif
