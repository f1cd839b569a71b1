/* sender_internal.h: the sender's state, shared by sender.c (queue, thread, spool) and
 * sender_http.c (one request and how its outcome is judged). Not an interface: sender.h is. */
#ifndef AIFB_LOGSHIP_SENDER_INTERNAL_H
#define AIFB_LOGSHIP_SENDER_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "core/httppush.h"
#include "core/rng.h"
#include "logship/sender.h"

/* How one push went (core/httppush.h). */
typedef httppush_outcome ls_outcome;

struct ls_sender {
    pthread_mutex_t lock;
    pthread_cond_t cond; /* CLOCK_MONOTONIC */
    pthread_t thread;
    bool thread_started;
    atomic_bool stop;
    /* Under the lock. */
    ls_payload *head, *tail;
    size_t queued_bytes, queue_max;
    uint64_t submitted, done;
    bool failing;           /* the last request failed and will be repeated */
    uint64_t spool_records; /* a copy of spool_count for other threads */
    ls_sender_stats st;
    /* The sender's thread only (and ls_sender_stop after the thread ended). */
    spool *sp;
    char *positions_path;
    int max_retries, backoff_min_ms, backoff_max_ms;
    rng jitter;
    int64_t refusal_logged_ms;
    uint64_t refusals_unlogged;
    int64_t positions_logged_ms;
    int wake_fd;
    /* HTTP (sender_http.c). */
    httpx *http;
    char *content_type[2]; /* "Content-Type: ..." of protobuf, of json */
    char *tenant_header;   /* "X-Scope-OrgID: ..." or NULL */
    char *url, *shown;     /* shown: the URL without its query, for messages */
    char *auth_header;     /* "Authorization: Bearer ...": a secret */
    int connect_timeout_ms, timeout_ms;
};

/* Checks the URL and sets up the HTTP client and the headers. */
aifb_code ls_http_init(ls_sender *s, const ls_sender_opts *o, aifb_err *err);
void ls_http_free(ls_sender *s);
/* POSTs one body; *status is the HTTP status (0 without an answer), why a sentence for people
 * when the outcome is not HTTPPUSH_SENT. */
ls_outcome ls_http_post(ls_sender *s, const void *body, size_t len, ls_format format, int *status,
                        char *why, size_t whylen);

#endif
