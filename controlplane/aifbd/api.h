/* api.h: the ControlPlane handlers, one file per group (api_info.c, api_runs.c, api_services.c,
 * api_watch.c, api_logs.c), gathered in one table in api.c. Adding an RPC is adding a handler and
 * a row. */
#ifndef AIFBD_API_H
#define AIFBD_API_H

#include "aifbd/daemon.h"
#include "aifb/v1/controlplane.pb-c.h"
#include "rpc/rpc.h"

#define API_HANDLER(name)                                                                          \
    aifb_code name(rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **reply,            \
                   aifb_err *err)

API_HANDLER(api_get_info);
API_HANDLER(api_list_recipes);
API_HANDLER(api_get_recipe);
API_HANDLER(api_start_run);
API_HANDLER(api_stop_run);
API_HANDLER(api_get_run);
API_HANDLER(api_list_runs);
API_HANDLER(api_start_service);
API_HANDLER(api_stop_service);
API_HANDLER(api_get_service);
API_HANDLER(api_list_services);

extern const rpc_stream_ops api_watch_ops;
extern const rpc_stream_ops api_read_logs_ops;

static inline aifbd *api_daemon(rpc_ctx *ctx)
{
    return ctx->app;
}

#endif
