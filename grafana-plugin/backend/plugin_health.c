/* plugin_health.c: Diagnostics.CheckHealth, the "Save & test" of the app and the data source.
 *
 * Healthy means aifbd answers GetInfo at the configured address with the configured token; the
 * message names the address and aifbd's version either way, since that is what a person fixes
 * on the configuration page. jsonDetails carries the same facts for programs. */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "plugin.h"

#define HEALTH_OK    PLUGINV2__CHECK_HEALTH_RESPONSE__HEALTH_STATUS__OK
#define HEALTH_ERROR PLUGINV2__CHECK_HEALTH_RESPONSE__HEALTH_STATUS__ERROR

static void set_details(Pluginv2__CheckHealthResponse *out, json_object *details)
{
    size_t len = 0;
    const char *text = json_object_to_json_string_length(details, JSON_C_TO_STRING_PLAIN, &len);
    out->jsondetails.data = xmalloc(len + 1);
    memcpy(out->jsondetails.data, text, len + 1);
    out->jsondetails.len = len;
    json_object_put(details);
}

aifb_code plugin_check_health(rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **reply,
                              aifb_err *err)
{
    (void)ctx, (void)err;
    const Pluginv2__CheckHealthRequest *in = (const void *)req;
    Pluginv2__CheckHealthResponse *out = xmalloc(sizeof *out);
    pluginv2__check_health_response__init(out);
    *reply = &out->base;
    json_object *details = json_object_new_object();

    plugin_target t;
    aifb_err e = {0};
    if (plugin_target_from(in->plugincontext, &t, &e) != AIFB_OK) {
        out->status = HEALTH_ERROR;
        out->message = xstrdup(e.msg);
        set_details(out, details);
        return AIFB_OK;
    }
    json_object_object_add(details, "address", json_object_new_string(t.address));
    Aifb__V1__GetInfoRequest ireq = AIFB__V1__GET_INFO_REQUEST__INIT;
    ProtobufCMessage *m = NULL;
    abuf msg = {0};
    if (plugin_aifbd_call(&t, "GetInfo", &ireq.base, &aifb__v1__info__descriptor, &m, &e) ==
        AIFB_OK) {
        const Aifb__V1__Info *info = (const void *)m;
        out->status = HEALTH_OK;
        abuf_printf(&msg, "aifbd %s answers at %s (executor %s, %d recipes, %d active runs)",
                    info->version, t.address, info->executor, info->recipe_count,
                    info->active_runs);
        json_object_object_add(details, "version", json_object_new_string(info->version));
        json_object_object_add(details, "executor", json_object_new_string(info->executor));
        protobuf_c_message_free_unpacked(m, NULL);
    } else {
        out->status = HEALTH_ERROR;
        if (strstr(e.msg, t.address))
            abuf_printf(&msg, "%s", e.msg);
        else
            abuf_printf(&msg, "aifbd at %s: %s", t.address, e.msg);
        json_object_object_add(details, "error", json_object_new_string(e.msg));
        json_object_object_add(details, "code", json_object_new_string(aifb_code_name(e.code)));
    }
    plugin_log(out->status == HEALTH_OK ? PLOG_DEBUG : PLOG_WARN, "health check: %s", msg.p);
    out->message = abuf_take(&msg);
    set_details(out, details);
    plugin_target_free(&t);
    return AIFB_OK;
}
