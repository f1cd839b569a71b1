/* aifb-bench.c: the load client of the control-plane benchmark: the table of subcommands.
 *
 * Each subcommand is one cmd_*.c file holding one bench_cmd row; adding one is adding a file and
 * a row here. bench/run.sh calls them in order (populate, service, getrun, startrun, listruns,
 * watch, rss) against aifbd and against the Python peer, and turns their result lines into the
 * table it prints. */
#include <stdio.h>
#include <string.h>

#include "bench.h"

static const bench_cmd *const bench_cmds[] = {
    &bench_cmd_populate, &bench_cmd_service, &bench_cmd_getrun, &bench_cmd_startrun,
    &bench_cmd_listruns, &bench_cmd_watch,   &bench_cmd_rss,    &bench_cmd_restsubmit,
};
#define BENCH_NCMDS (sizeof bench_cmds / sizeof bench_cmds[0])

int bench_fail(const char *cmd, const aifb_err *err)
{
    fprintf(stderr, "aifb-bench %s: %s\n", cmd, err->msg);
    return 1;
}

static void bench_usage(FILE *out)
{
    fprintf(out, "usage: aifb-bench COMMAND ARGS [--option value ...]\n\n");
    for (size_t i = 0; i < BENCH_NCMDS; i++)
        fprintf(out, "  %s %s\n      %s\n", bench_cmds[i]->name, bench_cmds[i]->usage,
                bench_cmds[i]->about);
    fprintf(out, "\nADDR is host:port or unix:PATH. Each command prints one result line\n"
                 "\"<command> key=value ...\" and may add \"note: ...\" lines.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        bench_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (size_t i = 0; i < BENCH_NCMDS; i++)
        if (!strcmp(argv[1], bench_cmds[i]->name))
            return bench_cmds[i]->run(argc - 1, argv + 1);
    fprintf(stderr, "aifb-bench: unknown command '%s' (see aifb-bench --help)\n", argv[1]);
    return 2;
}
