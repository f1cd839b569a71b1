/* promrw_internal.h: what the sender's two files share: the sender itself (promrw_send.c: queue,
 * thread, retries, counters) and one POST with the judgement of its outcome (promrw_http.c).
 * Included by those two files only. */
#ifndef AIFB_AGENT_PROMRW_INTERNAL_H
#define AIFB_AGENT_PROMRW_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "core/httppush.h"
#include "core/promrw.h"
#include "core/rng.h"

/* One encoded batch waiting in the queue (or being sent). */
typedef struct rw_payload {
    struct rw_payload *next;
    uint64_t seq; /* submission order, for flush */
    void *body;
    size_t len;
    size_t samples;
} rw_payload;

struct promrw_sender {
    char *url;   /* as given: it holds no credentials (refused by promrw_sender_new) */
    char *shown; /* the URL without its query, for messages */
    char *basic_user, *basic_password, *bearer_header;
    size_t queue_max;
    int connect_timeout_ms, timeout_ms, backoff_min_ms, backoff_max_ms, max_retries;
    void (*on_drop)(void *arg, const void *body, size_t len, size_t samples, const char *why);
    void *on_drop_arg;

    /* Used by the sender's thread only. */
    httpx *http;
    const char *headers[6]; /* the request's header lines; the Authorization one is auth */
    size_t nheaders;
    char *auth; /* "Authorization: Basic ..." when basic auth is given (a secret) */
    rng jitter;

    pthread_t thread;
    bool thread_started;
    atomic_bool stop; /* read by the HTTP client while it waits, without the lock */
    pthread_mutex_t lock;
    pthread_cond_t cond; /* queue changed, a payload finished, or stop: broadcast */
    rw_payload *head, *tail;
    uint64_t next_seq;
    uint64_t busy_seq; /* the payload being sent, 0 when none */
    promrw_stats st;
};

/* Sets up s->http and s->headers for every request. False with a message when it cannot. */
bool rw_http_init(promrw_sender *s, aifb_err *err);
void rw_http_free(promrw_sender *s);
/* POSTs the payload once. *status is the HTTP status (0 without an answer); why (for anything
 * but HTTPPUSH_SENT) is a sentence for people: "HTTP 400 from URL: <answer>" or "URL unreachable:
 * <reason>". */
httppush_outcome rw_http_post(promrw_sender *s, const rw_payload *p, int *status, char *why,
                              size_t whylen);

#endif
