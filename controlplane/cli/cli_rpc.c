/* cli_rpc.c: the CLI's connection to aifbd and the names of the API's enums.
 *
 * The connection is made on the first call, so `aifb version` and `--help` never need a server.
 * Method names are short ("GetRun") and get the service prefix here. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "pbjson/pbjson.h"

#define CLI_SERVICE_PREFIX "/aifb.v1.ControlPlane/"

static aifb_code connect_once(cli_ctx *ctx, aifb_err *err)
{
    if (ctx->client)
        return AIFB_OK;
    return rpc_client_new(ctx->server, ctx->token, &ctx->client, err);
}

aifb_code cli_call(cli_ctx *ctx, const char *method, const ProtobufCMessage *req,
                   const ProtobufCMessageDescriptor *reply_desc, ProtobufCMessage **reply,
                   aifb_err *err)
{
    *reply = NULL;
    aifb_code rc = connect_once(ctx, err);
    if (rc != AIFB_OK)
        return rc;
    char path[96];
    snprintf(path, sizeof path, CLI_SERVICE_PREFIX "%s", method);
    /* Reads are retried when aifbd cannot be reached (a daemon that is busy or just restarted
     * gets a moment); calls that change something are not, since one may have done its work. */
    bool read_only = !strncmp(method, "Get", 3) || !strncmp(method, "List", 4);
    for (int attempt = 0;; attempt++) {
        rc = rpc_client_unary(ctx->client, path, req, reply_desc, reply, 0, err);
        if (rc != AIFB_EUNAVAILABLE || !read_only || attempt == 2)
            return rc;
        struct timespec pause = {.tv_sec = 0, .tv_nsec = 200000000L * (attempt + 1)};
        nanosleep(&pause, NULL);
    }
}

aifb_code cli_stream(cli_ctx *ctx, const char *method, const ProtobufCMessage *req,
                     const ProtobufCMessageDescriptor *reply_desc, rpc_client_stream_fn on_msg,
                     void *user, int timeout_ms, aifb_err *err)
{
    aifb_code rc = connect_once(ctx, err);
    if (rc != AIFB_OK)
        return rc;
    char path[96];
    snprintf(path, sizeof path, CLI_SERVICE_PREFIX "%s", method);
    return rpc_client_stream(ctx->client, path, req, reply_desc, on_msg, user, timeout_ms, err);
}

ProtobufCMessage *cli_request_from_json(const ProtobufCMessageDescriptor *d, json_object *j,
                                        aifb_err *err)
{
    ProtobufCMessage *m = NULL;
    pbjson_to_message(d, j, &m, err);
    return m;
}

void cli_close(cli_ctx *ctx)
{
    if (ctx->client)
        rpc_client_free(ctx->client);
    ctx->client = NULL;
}

/* An enum value's name with its type prefix taken off ("RUN_STATE_RUNNING" -> "RUNNING"). */
static const char *enum_short_name(const ProtobufCEnumDescriptor *d, int v, const char *prefix)
{
    const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(d, v);
    if (!ev)
        return "?";
    size_t n = strlen(prefix);
    return strncmp(ev->name, prefix, n) == 0 ? ev->name + n : ev->name;
}

const char *cli_run_state_name(int state)
{
    return enum_short_name(&aifb__v1__run_state__descriptor, state, "RUN_STATE_");
}

const char *cli_service_state_name(int state)
{
    return enum_short_name(&aifb__v1__service_state__descriptor, state, "SERVICE_STATE_");
}

const char *cli_param_type_name(int type)
{
    static const char *const names[] = {"?", "string", "int", "float", "bool", "enum"};
    return type >= 0 && (size_t)type < sizeof names / sizeof names[0] ? names[type] : "?";
}

bool cli_run_state_parse(const char *text, int *out)
{
    char upper[64];
    size_t n = strlen(text);
    if (n == 0 || n >= sizeof upper)
        return false;
    for (size_t i = 0; i <= n; i++)
        upper[i] = (char)toupper((unsigned char)text[i]);
    const ProtobufCEnumDescriptor *d = &aifb__v1__run_state__descriptor;
    for (unsigned i = 0; i < d->n_values; i++) {
        const char *name = d->values[i].name;
        if (d->values[i].value != AIFB__V1__RUN_STATE__RUN_STATE_UNSPECIFIED &&
            (strcmp(name, upper) == 0 || strcmp(name + strlen("RUN_STATE_"), upper) == 0)) {
            *out = d->values[i].value;
            return true;
        }
    }
    return false;
}

bool cli_run_state_is_final(const char *name)
{
    return strcmp(name, "SUCCEEDED") == 0 || strcmp(name, "FAILED") == 0 ||
           strcmp(name, "CANCELLED") == 0;
}

bool cli_service_state_is_final(const char *name)
{
    return strcmp(name, "STOPPED") == 0 || strcmp(name, "FAILED") == 0;
}
