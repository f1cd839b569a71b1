/* rpc_reflection.c: gRPC server reflection (grpc.reflection.v1 and v1alpha) over the embedded
 * descriptor set, so tools can discover the API without .proto files.
 *
 * The two protocol versions are the same messages under two package names, hence identical on
 * the wire. The answers are computed once, with the v1 types; the v1alpha method converts its
 * request to v1 and the answer back by packing and unpacking (rpc_message_convert), which keeps
 * one implementation without relying on the two generated structs having the same layout.
 *
 * A service is listed only when the server's table has methods of it, so health or reflection
 * appear exactly when they were registered. */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "grpc/reflection/v1/reflection.pb-c.h"
#include "grpc/reflection/v1alpha/reflection.pb-c.h"
#include "rpc/rpc_fdset.h"
#include "rpc/rpc_internal.h"

struct rpc_reflection {
    rpc_fdset set;
};

typedef Grpc__Reflection__V1__ServerReflectionRequest refl_request;
typedef Grpc__Reflection__V1__ServerReflectionResponse refl_response;

/* The same message under another descriptor with the same wire shape (NULL if it does not
 * decode). The copy is heap-built, freed with protobuf_c_message_free_unpacked(m, NULL). */
static ProtobufCMessage *rpc_message_convert(const ProtobufCMessage *m,
                                             const ProtobufCMessageDescriptor *to)
{
    size_t n = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = xmalloc(n ? n : 1);
    protobuf_c_message_pack(m, buf);
    ProtobufCMessage *out = protobuf_c_message_unpack(to, NULL, n, buf);
    free(buf);
    return out;
}

static void answer_error(refl_response *resp, int code, const char *fmt, const char *what)
{
    Grpc__Reflection__V1__ErrorResponse *e = xmalloc(sizeof *e);
    grpc__reflection__v1__error_response__init(e);
    e->error_code = code;
    abuf b = {0};
    abuf_printf(&b, fmt, what);
    e->error_message = abuf_take(&b);
    resp->message_response_case =
        GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ERROR_RESPONSE;
    resp->error_response = e;
}

static void answer_list(const rpc_reflection *r, rpc_server *s, refl_response *resp)
{
    Grpc__Reflection__V1__ListServiceResponse *list = xmalloc(sizeof *list);
    grpc__reflection__v1__list_service_response__init(list);
    for (size_t i = 0; i < r->set.n_files; i++) {
        const rpc_fd_file *f = &r->set.files[i];
        for (size_t k = 0; k < f->n_services; k++) {
            abuf prefix = {0};
            abuf_printf(&prefix, "/%s/", f->services[k]);
            bool served = rpc_server_has_prefix(s, prefix.p);
            abuf_free(&prefix);
            if (!served)
                continue;
            Grpc__Reflection__V1__ServiceResponse *svc = xmalloc(sizeof *svc);
            grpc__reflection__v1__service_response__init(svc);
            svc->name = xstrdup(f->services[k]);
            list->service = xrealloc(list->service, (list->n_service + 1) * sizeof *list->service);
            list->service[list->n_service++] = svc;
        }
    }
    resp->message_response_case =
        GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_LIST_SERVICES_RESPONSE;
    resp->list_services_response = list;
}

/* Adds file idx, then (breadth first) everything it imports, each file once. */
static void answer_files(const rpc_reflection *r, long idx, refl_response *resp)
{
    const rpc_fdset *fs = &r->set;
    size_t *order = xmalloc(fs->n_files * sizeof *order);
    bool *seen = xcalloc(fs->n_files, sizeof *seen);
    size_t n = 0;
    order[n++] = (size_t)idx;
    seen[idx] = true;
    for (size_t i = 0; i < n; i++) {
        const rpc_fd_file *f = &fs->files[order[i]];
        for (size_t d = 0; d < f->n_deps; d++) {
            long dep = rpc_fdset_find_file(fs, f->deps[d]);
            if (dep >= 0 && !seen[dep]) {
                seen[dep] = true;
                order[n++] = (size_t)dep;
            }
        }
    }
    Grpc__Reflection__V1__FileDescriptorResponse *fdr = xmalloc(sizeof *fdr);
    grpc__reflection__v1__file_descriptor_response__init(fdr);
    fdr->file_descriptor_proto = xcalloc(n, sizeof *fdr->file_descriptor_proto);
    fdr->n_file_descriptor_proto = n;
    for (size_t i = 0; i < n; i++) {
        const rpc_fd_file *f = &fs->files[order[i]];
        uint8_t *copy = xmalloc(f->len ? f->len : 1);
        memcpy(copy, f->data, f->len);
        fdr->file_descriptor_proto[i] = (ProtobufCBinaryData){f->len, copy};
    }
    free(order);
    free(seen);
    resp->message_response_case =
        GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_FILE_DESCRIPTOR_RESPONSE;
    resp->file_descriptor_response = fdr;
}

static void answer_query(const rpc_reflection *r, rpc_server *s, const refl_request *req,
                         refl_response *resp)
{
    long idx;
    switch (req->message_request_case) {
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_LIST_SERVICES:
        answer_list(r, s, resp);
        return;
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_BY_FILENAME:
        idx = rpc_fdset_find_file(&r->set, req->file_by_filename);
        if (idx < 0)
            answer_error(resp, AIFB_ENOTFOUND, "file '%s' not found", req->file_by_filename);
        else
            answer_files(r, idx, resp);
        return;
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL: {
        const char *sym = req->file_containing_symbol;
        idx = rpc_fdset_find_symbol(&r->set, sym[0] == '.' ? sym + 1 : sym);
        if (idx < 0)
            answer_error(resp, AIFB_ENOTFOUND, "symbol '%s' not found", sym);
        else
            answer_files(r, idx, resp);
        return;
    }
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_EXTENSION:
        answer_error(
            resp, AIFB_ENOTFOUND, "extension of '%s' not found",
            req->file_containing_extension ? req->file_containing_extension->containing_type : "");
        return;
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_ALL_EXTENSION_NUMBERS_OF_TYPE:
        answer_error(resp, AIFB_ENOTFOUND, "type '%s' has no extensions here",
                     req->all_extension_numbers_of_type);
        return;
    default:
        answer_error(resp, AIFB_EINVAL, "%s", "the request asks nothing (no message_request set)");
        return;
    }
}

static aifb_code reflection_v1(rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **reply,
                               aifb_err *err)
{
    const refl_request *q = (const void *)req;
    ProtobufCMessage *echo = rpc_message_convert(req, req->descriptor);
    if (!echo)
        return aifb_err_set(err, AIFB_EINTERNAL, "cannot copy the reflection request");
    refl_response *resp = xmalloc(sizeof *resp);
    grpc__reflection__v1__server_reflection_response__init(resp);
    resp->valid_host = xstrdup(q->host);
    resp->original_request = (refl_request *)echo;
    answer_query(ctx->server->reflection, ctx->server, q, resp);
    *reply = &resp->base;
    return AIFB_OK;
}

static aifb_code reflection_v1alpha(rpc_ctx *ctx, const ProtobufCMessage *req,
                                    ProtobufCMessage **reply, aifb_err *err)
{
    ProtobufCMessage *q =
        rpc_message_convert(req, &grpc__reflection__v1__server_reflection_request__descriptor);
    if (!q)
        return aifb_err_set(err, AIFB_EINTERNAL, "cannot read the v1alpha reflection request");
    ProtobufCMessage *answer = NULL;
    aifb_code rc = reflection_v1(ctx, q, &answer, err);
    protobuf_c_message_free_unpacked(q, NULL);
    if (rc != AIFB_OK)
        return rc;
    *reply = rpc_message_convert(
        answer, &grpc__reflection__v1alpha__server_reflection_response__descriptor);
    protobuf_c_message_free_unpacked(answer, NULL);
    if (!*reply)
        return aifb_err_set(err, AIFB_EINTERNAL, "cannot write the v1alpha reflection answer");
    return AIFB_OK;
}

static const rpc_method reflection_methods[] = {
    {.path = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
     .kind = RPC_BIDI,
     .request = &grpc__reflection__v1__server_reflection_request__descriptor,
     .response = &grpc__reflection__v1__server_reflection_response__descriptor,
     .bidi = reflection_v1},
    {.path = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
     .kind = RPC_BIDI,
     .request = &grpc__reflection__v1alpha__server_reflection_request__descriptor,
     .response = &grpc__reflection__v1alpha__server_reflection_response__descriptor,
     .bidi = reflection_v1alpha},
};

aifb_code rpc_reflection_register(rpc_server *s, const uint8_t *fdset, size_t len, aifb_err *err)
{
    if (s->reflection)
        return aifb_err_set(err, AIFB_EEXIST, "reflection is already registered");
    rpc_reflection *r = xcalloc(1, sizeof *r);
    aifb_code rc = rpc_fdset_parse(fdset, len, &r->set, err);
    if (rc != AIFB_OK) {
        free(r);
        return rc;
    }
    s->reflection = r;
    rpc_server_add(s, reflection_methods, sizeof reflection_methods / sizeof reflection_methods[0]);
    return AIFB_OK;
}

void rpc_reflection_free(rpc_reflection *r)
{
    if (!r)
        return;
    rpc_fdset_free(&r->set);
    free(r);
}
