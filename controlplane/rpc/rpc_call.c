/* rpc_call.c: one server call, from the moment gRPC matches it to a worker until it is freed.
 *
 * A call is a small state machine driven by completions of its own batches, all on its worker's
 * queue:
 *   NEW     auth check, method lookup, then RECV_CLOSE_ON_SERVER (tells us about cancellation)
 *           and RECV_MESSAGE.
 *   RECV    decode; unary: handler, then one batch with initial metadata, reply and status;
 *           server stream: open(), initial metadata, then pull next(); bidi: handler, reply,
 *           receive again until the client half-closes.
 *   SEND    a stream message went out: pull next() again (or receive again for bidi).
 *   CLOSE   the call is over for gRPC; when cancelled, a waiting stream is finished at once.
 *   STATUS  the final batch went out.
 * `pending` counts batches in flight; the call is freed when the final batch was started and
 * nothing is pending. Streams whose next() says WAIT sit on the worker's wait list until their
 * wake time (rpc_call_wake_due). */
#include <grpc/byte_buffer_reader.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "rpc/rpc_internal.h"

/* Longest authorization value compared; anything longer is wrong anyway. */
#define RPC_AUTH_MAX 1024

static void call_pump(rpc_call *c);
static void call_start_recv(rpc_call *c);
static void call_free(rpc_call *c);

static void tag_init(rpc_tag *t, rpc_tag_kind kind, rpc_call *c)
{
    t->kind = kind;
    t->call = c;
}

void rpc_call_request(rpc_worker *w)
{
    rpc_call *c = xcalloc(1, sizeof *c);
    c->worker = w;
    atomic_fetch_add(&w->server->live_calls, 1);
    c->status_details = grpc_empty_slice();
    tag_init(&c->tag_new, RPC_TAG_NEW, c);
    tag_init(&c->tag_recv, RPC_TAG_RECV, c);
    tag_init(&c->tag_send, RPC_TAG_SEND, c);
    tag_init(&c->tag_close, RPC_TAG_CLOSE, c);
    tag_init(&c->tag_status, RPC_TAG_STATUS, c);
    grpc_call_details_init(&c->details);
    grpc_metadata_array_init(&c->metadata);
    grpc_call_error e = grpc_server_request_call(w->server->grpc, &c->call, &c->details,
                                                 &c->metadata, w->cq, w->cq, &c->tag_new);
    if (e != GRPC_CALL_OK) {
        log_error("rpc: cannot wait for calls (grpc_server_request_call error %d)", (int)e);
        call_free(c);
    }
}

/* The last slot to go wakes a rpc_server_stop() waiting for the queues to fall quiet. */
static void call_slot_release(rpc_server *s)
{
    if (atomic_fetch_sub(&s->live_calls, 1) != 1)
        return;
    pthread_mutex_lock(&s->calls_mu);
    pthread_cond_broadcast(&s->calls_done);
    pthread_mutex_unlock(&s->calls_mu);
}

static void call_free(rpc_call *c)
{
    rpc_server *s = c->worker->server;
    if (c->req)
        protobuf_c_message_free_unpacked(c->req, NULL);
    if (c->recv_buf)
        grpc_byte_buffer_destroy(c->recv_buf);
    if (c->send_buf)
        grpc_byte_buffer_destroy(c->send_buf);
    grpc_slice_unref(c->status_details);
    if (c->call)
        grpc_call_unref(c->call);
    grpc_call_details_destroy(&c->details);
    grpc_metadata_array_destroy(&c->metadata);
    if (c->ctx.peer)
        gpr_free((void *)c->ctx.peer);
    for (size_t i = 0; i < c->md_copies_n; i++)
        free(c->md_copies[i]);
    free(c->md_copies);
    free(c);
    call_slot_release(s);
}

/* Starts a batch that counts as pending; a refused batch is logged and does not count. */
static void call_batch(rpc_call *c, const grpc_op *ops, size_t n, rpc_tag *tag)
{
    c->pending++;
    grpc_call_error e = grpc_call_start_batch(c->call, ops, n, tag, NULL);
    if (e != GRPC_CALL_OK) {
        log_error("rpc: %s: gRPC refused a batch (error %d)", c->method ? c->method->path : "call",
                  (int)e);
        c->pending--;
    }
}

/* ---- the wait list of the worker ----------------------------------------------------------- */

static void wait_push(rpc_call *c)
{
    rpc_worker *w = c->worker;
    c->wake_ms = aifb_mono_ms() + w->server->stream_poll_ms;
    c->waiting = true;
    c->wait_next = NULL;
    c->wait_prev = w->wait_tail;
    if (w->wait_tail)
        w->wait_tail->wait_next = c;
    else
        w->wait_head = c;
    w->wait_tail = c;
}

static void wait_remove(rpc_call *c)
{
    if (!c->waiting)
        return;
    rpc_worker *w = c->worker;
    if (c->wait_prev)
        c->wait_prev->wait_next = c->wait_next;
    else
        w->wait_head = c->wait_next;
    if (c->wait_next)
        c->wait_next->wait_prev = c->wait_prev;
    else
        w->wait_tail = c->wait_prev;
    c->wait_prev = c->wait_next = NULL;
    c->waiting = false;
}

void rpc_call_wake_due(rpc_worker *w, int64_t now_ms)
{
    while (w->wait_head && w->wait_head->wake_ms <= now_ms) {
        rpc_call *c = w->wait_head;
        wait_remove(c);
        call_pump(c);
    }
}

/* ---- messages ------------------------------------------------------------------------------- */

/* Packs msg into a byte buffer that owns the packed bytes, and frees msg. */
static grpc_byte_buffer *message_pack_take(ProtobufCMessage *msg)
{
    size_t n = protobuf_c_message_get_packed_size(msg);
    grpc_slice slice = grpc_empty_slice();
    if (n > 0) {
        uint8_t *buf = xmalloc(n);
        protobuf_c_message_pack(msg, buf);
        slice = grpc_slice_new(buf, n, free);
    }
    protobuf_c_message_free_unpacked(msg, NULL);
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&slice, 1);
    grpc_slice_unref(slice);
    return bb;
}

static ProtobufCMessage *message_unpack(grpc_byte_buffer *bb, const ProtobufCMessageDescriptor *d)
{
    grpc_byte_buffer_reader reader;
    if (!grpc_byte_buffer_reader_init(&reader, bb))
        return NULL;
    grpc_slice all = grpc_byte_buffer_reader_readall(&reader);
    grpc_byte_buffer_reader_destroy(&reader);
    ProtobufCMessage *msg =
        protobuf_c_message_unpack(d, NULL, GRPC_SLICE_LENGTH(all), GRPC_SLICE_START_PTR(all));
    grpc_slice_unref(all);
    return msg;
}

/* ---- ending a call ----------------------------------------------------------------------- */

static void stream_close(rpc_call *c)
{
    if (!c->stream_open)
        return;
    c->stream_open = false;
    c->method->stream->close(&c->ctx, c->stream_state);
    c->stream_state = NULL;
}

/* Sends the final status, with the initial metadata if it has not gone yet, and with reply
 * (taken and freed) when there is one. Every path of a call ends here exactly once. */
static void call_finish_reply(rpc_call *c, ProtobufCMessage *reply, aifb_code code, const char *msg)
{
    if (c->finishing) {
        if (reply)
            protobuf_c_message_free_unpacked(reply, NULL);
        return;
    }
    c->finishing = true;
    wait_remove(c);
    stream_close(c);
    grpc_op ops[3];
    size_t n = 0;
    memset(ops, 0, sizeof ops);
    if (!c->initial_md_sent) {
        ops[n++].op = GRPC_OP_SEND_INITIAL_METADATA;
        c->initial_md_sent = true;
    }
    if (reply) {
        c->send_buf = message_pack_take(reply);
        ops[n].op = GRPC_OP_SEND_MESSAGE;
        ops[n++].data.send_message.send_message = c->send_buf;
    }
    grpc_slice_unref(c->status_details);
    c->status_details = grpc_slice_from_copied_string(msg && msg[0] ? msg : "");
    ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
    ops[n].data.send_status_from_server.status = (grpc_status_code)code;
    ops[n++].data.send_status_from_server.status_details = &c->status_details;
    call_batch(c, ops, n, &c->tag_status);
}

static void call_finish(rpc_call *c, aifb_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void call_finish(rpc_call *c, aifb_code code, const char *fmt, ...)
{
    char msg[AIFB_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    call_finish_reply(c, NULL, code, msg);
}

/* A handler's error: its message, or the code's name when it left none. */
static void call_finish_err(rpc_call *c, aifb_code code, const aifb_err *err)
{
    if (code == AIFB_OK)
        call_finish(c, code, "%s", "");
    else
        call_finish(c, code, "%s", err->msg[0] ? err->msg : aifb_code_name(code));
}

/* Whether a handler's reply can be sent as the method's response; frees it when not. */
static bool reply_is_valid(rpc_call *c, ProtobufCMessage *reply, const char *who)
{
    if (!reply) {
        call_finish(c, AIFB_EINTERNAL, "%s of %s gave no message", who, c->method->path);
        return false;
    }
    if (reply->descriptor != c->method->response) {
        call_finish(c, AIFB_EINTERNAL, "%s of %s gave a %s instead of a %s", who, c->method->path,
                    reply->descriptor->name, c->method->response->name);
        protobuf_c_message_free_unpacked(reply, NULL);
        return false;
    }
    return true;
}

/* ---- metadata and the start of a call ------------------------------------------------------ */

const char *rpc_ctx_metadata(const rpc_ctx *ctx, const char *key)
{
    rpc_call *c = ctx->priv;
    for (size_t i = 0; i < c->metadata.count; i++) {
        if (grpc_slice_str_cmp(c->metadata.metadata[i].key, key) != 0)
            continue;
        grpc_slice v = c->metadata.metadata[i].value;
        char *copy = xmalloc(GRPC_SLICE_LENGTH(v) + 1);
        memcpy(copy, GRPC_SLICE_START_PTR(v), GRPC_SLICE_LENGTH(v));
        copy[GRPC_SLICE_LENGTH(v)] = '\0';
        c->md_copies = xrealloc(c->md_copies, (c->md_copies_n + 1) * sizeof *c->md_copies);
        c->md_copies[c->md_copies_n++] = copy;
        return copy;
    }
    return NULL;
}

static bool call_authorized(const rpc_call *c)
{
    const char *want = c->worker->server->expected_auth;
    if (!want)
        return true;
    for (size_t i = 0; i < c->metadata.count; i++) {
        if (grpc_slice_str_cmp(c->metadata.metadata[i].key, "authorization") != 0)
            continue;
        grpc_slice v = c->metadata.metadata[i].value;
        size_t n = GRPC_SLICE_LENGTH(v);
        if (n >= RPC_AUTH_MAX)
            return false;
        char got[RPC_AUTH_MAX];
        memcpy(got, GRPC_SLICE_START_PTR(v), n);
        got[n] = '\0';
        return aifb_secret_equal(got, want);
    }
    return false;
}

static int64_t deadline_to_mono_ms(gpr_timespec d)
{
    if (gpr_time_cmp(d, gpr_inf_future(d.clock_type)) == 0)
        return INT64_MAX;
    gpr_timespec left = gpr_time_sub(d, gpr_now(d.clock_type));
    return aifb_mono_ms() + gpr_time_to_millis(left);
}

static void ctx_init(rpc_call *c)
{
    rpc_server *s = c->worker->server;
    c->ctx.method = c->method->path;
    c->ctx.peer = grpc_call_get_peer(c->call);
    c->ctx.app = s->app;
    c->ctx.server = s;
    c->ctx.deadline_mono_ms = deadline_to_mono_ms(c->details.deadline);
    c->ctx.priv = c;
}

static void call_begin(rpc_call *c)
{
    grpc_op close_op;
    memset(&close_op, 0, sizeof close_op);
    close_op.op = GRPC_OP_RECV_CLOSE_ON_SERVER;
    close_op.data.recv_close_on_server.cancelled = &c->cancelled;
    call_batch(c, &close_op, 1, &c->tag_close);

    /* The token is checked before the method so callers without it learn nothing of the API. */
    if (!call_authorized(c)) {
        call_finish(c, AIFB_EUNAUTHENTICATED, "missing or wrong bearer token");
        return;
    }
    grpc_slice path = c->details.method;
    c->method = rpc_server_find(c->worker->server, (const char *)GRPC_SLICE_START_PTR(path),
                                GRPC_SLICE_LENGTH(path));
    if (!c->method) {
        call_finish(c, AIFB_EUNIMPLEMENTED, "unknown method %.*s", (int)GRPC_SLICE_LENGTH(path),
                    (const char *)GRPC_SLICE_START_PTR(path));
        return;
    }
    ctx_init(c);
    call_start_recv(c);
}

/* ---- the three kinds ----------------------------------------------------------------------- */

static void unary_run(rpc_call *c)
{
    ProtobufCMessage *reply = NULL;
    aifb_err err;
    aifb_err_clear(&err);
    aifb_code code = c->method->unary(&c->ctx, c->req, &reply, &err);
    if (code != AIFB_OK) {
        if (reply)
            protobuf_c_message_free_unpacked(reply, NULL);
        call_finish_err(c, code, &err);
        return;
    }
    if (reply_is_valid(c, reply, "the handler"))
        call_finish_reply(c, reply, AIFB_OK, "");
}

/* Sends one message of a stream (bidi or server stream); SEND completes into the next step. */
static void call_send(rpc_call *c, ProtobufCMessage *msg)
{
    grpc_op ops[2];
    size_t n = 0;
    memset(ops, 0, sizeof ops);
    if (!c->initial_md_sent) {
        ops[n++].op = GRPC_OP_SEND_INITIAL_METADATA;
        c->initial_md_sent = true;
    }
    c->send_buf = message_pack_take(msg);
    ops[n].op = GRPC_OP_SEND_MESSAGE;
    ops[n++].data.send_message.send_message = c->send_buf;
    call_batch(c, ops, n, &c->tag_send);
}

static void stream_begin(rpc_call *c)
{
    aifb_err err;
    aifb_err_clear(&err);
    aifb_code code = c->method->stream->open(&c->ctx, c->req, &c->stream_state, &err);
    if (code != AIFB_OK) {
        call_finish_err(c, code, &err);
        return;
    }
    c->stream_open = true;
    /* Headers go out now, so a subscriber knows the stream is up before the first event. */
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_SEND_INITIAL_METADATA;
    c->initial_md_sent = true;
    call_batch(c, &op, 1, &c->tag_send);
}

/* Asks a server stream for its next message; the stream can take one now. */
static void call_pump(rpc_call *c)
{
    if (c->cancelled) {
        call_finish(c, AIFB_ECANCELLED, "cancelled");
        return;
    }
    ProtobufCMessage *msg = NULL;
    aifb_err err;
    aifb_err_clear(&err);
    rpc_next next = c->method->stream->next(&c->ctx, c->stream_state, &msg, &err);
    switch (next) {
    case RPC_NEXT_MSG:
        if (reply_is_valid(c, msg, "next()"))
            call_send(c, msg);
        return;
    case RPC_NEXT_WAIT:
        /* An idle stream ends at once on stop, so stopping does not wait out the grace. */
        if (atomic_load(&c->worker->server->stopping))
            call_finish(c, AIFB_EUNAVAILABLE, "the server is shutting down");
        else
            wait_push(c);
        return;
    case RPC_NEXT_END:
        call_finish_err(c, err.code, &err);
        return;
    }
    call_finish(c, AIFB_EINTERNAL, "next() of %s returned %d", c->method->path, (int)next);
}

static void bidi_run(rpc_call *c)
{
    ProtobufCMessage *reply = NULL;
    aifb_err err;
    aifb_err_clear(&err);
    aifb_code code = c->method->bidi(&c->ctx, c->req, &reply, &err);
    if (code != AIFB_OK) {
        if (reply)
            protobuf_c_message_free_unpacked(reply, NULL);
        call_finish_err(c, code, &err);
        return;
    }
    if (reply_is_valid(c, reply, "the handler"))
        call_send(c, reply);
}

/* ---- completions ---------------------------------------------------------------------------- */

static void call_start_recv(rpc_call *c)
{
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_RECV_MESSAGE;
    op.data.recv_message.recv_message = &c->recv_buf;
    call_batch(c, &op, 1, &c->tag_recv);
}

static void on_recv(rpc_call *c, bool success)
{
    grpc_byte_buffer *bb = c->recv_buf;
    c->recv_buf = NULL;
    if (!success || c->cancelled) {
        if (bb)
            grpc_byte_buffer_destroy(bb);
        call_finish(c, AIFB_ECANCELLED, "cancelled");
        return;
    }
    if (!bb) {
        /* A bidi client half-closing (after any number of requests) ends the call normally. */
        if (c->method->kind == RPC_BIDI)
            call_finish(c, AIFB_OK, "%s", "");
        else
            call_finish(c, AIFB_EINVAL, "the call to %s carried no request message",
                        c->method->path);
        return;
    }
    if (c->req)
        protobuf_c_message_free_unpacked(c->req, NULL);
    c->req = message_unpack(bb, c->method->request);
    grpc_byte_buffer_destroy(bb);
    if (!c->req) {
        call_finish(c, AIFB_EINVAL, "the request to %s does not decode as %s", c->method->path,
                    c->method->request->name);
        return;
    }
    switch (c->method->kind) {
    case RPC_UNARY:
        unary_run(c);
        return;
    case RPC_SERVER_STREAM:
        stream_begin(c);
        return;
    case RPC_BIDI:
        bidi_run(c);
        return;
    }
}

static void on_sent(rpc_call *c, bool success)
{
    if (c->send_buf) {
        grpc_byte_buffer_destroy(c->send_buf);
        c->send_buf = NULL;
    }
    if (c->finishing)
        return;
    if (!success || c->cancelled) {
        call_finish(c, AIFB_ECANCELLED, "cancelled");
        return;
    }
    if (c->method->kind == RPC_BIDI)
        call_start_recv(c);
    else
        call_pump(c);
}

static void on_closed(rpc_call *c)
{
    /* Only a waiting stream has nothing in flight that would tell it about the cancel. */
    if (c->cancelled && c->waiting)
        call_finish(c, AIFB_ECANCELLED, "cancelled");
}

void rpc_call_on_event(rpc_tag *tag, bool success)
{
    rpc_call *c = tag->call;
    if (tag->kind == RPC_TAG_NEW) {
        if (!success) { /* the server is shutting down: this slot was never used */
            call_free(c);
            return;
        }
        if (!atomic_load(&c->worker->server->stopping))
            rpc_call_request(c->worker);
        call_begin(c);
    } else {
        c->pending--;
        switch (tag->kind) {
        case RPC_TAG_RECV:
            on_recv(c, success);
            break;
        case RPC_TAG_SEND:
            on_sent(c, success);
            break;
        case RPC_TAG_CLOSE:
            on_closed(c);
            break;
        default:
            break;
        }
    }
    if (c->finishing && c->pending == 0)
        call_free(c);
}
