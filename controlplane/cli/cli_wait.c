/* cli_wait.c: following one run or service until it ends (for --wait).
 *
 * Watch with replay tells every transition as it happens, including the ones that happened
 * before we asked, so a run that ended while the CLI was still connecting is not missed. Should
 * the stream break (aifbd restarting, a proxy timing out) the wait goes on by asking for the
 * record every 500 ms, which costs more but needs nothing from the stream. A daemon that is
 * briefly unreachable while polling is tolerated for a while, not forever. */
#include <string.h>
#include <time.h>

#include "cli.h"
#include "common/util.h"

#define CLI_POLL_MS              500
#define CLI_UNREACHABLE_GRACE_MS 30000

typedef struct wait_state {
    const cli_wait_spec *spec;
    char state[32];
    bool ended;
} wait_state;

static bool state_ends_wait(const cli_wait_spec *spec, const char *state)
{
    if (spec->is_service)
        return cli_service_state_is_final(state) ||
               (!spec->until_stopped && strcmp(state, "READY") == 0);
    return cli_run_state_is_final(state);
}

static void note_state(wait_state *w, const char *state)
{
    snprintf(w->state, sizeof w->state, "%s", state);
    cli_progress_set_state(state);
    if (state_ends_wait(w->spec, state))
        w->ended = true;
}

static bool wait_on_event(void *user, const ProtobufCMessage *msg)
{
    wait_state *w = user;
    const Aifb__V1__Event *ev = (const Aifb__V1__Event *)msg;
    int kind = w->spec->is_service ? AIFB__V1__EVENT_KIND__EVENT_KIND_SERVICE_STATE
                                   : AIFB__V1__EVENT_KIND__EVENT_KIND_RUN_STATE;
    if ((int)ev->kind != kind || strcmp(ev->subject_id, w->spec->id) != 0)
        return true;
    note_state(w, ev->to_state);
    return !w->ended;
}

/* The current state by asking for the record. */
static aifb_code poll_state(cli_ctx *ctx, wait_state *w, aifb_err *err)
{
    ProtobufCMessage *reply;
    aifb_code rc;
    if (w->spec->is_service) {
        Aifb__V1__GetServiceRequest req = AIFB__V1__GET_SERVICE_REQUEST__INIT;
        req.id = (char *)w->spec->id;
        rc = cli_call(ctx, "GetService", &req.base, &aifb__v1__service__descriptor, &reply, err);
        if (rc == AIFB_OK)
            note_state(w, cli_service_state_name(((Aifb__V1__Service *)reply)->state));
    } else {
        Aifb__V1__GetRunRequest req = AIFB__V1__GET_RUN_REQUEST__INIT;
        req.id = (char *)w->spec->id;
        rc = cli_call(ctx, "GetRun", &req.base, &aifb__v1__run__descriptor, &reply, err);
        if (rc == AIFB_OK)
            note_state(w, cli_run_state_name(((Aifb__V1__Run *)reply)->state));
    }
    if (reply)
        protobuf_c_message_free_unpacked(reply, NULL);
    return rc;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static aifb_code timed_out(const wait_state *w, aifb_err *err)
{
    char d[32];
    return aifb_err_set(err, AIFB_ETIMEOUT, "gave up waiting after %s; %s is still %s",
                        cli_duration_text(w->spec->timeout_ms, d, sizeof d), w->spec->id, w->state);
}

static aifb_code poll_until_end(cli_ctx *ctx, wait_state *w, int64_t deadline, aifb_err *err)
{
    int64_t unreachable_since = 0;
    for (;;) {
        aifb_code rc = poll_state(ctx, w, err);
        if (rc == AIFB_OK) {
            unreachable_since = 0;
            if (w->ended)
                return AIFB_OK;
        } else if (rc == AIFB_EUNAVAILABLE) {
            int64_t now = aifb_mono_ms();
            if (!unreachable_since)
                unreachable_since = now;
            else if (now - unreachable_since > CLI_UNREACHABLE_GRACE_MS)
                return rc;
        } else {
            return rc;
        }
        if (deadline && aifb_mono_ms() >= deadline)
            return timed_out(w, err);
        sleep_ms(CLI_POLL_MS);
    }
}

static aifb_code wait_for_end(cli_ctx *ctx, wait_state *w, aifb_err *err)
{
    const cli_wait_spec *spec = w->spec;
    int64_t deadline = spec->timeout_ms > 0 ? aifb_mono_ms() + spec->timeout_ms : 0;
    Aifb__V1__WatchRequest req = AIFB__V1__WATCH_REQUEST__INIT;
    req.subject_id = (char *)spec->id;
    req.replay = 1;
    aifb_err stream_err = {0};
    cli_stream(ctx, "Watch", &req.base, &aifb__v1__event__descriptor, wait_on_event, w,
               (int)(spec->timeout_ms > 0 ? spec->timeout_ms : 0), &stream_err);
    if (w->ended)
        return AIFB_OK;
    if (deadline && aifb_mono_ms() >= deadline)
        return timed_out(w, err);
    /* The stream broke or ended early: the record itself still tells how the story ends. */
    return poll_until_end(ctx, w, deadline, err);
}

aifb_code cli_wait(cli_ctx *ctx, const cli_wait_spec *spec, char *final_state, size_t size,
                   aifb_err *err)
{
    wait_state w = {.spec = spec};
    snprintf(w.state, sizeof w.state, "%s", spec->start_state ? spec->start_state : "PENDING");
    cli_progress_start(ctx, spec->id, spec->recipe, spec->since_ms);
    cli_progress_set_state(w.state);
    aifb_code rc = state_ends_wait(spec, w.state) ? AIFB_OK : wait_for_end(ctx, &w, err);
    cli_progress_stop();
    snprintf(final_state, size, "%s", w.state);
    return rc;
}
