/* test_agent_promrw_send.c: the remote write sender against a tiny receiver started here: a
 * thread that accepts on 127.0.0.1:0, reads HTTP/1.1 requests (binary bodies, connection kept),
 * records each one and answers from a list of statuses in order (the last one repeats). It can
 * hold its first answer back until the test releases it, to keep the sender busy while the test
 * fills the queue. Each Criterion test runs in its own process, so the receiver's state is the
 * test's own. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/util.h"
#include "test_agent_promrw.h"

#define MAX_REQ 32

typedef struct t_request {
    char head[4096];
    char *body;
    size_t len;
} t_request;

static t_request reqs[MAX_REQ];
static int nreqs;
static int statuses[8];
static const char *answers[8];
static int nstatuses;
static bool hold_first, released;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int listen_fd = -1;
static char url[128];

static void answer_with(int status, const char *text)
{
    statuses[nstatuses] = status;
    answers[nstatuses++] = text;
}

/* Reads one request into r; false when the peer closed the connection. */
static bool read_request(int fd, t_request *r)
{
    abuf in = {0};
    char buf[4096];
    char *end = NULL;
    while (!(end = memmem(in.p ? in.p : "", in.len, "\r\n\r\n", 4))) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0) {
            abuf_free(&in);
            return false;
        }
        abuf_append(&in, buf, (size_t)n);
    }
    size_t headlen = (size_t)(end - in.p) + 4;
    snprintf(r->head, sizeof r->head, "%.*s", (int)headlen, in.p);
    const char *cl = strcasestr(r->head, "Content-Length:");
    size_t want = headlen + (cl ? strtoul(cl + 15, NULL, 10) : 0);
    while (in.len < want) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0) {
            abuf_free(&in);
            return false;
        }
        abuf_append(&in, buf, (size_t)n);
    }
    r->len = want - headlen;
    r->body = malloc(r->len + 1);
    memcpy(r->body, in.p + headlen, r->len);
    abuf_free(&in);
    return true;
}

static void serve(int fd)
{
    for (;;) {
        t_request r = {0};
        if (!read_request(fd, &r))
            return;
        pthread_mutex_lock(&mu);
        int i = nreqs < MAX_REQ ? nreqs : MAX_REQ - 1;
        free(reqs[i].body);
        reqs[i] = r;
        int k = nreqs < nstatuses ? nreqs : nstatuses - 1;
        bool hold = hold_first && nreqs == 0;
        nreqs++;
        pthread_cond_broadcast(&cv);
        while (hold && !released)
            pthread_cond_wait(&cv, &mu);
        int status = statuses[k];
        const char *text = answers[k] ? answers[k] : "";
        pthread_mutex_unlock(&mu);
        char out[1024];
        int n = snprintf(out, sizeof out,
                         "HTTP/1.1 %d Canned\r\nContent-Type: text/plain\r\nContent-Length: "
                         "%zu\r\n\r\n%s",
                         status, strlen(text), text);
        if (send(fd, out, (size_t)n, MSG_NOSIGNAL) != n)
            return;
    }
}

static void *server_main(void *arg)
{
    (void)arg;
    for (;;) {
        int fd = accept(listen_fd, NULL, NULL);
        if (fd < 0)
            return NULL;
        serve(fd);
        close(fd);
    }
}

/* Starts the receiver; the URL is in url. */
static void start_server(void)
{
    cr_assert(nstatuses > 0);
    listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    cr_assert_eq(bind(listen_fd, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(listen(listen_fd, 8), 0);
    getsockname(listen_fd, (struct sockaddr *)&a, &alen);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/api/v1/write", ntohs(a.sin_port));
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, server_main, NULL), 0);
    pthread_detach(th);
}

static void release_first(void)
{
    pthread_mutex_lock(&mu);
    released = true;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
}

static int requests_seen(void)
{
    pthread_mutex_lock(&mu);
    int n = nreqs;
    pthread_mutex_unlock(&mu);
    return n;
}

static void wait_requests(int n)
{
    int64_t until = aifb_mono_ms() + 10000;
    while (requests_seen() < n && aifb_mono_ms() < until)
        usleep(2000);
    cr_assert_geq(requests_seen(), n, "the receiver saw %d requests, expected %d", requests_seen(),
                  n);
}

/* A batch of two series whose "batch" label names it. */
static promrw_batch *make_batch(const char *name)
{
    promrw_batch *b = promrw_batch_new();
    aifb_err err = {0};
    promrw_label ls[] = {{"batch", name}};
    cr_assert_eq(promrw_add(b, "t_requests_total", ls, 1, 10, 1700000000000, &err), AIFB_OK);
    cr_assert_eq(promrw_add(b, "t_inflight", ls, 1, 2, 1700000000000, &err), AIFB_OK);
    return b;
}

static const char *batch_name(const t_request *r)
{
    static char name[64];
    Prometheus__WriteRequest *req = t_decode(r->body, r->len);
    cr_assert_geq(req->n_timeseries, 1);
    snprintf(name, sizeof name, "%s", t_label(req->timeseries[0], "batch"));
    prometheus__write_request__free_unpacked(req, NULL);
    return name;
}

/* on_drop records what it was given. */
static int ndrops;
static char drop_why[8][64], drop_names[8][64];
static size_t drop_samples[8];

static void on_drop(void *arg, const void *body, size_t len, size_t samples, const char *why)
{
    (void)arg;
    t_request r = {.body = (char *)body, .len = len};
    snprintf(drop_names[ndrops], sizeof drop_names[0], "%s", batch_name(&r));
    snprintf(drop_why[ndrops], sizeof drop_why[0], "%s", why);
    drop_samples[ndrops++] = samples;
}

static promrw_sender_opts quick_opts(void)
{
    promrw_sender_opts o = {0};
    o.backoff_min_ms = 5;
    o.backoff_max_ms = 20;
    o.on_drop = on_drop;
    return o;
}

Test(promrw_send, retries_5xx_until_accepted_and_sends_the_spec_headers)
{
    answer_with(500, "storage unavailable");
    answer_with(500, "storage unavailable");
    answer_with(204, NULL);
    start_server();
    promrw_sender_opts o = quick_opts();
    promrw_sender *s;
    aifb_err err = {0};
    cr_assert_eq(promrw_sender_new(url, &o, &s, &err), AIFB_OK, "%s", err.msg);
    promrw_batch *b = make_batch("A");
    void *body;
    size_t len;
    cr_assert_eq(promrw_batch_encode(b, &body, &len, &err), AIFB_OK);
    cr_assert_eq(promrw_sender_submit(s, b, &err), AIFB_OK, "%s", err.msg);
    promrw_batch_free(b);
    cr_assert_eq(promrw_sender_flush(s, 10000, &err), AIFB_OK, "%s", err.msg);

    cr_assert_eq(requests_seen(), 3);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(reqs[i].len, len);
        cr_assert_eq(memcmp(reqs[i].body, body, len), 0, "request %d carries another body", i);
    }
    const char *h = reqs[0].head;
    cr_assert(strstr(h, "POST /api/v1/write HTTP/1.1\r\n"), "%s", h);
    cr_assert(strstr(h, "\r\nContent-Encoding: snappy\r\n"), "%s", h);
    cr_assert(strstr(h, "\r\nContent-Type: application/x-protobuf\r\n"), "%s", h);
    cr_assert(strstr(h, "\r\nX-Prometheus-Remote-Write-Version: 0.1.0\r\n"), "%s", h);
    cr_assert(strstr(h, "\r\nUser-Agent: aifb/" AIFB_VERSION "\r\n"), "%s", h);
    cr_assert_null(strstr(h, "Authorization"), "%s", h);
    cr_assert_str_eq(batch_name(&reqs[2]), "A");

    promrw_stats st;
    promrw_sender_stats(s, &st);
    cr_assert_eq(st.batches_sent, 1);
    cr_assert_eq(st.samples_sent, 2);
    cr_assert_eq(st.bytes_sent, len);
    cr_assert_eq(st.retries, 2);
    cr_assert_eq(st.batches_dropped, 0);
    cr_assert_eq(st.last_status, 204);
    cr_assert(strstr(st.last_error, "HTTP 500 from http://127.0.0.1:"), "%s", st.last_error);
    cr_assert(strstr(st.last_error, "storage unavailable"), "%s", st.last_error);
    cr_assert_gt(st.last_error_ms, 0);
    cr_assert_eq(ndrops, 0);
    free(body);
    promrw_sender_free(s);
}

Test(promrw_send, a_4xx_is_dropped_without_retry_and_sending_goes_on)
{
    answer_with(400, "out of order sample\n");
    answer_with(429, "slow down");
    answer_with(204, NULL);
    start_server();
    promrw_sender_opts o = quick_opts();
    promrw_sender *s;
    aifb_err err = {0};
    cr_assert_eq(promrw_sender_new(url, &o, &s, &err), AIFB_OK, "%s", err.msg);
    promrw_batch *b = make_batch("A");
    cr_assert_eq(promrw_sender_submit(s, b, &err), AIFB_OK);
    cr_assert_eq(promrw_sender_flush(s, 10000, &err), AIFB_OK, "%s", err.msg);
    cr_assert_eq(requests_seen(), 1);
    promrw_stats st;
    promrw_sender_stats(s, &st);
    cr_assert_eq(st.batches_dropped, 1);
    cr_assert_eq(st.batches_refused, 1);
    cr_assert_eq(st.samples_dropped, 2);
    cr_assert_eq(st.retries, 0);
    cr_assert_eq(st.batches_sent, 0);
    cr_assert_eq(st.last_status, 400);
    cr_assert(strstr(st.last_error, "HTTP 400 from "), "%s", st.last_error);
    cr_assert(strstr(st.last_error, ": out of order sample"), "%s", st.last_error);
    cr_assert_eq(ndrops, 0, "a refused batch went to on_drop");

    /* The next batch meets a 429, which is retried. */
    promrw_batch_clear(b);
    promrw_batch_free(b);
    b = make_batch("B");
    cr_assert_eq(promrw_sender_submit(s, b, &err), AIFB_OK);
    cr_assert_eq(promrw_sender_flush(s, 10000, &err), AIFB_OK, "%s", err.msg);
    cr_assert_eq(requests_seen(), 3);
    promrw_sender_stats(s, &st);
    cr_assert_eq(st.batches_sent, 1);
    cr_assert_eq(st.retries, 1);
    cr_assert_str_eq(batch_name(&reqs[2]), "B");
    promrw_batch_free(b);
    promrw_sender_free(s);
}

Test(promrw_send, an_unreachable_receiver_gets_bounded_retries)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    bind(fd, (struct sockaddr *)&a, sizeof a);
    getsockname(fd, (struct sockaddr *)&a, &alen);
    close(fd); /* nothing listens there now */
    snprintf(url, sizeof url, "http://127.0.0.1:%d/api/v1/write", ntohs(a.sin_port));
    promrw_sender_opts o = quick_opts();
    o.max_retries = 3;
    promrw_sender *s;
    aifb_err err = {0};
    cr_assert_eq(promrw_sender_new(url, &o, &s, &err), AIFB_OK, "%s", err.msg);
    promrw_batch *b = make_batch("A");
    cr_assert_eq(promrw_sender_submit(s, b, &err), AIFB_OK);
    cr_assert_eq(promrw_sender_flush(s, 10000, &err), AIFB_OK, "%s", err.msg);
    promrw_stats st;
    promrw_sender_stats(s, &st);
    cr_assert_eq(st.retries, 3);
    cr_assert_eq(st.batches_dropped, 1);
    cr_assert_eq(st.batches_refused, 0);
    cr_assert_eq(st.last_status, 0);
    cr_assert(strstr(st.last_error, "unreachable"), "%s", st.last_error);
    cr_assert_eq(ndrops, 1);
    cr_assert_str_eq(drop_why[0], PROMRW_DROP_RETRIES);
    cr_assert_str_eq(drop_names[0], "A");
    cr_assert_eq(drop_samples[0], 2);
    promrw_batch_free(b);
    promrw_sender_free(s);
}

Test(promrw_send, a_full_queue_drops_its_oldest_batch)
{
    answer_with(204, NULL);
    hold_first = true;
    start_server();
    promrw_batch *bs[4] = {make_batch("A"), make_batch("B"), make_batch("C"), make_batch("D")};
    void *body;
    size_t len;
    aifb_err err = {0};
    cr_assert_eq(promrw_batch_encode(bs[1], &body, &len, &err), AIFB_OK);
    free(body);
    promrw_sender_opts o = quick_opts();
    o.queue_max_bytes = len * 5 / 2; /* room for two waiting batches */
    promrw_sender *s;
    cr_assert_eq(promrw_sender_new(url, &o, &s, &err), AIFB_OK, "%s", err.msg);

    cr_assert_eq(promrw_sender_submit(s, bs[0], &err), AIFB_OK);
    wait_requests(1); /* A is being sent, held by the receiver */
    for (int i = 1; i < 4; i++)
        cr_assert_eq(promrw_sender_submit(s, bs[i], &err), AIFB_OK, "%s", err.msg);
    promrw_stats st;
    promrw_sender_stats(s, &st);
    cr_assert_eq(st.batches_dropped, 1);
    cr_assert_eq(st.queued_batches, 2);
    cr_assert(strstr(st.last_error, "queue full"), "%s", st.last_error);
    cr_assert_eq(ndrops, 1);
    cr_assert_str_eq(drop_names[0], "B");
    cr_assert_str_eq(drop_why[0], PROMRW_DROP_OVERFLOW);

    /* Flush waits while A is held. */
    cr_assert_eq(promrw_sender_flush(s, 50, &err), AIFB_ETIMEOUT);
    cr_assert(strstr(err.msg, "3 batches still queued"), "%s", err.msg);
    release_first();
    cr_assert_eq(promrw_sender_flush(s, 10000, &err), AIFB_OK, "%s", err.msg);
    cr_assert_eq(requests_seen(), 3);
    cr_assert_str_eq(batch_name(&reqs[0]), "A");
    cr_assert_str_eq(batch_name(&reqs[1]), "C");
    cr_assert_str_eq(batch_name(&reqs[2]), "D");
    promrw_sender_stats(s, &st);
    cr_assert_eq(st.batches_sent, 3);
    cr_assert_eq(st.samples_sent, 6);

    /* A batch larger than the whole queue is refused at once. */
    promrw_batch *big = promrw_batch_new();
    for (int i = 0; i < 50; i++) {
        char v[16];
        snprintf(v, sizeof v, "%d", i);
        promrw_label l = {"batch", v};
        cr_assert_eq(promrw_add(big, "t_big", &l, 1, i, 1700000000000, &err), AIFB_OK);
    }
    cr_assert_eq(promrw_sender_submit(s, big, &err), AIFB_ERESOURCE);
    cr_assert(strstr(err.msg, "larger than the whole queue"), "%s", err.msg);
    cr_assert_eq(ndrops, 2);
    cr_assert_str_eq(drop_why[1], PROMRW_DROP_OVERFLOW);
    promrw_batch_free(big);
    for (int i = 0; i < 4; i++)
        promrw_batch_free(bs[i]);
    promrw_sender_free(s);
}

Test(promrw_send, free_abandons_a_request_under_way)
{
    answer_with(204, NULL);
    hold_first = true;
    start_server();
    promrw_sender_opts o = quick_opts();
    promrw_sender *s;
    aifb_err err = {0};
    cr_assert_eq(promrw_sender_new(url, &o, &s, &err), AIFB_OK, "%s", err.msg);
    promrw_batch *a = make_batch("A"), *b = make_batch("B");
    cr_assert_eq(promrw_sender_submit(s, a, &err), AIFB_OK);
    wait_requests(1);
    cr_assert_eq(promrw_sender_submit(s, b, &err), AIFB_OK);
    promrw_sender_free(s); /* returns although the receiver never answers */
    cr_assert_eq(ndrops, 2);
    cr_assert_str_eq(drop_why[0], PROMRW_DROP_STOPPED);
    cr_assert_str_eq(drop_why[1], PROMRW_DROP_STOPPED);
    release_first();
    promrw_batch_free(a);
    promrw_batch_free(b);
}

Test(promrw_send, sends_a_bearer_token_or_basic_auth)
{
    answer_with(204, NULL);
    start_server();
    aifb_err err = {0};
    promrw_batch *b = make_batch("A");
    promrw_sender_opts o = quick_opts();
    o.bearer_token = "s3cr3t-t0ken";
    promrw_sender *s;
    cr_assert_eq(promrw_sender_new(url, &o, &s, &err), AIFB_OK, "%s", err.msg);
    cr_assert_eq(promrw_sender_submit(s, b, &err), AIFB_OK);
    cr_assert_eq(promrw_sender_flush(s, 10000, &err), AIFB_OK, "%s", err.msg);
    promrw_sender_free(s);
    cr_assert(strstr(reqs[0].head, "\r\nAuthorization: Bearer s3cr3t-t0ken\r\n"), "%s",
              reqs[0].head);

    o = quick_opts();
    o.basic_user = "user";
    o.basic_password = "pass";
    cr_assert_eq(promrw_sender_new(url, &o, &s, &err), AIFB_OK, "%s", err.msg);
    cr_assert_eq(promrw_sender_submit(s, b, &err), AIFB_OK);
    cr_assert_eq(promrw_sender_flush(s, 10000, &err), AIFB_OK, "%s", err.msg);
    promrw_sender_free(s);
    /* base64("user:pass") */
    cr_assert(strstr(reqs[1].head, "\r\nAuthorization: Basic dXNlcjpwYXNz\r\n"), "%s",
              reqs[1].head);
    promrw_batch_free(b);
}

Test(promrw_send, refuses_bad_urls_and_auth_without_quoting_secrets)
{
    promrw_sender *s = NULL;
    aifb_err err = {0};
    cr_assert_eq(promrw_sender_new("http://bob:hunter2@prom:9090/api/v1/write", NULL, &s, &err),
                 AIFB_EINVAL);
    cr_assert(strstr(err.msg, "user:password@"), "%s", err.msg);
    cr_assert_null(strstr(err.msg, "hunter2"), "%s", err.msg);
    cr_assert_eq(promrw_sender_new("ftp://prom/api/v1/write", NULL, &s, &err), AIFB_EINVAL);
    cr_assert(strstr(err.msg, "not http:// or https://"), "%s", err.msg);
    cr_assert_eq(promrw_sender_new("", NULL, &s, &err), AIFB_EINVAL);
    cr_assert_eq(promrw_sender_new("prom:9090", NULL, &s, &err), AIFB_EINVAL);
    promrw_sender_opts o = {.bearer_token = "t0ken", .basic_user = "u", .basic_password = "p"};
    cr_assert_eq(promrw_sender_new("http://prom:9090/w", &o, &s, &err), AIFB_EINVAL);
    cr_assert(strstr(err.msg, "not both"), "%s", err.msg);
    cr_assert_null(strstr(err.msg, "t0ken"));
    promrw_sender_opts nopass = {.basic_user = "u"};
    cr_assert_eq(promrw_sender_new("http://prom:9090/w", &nopass, &s, &err), AIFB_EINVAL);
    cr_assert(strstr(err.msg, "user and a password"), "%s", err.msg);
    cr_assert_null(s);
}
