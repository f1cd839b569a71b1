/* workload.c: request bodies and response readers of each workload (see workload.h). */
#include "loadgen/workload.h"

#include "loadgen/chunkscan.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

static const char *path_of(lg_workload w)
{
    switch (w) {
    case LG_WL_CHAT:
        return "/v1/chat/completions";
    case LG_WL_COMPLETIONS:
        return "/v1/completions";
    case LG_WL_EMBEDDINGS:
        return "/v1/embeddings";
    default:
        return "";
    }
}

char *workload_url(const lg_opts *o)
{
    abuf b = {0};
    size_t n = strlen(o->url);
    while (n && o->url[n - 1] == '/' && o->workload != LG_WL_HTTP)
        n--;
    abuf_append(&b, o->url, n);
    if (o->workload == LG_WL_QDRANT)
        abuf_printf(&b, "/collections/%s/points/search", o->collection);
    else
        abuf_puts(&b, path_of(o->workload));
    return abuf_take(&b);
}

/* {{prompt}} -> the prompt as JSON string contents, {{id}}, {{n}}. */
static void fill_template(const char *t, const lg_item *it, const char *id, uint64_t n, abuf *b)
{
    while (*t) {
        if (!strncmp(t, "{{prompt}}", 10)) {
            abuf q = {0};
            abuf_json_str(&q, it->prompt ? it->prompt : "");
            abuf_append(b, q.p + 1, q.len - 2); /* without the quotes */
            abuf_free(&q);
            t += 10;
        } else if (!strncmp(t, "{{id}}", 6)) {
            abuf_puts(b, id);
            t += 6;
        } else if (!strncmp(t, "{{n}}", 5)) {
            abuf_printf(b, "%llu", (unsigned long long)n);
            t += 5;
        } else {
            abuf_putc(b, *t++);
        }
    }
}

/* The prompt as a JSON string: copied as it is when the dataset made it safe. */
static void prompt_json(const lg_item *it, abuf *b)
{
    if (it->json_safe) {
        abuf_reserve(b, it->prompt_len + 2);
        abuf_putc(b, '"');
        abuf_append(b, it->prompt, it->prompt_len);
        abuf_putc(b, '"');
    } else {
        abuf_json_str(b, it->prompt ? it->prompt : "");
    }
}

static void messages_of(const lg_item *it, abuf *b)
{
    if (it->messages_json) {
        abuf_puts(b, it->messages_json);
        return;
    }
    abuf_puts(b, "[{\"role\":\"user\",\"content\":");
    prompt_json(it, b);
    abuf_puts(b, "}]");
}

void workload_body(const lg_opts *o, const char *model, const lg_item *it, const char *id,
                   uint64_t n, rng *r, abuf *b)
{
    b->len = 0;
    if (b->p)
        b->p[0] = '\0';
    switch (o->workload) {
    case LG_WL_HTTP:
        if (o->body)
            fill_template(o->body, it, id, n, b);
        return;
    case LG_WL_QDRANT:
        abuf_puts(b, "{\"vector\":[");
        for (int i = 0; i < o->vector_dim; i++)
            abuf_printf(b, "%s%.4f", i ? "," : "", rng_uniform(r) * 2 - 1);
        abuf_puts(b, "],\"limit\":10}");
        return;
    case LG_WL_EMBEDDINGS:
        abuf_puts(b, "{\"model\":");
        abuf_json_str(b, model);
        abuf_puts(b, ",\"input\":");
        prompt_json(it, b);
        abuf_puts(b, "}");
        return;
    default:
        break;
    }
    abuf_puts(b, "{\"model\":");
    abuf_json_str(b, model);
    if (o->workload == LG_WL_CHAT) {
        abuf_puts(b, ",\"messages\":");
        messages_of(it, b);
    } else {
        abuf_puts(b, ",\"prompt\":");
        if (it->prompt) {
            prompt_json(it, b);
        } else { /* a chat item sent to /v1/completions: its message contents, joined */
            json_object *m = json_tokener_parse(it->messages_json);
            abuf joined = {0};
            for (size_t i = 0; m && i < json_object_array_length(m); i++) {
                json_object *c;
                if (json_object_object_get_ex(json_object_array_get_idx(m, i), "content", &c)) {
                    abuf_puts(&joined, i ? "\n" : "");
                    abuf_puts(&joined, json_object_get_string(c));
                }
            }
            abuf_json_str(b, joined.p ? joined.p : "");
            abuf_free(&joined);
            json_object_put(m);
        }
    }
    abuf_printf(b, ",\"max_tokens\":%lld", (long long)it->output_tokens);
    if (o->ignore_eos)
        abuf_puts(b, ",\"ignore_eos\":true");
    if (o->stream)
        abuf_puts(b, ",\"stream\":true,\"stream_options\":{\"include_usage\":true}");
    abuf_puts(b, "}");
}

static json_object *parse(json_tokener *tok, const char *s, size_t len)
{
    json_tokener_reset(tok);
    json_object *o = json_tokener_parse_ex(tok, s, (int)len);
    if (!o || json_tokener_get_error(tok) != json_tokener_success) {
        json_object_put(o);
        return NULL;
    }
    /* Trailing garbage after the object is malformed too. */
    if ((size_t)json_tokener_get_parse_end(tok) < len &&
        strspn(s + json_tokener_get_parse_end(tok), " \t\r\n") !=
            len - json_tokener_get_parse_end(tok)) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

static bool nonempty_string(json_object *o, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) &&
           json_object_get_string_len(v) > 0;
}

static void read_usage(json_object *o, lg_chunk *out)
{
    json_object *u, *v;
    if (!json_object_object_get_ex(o, "usage", &u) || !json_object_is_type(u, json_type_object))
        return;
    if (json_object_object_get_ex(u, "completion_tokens", &v) &&
        json_object_is_type(v, json_type_int)) {
        out->has_usage = true;
        out->completion_tokens = json_object_get_int64(v);
    }
    if (json_object_object_get_ex(u, "prompt_tokens", &v) && json_object_is_type(v, json_type_int))
        out->prompt_tokens = json_object_get_int64(v);
}

static bool error_object(json_object *o, lg_chunk *out)
{
    json_object *e, *m;
    if (!json_object_object_get_ex(o, "error", &e) || json_object_is_type(e, json_type_null))
        return false;
    out->error = true;
    const char *msg = json_object_is_type(e, json_type_string)      ? json_object_get_string(e)
                      : json_object_object_get_ex(e, "message", &m) ? json_object_get_string(m)
                                                                    : "an error object";
    snprintf(out->why, sizeof out->why, "the server reported: %.100s", msg);
    return true;
}

/* The slow path: a json-c tree, for the rare event that is an error (its message is wanted). */
static void read_event_tree(lg_workload w, json_tokener *tok, const char *data, size_t len,
                            lg_chunk *out)
{
    json_object *o = parse(tok, data, len);
    if (!o || !json_object_is_type(o, json_type_object)) {
        out->malformed = true;
        snprintf(out->why, sizeof out->why, "an event that is not a JSON object: %.60s", data);
        json_object_put(o);
        return;
    }
    if (!error_object(o, out)) {
        json_object *choices, *c0, *delta;
        if (json_object_object_get_ex(o, "choices", &choices) &&
            json_object_is_type(choices, json_type_array) &&
            json_object_array_length(choices) > 0) {
            c0 = json_object_array_get_idx(choices, 0);
            if (w == LG_WL_CHAT) {
                if (json_object_object_get_ex(c0, "delta", &delta))
                    out->content = nonempty_string(delta, "content") ||
                                   nonempty_string(delta, "reasoning_content") ||
                                   nonempty_string(delta, "reasoning");
            } else {
                out->content = nonempty_string(c0, "text");
            }
        } else if (!json_object_object_get_ex(o, "usage", &delta)) {
            out->malformed = true;
            snprintf(out->why, sizeof out->why, "an event with neither choices nor usage");
        }
        read_usage(o, out);
    }
    json_object_put(o);
}

void workload_read_event(lg_workload w, json_tokener *tok, const char *data, size_t len,
                         lg_chunk *out)
{
    memset(out, 0, sizeof *out);
    if (len == 6 && !memcmp(data, "[DONE]", 6)) {
        out->done = true;
        return;
    }
    chunk_scan cs;
    chunk_scan_event(data, len, &cs);
    if (!cs.valid) {
        out->malformed = true;
        snprintf(out->why, sizeof out->why, "an event that is not a JSON object: %.60s", data);
        return;
    }
    if (cs.error) {
        read_event_tree(w, tok, data, len, out);
        return;
    }
    out->content = cs.has_choices && cs.content;
    if (!cs.has_choices && !cs.has_usage) {
        out->malformed = true;
        snprintf(out->why, sizeof out->why, "an event with neither choices nor usage");
    }
    out->has_usage = cs.completion_tokens_set;
    out->completion_tokens = cs.completion_tokens;
    out->prompt_tokens = cs.prompt_tokens_set ? cs.prompt_tokens : 0;
}

void workload_read_body(lg_workload w, json_tokener *tok, const char *body, size_t len,
                        lg_chunk *out)
{
    memset(out, 0, sizeof *out);
    if (w == LG_WL_HTTP) /* any 2xx body will do */
        return;
    if (lg_workload_is_llm(w)) { /* the scanner, as for stream events; a tree only for errors */
        chunk_scan cs;
        chunk_scan_event(body, len, &cs);
        if (cs.valid && !cs.error) {
            if (!cs.has_choices) {
                out->malformed = true;
                snprintf(out->why, sizeof out->why, "a response without \"choices\"");
            }
            out->content = cs.content;
            out->has_usage = cs.completion_tokens_set;
            out->completion_tokens = cs.completion_tokens;
            out->prompt_tokens = cs.prompt_tokens_set ? cs.prompt_tokens : 0;
            return;
        }
    }
    json_object *o = parse(tok, body, len), *v;
    if (!o) {
        out->malformed = true;
        snprintf(out->why, sizeof out->why, "a response body that is not JSON: %.60s", body);
        return;
    }
    if (error_object(o, out)) {
        json_object_put(o);
        return;
    }
    const char *need = w == LG_WL_EMBEDDINGS ? "data" : w == LG_WL_QDRANT ? "result" : "choices";
    if (!json_object_object_get_ex(o, need, &v)) {
        out->malformed = true;
        snprintf(out->why, sizeof out->why, "a response without \"%s\"", need);
    } else if (lg_workload_is_llm(w)) {
        json_object *c0 = json_object_array_get_idx(v, 0), *msg;
        out->content =
            c0 &&
            ((json_object_object_get_ex(c0, "message", &msg) && nonempty_string(msg, "content")) ||
             nonempty_string(c0, "text"));
    }
    read_usage(o, out);
    json_object_put(o);
}
