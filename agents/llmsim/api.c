/* api.c: OpenAI request bodies in, response bodies out (see api.h).
 *
 * Field rules follow what vLLM's OpenAI server accepts: JSON null means "not given"; chat takes
 * max_completion_tokens before the older max_tokens; stream_options is refused without
 * "stream": true; n must be 1 (one choice is all the simulator writes). Embedding vectors are
 * uniform draws seeded by a hash of the input text, normalised to length 1, so the same text
 * always gets the same vector. */
#include "llmsim/api.h"

#include <ctype.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/rng.h"

uint64_t api_count_words(const char *s, size_t n)
{
    uint64_t words = 0;
    bool in_word = false;
    for (size_t i = 0; i < n; i++) {
        bool space = isspace((unsigned char)s[i]);
        if (!space && !in_word)
            words++;
        in_word = !space;
    }
    return words;
}

static int bad(aifb_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bad(aifb_err *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    aifb_err_vset(err, AIFB_EINVAL, fmt, ap);
    va_end(ap);
    return 400;
}

/* The body as a JSON object, or NULL with err set. */
static json_object *parse_body(const char *body, size_t len, aifb_err *err)
{
    if (!len) {
        bad(err, "the request body is empty: send a JSON object");
        return NULL;
    }
    json_tokener *tok = json_tokener_new();
    json_object *o = json_tokener_parse_ex(tok, body, (int)len);
    enum json_tokener_error e = json_tokener_get_error(tok);
    size_t used = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (!o || e != json_tokener_success) {
        bad(err, "the request body is not valid JSON: %s at byte %zu",
            json_tokener_error_desc(e == json_tokener_success ? json_tokener_continue : e), used);
        json_object_put(o);
        return NULL;
    }
    while (used < len && isspace((unsigned char)body[used]))
        used++;
    if (used < len) {
        bad(err, "the request body is not valid JSON: unexpected data at byte %zu", used);
        json_object_put(o);
        return NULL;
    }
    if (!json_object_is_type(o, json_type_object)) {
        bad(err, "the request body must be a JSON object");
        json_object_put(o);
        return NULL;
    }
    return o;
}

/* The field, or NULL when it is absent or null. */
static json_object *field(json_object *o, const char *name)
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(o, name, &v) || json_object_is_type(v, json_type_null))
        return NULL;
    return v;
}

/* A positive integer field (an integral double too, as Python clients may send 8.0). */
static int positive(json_object *o, const char *name, uint64_t *out, aifb_err *err)
{
    json_object *v = field(o, name);
    if (!v)
        return 0;
    if (json_object_is_type(v, json_type_int)) {
        int64_t x = json_object_get_int64(v);
        if (x >= 1) {
            *out = (uint64_t)x;
            return 0;
        }
    } else if (json_object_is_type(v, json_type_double)) {
        double x = json_object_get_double(v);
        if (x >= 1 && x <= 9e18 && x == floor(x)) {
            *out = (uint64_t)x;
            return 0;
        }
    }
    return bad(err, "'%s' must be a positive integer, not %s", name,
               json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
}

static int check_model(const api_ctx *ctx, json_object *req, aifb_err *err)
{
    json_object *m = field(req, "model");
    if (m && !json_object_is_type(m, json_type_string))
        return bad(err, "'model' must be a string");
    if (!ctx->strict_model)
        return 0;
    if (!m)
        return bad(err, "'model' is required");
    if (strcmp(json_object_get_string(m), ctx->model)) {
        aifb_err_set(err, AIFB_ENOTFOUND, "The model `%s` does not exist (this server has `%s`).",
                     json_object_get_string(m), ctx->model);
        return 404;
    }
    return 0;
}

static int read_stream(json_object *req, sim_request *out, aifb_err *err)
{
    json_object *s = field(req, "stream");
    if (s && !json_object_is_type(s, json_type_boolean))
        return bad(err, "'stream' must be true or false");
    out->stream = s && json_object_get_boolean(s);
    json_object *so = field(req, "stream_options");
    if (!so)
        return 0;
    if (!out->stream)
        return bad(err, "'stream_options' can only be given when 'stream' is true");
    if (!json_object_is_type(so, json_type_object))
        return bad(err, "'stream_options' must be an object");
    json_object *u = field(so, "include_usage");
    if (u && !json_object_is_type(u, json_type_boolean))
        return bad(err, "'stream_options.include_usage' must be true or false");
    out->include_usage = u && json_object_get_boolean(u);
    return 0;
}

/* Words of a message's content: a string, or an array of parts whose "text" strings count. */
static int content_words(json_object *content, size_t i, uint64_t *words, aifb_err *err)
{
    if (json_object_is_type(content, json_type_string)) {
        *words += api_count_words(json_object_get_string(content),
                                  (size_t)json_object_get_string_len(content));
        return 0;
    }
    if (!json_object_is_type(content, json_type_array))
        return bad(err, "'messages[%zu].content' must be a string or an array of parts", i);
    size_t n = json_object_array_length(content);
    for (size_t j = 0; j < n; j++) {
        json_object *part = json_object_array_get_idx(content, j);
        json_object *text =
            json_object_is_type(part, json_type_object) ? field(part, "text") : NULL;
        if (text && json_object_is_type(text, json_type_string))
            *words += api_count_words(json_object_get_string(text),
                                      (size_t)json_object_get_string_len(text));
    }
    return 0;
}

static int chat_prompt(json_object *req, uint64_t *words, aifb_err *err)
{
    json_object *msgs = field(req, "messages");
    if (!msgs)
        return bad(err, "'messages' is required");
    if (!json_object_is_type(msgs, json_type_array) || !json_object_array_length(msgs))
        return bad(err, "'messages' must be a non-empty array");
    size_t n = json_object_array_length(msgs);
    for (size_t i = 0; i < n; i++) {
        json_object *m = json_object_array_get_idx(msgs, i);
        if (!json_object_is_type(m, json_type_object))
            return bad(err, "'messages[%zu]' must be an object", i);
        json_object *role = field(m, "role");
        if (!role || !json_object_is_type(role, json_type_string))
            return bad(err, "'messages[%zu].role' is required (a string)", i);
        json_object *content = field(m, "content");
        int st = content ? content_words(content, i, words, err) : 0;
        if (st)
            return st;
    }
    return 0;
}

static int completion_prompt(json_object *req, uint64_t *words, aifb_err *err)
{
    json_object *p = field(req, "prompt");
    if (!p)
        return bad(err, "'prompt' is required");
    if (json_object_is_type(p, json_type_string)) {
        *words = api_count_words(json_object_get_string(p), (size_t)json_object_get_string_len(p));
        return 0;
    }
    size_t n = json_object_is_type(p, json_type_array) ? json_object_array_length(p) : 0;
    if (!n)
        return bad(err, "'prompt' must be a string, a list of token ids or a list of one string");
    json_object *first = json_object_array_get_idx(p, 0);
    if (json_object_is_type(first, json_type_string)) {
        if (n > 1)
            return bad(err, "'prompt' holds %zu prompts; send one prompt per request", n);
        *words = api_count_words(json_object_get_string(first),
                                 (size_t)json_object_get_string_len(first));
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        if (!json_object_is_type(json_object_array_get_idx(p, i), json_type_int))
            return bad(err,
                       "'prompt' must be a string, a list of token ids or a list of one string");
    *words = n;
    return 0;
}

static int read_generation(const api_ctx *ctx, sim_kind kind, json_object *req, sim_request *out,
                           aifb_err *err)
{
    int st = check_model(ctx, req, err);
    if (!st)
        st = read_stream(req, out, err);
    if (!st && kind == SIM_CHAT)
        st = chat_prompt(req, &out->prompt_tokens, err);
    if (!st && kind == SIM_COMPLETION)
        st = completion_prompt(req, &out->prompt_tokens, err);
    if (!st)
        st = positive(req, "max_tokens", &out->max_tokens, err);
    if (!st && kind == SIM_CHAT)
        st = positive(req, "max_completion_tokens", &out->max_tokens, err);
    uint64_t n = 1;
    if (!st)
        st = positive(req, "n", &n, err);
    if (!st && n != 1)
        st = bad(err, "'n' must be 1: the simulator writes one choice");
    return st;
}

int api_parse_generation(const api_ctx *ctx, sim_kind kind, const char *body, size_t len,
                         sim_request *out, aifb_err *err)
{
    memset(out, 0, sizeof *out);
    out->kind = kind;
    json_object *req = parse_body(body, len, err);
    if (!req)
        return 400;
    int st = read_generation(ctx, kind, req, out, err);
    json_object_put(req);
    return st;
}

/* "-0.123456": six decimals are plenty for a simulated vector and much faster than printf. */
static void put_fixed6(abuf *out, double x)
{
    long v = lround(x * 1e6);
    char buf[24], *w = buf + sizeof buf;
    bool neg = v < 0;
    unsigned long u = neg ? (unsigned long)-v : (unsigned long)v;
    for (int i = 0; i < 6; i++, u /= 10)
        *--w = (char)('0' + u % 10);
    *--w = '.';
    do {
        *--w = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (neg)
        *--w = '-';
    abuf_append(out, w, (size_t)(buf + sizeof buf - w));
}

static void put_vector(abuf *out, const char *text, size_t n, uint64_t dim, double *scratch)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)text[i]) * 0x100000001b3ULL;
    rng r;
    rng_seed(&r, h);
    double norm = 0;
    for (uint64_t i = 0; i < dim; i++) {
        scratch[i] = 2.0 * rng_uniform(&r) - 1.0;
        norm += scratch[i] * scratch[i];
    }
    norm = norm > 0 ? sqrt(norm) : 1;
    abuf_putc(out, '[');
    for (uint64_t i = 0; i < dim; i++) {
        if (i)
            abuf_putc(out, ',');
        put_fixed6(out, scratch[i] / norm);
    }
    abuf_putc(out, ']');
}

static int embedding_inputs(json_object *req, json_object **input, aifb_err *err)
{
    *input = field(req, "input");
    if (!*input)
        return bad(err, "'input' is required");
    if (json_object_is_type(*input, json_type_string))
        return 0;
    size_t n = json_object_is_type(*input, json_type_array) ? json_object_array_length(*input) : 0;
    if (!n)
        return bad(err, "'input' must be a string or a non-empty list of strings");
    for (size_t i = 0; i < n; i++)
        if (!json_object_is_type(json_object_array_get_idx(*input, i), json_type_string))
            return bad(err, "'input[%zu]' must be a string", i);
    return 0;
}

static int embedding_options(json_object *req, uint64_t *dim, aifb_err *err)
{
    json_object *fmt = field(req, "encoding_format");
    if (fmt && (!json_object_is_type(fmt, json_type_string) ||
                strcmp(json_object_get_string(fmt), "float")))
        return bad(err, "'encoding_format' %s is not supported: use \"float\"",
                   json_object_to_json_string_ext(fmt, JSON_C_TO_STRING_PLAIN));
    int st = positive(req, "dimensions", dim, err);
    if (!st && *dim > 65536)
        st = bad(err, "'dimensions' must be at most 65536");
    return st;
}

static void put_embeddings(abuf *out, json_object *input, uint64_t dim, uint64_t *words)
{
    bool one = json_object_is_type(input, json_type_string);
    size_t n = one ? 1 : json_object_array_length(input);
    double *scratch = xmalloc(dim * sizeof *scratch);
    for (size_t i = 0; i < n; i++) {
        json_object *s = one ? input : json_object_array_get_idx(input, i);
        const char *text = json_object_get_string(s);
        size_t len = (size_t)json_object_get_string_len(s);
        *words += api_count_words(text, len);
        abuf_printf(out, "%s{\"object\":\"embedding\",\"index\":%zu,\"embedding\":", i ? "," : "",
                    i);
        put_vector(out, text, len, dim, scratch);
        abuf_putc(out, '}');
    }
    free(scratch);
}

int api_embeddings(const api_ctx *ctx, const char *body, size_t len, const char *id,
                   int64_t created, abuf *out, uint64_t *prompt_tokens, aifb_err *err)
{
    json_object *req = parse_body(body, len, err), *input = NULL;
    if (!req)
        return 400;
    uint64_t dim = ctx->embedding_dim;
    int st = check_model(ctx, req, err);
    if (!st)
        st = embedding_inputs(req, &input, err);
    if (!st)
        st = embedding_options(req, &dim, err);
    if (!st) {
        *prompt_tokens = 0;
        abuf_printf(out,
                    "{\"id\":\"%s\",\"object\":\"list\",\"created\":%" PRId64
                    ",\"model\":%s,\"data\":[",
                    id, created, ctx->model_json);
        put_embeddings(out, input, dim, prompt_tokens);
        abuf_printf(out,
                    "],\"usage\":{\"prompt_tokens\":%" PRIu64 ",\"total_tokens\":%" PRIu64 "}}",
                    *prompt_tokens, *prompt_tokens);
    }
    json_object_put(req);
    return st;
}

void api_put_completion(abuf *out, sim_kind kind, const char *id, int64_t created,
                        const char *model_json, uint64_t ntok, uint64_t prompt_tokens)
{
    bool chat = kind == SIM_CHAT;
    abuf_printf(out, "{\"id\":\"%s\",\"object\":\"%s\",\"created\":%" PRId64 ",\"model\":%s,", id,
                chat ? "chat.completion" : "text_completion", created, model_json);
    abuf_puts(out,
              chat ? "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\""
                   : "\"choices\":[{\"index\":0,\"text\":\"");
    abuf_reserve(out, (size_t)ntok * SSE_TOKEN_LEN);
    for (uint64_t i = 0; i < ntok; i++)
        memcpy(out->p + out->len + i * SSE_TOKEN_LEN, SSE_TOKEN, SSE_TOKEN_LEN);
    out->len += (size_t)ntok * SSE_TOKEN_LEN;
    abuf_puts(out, chat ? "\"}," : "\",");
    abuf_printf(
        out,
        "\"logprobs\":null,\"finish_reason\":\"length\"}],\"usage\":{\"prompt_tokens\":%" PRIu64
        ",\"total_tokens\":%" PRIu64 ",\"completion_tokens\":%" PRIu64 "}}",
        prompt_tokens, prompt_tokens + ntok, ntok);
}

static const char *error_type(int status)
{
    switch (status) {
    case 404:
        return "not_found_error";
    case 429:
        return "rate_limit_error";
    default:
        return status >= 500 ? "server_error" : "invalid_request_error";
    }
}

void api_put_error(abuf *out, int status, const char *message)
{
    abuf_puts(out, "{\"error\":{\"message\":");
    abuf_json_str(out, message);
    abuf_printf(out, ",\"type\":\"%s\",\"param\":null,\"code\":%d}}", error_type(status), status);
}

void api_put_models(abuf *out, const char *model_json, int64_t created)
{
    abuf_printf(
        out,
        "{\"object\":\"list\",\"data\":[{\"id\":%s,\"object\":\"model\",\"created\":%" PRId64
        ",\"owned_by\":\"aifb\",\"root\":%s,\"parent\":null}]}",
        model_json, created, model_json);
}
