/* plugin_query_info.c: the QueryData kinds about aifbd itself and a run's history.
 *
 *   health {"section": "daemon"}       one row: up (1 or 0), address, version, executor,
 *                                      uptime_s, active_runs, recipe_count, last_event_seq, error;
 *                                      an aifbd that does not answer is up 0 with the error, not
 *                                      a failed query, so a stat panel shows it down
 *          {"section": "slurm"}        one row: reachable (1, 0, or null with the local
 *                                      executor), controller, release, api_version, nodes,
 *                                      partitions, fetched_at, error
 *          {"section": "slurm_nodes"}  a row per node: name, state, cpus, memory_mb, gres,
 *                                      partitions
 *   events {"runId"}                   a row per state change: time, title (the new state),
 *                                      text ("STARTING -> RUNNING: reason"), from_state,
 *                                      to_state, reason, seq; Grafana takes time, title and text
 *                                      as annotations */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "plugin_query.h"

#define MAX_EVENTS 1000

static void health_daemon(const plugin_target *t, const query_in *in, query_out *out)
{
    Aifb__V1__GetInfoRequest req = AIFB__V1__GET_INFO_REQUEST__INIT;
    ProtobufCMessage *m = NULL;
    aifb_err e = {0};
    aifb_code rc = plugin_aifbd_call(t, "GetInfo", &req.base, &aifb__v1__info__descriptor, &m, &e);
    const Aifb__V1__Info *info = rc == AIFB_OK ? (const void *)m : NULL;
    plugin_frame *f = plugin_frame_new("aifbd", in->q->refid);
    plugin_frame_num(f, plugin_frame_field(f, "up", FRAME_NUMBER, NULL), info ? 1 : 0);
    plugin_frame_str(f, plugin_frame_field(f, "address", FRAME_STRING, NULL), t->address);
    int version = plugin_frame_field(f, "version", FRAME_STRING, NULL);
    int executor = plugin_frame_field(f, "executor", FRAME_STRING, NULL);
    int uptime = plugin_frame_field(f, "uptime_s", FRAME_NUMBER, "s");
    int active = plugin_frame_field(f, "active_runs", FRAME_NUMBER, NULL);
    int recipes = plugin_frame_field(f, "recipe_count", FRAME_NUMBER, NULL);
    int seq = plugin_frame_field(f, "last_event_seq", FRAME_NUMBER, NULL);
    int error = plugin_frame_field(f, "error", FRAME_STRING, NULL);
    if (info) {
        plugin_frame_str(f, version, info->version);
        plugin_frame_str(f, executor, info->executor);
        plugin_frame_num(f, uptime, (double)info->uptime_ms / 1000.0);
        plugin_frame_num(f, active, info->active_runs);
        plugin_frame_num(f, recipes, info->recipe_count);
        plugin_frame_num(f, seq, (double)info->last_event_seq);
        plugin_frame_str(f, error, "");
        protobuf_c_message_free_unpacked(m, NULL);
    } else {
        int nulls[] = {version, executor, uptime, active, recipes, seq};
        for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++)
            plugin_frame_null(f, nulls[i]);
        plugin_frame_str(f, error, e.msg);
    }
    out->frame = plugin_frame_finish(f, in->format, &out->frame_len);
}

static void slurm_row(plugin_frame *f, const Aifb__V1__SlurmCluster *c, const char *executor)
{
    int reachable = plugin_frame_field(f, "reachable", FRAME_NUMBER, NULL);
    int controller = plugin_frame_field(f, "controller", FRAME_STRING, NULL);
    int release = plugin_frame_field(f, "release", FRAME_STRING, NULL);
    int api = plugin_frame_field(f, "api_version", FRAME_STRING, NULL);
    int nodes = plugin_frame_field(f, "nodes", FRAME_NUMBER, NULL);
    int parts = plugin_frame_field(f, "partitions", FRAME_NUMBER, NULL);
    int fetched = plugin_frame_field(f, "fetched_at", FRAME_TIME, NULL);
    int error = plugin_frame_field(f, "error", FRAME_STRING, NULL);
    if (!c) {
        int nulls[] = {reachable, controller, release, api, nodes, parts, fetched};
        for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++)
            plugin_frame_null(f, nulls[i]);
        char msg[128];
        snprintf(msg, sizeof msg, "aifbd's executor is %s: there is no Slurm cluster", executor);
        plugin_frame_str(f, error, msg);
        return;
    }
    plugin_frame_num(f, reachable, c->error[0] ? 0 : 1);
    plugin_frame_str(f, controller, c->controller);
    plugin_frame_str(f, release, c->release);
    plugin_frame_str(f, api, c->api_version);
    plugin_frame_num(f, nodes, (double)c->n_nodes);
    plugin_frame_num(f, parts, (double)c->n_partitions);
    if (c->fetched_at_ms)
        plugin_frame_time(f, fetched, c->fetched_at_ms);
    else
        plugin_frame_null(f, fetched);
    plugin_frame_str(f, error, c->error);
}

static void slurm_nodes(plugin_frame *f, const Aifb__V1__SlurmCluster *c)
{
    int name = plugin_frame_field(f, "name", FRAME_STRING, NULL);
    int state = plugin_frame_field(f, "state", FRAME_STRING, NULL);
    int cpus = plugin_frame_field(f, "cpus", FRAME_NUMBER, NULL);
    int mem = plugin_frame_field(f, "memory_mb", FRAME_NUMBER, "decmbytes");
    int gres = plugin_frame_field(f, "gres", FRAME_STRING, NULL);
    int parts = plugin_frame_field(f, "partitions", FRAME_STRING, NULL);
    for (size_t i = 0; c && i < c->n_nodes; i++) {
        const Aifb__V1__SlurmNode *n = c->nodes[i];
        plugin_frame_str(f, name, n->name);
        plugin_frame_str(f, state, n->state);
        plugin_frame_num(f, cpus, n->cpus);
        plugin_frame_num(f, mem, (double)n->memory_mb);
        plugin_frame_str(f, gres, n->gres);
        abuf joined = {0};
        for (size_t p = 0; p < n->n_partitions; p++)
            abuf_printf(&joined, "%s%s", p ? "," : "", n->partitions[p]);
        plugin_frame_str(f, parts, joined.p ? joined.p : "");
        abuf_free(&joined);
    }
}

static void health_slurm(const plugin_target *t, const query_in *in, bool nodes, query_out *out)
{
    Aifb__V1__GetInfoRequest req = AIFB__V1__GET_INFO_REQUEST__INIT;
    ProtobufCMessage *m = NULL;
    aifb_err e = {0};
    aifb_code rc = plugin_aifbd_call(t, "GetInfo", &req.base, &aifb__v1__info__descriptor, &m, &e);
    if (rc != AIFB_OK)
        return query_fail(out, rc, e.msg, "downstream");
    const Aifb__V1__Info *info = (const void *)m;
    plugin_frame *f = plugin_frame_new(nodes ? "slurm_nodes" : "slurm", in->q->refid);
    if (nodes)
        slurm_nodes(f, info->cluster);
    else
        slurm_row(f, info->cluster, info->executor);
    protobuf_c_message_free_unpacked(m, NULL);
    out->frame = plugin_frame_finish(f, in->format, &out->frame_len);
}

void query_health(const plugin_target *t, const query_in *in, query_out *out)
{
    const char *section = query_opt_string(in, "section", NULL);
    if (!section || strcmp(section, "daemon") == 0)
        health_daemon(t, in, out);
    else if (strcmp(section, "slurm") == 0)
        health_slurm(t, in, false, out);
    else if (strcmp(section, "slurm_nodes") == 0)
        health_slurm(t, in, true, out);
    else
        query_fail(out, AIFB_EINVAL, "a health query's section is daemon, slurm or slurm_nodes",
                   "plugin");
}

void query_events(const plugin_target *t, const query_in *in, query_out *out)
{
    /* GetRun first: an unknown run is NOT_FOUND, not an empty history after the stream's wait. */
    Aifb__V1__Run *run = query_get_run(t, in, "events", out);
    if (!run)
        return;
    Aifb__V1__Event **ev = NULL;
    size_t n = 0;
    aifb_err e = {0};
    aifb_code rc = plugin_aifbd_events(t, run->id, MAX_EVENTS, &ev, &n, &e);
    plugin_frame *f = rc == AIFB_OK ? plugin_frame_new(run->id, in->q->refid) : NULL;
    protobuf_c_message_free_unpacked(&run->base, NULL);
    if (rc != AIFB_OK)
        return query_fail(out, rc, e.msg, "downstream");
    int f_time = plugin_frame_field(f, "time", FRAME_TIME, NULL);
    int title = plugin_frame_field(f, "title", FRAME_STRING, NULL);
    int text = plugin_frame_field(f, "text", FRAME_STRING, NULL);
    int from = plugin_frame_field(f, "from_state", FRAME_STRING, NULL);
    int to = plugin_frame_field(f, "to_state", FRAME_STRING, NULL);
    int reason = plugin_frame_field(f, "reason", FRAME_STRING, NULL);
    int seq = plugin_frame_field(f, "seq", FRAME_NUMBER, NULL);
    for (size_t i = 0; i < n; i++) {
        char line[600];
        snprintf(line, sizeof line, "%s -> %s%s%.500s",
                 ev[i]->from_state[0] ? ev[i]->from_state : "new", ev[i]->to_state,
                 ev[i]->reason[0] ? ": " : "", ev[i]->reason);
        plugin_frame_time(f, f_time, ev[i]->time_ms);
        plugin_frame_str(f, title, ev[i]->to_state);
        plugin_frame_str(f, text, line);
        plugin_frame_str(f, from, ev[i]->from_state);
        plugin_frame_str(f, to, ev[i]->to_state);
        plugin_frame_str(f, reason, ev[i]->reason);
        plugin_frame_num(f, seq, (double)ev[i]->seq);
    }
    plugin_events_free(ev, n);
    out->frame = plugin_frame_finish(f, in->format, &out->frame_len);
}
