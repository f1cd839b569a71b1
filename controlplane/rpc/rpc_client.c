/* rpc_client.c: a blocking gRPC client for the CLI, the Grafana shim and tests.
 *
 * A client is one channel (insecure credentials: the daemon listens on loopback or a unix socket,
 * or behind something that terminates TLS). Each call gets its own pluck completion queue, so
 * calls from many threads share the channel without sharing any other state. Calls do not wait
 * for the channel to become ready: an unreachable daemon fails at once with UNAVAILABLE, which
 * is reported as "cannot reach <target>: <why>".
 *
 * The typed calls are built on rpc_client_unary_raw (bytes in, bytes out), which tests also use
 * to send what a typed call never would. */
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc_security.h>
#include <grpc/support/time.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "rpc/rpc_internal.h"

#define RPC_DEFAULT_TIMEOUT_MS 30000

struct rpc_client {
    char *target;
    grpc_channel *channel;
    grpc_metadata auth; /* "authorization: Bearer <token>" */
    bool has_auth;
};

aifb_code rpc_client_new(const char *target, const char *bearer_token, rpc_client **out,
                         aifb_err *err)
{
    *out = NULL;
    if (!target || !target[0])
        return aifb_err_set(err, AIFB_EINVAL, "the client needs a target address");
    grpc_init();
    rpc_client *c = xcalloc(1, sizeof *c);
    c->target = xstrdup(target);
    grpc_channel_credentials *creds = grpc_insecure_credentials_create();
    c->channel = grpc_channel_create(target, creds, NULL);
    grpc_channel_credentials_release(creds);
    if (bearer_token && bearer_token[0]) {
        abuf b = {0};
        abuf_printf(&b, "Bearer %s", bearer_token);
        c->auth.key = grpc_slice_from_static_string("authorization");
        c->auth.value = grpc_slice_from_copied_buffer(b.p, b.len);
        abuf_free(&b);
        c->has_auth = true;
    }
    *out = c;
    return AIFB_OK;
}

void rpc_client_free(rpc_client *c)
{
    if (!c)
        return;
    if (c->has_auth)
        grpc_slice_unref(c->auth.value);
    grpc_channel_destroy(c->channel);
    free(c->target);
    free(c);
    grpc_shutdown();
}

/* ---- one call ----------------------------------------------------------------------------- */

typedef struct client_call {
    rpc_client *client;
    const char *method;
    grpc_completion_queue *cq;
    grpc_call *call;
    grpc_metadata_array initial_md, trailing_md;
    grpc_status_code status;
    grpc_slice details;
    int timeout_ms;
} client_call;

static void client_call_start(client_call *cc, rpc_client *c, const char *method, int timeout_ms)
{
    memset(cc, 0, sizeof *cc);
    cc->client = c;
    cc->method = method;
    cc->timeout_ms = timeout_ms;
    cc->cq = grpc_completion_queue_create_for_pluck(NULL);
    gpr_timespec deadline = gpr_inf_future(GPR_CLOCK_MONOTONIC);
    if (timeout_ms > 0)
        deadline = gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                                gpr_time_from_millis(timeout_ms, GPR_TIMESPAN));
    grpc_slice path = grpc_slice_from_copied_string(method);
    cc->call = grpc_channel_create_call(c->channel, NULL, GRPC_PROPAGATE_DEFAULTS, cc->cq, path,
                                        NULL, deadline, NULL);
    grpc_slice_unref(path);
    grpc_metadata_array_init(&cc->initial_md);
    grpc_metadata_array_init(&cc->trailing_md);
    cc->details = grpc_empty_slice();
}

static void client_call_end(client_call *cc)
{
    grpc_call_unref(cc->call);
    grpc_completion_queue_shutdown(cc->cq);
    grpc_completion_queue_pluck(cc->cq, NULL, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
    grpc_completion_queue_destroy(cc->cq);
    grpc_metadata_array_destroy(&cc->initial_md);
    grpc_metadata_array_destroy(&cc->trailing_md);
    grpc_slice_unref(cc->details);
}

static aifb_code client_call_batch(client_call *cc, const grpc_op *ops, size_t n, void *tag,
                                   aifb_err *err)
{
    grpc_call_error e = grpc_call_start_batch(cc->call, ops, n, tag, NULL);
    if (e != GRPC_CALL_OK)
        return aifb_err_set(err, AIFB_EINTERNAL, "calling %s on %s: gRPC refused the call (%d)",
                            cc->method, cc->client->target, (int)e);
    grpc_completion_queue_pluck(cc->cq, tag, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
    return AIFB_OK;
}

/* The call's final status as an aifb_code, with the server's message unchanged. */
static aifb_code client_call_status(const client_call *cc, aifb_err *err)
{
    if (cc->status == GRPC_STATUS_OK)
        return AIFB_OK;
    int n = (int)GRPC_SLICE_LENGTH(cc->details);
    const char *text = (const char *)GRPC_SLICE_START_PTR(cc->details);
    aifb_code code = (aifb_code)cc->status;
    if (code < AIFB_OK || code > AIFB_EUNAUTHENTICATED)
        code = AIFB_EUNKNOWN;
    if (n == 0) {
        text = aifb_code_name(code);
        n = (int)strlen(text);
    }
    if (code == AIFB_EUNAVAILABLE)
        return aifb_err_set(err, code, "cannot reach %s: %.*s", cc->client->target, n, text);
    if (code == AIFB_ETIMEOUT && cc->timeout_ms > 0)
        return aifb_err_set(err, code, "%s on %s: no answer within %d ms (%.*s)", cc->method,
                            cc->client->target, cc->timeout_ms, n, text);
    return aifb_err_set(err, code, "%.*s", n, text);
}

static void op_send_initial(client_call *cc, grpc_op *op)
{
    op->op = GRPC_OP_SEND_INITIAL_METADATA;
    if (cc->client->has_auth) {
        op->data.send_initial_metadata.count = 1;
        op->data.send_initial_metadata.metadata = &cc->client->auth;
    }
}

static void op_recv_status(client_call *cc, grpc_op *op)
{
    op->op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    op->data.recv_status_on_client.trailing_metadata = &cc->trailing_md;
    op->data.recv_status_on_client.status = &cc->status;
    op->data.recv_status_on_client.status_details = &cc->details;
}

static uint8_t *buffer_take_bytes(grpc_byte_buffer *bb, size_t *len)
{
    grpc_byte_buffer_reader reader;
    *len = 0;
    if (!grpc_byte_buffer_reader_init(&reader, bb)) {
        grpc_byte_buffer_destroy(bb);
        return NULL;
    }
    grpc_slice all = grpc_byte_buffer_reader_readall(&reader);
    grpc_byte_buffer_reader_destroy(&reader);
    grpc_byte_buffer_destroy(bb);
    *len = GRPC_SLICE_LENGTH(all);
    uint8_t *out = xmalloc(*len ? *len : 1);
    memcpy(out, GRPC_SLICE_START_PTR(all), *len);
    grpc_slice_unref(all);
    return out;
}

/* ---- unary ------------------------------------------------------------------------------- */

aifb_code rpc_client_unary_raw(rpc_client *c, const char *method, const void *req, size_t req_len,
                               bool send_message, uint8_t **reply, size_t *reply_len,
                               int timeout_ms, aifb_err *err)
{
    *reply = NULL;
    *reply_len = 0;
    client_call cc;
    client_call_start(&cc, c, method, timeout_ms > 0 ? timeout_ms : RPC_DEFAULT_TIMEOUT_MS);
    grpc_slice req_slice = grpc_slice_from_copied_buffer(req, req_len);
    grpc_byte_buffer *send_buf = grpc_raw_byte_buffer_create(&req_slice, 1);
    grpc_slice_unref(req_slice);
    grpc_byte_buffer *recv_buf = NULL;
    grpc_op ops[6];
    size_t n = 0;
    memset(ops, 0, sizeof ops);
    op_send_initial(&cc, &ops[n++]);
    if (send_message) {
        ops[n].op = GRPC_OP_SEND_MESSAGE;
        ops[n++].data.send_message.send_message = send_buf;
    }
    ops[n++].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    ops[n].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[n++].data.recv_initial_metadata.recv_initial_metadata = &cc.initial_md;
    ops[n].op = GRPC_OP_RECV_MESSAGE;
    ops[n++].data.recv_message.recv_message = &recv_buf;
    op_recv_status(&cc, &ops[n++]);
    aifb_code rc = client_call_batch(&cc, ops, n, &cc, err);
    grpc_byte_buffer_destroy(send_buf);
    if (rc == AIFB_OK)
        rc = client_call_status(&cc, err);
    if (rc == AIFB_OK && !recv_buf)
        rc = aifb_err_set(err, AIFB_EINTERNAL, "%s on %s answered OK without a message", method,
                          c->target);
    if (rc == AIFB_OK)
        *reply = buffer_take_bytes(recv_buf, reply_len);
    else if (recv_buf)
        grpc_byte_buffer_destroy(recv_buf);
    client_call_end(&cc);
    return rc;
}

static uint8_t *message_pack(const ProtobufCMessage *msg, size_t *len)
{
    *len = protobuf_c_message_get_packed_size(msg);
    uint8_t *buf = xmalloc(*len ? *len : 1);
    protobuf_c_message_pack(msg, buf);
    return buf;
}

aifb_code rpc_client_unary(rpc_client *c, const char *method, const ProtobufCMessage *req,
                           const ProtobufCMessageDescriptor *reply_desc, ProtobufCMessage **reply,
                           int timeout_ms, aifb_err *err)
{
    *reply = NULL;
    size_t req_len, reply_len;
    uint8_t *req_bytes = message_pack(req, &req_len), *reply_bytes;
    aifb_code rc = rpc_client_unary_raw(c, method, req_bytes, req_len, true, &reply_bytes,
                                        &reply_len, timeout_ms, err);
    free(req_bytes);
    if (rc != AIFB_OK)
        return rc;
    *reply = protobuf_c_message_unpack(reply_desc, NULL, reply_len, reply_bytes);
    free(reply_bytes);
    if (!*reply)
        return aifb_err_set(err, AIFB_EINTERNAL, "the reply of %s from %s does not decode as %s",
                            method, c->target, reply_desc->name);
    return AIFB_OK;
}

/* ---- server stream --------------------------------------------------------------------------- */

/* Receives messages until the stream ends (*cancelled false) or on_msg declines (true). */
static aifb_code stream_receive(client_call *cc, const ProtobufCMessageDescriptor *reply_desc,
                                rpc_client_stream_fn on_msg, void *user, bool *cancelled,
                                aifb_err *err)
{
    int recv_tag;
    *cancelled = false;
    for (;;) {
        grpc_byte_buffer *bb = NULL;
        grpc_op op;
        memset(&op, 0, sizeof op);
        op.op = GRPC_OP_RECV_MESSAGE;
        op.data.recv_message.recv_message = &bb;
        aifb_code rc = client_call_batch(cc, &op, 1, &recv_tag, err);
        if (rc != AIFB_OK || !bb)
            return rc;
        size_t len;
        uint8_t *bytes = buffer_take_bytes(bb, &len);
        ProtobufCMessage *msg = protobuf_c_message_unpack(reply_desc, NULL, len, bytes);
        free(bytes);
        if (!msg) {
            grpc_call_cancel(cc->call, NULL);
            *cancelled = true;
            return aifb_err_set(err, AIFB_EINTERNAL,
                                "a message of %s from %s does not decode as %s", cc->method,
                                cc->client->target, reply_desc->name);
        }
        bool more = on_msg(user, msg);
        protobuf_c_message_free_unpacked(msg, NULL);
        if (!more) {
            grpc_call_cancel(cc->call, NULL);
            *cancelled = true;
            return AIFB_OK;
        }
    }
}

aifb_code rpc_client_stream(rpc_client *c, const char *method, const ProtobufCMessage *req,
                            const ProtobufCMessageDescriptor *reply_desc,
                            rpc_client_stream_fn on_msg, void *user, int timeout_ms, aifb_err *err)
{
    client_call cc;
    client_call_start(&cc, c, method, timeout_ms);
    size_t req_len;
    uint8_t *req_bytes = message_pack(req, &req_len);
    grpc_slice req_slice = req_len ? grpc_slice_new(req_bytes, req_len, free) : grpc_empty_slice();
    if (!req_len)
        free(req_bytes);
    grpc_byte_buffer *send_buf = grpc_raw_byte_buffer_create(&req_slice, 1);
    grpc_slice_unref(req_slice);

    int status_tag, start_tag;
    grpc_op status_op;
    memset(&status_op, 0, sizeof status_op);
    op_recv_status(&cc, &status_op);
    aifb_code rc = AIFB_OK;
    bool status_started =
        grpc_call_start_batch(cc.call, &status_op, 1, &status_tag, NULL) == GRPC_CALL_OK;
    if (!status_started)
        rc = aifb_err_set(err, AIFB_EINTERNAL, "calling %s on %s: gRPC refused the call", method,
                          c->target);
    grpc_op ops[4];
    memset(ops, 0, sizeof ops);
    op_send_initial(&cc, &ops[0]);
    ops[1].op = GRPC_OP_SEND_MESSAGE;
    ops[1].data.send_message.send_message = send_buf;
    ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[3].data.recv_initial_metadata.recv_initial_metadata = &cc.initial_md;
    if (rc == AIFB_OK)
        rc = client_call_batch(&cc, ops, 4, &start_tag, err);
    grpc_byte_buffer_destroy(send_buf);
    bool cancelled = false;
    if (rc == AIFB_OK)
        rc = stream_receive(&cc, reply_desc, on_msg, user, &cancelled, err);
    /* A started status batch is always plucked: the call cannot be released while it is
     * pending, and after a local failure the cancel makes it complete. */
    if (status_started) {
        if (rc != AIFB_OK)
            grpc_call_cancel(cc.call, NULL);
        grpc_completion_queue_pluck(cc.cq, &status_tag, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
    }
    if (rc == AIFB_OK && !cancelled)
        rc = client_call_status(&cc, err);
    client_call_end(&cc);
    return rc;
}
