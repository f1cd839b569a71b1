/* engine_internal.h: what engine.c (the loop, pacing, phases) and request.c (one request's life:
 * options, callbacks, the verdict) share. */
#ifndef AIFB_LOADGEN_ENGINE_INTERNAL_H
#define AIFB_LOADGEN_ENGINE_INTERNAL_H

#include <curl/curl.h>
#include <json-c/json.h>
#include <stdio.h>

#include "loadgen/dataset.h"
#include "loadgen/engine.h"
#include "loadgen/sse.h"
#include "loadgen/workload.h"

#define LG_MAX_BODY ((size_t)64 << 20) /* a response body larger than this is malformed */

typedef struct lg_req {
    lg_engine *e;
    CURL *h;
    struct curl_slist *hdrs;
    struct curl_slist *id_hdr; /* the x-request-id node of hdrs, rewritten per request */
    abuf body;                 /* the request body */
    abuf resp;                 /* non-streaming bodies, and the start of error bodies */
    sse_parser sse;
    char id[64];
    uint64_t n;
    lg_phase *phase;
    uint64_t t_intended, t_send, t_first, t_last;
    uint64_t *gaps;
    size_t ngaps, capgaps, content_chunks;
    int64_t input_tokens, usage_prompt, usage_completion;
    bool has_usage, done_seen, bad_stream, stream_error, status_known;
    int status;
    char why[160];
    struct lg_req *next_free;
    struct lg_req *next_all;
    struct lg_req *prev, *next; /* the engine's list of requests in flight */
} lg_req;

/* What the epoll set holds for a descriptor libcurl handed over (lg_engine.fds, by number). */
enum {
    LG_FD_REG = 1,    /* in the epoll set */
    LG_FD_IN = 2,     /* ... watched for reading */
    LG_FD_OUT = 4,    /* ... watched for writing */
    LG_FD_OURS = 8,   /* a connection's socket: its close is reported (on_closesocket_cb) */
    LG_FD_PARKED = 16 /* an idle keep-alive connection libcurl let go of, left in the set */
};

struct lg_engine {
    const lg_opts *o;
    CURLM *multi;
    int epfd, tfd_pace, tfd_curl, tfd_tick, sigfd;
    uint8_t *fds; /* LG_FD_* by descriptor number */
    size_t nfds;
    bool curl_timeout_now;
    uint64_t curl_armed; /* the deadline tfd_curl is set to, ns; 0: none */
    char *url;
    CURLU *uh; /* url, parsed once (engine_setup.c); NULL: each handle is given url instead */
    char *model;
    char *note;
    char *auth_header; /* "Authorization: Bearer ..." or NULL; never printed */
    char id_prefix[24];
    bool needs_prompt; /* the workload sends dataset items */
    bool direct;       /* the environment names no proxy (engine_setup.c) */
    json_tokener *tok;
    lg_dataset ds;
    rng r;
    lg_req *free_reqs;
    lg_req *active; /* in flight */
    lg_req *all;    /* every request ever made (freed at the end) */
    int inflight;
    int fd_cap; /* the most requests in flight the open files limit allows */
    uint64_t next_n;

    lg_phase *cur;     /* the phase being run */
    bool sending_done; /* cur has scheduled and sent everything */
    arrival arr;
    uint64_t next_due; /* open loop: the next intended send, ns */
    uint64_t *backlog; /* open loop: intended times of requests held back by the cap (ring) */
    size_t bl_cap, bl_head, bl_len;
    uint64_t deadline; /* ns; 0: none */
    int users;         /* closed loop: users allowed now (ramp) */

    int64_t failed_total, aborted;
    const char *stop; /* why the run stopped early */
    FILE *jsonl;

    engine_tick_fn tick_fn;
    void *tick_ud;
};

/* engine.c: libcurl's socket and timer callbacks (engine_setup.c installs them) */
int on_socket_cb(CURL *h, curl_socket_t s, int what, void *ud, void *sockp);
int on_timer_cb(CURLM *m, long timeout_ms, void *ud);
/* request.c installs these on every handle: they tell on_socket_cb which descriptors are
 * connections' sockets and when one is closed */
int on_sockopt_cb(void *ud, curl_socket_t s, curlsocktype purpose);
int on_closesocket_cb(void *ud, curl_socket_t s);

/* request.c */
lg_req *req_get(lg_engine *e);
void req_put(lg_engine *e, lg_req *r);
void req_free(lg_req *r);
/* Prepares the request's handle and body for the next dataset item. */
void req_prepare(lg_engine *e, lg_req *r, lg_phase *p, uint64_t t_intended);
/* Turns a finished transfer into its verdict and adds it to its phase. */
void req_finish(lg_engine *e, lg_req *r, CURLcode rc, uint64_t now);

#endif
