/* The SSE parser gives the same events however the network splits the stream. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "loadgen/sse.h"

typedef struct seen {
    char events[16][256];
    char types[16][32];
    int n;
} seen;

static bool collect(void *ud, const char *event, const char *data, size_t len)
{
    seen *s = ud;
    cr_assert_lt(s->n, 16);
    cr_assert_eq(strlen(data), len);
    snprintf(s->events[s->n], sizeof s->events[0], "%s", data);
    snprintf(s->types[s->n], sizeof s->types[0], "%s", event);
    s->n++;
    return true;
}

static void feed_split(const char *stream, size_t at, seen *out)
{
    sse_parser p;
    sse_init(&p, 0);
    memset(out, 0, sizeof *out);
    size_t n = strlen(stream);
    cr_assert_eq(sse_feed(&p, stream, at, collect, out), SSE_OK);
    cr_assert_eq(sse_feed(&p, stream + at, n - at, collect, out), SSE_OK);
    sse_free(&p);
}

static const char *openai_stream = ": keep-alive comment\r\n"
                                   "data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\r\n\r\n"
                                   "data: {\"choices\":[{\"delta\":{\"content\":\"lo\"}}]}\n\n"
                                   "event: update\r"
                                   "data: line one\r"
                                   "data:line two\r\r"
                                   "data: [DONE]\n\n";

Test(sse, an_event_split_at_every_byte_position_gives_the_same_events)
{
    for (size_t at = 0; at <= strlen(openai_stream); at++) {
        seen s;
        feed_split(openai_stream, at, &s);
        cr_assert_eq(s.n, 4, "split at %zu: %d events", at, s.n);
        cr_assert_str_eq(s.events[0], "{\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}");
        cr_assert_str_eq(s.events[1], "{\"choices\":[{\"delta\":{\"content\":\"lo\"}}]}");
        cr_assert_str_eq(s.events[2], "line one\nline two", "split at %zu", at);
        cr_assert_str_eq(s.types[2], "update");
        cr_assert_str_eq(s.types[3], "message");
        cr_assert_str_eq(s.events[3], "[DONE]");
    }
}

Test(sse, byte_by_byte_gives_the_same_events_and_counts_comments)
{
    sse_parser p;
    sse_init(&p, 0);
    seen s = {0};
    for (const char *c = openai_stream; *c; c++)
        cr_assert_eq(sse_feed(&p, c, 1, collect, &s), SSE_OK);
    cr_assert_eq(s.n, 4);
    cr_assert_eq(p.comments, 1);
    cr_assert_not(sse_pending(&p));
    sse_free(&p);
}

Test(sse, a_crlf_split_between_cr_and_lf_is_one_line_end)
{
    sse_parser p;
    sse_init(&p, 0);
    seen s = {0};
    cr_assert_eq(sse_feed(&p, "data: a\r", 8, collect, &s), SSE_OK);
    cr_assert_eq(sse_feed(&p, "\n\r", 2, collect, &s), SSE_OK);
    cr_assert_eq(sse_feed(&p, "\ndata: b\n\n", 10, collect, &s), SSE_OK);
    cr_assert_eq(s.n, 2);
    cr_assert_str_eq(s.events[0], "a");
    cr_assert_str_eq(s.events[1], "b");
    sse_free(&p);
}

Test(sse, an_event_without_data_and_a_field_without_colon_are_not_dispatched)
{
    sse_parser p;
    sse_init(&p, 0);
    seen s = {0};
    const char *t = "event: x\n\nretry: 10\nid: 5\ndata\n\n";
    cr_assert_eq(sse_feed(&p, t, strlen(t), collect, &s), SSE_OK);
    /* "data" alone is a data field with an empty value: one empty event. */
    cr_assert_eq(s.n, 1);
    cr_assert_str_eq(s.events[0], "");
    sse_free(&p);
}

Test(sse, a_stream_cut_in_the_middle_of_an_event_is_pending)
{
    sse_parser p;
    sse_init(&p, 0);
    seen s = {0};
    cr_assert_eq(sse_feed(&p, "data: {\"a\":", 11, collect, &s), SSE_OK);
    cr_assert(sse_pending(&p));
    cr_assert_eq(s.n, 0);
    sse_reset(&p);
    cr_assert_not(sse_pending(&p));
    sse_free(&p);
}

Test(sse, a_line_longer_than_the_bound_is_refused)
{
    sse_parser p;
    sse_init(&p, 64);
    seen s = {0};
    char big[200];
    memset(big, 'x', sizeof big);
    memcpy(big, "data: ", 6);
    cr_assert_eq(sse_feed(&p, big, sizeof big, collect, &s), SSE_TOO_LONG);
    sse_free(&p);
}

static bool stop_first(void *ud, const char *event, const char *data, size_t len)
{
    (void)event;
    (void)data;
    (void)len;
    (*(int *)ud)++;
    return false;
}

Test(sse, the_callback_can_stop_the_parser)
{
    sse_parser p;
    sse_init(&p, 0);
    int n = 0;
    const char *t = "data: 1\n\ndata: 2\n\n";
    cr_assert_eq(sse_feed(&p, t, strlen(t), stop_first, &n), SSE_STOPPED);
    cr_assert_eq(n, 1);
    sse_free(&p);
}
