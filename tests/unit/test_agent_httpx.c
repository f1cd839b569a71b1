/* test_agent_httpx.c: the agents' plain HTTP/1.1 client (core/httpx.h) against a scripted server
 * started here: a thread that accepts on 127.0.0.1:0, reads each request (head and
 * Content-Length body), records it, and writes the next canned answer of the script byte for
 * byte, closing the connection after it when the script says so; a NULL answer means never to
 * answer. Each Criterion test runs in its own process, so the server's state is the test's own. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/util.h"
#include "core/httpx.h"

#define MAX_STEPS 8

static const char *replies[MAX_STEPS];
static bool close_after[MAX_STEPS];
static int nsteps;
static char requests[MAX_STEPS][4096];
static int nrequests, accepts;
static int listen_fd = -1;
static char base[128];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static void step(const char *reply, bool close_conn)
{
    replies[nsteps] = reply;
    close_after[nsteps++] = close_conn;
}

/* One request from fd into requests[]; false at the end of the connection. */
static bool read_request(int fd, char *out, size_t cap)
{
    size_t len = 0;
    char *end = NULL;
    while (!end) {
        ssize_t n = recv(fd, out + len, cap - 1 - len, 0);
        if (n <= 0)
            return false;
        len += (size_t)n;
        out[len] = '\0';
        end = strstr(out, "\r\n\r\n");
    }
    const char *cl = strcasestr(out, "Content-Length:");
    size_t want = (size_t)(end + 4 - out) + (cl ? strtoul(cl + 15, NULL, 10) : 0);
    while (len < want) {
        ssize_t n = recv(fd, out + len, cap - 1 - len, 0);
        if (n <= 0)
            return false;
        len += (size_t)n;
    }
    out[len] = '\0';
    return true;
}

static void *server_main(void *arg)
{
    (void)arg;
    for (;;) {
        int fd = accept(listen_fd, NULL, NULL);
        if (fd < 0)
            return NULL;
        pthread_mutex_lock(&mu);
        accepts++;
        pthread_mutex_unlock(&mu);
        for (;;) {
            char req[4096];
            if (!read_request(fd, req, sizeof req))
                break;
            pthread_mutex_lock(&mu);
            int i = nrequests++;
            if (i < MAX_STEPS)
                memcpy(requests[i], req, sizeof req);
            pthread_mutex_unlock(&mu);
            if (i >= nsteps)
                break;
            if (!replies[i]) { /* never answers: waits for the client to go */
                while (recv(fd, req, sizeof req, 0) > 0)
                    ;
                break;
            }
            (void)!write(fd, replies[i], strlen(replies[i]));
            if (close_after[i])
                break;
        }
        close(fd);
    }
}

static void start_server(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert_eq(bind(listen_fd, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(listen(listen_fd, 8), 0);
    getsockname(listen_fd, (struct sockaddr *)&a, &alen);
    snprintf(base, sizeof base, "http://127.0.0.1:%d", ntohs(a.sin_port));
    pthread_t t;
    pthread_create(&t, NULL, server_main, NULL);
    pthread_detach(t);
}

static httpx *client(const char *path, int timeout_ms, atomic_bool *stop)
{
    char url[256];
    snprintf(url, sizeof url, "%s%s", base, path);
    aifb_err err = {0};
    httpx *h = httpx_new(url, "the URL", "no credentials", "test/1", 1000, timeout_ms, stop, &err);
    cr_assert_not_null(h, "%s", err.msg);
    return h;
}

static bool get(httpx *h, abuf *answer, size_t max, httpx_result *r)
{
    return httpx_request(h, "GET", NULL, 0, NULL, 0, answer, max, r);
}

Test(httpx, a_post_carries_its_head_and_body_and_the_connection_is_kept)
{
    step("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false);
    step("HTTP/1.1 400 Bad Request\r\nContent-Length: 4\r\n\r\nnope", false);
    start_server();
    httpx *h = client("/api/v1/write?x=1#frag", 2000, NULL);
    const char *headers[] = {"Content-Type: application/x-protobuf", "X-Test: 1"};
    abuf answer = {0};
    httpx_result r;
    cr_assert(httpx_request(h, "POST", headers, 2, "hello", 5, &answer, 100, &r), "%s", r.error);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(answer.p, "ok");
    cr_assert(httpx_request(h, "POST", headers, 2, "again", 5, &answer, 100, &r), "%s", r.error);
    cr_assert_eq(r.status, 400);
    cr_assert_str_eq(answer.p, "nope");
    cr_assert_eq(accepts, 1, "one connection for both requests");
    const char *q = requests[0];
    const char *line = "POST /api/v1/write?x=1 HTTP/1.1\r\n";
    cr_assert(strncmp(q, line, strlen(line)) == 0, "%s", q);
    char host[160];
    snprintf(host, sizeof host, "\r\nHost: %s\r\n", base + 7);
    cr_assert(strstr(q, host), "%s", q);
    cr_assert(strstr(q, "\r\nContent-Length: 5\r\n"), "%s", q);
    cr_assert(strstr(q, "\r\nUser-Agent: test/1\r\n"), "%s", q);
    cr_assert(strstr(q, "\r\nX-Test: 1\r\n"), "%s", q);
    cr_assert(strstr(q, "\r\n\r\nhello"), "%s", q);
    cr_assert(!strstr(q, "#frag"), "the fragment is not sent");
    abuf_free(&answer);
    httpx_free(h);
}

Test(httpx, a_chunked_answer_is_decoded_with_its_extensions_and_trailers)
{
    step("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
         "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: y\r\n\r\n",
         false);
    step("HTTP/1.1 204 No Content\r\n\r\n", false);
    start_server();
    httpx *h = client("/", 2000, NULL);
    abuf answer = {0};
    httpx_result r;
    cr_assert(get(h, &answer, 100, &r), "%s", r.error);
    cr_assert_str_eq(answer.p, "hello world");
    cr_assert(get(h, &answer, 100, &r), "%s", r.error);
    cr_assert_eq(r.status, 204);
    cr_assert_eq(accepts, 1);
    abuf_free(&answer);
    httpx_free(h);
}

Test(httpx, an_answer_ending_with_the_connection_and_connection_close_open_a_new_one)
{
    step("HTTP/1.0 200 OK\r\n\r\nuntil the end", true);
    step("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 3\r\n\r\nbye", true);
    step("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false);
    start_server();
    httpx *h = client("/", 2000, NULL);
    abuf answer = {0};
    httpx_result r;
    cr_assert(get(h, &answer, 100, &r), "%s", r.error);
    cr_assert_str_eq(answer.p, "until the end");
    cr_assert(get(h, &answer, 100, &r), "%s", r.error);
    cr_assert_str_eq(answer.p, "bye");
    cr_assert(get(h, &answer, 100, &r), "%s", r.error);
    cr_assert_eq(r.status, 200);
    cr_assert_eq(accepts, 3);
    abuf_free(&answer);
    httpx_free(h);
}

Test(httpx, an_interim_100_is_skipped)
{
    step("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n", false);
    start_server();
    httpx *h = client("/", 2000, NULL);
    httpx_result r;
    cr_assert(httpx_request(h, "POST", NULL, 0, "x", 1, NULL, 0, &r), "%s", r.error);
    cr_assert_eq(r.status, 201);
    httpx_free(h);
}

Test(httpx, a_kept_connection_the_server_closed_is_reopened_once)
{
    /* Keep-alive promised, then the server closes: the next request goes on a new one. */
    step("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na", true);
    step("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb", false);
    start_server();
    httpx *h = client("/", 2000, NULL);
    abuf answer = {0};
    httpx_result r;
    cr_assert(get(h, &answer, 100, &r), "%s", r.error);
    usleep(100 * 1000); /* the server has closed its end */
    cr_assert(get(h, &answer, 100, &r), "%s", r.error);
    cr_assert_str_eq(answer.p, "b");
    cr_assert_eq(accepts, 2);
    abuf_free(&answer);
    httpx_free(h);
}

Test(httpx, a_malformed_or_cut_answer_is_an_error_sent_once_and_spoils_nothing_after_it)
{
    /* Both failures come on a kept connection, where a stale one would be retried. */
    step("HTTP/1.1 204 No Content\r\n\r\n", false);
    step("GARBAGE\r\n\r\n", false);
    step("HTTP/1.1 204 No Content\r\n\r\n", false);
    step("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", true);
    step("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx", false);
    start_server();
    httpx *h = client("/", 2000, NULL);
    abuf answer = {0};
    httpx_result r;
    cr_assert(httpx_request(h, "POST", NULL, 0, "1", 1, &answer, 100, &r), "%s", r.error);
    cr_assert_not(httpx_request(h, "POST", NULL, 0, "2", 1, &answer, 100, &r));
    cr_assert_str_eq(r.error, "a malformed answer");
    cr_assert(httpx_request(h, "POST", NULL, 0, "3", 1, &answer, 100, &r), "%s", r.error);
    cr_assert_not(httpx_request(h, "POST", NULL, 0, "4", 1, &answer, 100, &r));
    cr_assert_str_eq(r.error, "the answer ended early");
    cr_assert(httpx_request(h, "POST", NULL, 0, "5", 1, &answer, 100, &r), "%s", r.error);
    cr_assert_str_eq(answer.p, "x");
    cr_assert_eq(nrequests, 5, "no POST was sent twice");
    abuf_free(&answer);
    httpx_free(h);
}

Test(httpx, bytes_after_an_answer_are_never_read_as_the_next_one)
{
    step("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na"
         "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb",
         false);
    step("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nc", false);
    start_server();
    httpx *h = client("/", 2000, NULL);
    abuf answer = {0};
    httpx_result r;
    cr_assert(get(h, &answer, 100, &r), "%s", r.error);
    cr_assert_str_eq(answer.p, "a");
    cr_assert(get(h, &answer, 100, &r), "%s", r.error);
    cr_assert_str_eq(answer.p, "c", "the answer to the second request");
    abuf_free(&answer);
    httpx_free(h);
}

Test(httpx, only_answer_max_bytes_are_kept_and_the_cut_is_said)
{
    step("HTTP/1.1 500 Oops\r\nContent-Length: 10\r\n\r\n0123456789", false);
    step("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false);
    start_server();
    httpx *h = client("/", 2000, NULL);
    abuf answer = {0};
    httpx_result r;
    cr_assert(get(h, &answer, 4, &r), "%s", r.error);
    cr_assert_eq(r.status, 500);
    cr_assert(r.cut);
    cr_assert_str_eq(answer.p, "0123");
    cr_assert(get(h, &answer, 4, &r), "the rest was read: the connection is still usable");
    cr_assert_str_eq(answer.p, "ok");
    cr_assert_not(r.cut);
    abuf_free(&answer);
    httpx_free(h);
}

Test(httpx, no_answer_in_time_is_a_timeout_and_no_listener_is_refused)
{
    step(NULL, false);
    start_server();
    httpx *h = client("/", 300, NULL);
    httpx_result r;
    int64_t t0 = aifb_mono_ms();
    cr_assert_not(get(h, NULL, 0, &r));
    int64_t took = aifb_mono_ms() - t0;
    cr_assert(took >= 290 && took < 2000, "%lld ms", (long long)took);
    cr_assert_eq(r.status, 0);
    cr_assert_str_eq(r.error, "no answer within 300 ms");
    httpx_free(h);

    /* A port nothing listens on: bound, then closed without listening. */
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    getsockname(fd, (struct sockaddr *)&a, &alen);
    close(fd);
    char url[64];
    aifb_err err = {0};
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", ntohs(a.sin_port));
    h = httpx_new(url, "the URL", "none", "test/1", 1000, 300, NULL, &err);
    cr_assert_not_null(h, "%s", err.msg);
    cr_assert_not(get(h, NULL, 0, &r));
    cr_assert(strstr(r.error, "could not connect to 127.0.0.1 port") &&
                  strstr(r.error, "Connection refused"),
              "%s", r.error);
    httpx_free(h);
}

static void *set_later(void *arg)
{
    usleep(150 * 1000);
    atomic_store((atomic_bool *)arg, true);
    return NULL;
}

Test(httpx, a_stop_abandons_the_request_at_once)
{
    step(NULL, false);
    start_server();
    atomic_bool stop = false;
    httpx *h = client("/", 30000, &stop);
    pthread_t t;
    pthread_create(&t, NULL, set_later, &stop);
    httpx_result r;
    int64_t t0 = aifb_mono_ms();
    cr_assert_not(get(h, NULL, 0, &r));
    cr_assert(r.stopped);
    cr_assert_lt(aifb_mono_ms() - t0, 2000);
    pthread_join(t, NULL);
    httpx_free(h);
}

Test(httpx, urls_are_split_or_refused_naming_what_is_wrong)
{
    httpx_url u;
    aifb_err err = {0};
    cr_assert_eq(
        httpx_parse_url("http://[::1]:9090/api/v1/write?x=1#f", "the URL", "hint", &u, &err),
        AIFB_OK, "%s", err.msg);
    cr_assert_str_eq(u.host, "::1");
    cr_assert_str_eq(u.port, "9090");
    cr_assert_str_eq(u.target, "/api/v1/write?x=1");
    cr_assert_not(u.tls);
    httpx_url_free(&u);
    cr_assert_eq(httpx_parse_url("https://loki.example", "the URL", "hint", &u, &err), AIFB_OK);
    cr_assert(u.tls);
    cr_assert_str_eq(u.port, "443");
    cr_assert_str_eq(u.target, "/");
    httpx_url_free(&u);
    cr_assert_eq(httpx_parse_url("http://h?q", "the URL", "hint", &u, &err), AIFB_OK);
    cr_assert_str_eq(u.target, "/?q");
    httpx_url_free(&u);
    static const struct {
        const char *url, *says;
    } bad[] = {
        {"http://ann:secret@h/", "must not carry user:password@ (hint)"},
        {"ftp://ann:secret@h/", "must not carry user:password@ (hint)"},
        {"ftp://h/", "is not http:// or https://"},
        {"h:9090", "has no scheme"},
        {"http://h:99999/", "port 99999 is out of range"},
        {"http://h:x/", "its port is not a number"},
        {"http:///x", "it has no host"},
        {"http://h/a b", "a space or a control character"},
        {"", "the URL is empty"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(httpx_parse_url(bad[i].url, "the URL", "hint", &u, &err), AIFB_EINVAL, "%s",
                     bad[i].url);
        cr_assert(strstr(err.msg, bad[i].says), "%s: %s", bad[i].url, err.msg);
        cr_assert_not(strstr(err.msg, "secret"), "%s", err.msg);
    }
}

Test(httpx, the_basic_auth_header_is_rfc_7617s)
{
    char *h = httpx_basic_auth_header("Aladdin", "open sesame");
    cr_assert_str_eq(h, "Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
    free(h);
    h = httpx_basic_auth_header("a", "bc");
    cr_assert_str_eq(h, "Authorization: Basic YTpiYw==");
    free(h);
}
