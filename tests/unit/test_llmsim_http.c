/* test_llmsim_http.c: aifb-llmsim's request parser. The same request split at every byte position
 * parses the same; pipelined requests come out one at a time with their bodies; and each kind of
 * malformed request is refused with the status a client should see and a message naming it. */
#include <criterion/criterion.h>
#include <string.h>

#include "llmsim/http.h"

#define MAX_BODY (1024 * 1024)

static const char POST[] = "POST /v1/chat/completions?x=1 HTTP/1.1\r\n"
                           "Host: 127.0.0.1\r\n"
                           "Content-Type: application/json\r\n"
                           "Content-Length: 17\r\n"
                           "Connection: keep-alive\r\n"
                           "\r\n"
                           "{\"stream\": false}";

/* Parses buf[0..len) as it would arrive in pieces ending at each cut; returns the final status. */
static http_status feed(http_parser *p, const char *buf, size_t len, const size_t *cuts,
                        size_t ncuts, http_error *err)
{
    http_status st = HTTP_MORE;
    for (size_t i = 0; i < ncuts; i++) {
        st = http_parse(p, buf, cuts[i], MAX_BODY, err);
        cr_assert_neq(st, HTTP_FAIL, "cut at %zu: %s", cuts[i], err->msg);
        if (cuts[i] < len)
            cr_assert_eq(st, HTTP_MORE, "done with only %zu of %zu bytes", cuts[i], len);
    }
    return st;
}

Test(llmsim_http, a_request_split_at_every_byte_parses_the_same)
{
    size_t len = strlen(POST);
    for (size_t cut = 0; cut <= len; cut++) {
        http_parser p;
        http_parser_init(&p);
        http_error err;
        size_t cuts[] = {cut, len};
        cr_assert_eq(feed(&p, POST, len, cuts, 2, &err), HTTP_DONE, "cut at %zu", cut);
        cr_assert_str_eq(p.req.method, "POST");
        cr_assert_str_eq(p.req.path, "/v1/chat/completions");
        cr_assert(p.req.has_query);
        cr_assert_eq(p.req.minor, 1);
        cr_assert(p.req.keep_alive);
        cr_assert_eq(p.req.content_length, 17);
        cr_assert_eq(p.req.head_len + 17, len);
        cr_assert_eq(memcmp(POST + p.req.head_len, "{\"stream\": false}", 17), 0);
    }
}

Test(llmsim_http, a_request_arriving_a_byte_at_a_time_parses)
{
    size_t len = strlen(POST), cuts[sizeof POST];
    for (size_t i = 0; i < len; i++)
        cuts[i] = i + 1;
    http_parser p;
    http_parser_init(&p);
    http_error err;
    cr_assert_eq(feed(&p, POST, len, cuts, len, &err), HTTP_DONE);
    cr_assert_eq(p.req.content_length, 17);
}

Test(llmsim_http, pipelined_requests_come_out_one_at_a_time)
{
    const char buf[] = "GET /health HTTP/1.1\r\nHost: a\r\n\r\n"
                       "POST /v1/completions HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}"
                       "\r\n" /* a stray line end between requests is allowed */
                       "GET /metrics HTTP/1.0\r\n\r\n"
                       "GET /v1/mod";
    size_t off = 0, len = strlen(buf);
    const char *paths[] = {"/health", "/v1/completions", "/metrics"};
    for (int i = 0; i < 3; i++) {
        http_parser p;
        http_parser_init(&p);
        http_error err;
        cr_assert_eq(http_parse(&p, buf + off, len - off, MAX_BODY, &err), HTTP_DONE, "#%d: %s", i,
                     err.msg);
        cr_assert_str_eq(p.req.path, paths[i]);
        if (i == 1)
            cr_assert_eq(memcmp(buf + off + p.req.head_len, "{}", 2), 0);
        if (i == 2)
            cr_assert(!p.req.keep_alive, "HTTP/1.0 closes unless asked to keep alive");
        off += p.req.head_len + p.req.content_length;
    }
    http_parser p;
    http_parser_init(&p);
    http_error err;
    cr_assert_eq(http_parse(&p, buf + off, len - off, MAX_BODY, &err), HTTP_MORE);
}

Test(llmsim_http, the_head_parsed_before_the_body_arrives)
{
    const char head[] = "POST /v1/embeddings HTTP/1.1\r\nExpect: 100-continue\r\n"
                        "Content-Length: 5000\r\n\r\n";
    http_parser p;
    http_parser_init(&p);
    http_error err;
    cr_assert_eq(http_parse(&p, head, strlen(head), MAX_BODY, &err), HTTP_MORE);
    cr_assert(p.head_done);
    cr_assert(p.req.expect_continue);
    cr_assert_eq(p.req.content_length, 5000);
}

Test(llmsim_http, connection_headers_decide_keep_alive)
{
    struct {
        const char *req;
        bool keep;
    } cases[] = {
        {"GET / HTTP/1.1\r\n\r\n", true},
        {"GET / HTTP/1.1\r\nConnection: close\r\n\r\n", false},
        {"GET / HTTP/1.1\r\nconnection: Keep-Alive, Close\r\n\r\n", false},
        {"GET / HTTP/1.0\r\n\r\n", false},
        {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true},
        {"GET / HTTP/1.1\nHost: bare-lf\n\n", true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        http_parser p;
        http_parser_init(&p);
        http_error err;
        cr_assert_eq(http_parse(&p, cases[i].req, strlen(cases[i].req), MAX_BODY, &err), HTTP_DONE,
                     "%s", cases[i].req);
        cr_assert_eq(p.req.keep_alive, cases[i].keep, "%s", cases[i].req);
    }
}

Test(llmsim_http, bad_requests_get_their_status_and_a_reason)
{
    struct {
        const char *req;
        int status;
        const char *words;
    } cases[] = {
        {"GARBAGE\r\n\r\n", 400, "request line"},
        {"GET /x HTTP/1.1 extra\r\n\r\n", 400, "HTTP version"},
        {"GET x HTTP/1.1\r\n\r\n", 400, "start with '/'"},
        {"GET /x HTTP/2.0\r\n\r\n", 505, "HTTP/2.0"},
        {"GET /x HTTP/1.1\r\nNo colon here\r\n\r\n", 400, "header"},
        {"GET /x HTTP/1.1\r\nBad Name: v\r\n\r\n", 400, "header"},
        {"GET /x HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", 400, "folding"},
        {"POST /x HTTP/1.1\r\nContent-Length: abc\r\n\r\n", 400, "Content-Length"},
        {"POST /x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400,
         "Content-Length"},
        {"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 411, "Content-Length"},
        {"POST /x HTTP/1.1\r\nContent-Length: 2000000\r\n\r\n", 413, "limit"},
        {"POST /x HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", 413, "large"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        http_parser p;
        http_parser_init(&p);
        http_error err = {0};
        cr_assert_eq(http_parse(&p, cases[i].req, strlen(cases[i].req), MAX_BODY, &err), HTTP_FAIL,
                     "%s", cases[i].req);
        cr_assert_eq(err.status, cases[i].status, "%s: %d %s", cases[i].req, err.status, err.msg);
        cr_assert(strstr(err.msg, cases[i].words), "%s: '%s' lacks '%s'", cases[i].req, err.msg,
                  cases[i].words);
    }
}

Test(llmsim_http, an_endless_head_is_refused_with_431)
{
    static char buf[HTTP_MAX_HEAD + 100];
    memcpy(buf, "GET / HTTP/1.1\r\n", 16);
    for (size_t i = 16; i < sizeof buf; i += 10)
        memcpy(buf + i, "X-A: bbb\r\n", i + 10 <= sizeof buf ? 10 : sizeof buf - i);
    http_parser p;
    http_parser_init(&p);
    http_error err;
    cr_assert_eq(http_parse(&p, buf, sizeof buf, MAX_BODY, &err), HTTP_FAIL);
    cr_assert_eq(err.status, 431);
}

Test(llmsim_http, too_long_a_target_is_414)
{
    static char buf[HTTP_MAX_TARGET + 64];
    memset(buf, 'a', sizeof buf);
    memcpy(buf, "GET /", 5);
    memcpy(buf + sizeof buf - 15, " HTTP/1.1\r\n\r\n", 14);
    buf[sizeof buf - 1] = '\0';
    http_parser p;
    http_parser_init(&p);
    http_error err;
    cr_assert_eq(http_parse(&p, buf, strlen(buf), MAX_BODY, &err), HTTP_FAIL);
    cr_assert_eq(err.status, 414, "%d %s", err.status, err.msg);
}
