/* rpc_internal.h: what the files of the rpc module share, and no one else sees.
 *
 * rpc_server.c owns the server's life (table, listener, worker threads, stop); rpc_call.c drives
 * one call from the moment gRPC hands it to a worker until it is freed (unary, server stream,
 * bidi); rpc_health.c and rpc_reflection.c are method tables of their own that plug into the
 * server like any other; rpc_fdset.c reads a serialized FileDescriptorSet for reflection;
 * rpc_client.c is the blocking client and rpc_process.c the process-wide set-up.
 *
 * Threading: a call belongs to the worker whose completion queue gRPC matched it on; only that
 * worker's thread touches the call and the worker's wait list, so neither has a lock. The health
 * table is the one thing shared between threads (rpc_health_set may come from anywhere). */
#ifndef AIFB_RPC_INTERNAL_H
#define AIFB_RPC_INTERNAL_H

#include <grpc/grpc.h>
#include <pthread.h>
#include <stdatomic.h>

#include "rpc/rpc.h"

/* Which operation a completion belongs to; each call embeds one tag per kind, so a completion's
 * tag leads back to its call without a lookup. */
typedef enum rpc_tag_kind {
    RPC_TAG_NEW,    /* grpc_server_request_call matched a call (or failed at shutdown) */
    RPC_TAG_RECV,   /* a RECV_MESSAGE finished */
    RPC_TAG_SEND,   /* a stream's SEND_MESSAGE (or early initial metadata) finished */
    RPC_TAG_CLOSE,  /* RECV_CLOSE_ON_SERVER: the call is over; says whether it was cancelled */
    RPC_TAG_STATUS, /* the batch carrying the final status finished */
} rpc_tag_kind;

typedef struct rpc_call rpc_call;

typedef struct rpc_tag {
    rpc_tag_kind kind;
    rpc_call *call;
} rpc_tag;

typedef struct rpc_worker {
    rpc_server *server;
    grpc_completion_queue *cq;
    pthread_t thread;
    /* Streams whose next() said WAIT, oldest first. Every entry waits the same poll interval,
     * so appending keeps the list sorted by wake time and the head gives cq_next its deadline. */
    rpc_call *wait_head, *wait_tail;
} rpc_worker;

struct rpc_call {
    rpc_worker *worker;
    grpc_call *call;
    grpc_call_details details;
    grpc_metadata_array metadata;
    rpc_tag tag_new, tag_recv, tag_send, tag_close, tag_status;
    int pending;          /* batches started and not yet completed */
    bool finishing;       /* the final status batch has been started */
    bool initial_md_sent; /* SEND_INITIAL_METADATA went out already */
    int cancelled;        /* set by RECV_CLOSE_ON_SERVER */
    const rpc_method *method;
    grpc_byte_buffer *recv_buf;
    grpc_byte_buffer *send_buf;
    grpc_slice status_details;
    ProtobufCMessage *req;
    rpc_ctx ctx;
    void *stream_state;
    bool stream_open; /* open() succeeded and close() has not been called yet */
    char **md_copies; /* NUL-terminated metadata values handed out by rpc_ctx_metadata */
    size_t md_copies_n;
    rpc_call *wait_prev, *wait_next;
    bool waiting;
    int64_t wake_ms; /* CLOCK_MONOTONIC ms at which a waiting stream is pulled again */
};

typedef struct rpc_table_row {
    const rpc_method *method;
    size_t path_len;
} rpc_table_row;

typedef struct rpc_health_entry {
    char *service;
    int status;
} rpc_health_entry;

typedef struct rpc_reflection rpc_reflection;

struct rpc_server {
    char *listen;
    int n_workers;
    char *expected_auth; /* "Bearer <token>", or NULL when no token is configured */
    int stream_poll_ms;
    void *app;

    rpc_table_row *table; /* sorted by path at start, then searched with bsearch */
    size_t table_n, table_cap;

    grpc_server *grpc;
    int port;
    bool is_unix;
    rpc_worker *workers;
    bool started, stopped;
    atomic_bool stopping;
    /* Call slots allocated and not yet freed (matched calls and outstanding request_call).
     * gRPC's shutdown notification can come while calls are still finishing, so stop waits for
     * this to reach zero before it shuts the worker queues down. */
    atomic_long live_calls;
    pthread_mutex_t calls_mu;
    pthread_cond_t calls_done;

    pthread_mutex_t health_mu;
    rpc_health_entry *health;
    size_t health_n;
    bool health_registered;

    rpc_reflection *reflection;
};

/* ---- rpc_call.c ---- */

/* How many request_call each worker keeps outstanding. */
#define RPC_REQUESTS_PER_WORKER 8

/* Allocates a call slot and asks gRPC for the next incoming call on the worker's queue. */
void rpc_call_request(rpc_worker *w);
/* Handles one completion of the worker's queue. */
void rpc_call_on_event(rpc_tag *tag, bool success);
/* Pulls every waiting stream whose wake time has come. */
void rpc_call_wake_due(rpc_worker *w, int64_t now_ms);

/* ---- rpc_server.c ---- */

/* The table row for a method path given as bytes (not NUL-terminated), or NULL. */
const rpc_method *rpc_server_find(const rpc_server *s, const char *path, size_t len);
/* Whether any method of the table starts with prefix ("/pkg.Svc/"). */
bool rpc_server_has_prefix(const rpc_server *s, const char *prefix);

/* ---- rpc_health.c ---- */

/* The status of a service (1 SERVING, 2 NOT_SERVING), or 0 when it is unknown. Thread-safe. */
int rpc_health_get(rpc_server *s, const char *service);
/* Turns every registered service NOT_SERVING (at stop). */
void rpc_health_all_not_serving(rpc_server *s);
void rpc_health_free(rpc_server *s);

/* ---- rpc_reflection.c ---- */

void rpc_reflection_free(rpc_reflection *r);

#endif
