/* cmd_recipes.c: `aifb recipes list` (ListRecipes) and `aifb recipes show NAME` (GetRecipe). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common/util.h"

static int recipes_list(cli_ctx *ctx, int argc, char **argv)
{
    int r = cli_expect_no_args(ctx, argc, argv);
    if (r != CLI_CONTINUE)
        return r;
    cli_set_what(ctx, "recipes list");
    Aifb__V1__ListRecipesRequest req = AIFB__V1__LIST_RECIPES_REQUEST__INIT;
    ProtobufCMessage *reply;
    aifb_err err = {0};
    if (cli_call(ctx, "ListRecipes", &req.base, &aifb__v1__list_recipes_response__descriptor,
                 &reply, &err) != AIFB_OK)
        return cli_fail(ctx, &err);
    if (ctx->output == CLI_OUT_JSON) {
        cli_print_json(reply);
    } else {
        const Aifb__V1__ListRecipesResponse *resp = (const Aifb__V1__ListRecipesResponse *)reply;
        cli_table *t = cli_table_new(3, (const char *const[]){"NAME", "KIND", "DESCRIPTION"});
        for (size_t i = 0; i < resp->n_recipes; i++)
            cli_table_add(t, resp->recipes[i]->name, resp->recipes[i]->kind,
                          resp->recipes[i]->description);
        cli_table_print(t, stdout);
        cli_table_free(t);
    }
    protobuf_c_message_free_unpacked(reply, NULL);
    return CLI_EXIT_OK;
}

/* A bound as the recipe author wrote it: 100000000 for an int, 0.5 for a float. */
static void bound_text(double v, char *buf, size_t size)
{
    if (v == trunc(v) && fabs(v) < 1e15)
        snprintf(buf, size, "%.0f", v);
    else
        snprintf(buf, size, "%g", v);
}

/* "1..64", ">= 1", "<= 10", "set|get|mixed" or "". */
static void range_text(const Aifb__V1__ParamSpec *p, char *buf, size_t size)
{
    buf[0] = '\0';
    if (p->n_choices) {
        for (size_t i = 0; i < p->n_choices; i++) {
            size_t len = strlen(buf);
            snprintf(buf + len, size - len, "%s%s", i ? "|" : "", p->choices[i]);
        }
        return;
    }
    char lo[32], hi[32];
    bound_text(p->min, lo, sizeof lo);
    bound_text(p->max, hi, sizeof hi);
    if (p->has_min && p->has_max)
        snprintf(buf, size, "%s..%s", lo, hi);
    else if (p->has_min)
        snprintf(buf, size, ">= %s", lo);
    else if (p->has_max)
        snprintf(buf, size, "<= %s", hi);
}

static void print_params(const Aifb__V1__Recipe *r)
{
    cli_table *t = cli_table_new(
        5, (const char *const[]){"NAME", "TYPE", "DEFAULT", "RANGE/CHOICES", "DESCRIPTION"});
    for (size_t i = 0; i < r->n_params; i++) {
        const Aifb__V1__ParamSpec *p = r->params[i];
        char range[512], desc[640];
        range_text(p, range, sizeof range);
        snprintf(desc, sizeof desc, "%s%s%s%s", p->description, p->unit[0] ? " [" : "", p->unit,
                 p->unit[0] ? "]" : "");
        const char *def = p->required && !p->default_value[0] ? "(required)" : p->default_value;
        cli_table_add(t, p->name, cli_param_type_name(p->type), def, range, desc);
    }
    cli_table_print(t, stdout);
    cli_table_free(t);
}

/* A recipe's command as one line for people; an empty word or one with blanks or quotes is
 * put in single quotes so it stays visible (the words are shown, never run). */
static char *command_text(char *const *words, size_t n)
{
    abuf b = {0};
    for (size_t i = 0; i < n; i++) {
        const char *w = words[i];
        if (i)
            abuf_putc(&b, ' ');
        if (w[0] && !strpbrk(w, " \t\n'\"\\")) {
            abuf_puts(&b, w);
            continue;
        }
        abuf_putc(&b, '\'');
        for (; *w; w++) {
            if (*w == '\'')
                abuf_puts(&b, "'\\''");
            else
                abuf_putc(&b, *w);
        }
        abuf_putc(&b, '\'');
    }
    return abuf_take(&b);
}

/* "image=docker://..., gpus=${tensor_parallel_size}" of a role's Slurm settings, or "-". */
static char *slurm_text(const Aifb__V1__RoleSlurm *s)
{
    if (!s)
        return xstrdup("-");
    const char *names[] = {"image",         "gpus",      "nodes",          "tasks",
                           "cpus_per_task", "memory_mb", "time_limit_min", "partition"};
    const char *values[] = {s->image,         s->gpus,      s->nodes,          s->tasks,
                            s->cpus_per_task, s->memory_mb, s->time_limit_min, s->partition};
    abuf b = {0};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (values[i] && *values[i])
            abuf_printf(&b, "%s%s=%s", b.len ? ", " : "", names[i], values[i]);
    return b.len ? abuf_take(&b) : xstrdup("-");
}

static void print_recipe(const Aifb__V1__Recipe *r)
{
    const Aifb__V1__RecipeSummary *s = r->summary;
    char *service = command_text(r->service_command, r->n_service_command);
    char *client = command_text(r->client_command, r->n_client_command);
    cli_table *t = cli_table_new(2, NULL);
    cli_table_add(t, "name", s ? s->name : "");
    cli_table_add(t, "kind", s ? s->kind : "");
    cli_table_add(t, "description", s ? s->description : "");
    cli_table_add(t, "source", r->source_path);
    cli_table_add(t, "readiness", r->readiness);
    cli_table_add(t, "service", service[0] ? service : "-");
    cli_table_add(t, "client", client[0] ? client : "-");
    char *service_slurm = slurm_text(r->service_slurm), *client_slurm = slurm_text(r->client_slurm);
    cli_table_add(t, "service slurm", service_slurm);
    cli_table_add(t, "client slurm", client_slurm);
    cli_table_print(t, stdout);
    cli_table_free(t);
    free(service);
    free(client);
    free(service_slurm);
    free(client_slurm);
    printf("\nparameters:\n");
    print_params(r);
}

static int recipes_show(cli_ctx *ctx, int argc, char **argv)
{
    cli_args a;
    cli_args_init(&a, argc, argv);
    const char *name = NULL, *value;
    int r;
    while ((r = cli_next_arg(ctx, &a, NULL, &value)) != CLI_ARG_END) {
        if (r != CLI_ARG_POSITIONAL)
            return cli_args_stop(ctx, r);
        if (name)
            return cli_extra_arg(ctx, value);
        name = value;
    }
    if (!name)
        return cli_usage_error(ctx, "missing the recipe NAME");
    cli_set_what(ctx, "recipes show %s", name);
    Aifb__V1__GetRecipeRequest req = AIFB__V1__GET_RECIPE_REQUEST__INIT;
    req.name = (char *)name;
    ProtobufCMessage *reply;
    aifb_err err = {0};
    if (cli_call(ctx, "GetRecipe", &req.base, &aifb__v1__recipe__descriptor, &reply, &err) !=
        AIFB_OK)
        return cli_fail(ctx, &err);
    if (ctx->output == CLI_OUT_JSON)
        cli_print_json(reply);
    else
        print_recipe((const Aifb__V1__Recipe *)reply);
    protobuf_c_message_free_unpacked(reply, NULL);
    return CLI_EXIT_OK;
}

static const struct cli_cmd recipes_cmds[] = {
    {"list", "", "Every recipe aifbd loaded (NAME KIND DESCRIPTION).", recipes_list},
    {"show", "NAME",
     "One recipe: what it starts and its parameters\n"
     "(NAME TYPE DEFAULT RANGE/CHOICES DESCRIPTION).",
     recipes_show},
    {NULL, NULL, NULL, NULL},
};

int cli_cmd_recipes(cli_ctx *ctx, int argc, char **argv)
{
    return cli_dispatch(ctx, ctx->cmd, recipes_cmds, argc, argv);
}
