/* plugin_aifbd.c: from a Grafana request to a call to aifbd.
 *
 * Grafana sends the app's (or the data source's) settings with every request, so nothing is
 * configured in the plugin itself: the address comes from jsonData.aifbdAddress, the bearer
 * token from the decrypted secureJsonData.aifbdToken. Each request opens its own client: settings
 * can change between two requests, and a channel to loopback costs little next to a run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "plugin.h"

#define AIFBD_TIMEOUT_MS  10000
#define EVENTS_TIMEOUT_MS 1500

/* The app's and the data source's secrets are two Entry types; one lookup each. */
static const char *app_secret(const Pluginv2__AppInstanceSettings *s, const char *key)
{
    for (size_t i = 0; i < s->n_decryptedsecurejsondata; i++)
        if (strcmp(s->decryptedsecurejsondata[i]->key, key) == 0)
            return s->decryptedsecurejsondata[i]->value;
    return NULL;
}

static const char *ds_secret(const Pluginv2__DataSourceInstanceSettings *s, const char *key)
{
    for (size_t i = 0; i < s->n_decryptedsecurejsondata; i++)
        if (strcmp(s->decryptedsecurejsondata[i]->key, key) == 0)
            return s->decryptedsecurejsondata[i]->value;
    return NULL;
}

static aifb_code address_from_json(const ProtobufCBinaryData *data, const char *whose,
                                   char **address, aifb_err *err)
{
    *address = NULL;
    if (data->len == 0)
        return AIFB_OK;
    json_tokener *tok = json_tokener_new();
    json_object *j = json_tokener_parse_ex(tok, (const char *)data->data, (int)data->len);
    json_tokener_free(tok);
    if (!j || !json_object_is_type(j, json_type_object)) {
        json_object_put(j);
        return aifb_err_set(err, AIFB_EINVAL, "the %s's jsonData is not a JSON object", whose);
    }
    json_object *a = NULL;
    if (json_object_object_get_ex(j, "aifbdAddress", &a) &&
        json_object_is_type(a, json_type_string) && json_object_get_string_len(a) > 0)
        *address = xstrdup(json_object_get_string(a));
    json_object_put(j);
    return AIFB_OK;
}

aifb_code plugin_target_from(const Pluginv2__PluginContext *ctx, plugin_target *t, aifb_err *err)
{
    memset(t, 0, sizeof *t);
    t->role = ctx && ctx->user && ctx->user->role ? ctx->user->role : "";
    t->login = ctx && ctx->user && ctx->user->login ? ctx->user->login : "";
    const char *token = NULL;
    aifb_code rc = AIFB_OK;
    if (ctx && ctx->appinstancesettings) {
        const Pluginv2__AppInstanceSettings *s = ctx->appinstancesettings;
        rc = address_from_json(&s->jsondata, "app", &t->address, err);
        token = app_secret(s, "aifbdToken");
    } else if (ctx && ctx->datasourceinstancesettings) {
        const Pluginv2__DataSourceInstanceSettings *s = ctx->datasourceinstancesettings;
        rc = address_from_json(&s->jsondata, "data source", &t->address, err);
        token = ds_secret(s, "aifbdToken");
    }
    if (rc != AIFB_OK)
        return rc;
    if (!t->address)
        t->address = xstrdup(PLUGIN_DEFAULT_AIFBD);
    t->token = token && *token ? xstrdup(token) : NULL;
    return AIFB_OK;
}

void plugin_target_free(plugin_target *t)
{
    free(t->address);
    if (t->token)
        aifb_secret_free(t->token);
    memset(t, 0, sizeof *t);
}

bool plugin_role_can_edit(const char *role)
{
    return role && (strcmp(role, "Editor") == 0 || strcmp(role, "Admin") == 0);
}

/* aifbd's own message names the problem; an unreachable aifbd gets the address added, since the
 * person reading it in Grafana has to fix the app's settings. */
static aifb_code call_failed(const plugin_target *t, aifb_code rc, aifb_err *err)
{
    if (rc == AIFB_EUNAVAILABLE && err && !strstr(err->msg, t->address))
        aifb_err_prefix(err, "aifbd at %s does not answer", t->address);
    return rc;
}

aifb_code plugin_aifbd_call(const plugin_target *t, const char *method, const ProtobufCMessage *req,
                            const ProtobufCMessageDescriptor *reply_desc, ProtobufCMessage **reply,
                            aifb_err *err)
{
    *reply = NULL;
    rpc_client *c = NULL;
    aifb_code rc = rpc_client_new(t->address, t->token, &c, err);
    if (rc != AIFB_OK)
        return call_failed(t, rc, err);
    char path[96];
    snprintf(path, sizeof path, "/aifb.v1.ControlPlane/%s", method);
    rc = rpc_client_unary(c, path, req, reply_desc, reply, AIFBD_TIMEOUT_MS, err);
    rpc_client_free(c);
    return rc == AIFB_OK ? rc : call_failed(t, rc, err);
}

typedef struct events_acc {
    Aifb__V1__Event **ev;
    size_t n, max;
    uint64_t last_seq; /* the store's last event when the call began */
} events_acc;

static bool is_final(const char *state)
{
    static const char *const finals[] = {"SUCCEEDED", "FAILED", "CANCELLED", "STOPPED"};
    for (size_t i = 0; i < sizeof finals / sizeof finals[0]; i++)
        if (strcmp(state, finals[i]) == 0)
            return true;
    return false;
}

static bool on_event(void *user, const ProtobufCMessage *msg)
{
    events_acc *a = user;
    const Aifb__V1__Event *in = (const void *)msg;
    /* A copy through pack/unpack: the stream frees its message after this call. */
    size_t len = protobuf_c_message_get_packed_size(msg);
    uint8_t *buf = xmalloc(len ? len : 1);
    protobuf_c_message_pack(msg, buf);
    a->ev = xrealloc(a->ev, (a->n + 1) * sizeof *a->ev);
    a->ev[a->n++] = aifb__v1__event__unpack(NULL, len, buf);
    free(buf);
    /* The history is over at a final state or at the last event stored when we asked; a subject
     * whose last event is older than that ends with the stream's short timeout instead. */
    return a->n < a->max && !is_final(in->to_state) && in->seq < a->last_seq;
}

aifb_code plugin_aifbd_events(const plugin_target *t, const char *subject, size_t max,
                              Aifb__V1__Event ***events, size_t *n, aifb_err *err)
{
    *events = NULL;
    *n = 0;
    Aifb__V1__GetInfoRequest ireq = AIFB__V1__GET_INFO_REQUEST__INIT;
    ProtobufCMessage *info = NULL;
    aifb_code rc =
        plugin_aifbd_call(t, "GetInfo", &ireq.base, &aifb__v1__info__descriptor, &info, err);
    if (rc != AIFB_OK)
        return rc;
    events_acc acc = {.max = max, .last_seq = ((Aifb__V1__Info *)info)->last_event_seq};
    protobuf_c_message_free_unpacked(info, NULL);
    rpc_client *c = NULL;
    rc = rpc_client_new(t->address, t->token, &c, err);
    if (rc != AIFB_OK)
        return call_failed(t, rc, err);
    Aifb__V1__WatchRequest req = AIFB__V1__WATCH_REQUEST__INIT;
    req.subject_id = (char *)subject;
    req.replay = true;
    aifb_err serr = {0};
    rc = rpc_client_stream(c, "/aifb.v1.ControlPlane/Watch", &req.base,
                           &aifb__v1__event__descriptor, on_event, &acc, EVENTS_TIMEOUT_MS, &serr);
    rpc_client_free(c);
    if (rc != AIFB_OK && rc != AIFB_ETIMEOUT) {
        plugin_events_free(acc.ev, acc.n);
        if (err)
            *err = serr;
        return call_failed(t, rc, err);
    }
    *events = acc.ev;
    *n = acc.n;
    return AIFB_OK;
}

void plugin_events_free(Aifb__V1__Event **events, size_t n)
{
    for (size_t i = 0; i < n; i++)
        aifb__v1__event__free_unpacked(events[i], NULL);
    free(events);
}

int plugin_http_status(aifb_code code)
{
    switch (code) {
    case AIFB_OK:
        return 200;
    case AIFB_EINVAL:
        return 400;
    case AIFB_ENOTFOUND:
        return 404;
    case AIFB_EPRECONDITION:
        return 409;
    case AIFB_EUNAVAILABLE:
        return 503;
    default:
        return 500;
    }
}
