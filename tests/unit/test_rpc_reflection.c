/* test_rpc_reflection.c: server reflection as grpcurl or a gRPC UI sees it: the list of served
 * services, the file that defines a symbol (with its imports), files by name, NOT_FOUND errors,
 * the echoed request and host, and the same answers under grpc.reflection.v1alpha.
 *
 * Most tests use the project's embedded descriptor set; the import chain is checked with a small
 * hand-encoded set, since the project's own protos import nothing. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "aifb/v1/controlplane.pb-c.h"
#include "common/util.h"
#include "grpc/reflection/v1/reflection.pb-c.h"
#include "grpc/reflection/v1alpha/reflection.pb-c.h"
#include "rpc/rpc.h"

extern const uint8_t aifb_descriptor_set[];
extern const size_t aifb_descriptor_set_len;

#define V1_INFO      "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"
#define V1ALPHA_INFO "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"

typedef Grpc__Reflection__V1__ServerReflectionRequest refl_request;
typedef Grpc__Reflection__V1__ServerReflectionResponse refl_response;

static rpc_server *srv;
static rpc_client *cli;

static aifb_code get_run_unused(rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **reply,
                                aifb_err *err)
{
    (void)ctx, (void)req, (void)reply;
    return aifb_err_set(err, AIFB_EUNIMPLEMENTED, "not in this test");
}

static const rpc_method control_plane_row[] = {
    {.path = "/aifb.v1.ControlPlane/GetRun",
     .kind = RPC_UNARY,
     .request = &aifb__v1__get_run_request__descriptor,
     .response = &aifb__v1__run__descriptor,
     .unary = get_run_unused},
};

static void start_with_set(const uint8_t *set, size_t len)
{
    rpc_server_config cfg = {.listen = "127.0.0.1:0"};
    aifb_err err = {0};
    cr_assert_eq(rpc_server_new(&cfg, &srv, &err), AIFB_OK, "%s", err.msg);
    rpc_server_add(srv, control_plane_row, 1);
    cr_assert_eq(rpc_reflection_register(srv, set, len, &err), AIFB_OK, "%s", err.msg);
    cr_assert_eq(rpc_server_start(srv, &err), AIFB_OK, "%s", err.msg);
    char target[64];
    snprintf(target, sizeof target, "127.0.0.1:%d", rpc_server_port(srv));
    cr_assert_eq(rpc_client_new(target, NULL, &cli, &err), AIFB_OK, "%s", err.msg);
}

static void setup(void)
{
    rpc_init();
}

static void teardown(void)
{
    rpc_client_free(cli);
    cli = NULL;
    if (srv) {
        rpc_server_stop(srv, 1000);
        rpc_server_free(srv);
        srv = NULL;
    }
    rpc_shutdown();
}

TestSuite(rpc_reflection, .init = setup, .fini = teardown, .timeout = 30);

static bool keep_first(void *user, const ProtobufCMessage *msg)
{
    ProtobufCMessage **out = user;
    /* The stream frees msg after this returns: keep a copy by repacking. */
    size_t n = protobuf_c_message_get_packed_size(msg);
    uint8_t *buf = xmalloc(n ? n : 1);
    protobuf_c_message_pack(msg, buf);
    *out = protobuf_c_message_unpack(msg->descriptor, NULL, n, buf);
    free(buf);
    return false;
}

/* Sends one reflection request on method and returns the one answer (caller frees it). */
static ProtobufCMessage *ask_on(const char *method, const ProtobufCMessage *req,
                                const ProtobufCMessageDescriptor *resp_desc)
{
    ProtobufCMessage *answer = NULL;
    aifb_err err = {0};
    aifb_code rc = rpc_client_stream(cli, method, req, resp_desc, keep_first, &answer, 10000, &err);
    cr_assert_eq(rc, AIFB_OK, "%s", err.msg);
    cr_assert_not_null(answer, "no answer from %s", method);
    return answer;
}

static refl_response *ask(const refl_request *req)
{
    return (refl_response *)ask_on(V1_INFO, &req->base,
                                   &grpc__reflection__v1__server_reflection_response__descriptor);
}

static refl_response *ask_symbol(const char *symbol)
{
    refl_request req = GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__INIT;
    req.message_request_case =
        GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL;
    req.file_containing_symbol = (char *)symbol;
    return ask(&req);
}

static refl_response *ask_file(const char *name)
{
    refl_request req = GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__INIT;
    req.message_request_case =
        GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_BY_FILENAME;
    req.file_by_filename = (char *)name;
    return ask(&req);
}

/* The name (field 1, written first by protoc) of a serialized FileDescriptorProto. */
static void descriptor_name(const ProtobufCBinaryData *fd, char *out, size_t cap)
{
    cr_assert(fd->len >= 2 && fd->data[0] == 0x0a && fd->data[1] < 0x80);
    size_t n = fd->data[1];
    cr_assert(n + 2 <= fd->len && n < cap);
    memcpy(out, fd->data + 2, n);
    out[n] = '\0';
}

/* Asserts the answer is a list of files with exactly these names, in this order. */
static void assert_files(const refl_response *r, const char *const *names, size_t n)
{
    cr_assert_eq(
        r->message_response_case,
        GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_FILE_DESCRIPTOR_RESPONSE,
        "answer case %d", (int)r->message_response_case);
    cr_assert_eq(r->file_descriptor_response->n_file_descriptor_proto, n);
    for (size_t i = 0; i < n; i++) {
        char name[128];
        descriptor_name(&r->file_descriptor_response->file_descriptor_proto[i], name, sizeof name);
        cr_assert_str_eq(name, names[i]);
    }
}

static void assert_not_found(const refl_response *r, const char *named)
{
    cr_assert_eq(r->message_response_case,
                 GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ERROR_RESPONSE);
    cr_assert_eq(r->error_response->error_code, 5);
    cr_assert(strstr(r->error_response->error_message, named) != NULL, "%s",
              r->error_response->error_message);
}

Test(rpc_reflection, list_services_names_exactly_the_services_the_server_serves)
{
    start_with_set(aifb_descriptor_set, aifb_descriptor_set_len);
    refl_request req = GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__INIT;
    req.message_request_case =
        GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_LIST_SERVICES;
    req.list_services = "*";
    refl_response *r = ask(&req);
    cr_assert_eq(
        r->message_response_case,
        GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_LIST_SERVICES_RESPONSE);
    const Grpc__Reflection__V1__ListServiceResponse *list = r->list_services_response;
    abuf names = {0};
    for (size_t i = 0; i < list->n_service; i++)
        abuf_printf(&names, "%s;", list->service[i]->name);
    /* Health is in the descriptor set but not registered on this server. */
    cr_assert_str_eq(names.p, "aifb.v1.ControlPlane;grpc.reflection.v1alpha.ServerReflection;"
                              "grpc.reflection.v1.ServerReflection;");
    abuf_free(&names);
    protobuf_c_message_free_unpacked(&r->base, NULL);
}

Test(rpc_reflection, the_control_plane_service_is_found_in_its_proto_file)
{
    start_with_set(aifb_descriptor_set, aifb_descriptor_set_len);
    refl_response *r = ask_symbol("aifb.v1.ControlPlane");
    static const char *const want[] = {"aifb/v1/controlplane.proto"};
    assert_files(r, want, 1);
    protobuf_c_message_free_unpacked(&r->base, NULL);
}

Test(rpc_reflection, methods_messages_and_nested_enums_are_found_by_qualified_name)
{
    start_with_set(aifb_descriptor_set, aifb_descriptor_set_len);
    static const char *const cp[] = {"aifb/v1/controlplane.proto"};
    static const char *const health[] = {"grpc/health/v1/health.proto"};
    const char *symbols[] = {"aifb.v1.ControlPlane.GetRun", "aifb.v1.Run", "aifb.v1.RunState",
                             ".aifb.v1.Event"};
    for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; i++) {
        refl_response *r = ask_symbol(symbols[i]);
        assert_files(r, cp, 1);
        protobuf_c_message_free_unpacked(&r->base, NULL);
    }
    refl_response *r = ask_symbol("grpc.health.v1.HealthCheckResponse.ServingStatus");
    assert_files(r, health, 1);
    protobuf_c_message_free_unpacked(&r->base, NULL);
}

Test(rpc_reflection, an_unknown_symbol_is_a_not_found_error_naming_it)
{
    start_with_set(aifb_descriptor_set, aifb_descriptor_set_len);
    refl_response *r = ask_symbol("aifb.v1.NoSuchThing");
    assert_not_found(r, "aifb.v1.NoSuchThing");
    protobuf_c_message_free_unpacked(&r->base, NULL);
}

Test(rpc_reflection, a_file_is_found_by_name_and_an_unknown_file_is_not_found)
{
    start_with_set(aifb_descriptor_set, aifb_descriptor_set_len);
    refl_response *r = ask_file("grpc/health/v1/health.proto");
    static const char *const want[] = {"grpc/health/v1/health.proto"};
    assert_files(r, want, 1);
    protobuf_c_message_free_unpacked(&r->base, NULL);
    r = ask_file("nope.proto");
    assert_not_found(r, "nope.proto");
    protobuf_c_message_free_unpacked(&r->base, NULL);
}

Test(rpc_reflection, extension_queries_are_answered_not_found)
{
    start_with_set(aifb_descriptor_set, aifb_descriptor_set_len);
    refl_request req = GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__INIT;
    req.message_request_case =
        GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_ALL_EXTENSION_NUMBERS_OF_TYPE;
    req.all_extension_numbers_of_type = "aifb.v1.Run";
    refl_response *r = ask(&req);
    assert_not_found(r, "aifb.v1.Run");
    protobuf_c_message_free_unpacked(&r->base, NULL);
}

Test(rpc_reflection, the_answer_echoes_the_request_and_the_host)
{
    start_with_set(aifb_descriptor_set, aifb_descriptor_set_len);
    refl_request req = GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__INIT;
    req.host = "daemon.example";
    req.message_request_case =
        GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL;
    req.file_containing_symbol = "aifb.v1.Run";
    refl_response *r = ask(&req);
    cr_assert_str_eq(r->valid_host, "daemon.example");
    cr_assert_not_null(r->original_request);
    cr_assert_str_eq(r->original_request->host, "daemon.example");
    cr_assert_str_eq(r->original_request->file_containing_symbol, "aifb.v1.Run");
    protobuf_c_message_free_unpacked(&r->base, NULL);
}

Test(rpc_reflection, the_v1alpha_service_gives_the_same_answers)
{
    start_with_set(aifb_descriptor_set, aifb_descriptor_set_len);
    Grpc__Reflection__V1alpha__ServerReflectionRequest req =
        GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__INIT;
    req.message_request_case =
        GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL;
    req.file_containing_symbol = "aifb.v1.ControlPlane";
    Grpc__Reflection__V1alpha__ServerReflectionResponse *r =
        (void *)ask_on(V1ALPHA_INFO, &req.base,
                       &grpc__reflection__v1alpha__server_reflection_response__descriptor);
    cr_assert_eq(
        r->message_response_case,
        GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_FILE_DESCRIPTOR_RESPONSE);
    cr_assert_eq(r->file_descriptor_response->n_file_descriptor_proto, 1);
    char name[128];
    descriptor_name(&r->file_descriptor_response->file_descriptor_proto[0], name, sizeof name);
    cr_assert_str_eq(name, "aifb/v1/controlplane.proto");
    cr_assert_str_eq(r->original_request->file_containing_symbol, "aifb.v1.ControlPlane");
    protobuf_c_message_free_unpacked(&r->base, NULL);
}

/* ---- a hand-made set: a.proto imports b.proto (package p), which imports c.proto ---------- */

static void put_varint(abuf *b, uint64_t v)
{
    do {
        uint8_t byte = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v)
            byte |= 0x80;
        abuf_append(b, &byte, 1);
    } while (v);
}

static void put_field(abuf *b, uint32_t field, const void *data, size_t len)
{
    put_varint(b, (uint64_t)field << 3 | 2);
    put_varint(b, len);
    abuf_append(b, data, len);
}

static void put_str(abuf *b, uint32_t field, const char *s)
{
    put_field(b, field, s, strlen(s));
}

/* Moves the encoded message m into b as field `field`. */
static void put_msg(abuf *b, uint32_t field, abuf *m)
{
    put_field(b, field, m->p, m->len);
    abuf_free(m);
}

static abuf chained_set(void)
{
    abuf set = {0}, a = {0}, b = {0}, c = {0}, msg = {0}, nested = {0}, en = {0}, svc = {0},
         method = {0};
    put_str(&a, 1, "a.proto");
    put_str(&a, 3, "b.proto");
    put_str(&en, 1, "Kind");
    put_str(&nested, 1, "Inner");
    put_msg(&nested, 4, &en);
    put_str(&msg, 1, "A");
    put_msg(&msg, 3, &nested);
    put_msg(&a, 4, &msg);
    put_str(&b, 1, "b.proto");
    put_str(&b, 2, "p");
    put_str(&b, 3, "c.proto");
    put_str(&msg, 1, "B");
    put_msg(&b, 4, &msg);
    put_str(&c, 1, "c.proto");
    put_str(&c, 2, "p");
    put_str(&method, 1, "M");
    put_str(&svc, 1, "S");
    put_msg(&svc, 2, &method);
    put_msg(&c, 6, &svc);
    put_msg(&set, 1, &a);
    put_msg(&set, 1, &b);
    put_msg(&set, 1, &c);
    return set;
}

Test(rpc_reflection, a_symbol_comes_with_the_files_it_imports_transitively)
{
    abuf set = chained_set();
    start_with_set((const uint8_t *)set.p, set.len);
    static const char *const abc[] = {"a.proto", "b.proto", "c.proto"};
    refl_response *r = ask_symbol("A.Inner.Kind");
    assert_files(r, abc, 3);
    protobuf_c_message_free_unpacked(&r->base, NULL);
    static const char *const c_only[] = {"c.proto"};
    r = ask_symbol("p.S.M");
    assert_files(r, c_only, 1);
    protobuf_c_message_free_unpacked(&r->base, NULL);
    static const char *const bc[] = {"b.proto", "c.proto"};
    r = ask_file("b.proto");
    assert_files(r, bc, 2);
    protobuf_c_message_free_unpacked(&r->base, NULL);
    /* The server must be gone before the bytes it indexes. */
    teardown();
    rpc_init();
    abuf_free(&set);
}

Test(rpc_reflection, a_malformed_descriptor_set_is_refused_with_a_message)
{
    static const uint8_t bad[] = {0x0a, 0x10, 0x0a};
    rpc_server_config cfg = {.listen = "127.0.0.1:0"};
    aifb_err err = {0};
    cr_assert_eq(rpc_server_new(&cfg, &srv, &err), AIFB_OK, "%s", err.msg);
    cr_assert_eq(rpc_reflection_register(srv, bad, sizeof bad, &err), AIFB_EINVAL);
    cr_assert(strstr(err.msg, "FileDescriptorSet") != NULL, "%s", err.msg);
}

Test(rpc_reflection, a_reflection_stream_closed_without_requests_ends_ok_with_no_answer)
{
    start_with_set(aifb_descriptor_set, aifb_descriptor_set_len);
    uint8_t *reply = NULL;
    size_t len;
    aifb_err err = {0};
    /* The raw unary client reports an OK status that carried no message as this error. */
    aifb_code rc = rpc_client_unary_raw(cli, V1_INFO, "", 0, false, &reply, &len, 10000, &err);
    cr_assert_eq(rc, AIFB_EINTERNAL);
    cr_assert(strstr(err.msg, "answered OK without a message") != NULL, "%s", err.msg);
}
