/* cli.h: what the parts of the aifb command-line client share.
 *
 * The CLI is a tree of command tables in the tmux style: main.c holds the top table (info,
 * version, recipes, run, service); each group (cmd_recipes.c, cmd_run.c, cmd_service.c) holds
 * its own table of struct cli_cmd rows, and cli_dispatch() walks one level down. Adding a
 * command is adding one function and one row. Around them:
 *   cli_args.c      option parsing (cli_next_arg), dispatch and --help at every level
 *   cli_rpc.c       the connection to aifbd and the calls, enum names of the API
 *   cli_output.c    the one-line error report, JSON printing, aligned tables, times
 *   cli_progress.c  the live "r-... RUNNING 00:12 (redis)" line on a terminal
 *   cli_wait.c      following a run or service to its end: Watch, falling back to polling
 * Every command returns its process exit status (CLI_EXIT_*). */
#ifndef AIFB_CLI_H
#define AIFB_CLI_H

#include <json-c/json.h>
#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "aifb/v1/controlplane.pb-c.h"
#include "common/err.h"
#include "rpc/rpc.h"

/* Exit statuses, as documented in docs/cli.md. */
enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_FAILED = 1, /* a call failed, or the run FAILED */
    CLI_EXIT_USAGE = 2,
    CLI_EXIT_OTHER = 3, /* the run was CANCELLED, or waiting ended without SUCCEEDED/FAILED */
    CLI_EXIT_INTERRUPTED = 130,
    CLI_CONTINUE = -1, /* not an exit status: "carry on" from argument checks */
};

typedef enum { CLI_OUT_TABLE, CLI_OUT_JSON } cli_output;

typedef struct cli_ctx {
    const char *server; /* host:port or unix:PATH */
    const char *token;  /* bearer token from AIFB_TOKEN, or NULL; never printed */
    cli_output output;
    bool progress;             /* stderr is a terminal: show the live progress line */
    rpc_client *client;        /* connected on the first call */
    char what[160];            /* the command being run, for error lines ("run start redis") */
    char path[64];             /* the command words so far, for usage lines ("run start") */
    const struct cli_cmd *cmd; /* the row being run, for its --help */
} cli_ctx;

struct cli_cmd {
    const char *name;
    const char *usage; /* arguments after the name: "RECIPE [-p key=value]..." */
    const char *help;  /* what it does, one or more lines */
    int (*exec)(cli_ctx *ctx, int argc, char **argv);
};

/* ---- cli_args.c: options and dispatch ----------------------------------------------------- */

/* One option a command accepts. -o/--output and -h/--help are accepted everywhere without
 * being listed. */
typedef struct cli_opt {
    const char *name; /* long name without dashes: "wait" */
    char short_name;  /* 'p', or 0 */
    bool has_value;
} cli_opt;

/* The iteration state over one command's argv (argv[0] is the command's name). */
typedef struct cli_args {
    int argc;
    char **argv;
    int i;
    bool only_positional; /* after "--" */
} cli_args;

enum {
    CLI_ARG_END = -1,        /* nothing left */
    CLI_ARG_POSITIONAL = -2, /* *value is a positional argument */
    CLI_ARG_HELP = -3,       /* -h or --help: print the command's help and exit 0 */
    CLI_ARG_ERROR = -4,      /* a usage error, already reported on stderr */
};

/* Starts iterating over argv[1..argc-1]. */
void cli_args_init(cli_args *a, int argc, char **argv);
/* The next option (its index in opts, a table ended by a row with a NULL name; *value set when
 * the option has one), a positional argument, or one of the CLI_ARG_* codes. Handles
 * "--name=value", "--name value", "-p value", "-pvalue", "--" and -o/--output itself. */
int cli_next_arg(cli_ctx *ctx, cli_args *a, const cli_opt *opts, const char **value);

/* Reports a usage error as one line ("aifb run start: <message> (see aifb run start --help)")
 * and returns CLI_EXIT_USAGE. */
int cli_usage_error(cli_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints a command's usage and help on stdout; returns CLI_EXIT_OK. */
int cli_print_help(cli_ctx *ctx, const struct cli_cmd *cmd);
/* What a command returns when cli_next_arg() gave CLI_ARG_HELP or CLI_ARG_ERROR: its help and
 * CLI_EXIT_OK, or CLI_EXIT_USAGE (the error is already reported). */
int cli_args_stop(cli_ctx *ctx, int arg);
/* Reports an unexpected positional argument as a usage error. */
int cli_extra_arg(cli_ctx *ctx, const char *arg);
/* For commands without arguments of their own (they still take -o and -h): CLI_CONTINUE when
 * there is nothing else, else the status to exit with (help printed, or a usage error). */
int cli_expect_no_args(cli_ctx *ctx, int argc, char **argv);

/* Runs the subcommand argv[1] of a group from its table; handles -h/--help and -o before the
 * subcommand's name, and reports an unknown one. argv[0] is the group's name. */
int cli_dispatch(cli_ctx *ctx, const struct cli_cmd *group, const struct cli_cmd *cmds, int argc,
                 char **argv);

/* Parses an integer option value into *out within [min, max]; false (with the usage error
 * reported) otherwise. */
bool cli_parse_long(cli_ctx *ctx, const char *opt, const char *text, long min, long max, long *out);

/* Adds a "-p key=value" to the JSON object params, split at the first '=' only (values may
 * hold '='). False, with the usage error reported, on a missing '=' or a key given twice. */
bool cli_add_param(cli_ctx *ctx, json_object *params, const char *arg);

/* ---- cli_rpc.c: calls to aifbd ------------------------------------------------------------ */

/* One unary call of aifb.v1.ControlPlane (method: "GetRun"); see rpc_client_unary(). */
aifb_code cli_call(cli_ctx *ctx, const char *method, const ProtobufCMessage *req,
                   const ProtobufCMessageDescriptor *reply_desc, ProtobufCMessage **reply,
                   aifb_err *err);
/* One server-streaming call; see rpc_client_stream(). timeout_ms <= 0: no limit. */
aifb_code cli_stream(cli_ctx *ctx, const char *method, const ProtobufCMessage *req,
                     const ProtobufCMessageDescriptor *reply_desc, rpc_client_stream_fn on_msg,
                     void *user, int timeout_ms, aifb_err *err);
/* A request message built from JSON (for requests with maps); NULL with err set on a refusal. */
ProtobufCMessage *cli_request_from_json(const ProtobufCMessageDescriptor *d, json_object *j,
                                        aifb_err *err);
void cli_close(cli_ctx *ctx);

/* State names without their prefix ("RUNNING", "READY"), "?" for unknown numbers. */
const char *cli_run_state_name(int state);
const char *cli_service_state_name(int state);
/* "int", "string", ... */
const char *cli_param_type_name(int type);
/* Accepts "running", "RUNNING" or "RUN_STATE_RUNNING". */
bool cli_run_state_parse(const char *text, int *out);
bool cli_run_state_is_final(const char *name);
bool cli_service_state_is_final(const char *name);

/* ---- cli_output.c: what the user sees ---------------------------------------------------------
 */

/* Reports a failed call as one line on stderr and returns CLI_EXIT_FAILED:
 * "aifb: <ctx->what>: <CODE>: <message>", or for an unreachable aifbd
 * "aifb: cannot reach aifbd at ADDR (is aifbd running? start it with `aifbd`)". */
int cli_fail(cli_ctx *ctx, const aifb_err *err);
/* Reports a failure that is not a server status, as "aifb: <what>: <message>". */
int cli_fail_msg(cli_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Sets ctx->what for error lines. */
void cli_set_what(cli_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints m as indented JSON (one document) or as one line (for streams), and flushes. */
void cli_print_json(const ProtobufCMessage *m);
void cli_print_json_line(const ProtobufCMessage *m);
/* Prints j indented and releases it. */
void cli_print_json_object(json_object *j);

/* Columns aligned with two spaces between them; the last column is not padded. */
typedef struct cli_table cli_table;
/* headers: ncols strings, or NULL for a table without a header line (key-value blocks). */
cli_table *cli_table_new(size_t ncols, const char *const *headers);
/* Adds one row of ncols strings (NULL prints as empty); newlines become spaces. */
void cli_table_add(cli_table *t, ...);
void cli_table_print(const cli_table *t, FILE *f);
void cli_table_free(cli_table *t);

/* Local ISO-8601 with offset ("2026-11-28T14:02:36+01:00"), "-" for 0. buf: 40 bytes. */
const char *cli_time_text(int64_t epoch_ms, char *buf, size_t size);
/* Humanised: "850ms", "12s", "3m05s", "2h03m", "3d04h". buf: 32 bytes. */
const char *cli_duration_text(int64_t ms, char *buf, size_t size);
/* A stopwatch: "00:12", "59:59", "1:02:03". */
const char *cli_clock_text(int64_t ms, char *buf, size_t size);
/* Prints a summary as "name  value unit" lines, names aligned. */
void cli_print_metrics(Aifb__V1__Metric *const *metrics, size_t n, FILE *f);

/* ---- cli_progress.c: the live line on stderr --------------------------------------------------
 */

/* Starts showing "<id> <state> <mm:ss since since_ms> (<recipe>)", redrawn every second; does
 * nothing unless ctx->progress. */
void cli_progress_start(cli_ctx *ctx, const char *id, const char *recipe, int64_t since_ms);
void cli_progress_set_state(const char *state);
/* Takes the line away so other output can be printed, and brings it back. */
void cli_progress_hide(void);
void cli_progress_show(void);
/* Clears the line and stops redrawing. Safe to call when nothing was started. */
void cli_progress_stop(void);
/* From the signal thread before exiting: clears the line if one is shown (async-signal-safe
 * enough: one write(2), no locks). */
void cli_progress_abandon(void);

/* ---- cli_wait.c: following something to its end ------------------------------------------------
 */

typedef struct cli_wait_spec {
    const char *id;          /* "r-..." or "s-..." */
    const char *recipe;      /* for the progress line */
    int64_t since_ms;        /* epoch ms the progress clock counts from */
    int64_t timeout_ms;      /* 0: wait as long as it takes */
    bool is_service;         /* services end at READY, STOPPED or FAILED */
    bool until_stopped;      /* services only: READY does not end the wait (service stop) */
    const char *start_state; /* the state already known, shown before the first event */
} cli_wait_spec;

/* Follows the run or service until it reaches a final state (for services: READY counts unless
 * until_stopped), with the progress line; writes that state's name into final_state. Watch with
 * replay first; if the stream breaks, GetRun/GetService every 500 ms. AIFB_ETIMEOUT when
 * timeout_ms passed first. */
aifb_code cli_wait(cli_ctx *ctx, const cli_wait_spec *spec, char *final_state, size_t size,
                   aifb_err *err);

/* ---- command groups ---------------------------------------------------------------------------
 */

int cli_cmd_info(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_version(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_recipes(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_run(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_service(cli_ctx *ctx, int argc, char **argv);

/* cmd_run_follow.c: the parts of the run group that follow a stream. */
int cli_cmd_run_watch(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_run_logs(cli_ctx *ctx, int argc, char **argv);
/* Follows a run to its end (cli_wait) and fetches the ended record into *final (freed with
 * protobuf_c_message_free_unpacked). Returns CLI_CONTINUE, or the exit status of a failure it
 * already reported (3 when the timeout passed first). */
int cli_follow_run(cli_ctx *ctx, const Aifb__V1__Run *run, int64_t timeout_ms,
                   Aifb__V1__Run **final);
/* Prints an ended run: the Run as JSON, or "<id> <STATE> in <duration> (<recipe>)", its reason
 * and its summary metrics. */
void cli_print_run_end(cli_ctx *ctx, const Aifb__V1__Run *run);
/* The exit status a run's final state means: 0 SUCCEEDED, 1 FAILED, 3 anything else. */
int cli_run_exit_status(const Aifb__V1__Run *run);

#endif
