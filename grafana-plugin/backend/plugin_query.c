/* plugin_query.c: Data.QueryData, aifbd as a data source for dashboards.
 *
 * Each query names its kind with queryType (the panel's query editor sets it; a "queryType" key
 * in the query JSON is read too) and its options in the query JSON:
 *   runs            a table of runs: {"recipe"?, "state"?}, the runs whose life overlaps the time
 *                   range; or {"runId"}: that one run
 *   run_result      one run's result summary: {"runId"}; one row per metric (metric, value, unit)
 *   recipe_results  a recipe's results over time: {"recipe", "metric"?, "params"?}; one row per
 *                   succeeded run ended in the time range: time, run_id, a column per parameter
 *                   asked for, a number column per metric
 *   events, health  in plugin_query_info.c
 * Frames are answered in the format the request asks for (QueryDataRequest.format): Arrow IPC
 * files by default, as every Grafana version reads them, or the SDK's JSON encoding when Grafana
 * asks for JSON. A query's failure is its own response's error; the others still answer. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "plugin.h"
#include "plugin_query.h"

#define MAX_RUNS 1000

const char *query_opt_string(const query_in *in, const char *key, const char *alt)
{
    json_object *v = NULL;
    if ((json_object_object_get_ex(in->opts, key, &v) ||
         (alt && json_object_object_get_ex(in->opts, alt, &v))) &&
        json_object_is_type(v, json_type_string) && json_object_get_string_len(v) > 0)
        return json_object_get_string(v);
    return NULL;
}

void query_fail(query_out *out, aifb_code code, const char *msg, const char *source)
{
    out->status = plugin_http_status(code);
    out->error = xstrdup(msg);
    out->error_source = source;
}

const char *query_state_name(Aifb__V1__RunState s)
{
    const ProtobufCEnumValue *v =
        protobuf_c_enum_descriptor_get_value(&aifb__v1__run_state__descriptor, (int)s);
    return v ? v->name + strlen("RUN_STATE_") : "UNSPECIFIED";
}

/* Runs of a recipe (NULL: every recipe) in the given states, newest first, up to MAX_RUNS,
 * stopping at the page that reaches runs created before from_ms (0: no bound). */
static aifb_code list_runs(const plugin_target *t, const char *recipe, Aifb__V1__RunState *states,
                           size_t n_states, int64_t from_ms, Aifb__V1__ListRunsResponse ***pages,
                           size_t *n_pages, aifb_err *err)
{
    *pages = NULL;
    *n_pages = 0;
    char *token = NULL;
    size_t total = 0;
    for (;;) {
        Aifb__V1__ListRunsRequest req = AIFB__V1__LIST_RUNS_REQUEST__INIT;
        req.recipe = (char *)(recipe ? recipe : "");
        req.states = states;
        req.n_states = n_states;
        req.page_size = 500;
        req.page_token = token ? token : (char *)"";
        ProtobufCMessage *m = NULL;
        aifb_code rc = plugin_aifbd_call(t, "ListRuns", &req.base,
                                         &aifb__v1__list_runs_response__descriptor, &m, err);
        free(token);
        token = NULL;
        if (rc != AIFB_OK)
            return rc;
        Aifb__V1__ListRunsResponse *page = (void *)m;
        *pages = xrealloc(*pages, (*n_pages + 1) * sizeof **pages);
        (*pages)[(*n_pages)++] = page;
        total += page->n_runs;
        bool older = page->n_runs > 0 && from_ms > 0 &&
                     page->runs[page->n_runs - 1]->created_at_ms < from_ms;
        if (!page->next_page_token[0] || total >= MAX_RUNS || older)
            return AIFB_OK;
        token = xstrdup(page->next_page_token);
    }
}

static void free_pages(Aifb__V1__ListRunsResponse **pages, size_t n)
{
    for (size_t i = 0; i < n; i++)
        aifb__v1__list_runs_response__free_unpacked(pages[i], NULL);
    free(pages);
}

static bool overlaps(const Aifb__V1__Run *r, const query_in *in)
{
    if (in->to_ms <= 0)
        return true;
    int64_t end = r->ended_at_ms ? r->ended_at_ms : INT64_MAX;
    return r->created_at_ms <= in->to_ms && end >= in->from_ms;
}

typedef struct runs_cols {
    int created, id, recipe, state, ended, duration, executor, reason;
} runs_cols;

static plugin_frame *runs_frame(const query_in *in, runs_cols *c)
{
    plugin_frame *f = plugin_frame_new("runs", in->q->refid);
    c->created = plugin_frame_field(f, "created", FRAME_TIME, NULL);
    c->id = plugin_frame_field(f, "id", FRAME_STRING, NULL);
    c->recipe = plugin_frame_field(f, "recipe", FRAME_STRING, NULL);
    c->state = plugin_frame_field(f, "state", FRAME_STRING, NULL);
    c->ended = plugin_frame_field(f, "ended", FRAME_TIME, NULL);
    c->duration = plugin_frame_field(f, "duration", FRAME_NUMBER, "s");
    c->executor = plugin_frame_field(f, "executor", FRAME_STRING, NULL);
    c->reason = plugin_frame_field(f, "reason", FRAME_STRING, NULL);
    return f;
}

static void runs_row(plugin_frame *f, const runs_cols *c, const Aifb__V1__Run *r, int64_t now)
{
    plugin_frame_time(f, c->created, r->created_at_ms);
    plugin_frame_str(f, c->id, r->id);
    plugin_frame_str(f, c->recipe, r->recipe);
    plugin_frame_str(f, c->state, query_state_name(r->state));
    if (r->ended_at_ms)
        plugin_frame_time(f, c->ended, r->ended_at_ms);
    else
        plugin_frame_null(f, c->ended);
    int64_t end = r->ended_at_ms ? r->ended_at_ms : now;
    plugin_frame_num(f, c->duration, (double)(end - r->created_at_ms) / 1000.0);
    plugin_frame_str(f, c->executor, r->executor);
    plugin_frame_str(f, c->reason, r->reason);
}

/* One run by id (a dashboard of that run), whatever the time range. */
static void query_one_run(const plugin_target *t, const query_in *in, const char *id,
                          query_out *out)
{
    Aifb__V1__GetRunRequest req = AIFB__V1__GET_RUN_REQUEST__INIT;
    req.id = (char *)id;
    ProtobufCMessage *m = NULL;
    aifb_err e = {0};
    aifb_code rc = plugin_aifbd_call(t, "GetRun", &req.base, &aifb__v1__run__descriptor, &m, &e);
    if (rc != AIFB_OK)
        return query_fail(out, rc, e.msg, "downstream");
    runs_cols c;
    plugin_frame *f = runs_frame(in, &c);
    runs_row(f, &c, (const Aifb__V1__Run *)m, aifb_now_ms());
    protobuf_c_message_free_unpacked(m, NULL);
    out->frame = plugin_frame_finish(f, in->format, &out->frame_len);
}

static void query_runs(const plugin_target *t, const query_in *in, query_out *out)
{
    const char *id = query_opt_string(in, "runId", "run_id");
    if (id)
        return query_one_run(t, in, id, out);
    Aifb__V1__RunState state = 0;
    const char *state_name = query_opt_string(in, "state", NULL);
    if (state_name) {
        char name[64];
        snprintf(name, sizeof name, "RUN_STATE_%s", state_name);
        const ProtobufCEnumValue *v =
            protobuf_c_enum_descriptor_get_value_by_name(&aifb__v1__run_state__descriptor, name);
        if (!v)
            return query_fail(out, AIFB_EINVAL, "state must be a run state such as RUNNING",
                              "plugin");
        state = (Aifb__V1__RunState)v->value;
    }
    Aifb__V1__ListRunsResponse **pages = NULL;
    size_t n_pages = 0;
    aifb_err e = {0};
    aifb_code rc = list_runs(t, query_opt_string(in, "recipe", NULL), state_name ? &state : NULL,
                             state_name ? 1 : 0, in->from_ms, &pages, &n_pages, &e);
    if (rc != AIFB_OK) {
        free_pages(pages, n_pages);
        return query_fail(out, rc, e.msg, "downstream");
    }
    runs_cols c;
    plugin_frame *f = runs_frame(in, &c);
    int64_t now = aifb_now_ms();
    for (size_t p = 0; p < n_pages; p++)
        for (size_t i = 0; i < pages[p]->n_runs; i++)
            if (overlaps(pages[p]->runs[i], in))
                runs_row(f, &c, pages[p]->runs[i], now);
    free_pages(pages, n_pages);
    out->frame = plugin_frame_finish(f, in->format, &out->frame_len);
}

Aifb__V1__Run *query_get_run(const plugin_target *t, const query_in *in, const char *kind,
                             query_out *out)
{
    const char *id = query_opt_string(in, "runId", "run_id");
    if (!id) {
        char msg[96];
        snprintf(msg, sizeof msg, "a %s query needs runId", kind);
        query_fail(out, AIFB_EINVAL, msg, "plugin");
        return NULL;
    }
    Aifb__V1__GetRunRequest req = AIFB__V1__GET_RUN_REQUEST__INIT;
    req.id = (char *)id;
    ProtobufCMessage *m = NULL;
    aifb_err e = {0};
    aifb_code rc = plugin_aifbd_call(t, "GetRun", &req.base, &aifb__v1__run__descriptor, &m, &e);
    if (rc != AIFB_OK) {
        query_fail(out, rc, e.msg, "downstream");
        return NULL;
    }
    return (Aifb__V1__Run *)m;
}

static void query_run_result(const plugin_target *t, const query_in *in, query_out *out)
{
    Aifb__V1__Run *r = query_get_run(t, in, "run_result", out);
    if (!r)
        return;
    ProtobufCMessage *m = &r->base;
    plugin_frame *f = plugin_frame_new(r->id, in->q->refid);
    int f_metric = plugin_frame_field(f, "metric", FRAME_STRING, NULL);
    int f_value = plugin_frame_field(f, "value", FRAME_NUMBER, NULL);
    int f_unit = plugin_frame_field(f, "unit", FRAME_STRING, NULL);
    for (size_t i = 0; i < r->n_summary; i++) {
        plugin_frame_str(f, f_metric, r->summary[i]->name);
        plugin_frame_num(f, f_value, r->summary[i]->value);
        plugin_frame_str(f, f_unit, r->summary[i]->unit);
    }
    protobuf_c_message_free_unpacked(m, NULL);
    out->frame = plugin_frame_finish(f, in->format, &out->frame_len);
}

/* The metric names of the runs, in the order they first appear (one column each). */
static size_t metric_names(const Aifb__V1__Run **runs, size_t n, const char *only,
                           const char ***names)
{
    size_t k = 0;
    *names = NULL;
    for (size_t i = 0; i < n; i++) {
        for (size_t m = 0; m < runs[i]->n_summary; m++) {
            const char *name = runs[i]->summary[m]->name;
            bool seen = only && strcmp(only, name) != 0;
            for (size_t j = 0; j < k && !seen; j++)
                seen = strcmp((*names)[j], name) == 0;
            if (!seen) {
                *names = xrealloc(*names, (k + 1) * sizeof **names);
                (*names)[k++] = name;
            }
        }
    }
    return k;
}

static const Aifb__V1__Metric *find_metric(const Aifb__V1__Run *r, const char *name)
{
    for (size_t m = 0; m < r->n_summary; m++)
        if (strcmp(r->summary[m]->name, name) == 0)
            return r->summary[m];
    return NULL;
}

static const char *param_value(const Aifb__V1__Run *r, const char *name)
{
    for (size_t i = 0; i < r->n_params; i++)
        if (strcmp(r->params[i]->name, name) == 0)
            return r->params[i]->value;
    return NULL;
}

/* Whether every run that has the parameter has a number there (an x axis), not text. */
static bool param_numeric(const Aifb__V1__Run **runs, size_t n, const char *name)
{
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        const char *v = param_value(runs[i], name);
        if (!v)
            continue;
        char *end = NULL;
        strtod(v, &end);
        if (!*v || *end)
            return false;
        any = true;
    }
    return any;
}

/* The parameter columns asked for: "params": ["rate", "concurrency"] or "rate,concurrency"; a
 * multi-value dashboard variable arrives as "{rate,concurrency}". Unresolved variables ("$x")
 * are skipped. */
static size_t param_names(const query_in *in, char ***out)
{
    *out = NULL;
    json_object *p = NULL;
    if (!json_object_object_get_ex(in->opts, "params", &p))
        return 0;
    size_t k = 0, count = json_object_is_type(p, json_type_array) ? json_object_array_length(p) : 1;
    for (size_t i = 0; i < count; i++) {
        json_object *item =
            json_object_is_type(p, json_type_array) ? json_object_array_get_idx(p, i) : p;
        if (!json_object_is_type(item, json_type_string))
            continue;
        char *copy = xstrdup(json_object_get_string(item)), *save = NULL;
        for (char *w = strtok_r(copy, ",{} ", &save); w; w = strtok_r(NULL, ",{} ", &save)) {
            if (w[0] == '$' || k >= 16)
                continue;
            *out = xrealloc(*out, (k + 1) * sizeof **out);
            (*out)[k++] = xstrdup(w);
        }
        free(copy);
    }
    return k;
}

static void param_columns(plugin_frame *f, const Aifb__V1__Run **runs, size_t n, const query_in *in)
{
    char **names = NULL;
    size_t k = param_names(in, &names);
    for (size_t j = 0; j < k; j++) {
        bool numeric = param_numeric(runs, n, names[j]);
        int col = plugin_frame_field(f, names[j], numeric ? FRAME_NUMBER : FRAME_STRING, NULL);
        for (size_t i = 0; i < n; i++) {
            const char *v = param_value(runs[i], names[j]);
            if (!v)
                plugin_frame_null(f, col);
            else if (numeric)
                plugin_frame_num(f, col, strtod(v, NULL));
            else
                plugin_frame_str(f, col, v);
        }
        free(names[j]);
    }
    free(names);
}

static void recipe_frame(const Aifb__V1__Run **runs, size_t n, const char *only, const query_in *in,
                         query_out *out)
{
    const char **names = NULL;
    size_t k = metric_names(runs, n, only, &names);
    plugin_frame *f = plugin_frame_new(query_opt_string(in, "recipe", NULL), in->q->refid);
    int f_time = plugin_frame_field(f, "time", FRAME_TIME, NULL);
    int f_id = plugin_frame_field(f, "run_id", FRAME_STRING, NULL);
    for (size_t i = 0; i < n; i++) {
        plugin_frame_time(f, f_time, runs[i]->ended_at_ms);
        plugin_frame_str(f, f_id, runs[i]->id);
    }
    param_columns(f, runs, n, in);
    for (size_t j = 0; j < k; j++) {
        int col = plugin_frame_field(f, names[j], FRAME_NUMBER, NULL);
        for (size_t i = 0; i < n; i++) {
            const Aifb__V1__Metric *m = find_metric(runs[i], names[j]);
            if (m)
                plugin_frame_num(f, col, m->value);
            else
                plugin_frame_null(f, col);
        }
    }
    free(names);
    out->frame = plugin_frame_finish(f, in->format, &out->frame_len);
}

static void query_recipe_results(const plugin_target *t, const query_in *in, query_out *out)
{
    const char *recipe = query_opt_string(in, "recipe", NULL);
    if (!recipe)
        return query_fail(out, AIFB_EINVAL, "a recipe_results query needs recipe", "plugin");
    Aifb__V1__RunState ok = AIFB__V1__RUN_STATE__RUN_STATE_SUCCEEDED;
    Aifb__V1__ListRunsResponse **pages = NULL;
    size_t n_pages = 0;
    aifb_err e = {0};
    aifb_code rc = list_runs(t, recipe, &ok, 1, in->from_ms, &pages, &n_pages, &e);
    if (rc != AIFB_OK) {
        free_pages(pages, n_pages);
        return query_fail(out, rc, e.msg, "downstream");
    }
    /* Oldest first, as a time series reads; runs come newest first. */
    const Aifb__V1__Run **runs = NULL;
    size_t n = 0;
    for (size_t p = n_pages; p-- > 0;)
        for (size_t i = pages[p]->n_runs; i-- > 0;) {
            const Aifb__V1__Run *r = pages[p]->runs[i];
            if (in->to_ms > 0 && (r->ended_at_ms < in->from_ms || r->ended_at_ms > in->to_ms))
                continue;
            runs = xrealloc(runs, (n + 1) * sizeof *runs);
            runs[n++] = r;
        }
    recipe_frame(runs, n, query_opt_string(in, "metric", NULL), in, out);
    free(runs);
    free_pages(pages, n_pages);
}

static void answer(const plugin_target *t, const Pluginv2__DataQuery *q, frame_format format,
                   query_out *out)
{
    query_in in = {.q = q, .format = format};
    if (q->timerange) {
        in.from_ms = q->timerange->fromepochms;
        in.to_ms = q->timerange->toepochms;
    }
    if (q->json.len > 0) {
        json_tokener *tok = json_tokener_new();
        in.opts = json_tokener_parse_ex(tok, (const char *)q->json.data, (int)q->json.len);
        json_tokener_free(tok);
    }
    if (!in.opts || !json_object_is_type(in.opts, json_type_object)) {
        json_object_put(in.opts);
        in.opts = json_object_new_object();
    }
    const char *type =
        q->querytype && q->querytype[0] ? q->querytype : query_opt_string(&in, "queryType", NULL);
    if (type && strcmp(type, "runs") == 0)
        query_runs(t, &in, out);
    else if (type && strcmp(type, "run_result") == 0)
        query_run_result(t, &in, out);
    else if (type && strcmp(type, "recipe_results") == 0)
        query_recipe_results(t, &in, out);
    else if (type && strcmp(type, "health") == 0)
        query_health(t, &in, out);
    else if (type && strcmp(type, "events") == 0)
        query_events(t, &in, out);
    else
        query_fail(out, AIFB_EINVAL,
                   "queryType must be runs, run_result, recipe_results, events or health",
                   "plugin");
    json_object_put(in.opts);
}

static Pluginv2__DataResponse *data_response(query_out *o, frame_format format)
{
    Pluginv2__DataResponse *r = xmalloc(sizeof *r);
    pluginv2__data_response__init(r);
    r->format = format == FRAME_JSON ? PLUGINV2__DATA_FRAME_FORMAT__JSON
                                     : PLUGINV2__DATA_FRAME_FORMAT__ARROW;
    if (o->frame) {
        r->status = 200;
        r->n_frames = 1;
        r->frames = xmalloc(sizeof *r->frames);
        r->frames[0].data = o->frame;
        r->frames[0].len = o->frame_len;
    } else {
        r->status = o->status;
        r->error = o->error;
        r->errorsource = xstrdup(o->error_source);
    }
    return r;
}

aifb_code plugin_query_data(rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **reply,
                            aifb_err *err)
{
    (void)ctx, (void)err;
    const Pluginv2__QueryDataRequest *in = (const void *)req;
    Pluginv2__QueryDataResponse *out = xmalloc(sizeof *out);
    pluginv2__query_data_response__init(out);
    *reply = &out->base;
    plugin_target t;
    aifb_err e = {0};
    bool target_ok = plugin_target_from(in->plugincontext, &t, &e) == AIFB_OK;
    /* Arrow unless Grafana asks for JSON: every Grafana version reads Arrow frames. */
    frame_format format =
        in->format == PLUGINV2__DATA_FRAME_FORMAT__JSON ? FRAME_JSON : FRAME_ARROW;
    out->n_responses = in->n_queries;
    out->responses = xcalloc(in->n_queries ? in->n_queries : 1, sizeof *out->responses);
    for (size_t i = 0; i < in->n_queries; i++) {
        query_out o = {0};
        if (target_ok)
            answer(&t, in->queries[i], format, &o);
        else
            query_fail(&o, AIFB_EINVAL, e.msg, "plugin");
        Pluginv2__QueryDataResponse__ResponsesEntry *entry = xmalloc(sizeof *entry);
        pluginv2__query_data_response__responses_entry__init(entry);
        entry->key = xstrdup(in->queries[i]->refid);
        entry->value = data_response(&o, format);
        out->responses[i] = entry;
        if (o.error)
            plugin_log(PLOG_WARN, "query %s: %s", entry->key, o.error);
    }
    if (target_ok)
        plugin_target_free(&t);
    return AIFB_OK;
}
