/* cmd_run.c: the `aifb run` group: start, stop, list, show here; watch and logs, which follow
 * streams, in cmd_run_follow.c. The group's table is at the end of this file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common/util.h"
#include "pbjson/pbjson.h"

/* ---- run start ---------------------------------------------------------------------------------
 */

typedef struct start_args {
    const char *recipe;
    json_object *params;
    const char *service_id;
    bool wait;
    long timeout_s;
} start_args;

/* CLI_CONTINUE when the arguments make sense, else the exit status (help or usage error). */
static int parse_start(cli_ctx *ctx, int argc, char **argv, start_args *s)
{
    static const cli_opt opts[] = {{"param", 'p', true},
                                   {"service", 0, true},
                                   {"wait", 'w', false},
                                   {"timeout", 0, true},
                                   {NULL, 0, false}};
    cli_args a;
    cli_args_init(&a, argc, argv);
    const char *v;
    int r;
    while ((r = cli_next_arg(ctx, &a, opts, &v)) != CLI_ARG_END) {
        if (r == CLI_ARG_POSITIONAL && s->recipe)
            return cli_extra_arg(ctx, v);
        if (r == CLI_ARG_POSITIONAL)
            s->recipe = v;
        else if (r == 0 && !cli_add_param(ctx, s->params, v))
            return CLI_EXIT_USAGE;
        else if (r == 1)
            s->service_id = v;
        else if (r == 2)
            s->wait = true;
        else if (r == 3 && !cli_parse_long(ctx, "--timeout", v, 1, 30L * 86400, &s->timeout_s))
            return CLI_EXIT_USAGE;
        else if (r < 0)
            return cli_args_stop(ctx, r);
    }
    if (!s->recipe)
        return cli_usage_error(ctx, "missing the RECIPE to run");
    if (s->timeout_s)
        s->wait = true; /* a time limit only means something while waiting */
    return CLI_CONTINUE;
}

static int finish_started_run(cli_ctx *ctx, const start_args *s, const Aifb__V1__Run *run)
{
    if (!s->wait) {
        if (ctx->output == CLI_OUT_JSON)
            cli_print_json(&run->base);
        else
            printf("%s\n", run->id);
        return CLI_EXIT_OK;
    }
    Aifb__V1__Run *final;
    int rc = cli_follow_run(ctx, run, (int64_t)s->timeout_s * 1000, &final);
    if (rc != CLI_CONTINUE)
        return rc;
    cli_print_run_end(ctx, final);
    rc = cli_run_exit_status(final);
    if (rc != CLI_EXIT_OK)
        fprintf(stderr, "aifb: run %s ended %s%s%s\n", final->id, cli_run_state_name(final->state),
                final->reason[0] ? ": " : "", final->reason);
    protobuf_c_message_free_unpacked(&final->base, NULL);
    return rc;
}

static int run_start(cli_ctx *ctx, int argc, char **argv)
{
    start_args s = {.params = json_object_new_object()};
    int rc = parse_start(ctx, argc, argv, &s);
    if (rc != CLI_CONTINUE) {
        json_object_put(s.params);
        return rc;
    }
    cli_set_what(ctx, "run start %s", s.recipe);
    json_object *j = json_object_new_object();
    json_object_object_add(j, "recipe", json_object_new_string(s.recipe));
    json_object_object_add(j, "params", s.params);
    if (s.service_id)
        json_object_object_add(j, "service_id", json_object_new_string(s.service_id));
    aifb_err err = {0};
    ProtobufCMessage *req =
        cli_request_from_json(&aifb__v1__start_run_request__descriptor, j, &err);
    json_object_put(j);
    if (!req)
        return cli_fail(ctx, &err);
    ProtobufCMessage *reply;
    aifb_code code = cli_call(ctx, "StartRun", req, &aifb__v1__run__descriptor, &reply, &err);
    protobuf_c_message_free_unpacked(req, NULL);
    if (code != AIFB_OK)
        return cli_fail(ctx, &err);
    rc = finish_started_run(ctx, &s, (const Aifb__V1__Run *)reply);
    protobuf_c_message_free_unpacked(reply, NULL);
    return rc;
}

/* ---- run stop ----------------------------------------------------------------------------------
 */

static int run_stop(cli_ctx *ctx, int argc, char **argv)
{
    static const cli_opt opts[] = {{"reason", 0, true}, {"wait", 'w', false}, {NULL, 0, false}};
    Aifb__V1__StopRunRequest req = AIFB__V1__STOP_RUN_REQUEST__INIT;
    bool wait = false;
    cli_args a;
    cli_args_init(&a, argc, argv);
    const char *v;
    int r;
    while ((r = cli_next_arg(ctx, &a, opts, &v)) != CLI_ARG_END) {
        if (r == CLI_ARG_POSITIONAL && req.id[0])
            return cli_extra_arg(ctx, v);
        if (r == CLI_ARG_POSITIONAL)
            req.id = (char *)v;
        else if (r == 0)
            req.reason = (char *)v;
        else if (r == 1)
            wait = true;
        else
            return cli_args_stop(ctx, r);
    }
    if (!req.id[0])
        return cli_usage_error(ctx, "missing the run ID");
    cli_set_what(ctx, "run stop %s", req.id);
    ProtobufCMessage *reply;
    aifb_err err = {0};
    if (cli_call(ctx, "StopRun", &req.base, &aifb__v1__run__descriptor, &reply, &err) != AIFB_OK)
        return cli_fail(ctx, &err);
    const Aifb__V1__Run *run = (const Aifb__V1__Run *)reply;
    int rc = CLI_EXIT_OK;
    Aifb__V1__Run *final = NULL;
    if (wait)
        rc = cli_follow_run(ctx, run, 0, &final);
    if (final) {
        cli_print_run_end(ctx, final);
        protobuf_c_message_free_unpacked(&final->base, NULL);
        rc = CLI_EXIT_OK;
    } else if (!wait && ctx->output == CLI_OUT_JSON) {
        cli_print_json(reply);
    } else if (!wait) {
        printf("%s %s\n", run->id, cli_run_state_name(run->state));
    }
    protobuf_c_message_free_unpacked(reply, NULL);
    return rc;
}

/* ---- run list ----------------------------------------------------------------------------------
 */

typedef struct list_args {
    Aifb__V1__ListRunsRequest req;
    Aifb__V1__RunState states[16];
    long limit; /* 0 with --all: no limit */
} list_args;

/* --state accepts names in any case, repeated or comma-separated: --state running,failed. */
static bool add_states(cli_ctx *ctx, list_args *l, const char *text)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", text);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int st;
        if (!cli_run_state_parse(tok, &st)) {
            cli_usage_error(ctx,
                            "unknown state '%s' (PENDING, SUBMITTED, STARTING, RUNNING, "
                            "STOPPING, SUCCEEDED, FAILED, CANCELLED)",
                            tok);
            return false;
        }
        if (l->req.n_states == sizeof l->states / sizeof l->states[0]) {
            cli_usage_error(ctx, "too many --state values");
            return false;
        }
        l->states[l->req.n_states++] = (Aifb__V1__RunState)st;
    }
    return true;
}

static int parse_list(cli_ctx *ctx, int argc, char **argv, list_args *l)
{
    static const cli_opt opts[] = {{"state", 0, true},
                                   {"recipe", 0, true},
                                   {"limit", 0, true},
                                   {"all", 0, false},
                                   {NULL, 0, false}};
    cli_args a;
    cli_args_init(&a, argc, argv);
    const char *v;
    int r;
    bool all = false;
    while ((r = cli_next_arg(ctx, &a, opts, &v)) != CLI_ARG_END) {
        if (r == CLI_ARG_POSITIONAL)
            return cli_extra_arg(ctx, v);
        if (r == 0 && !add_states(ctx, l, v))
            return CLI_EXIT_USAGE;
        else if (r == 1)
            l->req.recipe = (char *)v;
        else if (r == 2 && !cli_parse_long(ctx, "--limit", v, 1, 1000000000L, &l->limit))
            return CLI_EXIT_USAGE;
        else if (r == 3)
            all = true;
        else if (r < 0)
            return cli_args_stop(ctx, r);
    }
    if (all)
        l->limit = 0;
    l->req.states = l->states;
    return CLI_CONTINUE;
}

static void add_run_rows(cli_table *t, const Aifb__V1__ListRunsResponse *page)
{
    int64_t now = aifb_now_ms();
    for (size_t i = 0; i < page->n_runs; i++) {
        const Aifb__V1__Run *run = page->runs[i];
        char created[40], age[32];
        cli_table_add(t, run->id, run->recipe, cli_run_state_name(run->state),
                      cli_time_text(run->created_at_ms, created, sizeof created),
                      cli_duration_text(now - run->created_at_ms, age, sizeof age), run->reason);
    }
}

/* Moves a page's runs into the JSON array all_runs. */
static void add_run_json(json_object *all_runs, const ProtobufCMessage *page)
{
    const Aifb__V1__ListRunsResponse *resp = (const Aifb__V1__ListRunsResponse *)page;
    for (size_t i = 0; i < resp->n_runs; i++)
        json_object_array_add(all_runs, pbjson_from_message(&resp->runs[i]->base));
}

static int run_list(cli_ctx *ctx, int argc, char **argv)
{
    list_args l = {.req = AIFB__V1__LIST_RUNS_REQUEST__INIT, .limit = 50};
    int rc = parse_list(ctx, argc, argv, &l);
    if (rc != CLI_CONTINUE)
        return rc;
    cli_set_what(ctx, "run list");
    cli_table *t = cli_table_new(
        6, (const char *const[]){"ID", "RECIPE", "STATE", "CREATED", "AGE", "REASON"});
    json_object *runs = json_object_new_array();
    char *token = xstrdup("");
    long shown = 0;
    aifb_err err = {0};
    rc = CLI_EXIT_OK;
    do {
        long want = l.limit ? l.limit - shown : 1000;
        l.req.page_size = (int32_t)(want < 1000 ? want : 1000);
        l.req.page_token = token;
        ProtobufCMessage *reply;
        if (cli_call(ctx, "ListRuns", &l.req.base, &aifb__v1__list_runs_response__descriptor,
                     &reply, &err) != AIFB_OK) {
            rc = cli_fail(ctx, &err);
            break;
        }
        const Aifb__V1__ListRunsResponse *page = (const Aifb__V1__ListRunsResponse *)reply;
        add_run_rows(t, page);
        add_run_json(runs, reply);
        shown += (long)page->n_runs;
        free(token);
        token = xstrdup(page->next_page_token);
        protobuf_c_message_free_unpacked(reply, NULL);
    } while (token[0] && (!l.limit || shown < l.limit));
    if (rc == CLI_EXIT_OK && ctx->output == CLI_OUT_JSON) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "runs", json_object_get(runs));
        json_object_object_add(j, "next_page_token", json_object_new_string(token));
        cli_print_json_object(j);
    } else if (rc == CLI_EXIT_OK) {
        cli_table_print(t, stdout);
    }
    json_object_put(runs);
    cli_table_free(t);
    free(token);
    return rc;
}

/* ---- run show ----------------------------------------------------------------------------------
 */

static char *joined(char *const *words, size_t n, const char *sep)
{
    abuf b = {0};
    for (size_t i = 0; i < n; i++) {
        if (i)
            abuf_puts(&b, sep);
        abuf_puts(&b, words[i]);
    }
    return abuf_take(&b);
}

static void print_run_fields(const Aifb__V1__Run *run)
{
    char created[40], updated[40], ended[40], took[32], exit_code[16];
    int64_t end = run->ended_at_ms ? run->ended_at_ms : aifb_now_ms();
    char *handles = joined(run->handles, run->n_handles, ", ");
    snprintf(exit_code, sizeof exit_code, "%d", run->exit_code);
    cli_table *t = cli_table_new(2, NULL);
    cli_table_add(t, "id", run->id);
    cli_table_add(t, "recipe", run->recipe);
    cli_table_add(t, "state", cli_run_state_name(run->state));
    cli_table_add(t, "reason", run->reason);
    cli_table_add(t, "service", run->service_id[0] ? run->service_id : "(its own)");
    cli_table_add(t, "endpoint", run->endpoint);
    cli_table_add(t, "executor", run->executor);
    cli_table_add(t, "created", cli_time_text(run->created_at_ms, created, sizeof created));
    cli_table_add(t, "updated", cli_time_text(run->updated_at_ms, updated, sizeof updated));
    cli_table_add(t, "ended", cli_time_text(run->ended_at_ms, ended, sizeof ended));
    cli_table_add(t, "duration", cli_duration_text(end - run->created_at_ms, took, sizeof took));
    cli_table_add(t, "exit code", run->exit_code >= 0 ? exit_code : "-");
    cli_table_add(t, "run dir", run->run_dir);
    cli_table_add(t, "result", run->result_path);
    cli_table_add(t, "handles", handles);
    cli_table_print(t, stdout);
    cli_table_free(t);
    free(handles);
}

static void print_run(const Aifb__V1__Run *run)
{
    print_run_fields(run);
    printf("\nparameters:\n");
    cli_table *t = cli_table_new(2, (const char *const[]){"NAME", "VALUE"});
    for (size_t i = 0; i < run->n_params; i++)
        cli_table_add(t, run->params[i]->name, run->params[i]->value);
    cli_table_print(t, stdout);
    cli_table_free(t);
    printf("\nsummary:\n");
    if (run->n_summary)
        cli_print_metrics(run->summary, run->n_summary, stdout);
    else
        printf("%s\n", run->ended_at_ms ? "(none)" : "(none yet)");
}

static int run_show(cli_ctx *ctx, int argc, char **argv)
{
    Aifb__V1__GetRunRequest req = AIFB__V1__GET_RUN_REQUEST__INIT;
    cli_args a;
    cli_args_init(&a, argc, argv);
    const char *v;
    int r;
    while ((r = cli_next_arg(ctx, &a, NULL, &v)) != CLI_ARG_END) {
        if (r != CLI_ARG_POSITIONAL)
            return cli_args_stop(ctx, r);
        if (req.id[0])
            return cli_extra_arg(ctx, v);
        req.id = (char *)v;
    }
    if (!req.id[0])
        return cli_usage_error(ctx, "missing the run ID");
    cli_set_what(ctx, "run show %s", req.id);
    ProtobufCMessage *reply;
    aifb_err err = {0};
    if (cli_call(ctx, "GetRun", &req.base, &aifb__v1__run__descriptor, &reply, &err) != AIFB_OK)
        return cli_fail(ctx, &err);
    if (ctx->output == CLI_OUT_JSON)
        cli_print_json(reply);
    else
        print_run((const Aifb__V1__Run *)reply);
    protobuf_c_message_free_unpacked(reply, NULL);
    return CLI_EXIT_OK;
}

/* ---- the group ---------------------------------------------------------------------------------
 */

static const struct cli_cmd run_cmds[] = {
    {"start", "RECIPE [-p key=value]... [--service ID] [--wait] [--timeout S]",
     "Starts a run of RECIPE and prints its id (-o json: the Run).\n"
     "  -p, --param key=value  a parameter (split at the first '='; repeat for more)\n"
     "  --service ID           run the client against this READY service\n"
     "  -w, --wait             follow the run to its end and print its summary;\n"
     "                         exit 0 SUCCEEDED, 1 FAILED, 3 CANCELLED or other\n"
     "  --timeout S            stop waiting after S seconds (exit 3; the run goes on)",
     run_start},
    {"stop", "ID [--reason TEXT] [--wait]",
     "Asks a run to stop; it ends CANCELLED.\n"
     "  --reason TEXT  kept as the run's reason\n"
     "  -w, --wait     follow the run until it has ended and print its summary",
     run_stop},
    {"list", "[--state S]... [--recipe R] [--limit N] [--all]",
     "Runs, newest first (ID RECIPE STATE CREATED AGE REASON).\n"
     "  --state S    only runs in state S (repeat, or S1,S2)\n"
     "  --recipe R   only runs of recipe R\n"
     "  --limit N    at most N runs (default 50)\n"
     "  --all        every run, however many",
     run_list},
    {"show", "ID", "Everything about one run, with its parameters and summary metrics.", run_show},
    {"watch", "[ID] [--from SEQ]",
     "Events as they happen, one line each (-o json: one JSON object per line).\n"
     "With ID: that run's whole history, then its events; ends when the run has ended\n"
     "(at once for a run that already ended). Without ID: every event from now on.\n"
     "  --from SEQ  only events after number SEQ (resume where you left off)",
     cli_cmd_run_watch},
    {"logs", "ID [--stream client.out|client.err|service.out|service.err] [--follow]",
     "A run's output (default client.out).\n"
     "  --stream NAME  which file\n"
     "  -f, --follow   keep printing what is appended until the run ends",
     cli_cmd_run_logs},
    {NULL, NULL, NULL, NULL},
};

int cli_cmd_run(cli_ctx *ctx, int argc, char **argv)
{
    return cli_dispatch(ctx, ctx->cmd, run_cmds, argc, argv);
}
