/* Synthetic prompts and the request bodies made from them: lengths as asked, reproducible from the
 * seed, and bodies that are valid JSON carrying the prompt and max_tokens. */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "loadgen/dataset.h"
#include "loadgen/workload.h"

static lg_opts synth_opts(lg_len in, lg_len out)
{
    lg_opts o = {0};
    o.workload = LG_WL_CHAT;
    o.input = in;
    o.output = out;
    o.seed = 42;
    o.ntasks = 1;
    return o;
}

static size_t words(const char *s)
{
    size_t n = 0;
    for (const char *p = s; *p; p++)
        n += (p == s || p[-1] == ' ') && *p != ' ';
    return n;
}

Test(dataset, synthetic_prompts_have_the_asked_lengths_and_repeat_with_the_seed)
{
    lg_opts o =
        synth_opts((lg_len){.n = 50, .dist = LG_LEN_UNIFORM, .spread = 10}, (lg_len){.n = 64});
    lg_dataset a, b;
    cr_assert_eq(dataset_open(&a, &o, NULL), AIFB_OK);
    cr_assert_eq(dataset_open(&b, &o, NULL), AIFB_OK);
    for (int i = 0; i < 200; i++) {
        const lg_item *x = dataset_next(&a);
        size_t n = words(x->prompt);
        cr_assert(n >= 40 && n <= 60, "%zu words", n);
        cr_assert_eq((int64_t)n, x->input_tokens);
        cr_assert_eq(x->output_tokens, 64);
        cr_assert_eq(strlen(x->prompt), x->prompt_len);
        char *copy = strdup(x->prompt);
        const lg_item *y = dataset_next(&b);
        cr_assert_str_eq(copy, y->prompt);
        free(copy);
    }
    dataset_close(&a);
    dataset_close(&b);
}

Test(dataset, a_chat_body_is_json_with_the_prompt_and_max_tokens)
{
    lg_opts o = synth_opts((lg_len){.n = 8}, (lg_len){.n = 5});
    o.stream = true;
    lg_dataset d;
    cr_assert_eq(dataset_open(&d, &o, NULL), AIFB_OK);
    const lg_item *it = dataset_next(&d);
    abuf b = {0};
    rng r;
    rng_seed(&r, 1);
    workload_body(&o, "m", it, "id-1", 1, &r, &b);
    json_object *j = json_tokener_parse(b.p), *v, *msgs;
    cr_assert_not_null(j, "%s", b.p);
    cr_assert(json_object_object_get_ex(j, "max_tokens", &v) && json_object_get_int(v) == 5);
    cr_assert(json_object_object_get_ex(j, "messages", &msgs));
    json_object *content;
    cr_assert(json_object_object_get_ex(json_object_array_get_idx(msgs, 0), "content", &content));
    cr_assert_str_eq(json_object_get_string(content), it->prompt);
    cr_assert(json_object_object_get_ex(j, "stream_options", &v));
    json_object_put(j);
    abuf_free(&b);
    dataset_close(&d);
}

Test(dataset, a_prompt_with_quotes_from_a_file_is_escaped)
{
    lg_opts o = synth_opts((lg_len){.n = 8}, (lg_len){.n = 5});
    lg_item it = {.prompt = "say \"hi\"\n\\", .output_tokens = 3};
    abuf b = {0};
    rng r;
    rng_seed(&r, 1);
    o.workload = LG_WL_COMPLETIONS;
    workload_body(&o, "m", &it, "id-1", 1, &r, &b);
    json_object *j = json_tokener_parse(b.p), *v;
    cr_assert_not_null(j, "%s", b.p);
    cr_assert(json_object_object_get_ex(j, "prompt", &v));
    cr_assert_str_eq(json_object_get_string(v), "say \"hi\"\n\\");
    json_object_put(j);
    abuf_free(&b);
}
