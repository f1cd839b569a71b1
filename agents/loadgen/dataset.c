/* dataset.c: synthetic prompts and the JSONL and ShareGPT readers (see dataset.h). */
#include "loadgen/dataset.h"

#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Words that are a single token for GPT-2/GPT-4 and Llama tokenizers when preceded by a space. */
static const char *const vocab[] = {
    "the",   "of",    "and",   "to",    "in",    "is",    "that",  "for",   "it",    "as",
    "was",   "with",  "be",    "by",    "on",    "not",   "he",    "this",  "are",   "or",
    "his",   "from",  "at",    "which", "but",   "have",  "an",    "had",   "they",  "you",
    "were",  "their", "one",   "all",   "we",    "can",   "her",   "has",   "there", "been",
    "if",    "more",  "when",  "will",  "would", "who",   "so",    "no",    "time",  "about",
    "data",  "model", "world", "water", "light", "house", "music", "night", "river", "small",
    "large", "green", "stone", "paper", "story", "city",  "table", "field", "power", "order",
};
#define NVOCAB (sizeof vocab / sizeof vocab[0])

int64_t lg_len_draw(const lg_len *l, rng *r)
{
    double v = (double)l->n;
    if (l->dist == LG_LEN_UNIFORM && l->spread > 0)
        v = (double)rng_range(r, (int64_t)llround(l->n - l->spread),
                              (int64_t)llround(l->n + l->spread));
    else if (l->dist == LG_LEN_NORMAL && l->spread > 0)
        v = llround(rng_normal(r, (double)l->n, l->spread));
    return v < 1 ? 1 : (int64_t)v;
}

static const lg_item *synthetic_next(lg_dataset *d)
{
    static size_t lens[NVOCAB];
    if (!lens[0])
        for (size_t i = 0; i < NVOCAB; i++)
            lens[i] = strlen(vocab[i]);
    int64_t in = lg_len_draw(&d->o->input, &d->r);
    d->synth.len = 0;
    abuf_reserve(&d->synth, (size_t)in * 7);
    for (int64_t i = 0; i < in; i++) {
        size_t w = rng_next(&d->r) % NVOCAB;
        if (i)
            abuf_putc(&d->synth, ' ');
        abuf_append(&d->synth, vocab[w], lens[w]);
    }
    d->synth_item.prompt = d->synth.p;
    d->synth_item.prompt_len = d->synth.len;
    d->synth_item.json_safe = true; /* lowercase words and spaces */
    d->synth_item.messages_json = NULL;
    d->synth_item.input_tokens = in;
    d->synth_item.output_tokens = lg_len_draw(&d->o->output, &d->r);
    return &d->synth_item;
}

static int64_t estimate_tokens(const char *s)
{
    size_t n = strlen(s);
    return n < 4 ? 1 : (int64_t)((n + 3) / 4);
}

static void add_item(lg_dataset *d, char *prompt, char *messages, int64_t out)
{
    d->items = xrealloc(d->items, (d->n + 1) * sizeof *d->items);
    lg_item *it = &d->items[d->n++];
    it->prompt = prompt;
    it->messages_json = messages;
    it->input_tokens = 0;
    it->output_tokens = out;
}

/* The text of a messages array, for the input estimate. */
static int64_t messages_tokens(json_object *msgs)
{
    int64_t t = 0;
    for (size_t i = 0; i < json_object_array_length(msgs); i++) {
        json_object *m = json_object_array_get_idx(msgs, i), *c;
        if (json_object_object_get_ex(m, "content", &c) && json_object_is_type(c, json_type_string))
            t += estimate_tokens(json_object_get_string(c));
    }
    return t ? t : 1;
}

static aifb_code jsonl_line(lg_dataset *d, const char *line, size_t lineno, aifb_err *err)
{
    json_object *o = json_tokener_parse(line), *v;
    if (!o || !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        return aifb_err_set(err, AIFB_EINVAL, "%s:%zu: not a JSON object", d->o->dataset, lineno);
    }
    int64_t out = 0;
    if ((json_object_object_get_ex(o, "output_tokens", &v) ||
         json_object_object_get_ex(o, "max_tokens", &v)) &&
        json_object_is_type(v, json_type_int))
        out = json_object_get_int64(v);
    if (json_object_object_get_ex(o, "prompt", &v) && json_object_is_type(v, json_type_string)) {
        add_item(d, xstrdup(json_object_get_string(v)), NULL, out);
        d->items[d->n - 1].input_tokens = estimate_tokens(json_object_get_string(v));
    } else if (json_object_object_get_ex(o, "messages", &v) &&
               json_object_is_type(v, json_type_array) && json_object_array_length(v) > 0) {
        add_item(d, NULL, xstrdup(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN)), out);
        d->items[d->n - 1].input_tokens = messages_tokens(v);
    } else {
        json_object_put(o);
        return aifb_err_set(err, AIFB_EINVAL,
                            "%s:%zu: expected a \"prompt\" string or a \"messages\" array",
                            d->o->dataset, lineno);
    }
    json_object_put(o);
    return AIFB_OK;
}

static aifb_code load_jsonl(lg_dataset *d, char *text, aifb_err *err)
{
    size_t lineno = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        line += strspn(line, " \t\r");
        if (!*line)
            continue;
        if (jsonl_line(d, line, lineno, err))
            return AIFB_EINVAL;
    }
    return AIFB_OK;
}

static aifb_code load_sharegpt(lg_dataset *d, const char *text, aifb_err *err)
{
    json_object *root = json_tokener_parse(text);
    if (!root || !json_object_is_type(root, json_type_array)) {
        json_object_put(root);
        return aifb_err_set(err, AIFB_EINVAL, "%s: a ShareGPT file is one JSON array",
                            d->o->dataset);
    }
    for (size_t i = 0; i < json_object_array_length(root); i++) {
        json_object *conv, *e = json_object_array_get_idx(root, i);
        if (!json_object_object_get_ex(e, "conversations", &conv) ||
            !json_object_is_type(conv, json_type_array) || json_object_array_length(conv) < 2)
            continue; /* vLLM skips conversations with fewer than two turns too */
        json_object *q = json_object_array_get_idx(conv, 0),
                    *a = json_object_array_get_idx(conv, 1);
        json_object *qv, *av;
        if (!json_object_object_get_ex(q, "value", &qv) ||
            !json_object_object_get_ex(a, "value", &av) ||
            !json_object_is_type(qv, json_type_string) ||
            !json_object_is_type(av, json_type_string))
            continue;
        const char *prompt = json_object_get_string(qv);
        if (!*prompt)
            continue;
        add_item(d, xstrdup(prompt), NULL, estimate_tokens(json_object_get_string(av)));
        d->items[d->n - 1].input_tokens = estimate_tokens(prompt);
    }
    json_object_put(root);
    return AIFB_OK;
}

aifb_code dataset_open(lg_dataset *d, const lg_opts *o, aifb_err *err)
{
    memset(d, 0, sizeof *d);
    d->o = o;
    /* Tasks of one job draw different prompts from one seed. */
    rng_seed(&d->r, o->seed * 1000003u + (uint64_t)o->task_id);
    if (!o->dataset) {
        d->name = xstrdup("synthetic");
        d->format = xstrdup("synthetic");
        return AIFB_OK;
    }
    char *text = NULL;
    size_t len = 0;
    if (aifb_read_file(o->dataset, (size_t)4 << 30, &text, &len, err))
        return err ? err->code : AIFB_EINVAL;
    const char *fmt = o->dataset_format;
    if (!fmt) {
        size_t i = strspn(text, " \t\r\n");
        fmt = text[i] == '[' ? "sharegpt" : "jsonl";
    }
    aifb_code rc =
        !strcmp(fmt, "sharegpt") ? load_sharegpt(d, text, err) : load_jsonl(d, text, err);
    free(text);
    const char *base = strrchr(o->dataset, '/');
    d->name = xstrdup(base ? base + 1 : o->dataset);
    d->format = xstrdup(fmt);
    if (!rc && !d->n)
        rc = aifb_err_set(err, AIFB_EINVAL, "%s: no usable prompt in the file (format %s)",
                          o->dataset, fmt);
    if (rc) {
        dataset_close(d);
        return rc;
    }
    d->next = (size_t)o->task_id % d->n;
    return AIFB_OK;
}

const lg_item *dataset_next(lg_dataset *d)
{
    if (!d->n)
        return synthetic_next(d);
    lg_item *it = &d->items[d->next];
    d->next = (d->next + 1) % d->n;
    d->synth_item = *it;
    d->synth_item.json_safe = false;
    /* The file's length wins when it has one (ShareGPT's reply length, a line's max_tokens);
     * --output-tokens applies to the others. */
    if (!d->synth_item.output_tokens)
        d->synth_item.output_tokens = lg_len_draw(&d->o->output, &d->r);
    return &d->synth_item;
}

void dataset_close(lg_dataset *d)
{
    for (size_t i = 0; i < d->n; i++) {
        free(d->items[i].prompt);
        free(d->items[i].messages_json);
    }
    free(d->items);
    free(d->name);
    free(d->format);
    abuf_free(&d->synth);
    memset(d, 0, sizeof *d);
}
