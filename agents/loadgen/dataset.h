/* dataset.h: the prompts aifb-loadgen sends.
 *
 *   synthetic  (no --dataset) prompts of words drawn from a fixed vocabulary of common English
 *              words, each about one token for the usual tokenizers, with input and output
 *              lengths drawn from fixed, uniform or normal distributions; seeded, so the same
 *              seed gives the same prompts.
 *   jsonl      one JSON object per line: {"prompt": "..."} or {"messages": [...]} (OpenAI chat
 *              messages), optionally "output_tokens" or "max_tokens".
 *   sharegpt   a JSON array of {"conversations": [{"from": "human", "value": ...},
 *              {"from": "gpt", "value": ...}, ...]}: the first human turn is the prompt, the
 *              reply's length (about 4 characters per token) the output length, as vLLM's bench
 *              takes it.
 * Items of a file are used in order, wrapping around; task I of N starts at item I so the tasks of
 * one Slurm job do not send the same prompts in step. */
#ifndef AIFB_LOADGEN_DATASET_H
#define AIFB_LOADGEN_DATASET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/util.h"
#include "core/rng.h"
#include "loadgen/opts.h"

typedef struct lg_item {
    char *prompt;          /* the prompt text, or NULL when messages is set */
    char *messages_json;   /* a JSON array of chat messages, or NULL */
    int64_t input_tokens;  /* estimated */
    int64_t output_tokens; /* requested (max_tokens) */
    bool json_safe;        /* the prompt needs no escaping in a JSON string (synthetic ones) */
    size_t prompt_len;     /* strlen(prompt) when json_safe */
} lg_item;

typedef struct lg_dataset {
    const lg_opts *o;
    lg_item *items; /* file datasets */
    size_t n, next;
    char *name; /* "synthetic", or the file's base name */
    char *format;
    rng r;      /* synthetic prompts and length draws */
    abuf synth; /* the synthetic prompt being handed out */
    lg_item synth_item;
} lg_dataset;

/* Opens the dataset the options name (reads and checks a whole file). AIFB_EINVAL naming the file,
 * the line and the problem when a file is not in the format. */
aifb_code dataset_open(lg_dataset *d, const lg_opts *o, aifb_err *err);
/* The next item. The pointer stays valid until the next call. */
const lg_item *dataset_next(lg_dataset *d);
void dataset_close(lg_dataset *d);

/* Draws a length from a distribution (at least 1). */
int64_t lg_len_draw(const lg_len *l, rng *r);

#endif
