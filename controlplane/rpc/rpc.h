/* rpc.h: the project's one seam over the gRPC C-core (server and client).
 *
 * Every server of aifb (aifbd, the Grafana backend shim) describes its API as a table of
 * rpc_method rows: a full method path, the protobuf-c descriptors of request and response, and a
 * handler. The module owns everything gRPC: worker threads each with its own completion queue (so
 * a call is only ever touched by one thread and needs no lock), decoding requests (undecodable ->
 * INVALID_ARGUMENT), unknown methods (-> UNIMPLEMENTED), the bearer token check
 * (-> UNAUTHENTICATED), encoding replies, server streams and shutdown. Handlers see protobuf-c
 * messages and return aifb_code values, which are numbered like gRPC status codes.
 *
 * Handlers (and open/next/close of streams) run on the worker threads, one call at a time per
 * worker: they must not block for long; a stream with nothing to send returns RPC_NEXT_WAIT.
 *
 * Memory: a handler's reply (and every message a stream's next() yields) is built on the heap
 * with malloc'd strings, arrays and sub-messages, and the module frees it with
 * protobuf_c_message_free_unpacked(msg, NULL) after sending. Request messages belong to the
 * module and stay valid for the handler's call (for streams: until close()).
 *
 * The C-core API is not stable across minor versions; nothing outside this folder includes grpc
 * headers. */
#ifndef AIFB_RPC_H
#define AIFB_RPC_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/* ---- process set-up ---------------------------------------------------------------------- */

/* Blocks SIGINT, SIGTERM and SIGHUP in the calling thread (so every thread started after it,
 * gRPC's included, inherits the mask) and initialises gRPC. Call once, first thing in main. */
void rpc_init(void);
/* Waits for SIGINT, SIGTERM or SIGHUP and returns its number. */
int rpc_wait_signal(void);
/* Releases gRPC. Call once, last. */
void rpc_shutdown(void);

/* Whether an address ("127.0.0.1:50051", "[::1]:9", "localhost:1", "unix:/run/x.sock") only
 * reaches this machine: loopback or a unix socket. */
bool rpc_listen_is_local(const char *addr);

/* ---- server ------------------------------------------------------------------------------ */

typedef struct rpc_server rpc_server;

/* What a handler knows of its call. */
typedef struct rpc_ctx {
    const char *method; /* "/aifb.v1.ControlPlane/GetRun" */
    const char *peer;   /* "ipv4:127.0.0.1:51234" */
    void *app;          /* rpc_server_config.app */
    rpc_server *server;
    int64_t deadline_mono_ms; /* client's deadline on CLOCK_MONOTONIC, INT64_MAX when none */
    void *priv;               /* the module's own */
} rpc_ctx;

/* First value of a request metadata key (lower case), or NULL. Valid during the call. */
const char *rpc_ctx_metadata(const rpc_ctx *ctx, const char *key);

/* Unary: on AIFB_OK set *reply; otherwise fill err (its code is the status sent). */
typedef aifb_code (*rpc_unary_fn)(rpc_ctx *ctx, const ProtobufCMessage *req,
                                  ProtobufCMessage **reply, aifb_err *err);

/* Server streams are pulled: the module calls next() whenever the stream can take a message. */
typedef enum rpc_next {
    RPC_NEXT_MSG,  /* *msg holds a message to send; next() is called again after it is sent */
    RPC_NEXT_WAIT, /* nothing to send now; next() is called again within poll_ms */
    RPC_NEXT_END,  /* finish the call with status err (AIFB_OK for a normal end) */
} rpc_next;

typedef struct rpc_stream_ops {
    /* Starts the stream; a non-OK code ends the call at once with that status. */
    aifb_code (*open)(rpc_ctx *ctx, const ProtobufCMessage *req, void **state, aifb_err *err);
    rpc_next (*next)(rpc_ctx *ctx, void *state, ProtobufCMessage **msg, aifb_err *err);
    /* Always called once after a successful open: normal end, cancel by the client, shutdown. */
    void (*close)(rpc_ctx *ctx, void *state);
} rpc_stream_ops;

/* Bidirectional streams where every request gets exactly one reply (server reflection). */
typedef aifb_code (*rpc_bidi_fn)(rpc_ctx *ctx, const ProtobufCMessage *req,
                                 ProtobufCMessage **reply, aifb_err *err);

typedef enum rpc_kind { RPC_UNARY, RPC_SERVER_STREAM, RPC_BIDI } rpc_kind;

typedef struct rpc_method {
    const char *path; /* "/package.Service/Method" */
    rpc_kind kind;
    const ProtobufCMessageDescriptor *request;
    const ProtobufCMessageDescriptor *response;
    rpc_unary_fn unary;           /* RPC_UNARY */
    const rpc_stream_ops *stream; /* RPC_SERVER_STREAM */
    rpc_bidi_fn bidi;             /* RPC_BIDI */
} rpc_method;

typedef struct rpc_server_config {
    const char *listen;       /* host:port or unix:PATH; port 0 picks a free one */
    int workers;              /* worker threads (each its own completion queue); 0: 2 */
    const char *bearer_token; /* when set, every call needs "authorization: Bearer <token>" */
    int stream_poll_ms;       /* how soon a waiting stream's next() is called again; 0: 20 */
    void *app;                /* handed to handlers as ctx->app */
} rpc_server_config;

/* Creates a server; nothing listens until rpc_server_start(). The config's strings are copied.
 * Initialises gRPC for its own use (counted), so it works with or without rpc_init(). */
aifb_code rpc_server_new(const rpc_server_config *cfg, rpc_server **out, aifb_err *err);
/* Adds rows to the method table (the rows must outlive the server). Before start only. */
void rpc_server_add(rpc_server *s, const rpc_method *methods, size_t n);
/* Binds the listener and starts the workers. Fails with a message naming the address (also
 * when another process already listens on it: the port is not shared), or naming a method
 * path that is in the table twice. */
aifb_code rpc_server_start(rpc_server *s, aifb_err *err);
/* The TCP port bound (useful with port 0); 0 for unix sockets. */
int rpc_server_port(const rpc_server *s);
/* Stops accepting calls, lets calls in flight finish for up to grace_ms, cancels the rest
 * (streams get close()), joins the workers. A stream whose next() says WAIT during the stop
 * ends at once with UNAVAILABLE "the server is shutting down" (so idle subscribers do not hold
 * the stop for the whole grace); one still sending gets the grace. Safe to call more than once;
 * rpc_server_free() calls it with no grace when it was not called. */
void rpc_server_stop(rpc_server *s, int grace_ms);
void rpc_server_free(rpc_server *s);

/* grpc.health.v1.Health (Check, Watch). Registered services start SERVING; "" is the server as
 * a whole. rpc_server_stop() turns every status to NOT_SERVING first. Before start (it adds
 * methods). */
void rpc_health_register(rpc_server *s);
/* Adds the service or changes its status; any thread, any time (watchers see the change within
 * one stream_poll_ms). status: 1 SERVING, 2 NOT_SERVING (grpc.health.v1 numbering). */
void rpc_health_set(rpc_server *s, const char *service, int status);

/* grpc.reflection.v1alpha and v1 ServerReflection from a serialized FileDescriptorSet (made at
 * build time with --include_imports). The bytes must outlive the server. Before start (it adds
 * methods). list_services names the services of the set that have methods in the server's
 * table; a malformed set is refused with AIFB_EINVAL. */
aifb_code rpc_reflection_register(rpc_server *s, const uint8_t *fdset, size_t len, aifb_err *err);

/* ---- client ------------------------------------------------------------------------------ */

typedef struct rpc_client rpc_client;

/* target: host:port or unix:PATH. bearer_token (may be NULL) is sent with every call. A client
 * may be used from several threads at once (each call has its own completion queue). Like the
 * server, it initialises gRPC for its own use. */
aifb_code rpc_client_new(const char *target, const char *bearer_token, rpc_client **out,
                         aifb_err *err);
void rpc_client_free(rpc_client *c);

/* One unary call. On AIFB_OK *reply is a message the caller frees with
 * protobuf_c_message_free_unpacked(*reply, NULL). Otherwise err holds the server's status code
 * and message, or AIFB_EUNAVAILABLE with a sentence naming the target when it cannot be reached.
 * timeout_ms <= 0: 30 s. */
aifb_code rpc_client_unary(rpc_client *c, const char *method, const ProtobufCMessage *req,
                           const ProtobufCMessageDescriptor *reply_desc, ProtobufCMessage **reply,
                           int timeout_ms, aifb_err *err);

/* One unary call with the request and reply as raw bytes, for callers (and tests) that need to
 * send what a typed call never would: bytes that do not decode, or no message at all
 * (send_message false: the client half-closes without one). On AIFB_OK *reply is malloc'd
 * (*reply_len bytes; the caller frees it); errors as for rpc_client_unary(). */
aifb_code rpc_client_unary_raw(rpc_client *c, const char *method, const void *req, size_t req_len,
                               bool send_message, uint8_t **reply, size_t *reply_len,
                               int timeout_ms, aifb_err *err);

/* Called for each message of a server stream; the message is freed after the call returns.
 * Return false to cancel the stream (the call then returns AIFB_OK). */
typedef bool (*rpc_client_stream_fn)(void *user, const ProtobufCMessage *msg);

/* One server-streaming call, until the server ends it, on_msg returns false, or timeout_ms
 * passes (<= 0: no limit). Returns the final status like rpc_client_unary(). */
aifb_code rpc_client_stream(rpc_client *c, const char *method, const ProtobufCMessage *req,
                            const ProtobufCMessageDescriptor *reply_desc,
                            rpc_client_stream_fn on_msg, void *user, int timeout_ms, aifb_err *err);

#endif
