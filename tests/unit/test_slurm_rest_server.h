/* test_slurm_rest_server.h: a stand-in slurmrestd for the REST client tests: a thread in the test
 * process that accepts on 127.0.0.1:0 or on a unix socket in a temporary folder, reads HTTP/1.1
 * requests (keeping the connection, as slurmrestd does), records each, and answers from a list of
 * canned replies in order (the last one repeats). Besides replies the list can hold T_DROP (close
 * the connection without a word) and T_SLOW (answer nothing for longer than any client timeout
 * the tests use). Included by test_slurm_rest_*.c only. */
#ifndef AIFB_TEST_SLURM_REST_SERVER_H
#define AIFB_TEST_SLURM_REST_SERVER_H

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/util.h"

#define T_DROP         "<drop>"
#define T_SLOW         "<slow>"
#define T_MAX_REPLIES  8
#define T_MAX_REQUESTS 16
#define T_REPLY_MAX    (64 * 1024)

static char t_replies[T_MAX_REPLIES][T_REPLY_MAX];
static size_t t_nreplies;
static char t_requests[T_MAX_REQUESTS][8192]; /* head and body of each request, as received */
static size_t t_nrequests;
static int t_connections; /* connections accepted */
static pthread_mutex_t t_lock = PTHREAD_MUTEX_INITIALIZER;
static int t_listen_fd = -1;
static char t_url[300];
static char t_sock_dir[64];

/* Queues a reply: an HTTP status with a JSON body ("" for none). */
static inline void t_reply(int status, const char *body)
{
    cr_assert(t_nreplies < T_MAX_REPLIES);
    snprintf(
        t_replies[t_nreplies++], T_REPLY_MAX,
        "HTTP/1.1 %d Canned\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
        status, strlen(body), body);
}

/* Queues T_DROP or T_SLOW. */
static inline void t_reply_special(const char *what)
{
    cr_assert(t_nreplies < T_MAX_REPLIES);
    snprintf(t_replies[t_nreplies++], T_REPLY_MAX, "%s", what);
}

/* A file of tests/unit/fixtures/slurm/ as a reply body (static storage, one at a time). */
static inline const char *t_fixture(const char *rel)
{
    static char body[T_REPLY_MAX - 256];
    char path[512];
    snprintf(path, sizeof path, "%s/tests/unit/fixtures/slurm/%s", AIFB_SOURCE_DIR, rel);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "fixture %s", path);
    size_t n = fread(body, 1, sizeof body - 1, f);
    fclose(f);
    body[n] = '\0';
    return body;
}

/* Reads one request (head, then Content-Length bytes of body); false when the peer closed. */
static inline bool t_read_request(int fd, char *out, size_t outlen)
{
    size_t len = 0;
    char *end = NULL;
    while (!(end = strstr(out, "\r\n\r\n"))) {
        ssize_t n = read(fd, out + len, outlen - 1 - len);
        if (n <= 0)
            return false;
        len += (size_t)n;
        out[len] = '\0';
    }
    const char *cl = strcasestr(out, "Content-Length:");
    size_t want = (size_t)(end + 4 - out) + (cl ? strtoul(cl + 15, NULL, 10) : 0);
    while (len < want && len < outlen - 1) {
        ssize_t n = read(fd, out + len, outlen - 1 - len);
        if (n <= 0)
            return false;
        len += (size_t)n;
        out[len] = '\0';
    }
    return true;
}

/* Answers requests on one connection until the client closes it or a reply ends it. */
static inline void t_serve_connection(int fd)
{
    for (;;) {
        char req[8192] = "";
        if (!t_read_request(fd, req, sizeof req))
            return;
        pthread_mutex_lock(&t_lock);
        size_t i = t_nrequests < T_MAX_REQUESTS ? t_nrequests : T_MAX_REQUESTS - 1;
        memcpy(t_requests[i], req, sizeof req);
        const char *reply =
            t_nreplies == 0 ? T_DROP
                            : t_replies[t_nrequests < t_nreplies ? t_nrequests : t_nreplies - 1];
        t_nrequests++;
        pthread_mutex_unlock(&t_lock);
        if (strcmp(reply, T_DROP) == 0)
            return;
        if (strcmp(reply, T_SLOW) == 0) {
            sleep(5);
            return;
        }
        size_t len = strlen(reply);
        if (write(fd, reply, len) != (ssize_t)len)
            return;
    }
}

static inline void *t_connection_main(void *arg)
{
    int fd = (int)(intptr_t)arg;
    t_serve_connection(fd);
    close(fd);
    return NULL;
}

/* Each connection on its own thread, as slurmrestd serves them: calls from several threads of
 * the client, each on its own connection, are answered side by side. */
static inline void *t_server_main(void *arg)
{
    (void)arg;
    for (;;) {
        int fd = accept(t_listen_fd, NULL, NULL);
        if (fd < 0)
            return NULL;
        pthread_mutex_lock(&t_lock);
        t_connections++;
        pthread_mutex_unlock(&t_lock);
        pthread_t th;
        if (pthread_create(&th, NULL, t_connection_main, (void *)(intptr_t)fd) != 0) {
            close(fd);
            continue;
        }
        pthread_detach(th);
    }
}

static inline void t_start_thread(void)
{
    cr_assert_eq(listen(t_listen_fd, 8), 0);
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, t_server_main, NULL), 0);
    pthread_detach(th);
}

/* Requests received so far (read by the test while the server runs). */
static inline size_t t_requests_seen(void)
{
    pthread_mutex_lock(&t_lock);
    size_t n = t_nrequests;
    pthread_mutex_unlock(&t_lock);
    return n;
}

/* Starts the server on 127.0.0.1:0; t_url is then "http://127.0.0.1:PORT". */
static inline void t_start_tcp(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    t_listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert(t_listen_fd >= 0);
    cr_assert_eq(bind(t_listen_fd, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(getsockname(t_listen_fd, (struct sockaddr *)&a, &alen), 0);
    snprintf(t_url, sizeof t_url, "http://127.0.0.1:%d", ntohs(a.sin_port));
    t_start_thread();
}

/* Sets t_url to a loopback port where nothing listens (bound, then closed; no server). */
static inline void t_closed_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert(fd >= 0);
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    close(fd);
    snprintf(t_url, sizeof t_url, "http://127.0.0.1:%d", ntohs(a.sin_port));
}

/* Starts the server on a unix socket in a fresh folder; t_url is then "unix:/.../rest.sock". */
static inline void t_start_unix(void)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(t_sock_dir, sizeof t_sock_dir, "/tmp/aifb-rest-test-XXXXXX");
    cr_assert_not_null(mkdtemp(t_sock_dir));
    snprintf(a.sun_path, sizeof a.sun_path, "%s/rest.sock", t_sock_dir);
    t_listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert(t_listen_fd >= 0);
    cr_assert_eq(bind(t_listen_fd, (struct sockaddr *)&a, sizeof a), 0);
    snprintf(t_url, sizeof t_url, "unix:%s", a.sun_path);
    t_start_thread();
}

/* Removes the unix socket and its folder (a fini for tests that made one). */
static inline void t_stop_unix(void)
{
    char p[128];
    snprintf(p, sizeof p, "%s/rest.sock", t_sock_dir);
    unlink(p);
    rmdir(t_sock_dir);
}

/* A copy of the i-th request received. */
static inline void t_request(size_t i, char *out, size_t outlen)
{
    pthread_mutex_lock(&t_lock);
    cr_assert(i < t_nrequests, "only %zu requests arrived", t_nrequests);
    snprintf(out, outlen, "%s", t_requests[i]);
    pthread_mutex_unlock(&t_lock);
}

#endif
