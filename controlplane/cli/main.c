/* main.c: the aifb command: global options, the top command table, signals.
 *
 *   aifb [--server ADDR] [-o table|json] COMMAND ...
 *
 * The server address comes from --server, else $AIFB_SERVER, else 127.0.0.1:50051; the bearer
 * token only from $AIFB_TOKEN (an option would leave it in shell history and `ps`). rpc_init()
 * blocks SIGINT and friends in every thread, so one thread waits for them and, on Ctrl-C, clears
 * the progress line and exits 130: the server-side run goes on, only the CLI stops watching. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define CLI_DEFAULT_SERVER "127.0.0.1:50051"

static const struct cli_cmd top_cmds[] = {
    {"info", "", "What the aifbd answering is: version, executor, uptime, state folder, counts.",
     cli_cmd_info},
    {"recipes", "COMMAND ...", "The recipes aifbd loaded: list, show.", cli_cmd_recipes},
    {"run", "COMMAND ...", "Benchmark runs: start, stop, list, show, watch, logs.", cli_cmd_run},
    {"service", "COMMAND ...", "Long-lived services: start, stop, list, show.", cli_cmd_service},
    {"version", "", "The version of this aifb command.", cli_cmd_version},
    {NULL, NULL, NULL, NULL},
};

static const char top_help[] =
    "usage: aifb [--server ADDR] [-o table|json] COMMAND ...\n"
    "\n"
    "The command-line client of aifbd, the aifb control plane.\n"
    "\n"
    "commands:\n"
    "  aifb info                                    what aifbd is and holds\n"
    "  aifb recipes list                            the recipes aifbd loaded\n"
    "  aifb recipes show NAME                       one recipe and its parameters\n"
    "  aifb run start RECIPE [-p key=value]... [--service ID] [--wait] [--timeout S]\n"
    "  aifb run stop ID [--reason TEXT] [--wait]\n"
    "  aifb run list [--state S]... [--recipe R] [--limit N] [--all]\n"
    "  aifb run show ID                             everything about one run\n"
    "  aifb run watch [ID] [--from SEQ]             events as they happen\n"
    "  aifb run logs ID [--stream NAME] [--follow]  a run's output\n"
    "  aifb service start RECIPE [-p key=value]... [--wait]\n"
    "  aifb service stop ID [--reason TEXT] [--wait]\n"
    "  aifb service list [--all] | show ID\n"
    "  aifb version                                 this command's version\n"
    "\n"
    "options:\n"
    "  --server ADDR             host:port or unix:PATH (default $AIFB_SERVER, "
    "else " CLI_DEFAULT_SERVER ")\n"
    "  -o, --output table|json   output format, also accepted after the command\n"
    "  -h, --help                help; `aifb COMMAND --help` for one command\n"
    "\n"
    "environment:\n"
    "  AIFB_SERVER   aifbd's address when --server is not given\n"
    "  AIFB_TOKEN    bearer token sent with every call (needed when aifbd listens beyond\n"
    "                loopback)\n"
    "\n"
    "exit status: 0 success; 1 a call failed or the run FAILED; 2 usage error;\n"
    "             3 the run was CANCELLED or did not end as asked; 130 interrupted\n";

static void *exit_on_signal(void *unused)
{
    (void)unused;
    int sig = rpc_wait_signal();
    cli_progress_abandon();
    _exit(128 + sig); /* the shell's convention: 130 for Ctrl-C */
}

static void start_signal_thread(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, exit_on_signal, NULL) == 0)
        pthread_detach(t);
}

static int run_command(cli_ctx *ctx, const char *name, int argc, char **argv)
{
    for (const struct cli_cmd *c = top_cmds; c->name; c++) {
        if (strcmp(c->name, name) != 0)
            continue;
        snprintf(ctx->path, sizeof ctx->path, "%s", c->name);
        snprintf(ctx->what, sizeof ctx->what, "%s", c->name);
        ctx->cmd = c;
        return c->exec(ctx, argc, argv);
    }
    return cli_usage_error(ctx,
                           "unknown command '%s' (one of: info, recipes, run, service, "
                           "version)",
                           name);
}

static int parse_and_run(cli_ctx *ctx, int argc, char **argv)
{
    static const cli_opt opts[] = {{"server", 0, true}, {"version", 0, false}, {NULL, 0, false}};
    cli_args a;
    cli_args_init(&a, argc, argv);
    for (;;) {
        const char *value;
        int r = cli_next_arg(ctx, &a, opts, &value);
        if (r == 0)
            ctx->server = value;
        else if (r == 1)
            return cli_cmd_version(ctx, 1, argv);
        else if (r == CLI_ARG_POSITIONAL)
            return run_command(ctx, value, argc - (a.i - 1), argv + (a.i - 1));
        else if (r == CLI_ARG_HELP)
            return fputs(top_help, stdout), CLI_EXIT_OK;
        else if (r == CLI_ARG_END)
            return cli_usage_error(ctx, "no command given");
        else
            return CLI_EXIT_USAGE;
    }
}

int main(int argc, char **argv)
{
    rpc_init();
    start_signal_thread();
    const char *server = getenv("AIFB_SERVER");
    const char *token = getenv("AIFB_TOKEN");
    cli_ctx ctx = {
        .server = server && server[0] ? server : CLI_DEFAULT_SERVER,
        .token = token && token[0] ? token : NULL,
        .output = CLI_OUT_TABLE,
        .progress = isatty(STDERR_FILENO) == 1,
    };
    int rc = parse_and_run(&ctx, argc, argv);
    cli_progress_stop();
    cli_close(&ctx);
    rpc_shutdown();
    return rc;
}
