/* cmd_info.c: `aifb info` (GetInfo) and `aifb version` (this command's own version, no server). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "common/util.h"

/* The partitions, then the nodes, as sinfo users expect to read them. */
static void print_cluster(const Aifb__V1__SlurmCluster *c)
{
    if (c->n_partitions) {
        static const char *const head[] = {"PARTITION", "STATE", "NODES", "CPUS", "NODELIST"};
        cli_table *t = cli_table_new(5, head);
        for (size_t i = 0; i < c->n_partitions; i++) {
            const Aifb__V1__SlurmPartition *p = c->partitions[i];
            char name[80], nodes[16], cpus[16];
            snprintf(name, sizeof name, "%s%s", p->name, p->is_default ? "*" : "");
            snprintf(nodes, sizeof nodes, "%d", p->total_nodes);
            snprintf(cpus, sizeof cpus, "%d", p->total_cpus);
            cli_table_add(t, name, p->state, nodes, cpus, p->nodes);
        }
        printf("\n");
        cli_table_print(t, stdout);
        cli_table_free(t);
    }
    if (c->n_nodes) {
        static const char *const head[] = {"NODE", "STATE", "CPUS", "MEMORY", "GRES", "PARTITIONS"};
        cli_table *t = cli_table_new(6, head);
        for (size_t i = 0; i < c->n_nodes; i++) {
            const Aifb__V1__SlurmNode *n = c->nodes[i];
            char cpus[16], mem[32], parts[256] = "";
            snprintf(cpus, sizeof cpus, "%d", n->cpus);
            snprintf(mem, sizeof mem, "%lld MB", (long long)n->memory_mb);
            for (size_t k = 0; k < n->n_partitions; k++)
                snprintf(parts + strlen(parts), sizeof parts - strlen(parts), "%s%s", k ? "," : "",
                         n->partitions[k]);
            cli_table_add(t, n->name, n->state, cpus, mem, *n->gres ? n->gres : "-", parts);
        }
        printf("\n");
        cli_table_print(t, stdout);
        cli_table_free(t);
    }
}

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
    const Aifb__V1__SlurmCluster *c = info->cluster;
    if (c) {
        cli_table_add(t, "slurm", c->controller);
        if (c->release && *c->release)
            cli_table_add(t, "slurm release", c->release);
        if (c->api_version && *c->api_version)
            cli_table_add(t, "rest api", c->api_version);
        if (c->error && *c->error)
            cli_table_add(t, "slurm error", c->error);
    }
    cli_table_print(t, stdout);
    cli_table_free(t);
    if (c)
        print_cluster(c);
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
