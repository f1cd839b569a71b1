/* plugin_serve.c: the go-plugin side of gpx_aifb: the environment Grafana sets, the port, the
 * handshake line and the table of methods served.
 *
 * Grafana (through hashicorp/go-plugin) starts the plugin with a magic cookie and the protocol
 * versions it speaks in the environment, reads one line from its stdout naming the address, and
 * speaks plaintext gRPC there. Besides pluginv2 it calls go-plugin's own services: Health for
 * "plugin" (must be SERVING), GRPCController.Shutdown when it closes the plugin (otherwise it kills
 * it after two seconds), and GRPCBroker and GRPCStdio, which it tolerates UNIMPLEMENTED: the RPC
 * module answers every method not in the table that way. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plugin.h"

#define COOKIE_KEY   "grafana_plugin_type"
#define COOKIE_VALUE "datasource"

aifb_code plugin_check_env(aifb_err *err)
{
    const char *cookie = getenv(COOKIE_KEY);
    if (!cookie || strcmp(cookie, COOKIE_VALUE) != 0)
        return aifb_err_set(err, AIFB_EPRECONDITION,
                            "this is a Grafana backend plugin: Grafana starts it (the "
                            "environment has no %s=%s)",
                            COOKIE_KEY, COOKIE_VALUE);
    const char *versions = getenv("PLUGIN_PROTOCOL_VERSIONS");
    if (versions) {
        char copy[128];
        snprintf(copy, sizeof copy, "%s", versions);
        char *save = NULL;
        for (char *v = strtok_r(copy, ",", &save); v; v = strtok_r(NULL, ",", &save))
            if (strcmp(v, "2") == 0)
                return AIFB_OK;
        return aifb_err_set(err, AIFB_EPRECONDITION,
                            "Grafana speaks plugin protocol versions %.60s; gpx_aifb speaks 2",
                            versions);
    }
    return AIFB_OK; /* old go-plugin clients do not say: version 2 is what Grafana speaks */
}

void plugin_handshake_line(int port, char *out, size_t n)
{
    snprintf(out, n, "1|2|tcp|127.0.0.1:%d|grpc", port);
}

/* go-plugin's GRPCController.Shutdown: the reply goes out first (the stop waits for calls in
 * flight), then main's signal wait sees SIGTERM and stops the server. Its Empty message is
 * empty on the wire, like aifb.v1.GetInfoRequest. */
static aifb_code controller_shutdown(rpc_ctx *ctx, const ProtobufCMessage *req,
                                     ProtobufCMessage **reply, aifb_err *err)
{
    (void)ctx, (void)req, (void)err;
    Aifb__V1__GetInfoRequest *empty = malloc(sizeof *empty);
    aifb__v1__get_info_request__init(empty);
    *reply = &empty->base;
    plugin_log(PLOG_INFO, "Grafana asked the plugin to shut down");
    kill(getpid(), SIGTERM);
    return AIFB_OK;
}

static const rpc_method plugin_methods[] = {
    {"/pluginv2.Diagnostics/CheckHealth", RPC_UNARY, &pluginv2__check_health_request__descriptor,
     &pluginv2__check_health_response__descriptor, plugin_check_health, NULL, NULL},
    {"/pluginv2.Resource/CallResource", RPC_SERVER_STREAM,
     &pluginv2__call_resource_request__descriptor, &pluginv2__call_resource_response__descriptor,
     NULL, &plugin_call_resource_ops, NULL},
    {"/pluginv2.Data/QueryData", RPC_UNARY, &pluginv2__query_data_request__descriptor,
     &pluginv2__query_data_response__descriptor, plugin_query_data, NULL, NULL},
    {"/plugin.GRPCController/Shutdown", RPC_UNARY, &aifb__v1__get_info_request__descriptor,
     &aifb__v1__get_info_request__descriptor, controller_shutdown, NULL, NULL},
};

static aifb_code serve_on(int port, rpc_server **out, aifb_err *err)
{
    char listen[64];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
    /* Handlers wait on aifbd (bounded by a timeout), so a few workers keep one slow call from
     * holding the others. */
    rpc_server_config cfg = {.listen = listen, .workers = 4};
    rpc_server *s = NULL;
    aifb_code rc = rpc_server_new(&cfg, &s, err);
    if (rc != AIFB_OK)
        return rc;
    rpc_server_add(s, plugin_methods, sizeof plugin_methods / sizeof plugin_methods[0]);
    rpc_health_register(s);
    rpc_health_set(s, "plugin", 1);
    rc = rpc_server_start(s, err);
    if (rc != AIFB_OK) {
        rpc_server_free(s);
        return rc;
    }
    *out = s;
    return AIFB_OK;
}

static int env_port(const char *key)
{
    const char *v = getenv(key);
    if (!v || !*v)
        return 0;
    char *end = NULL;
    long p = strtol(v, &end, 10);
    return *end == '\0' && p > 0 && p < 65536 ? (int)p : 0;
}

aifb_code plugin_serve_start(rpc_server **out, aifb_err *err)
{
    int lo = env_port("PLUGIN_MIN_PORT"), hi = env_port("PLUGIN_MAX_PORT");
    if (lo == 0 || hi < lo)
        return serve_on(0, out, err);
    /* Like go-plugin's own servers: the first free port of the range, from a random start so
     * that plugins started together do not all race for the same one. */
    int span = hi - lo + 1;
    int start = (int)(((unsigned)getpid() * 2654435761u) % (unsigned)span);
    int tries = span < 200 ? span : 200;
    for (int i = 0; i < tries; i++) {
        aifb_code rc = serve_on(lo + (start + i) % span, out, err);
        if (rc == AIFB_OK)
            return rc;
    }
    aifb_err_prefix(err, "no free port in PLUGIN_MIN_PORT..PLUGIN_MAX_PORT (%d..%d, %d tried)", lo,
                    hi, tries);
    return err ? err->code : AIFB_EUNAVAILABLE;
}
