/* rpc_health.c: grpc.health.v1.Health served from a small table of service statuses.
 *
 * The table (service name -> status) is the one piece of server state changed from any thread
 * (rpc_health_set), so it sits behind the server's health mutex. Check reads it once. Watch is an
 * ordinary pulled server stream: next() compares the current status with the last one sent and
 * either sends the new one or waits, so a change reaches every watcher within one poll interval
 * without any notification machinery. */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "grpc/health/v1/health.pb-c.h"
#include "rpc/rpc_internal.h"

#define HEALTH_SERVING     GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING
#define HEALTH_NOT_SERVING GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING
#define HEALTH_SERVICE_UNKNOWN                                                                     \
    GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVICE_UNKNOWN

/* Caller holds health_mu. */
static rpc_health_entry *health_find(rpc_server *s, const char *service)
{
    for (size_t i = 0; i < s->health_n; i++)
        if (strcmp(s->health[i].service, service) == 0)
            return &s->health[i];
    return NULL;
}

int rpc_health_get(rpc_server *s, const char *service)
{
    pthread_mutex_lock(&s->health_mu);
    rpc_health_entry *e = health_find(s, service ? service : "");
    int status = e ? e->status : 0;
    pthread_mutex_unlock(&s->health_mu);
    return status;
}

void rpc_health_set(rpc_server *s, const char *service, int status)
{
    if (!service)
        service = "";
    pthread_mutex_lock(&s->health_mu);
    rpc_health_entry *e = health_find(s, service);
    if (!e) {
        s->health = xrealloc(s->health, (s->health_n + 1) * sizeof *s->health);
        e = &s->health[s->health_n++];
        e->service = xstrdup(service);
    }
    e->status = status;
    pthread_mutex_unlock(&s->health_mu);
}

void rpc_health_all_not_serving(rpc_server *s)
{
    pthread_mutex_lock(&s->health_mu);
    for (size_t i = 0; i < s->health_n; i++)
        s->health[i].status = HEALTH_NOT_SERVING;
    pthread_mutex_unlock(&s->health_mu);
}

void rpc_health_free(rpc_server *s)
{
    for (size_t i = 0; i < s->health_n; i++)
        free(s->health[i].service);
    free(s->health);
    s->health = NULL;
    s->health_n = 0;
}

static ProtobufCMessage *health_response(int status)
{
    Grpc__Health__V1__HealthCheckResponse *r = xmalloc(sizeof *r);
    grpc__health__v1__health_check_response__init(r);
    r->status = (Grpc__Health__V1__HealthCheckResponse__ServingStatus)status;
    return &r->base;
}

static aifb_code health_check(rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **reply,
                              aifb_err *err)
{
    const Grpc__Health__V1__HealthCheckRequest *r = (const void *)req;
    int status = rpc_health_get(ctx->server, r->service);
    if (status == 0)
        return aifb_err_set(err, AIFB_ENOTFOUND, "unknown service '%s'", r->service);
    *reply = health_response(status);
    return AIFB_OK;
}

typedef struct health_watch {
    char *service;
    int last_sent; /* -1 before the first message */
} health_watch;

static aifb_code watch_open(rpc_ctx *ctx, const ProtobufCMessage *req, void **state, aifb_err *err)
{
    (void)ctx;
    (void)err;
    const Grpc__Health__V1__HealthCheckRequest *r = (const void *)req;
    health_watch *w = xmalloc(sizeof *w);
    w->service = xstrdup(r->service);
    w->last_sent = -1;
    *state = w;
    return AIFB_OK;
}

static rpc_next watch_next(rpc_ctx *ctx, void *state, ProtobufCMessage **msg, aifb_err *err)
{
    (void)err;
    health_watch *w = state;
    int status = rpc_health_get(ctx->server, w->service);
    if (status == 0)
        status = HEALTH_SERVICE_UNKNOWN;
    if (status == w->last_sent)
        return RPC_NEXT_WAIT;
    w->last_sent = status;
    *msg = health_response(status);
    return RPC_NEXT_MSG;
}

static void watch_close(rpc_ctx *ctx, void *state)
{
    (void)ctx;
    health_watch *w = state;
    free(w->service);
    free(w);
}

static const rpc_stream_ops health_watch_ops = {watch_open, watch_next, watch_close};

static const rpc_method health_methods[] = {
    {.path = "/grpc.health.v1.Health/Check",
     .kind = RPC_UNARY,
     .request = &grpc__health__v1__health_check_request__descriptor,
     .response = &grpc__health__v1__health_check_response__descriptor,
     .unary = health_check},
    {.path = "/grpc.health.v1.Health/Watch",
     .kind = RPC_SERVER_STREAM,
     .request = &grpc__health__v1__health_check_request__descriptor,
     .response = &grpc__health__v1__health_check_response__descriptor,
     .stream = &health_watch_ops},
};

void rpc_health_register(rpc_server *s)
{
    if (!s->health_registered) {
        rpc_server_add(s, health_methods, sizeof health_methods / sizeof health_methods[0]);
        s->health_registered = true;
    }
    rpc_health_set(s, "", HEALTH_SERVING);
}
