/* cmd_run_follow.c: the parts of `aifb run` that follow a stream: watch (Watch), logs
 * (ReadLogs), and following one run to its end for --wait (cli_follow_run), with how an ended
 * run is reported. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "common/util.h"

#define CLI_RECONNECT_GRACE_MS 30000

/* ---- an ended run ------------------------------------------------------------------------------
 */

int cli_run_exit_status(const Aifb__V1__Run *run)
{
    if (run->state == AIFB__V1__RUN_STATE__RUN_STATE_SUCCEEDED)
        return CLI_EXIT_OK;
    if (run->state == AIFB__V1__RUN_STATE__RUN_STATE_FAILED)
        return CLI_EXIT_FAILED;
    return CLI_EXIT_OTHER;
}

void cli_print_run_end(cli_ctx *ctx, const Aifb__V1__Run *run)
{
    if (ctx->output == CLI_OUT_JSON) {
        cli_print_json(&run->base);
        return;
    }
    char took[32];
    int64_t end = run->ended_at_ms ? run->ended_at_ms : aifb_now_ms();
    printf("%s %s in %s (%s)\n", run->id, cli_run_state_name(run->state),
           cli_duration_text(end - run->created_at_ms, took, sizeof took), run->recipe);
    if (run->reason[0])
        printf("reason: %s\n", run->reason);
    cli_print_metrics(run->summary, run->n_summary, stdout);
}

int cli_follow_run(cli_ctx *ctx, const Aifb__V1__Run *run, int64_t timeout_ms,
                   Aifb__V1__Run **final)
{
    *final = NULL;
    cli_wait_spec spec = {
        .id = run->id,
        .recipe = run->recipe,
        .since_ms = run->created_at_ms,
        .timeout_ms = timeout_ms,
        .start_state = cli_run_state_name(run->state),
    };
    char state[32];
    aifb_err err = {0};
    aifb_code rc = cli_wait(ctx, &spec, state, sizeof state, &err);
    if (rc == AIFB_ETIMEOUT) {
        cli_fail_msg(ctx, "%s (stop it with `aifb run stop %s`)", err.msg, run->id);
        return CLI_EXIT_OTHER;
    }
    if (rc != AIFB_OK)
        return cli_fail(ctx, &err);
    Aifb__V1__GetRunRequest req = AIFB__V1__GET_RUN_REQUEST__INIT;
    req.id = run->id;
    ProtobufCMessage *reply;
    if (cli_call(ctx, "GetRun", &req.base, &aifb__v1__run__descriptor, &reply, &err) != AIFB_OK)
        return cli_fail(ctx, &err);
    *final = (Aifb__V1__Run *)reply;
    return CLI_CONTINUE;
}

/* ---- run watch ---------------------------------------------------------------------------------
 */

typedef struct watch_state {
    cli_ctx *ctx;
    const char *id;    /* NULL: every subject */
    uint64_t from_seq; /* --from: events up to this one are not printed */
    uint64_t last_seq; /* the newest event received, where a reconnect resumes */
    bool ended;
    int events;
} watch_state;

static void print_event_line(const Aifb__V1__Event *ev)
{
    char when[40];
    printf("%s  #%-5llu %-14s  %-9s -> %-9s  %s%s%s\n",
           cli_time_text(ev->time_ms, when, sizeof when), (unsigned long long)ev->seq,
           ev->subject_id, ev->from_state[0] ? ev->from_state : "-", ev->to_state, ev->recipe,
           ev->reason[0] ? "  " : "", ev->reason);
    fflush(stdout);
}

static bool watch_on_event(void *user, const ProtobufCMessage *msg)
{
    watch_state *w = user;
    const Aifb__V1__Event *ev = (const Aifb__V1__Event *)msg;
    if (ev->seq > w->last_seq)
        w->last_seq = ev->seq;
    w->events++;
    cli_progress_hide();
    /* Replayed history up to --from is not shown, but it still tells whether the run ended. */
    bool shown = ev->seq > w->from_seq;
    if (shown && w->ctx->output == CLI_OUT_JSON)
        cli_print_json_line(msg);
    else if (shown)
        print_event_line(ev);
    if (w->id && strcmp(ev->subject_id, w->id) == 0 &&
        ev->kind == AIFB__V1__EVENT_KIND__EVENT_KIND_RUN_STATE) {
        cli_progress_set_state(ev->to_state);
        w->ended = cli_run_state_is_final(ev->to_state);
    }
    cli_progress_show();
    return !w->ended;
}

/* Watches until the run ends (with an id) or forever, reconnecting from the last event seen when
 * the stream breaks after it worked. With an id the run's whole history is always replayed and
 * --from only hides its start: a run that ended before the watch began still shows its final
 * event, so the watch ends instead of waiting for events that will never come. Without an id
 * there is no history to replay and the stream starts after --from itself. */
static int watch_stream(cli_ctx *ctx, watch_state *w)
{
    int64_t broken_since = 0;
    bool first = true;
    w->last_seq = w->id ? 0 : w->from_seq;
    for (;;) {
        Aifb__V1__WatchRequest req = AIFB__V1__WATCH_REQUEST__INIT;
        req.subject_id = (char *)(w->id ? w->id : "");
        req.after_seq = w->last_seq;
        req.replay = w->id != NULL;
        int before = w->events;
        aifb_err err = {0};
        aifb_code rc = cli_stream(ctx, "Watch", &req.base, &aifb__v1__event__descriptor,
                                  watch_on_event, w, 0, &err);
        if (w->ended)
            return CLI_EXIT_OK;
        bool worked = rc == AIFB_OK || w->events > before;
        if (worked)
            broken_since = 0;
        else if (first || rc != AIFB_EUNAVAILABLE)
            return cli_progress_stop(), cli_fail(ctx, &err);
        else if (!broken_since)
            broken_since = aifb_mono_ms();
        else if (aifb_mono_ms() - broken_since > CLI_RECONNECT_GRACE_MS)
            return cli_progress_stop(), cli_fail(ctx, &err);
        first = false;
        struct timespec pause = {.tv_sec = 1};
        nanosleep(&pause, NULL);
    }
}

int cli_cmd_run_watch(cli_ctx *ctx, int argc, char **argv)
{
    static const cli_opt opts[] = {{"from", 0, true}, {NULL, 0, false}};
    watch_state w = {.ctx = ctx};
    long from = 0;
    cli_args a;
    cli_args_init(&a, argc, argv);
    const char *v;
    int r;
    while ((r = cli_next_arg(ctx, &a, opts, &v)) != CLI_ARG_END) {
        if (r == CLI_ARG_POSITIONAL && w.id)
            return cli_extra_arg(ctx, v);
        if (r == CLI_ARG_POSITIONAL)
            w.id = v;
        else if (r == 0 && !cli_parse_long(ctx, "--from", v, 0, LONG_MAX, &from))
            return CLI_EXIT_USAGE;
        else if (r < 0)
            return cli_args_stop(ctx, r);
    }
    cli_set_what(ctx, "run watch%s%s", w.id ? " " : "", w.id ? w.id : "");
    if (w.id) {
        /* Asking first turns a mistyped id into NOT_FOUND instead of a silent, endless watch. */
        Aifb__V1__GetRunRequest req = AIFB__V1__GET_RUN_REQUEST__INIT;
        req.id = (char *)w.id;
        ProtobufCMessage *reply;
        aifb_err err = {0};
        if (cli_call(ctx, "GetRun", &req.base, &aifb__v1__run__descriptor, &reply, &err) != AIFB_OK)
            return cli_fail(ctx, &err);
        const Aifb__V1__Run *run = (const Aifb__V1__Run *)reply;
        cli_progress_start(ctx, run->id, run->recipe, run->created_at_ms);
        cli_progress_set_state(cli_run_state_name(run->state));
        protobuf_c_message_free_unpacked(reply, NULL);
    }
    w.from_seq = (uint64_t)from;
    int rc = watch_stream(ctx, &w);
    cli_progress_stop();
    return rc;
}

/* ---- run logs ----------------------------------------------------------------------------------
 */

static bool logs_on_chunk(void *user, const ProtobufCMessage *msg)
{
    cli_ctx *ctx = user;
    const Aifb__V1__LogChunk *chunk = (const Aifb__V1__LogChunk *)msg;
    if (ctx->output == CLI_OUT_JSON)
        cli_print_json_line(msg);
    else if (chunk->data.len) {
        fwrite(chunk->data.data, 1, chunk->data.len, stdout);
        fflush(stdout);
    }
    return true;
}

static bool valid_stream(const char *s)
{
    static const char *const names[] = {"client.out", "client.err", "service.out", "service.err"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i]) == 0)
            return true;
    return false;
}

int cli_cmd_run_logs(cli_ctx *ctx, int argc, char **argv)
{
    static const cli_opt opts[] = {{"stream", 0, true}, {"follow", 'f', false}, {NULL, 0, false}};
    Aifb__V1__ReadLogsRequest req = AIFB__V1__READ_LOGS_REQUEST__INIT;
    cli_args a;
    cli_args_init(&a, argc, argv);
    const char *v;
    int r;
    while ((r = cli_next_arg(ctx, &a, opts, &v)) != CLI_ARG_END) {
        if (r == CLI_ARG_POSITIONAL && req.id[0])
            return cli_extra_arg(ctx, v);
        if (r == CLI_ARG_POSITIONAL)
            req.id = (char *)v;
        else if (r == 0 && !valid_stream(v))
            return cli_usage_error(ctx,
                                   "--stream expects client.out, client.err, service.out or "
                                   "service.err, got '%s'",
                                   v);
        else if (r == 0)
            req.stream = (char *)v;
        else if (r == 1)
            req.follow = 1;
        else
            return cli_args_stop(ctx, r);
    }
    if (!req.id[0])
        return cli_usage_error(ctx, "missing the run ID");
    cli_set_what(ctx, "run logs %s", req.id);
    aifb_err err = {0};
    if (cli_stream(ctx, "ReadLogs", &req.base, &aifb__v1__log_chunk__descriptor, logs_on_chunk, ctx,
                   0, &err) != AIFB_OK)
        return cli_fail(ctx, &err);
    return CLI_EXIT_OK;
}
