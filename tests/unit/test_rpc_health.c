/* test_rpc_health.c: grpc.health.v1.Health as a load balancer or a probe sees it: Check answers
 * the status of a known service and NOT_FOUND otherwise; Watch sends the current status, then a
 * message at every change, and SERVICE_UNKNOWN for a service it does not know yet; stopping the
 * server turns everything NOT_SERVING. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "grpc/health/v1/health.pb-c.h"
#include "rpc/rpc.h"

#define SERVING         1
#define NOT_SERVING     2
#define SERVICE_UNKNOWN 3

static rpc_server *srv;
static rpc_client *cli;

static void setup(void)
{
    rpc_init();
    rpc_server_config cfg = {.listen = "127.0.0.1:0", .stream_poll_ms = 5};
    aifb_err err = {0};
    cr_assert_eq(rpc_server_new(&cfg, &srv, &err), AIFB_OK, "%s", err.msg);
    rpc_health_register(srv);
    cr_assert_eq(rpc_server_start(srv, &err), AIFB_OK, "%s", err.msg);
    char target[64];
    snprintf(target, sizeof target, "127.0.0.1:%d", rpc_server_port(srv));
    cr_assert_eq(rpc_client_new(target, NULL, &cli, &err), AIFB_OK, "%s", err.msg);
}

static void teardown(void)
{
    rpc_client_free(cli);
    rpc_server_stop(srv, 1000);
    rpc_server_free(srv);
    rpc_shutdown();
}

TestSuite(rpc_health, .init = setup, .fini = teardown, .timeout = 30);

static aifb_code check(const char *service, int *status, aifb_err *err)
{
    Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    req.service = (char *)service;
    ProtobufCMessage *reply = NULL;
    aifb_code rc =
        rpc_client_unary(cli, "/grpc.health.v1.Health/Check", &req.base,
                         &grpc__health__v1__health_check_response__descriptor, &reply, 10000, err);
    if (rc == AIFB_OK) {
        *status = (int)((Grpc__Health__V1__HealthCheckResponse *)reply)->status;
        protobuf_c_message_free_unpacked(reply, NULL);
    }
    return rc;
}

Test(rpc_health, the_server_as_a_whole_is_serving_once_registered)
{
    int status = 0;
    aifb_err err = {0};
    cr_assert_eq(check("", &status, &err), AIFB_OK, "%s", err.msg);
    cr_assert_eq(status, SERVING);
}

Test(rpc_health, checking_an_unknown_service_is_not_found_naming_it)
{
    int status = 0;
    aifb_err err = {0};
    cr_assert_eq(check("no.such.Service", &status, &err), AIFB_ENOTFOUND);
    cr_assert(strstr(err.msg, "no.such.Service") != NULL, "%s", err.msg);
}

Test(rpc_health, a_service_set_not_serving_is_reported_not_serving)
{
    rpc_health_set(srv, "aifb.v1.ControlPlane", SERVING);
    int status = 0;
    aifb_err err = {0};
    cr_assert_eq(check("aifb.v1.ControlPlane", &status, &err), AIFB_OK, "%s", err.msg);
    cr_assert_eq(status, SERVING);
    rpc_health_set(srv, "aifb.v1.ControlPlane", NOT_SERVING);
    cr_assert_eq(check("aifb.v1.ControlPlane", &status, &err), AIFB_OK, "%s", err.msg);
    cr_assert_eq(status, NOT_SERVING);
}

/* A watcher that records statuses and flips the watched service after the first message. */
typedef struct watcher {
    const char *service;
    int flip_to; /* status to set after the first message; 0: leave it */
    int statuses[8];
    int n;
    int stop_after;
} watcher;

static bool on_status(void *user, const ProtobufCMessage *msg)
{
    watcher *w = user;
    if (w->n < 8)
        w->statuses[w->n] = (int)((const Grpc__Health__V1__HealthCheckResponse *)msg)->status;
    __atomic_store_n(&w->n, w->n + 1, __ATOMIC_SEQ_CST); /* read by the test's main thread */
    if (w->n == 1 && w->flip_to)
        rpc_health_set(srv, w->service, w->flip_to);
    return w->n < w->stop_after;
}

static aifb_code watch(watcher *w, aifb_err *err)
{
    Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    req.service = (char *)w->service;
    return rpc_client_stream(cli, "/grpc.health.v1.Health/Watch", &req.base,
                             &grpc__health__v1__health_check_response__descriptor, on_status, w,
                             20000, err);
}

Test(rpc_health, watch_sends_the_current_status_then_each_change)
{
    watcher w = {.service = "", .flip_to = NOT_SERVING, .stop_after = 2};
    aifb_err err = {0};
    cr_assert_eq(watch(&w, &err), AIFB_OK, "%s", err.msg);
    cr_assert_eq(w.n, 2);
    cr_assert_eq(w.statuses[0], SERVING);
    cr_assert_eq(w.statuses[1], NOT_SERVING);
}

Test(rpc_health, watching_an_unknown_service_says_service_unknown_and_keeps_the_stream)
{
    watcher w = {.service = "later.Service", .flip_to = SERVING, .stop_after = 2};
    aifb_err err = {0};
    cr_assert_eq(watch(&w, &err), AIFB_OK, "%s", err.msg);
    cr_assert_eq(w.n, 2);
    cr_assert_eq(w.statuses[0], SERVICE_UNKNOWN);
    cr_assert_eq(w.statuses[1], SERVING);
}

static void *watch_until_end(void *arg)
{
    watcher *w = arg;
    aifb_err err = {0};
    watch(w, &err);
    return NULL;
}

Test(rpc_health, stopping_the_server_tells_watchers_not_serving)
{
    watcher w = {.service = "", .stop_after = 8};
    pthread_t t;
    pthread_create(&t, NULL, watch_until_end, &w);
    /* Stop only after the watcher saw SERVING, polling (not timing) for it. */
    for (int i = 0; i < 2000 && __atomic_load_n(&w.n, __ATOMIC_SEQ_CST) == 0; i++)
        nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
    rpc_server_stop(srv, 2000);
    pthread_join(t, NULL);
    cr_assert_eq(w.n, 2);
    cr_assert_eq(w.statuses[0], SERVING);
    cr_assert_eq(w.statuses[1], NOT_SERVING);
}
