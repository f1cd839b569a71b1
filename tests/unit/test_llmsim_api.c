/* test_llmsim_api.c: the OpenAI request bodies aifb-llmsim reads: what a good request yields
 * (stream, usage, max tokens, prompt words), the 400s and 404s a bad one gets with the field
 * named, and the answers it writes (non-streamed bodies, errors, embeddings) as valid JSON. */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <string.h>

#include "llmsim/api.h"

static const api_ctx CTX = {.model = "sim", .model_json = "\"sim\"", .embedding_dim = 8};
static const api_ctx STRICT = {
    .model = "sim", .model_json = "\"sim\"", .strict_model = true, .embedding_dim = 8};

static int parse(const api_ctx *ctx, sim_kind kind, const char *body, sim_request *q, aifb_err *err)
{
    return api_parse_generation(ctx, kind, body, strlen(body), q, err);
}

Test(llmsim_api, prompt_tokens_are_whitespace_separated_words)
{
    cr_assert_eq(api_count_words("", 0), 0);
    cr_assert_eq(api_count_words("  one\ttwo\n three  ", 18), 3);
    cr_assert_eq(api_count_words("héllo wörld", strlen("héllo wörld")), 2);
}

Test(llmsim_api, a_streamed_chat_request)
{
    sim_request q;
    aifb_err err = {0};
    const char *body =
        "{\"model\":\"x\",\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},"
        "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"a b c\"},"
        "{\"type\":\"image_url\",\"image_url\":{\"url\":\"x\"}}]}],"
        "\"max_tokens\":8,\"max_completion_tokens\":9,\"stream\":true,"
        "\"stream_options\":{\"include_usage\":true},\"temperature\":0.5}";
    cr_assert_eq(parse(&CTX, SIM_CHAT, body, &q, &err), 0, "%s", err.msg);
    cr_assert(q.stream);
    cr_assert(q.include_usage);
    cr_assert_eq(q.max_tokens, 9, "max_completion_tokens comes before max_tokens");
    cr_assert_eq(q.prompt_tokens, 5);
}

Test(llmsim_api, a_completions_request_and_its_prompt_forms)
{
    sim_request q;
    aifb_err err = {0};
    cr_assert_eq(
        parse(&CTX, SIM_COMPLETION, "{\"prompt\":\"one two\",\"max_tokens\":null}", &q, &err), 0,
        "%s", err.msg);
    cr_assert(!q.stream);
    cr_assert_eq(q.max_tokens, 0, "null is not given");
    cr_assert_eq(q.prompt_tokens, 2);
    cr_assert_eq(parse(&CTX, SIM_COMPLETION, "{\"prompt\":[1,2,3,4],\"max_tokens\":4.0}", &q, &err),
                 0, "%s", err.msg);
    cr_assert_eq(q.prompt_tokens, 4, "token ids count one each");
    cr_assert_eq(q.max_tokens, 4);
    cr_assert_eq(parse(&CTX, SIM_COMPLETION, "{\"prompt\":[\"a b c\"]}", &q, &err), 0);
    cr_assert_eq(q.prompt_tokens, 3);
}

Test(llmsim_api, bad_requests_name_the_field)
{
    struct {
        sim_kind kind;
        const char *body;
        int status;
        const char *words;
    } cases[] = {
        {SIM_CHAT, "", 400, "empty"},
        {SIM_CHAT, "{\"messages\":", 400, "not valid JSON"},
        {SIM_CHAT, "{} {}", 400, "not valid JSON"},
        {SIM_CHAT, "[1]", 400, "JSON object"},
        {SIM_CHAT, "{}", 400, "'messages' is required"},
        {SIM_CHAT, "{\"messages\":[]}", 400, "non-empty"},
        {SIM_CHAT, "{\"messages\":[{\"content\":\"x\"}]}", 400, "messages[0].role"},
        {SIM_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":5}]}", 400,
         "messages[0].content"},
        {SIM_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":0}", 400,
         "'max_tokens' must be a positive integer, not 0"},
        {SIM_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":\"8\"}",
         400, "'max_tokens'"},
        {SIM_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stream\":\"yes\"}", 400,
         "'stream'"},
        {SIM_CHAT,
         "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
         "\"stream_options\":{\"include_usage\":true}}",
         400, "'stream_options' can only be given when 'stream' is true"},
        {SIM_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"n\":2}", 400, "'n'"},
        {SIM_COMPLETION, "{}", 400, "'prompt' is required"},
        {SIM_COMPLETION, "{\"prompt\":[\"a\",\"b\"]}", 400, "2 prompts"},
        {SIM_COMPLETION, "{\"prompt\":{}}", 400, "'prompt' must be"},
        {SIM_COMPLETION, "{\"prompt\":\"x\",\"model\":7}", 400, "'model' must be a string"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sim_request q;
        aifb_err err = {0};
        int st = parse(&CTX, cases[i].kind, cases[i].body, &q, &err);
        cr_assert_eq(st, cases[i].status, "%s: %d %s", cases[i].body, st, err.msg);
        cr_assert(strstr(err.msg, cases[i].words), "%s: '%s' lacks '%s'", cases[i].body, err.msg,
                  cases[i].words);
    }
}

Test(llmsim_api, strict_model_refuses_another_model_with_404)
{
    sim_request q;
    aifb_err err = {0};
    cr_assert_eq(parse(&STRICT, SIM_COMPLETION, "{\"prompt\":\"x\",\"model\":\"other\"}", &q, &err),
                 404);
    cr_assert(strstr(err.msg, "`other` does not exist"), "%s", err.msg);
    cr_assert_eq(parse(&STRICT, SIM_COMPLETION, "{\"prompt\":\"x\",\"model\":\"sim\"}", &q, &err),
                 0);
    cr_assert_eq(parse(&CTX, SIM_COMPLETION, "{\"prompt\":\"x\",\"model\":\"other\"}", &q, &err), 0,
                 "without --strict-model any model is served");
}

static json_object *parse_json(const abuf *b)
{
    json_object *o = json_tokener_parse(b->p);
    cr_assert(o, "not JSON: %s", b->p);
    return o;
}

Test(llmsim_api, non_streamed_answers_have_openai_shapes)
{
    abuf b = {0};
    api_put_completion(&b, SIM_CHAT, "chatcmpl-1", 5, "\"sim\"", 3, 2);
    json_object *o = parse_json(&b),
                *choice = json_object_array_get_idx(json_object_object_get(o, "choices"), 0),
                *msg = json_object_object_get(choice, "message");
    cr_assert_str_eq(json_object_get_string(json_object_object_get(o, "object")),
                     "chat.completion");
    cr_assert_str_eq(json_object_get_string(json_object_object_get(msg, "content")),
                     " tok tok tok");
    cr_assert_str_eq(json_object_get_string(json_object_object_get(msg, "role")), "assistant");
    cr_assert_str_eq(json_object_get_string(json_object_object_get(choice, "finish_reason")),
                     "length");
    json_object *usage = json_object_object_get(o, "usage");
    cr_assert_eq(json_object_get_int(json_object_object_get(usage, "total_tokens")), 5);
    json_object_put(o);
    b.len = 0;
    api_put_completion(&b, SIM_COMPLETION, "cmpl-1", 5, "\"sim\"", 1, 0);
    o = parse_json(&b);
    choice = json_object_array_get_idx(json_object_object_get(o, "choices"), 0);
    cr_assert_str_eq(json_object_get_string(json_object_object_get(choice, "text")), " tok");
    json_object_put(o);
    b.len = 0;
    api_put_error(&b, 400, "bad \"thing\"");
    o = parse_json(&b);
    json_object *e = json_object_object_get(o, "error");
    cr_assert_str_eq(json_object_get_string(json_object_object_get(e, "message")), "bad \"thing\"");
    cr_assert_str_eq(json_object_get_string(json_object_object_get(e, "type")),
                     "invalid_request_error");
    cr_assert_eq(json_object_get_int(json_object_object_get(e, "code")), 400);
    json_object_put(o);
    abuf_free(&b);
}

static json_object *embed(const char *body)
{
    abuf b = {0};
    uint64_t words = 0;
    aifb_err err = {0};
    cr_assert_eq(api_embeddings(&CTX, body, strlen(body), "embd-1", 5, &b, &words, &err), 0, "%s",
                 err.msg);
    json_object *o = parse_json(&b);
    abuf_free(&b);
    return o;
}

static double component(json_object *o, size_t item, size_t i)
{
    json_object *d = json_object_array_get_idx(json_object_object_get(o, "data"), item);
    return json_object_get_double(
        json_object_array_get_idx(json_object_object_get(d, "embedding"), i));
}

Test(llmsim_api, embeddings_are_unit_vectors_fixed_by_their_text)
{
    json_object *a = embed("{\"input\":[\"same text\",\"other\"]}");
    json_object *b = embed("{\"input\":\"same text\",\"model\":\"sim\"}");
    cr_assert_eq(json_object_array_length(json_object_object_get(a, "data")), 2);
    double norm = 0;
    for (size_t i = 0; i < 8; i++) {
        cr_assert_float_eq(component(a, 0, i), component(b, 0, i), 1e-9, "same text, same vector");
        norm += component(a, 0, i) * component(a, 0, i);
    }
    cr_assert_float_eq(norm, 1.0, 1e-4);
    cr_assert_neq(component(a, 0, 0), component(a, 1, 0));
    json_object *usage = json_object_object_get(a, "usage");
    cr_assert_eq(json_object_get_int(json_object_object_get(usage, "prompt_tokens")), 3);
    json_object_put(a);
    json_object_put(b);
    json_object *c = embed("{\"input\":\"x\",\"dimensions\":3}");
    json_object *d = json_object_array_get_idx(json_object_object_get(c, "data"), 0);
    cr_assert_eq(json_object_array_length(json_object_object_get(d, "embedding")), 3);
    json_object_put(c);
}

Test(llmsim_api, bad_embedding_requests_name_the_field)
{
    const char *bodies[] = {"{}", "{\"input\":[]}", "{\"input\":[\"a\",3]}",
                            "{\"input\":\"a\",\"encoding_format\":\"base64\"}"};
    const char *words[] = {"'input' is required", "non-empty", "'input[1]'", "base64"};
    for (size_t i = 0; i < 4; i++) {
        abuf b = {0};
        uint64_t w;
        aifb_err err = {0};
        cr_assert_eq(api_embeddings(&CTX, bodies[i], strlen(bodies[i]), "e", 1, &b, &w, &err), 400);
        cr_assert(strstr(err.msg, words[i]), "%s: %s", bodies[i], err.msg);
        abuf_free(&b);
    }
}
