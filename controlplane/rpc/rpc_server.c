/* rpc_server.c: the life of a server: configuration, the method table, the listener, the worker
 * threads and the orderly stop.
 *
 * Each worker thread owns one completion queue and loops on grpc_completion_queue_next. Its
 * deadline is the wake time of the oldest waiting stream (the C API has no timer), so idle
 * servers sleep and waiting streams are pulled on time. What happens to a call once gRPC hands
 * it over lives in rpc_call.c.
 *
 * Stop follows the order gRPC needs: health NOT_SERVING, shutdown_and_notify with the grace as
 * deadline, cancel_all_calls if the grace runs out, then shut the worker queues down, join the
 * workers and destroy the server. */
#include <grpc/grpc_security.h>
#include <grpc/support/time.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "rpc/rpc_internal.h"

#define RPC_DEFAULT_WORKERS 2
#define RPC_MAX_WORKERS     64
#define RPC_DEFAULT_POLL_MS 20

static aifb_code server_config_check(const rpc_server_config *cfg, aifb_err *err)
{
    if (!cfg || !cfg->listen || !cfg->listen[0])
        return aifb_err_set(err, AIFB_EINVAL, "the server needs a listen address");
    if (cfg->workers < 0 || cfg->workers > RPC_MAX_WORKERS)
        return aifb_err_set(err, AIFB_EINVAL, "workers %d is outside 0..%d", cfg->workers,
                            RPC_MAX_WORKERS);
    if (cfg->stream_poll_ms < 0)
        return aifb_err_set(err, AIFB_EINVAL, "stream_poll_ms %d is negative", cfg->stream_poll_ms);
    return AIFB_OK;
}

aifb_code rpc_server_new(const rpc_server_config *cfg, rpc_server **out, aifb_err *err)
{
    *out = NULL;
    aifb_code rc = server_config_check(cfg, err);
    if (rc != AIFB_OK)
        return rc;
    rpc_server *s = xcalloc(1, sizeof *s);
    s->listen = xstrdup(cfg->listen);
    s->n_workers = cfg->workers ? cfg->workers : RPC_DEFAULT_WORKERS;
    s->stream_poll_ms = cfg->stream_poll_ms ? cfg->stream_poll_ms : RPC_DEFAULT_POLL_MS;
    s->app = cfg->app;
    if (cfg->bearer_token && cfg->bearer_token[0]) {
        abuf b = {0};
        abuf_printf(&b, "Bearer %s", cfg->bearer_token);
        s->expected_auth = abuf_take(&b);
    }
    s->is_unix = strncmp(cfg->listen, "unix:", 5) == 0;
    atomic_init(&s->stopping, false);
    atomic_init(&s->live_calls, 0);
    pthread_mutex_init(&s->health_mu, NULL);
    pthread_mutex_init(&s->calls_mu, NULL);
    pthread_cond_init(&s->calls_done, NULL);
    /* gRPC counts its initialisations, so a server works whether or not rpc_init() ran. */
    grpc_init();
    *out = s;
    return AIFB_OK;
}

void rpc_server_add(rpc_server *s, const rpc_method *methods, size_t n)
{
    if (s->started) {
        log_error("rpc: methods added after the server started are ignored (first: %s)",
                  n ? methods[0].path : "none");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (s->table_n == s->table_cap) {
            s->table_cap = s->table_cap ? 2 * s->table_cap : 16;
            s->table = xrealloc(s->table, s->table_cap * sizeof *s->table);
        }
        s->table[s->table_n++] = (rpc_table_row){&methods[i], strlen(methods[i].path)};
    }
}

static int path_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c != 0)
        return c;
    return (alen > blen) - (alen < blen);
}

static int row_cmp(const void *a, const void *b)
{
    const rpc_table_row *x = a, *y = b;
    return path_cmp(x->method->path, x->path_len, y->method->path, y->path_len);
}

typedef struct path_key {
    const char *p;
    size_t len;
} path_key;

static int key_row_cmp(const void *k, const void *r)
{
    const path_key *key = k;
    const rpc_table_row *row = r;
    return path_cmp(key->p, key->len, row->method->path, row->path_len);
}

const rpc_method *rpc_server_find(const rpc_server *s, const char *path, size_t len)
{
    path_key key = {path, len};
    const rpc_table_row *row = bsearch(&key, s->table, s->table_n, sizeof *s->table, key_row_cmp);
    return row ? row->method : NULL;
}

bool rpc_server_has_prefix(const rpc_server *s, const char *prefix)
{
    size_t n = strlen(prefix);
    for (size_t i = 0; i < s->table_n; i++)
        if (s->table[i].path_len > n && memcmp(s->table[i].method->path, prefix, n) == 0)
            return true;
    return false;
}

/* A later row with the same path would never be found by bsearch; say so instead of guessing. */
static aifb_code table_check_duplicates(const rpc_server *s, aifb_err *err)
{
    for (size_t i = 1; i < s->table_n; i++)
        if (row_cmp(&s->table[i - 1], &s->table[i]) == 0)
            return aifb_err_set(err, AIFB_EINVAL, "method %s is in the table twice",
                                s->table[i].method->path);
    return AIFB_OK;
}

static void *worker_main(void *arg)
{
    rpc_worker *w = arg;
    for (;;) {
        gpr_timespec deadline = gpr_inf_future(GPR_CLOCK_MONOTONIC);
        if (w->wait_head) {
            int64_t left = w->wait_head->wake_ms - aifb_mono_ms();
            deadline = gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                                    gpr_time_from_millis(left > 0 ? left : 0, GPR_TIMESPAN));
        }
        grpc_event ev = grpc_completion_queue_next(w->cq, deadline, NULL);
        if (ev.type == GRPC_QUEUE_SHUTDOWN)
            break;
        if (ev.type == GRPC_OP_COMPLETE)
            rpc_call_on_event(ev.tag, ev.success != 0);
        if (w->wait_head)
            rpc_call_wake_due(w, aifb_mono_ms());
    }
    return NULL;
}

static void queue_drain_destroy(grpc_completion_queue *cq)
{
    grpc_completion_queue_shutdown(cq);
    while (grpc_completion_queue_next(cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL).type !=
           GRPC_QUEUE_SHUTDOWN) {
    }
    grpc_completion_queue_destroy(cq);
}

/* Undoes a start that failed before the workers ran. */
static void server_unwind(rpc_server *s)
{
    grpc_completion_queue *cq = grpc_completion_queue_create_for_pluck(NULL);
    grpc_server_shutdown_and_notify(s->grpc, cq, s);
    grpc_server_cancel_all_calls(s->grpc);
    grpc_completion_queue_pluck(cq, s, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
    grpc_completion_queue_shutdown(cq);
    grpc_completion_queue_pluck(cq, NULL, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
    grpc_completion_queue_destroy(cq);
    grpc_server_destroy(s->grpc);
    s->grpc = NULL;
    for (int i = 0; i < s->n_workers; i++)
        queue_drain_destroy(s->workers[i].cq);
    free(s->workers);
    s->workers = NULL;
}

static aifb_code server_bind(rpc_server *s, aifb_err *err)
{
    grpc_server_credentials *creds = grpc_insecure_server_credentials_create();
    int port = grpc_server_add_http2_port(s->grpc, s->listen, creds);
    grpc_server_credentials_release(creds);
    if (port == 0)
        return aifb_err_set(err, AIFB_EUNAVAILABLE,
                            "cannot listen on %s: the address is in use, not valid, or not "
                            "permitted",
                            s->listen);
    s->port = s->is_unix ? 0 : port;
    return AIFB_OK;
}

aifb_code rpc_server_start(rpc_server *s, aifb_err *err)
{
    if (s->started)
        return aifb_err_set(err, AIFB_EPRECONDITION, "the server on %s is already started",
                            s->listen);
    qsort(s->table, s->table_n, sizeof *s->table, row_cmp);
    aifb_code rc = table_check_duplicates(s, err);
    if (rc != AIFB_OK)
        return rc;
    /* Without this, Linux lets a second server bind the same port and share its traffic. */
    grpc_arg no_reuse = {
        .type = GRPC_ARG_INTEGER, .key = (char *)GRPC_ARG_ALLOW_REUSEPORT, .value.integer = 0};
    grpc_channel_args args = {.num_args = 1, .args = &no_reuse};
    s->grpc = grpc_server_create(&args, NULL);
    s->workers = xcalloc((size_t)s->n_workers, sizeof *s->workers);
    for (int i = 0; i < s->n_workers; i++) {
        s->workers[i].server = s;
        s->workers[i].cq = grpc_completion_queue_create_for_next(NULL);
        grpc_server_register_completion_queue(s->grpc, s->workers[i].cq, NULL);
    }
    rc = server_bind(s, err);
    if (rc != AIFB_OK) {
        server_unwind(s);
        return rc;
    }
    grpc_server_start(s->grpc);
    s->started = true;
    /* Requests are posted here, before any worker runs, so none can race a stop's queue
     * shutdown; afterwards only workers post, each replacing a call it was handed. */
    for (int i = 0; i < s->n_workers; i++)
        for (int k = 0; k < RPC_REQUESTS_PER_WORKER; k++)
            rpc_call_request(&s->workers[i]);
    for (int i = 0; i < s->n_workers; i++)
        pthread_create(&s->workers[i].thread, NULL, worker_main, &s->workers[i]);
    return AIFB_OK;
}

int rpc_server_port(const rpc_server *s)
{
    return s->port;
}

/* Waits for gRPC to report every call done, cancelling what is left when the grace runs out. */
static void server_shutdown_calls(rpc_server *s, int grace_ms)
{
    grpc_completion_queue *cq = grpc_completion_queue_create_for_pluck(NULL);
    grpc_server_shutdown_and_notify(s->grpc, cq, s);
    gpr_timespec grace =
        gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                     gpr_time_from_millis(grace_ms > 0 ? grace_ms : 0, GPR_TIMESPAN));
    grpc_event ev = grpc_completion_queue_pluck(cq, s, grace, NULL);
    if (ev.type != GRPC_OP_COMPLETE) {
        grpc_server_cancel_all_calls(s->grpc);
        grpc_completion_queue_pluck(cq, s, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
    }
    grpc_completion_queue_shutdown(cq);
    grpc_completion_queue_pluck(cq, NULL, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
    grpc_completion_queue_destroy(cq);
    /* The notification says the connections are gone, not that the workers are done with
     * their calls: wait for every call slot to be freed, so no batch can reach a queue after
     * it was shut down. Cancelling again reaches calls matched just before the end. */
    grpc_server_cancel_all_calls(s->grpc);
    pthread_mutex_lock(&s->calls_mu);
    while (atomic_load(&s->live_calls) != 0)
        pthread_cond_wait(&s->calls_done, &s->calls_mu);
    pthread_mutex_unlock(&s->calls_mu);
}

void rpc_server_stop(rpc_server *s, int grace_ms)
{
    if (!s || !s->started || s->stopped)
        return;
    s->stopped = true;
    rpc_health_all_not_serving(s);
    atomic_store(&s->stopping, true);
    server_shutdown_calls(s, grace_ms);
    for (int i = 0; i < s->n_workers; i++)
        grpc_completion_queue_shutdown(s->workers[i].cq);
    for (int i = 0; i < s->n_workers; i++)
        pthread_join(s->workers[i].thread, NULL);
    grpc_server_destroy(s->grpc);
    s->grpc = NULL;
    for (int i = 0; i < s->n_workers; i++)
        grpc_completion_queue_destroy(s->workers[i].cq);
}

void rpc_server_free(rpc_server *s)
{
    if (!s)
        return;
    rpc_server_stop(s, 0);
    free(s->workers);
    free(s->table);
    free(s->listen);
    free(s->expected_auth);
    rpc_health_free(s);
    rpc_reflection_free(s->reflection);
    pthread_mutex_destroy(&s->health_mu);
    pthread_mutex_destroy(&s->calls_mu);
    pthread_cond_destroy(&s->calls_done);
    free(s);
    grpc_shutdown();
}
