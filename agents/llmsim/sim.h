/* sim.h: the inside of aifb-llmsim's server, shared by its three parts.
 *
 *   server.c  the event loop, the listener, connections (reading, writing, closing) and replies
 *   route.c   parsing what arrived on a connection and answering each request by its route
 *   sched.c   generation requests: held, queued, running; their timers; the streamed chunks
 *
 * A connection answers one request at a time (HTTP/1.1 answers go in request order), so it owns
 * one gen, the state of its request in progress; pipelined requests wait, unparsed, in its input
 * buffer. A gen is in at most one of: the timer heap (due at a time), the FIFO queue (waiting for
 * one of --max-num-seqs slots), or neither (hanging, or blocked on a full socket until EPOLLOUT).
 * Closing a connection takes its gen out of wherever it is, and gives back its slot. Memory of a
 * closed connection is freed at the end of the loop iteration, so a pointer held by the code that
 * closed it stays valid until then. */
#ifndef AIFB_LLMSIM_SIM_H
#define AIFB_LLMSIM_SIM_H

#include <stdio.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/util.h"
#include "core/rng.h"
#include "llmsim/api.h"
#include "llmsim/heap.h"
#include "llmsim/http.h"
#include "llmsim/metrics.h"
#include "llmsim/opts.h"
#include "llmsim/server.h"
#include "llmsim/sse.h"

/* Output waiting for a connection above OUT_HIGH stops token generation for it until it drains;
 * it is also the most one stream writes per wakeup, so that streams take turns. */
#define OUT_HIGH  (256 * 1024)
#define LINGER_NS (2 * 1000000000LL)

typedef enum gen_state {
    GEN_IDLE = 0,
    GEN_HOLD,    /* --slow-headers-ms: held before it enters the scheduler */
    GEN_QUEUED,  /* waiting for a slot */
    GEN_RUNNING, /* admitted: holds a slot */
    GEN_HANG,    /* --hang-rate: never answered */
    GEN_REPLY,   /* a complete reply held back by --slow-headers-ms (embeddings) */
    GEN_LINGER,  /* the connection's last bytes are out; waiting for the client to close */
} gen_state;

typedef struct sim_faults {
    bool hang, rate_limit, error, reset, malformed, slow;
} sim_faults;

struct conn;

typedef struct gen {
    heap_node timer; /* first member: a heap_node pointer is a gen pointer */
    struct gen *qnext, *qprev;
    struct conn *c;
    gen_state state;
    sim_kind kind;
    bool stream, include_usage;
    bool blocked; /* stopped on a full socket; EPOLLOUT resumes it */
    bool do_reset, do_malformed, resetting;
    uint64_t ntok, sent, prompt_tokens, reset_at, malformed_at;
    int64_t arrival;   /* the request had fully arrived */
    int64_t ready;     /* it entered the scheduler (after any hold) */
    int64_t first_due; /* the first token, from admission + TTFT */
    int64_t next_due;  /* streaming: the next chunk (due when its last token is) */
    int64_t done_due;  /* not streaming: the last token */
    int64_t last_emit;
    int64_t first_emit; /* when the first token was written (--request-log) */
    char req_id[64];    /* the client's x-request-id, or "" */
    rng r;              /* this request's own draws: the same request number gets the same delays */
    rng itl_replay;     /* not streaming: r before the ITL draws, to record them at the end */
    sse_stream sse;
    char id[48];
    int64_t created;
    abuf reply;
} gen;

typedef struct conn {
    int fd;
    struct llmsim_server *srv;
    struct conn *prev, *next; /* open connections */
    struct conn *next_dead;
    char *in;
    size_t in_off, in_len, in_cap;
    abuf out;
    size_t out_off;
    http_parser hp;
    gen g;
    bool busy;        /* g is answering a request */
    bool keep_alive;  /* of the request being answered */
    bool http10;      /* of the request being answered */
    bool close_after; /* close once the output is out */
    bool lingering, dead, read_paused, sent_continue;
} conn;

struct llmsim_server {
    const llmsim_opts *o;
    int ep, lfd, tfd, sfd;
    timer_heap heap;
    int64_t armed; /* what the timerfd is set to; 0: not set */
    gen *qhead, *qtail;
    uint64_t waiting, running;
    conn *conns, *dead;
    llmsim_metrics m;
    rng faults;
    uint64_t req_seq;
    int64_t itl_ns; /* --itl-ms in nanoseconds, for the fixed distribution */
    api_ctx api;
    char model_json[LLMSIM_MODEL_MAX * 6 + 3];
    abuf scratch;
    int64_t started_s;
    bool stop, stopping, accept_paused;
    char address[300];
    FILE *request_log; /* --request-log, line-buffered; NULL without it */
};

/* server.c */
int64_t sim_now(void);
/* Status line and headers; length < 0 starts a streamed body (chunked, or close-delimited for
 * HTTP/1.0). extra is more header lines, each ending in CRLF, or NULL. */
void conn_head(conn *c, int status, const char *ctype, int64_t length, const char *extra);
void conn_respond(conn *c, int status, const char *ctype, const char *body, size_t len,
                  const char *extra);
/* An OpenAI-style error body with the status. */
void conn_error(conn *c, int status, const char *msg, const char *extra);
/* Writes what it can of the output; may close the connection (check c->dead after). */
void conn_flush(conn *c);
/* The request in progress is answered: the next pipelined one may start. */
void conn_request_done(conn *c, int64_t now);
/* Closes at once (the client is gone, or stopping); reset sends a TCP RST instead of a FIN. */
void conn_close(conn *c);
void conn_reset(conn *c);
/* Parses and answers what has arrived, reading more if the input buffer had filled up. */
void conn_pump(conn *c, int64_t now);

/* route.c */
/* Answers the complete requests in the input buffer, in order, while the connection is free. */
void conn_process_input(conn *c, int64_t now);

/* sched.c */
void gen_start(conn *c, const sim_request *q, const sim_faults *f, int64_t now);
/* Holds a complete reply (in c->g.reply) for --slow-headers-ms before sending it. */
void gen_hold_reply(conn *c, int64_t now);
void gen_fire(gen *g, int64_t now);
/* The socket drained: a blocked stream continues. */
void gen_resume(gen *g, int64_t now);
/* The connection is closing: take the gen out of the heap or queue, give back its slot. */
void gen_abort(gen *g, int64_t now);

#endif
