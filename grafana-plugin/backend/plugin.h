/* plugin.h: gpx_aifb, the backend of aifb's Grafana app and data source, as C parts.
 *
 * Grafana starts the executable, reads the go-plugin handshake line from its stdout and then
 * calls Grafana's pluginv2 gRPC services on it. The parts:
 *   plugin_log.c      log lines as Grafana reads them from a plugin's stderr (JSON, hclog keys)
 *   plugin_serve.c    the handshake, the method table (Resource, Data, Diagnostics, Health,
 *                     go-plugin's controller) and the server's life until Shutdown or a signal
 *   plugin_aifbd.c    what a request says about aifbd (address, token, the user's role), one
 *                     call to aifbd, and how aifbd's status codes become HTTP statuses
 *   plugin_health.c   Diagnostics.CheckHealth: does aifbd answer, and which version is it
 *   plugin_http.c     the HTTP side of CallResource: paths, query strings, JSON replies
 *   plugin_resource.c the CallResource routes, each one ControlPlane call
 *   plugin_frame.c    data frames, written as Arrow (plugin_arrow.c) or the SDK's JSON
 *   plugin_query.c    Data.QueryData: runs, one run's result, a recipe's results over time
 *   plugin_query_info.c  QueryData about aifbd itself (health, Slurm) and a run's events
 * Every handler builds its reply on the heap (the RPC module frees it) and never logs a token. */
#ifndef AIFB_PLUGIN_H
#define AIFB_PLUGIN_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aifb/v1/controlplane.pb-c.h"
#include "common/err.h"
#include "grafana/pluginv2/backend.pb-c.h"
#include "rpc/rpc.h"

#define PLUGIN_APP_ID        "aifb-controlplane-app"
#define PLUGIN_DS_ID         "aifb-controlplane-datasource"
#define PLUGIN_DEFAULT_AIFBD "127.0.0.1:50051"

/* ---- logs (plugin_log.c) -------------------------------------------------------------------- */

/* The order of aifb_log_level (common/log.h), which these map onto. */
typedef enum { PLOG_DEBUG, PLOG_INFO, PLOG_WARN, PLOG_ERROR } plugin_log_level;

/* One JSON line on stderr: {"@level":"info","@message":"...","@timestamp":"...","@module":...}.
 * Never pass a secret. Thread-safe (one write per line). */
void plugin_log(plugin_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The line plugin_log() would write, without its newline (for tests). The caller frees it. */
char *plugin_log_line(plugin_log_level level, const char *msg, int64_t epoch_us);

/* ---- handshake and serving (plugin_serve.c) ---------------------------------------------------
 */

/* Checks what Grafana (go-plugin) put in the environment: the magic cookie and protocol version
 * 2. On failure err says what is missing, for a person who started the program by hand. */
aifb_code plugin_check_env(aifb_err *err);
/* The go-plugin handshake line for a TCP port: "1|2|tcp|127.0.0.1:PORT|grpc". */
void plugin_handshake_line(int port, char *out, size_t n);
/* Starts the server on 127.0.0.1 (a port in PLUGIN_MIN_PORT..PLUGIN_MAX_PORT when set). */
aifb_code plugin_serve_start(rpc_server **out, aifb_err *err);

/* ---- aifbd (plugin_aifbd.c) ------------------------------------------------------------------ */

/* Where aifbd is and who asks, read from a request's PluginContext: the app instance's settings,
 * else the data source instance's. */
typedef struct plugin_target {
    char *address;     /* jsonData.aifbdAddress, else PLUGIN_DEFAULT_AIFBD */
    char *token;       /* secureJsonData.aifbdToken or NULL; never logged */
    const char *role;  /* the user's role ("Viewer", "Editor", "Admin"); "" when no user */
    const char *login; /* the user's login; "" when no user */
} plugin_target;

/* Fills t from ctx (NULL: the defaults). A jsonData that is not a JSON object is refused. */
aifb_code plugin_target_from(const Pluginv2__PluginContext *ctx, plugin_target *t, aifb_err *err);
void plugin_target_free(plugin_target *t);
/* Whether the role may change things (start and stop): Editor or Admin. */
bool plugin_role_can_edit(const char *role);

/* One unary ControlPlane call ("GetRun") to the target, with a bounded timeout. On AIFB_OK
 * *reply is a heap message; otherwise err holds aifbd's code and message, or UNAVAILABLE naming
 * the address when aifbd cannot be reached. */
aifb_code plugin_aifbd_call(const plugin_target *t, const char *method, const ProtobufCMessage *req,
                            const ProtobufCMessageDescriptor *reply_desc, ProtobufCMessage **reply,
                            aifb_err *err);
/* The events of one run or service so far (Watch with replay), oldest first, at most max. */
aifb_code plugin_aifbd_events(const plugin_target *t, const char *subject, size_t max,
                              Aifb__V1__Event ***events, size_t *n, aifb_err *err);
void plugin_events_free(Aifb__V1__Event **events, size_t n);
/* The HTTP status for an aifbd status code: 400, 404, 409, 503, 500. */
int plugin_http_status(aifb_code code);

/* ---- handlers (plugin_health.c, plugin_resource.c, plugin_query.c) ----------------------------
 */

aifb_code plugin_check_health(rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **reply,
                              aifb_err *err);
extern const rpc_stream_ops plugin_call_resource_ops;
aifb_code plugin_query_data(rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **reply,
                            aifb_err *err);

/* ---- HTTP replies (plugin_http.c) ------------------------------------------------------------ */

/* A CallResource reply with a JSON body (content type set). Takes j (json_object_put). */
Pluginv2__CallResourceResponse *plugin_http_json(int status, json_object *j);
/* {"error": msg, "code": code_name} with status. */
Pluginv2__CallResourceResponse *plugin_http_error(int status, const char *code_name,
                                                  const char *msg);
/* The value of one query-string parameter of url ("runs?state=RUNNING"), percent-decoded, or
 * NULL. The caller frees it. */
char *plugin_query_param(const char *url, const char *name);
/* Splits a resource path ("runs/r-1/stop", leading and trailing slashes ignored, query string
 * cut) into at most max segments copied into seg (each up to seg_len bytes). Returns the count,
 * or -1 when there are more segments or one is too long. */
int plugin_path_split(const char *path, char seg[][96], int max);

/* ---- data frames (plugin_frame.c) ------------------------------------------------------------ */

typedef enum { FRAME_STRING, FRAME_NUMBER, FRAME_TIME } frame_type;
/* The encodings of pluginv2's DataFrameFormat, in its order. */
typedef enum { FRAME_ARROW, FRAME_JSON } frame_format;
typedef struct plugin_frame plugin_frame;

plugin_frame *plugin_frame_new(const char *name, const char *ref_id);
/* Adds a field (a column); returns its index. */
int plugin_frame_field(plugin_frame *f, const char *name, frame_type type, const char *unit);
void plugin_frame_str(plugin_frame *f, int field, const char *s);
/* NaN and infinities become null (JSON has no such numbers, and Grafana shows them as gaps). */
void plugin_frame_num(plugin_frame *f, int field, double v);
void plugin_frame_time(plugin_frame *f, int field, int64_t epoch_ms);
void plugin_frame_null(plugin_frame *f, int field);
/* The frame as an Arrow IPC file (FRAME_ARROW) or in the SDK's JSON encoding
 * ({"schema":...,"data":{"values":...}}, NUL-terminated); *len its size. Frees f. */
uint8_t *plugin_frame_finish(plugin_frame *f, frame_format format, size_t *len);

#endif
