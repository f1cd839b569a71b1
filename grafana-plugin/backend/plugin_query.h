/* plugin_query.h: what the QueryData parts share: one query's input and outcome, and the kinds
 * answered outside plugin_query.c (plugin_query_info.c: aifbd's health and a run's events). */
#ifndef AIFB_PLUGIN_QUERY_H
#define AIFB_PLUGIN_QUERY_H

#include "plugin.h"

typedef struct query_in {
    const Pluginv2__DataQuery *q;
    json_object *opts; /* the query JSON (an object; empty when there was none) */
    int64_t from_ms, to_ms;
    frame_format format; /* what Grafana asked for */
} query_in;

typedef struct query_out {
    uint8_t *frame; /* the frame in the asked format, or NULL on error */
    size_t frame_len;
    int status;
    char *error;
    const char *error_source; /* "plugin" (the query is wrong) or "downstream" (aifbd) */
} query_out;

/* A non-empty string option of the query JSON (key, else alt), or NULL. */
const char *query_opt_string(const query_in *in, const char *key, const char *alt);
/* Sets the query's error: its HTTP status from code, and the message. */
void query_fail(query_out *out, aifb_code code, const char *msg, const char *source);
/* The run the query's "runId" names, from aifbd's GetRun (free it with
 * protobuf_c_message_free_unpacked); NULL with the query's error set when the query names none
 * (kind names the query kind in that message) or aifbd answers with an error. */
Aifb__V1__Run *query_get_run(const plugin_target *t, const query_in *in, const char *kind,
                             query_out *out);
/* "RUNNING" for RUN_STATE_RUNNING. */
const char *query_state_name(Aifb__V1__RunState s);

/* health: {"section": "daemon" (default) | "slurm" | "slurm_nodes"}. */
void query_health(const plugin_target *t, const query_in *in, query_out *out);
/* events: {"runId"}: the run's state changes, for tables and annotations. */
void query_events(const plugin_target *t, const query_in *in, query_out *out);

#endif
