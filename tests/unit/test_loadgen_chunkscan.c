/* The stream event scanner: what it reads from real chunk shapes (vLLM, OpenAI, Ollama), and that
 * anything that is not one valid JSON object is refused whole. */
#include <criterion/criterion.h>
#include <string.h>

#include "loadgen/chunkscan.h"

static chunk_scan scan(const char *s)
{
    chunk_scan c;
    chunk_scan_event(s, strlen(s), &c);
    return c;
}

Test(chunkscan, a_chat_delta_with_text_is_content)
{
    chunk_scan c =
        scan("{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,"
             "\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" tok\"},"
             "\"logprobs\":null,\"finish_reason\":null}]}");
    cr_assert(c.valid && c.has_choices && c.content && !c.has_usage && !c.error);
}

Test(chunkscan, a_role_only_or_empty_delta_is_not_content)
{
    cr_assert_not(
        scan("{\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}").content);
    cr_assert_not(scan("{\"choices\":[{\"delta\":{\"content\":null}}]}").content);
    cr_assert_not(scan("{\"choices\":[{\"delta\":{}}]}").content);
    cr_assert(scan("{\"choices\":[{\"delta\":{\"reasoning_content\":\"hm\"}}]}").content);
}

Test(chunkscan, a_completion_text_is_content_and_only_the_first_choice_counts)
{
    cr_assert(scan("{\"choices\":[{\"index\":0,\"text\":\"a\\\"b\\u00e9\"}]}").content);
    cr_assert_not(scan("{\"choices\":[{\"text\":\"\"},{\"text\":\"second\"}]}").content);
    /* a "content" key elsewhere is not generated text */
    cr_assert_not(scan("{\"choices\":[{\"x\":{\"content\":\"no\"}}],\"content\":\"no\"}").content);
}

Test(chunkscan, the_usage_chunk_gives_its_counts)
{
    chunk_scan c = scan("{\"id\":\"x\",\"choices\":[],\"usage\":{\"prompt_tokens\":12,"
                        "\"total_tokens\":76,\"completion_tokens\":64}}");
    cr_assert(c.valid && c.has_usage && !c.has_choices && !c.content);
    cr_assert(c.completion_tokens_set && c.prompt_tokens_set);
    cr_assert_eq(c.completion_tokens, 64);
    cr_assert_eq(c.prompt_tokens, 12);
    c = scan("{\"choices\":[{\"delta\":{\"content\":\"a\"}}],\"usage\":null}");
    cr_assert(c.content && c.has_usage && !c.completion_tokens_set);
}

Test(chunkscan, an_error_object_is_flagged_and_a_null_error_is_not)
{
    cr_assert(scan("{\"error\":{\"message\":\"overloaded\",\"code\":503}}").error);
    cr_assert_not(scan("{\"error\":null,\"choices\":[{\"text\":\"a\"}]}").error);
}

Test(chunkscan, anything_but_one_valid_object_is_refused)
{
    const char *bad[] = {
        "",
        "{not json",
        "{\"a\":1,}",
        "{\"a\" 1}",
        "[1,2]",
        "\"str\"",
        "{\"a\":01}",
        "{\"a\":1.}",
        "{\"a\":-}",
        "{\"a\":\"\\x\"}",
        "{\"a\":\"\\u12g4\"}",
        "{\"a\":\"tab\there\"}",
        "{\"a\":tru}",
        "{\"a\":1} {\"b\":2}",
        "{\"choices\":[{\"delta\":{\"content\":\"a\"}}]",
        "{\"choices\":[{\"delta\":{\"content\":\"a\"}}]}x",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        chunk_scan c = scan(bad[i]);
        cr_assert_not(c.valid, "accepted: %s", bad[i]);
        cr_assert_not(c.content, "content from: %s", bad[i]);
    }
    cr_assert(scan(" \r\n{\"a\":[1,-2.5e+3,true,false,null,{}]} \n").valid);
}

Test(chunkscan, nesting_deeper_than_64_levels_is_refused)
{
    char deep[200] = "{\"a\":";
    size_t n = strlen(deep);
    for (int i = 0; i < 70; i++)
        deep[n++] = '[';
    for (int i = 0; i < 70; i++)
        deep[n++] = ']';
    deep[n++] = '}';
    deep[n] = '\0';
    cr_assert_not(scan(deep).valid);
}

Test(chunkscan, a_cut_event_at_every_length_is_never_content)
{
    const char *ev =
        "{\"choices\":[{\"delta\":{\"content\":\"hello\"}}],\"usage\":{\"completion_tokens\":5}}";
    size_t n = strlen(ev);
    for (size_t i = 0; i < n; i++) {
        chunk_scan c;
        chunk_scan_event(ev, i, &c);
        cr_assert_not(c.valid, "a prefix of %zu bytes was accepted", i);
        cr_assert_not(c.content || c.has_usage);
    }
    chunk_scan c;
    chunk_scan_event(ev, n, &c);
    cr_assert(c.valid && c.content && c.completion_tokens == 5);
}

Test(chunkscan, a_whole_chat_answer_carries_its_content_in_message)
{
    chunk_scan c = scan("{\"id\":\"c\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,"
                        "\"message\":{\"role\":\"assistant\",\"content\":\"hello\"},"
                        "\"finish_reason\":\"length\"}],\"usage\":{\"prompt_tokens\":3,"
                        "\"completion_tokens\":8,\"total_tokens\":11}}");
    cr_assert(c.valid && c.has_choices && c.content && c.completion_tokens == 8);
}
