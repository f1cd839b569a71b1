/* cmd_getrun.c: `getrun ADDR --id ID [--procs P] --threads T --seconds S [--pid PID]`: GetRun
 * throughput with P x T calls in flight (P client processes, each its own connection) for S
 * seconds, every call reading the same stored run (so the figure is the
 * API's cost, not the disk's: after the first call the row is in SQLite's page cache, as it
 * would be for a dashboard refreshing one run). With --pid, the server's CPU use is reported. */
#include <stdio.h>

#include "bench.h"

typedef struct getrun_load {
    const char *id;
} getrun_load;

static aifb_code getrun_call(void *user, rpc_client *c, int thread, long i, aifb_err *err)
{
    (void)thread, (void)i;
    getrun_load *g = user;
    Aifb__V1__GetRunRequest req = AIFB__V1__GET_RUN_REQUEST__INIT;
    req.id = (char *)g->id;
    ProtobufCMessage *reply = NULL;
    aifb_code rc = rpc_client_unary(c, BENCH_METHOD("GetRun"), &req.base,
                                    &aifb__v1__run__descriptor, &reply, 10000, err);
    if (rc == AIFB_OK)
        protobuf_c_message_free_unpacked(reply, NULL);
    return rc;
}

static int getrun_run(int argc, char **argv)
{
    static const char *const known[] = {"--id", "--procs", "--threads", "--seconds", "--pid", NULL};
    bench_args a;
    aifb_err err = {0};
    long procs, threads, seconds, pid;
    if (bench_args_check(&a, argc, argv, 1, known, &err) ||
        bench_arg_int(&a, "--procs", 1, 1, 64, &procs, &err) ||
        bench_arg_int(&a, "--threads", 16, 1, 1024, &threads, &err) ||
        bench_arg_int(&a, "--seconds", 5, 1, 600, &seconds, &err) ||
        bench_arg_int(&a, "--pid", 0, 0, 1L << 22, &pid, &err))
        return bench_fail("getrun", &err);
    getrun_load g = {.id = bench_arg_str(&a, "--id", NULL)};
    if (!g.id) {
        aifb_err_set(&err, AIFB_EINVAL, "--id is required (a stored run's id)");
        return bench_fail("getrun", &err);
    }
    bench_load l = {.target = bench_arg_pos(&a, 0),
                    .procs = (int)procs,
                    .threads = (int)threads,
                    .seconds = (double)seconds,
                    .call = getrun_call,
                    .user = &g,
                    .server_pid = (int)pid};
    /* A wrong id or address fails the first call, and the report names it. */
    bench_load_result r;
    int status =
        bench_load_run(&l, &r, &err) ? bench_fail("getrun", &err) : bench_load_report("getrun", &r);
    bench_load_result_free(&r);
    return status;
}

const bench_cmd bench_cmd_getrun = {
    .name = "getrun",
    .usage = "ADDR --id RUN_ID [--procs 1] [--threads 16] [--seconds 5] [--pid SERVER_PID]",
    .about = "GetRun throughput and latency with P x T calls in flight",
    .run = getrun_run,
};
