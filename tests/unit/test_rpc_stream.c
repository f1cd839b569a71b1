/* test_rpc_stream.c: server streams as a subscriber sees them: messages in order, messages that
 * appear later, errors, cancellation by the client, a server stopped under open streams, and
 * hundreds of subscribers at once.
 *
 * The test stream "/test.Events/Watch" takes an aifb.v1.WatchRequest; its subject_id picks a
 * behaviour ("count": after_seq events then END, "later": wait until released, "forever": wait
 * until cancelled, "flood": never wait, "open-fails", "end-fails") and every open() and close()
 * is counted, so the tests can check that close() comes exactly once. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "aifb/v1/controlplane.pb-c.h"
#include "common/util.h"
#include "rpc/rpc.h"

static rpc_server *srv;
static rpc_client *cli;
static char target[64];
static atomic_int opened, closed, released;

typedef struct events_state {
    char mode[16];
    uint64_t total, sent;
} events_state;

static aifb_code events_open(rpc_ctx *ctx, const ProtobufCMessage *req, void **state, aifb_err *err)
{
    (void)ctx;
    const Aifb__V1__WatchRequest *r = (const void *)req;
    if (strcmp(r->subject_id, "open-fails") == 0)
        return aifb_err_set(err, AIFB_EPRECONDITION, "subject '%s' cannot be watched",
                            r->subject_id);
    events_state *st = xcalloc(1, sizeof *st);
    snprintf(st->mode, sizeof st->mode, "%s", r->subject_id);
    st->total = r->after_seq;
    *state = st;
    atomic_fetch_add(&opened, 1);
    return AIFB_OK;
}

static ProtobufCMessage *event_seq(uint64_t seq)
{
    Aifb__V1__Event *ev = xmalloc(sizeof *ev);
    aifb__v1__event__init(ev);
    ev->seq = seq;
    return &ev->base;
}

static rpc_next events_next(rpc_ctx *ctx, void *state, ProtobufCMessage **msg, aifb_err *err)
{
    (void)ctx;
    events_state *st = state;
    bool has_more = st->sent < st->total;
    if (strcmp(st->mode, "forever") == 0 || (strcmp(st->mode, "later") == 0 && !released))
        return RPC_NEXT_WAIT;
    if (strcmp(st->mode, "flood") == 0)
        has_more = true;
    if (strcmp(st->mode, "end-fails") == 0 && !has_more) {
        aifb_err_set(err, AIFB_EABORTED, "the store went away after %llu events",
                     (unsigned long long)st->sent);
        return RPC_NEXT_END;
    }
    if (!has_more)
        return RPC_NEXT_END; /* err is clear: a normal end */
    *msg = event_seq(++st->sent);
    return RPC_NEXT_MSG;
}

static void events_close(rpc_ctx *ctx, void *state)
{
    (void)ctx;
    free(state);
    atomic_fetch_add(&closed, 1);
}

static const rpc_stream_ops events_ops = {events_open, events_next, events_close};

static const rpc_method events_methods[] = {
    {.path = "/test.Events/Watch",
     .kind = RPC_SERVER_STREAM,
     .request = &aifb__v1__watch_request__descriptor,
     .response = &aifb__v1__event__descriptor,
     .stream = &events_ops},
};

static void setup(void)
{
    rpc_init();
    rpc_server_config cfg = {.listen = "127.0.0.1:0", .stream_poll_ms = 5};
    aifb_err err = {0};
    cr_assert_eq(rpc_server_new(&cfg, &srv, &err), AIFB_OK, "%s", err.msg);
    rpc_server_add(srv, events_methods, 1);
    cr_assert_eq(rpc_server_start(srv, &err), AIFB_OK, "%s", err.msg);
    snprintf(target, sizeof target, "127.0.0.1:%d", rpc_server_port(srv));
    cr_assert_eq(rpc_client_new(target, NULL, &cli, &err), AIFB_OK, "%s", err.msg);
}

static void teardown(void)
{
    rpc_client_free(cli);
    rpc_server_stop(srv, 1000);
    rpc_server_free(srv);
    rpc_shutdown();
}

TestSuite(rpc_stream, .init = setup, .fini = teardown, .timeout = 60);

/* What a subscriber saw. */
typedef struct seen {
    uint64_t seqs[64];
    int n;
    int stop_after; /* on_msg declines after this many; 0: never */
    bool in_order;
} seen;

static bool collect(void *user, const ProtobufCMessage *msg)
{
    seen *s = user;
    const Aifb__V1__Event *ev = (const void *)msg;
    if (s->n < 64)
        s->seqs[s->n] = ev->seq;
    s->n++;
    if (ev->seq != (uint64_t)s->n)
        s->in_order = false;
    return !(s->stop_after && s->n >= s->stop_after);
}

static aifb_code watch(const char *mode, uint64_t n, seen *s, aifb_err *err)
{
    Aifb__V1__WatchRequest req = AIFB__V1__WATCH_REQUEST__INIT;
    req.subject_id = (char *)mode;
    req.after_seq = n;
    s->in_order = true;
    return rpc_client_stream(cli, "/test.Events/Watch", &req.base, &aifb__v1__event__descriptor,
                             collect, s, 30000, err);
}

/* Waits (without asserting on time) until the counter reaches want or ten seconds pass. */
static bool wait_for(atomic_int *counter, int want)
{
    for (int i = 0; i < 2000 && atomic_load(counter) < want; i++)
        nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
    return atomic_load(counter) >= want;
}

Test(rpc_stream, a_stream_delivers_its_messages_in_order_then_ends_ok_and_closes_once)
{
    seen s = {0};
    aifb_err err = {0};
    cr_assert_eq(watch("count", 25, &s, &err), AIFB_OK, "%s", err.msg);
    cr_assert_eq(s.n, 25);
    cr_assert(s.in_order);
    cr_assert(wait_for(&closed, 1));
    cr_assert_eq(atomic_load(&closed), 1);
}

Test(rpc_stream, a_stream_with_no_messages_ends_ok)
{
    seen s = {0};
    aifb_err err = {0};
    cr_assert_eq(watch("count", 0, &s, &err), AIFB_OK, "%s", err.msg);
    cr_assert_eq(s.n, 0);
}

static void *release_when_opened(void *arg)
{
    (void)arg;
    if (wait_for(&opened, 1)) {
        nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
        atomic_store(&released, 1);
    }
    return NULL;
}

Test(rpc_stream, a_waiting_stream_delivers_what_appears_later)
{
    pthread_t t;
    pthread_create(&t, NULL, release_when_opened, NULL);
    seen s = {0};
    aifb_err err = {0};
    cr_assert_eq(watch("later", 3, &s, &err), AIFB_OK, "%s", err.msg);
    pthread_join(t, NULL);
    cr_assert_eq(s.n, 3);
    cr_assert(s.in_order);
}

Test(rpc_stream, an_open_error_reaches_the_client_and_close_is_not_called)
{
    seen s = {0};
    aifb_err err = {0};
    cr_assert_eq(watch("open-fails", 3, &s, &err), AIFB_EPRECONDITION);
    cr_assert_str_eq(err.msg, "subject 'open-fails' cannot be watched");
    cr_assert_eq(s.n, 0);
    cr_assert_eq(atomic_load(&closed), 0);
}

Test(rpc_stream, an_error_at_the_end_arrives_after_the_messages_sent_before_it)
{
    seen s = {0};
    aifb_err err = {0};
    cr_assert_eq(watch("end-fails", 2, &s, &err), AIFB_EABORTED);
    cr_assert_eq(s.n, 2);
    cr_assert_str_eq(err.msg, "the store went away after 2 events");
}

Test(rpc_stream, a_client_that_stops_reading_cancels_the_stream_and_close_is_called)
{
    seen s = {.stop_after = 2};
    aifb_err err = {0};
    cr_assert_eq(watch("flood", 0, &s, &err), AIFB_OK, "%s", err.msg);
    cr_assert_eq(s.n, 2);
    cr_assert(wait_for(&closed, 1), "close() was not called after the client cancelled");
    cr_assert_eq(atomic_load(&closed), 1);
}

Test(rpc_stream, a_client_cancelling_a_waiting_stream_gets_close_called)
{
    /* "forever" waits; the client gives up when its deadline passes. */
    Aifb__V1__WatchRequest req = AIFB__V1__WATCH_REQUEST__INIT;
    req.subject_id = "forever";
    seen s = {0};
    aifb_err err = {0};
    aifb_code rc = rpc_client_stream(cli, "/test.Events/Watch", &req.base,
                                     &aifb__v1__event__descriptor, collect, &s, 200, &err);
    cr_assert_eq(rc, AIFB_ETIMEOUT, "%s", err.msg);
    cr_assert(wait_for(&closed, 1), "close() was not called after the deadline passed");
}

typedef struct subscriber {
    const char *mode;
    uint64_t n;
    seen s;
    aifb_code rc;
    aifb_err err;
} subscriber;

static void *subscribe(void *arg)
{
    subscriber *sub = arg;
    sub->rc = watch(sub->mode, sub->n, &sub->s, &sub->err);
    return NULL;
}

Test(rpc_stream, stopping_the_server_under_idle_streams_returns_and_closes_each_once)
{
    enum { N = 3 };
    pthread_t t[N];
    subscriber subs[N] = {{0}};
    for (int i = 0; i < N; i++) {
        subs[i].mode = "forever";
        pthread_create(&t[i], NULL, subscribe, &subs[i]);
    }
    cr_assert(wait_for(&opened, N));
    rpc_server_stop(srv, 5000);
    cr_assert_eq(atomic_load(&closed), N);
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        cr_assert_eq(subs[i].rc, AIFB_EUNAVAILABLE, "%s", subs[i].err.msg);
    }
}

Test(rpc_stream, stopping_the_server_under_busy_streams_cancels_them_after_the_grace)
{
    enum { N = 2 };
    pthread_t t[N];
    subscriber subs[N] = {{0}};
    for (int i = 0; i < N; i++) {
        subs[i].mode = "flood";
        pthread_create(&t[i], NULL, subscribe, &subs[i]);
    }
    cr_assert(wait_for(&opened, N));
    rpc_server_stop(srv, 100);
    cr_assert_eq(atomic_load(&closed), N);
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        cr_assert_neq(subs[i].rc, AIFB_OK);
        cr_assert_gt(subs[i].s.n, 0);
    }
}

Test(rpc_stream, two_hundred_subscribers_at_once_each_get_all_their_messages)
{
    enum { N = 200, EACH = 20 };
    static pthread_t t[N];
    static subscriber subs[N];
    for (int i = 0; i < N; i++) {
        subs[i] = (subscriber){.mode = "later", .n = EACH};
        pthread_create(&t[i], NULL, subscribe, &subs[i]);
    }
    /* Release only once every stream is open, so all of them wait together first. */
    cr_assert(wait_for(&opened, N));
    atomic_store(&released, 1);
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        cr_assert_eq(subs[i].rc, AIFB_OK, "subscriber %d: %s", i, subs[i].err.msg);
        cr_assert_eq(subs[i].s.n, EACH);
        cr_assert(subs[i].s.in_order);
    }
    cr_assert(wait_for(&closed, N));
}
