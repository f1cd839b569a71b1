/* cmd_service.c: `service ADDR RECIPE`: starts a long-lived service and waits until it is READY,
 * so the StartRun and Watch loads can start client-only runs against it (each run then costs one
 * client process, not a service too). Prints the service's id. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bench.h"

static aifb_code service_start(rpc_client *c, const char *recipe, char id[32], aifb_err *err)
{
    Aifb__V1__StartServiceRequest req = AIFB__V1__START_SERVICE_REQUEST__INIT;
    req.recipe = (char *)recipe;
    ProtobufCMessage *reply = NULL;
    if (rpc_client_unary(c, BENCH_METHOD("StartService"), &req.base, &aifb__v1__service__descriptor,
                         &reply, 30000, err) != AIFB_OK) {
        aifb_err_prefix(err, "StartService %s", recipe);
        return err->code;
    }
    snprintf(id, 32, "%s", ((const Aifb__V1__Service *)reply)->id);
    protobuf_c_message_free_unpacked(reply, NULL);
    return AIFB_OK;
}

/* The service's state now; *reason gets why when it failed. */
static aifb_code service_state(rpc_client *c, const char *id, int *state, char *reason, size_t len,
                               aifb_err *err)
{
    Aifb__V1__GetServiceRequest req = AIFB__V1__GET_SERVICE_REQUEST__INIT;
    req.id = (char *)id;
    ProtobufCMessage *reply = NULL;
    if (rpc_client_unary(c, BENCH_METHOD("GetService"), &req.base, &aifb__v1__service__descriptor,
                         &reply, 10000, err) != AIFB_OK) {
        aifb_err_prefix(err, "GetService %s", id);
        return err->code;
    }
    const Aifb__V1__Service *s = (const void *)reply;
    *state = s->state;
    snprintf(reason, len, "%s", s->reason);
    protobuf_c_message_free_unpacked(reply, NULL);
    return AIFB_OK;
}

static aifb_code service_wait_ready(rpc_client *c, const char *id, double timeout_s, aifb_err *err)
{
    double end = bench_now_s() + timeout_s;
    for (;;) {
        int state = 0;
        char reason[256];
        if (service_state(c, id, &state, reason, sizeof reason, err))
            return err->code;
        if (state == AIFB__V1__SERVICE_STATE__SERVICE_STATE_READY)
            return AIFB_OK;
        if (state >= AIFB__V1__SERVICE_STATE__SERVICE_STATE_STOPPING)
            return aifb_err_set(err, AIFB_EPRECONDITION, "service %s ended before READY: %s", id,
                                reason);
        if (bench_now_s() > end)
            return aifb_err_set(err, AIFB_ETIMEOUT, "service %s not READY after %.0f s", id,
                                timeout_s);
        struct timespec pause = {.tv_sec = 0, .tv_nsec = 50 * 1000000L};
        nanosleep(&pause, NULL);
    }
}

static int service_run(int argc, char **argv)
{
    static const char *const known[] = {NULL};
    bench_args a;
    aifb_err err = {0};
    rpc_client *c = NULL;
    char id[32];
    if (bench_args_check(&a, argc, argv, 2, known, &err) ||
        rpc_client_new(bench_arg_pos(&a, 0), NULL, &c, &err) ||
        service_start(c, bench_arg_pos(&a, 1), id, &err) || service_wait_ready(c, id, 30, &err)) {
        rpc_client_free(c);
        return bench_fail("service", &err);
    }
    printf("service id=%s\n", id);
    rpc_client_free(c);
    return 0;
}

const bench_cmd bench_cmd_service = {
    .name = "service",
    .usage = "ADDR RECIPE",
    .about = "start a long-lived service of RECIPE, wait until READY, print its id",
    .run = service_run,
};
