/* cli_args.c: option parsing, usage errors, --help and the walk down one command table.
 *
 * Options may come before, between or after positional arguments, so `aifb run list -o json`
 * and `aifb -o json run list` both work; cli_next_arg() hands them out one at a time and each
 * command keeps its own small loop over them. The options every command has (-o, -h) are
 * handled here so no command can forget them. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void cli_args_init(cli_args *a, int argc, char **argv)
{
    a->argc = argc;
    a->argv = argv;
    a->i = 1;
    a->only_positional = false;
}

int cli_usage_error(cli_ctx *ctx, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *sep = ctx->path[0] ? " " : "";
    fprintf(stderr, "aifb: %s%s%s (see aifb%s%s --help)\n", ctx->path, ctx->path[0] ? ": " : "",
            msg, sep, ctx->path);
    return CLI_EXIT_USAGE;
}

static bool set_output(cli_ctx *ctx, const char *value)
{
    if (strcmp(value, "json") == 0)
        ctx->output = CLI_OUT_JSON;
    else if (strcmp(value, "table") == 0)
        ctx->output = CLI_OUT_TABLE;
    else {
        cli_usage_error(ctx, "-o expects table or json, got '%s'", value);
        return false;
    }
    return true;
}

/* The value of an option: after '=' or in the next argument. NULL (reported) when missing. */
static const char *option_value(cli_ctx *ctx, cli_args *a, const char *inline_value,
                                const char *shown)
{
    if (inline_value)
        return inline_value;
    if (a->i < a->argc)
        return a->argv[a->i++];
    cli_usage_error(ctx, "option '%s' needs a value", shown);
    return NULL;
}

static int long_option(cli_ctx *ctx, cli_args *a, const char *arg, const cli_opt *opts,
                       const char **value)
{
    char name[64];
    const char *eq = strchr(arg + 2, '=');
    size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
    snprintf(name, sizeof name, "%.*s", (int)len, arg + 2);
    const char *inline_value = eq ? eq + 1 : NULL;
    if (strcmp(name, "help") == 0)
        return CLI_ARG_HELP;
    if (strcmp(name, "output") == 0) {
        const char *v = option_value(ctx, a, inline_value, "--output");
        return v && set_output(ctx, v) ? cli_next_arg(ctx, a, opts, value) : CLI_ARG_ERROR;
    }
    for (int k = 0; opts && opts[k].name; k++) {
        if (strcmp(opts[k].name, name) != 0)
            continue;
        if (!opts[k].has_value) {
            if (inline_value)
                return cli_usage_error(ctx, "option '--%s' takes no value", name), CLI_ARG_ERROR;
            return k;
        }
        *value = option_value(ctx, a, inline_value, arg);
        return *value ? k : CLI_ARG_ERROR;
    }
    cli_usage_error(ctx, "unknown option '--%s'", name);
    return CLI_ARG_ERROR;
}

static int short_option(cli_ctx *ctx, cli_args *a, const char *arg, const cli_opt *opts,
                        const char **value)
{
    char c = arg[1];
    const char *inline_value = arg[2] ? arg + 2 : NULL;
    if (c == 'h' && !inline_value)
        return CLI_ARG_HELP;
    if (c == 'o') {
        const char *v = option_value(ctx, a, inline_value, "-o");
        return v && set_output(ctx, v) ? cli_next_arg(ctx, a, opts, value) : CLI_ARG_ERROR;
    }
    for (int k = 0; opts && opts[k].name; k++) {
        if (opts[k].short_name != c)
            continue;
        if (!opts[k].has_value) {
            if (inline_value)
                break;
            return k;
        }
        char shown[3] = {'-', c, '\0'};
        *value = option_value(ctx, a, inline_value, shown);
        return *value ? k : CLI_ARG_ERROR;
    }
    cli_usage_error(ctx, "unknown option '%s'", arg);
    return CLI_ARG_ERROR;
}

int cli_next_arg(cli_ctx *ctx, cli_args *a, const cli_opt *opts, const char **value)
{
    *value = NULL;
    if (a->i >= a->argc)
        return CLI_ARG_END;
    const char *arg = a->argv[a->i++];
    if (!a->only_positional && strcmp(arg, "--") == 0) {
        a->only_positional = true;
        return cli_next_arg(ctx, a, opts, value);
    }
    if (a->only_positional || arg[0] != '-' || arg[1] == '\0') {
        *value = arg;
        return CLI_ARG_POSITIONAL;
    }
    if (arg[1] == '-')
        return long_option(ctx, a, arg, opts, value);
    return short_option(ctx, a, arg, opts, value);
}

int cli_args_stop(cli_ctx *ctx, int arg)
{
    return arg == CLI_ARG_HELP ? cli_print_help(ctx, ctx->cmd) : CLI_EXIT_USAGE;
}

int cli_extra_arg(cli_ctx *ctx, const char *arg)
{
    return cli_usage_error(ctx, "unexpected argument '%s'", arg);
}

int cli_expect_no_args(cli_ctx *ctx, int argc, char **argv)
{
    cli_args a;
    cli_args_init(&a, argc, argv);
    const char *value;
    int r = cli_next_arg(ctx, &a, NULL, &value);
    if (r == CLI_ARG_END)
        return CLI_CONTINUE;
    if (r == CLI_ARG_POSITIONAL)
        return cli_extra_arg(ctx, value);
    return cli_args_stop(ctx, r);
}

static const char common_options[] = "  -o, --output table|json   output format (default table)\n"
                                     "  -h, --help                this help\n";

int cli_print_help(cli_ctx *ctx, const struct cli_cmd *cmd)
{
    printf("usage: aifb %s%s%s\n\n%s\n\ncommon options:\n%s", ctx->path, cmd->usage[0] ? " " : "",
           cmd->usage, cmd->help, common_options);
    return CLI_EXIT_OK;
}

/* The first line of a help text, for command lists. */
static int first_line_len(const char *s)
{
    const char *nl = strchr(s, '\n');
    return nl ? (int)(nl - s) : (int)strlen(s);
}

static int print_group_help(cli_ctx *ctx, const struct cli_cmd *group, const struct cli_cmd *cmds)
{
    printf("usage: aifb %s COMMAND ...\n\n%s\n\ncommands:\n", ctx->path, group->help);
    for (const struct cli_cmd *c = cmds; c->name; c++)
        printf("  aifb %s %s %s\n      %.*s\n", ctx->path, c->name, c->usage,
               first_line_len(c->help), c->help);
    printf("\n`aifb %s COMMAND --help` tells more.\n\ncommon options:\n%s", ctx->path,
           common_options);
    return CLI_EXIT_OK;
}

/* "start, stop, list" for messages. */
static void command_names(const struct cli_cmd *cmds, char *buf, size_t size)
{
    buf[0] = '\0';
    for (const struct cli_cmd *c = cmds; c->name; c++) {
        size_t len = strlen(buf);
        snprintf(buf + len, size - len, "%s%s", c == cmds ? "" : ", ", c->name);
    }
}

int cli_dispatch(cli_ctx *ctx, const struct cli_cmd *group, const struct cli_cmd *cmds, int argc,
                 char **argv)
{
    cli_args a;
    cli_args_init(&a, argc, argv);
    const char *name;
    int r = cli_next_arg(ctx, &a, NULL, &name);
    if (r == CLI_ARG_HELP)
        return print_group_help(ctx, group, cmds);
    char names[256];
    command_names(cmds, names, sizeof names);
    if (r == CLI_ARG_END)
        return cli_usage_error(ctx, "missing command (one of: %s)", names);
    if (r != CLI_ARG_POSITIONAL)
        return CLI_EXIT_USAGE;
    for (const struct cli_cmd *c = cmds; c->name; c++) {
        if (strcmp(c->name, name) != 0)
            continue;
        size_t len = strlen(ctx->path);
        snprintf(ctx->path + len, sizeof ctx->path - len, "%s%s", len ? " " : "", c->name);
        ctx->cmd = c;
        return c->exec(ctx, argc - (a.i - 1), argv + (a.i - 1));
    }
    return cli_usage_error(ctx, "unknown command '%s' (one of: %s)", name, names);
}

bool cli_parse_long(cli_ctx *ctx, const char *opt, const char *text, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (!text[0] || *end || errno == ERANGE || v < min || v > max) {
        cli_usage_error(ctx, "%s expects a whole number from %ld to %ld, got '%s'", opt, min, max,
                        text);
        return false;
    }
    *out = v;
    return true;
}

bool cli_add_param(cli_ctx *ctx, json_object *params, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg) {
        cli_usage_error(ctx, "-p expects key=value, got '%s'", arg);
        return false;
    }
    char key[128];
    if ((size_t)(eq - arg) >= sizeof key) {
        cli_usage_error(ctx, "-p: parameter name too long in '%.40s...'", arg);
        return false;
    }
    snprintf(key, sizeof key, "%.*s", (int)(eq - arg), arg);
    if (json_object_object_get_ex(params, key, NULL)) {
        cli_usage_error(ctx, "parameter '%s' is given twice", key);
        return false;
    }
    json_object_object_add(params, key, json_object_new_string(eq + 1));
    return true;
}
