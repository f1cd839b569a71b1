/* bench_calls.c: the few ControlPlane calls several subcommands make (GetInfo, StartRun, waiting
 * until no run is active). Each turns a failure into a sentence naming the call. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bench.h"

aifb_code bench_get_info(rpc_client *c, uint64_t *last_seq, int *active_runs, aifb_err *err)
{
    Aifb__V1__GetInfoRequest req = AIFB__V1__GET_INFO_REQUEST__INIT;
    ProtobufCMessage *reply = NULL;
    if (rpc_client_unary(c, BENCH_METHOD("GetInfo"), &req.base, &aifb__v1__info__descriptor, &reply,
                         10000, err) != AIFB_OK) {
        aifb_err_prefix(err, "GetInfo");
        return err->code;
    }
    const Aifb__V1__Info *info = (const void *)reply;
    if (last_seq)
        *last_seq = info->last_event_seq;
    if (active_runs)
        *active_runs = info->active_runs;
    protobuf_c_message_free_unpacked(reply, NULL);
    return AIFB_OK;
}

aifb_code bench_wait_idle(rpc_client *c, double timeout_s, aifb_err *err)
{
    double end = bench_now_s() + timeout_s;
    int active = 0;
    for (;;) {
        if (bench_get_info(c, NULL, &active, err) != AIFB_OK)
            return err->code;
        if (active == 0)
            return AIFB_OK;
        if (bench_now_s() > end)
            return aifb_err_set(err, AIFB_ETIMEOUT, "%d runs still active after %.0f s", active,
                                timeout_s);
        struct timespec pause = {.tv_sec = 0, .tv_nsec = 50 * 1000000L};
        nanosleep(&pause, NULL);
    }
}

aifb_code bench_start_run(rpc_client *c, const char *recipe, const char *service_id, char id[32],
                          aifb_err *err)
{
    Aifb__V1__StartRunRequest req = AIFB__V1__START_RUN_REQUEST__INIT;
    req.recipe = (char *)recipe;
    req.service_id = (char *)(service_id ? service_id : "");
    ProtobufCMessage *reply = NULL;
    if (rpc_client_unary(c, BENCH_METHOD("StartRun"), &req.base, &aifb__v1__run__descriptor, &reply,
                         30000, err) != AIFB_OK) {
        aifb_err_prefix(err, "StartRun %s", recipe);
        return err->code;
    }
    if (id)
        snprintf(id, 32, "%s", ((const Aifb__V1__Run *)reply)->id);
    protobuf_c_message_free_unpacked(reply, NULL);
    return AIFB_OK;
}
