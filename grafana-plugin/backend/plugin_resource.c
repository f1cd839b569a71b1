/* plugin_resource.c: the CallResource routes, each one ControlPlane call.
 *
 *   GET  recipes                 ListRecipes        GET  recipes/{name}        GetRecipe
 *   GET  services                ListServices       GET  services/{id}         GetService
 *   POST services (or services/start)  StartService POST services/{id}/stop    StopService
 *   GET  runs                    ListRuns           GET  runs/{id}             GetRun
 *   POST runs (or runs/start)    StartRun           POST runs/{id}/stop        StopRun
 *   GET  runs/{id}/events        Watch (the run's history so far)
 *
 * Bodies are aifb.v1 messages as JSON (pbjson: snake_case out, snake_case or lowerCamelCase in).
 * Start and stop need the Editor or Admin role, checked here from the user Grafana names in the
 * request: the page hiding a button is a convenience, this check is the rule. A refused request
 * never reaches aifbd. CallResource is a server stream in the protocol; every answer here is one
 * message, built in open() and sent by the first next(). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "pbjson/pbjson.h"
#include "plugin.h"

#define MAX_SEGS   3
#define MAX_EVENTS 1000

typedef struct route_req {
    plugin_target t;
    char seg[MAX_SEGS][96];
    int nseg;
    const char *url;
    json_object *body; /* NULL when the request had no body */
} route_req;

typedef Pluginv2__CallResourceResponse *(*route_fn)(route_req *r);

typedef struct route {
    const char *method; /* "GET", "POST" */
    const char *root;   /* first segment */
    int nseg;
    const char *tail; /* the last segment when fixed ("stop"), else NULL */
    bool edits;       /* needs Editor or Admin */
    route_fn fn;
} route;

/* One ControlPlane call, its reply as the body: 200 with the message, or aifbd's status mapped
 * to HTTP with aifbd's own message. Takes req (freed here). */
static Pluginv2__CallResourceResponse *call(route_req *r, const char *method, ProtobufCMessage *req,
                                            const ProtobufCMessageDescriptor *reply_desc)
{
    ProtobufCMessage *reply = NULL;
    aifb_err e = {0};
    aifb_code rc = plugin_aifbd_call(&r->t, method, req, reply_desc, &reply, &e);
    protobuf_c_message_free_unpacked(req, NULL);
    if (rc != AIFB_OK)
        return plugin_http_error(plugin_http_status(rc), aifb_code_name(rc), e.msg);
    json_object *j = pbjson_from_message(reply);
    protobuf_c_message_free_unpacked(reply, NULL);
    return plugin_http_json(200, j);
}

/* An empty request message of type d, or one built from the JSON body (a 400 on a bad one). */
static ProtobufCMessage *request_from(route_req *r, const ProtobufCMessageDescriptor *d,
                                      Pluginv2__CallResourceResponse **bad)
{
    ProtobufCMessage *m = NULL;
    aifb_err e = {0};
    if (pbjson_to_message(d, r->body, &m, &e) != AIFB_OK) {
        *bad = plugin_http_error(400, "INVALID_ARGUMENT", e.msg);
        return NULL;
    }
    return m;
}

/* Sets a string field of a message built by pbjson, which may hold a heap string or protobuf-c's
 * shared empty string (never freed). */
static void set_string(ProtobufCMessage *m, const char *field, const char *value)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field_by_name(m->descriptor, field);
    char **slot = (char **)((char *)m + f->offset);
    char *old = *slot;
    *slot = xstrdup(value);
    if (old && old != protobuf_c_empty_string)
        free(old);
}

static Pluginv2__CallResourceResponse *list_recipes(route_req *r)
{
    Aifb__V1__ListRecipesRequest *q = xmalloc(sizeof *q);
    aifb__v1__list_recipes_request__init(q);
    return call(r, "ListRecipes", &q->base, &aifb__v1__list_recipes_response__descriptor);
}

static Pluginv2__CallResourceResponse *get_recipe(route_req *r)
{
    Aifb__V1__GetRecipeRequest *q = xmalloc(sizeof *q);
    aifb__v1__get_recipe_request__init(q);
    q->name = xstrdup(r->seg[1]);
    return call(r, "GetRecipe", &q->base, &aifb__v1__recipe__descriptor);
}

static Pluginv2__CallResourceResponse *list_services(route_req *r)
{
    Aifb__V1__ListServicesRequest *q = xmalloc(sizeof *q);
    aifb__v1__list_services_request__init(q);
    char *ended = plugin_query_param(r->url, "include_ended");
    q->include_ended = ended && (strcmp(ended, "true") == 0 || strcmp(ended, "1") == 0);
    free(ended);
    return call(r, "ListServices", &q->base, &aifb__v1__list_services_response__descriptor);
}

static Pluginv2__CallResourceResponse *get_service(route_req *r)
{
    Aifb__V1__GetServiceRequest *q = xmalloc(sizeof *q);
    aifb__v1__get_service_request__init(q);
    q->id = xstrdup(r->seg[1]);
    return call(r, "GetService", &q->base, &aifb__v1__service__descriptor);
}

/* Forms send numbers and booleans as JSON values; aifb's parameters travel as text. */
static void params_as_text(json_object *body)
{
    json_object *params = NULL;
    if (!body || !json_object_object_get_ex(body, "params", &params) ||
        !json_object_is_type(params, json_type_object))
        return;
    json_object_object_foreach(params, key, val)
    {
        if (json_object_is_type(val, json_type_int) || json_object_is_type(val, json_type_double) ||
            json_object_is_type(val, json_type_boolean))
            json_object_object_add(params, key,
                                   json_object_new_string(json_object_to_json_string(val)));
    }
}

static Pluginv2__CallResourceResponse *start_service(route_req *r)
{
    params_as_text(r->body);
    Pluginv2__CallResourceResponse *bad = NULL;
    ProtobufCMessage *q = request_from(r, &aifb__v1__start_service_request__descriptor, &bad);
    if (!q)
        return bad;
    plugin_log(PLOG_INFO, "%s starts a service of recipe %s", r->t.login,
               ((Aifb__V1__StartServiceRequest *)q)->recipe);
    return call(r, "StartService", q, &aifb__v1__service__descriptor);
}

static Pluginv2__CallResourceResponse *stop_service(route_req *r)
{
    Pluginv2__CallResourceResponse *bad = NULL;
    ProtobufCMessage *q = request_from(r, &aifb__v1__stop_service_request__descriptor, &bad);
    if (!q)
        return bad;
    set_string(q, "id", r->seg[1]);
    if (!((Aifb__V1__StopServiceRequest *)q)->reason[0]) {
        char reason[160];
        snprintf(reason, sizeof reason, "stopped in Grafana by %s", r->t.login);
        set_string(q, "reason", reason);
    }
    plugin_log(PLOG_INFO, "%s stops service %s", r->t.login, r->seg[1]);
    return call(r, "StopService", q, &aifb__v1__service__descriptor);
}

static Pluginv2__CallResourceResponse *list_runs(route_req *r)
{
    Aifb__V1__ListRunsRequest *q = xmalloc(sizeof *q);
    aifb__v1__list_runs_request__init(q);
    char *state = plugin_query_param(r->url, "state");
    char *recipe = plugin_query_param(r->url, "recipe");
    char *size = plugin_query_param(r->url, "page_size");
    char *token = plugin_query_param(r->url, "page_token");
    if (recipe)
        q->recipe = recipe;
    if (token)
        q->page_token = token;
    if (size)
        q->page_size = atoi(size);
    free(size);
    if (state) {
        char name[64];
        snprintf(name, sizeof name, "RUN_STATE_%s", state);
        const ProtobufCEnumValue *v =
            protobuf_c_enum_descriptor_get_value_by_name(&aifb__v1__run_state__descriptor, name);
        free(state);
        if (!v) {
            protobuf_c_message_free_unpacked(&q->base, NULL);
            return plugin_http_error(400, "INVALID_ARGUMENT",
                                     "state must be a run state such as RUNNING or SUCCEEDED");
        }
        q->n_states = 1;
        q->states = xmalloc(sizeof *q->states);
        q->states[0] = (Aifb__V1__RunState)v->value;
    }
    return call(r, "ListRuns", &q->base, &aifb__v1__list_runs_response__descriptor);
}

static Pluginv2__CallResourceResponse *get_run(route_req *r)
{
    Aifb__V1__GetRunRequest *q = xmalloc(sizeof *q);
    aifb__v1__get_run_request__init(q);
    q->id = xstrdup(r->seg[1]);
    return call(r, "GetRun", &q->base, &aifb__v1__run__descriptor);
}

static Pluginv2__CallResourceResponse *start_run(route_req *r)
{
    params_as_text(r->body);
    Pluginv2__CallResourceResponse *bad = NULL;
    ProtobufCMessage *q = request_from(r, &aifb__v1__start_run_request__descriptor, &bad);
    if (!q)
        return bad;
    plugin_log(PLOG_INFO, "%s starts a run of recipe %s", r->t.login,
               ((Aifb__V1__StartRunRequest *)q)->recipe);
    return call(r, "StartRun", q, &aifb__v1__run__descriptor);
}

static Pluginv2__CallResourceResponse *stop_run(route_req *r)
{
    Pluginv2__CallResourceResponse *bad = NULL;
    ProtobufCMessage *q = request_from(r, &aifb__v1__stop_run_request__descriptor, &bad);
    if (!q)
        return bad;
    set_string(q, "id", r->seg[1]);
    if (!((Aifb__V1__StopRunRequest *)q)->reason[0]) {
        char reason[160];
        snprintf(reason, sizeof reason, "stopped in Grafana by %s", r->t.login);
        set_string(q, "reason", reason);
    }
    plugin_log(PLOG_INFO, "%s stops run %s", r->t.login, r->seg[1]);
    return call(r, "StopRun", q, &aifb__v1__run__descriptor);
}

static Pluginv2__CallResourceResponse *run_events(route_req *r)
{
    /* GetRun first: an unknown run is a 404, not an empty history after the stream's wait. */
    Pluginv2__CallResourceResponse *run = get_run(r);
    if (run->code != 200)
        return run;
    pluginv2__call_resource_response__free_unpacked(run, NULL);
    Aifb__V1__Event **ev = NULL;
    size_t n = 0;
    aifb_err e = {0};
    aifb_code rc = plugin_aifbd_events(&r->t, r->seg[1], MAX_EVENTS, &ev, &n, &e);
    if (rc != AIFB_OK)
        return plugin_http_error(plugin_http_status(rc), aifb_code_name(rc), e.msg);
    json_object *arr = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(arr, pbjson_from_message(&ev[i]->base));
    plugin_events_free(ev, n);
    json_object *j = json_object_new_object();
    json_object_object_add(j, "events", arr);
    return plugin_http_json(200, j);
}

static const route routes[] = {
    {"GET", "recipes", 1, NULL, false, list_recipes},
    {"GET", "recipes", 2, NULL, false, get_recipe},
    {"GET", "services", 1, NULL, false, list_services},
    {"POST", "services", 1, NULL, true, start_service},
    {"POST", "services", 2, "start", true, start_service},
    {"POST", "services", 3, "stop", true, stop_service},
    {"GET", "services", 2, NULL, false, get_service},
    {"GET", "runs", 1, NULL, false, list_runs},
    {"POST", "runs", 1, NULL, true, start_run},
    {"POST", "runs", 2, "start", true, start_run},
    {"POST", "runs", 3, "stop", true, stop_run},
    {"GET", "runs", 3, "events", false, run_events},
    {"GET", "runs", 2, NULL, false, get_run},
};

static bool route_matches_path(const route *rt, const route_req *r)
{
    if (strcmp(rt->root, r->seg[0]) != 0 || rt->nseg != r->nseg)
        return false;
    return !rt->tail || strcmp(rt->tail, r->seg[r->nseg - 1]) == 0;
}

static Pluginv2__CallResourceResponse *dispatch(route_req *r, const char *method)
{
    bool path_known = false;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        const route *rt = &routes[i];
        if (!route_matches_path(rt, r))
            continue;
        path_known = true;
        if (strcmp(rt->method, method) != 0)
            continue;
        if (rt->edits && !plugin_role_can_edit(r->t.role)) {
            plugin_log(PLOG_WARN,
                       "refused %s %s to %s (role %s): starting and stopping needs "
                       "the Editor role",
                       method, r->seg[0], r->t.login, r->t.role[0] ? r->t.role : "none");
            return plugin_http_error(403, "PERMISSION_DENIED",
                                     "starting and stopping needs the Editor or Admin role");
        }
        return rt->fn(r);
    }
    if (path_known)
        return plugin_http_error(405, "METHOD_NOT_ALLOWED",
                                 "this resource does not take that method");
    return plugin_http_error(404, "NOT_FOUND", "no such resource (see docs/grafana-plugin.md)");
}

static Pluginv2__CallResourceResponse *handle(const Pluginv2__CallResourceRequest *in)
{
    route_req r = {.url = in->url};
    r.nseg = plugin_path_split(in->path, r.seg, MAX_SEGS);
    if (r.nseg <= 0)
        return plugin_http_error(404, "NOT_FOUND", "no such resource (see docs/grafana-plugin.md)");
    if (in->body.len > 0) {
        json_tokener *tok = json_tokener_new();
        r.body = json_tokener_parse_ex(tok, (const char *)in->body.data, (int)in->body.len);
        bool whole = json_tokener_get_error(tok) == json_tokener_success;
        json_tokener_free(tok);
        if (!r.body || !whole || !json_object_is_type(r.body, json_type_object)) {
            json_object_put(r.body);
            return plugin_http_error(400, "INVALID_ARGUMENT", "the body is not a JSON object");
        }
    }
    aifb_err e = {0};
    Pluginv2__CallResourceResponse *out;
    if (plugin_target_from(in->plugincontext, &r.t, &e) != AIFB_OK)
        out = plugin_http_error(400, "INVALID_ARGUMENT", e.msg);
    else
        out = dispatch(&r, in->method ? in->method : "GET");
    plugin_target_free(&r.t);
    json_object_put(r.body);
    return out;
}

/* The stream's state: the one reply, until next() hands it to the RPC module. */
typedef struct resource_state {
    Pluginv2__CallResourceResponse *reply;
} resource_state;

static aifb_code resource_open(rpc_ctx *ctx, const ProtobufCMessage *req, void **state,
                               aifb_err *err)
{
    (void)ctx, (void)err;
    const Pluginv2__CallResourceRequest *in = (const void *)req;
    resource_state *st = xmalloc(sizeof *st);
    st->reply = handle(in);
    plugin_log(st->reply->code >= 500 ? PLOG_WARN : PLOG_DEBUG, "%s %s -> %d", in->method, in->path,
               st->reply->code);
    *state = st;
    return AIFB_OK;
}

static rpc_next resource_next(rpc_ctx *ctx, void *state, ProtobufCMessage **msg, aifb_err *err)
{
    (void)ctx, (void)err;
    resource_state *st = state;
    if (!st->reply)
        return RPC_NEXT_END;
    *msg = &st->reply->base;
    st->reply = NULL;
    return RPC_NEXT_MSG;
}

static void resource_close(rpc_ctx *ctx, void *state)
{
    (void)ctx;
    resource_state *st = state;
    if (st->reply)
        pluginv2__call_resource_response__free_unpacked(st->reply, NULL);
    free(st);
}

const rpc_stream_ops plugin_call_resource_ops = {resource_open, resource_next, resource_close};
