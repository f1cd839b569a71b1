/* cmd_info.c: `aifb info` (GetInfo) and `aifb version` (this command's own version, no server). */
#include <stdio.h>

#include "cli.h"
#include "common/util.h"

static void print_info_table(const Aifb__V1__Info *info)
{
    char started[40], up[32], recipes[16], active[16], seq[24];
    snprintf(recipes, sizeof recipes, "%d", info->recipe_count);
    snprintf(active, sizeof active, "%d", info->active_runs);
    snprintf(seq, sizeof seq, "%llu", (unsigned long long)info->last_event_seq);
    cli_table *t = cli_table_new(2, NULL);
    cli_table_add(t, "version", info->version);
    cli_table_add(t, "executor", info->executor);
    cli_table_add(t, "listen", info->listen);
    cli_table_add(t, "state dir", info->state_dir);
    cli_table_add(t, "started", cli_time_text(info->started_at_ms, started, sizeof started));
    cli_table_add(t, "uptime", cli_duration_text(info->uptime_ms, up, sizeof up));
    cli_table_add(t, "recipes", recipes);
    cli_table_add(t, "active runs", active);
    cli_table_add(t, "last event", seq);
    cli_table_print(t, stdout);
    cli_table_free(t);
}

int cli_cmd_info(cli_ctx *ctx, int argc, char **argv)
{
    int r = cli_expect_no_args(ctx, argc, argv);
    if (r != CLI_CONTINUE)
        return r;
    Aifb__V1__GetInfoRequest req = AIFB__V1__GET_INFO_REQUEST__INIT;
    ProtobufCMessage *reply;
    aifb_err err = {0};
    if (cli_call(ctx, "GetInfo", &req.base, &aifb__v1__info__descriptor, &reply, &err) != AIFB_OK)
        return cli_fail(ctx, &err);
    if (ctx->output == CLI_OUT_JSON)
        cli_print_json(reply);
    else
        print_info_table((const Aifb__V1__Info *)reply);
    protobuf_c_message_free_unpacked(reply, NULL);
    return CLI_EXIT_OK;
}

int cli_cmd_version(cli_ctx *ctx, int argc, char **argv)
{
    int r = cli_expect_no_args(ctx, argc, argv);
    if (r != CLI_CONTINUE)
        return r;
    if (ctx->output == CLI_OUT_JSON) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "version", json_object_new_string(AIFB_VERSION));
        cli_print_json_object(j);
    } else {
        printf("aifb %s\n", AIFB_VERSION);
    }
    return CLI_EXIT_OK;
}
