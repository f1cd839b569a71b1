/* cmd_startrun.c: `startrun ADDR --recipe R [--service S] --count N --threads T [--pid PID]`:
 * StartRun throughput with T calls in flight, N runs in all. Each call validates, plans, stores
 * (PENDING, then SUBMITTED: two transactions) and hands the run to the executor before it
 * answers, so the figure includes persisting the run. Afterwards the command waits until every
 * run has ended and reports how long that took (drain_s): the executor and reconciler working
 * through the burst, which the StartRun rate alone does not show; --drain 0 leaves the runs
 * going (the Slurm benchmark keeps 1,000 jobs tracked that way). */
#include <stdio.h>

#include "bench.h"

typedef struct startrun_load {
    const char *recipe, *service_id;
} startrun_load;

static aifb_code startrun_call(void *user, rpc_client *c, int thread, long i, aifb_err *err)
{
    (void)thread, (void)i;
    startrun_load *s = user;
    return bench_start_run(c, s->recipe, s->service_id, NULL, err);
}

static int startrun_drain(const char *target, long runs)
{
    aifb_err err = {0};
    rpc_client *c = NULL;
    double t0 = bench_now_s();
    if (rpc_client_new(target, NULL, &c, &err) || bench_wait_idle(c, 240, &err)) {
        rpc_client_free(c);
        return bench_fail("startrun", &err);
    }
    double drain = bench_now_s() - t0;
    printf("startrun_drain runs=%ld drain_s=%.2f\n", runs, drain);
    rpc_client_free(c);
    return 0;
}

static int startrun_run(int argc, char **argv)
{
    static const char *const known[] = {"--recipe", "--service", "--count", "--threads",
                                        "--pid",    "--drain",   NULL};
    bench_args a;
    aifb_err err = {0};
    long threads, count, pid, drain;
    if (bench_args_check(&a, argc, argv, 1, known, &err) ||
        bench_arg_int(&a, "--threads", 16, 1, 1024, &threads, &err) ||
        bench_arg_int(&a, "--count", 500, 1, 1000000, &count, &err) ||
        bench_arg_int(&a, "--pid", 0, 0, 1L << 22, &pid, &err) ||
        bench_arg_int(&a, "--drain", 1, 0, 1, &drain, &err))
        return bench_fail("startrun", &err);
    startrun_load s = {.recipe = bench_arg_str(&a, "--recipe", NULL),
                       .service_id = bench_arg_str(&a, "--service", "")};
    if (!s.recipe) {
        aifb_err_set(&err, AIFB_EINVAL, "--recipe is required");
        return bench_fail("startrun", &err);
    }
    bench_load l = {.target = bench_arg_pos(&a, 0),
                    .procs = 1,
                    .threads = (int)threads,
                    .count = count,
                    .call = startrun_call,
                    .user = &s,
                    .server_pid = (int)pid};
    bench_load_result r;
    int status = bench_load_run(&l, &r, &err) ? bench_fail("startrun", &err)
                                              : bench_load_report("startrun", &r);
    if (status == 0 && drain)
        status = startrun_drain(l.target, r.calls);
    bench_load_result_free(&r);
    return status;
}

const bench_cmd bench_cmd_startrun = {
    .name = "startrun",
    .usage = "ADDR --recipe R [--service ID] [--count 500] [--threads 16] [--pid SERVER_PID]\n"
             "      [--drain 1 (then wait until every run ended) | 0]",
    .about = "StartRun throughput with T calls in flight, then the time until all runs ended",
    .run = startrun_run,
};
