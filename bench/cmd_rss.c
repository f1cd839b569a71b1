/* cmd_rss.c: `rss PID`: a process's resident memory now (VmRSS), at its peak (VmHWM) and its
 * anonymous part (RssAnon: heap and stacks, without mapped files such as a database that SQLite
 * reads through mmap), in kB, from /proc/PID/status. run.sh reads it for aifbd and for the peer
 * while they are idle, and again after the load (the peak then shows what the load cost). */
#include <stdio.h>

#include "bench.h"

static int rss_run(int argc, char **argv)
{
    static const char *const known[] = {NULL};
    bench_args a;
    aifb_err err = {0};
    long pid, rss, hwm, anon;
    if (bench_args_check(&a, argc, argv, 1, known, &err) ||
        bench_parse_long(bench_arg_pos(&a, 0), "PID", 1, 1L << 22, &pid, &err) ||
        bench_proc_mem_kb((int)pid, &rss, &hwm, &anon, &err))
        return bench_fail("rss", &err);
    printf("rss pid=%ld rss_kb=%ld hwm_kb=%ld anon_kb=%ld\n", pid, rss, hwm, anon);
    return 0;
}

const bench_cmd bench_cmd_rss = {
    .name = "rss",
    .usage = "PID",
    .about = "resident memory of PID now, at its peak, and anonymous (VmRSS, VmHWM, RssAnon), kB",
    .run = rss_run,
};
