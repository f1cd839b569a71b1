/* chunkscan.h: reading one event of an OpenAI-compatible stream without building a JSON tree.
 *
 * A streamed answer is hundreds of small JSON objects per request; building and freeing a json-c
 * tree for each was most of the client's CPU. This single-pass scanner checks the whole event is
 * valid JSON (RFC 8259: strings, escapes, numbers, nesting up to 64 levels) and picks out only
 * what the load client needs: whether choices[0] carries generated text (delta.content,
 * delta.reasoning_content, delta.reasoning, the same in message for a whole answer, or text), the
 * usage counts, and whether the object is an error. */
#ifndef AIFB_LOADGEN_CHUNKSCAN_H
#define AIFB_LOADGEN_CHUNKSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct chunk_scan {
    bool valid;       /* one JSON object and nothing but white space after it */
    bool has_choices; /* "choices" is a non-empty array */
    bool content;     /* choices[0] carries generated text */
    bool has_usage;   /* "usage" is present (any value) */
    bool completion_tokens_set, prompt_tokens_set;
    int64_t completion_tokens, prompt_tokens;
    bool error; /* "error" is present and not null */
} chunk_scan;

/* Scans data[0..len) into *out. */
void chunk_scan_event(const char *data, size_t len, chunk_scan *out);

#endif
