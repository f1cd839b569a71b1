/* cmd_service.c: the `aifb service` group: start (StartService, optionally waiting until it is
 * READY), stop, list and show. The group's table is at the end of this file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common/util.h"

/* The one positional ID of `service show`; CLI_CONTINUE when found. */
static int parse_id(cli_ctx *ctx, int argc, char **argv, const char **id)
{
    cli_args a;
    cli_args_init(&a, argc, argv);
    const char *v;
    int r;
    *id = NULL;
    while ((r = cli_next_arg(ctx, &a, NULL, &v)) != CLI_ARG_END) {
        if (r != CLI_ARG_POSITIONAL)
            return cli_args_stop(ctx, r);
        if (*id)
            return cli_extra_arg(ctx, v);
        *id = v;
    }
    return *id ? CLI_CONTINUE : cli_usage_error(ctx, "missing the service ID");
}

static void print_service(const Aifb__V1__Service *s)
{
    char created[40], ended[40], up[32];
    int64_t end = s->ended_at_ms ? s->ended_at_ms : aifb_now_ms();
    cli_table *t = cli_table_new(2, NULL);
    cli_table_add(t, "id", s->id);
    cli_table_add(t, "recipe", s->recipe);
    cli_table_add(t, "state", cli_service_state_name(s->state));
    cli_table_add(t, "reason", s->reason);
    cli_table_add(t, "endpoint", s->endpoint);
    cli_table_add(t, "executor", s->executor);
    cli_table_add(t, "created", cli_time_text(s->created_at_ms, created, sizeof created));
    cli_table_add(t, "ended", cli_time_text(s->ended_at_ms, ended, sizeof ended));
    cli_table_add(t, "up for", cli_duration_text(end - s->created_at_ms, up, sizeof up));
    cli_table_add(t, "service dir", s->service_dir);
    for (size_t i = 0; i < s->n_handles; i++)
        cli_table_add(t, i ? "" : "handles", s->handles[i]);
    cli_table_print(t, stdout);
    cli_table_free(t);
    printf("\nparameters:\n");
    t = cli_table_new(2, (const char *const[]){"NAME", "VALUE"});
    for (size_t i = 0; i < s->n_params; i++)
        cli_table_add(t, s->params[i]->name, s->params[i]->value);
    cli_table_print(t, stdout);
    cli_table_free(t);
}

/* ---- service start ------------------------------------------------------------------------------
 */

/* Waits until the service is READY (or ended) and prints it; the exit status by its state. */
static int wait_ready(cli_ctx *ctx, const Aifb__V1__Service *s)
{
    cli_wait_spec spec = {
        .id = s->id,
        .recipe = s->recipe,
        .since_ms = s->created_at_ms,
        .is_service = true,
        .start_state = cli_service_state_name(s->state),
    };
    char state[32];
    aifb_err err = {0};
    if (cli_wait(ctx, &spec, state, sizeof state, &err) != AIFB_OK)
        return cli_fail(ctx, &err);
    Aifb__V1__GetServiceRequest req = AIFB__V1__GET_SERVICE_REQUEST__INIT;
    req.id = s->id;
    ProtobufCMessage *reply;
    if (cli_call(ctx, "GetService", &req.base, &aifb__v1__service__descriptor, &reply, &err) !=
        AIFB_OK)
        return cli_fail(ctx, &err);
    const Aifb__V1__Service *now = (const Aifb__V1__Service *)reply;
    int rc = now->state == AIFB__V1__SERVICE_STATE__SERVICE_STATE_READY    ? CLI_EXIT_OK
             : now->state == AIFB__V1__SERVICE_STATE__SERVICE_STATE_FAILED ? CLI_EXIT_FAILED
                                                                           : CLI_EXIT_OTHER;
    if (ctx->output == CLI_OUT_JSON)
        cli_print_json(reply);
    else
        printf("%s %s%s%s (%s)\n", now->id, cli_service_state_name(now->state),
               now->endpoint[0] ? " at " : "", now->endpoint, now->recipe);
    if (rc != CLI_EXIT_OK)
        fprintf(stderr, "aifb: service %s ended %s%s%s\n", now->id,
                cli_service_state_name(now->state), now->reason[0] ? ": " : "", now->reason);
    protobuf_c_message_free_unpacked(reply, NULL);
    return rc;
}

static int parse_start(cli_ctx *ctx, int argc, char **argv, const char **recipe,
                       json_object *params, bool *wait)
{
    static const cli_opt opts[] = {{"param", 'p', true}, {"wait", 'w', false}, {NULL, 0, false}};
    cli_args a;
    cli_args_init(&a, argc, argv);
    const char *v;
    int r;
    while ((r = cli_next_arg(ctx, &a, opts, &v)) != CLI_ARG_END) {
        if (r == CLI_ARG_POSITIONAL && *recipe)
            return cli_extra_arg(ctx, v);
        if (r == CLI_ARG_POSITIONAL)
            *recipe = v;
        else if (r == 0 && !cli_add_param(ctx, params, v))
            return CLI_EXIT_USAGE;
        else if (r == 1)
            *wait = true;
        else if (r < 0)
            return cli_args_stop(ctx, r);
    }
    return *recipe ? CLI_CONTINUE : cli_usage_error(ctx, "missing the RECIPE to start");
}

static int service_start(cli_ctx *ctx, int argc, char **argv)
{
    const char *recipe = NULL;
    bool wait = false;
    json_object *params = json_object_new_object();
    int rc = parse_start(ctx, argc, argv, &recipe, params, &wait);
    if (rc != CLI_CONTINUE) {
        json_object_put(params);
        return rc;
    }
    cli_set_what(ctx, "service start %s", recipe);
    json_object *j = json_object_new_object();
    json_object_object_add(j, "recipe", json_object_new_string(recipe));
    json_object_object_add(j, "params", params);
    aifb_err err = {0};
    ProtobufCMessage *req =
        cli_request_from_json(&aifb__v1__start_service_request__descriptor, j, &err);
    json_object_put(j);
    if (!req)
        return cli_fail(ctx, &err);
    ProtobufCMessage *reply;
    aifb_code code =
        cli_call(ctx, "StartService", req, &aifb__v1__service__descriptor, &reply, &err);
    protobuf_c_message_free_unpacked(req, NULL);
    if (code != AIFB_OK)
        return cli_fail(ctx, &err);
    const Aifb__V1__Service *s = (const Aifb__V1__Service *)reply;
    if (wait)
        rc = wait_ready(ctx, s);
    else if (ctx->output == CLI_OUT_JSON)
        cli_print_json(reply);
    else
        printf("%s\n", s->id);
    protobuf_c_message_free_unpacked(reply, NULL);
    return wait ? rc : CLI_EXIT_OK;
}

/* ---- service stop -------------------------------------------------------------------------- */

/* Prints a service that ended (service stop --wait): the Service, or "<id> <STATE> (<recipe>)"
 * and its reason. */
static void print_service_end(cli_ctx *ctx, const ProtobufCMessage *reply)
{
    const Aifb__V1__Service *s = (const Aifb__V1__Service *)reply;
    if (ctx->output == CLI_OUT_JSON) {
        cli_print_json(reply);
        return;
    }
    printf("%s %s (%s)\n", s->id, cli_service_state_name(s->state), s->recipe);
    if (s->reason[0])
        printf("reason: %s\n", s->reason);
}

/* Follows a stopping service until STOPPED or FAILED and prints it. Either way it has ended, which
 * is what was asked: exit 0. */
static int wait_stopped(cli_ctx *ctx, const Aifb__V1__Service *s)
{
    cli_wait_spec spec = {
        .id = s->id,
        .recipe = s->recipe,
        .since_ms = s->created_at_ms,
        .is_service = true,
        .until_stopped = true,
        .start_state = cli_service_state_name(s->state),
    };
    char state[32];
    aifb_err err = {0};
    if (cli_wait(ctx, &spec, state, sizeof state, &err) != AIFB_OK)
        return cli_fail(ctx, &err);
    Aifb__V1__GetServiceRequest req = AIFB__V1__GET_SERVICE_REQUEST__INIT;
    req.id = s->id;
    ProtobufCMessage *reply;
    if (cli_call(ctx, "GetService", &req.base, &aifb__v1__service__descriptor, &reply, &err) !=
        AIFB_OK)
        return cli_fail(ctx, &err);
    print_service_end(ctx, reply);
    protobuf_c_message_free_unpacked(reply, NULL);
    return CLI_EXIT_OK;
}

static int parse_stop(cli_ctx *ctx, int argc, char **argv, Aifb__V1__StopServiceRequest *req,
                      bool *wait)
{
    static const cli_opt opts[] = {{"reason", 0, true}, {"wait", 'w', false}, {NULL, 0, false}};
    cli_args a;
    cli_args_init(&a, argc, argv);
    const char *v;
    int r;
    while ((r = cli_next_arg(ctx, &a, opts, &v)) != CLI_ARG_END) {
        if (r == CLI_ARG_POSITIONAL && req->id[0])
            return cli_extra_arg(ctx, v);
        if (r == CLI_ARG_POSITIONAL)
            req->id = (char *)v;
        else if (r == 0)
            req->reason = (char *)v;
        else if (r == 1)
            *wait = true;
        else
            return cli_args_stop(ctx, r);
    }
    return req->id[0] ? CLI_CONTINUE : cli_usage_error(ctx, "missing the service ID");
}

static int service_stop(cli_ctx *ctx, int argc, char **argv)
{
    Aifb__V1__StopServiceRequest req = AIFB__V1__STOP_SERVICE_REQUEST__INIT;
    bool wait = false;
    int rc = parse_stop(ctx, argc, argv, &req, &wait);
    if (rc != CLI_CONTINUE)
        return rc;
    cli_set_what(ctx, "service stop %s", req.id);
    ProtobufCMessage *reply;
    aifb_err err = {0};
    if (cli_call(ctx, "StopService", &req.base, &aifb__v1__service__descriptor, &reply, &err) !=
        AIFB_OK)
        return cli_fail(ctx, &err);
    const Aifb__V1__Service *s = (const Aifb__V1__Service *)reply;
    if (wait)
        rc = wait_stopped(ctx, s);
    else if (ctx->output == CLI_OUT_JSON)
        cli_print_json(reply);
    else
        printf("%s %s\n", s->id, cli_service_state_name(s->state));
    protobuf_c_message_free_unpacked(reply, NULL);
    return rc == CLI_CONTINUE ? CLI_EXIT_OK : rc;
}

/* ---- service show, list ---------------------------------------------------------------------
 */

static int service_show(cli_ctx *ctx, int argc, char **argv)
{
    const char *id;
    int rc = parse_id(ctx, argc, argv, &id);
    if (rc != CLI_CONTINUE)
        return rc;
    cli_set_what(ctx, "service show %s", id);
    Aifb__V1__GetServiceRequest req = AIFB__V1__GET_SERVICE_REQUEST__INIT;
    req.id = (char *)id;
    ProtobufCMessage *reply;
    aifb_err err = {0};
    if (cli_call(ctx, "GetService", &req.base, &aifb__v1__service__descriptor, &reply, &err) !=
        AIFB_OK)
        return cli_fail(ctx, &err);
    if (ctx->output == CLI_OUT_JSON)
        cli_print_json(reply);
    else
        print_service((const Aifb__V1__Service *)reply);
    protobuf_c_message_free_unpacked(reply, NULL);
    return CLI_EXIT_OK;
}

static void print_service_table(const Aifb__V1__ListServicesResponse *resp)
{
    int64_t now = aifb_now_ms();
    cli_table *t = cli_table_new(
        7, (const char *const[]){"ID", "RECIPE", "STATE", "ENDPOINT", "CREATED", "AGE", "REASON"});
    for (size_t i = 0; i < resp->n_services; i++) {
        const Aifb__V1__Service *s = resp->services[i];
        char created[40], age[32];
        cli_table_add(t, s->id, s->recipe, cli_service_state_name(s->state), s->endpoint,
                      cli_time_text(s->created_at_ms, created, sizeof created),
                      cli_duration_text(now - s->created_at_ms, age, sizeof age), s->reason);
    }
    cli_table_print(t, stdout);
    cli_table_free(t);
}

static int service_list(cli_ctx *ctx, int argc, char **argv)
{
    static const cli_opt opts[] = {{"all", 0, false}, {NULL, 0, false}};
    Aifb__V1__ListServicesRequest req = AIFB__V1__LIST_SERVICES_REQUEST__INIT;
    cli_args a;
    cli_args_init(&a, argc, argv);
    const char *v;
    int r;
    while ((r = cli_next_arg(ctx, &a, opts, &v)) != CLI_ARG_END) {
        if (r == CLI_ARG_POSITIONAL)
            return cli_extra_arg(ctx, v);
        if (r == 0)
            req.include_ended = 1;
        else
            return cli_args_stop(ctx, r);
    }
    cli_set_what(ctx, "service list");
    ProtobufCMessage *reply;
    aifb_err err = {0};
    if (cli_call(ctx, "ListServices", &req.base, &aifb__v1__list_services_response__descriptor,
                 &reply, &err) != AIFB_OK)
        return cli_fail(ctx, &err);
    if (ctx->output == CLI_OUT_JSON)
        cli_print_json(reply);
    else
        print_service_table((const Aifb__V1__ListServicesResponse *)reply);
    protobuf_c_message_free_unpacked(reply, NULL);
    return CLI_EXIT_OK;
}

static const struct cli_cmd service_cmds[] = {
    {"start", "RECIPE [-p key=value]... [--wait]",
     "Starts a long-lived service from RECIPE's service part and prints its id\n"
     "(-o json: the Service). Runs can then use it with `aifb run start --service ID`.\n"
     "  -p, --param key=value  a parameter (split at the first '='; repeat for more)\n"
     "  -w, --wait             wait until it is READY and print its endpoint;\n"
     "                         exit 0 READY, 1 FAILED, 3 otherwise",
     service_start},
    {"stop", "ID [--reason TEXT] [--wait]",
     "Asks a service to stop; it ends STOPPED. Runs still using it fail.\n"
     "  --reason TEXT  kept as the service's reason\n"
     "  -w, --wait     follow the service until it is STOPPED or FAILED and print it;\n"
     "                 exit 0 once it ended",
     service_stop},
    {"list", "[--all]",
     "Services, newest first (ID RECIPE STATE ENDPOINT CREATED AGE REASON).\n"
     "  --all  include services that stopped or failed",
     service_list},
    {"show", "ID", "Everything about one service.", service_show},
    {NULL, NULL, NULL, NULL},
};

int cli_cmd_service(cli_ctx *ctx, int argc, char **argv)
{
    return cli_dispatch(ctx, ctx->cmd, service_cmds, argc, argv);
}
