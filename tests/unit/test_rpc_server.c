/* test_rpc_server.c: unary calls through the rpc module's server and client, as a caller sees
 * them: replies, errors and their messages, unknown methods, undecodable requests, the bearer
 * token, many concurrent callers, unix sockets, and listen failures.
 *
 * Every test starts its own server on 127.0.0.1:0 (Criterion forks each test) with a small
 * table: "/test.Echo/GetRun" answers an aifb.v1.Run carrying the requested id. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "aifb/v1/controlplane.pb-c.h"
#include "common/util.h"
#include "rpc/rpc.h"

static rpc_server *srv;
static rpc_client *cli;
static char target[128];

static ProtobufCMessage *run_with_id(const char *id)
{
    Aifb__V1__Run *run = xmalloc(sizeof *run);
    aifb__v1__run__init(run);
    run->id = xstrdup(id);
    return &run->base;
}

/* Echoes the id; a few ids ask for something else so each test can exercise one path. */
static aifb_code echo_get_run(rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **reply,
                              aifb_err *err)
{
    const Aifb__V1__GetRunRequest *r = (const void *)req;
    if (strcmp(r->id, "missing") == 0)
        return aifb_err_set(err, AIFB_ENOTFOUND, "run '%s' not found", r->id);
    if (strcmp(r->id, "wrong-type") == 0) {
        Aifb__V1__GetRunRequest *other = xmalloc(sizeof *other);
        aifb__v1__get_run_request__init(other);
        *reply = &other->base;
        return AIFB_OK;
    }
    if (strcmp(r->id, "metadata") == 0) {
        const char *v = rpc_ctx_metadata(ctx, "x-test");
        Aifb__V1__Run *run = (Aifb__V1__Run *)run_with_id(v ? v : "(none)");
        run->reason = xstrdup(ctx->peer);
        run->recipe = xstrdup(ctx->method);
        *reply = &run->base;
        return AIFB_OK;
    }
    *reply = run_with_id(r->id);
    return AIFB_OK;
}

static const rpc_method echo_methods[] = {
    {.path = "/test.Echo/GetRun",
     .kind = RPC_UNARY,
     .request = &aifb__v1__get_run_request__descriptor,
     .response = &aifb__v1__run__descriptor,
     .unary = echo_get_run},
};

static void start_server_on(const char *listen, const char *token)
{
    rpc_server_config cfg = {.listen = listen, .bearer_token = token};
    aifb_err err = {0};
    cr_assert_eq(rpc_server_new(&cfg, &srv, &err), AIFB_OK, "%s", err.msg);
    rpc_server_add(srv, echo_methods, 1);
    cr_assert_eq(rpc_server_start(srv, &err), AIFB_OK, "%s", err.msg);
    if (strncmp(listen, "unix:", 5) == 0)
        snprintf(target, sizeof target, "%s", listen);
    else
        snprintf(target, sizeof target, "127.0.0.1:%d", rpc_server_port(srv));
}

static void connect_client(const char *token)
{
    aifb_err err = {0};
    cr_assert_eq(rpc_client_new(target, token, &cli, &err), AIFB_OK, "%s", err.msg);
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

TestSuite(rpc_server, .init = setup, .fini = teardown, .timeout = 60);

/* Calls GetRun with id; returns the code, the reply in *run (or NULL). */
static aifb_code get_run(const char *id, Aifb__V1__Run **run, aifb_err *err)
{
    Aifb__V1__GetRunRequest req = AIFB__V1__GET_RUN_REQUEST__INIT;
    req.id = (char *)id;
    ProtobufCMessage *reply = NULL;
    aifb_code rc = rpc_client_unary(cli, "/test.Echo/GetRun", &req.base, &aifb__v1__run__descriptor,
                                    &reply, 10000, err);
    *run = (Aifb__V1__Run *)reply;
    return rc;
}

Test(rpc_server, a_unary_call_returns_the_handlers_reply)
{
    start_server_on("127.0.0.1:0", NULL);
    connect_client(NULL);
    cr_assert_gt(rpc_server_port(srv), 0);
    Aifb__V1__Run *run;
    aifb_err err = {0};
    cr_assert_eq(get_run("r-0123456789ab", &run, &err), AIFB_OK, "%s", err.msg);
    cr_assert_str_eq(run->id, "r-0123456789ab");
    protobuf_c_message_free_unpacked(&run->base, NULL);
}

Test(rpc_server, a_handler_error_reaches_the_client_with_its_code_and_message)
{
    start_server_on("127.0.0.1:0", NULL);
    connect_client(NULL);
    Aifb__V1__Run *run;
    aifb_err err = {0};
    cr_assert_eq(get_run("missing", &run, &err), AIFB_ENOTFOUND);
    cr_assert_null(run);
    cr_assert_str_eq(err.msg, "run 'missing' not found");
}

Test(rpc_server, a_reply_of_the_wrong_message_type_is_an_internal_error_naming_both_types)
{
    start_server_on("127.0.0.1:0", NULL);
    connect_client(NULL);
    Aifb__V1__Run *run;
    aifb_err err = {0};
    cr_assert_eq(get_run("wrong-type", &run, &err), AIFB_EINTERNAL);
    cr_assert(strstr(err.msg, "GetRunRequest") && strstr(err.msg, "aifb.v1.Run"), "%s", err.msg);
}

Test(rpc_server, the_handler_sees_request_metadata_peer_and_method)
{
    start_server_on("127.0.0.1:0", NULL);
    connect_client(NULL);
    Aifb__V1__Run *run;
    aifb_err err = {0};
    cr_assert_eq(get_run("metadata", &run, &err), AIFB_OK, "%s", err.msg);
    cr_assert_str_eq(run->id, "(none)"); /* the client sends no x-test header */
    cr_assert(strstr(run->reason, "127.0.0.1") != NULL, "peer was %s", run->reason);
    cr_assert_str_eq(run->recipe, "/test.Echo/GetRun");
    protobuf_c_message_free_unpacked(&run->base, NULL);
}

Test(rpc_server, an_unknown_method_is_unimplemented_with_a_message_naming_it)
{
    start_server_on("127.0.0.1:0", NULL);
    connect_client(NULL);
    Aifb__V1__GetRunRequest req = AIFB__V1__GET_RUN_REQUEST__INIT;
    ProtobufCMessage *reply = NULL;
    aifb_err err = {0};
    aifb_code rc = rpc_client_unary(cli, "/test.Echo/NoSuchMethod", &req.base,
                                    &aifb__v1__run__descriptor, &reply, 10000, &err);
    cr_assert_eq(rc, AIFB_EUNIMPLEMENTED);
    cr_assert(strstr(err.msg, "/test.Echo/NoSuchMethod") != NULL, "%s", err.msg);
}

Test(rpc_server, bytes_that_do_not_decode_are_an_invalid_argument)
{
    start_server_on("127.0.0.1:0", NULL);
    connect_client(NULL);
    /* Field 1, length 5, but only two bytes follow. */
    static const uint8_t garbage[] = {0x0a, 0x05, 'a', 'b'};
    uint8_t *reply;
    size_t len;
    aifb_err err = {0};
    aifb_code rc = rpc_client_unary_raw(cli, "/test.Echo/GetRun", garbage, sizeof garbage, true,
                                        &reply, &len, 10000, &err);
    cr_assert_eq(rc, AIFB_EINVAL);
    cr_assert(strstr(err.msg, "aifb.v1.GetRunRequest") != NULL, "%s", err.msg);
}

Test(rpc_server, a_call_without_a_request_message_is_an_invalid_argument)
{
    start_server_on("127.0.0.1:0", NULL);
    connect_client(NULL);
    uint8_t *reply;
    size_t len;
    aifb_err err = {0};
    aifb_code rc =
        rpc_client_unary_raw(cli, "/test.Echo/GetRun", "", 0, false, &reply, &len, 10000, &err);
    cr_assert_eq(rc, AIFB_EINVAL);
    cr_assert(strstr(err.msg, "no request message") != NULL, "%s", err.msg);
}

Test(rpc_server, an_empty_request_message_is_a_valid_request)
{
    start_server_on("127.0.0.1:0", NULL);
    connect_client(NULL);
    uint8_t *reply;
    size_t len;
    aifb_err err = {0};
    cr_assert_eq(
        rpc_client_unary_raw(cli, "/test.Echo/GetRun", "", 0, true, &reply, &len, 10000, &err),
        AIFB_OK, "%s", err.msg);
    free(reply);
}

Test(rpc_server, with_a_token_configured_a_call_without_it_is_unauthenticated)
{
    start_server_on("127.0.0.1:0", "s3cret-token");
    connect_client(NULL);
    Aifb__V1__Run *run;
    aifb_err err = {0};
    cr_assert_eq(get_run("r-1", &run, &err), AIFB_EUNAUTHENTICATED);
    cr_assert_str_eq(err.msg, "missing or wrong bearer token");
}

Test(rpc_server, with_a_token_configured_a_wrong_token_is_unauthenticated)
{
    start_server_on("127.0.0.1:0", "s3cret-token");
    connect_client("s3cret-tokem");
    Aifb__V1__Run *run;
    aifb_err err = {0};
    cr_assert_eq(get_run("r-1", &run, &err), AIFB_EUNAUTHENTICATED);
    cr_assert(strstr(err.msg, "s3cret") == NULL, "the message must not echo tokens");
}

Test(rpc_server, with_a_token_configured_the_right_token_is_let_through)
{
    start_server_on("127.0.0.1:0", "s3cret-token");
    connect_client("s3cret-token");
    Aifb__V1__Run *run;
    aifb_err err = {0};
    cr_assert_eq(get_run("r-1", &run, &err), AIFB_OK, "%s", err.msg);
    cr_assert_str_eq(run->id, "r-1");
    protobuf_c_message_free_unpacked(&run->base, NULL);
}

enum { CONCURRENT_THREADS = 64, CALLS_PER_THREAD = 200 };

static void *call_many(void *arg)
{
    long ok = 0;
    char id[32];
    for (int i = 0; i < CALLS_PER_THREAD; i++) {
        snprintf(id, sizeof id, "t%ld-%d", (long)(intptr_t)arg, i);
        Aifb__V1__Run *run;
        aifb_err err = {0};
        if (get_run(id, &run, &err) == AIFB_OK) {
            ok += strcmp(run->id, id) == 0;
            protobuf_c_message_free_unpacked(&run->base, NULL);
        }
    }
    return (void *)ok;
}

Test(rpc_server, sixty_four_threads_making_two_hundred_calls_each_all_get_their_own_reply)
{
    start_server_on("127.0.0.1:0", NULL);
    connect_client(NULL);
    pthread_t threads[CONCURRENT_THREADS];
    for (intptr_t i = 0; i < CONCURRENT_THREADS; i++)
        pthread_create(&threads[i], NULL, call_many, (void *)i);
    long total = 0;
    for (int i = 0; i < CONCURRENT_THREADS; i++) {
        void *ok;
        pthread_join(threads[i], &ok);
        total += (long)ok;
    }
    cr_assert_eq(total, CONCURRENT_THREADS * CALLS_PER_THREAD);
}

Test(rpc_server, a_unix_socket_listener_serves_calls)
{
    char listen[108];
    snprintf(listen, sizeof listen, "unix:/tmp/aifb-rpc-test-%d.sock", (int)getpid());
    start_server_on(listen, NULL);
    cr_assert_eq(rpc_server_port(srv), 0);
    connect_client(NULL);
    Aifb__V1__Run *run;
    aifb_err err = {0};
    cr_assert_eq(get_run("r-unix", &run, &err), AIFB_OK, "%s", err.msg);
    cr_assert_str_eq(run->id, "r-unix");
    protobuf_c_message_free_unpacked(&run->base, NULL);
    unlink(listen + 5);
}

Test(rpc_server, an_address_already_in_use_fails_with_a_message_naming_it)
{
    start_server_on("127.0.0.1:0", NULL);
    char listen[64];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", rpc_server_port(srv));
    rpc_server_config cfg = {.listen = listen};
    rpc_server *second;
    aifb_err err = {0};
    cr_assert_eq(rpc_server_new(&cfg, &second, &err), AIFB_OK, "%s", err.msg);
    rpc_server_add(second, echo_methods, 1);
    cr_assert_neq(rpc_server_start(second, &err), AIFB_OK);
    cr_assert(strstr(err.msg, listen) != NULL, "%s", err.msg);
    rpc_server_free(second);
}

Test(rpc_server, a_method_listed_twice_is_refused_at_start_naming_it)
{
    rpc_server_config cfg = {.listen = "127.0.0.1:0"};
    aifb_err err = {0};
    cr_assert_eq(rpc_server_new(&cfg, &srv, &err), AIFB_OK, "%s", err.msg);
    rpc_server_add(srv, echo_methods, 1);
    rpc_server_add(srv, echo_methods, 1);
    cr_assert_eq(rpc_server_start(srv, &err), AIFB_EINVAL);
    cr_assert(strstr(err.msg, "/test.Echo/GetRun") != NULL, "%s", err.msg);
}

Test(rpc_server, a_bad_configuration_is_refused_with_a_message_naming_the_value)
{
    rpc_server_config cfg = {.listen = "127.0.0.1:0", .workers = -3};
    rpc_server *s = NULL;
    aifb_err err = {0};
    cr_assert_eq(rpc_server_new(&cfg, &s, &err), AIFB_EINVAL);
    cr_assert_null(s);
    cr_assert(strstr(err.msg, "-3") != NULL, "%s", err.msg);
}

Test(rpc_server, a_client_of_an_unreachable_server_fails_fast_naming_the_target)
{
    /* Nothing listens on port 1 (it needs privileges to bind). */
    snprintf(target, sizeof target, "127.0.0.1:1");
    connect_client(NULL);
    Aifb__V1__Run *run;
    aifb_err err = {0};
    cr_assert_eq(get_run("r-1", &run, &err), AIFB_EUNAVAILABLE);
    cr_assert(strstr(err.msg, "cannot reach 127.0.0.1:1") != NULL, "%s", err.msg);
}

Test(rpc_server, loopback_and_unix_addresses_are_local_and_others_are_not)
{
    cr_assert(rpc_listen_is_local("127.0.0.1:50051"));
    cr_assert(rpc_listen_is_local("127.1.2.3:9"));
    cr_assert(rpc_listen_is_local("[::1]:9"));
    cr_assert(rpc_listen_is_local("localhost:1"));
    cr_assert(rpc_listen_is_local("unix:/run/aifb.sock"));
    cr_assert_not(rpc_listen_is_local("0.0.0.0:50051"));
    cr_assert_not(rpc_listen_is_local("[::]:50051"));
    cr_assert_not(rpc_listen_is_local(":50051"));
    cr_assert_not(rpc_listen_is_local("10.0.0.5:50051"));
    cr_assert_not(rpc_listen_is_local("example.org:443"));
    cr_assert_not(rpc_listen_is_local("128.0.0.1:1"));
}
