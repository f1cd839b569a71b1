/* sched.c: generation requests from arrival to their last byte (see sim.h).
 *
 * Timing model: a request enters the scheduler when it arrives (or when --slow-headers-ms has
 * held it). It is admitted at once while fewer than --max-num-seqs run, else it waits in a FIFO
 * queue. From admission A, the first token is due at F = A + TTFT (+ prefill per prompt token)
 * and token k at F + ITL_1 + ... + ITL_k: each due time is an absolute CLOCK_MONOTONIC time
 * computed from the previous due time, never from when the previous token was actually written,
 * so a late wakeup never delays the tokens after it. TTFT is drawn once per request and each ITL
 * once per token, from the request's own RNG. A streamed chunk is sent when its last token is
 * due: the first chunk carries the first token alone (so TTFT is exactly that), later ones
 * --tokens-per-chunk tokens. A request that is not streamed is answered when its last token is
 * due.
 *
 * Everything due is written at once: with zero delays a stream writes OUT_HIGH bytes of chunks
 * per wakeup, then steps aside for the other due streams; a stream whose socket is full stops
 * until EPOLLOUT instead of buffering without bound. */
#include "llmsim/sim.h"

#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Due times saturate here (146 years of CLOCK_MONOTONIC): absurd but accepted options (a day
 * between each of 100 million tokens) must not overflow. */
#define FAR_NS (INT64_MAX / 2)

static int64_t ms_to_ns(double ms)
{
    if (!(ms > 0))
        return 0;
    return ms * 1e6 >= (double)FAR_NS ? FAR_NS : (int64_t)llround(ms * 1e6);
}

static int64_t later(int64_t t, int64_t d)
{
    return d >= FAR_NS - t ? FAR_NS : t + d;
}

static double ns_to_s(int64_t ns)
{
    return (double)ns / 1e9;
}

static int64_t draw_ns(rng *r, const llmsim_delay *d)
{
    double ms = d->ms;
    switch (d->dist) {
    case LLMSIM_FIXED:
        break;
    case LLMSIM_NORMAL:
        ms = rng_normal(r, d->ms, d->stddev_ms);
        break;
    case LLMSIM_EXPONENTIAL:
        ms = d->ms > 0 ? rng_exponential(r, d->ms) : 0;
        break;
    case LLMSIM_LOGNORMAL:
        ms = rng_lognormal(r, d->ms, d->stddev_ms);
        break;
    }
    return ms_to_ns(ms); /* negative draws (normal) are 0 */
}

/* The time n more tokens take, drawn token by token. */
static int64_t itl_sum(llmsim_server *s, rng *r, uint64_t n)
{
    if (s->o->itl.dist == LLMSIM_FIXED)
        return s->itl_ns && n >= (uint64_t)(FAR_NS / s->itl_ns) ? FAR_NS : (int64_t)n * s->itl_ns;
    int64_t sum = 0;
    for (uint64_t i = 0; i < n; i++)
        sum = later(sum, draw_ns(r, &s->o->itl));
    return sum;
}

static void push(llmsim_server *s, gen *g, int64_t key)
{
    theap_push(&s->heap, &g->timer, key);
}

/* ---- admission ------------------------------------------------------------------------------ */

static void admit(gen *g, int64_t now)
{
    llmsim_server *s = g->c->srv;
    s->running++;
    g->state = GEN_RUNNING;
    metrics_observe(&s->m.queue, ns_to_s(now - g->ready));
    g->first_due = later(later(now, draw_ns(&g->r, &s->o->ttft)),
                         ms_to_ns(s->o->prefill_ms_per_token * (double)g->prompt_tokens));
    if (g->stream) {
        g->next_due = g->first_due;
        push(s, g, g->first_due);
        return;
    }
    g->itl_replay = g->r;
    g->done_due = later(g->first_due, itl_sum(s, &g->r, g->ntok - 1));
    /* An injected reset of an answer that is not streamed comes halfway through its time. */
    push(s, g, g->do_reset ? now + (g->done_due - now) / 2 : g->done_due);
}

static void admit_waiting(llmsim_server *s, int64_t now)
{
    while (s->qhead && s->running < s->o->max_num_seqs && !s->stopping) {
        gen *g = s->qhead;
        s->qhead = g->qnext;
        if (s->qhead)
            s->qhead->qprev = NULL;
        else
            s->qtail = NULL;
        g->qnext = g->qprev = NULL;
        s->waiting--;
        admit(g, now);
    }
}

static void enqueue(llmsim_server *s, gen *g)
{
    g->state = GEN_QUEUED;
    g->qprev = s->qtail;
    g->qnext = NULL;
    if (s->qtail)
        s->qtail->qnext = g;
    else
        s->qhead = g;
    s->qtail = g;
    s->waiting++;
}

/* Admits or queues the request; false when the queue is full (answered 503). */
static bool submit(gen *g, int64_t now)
{
    conn *c = g->c;
    llmsim_server *s = c->srv;
    g->ready = now;
    if (s->running >= s->o->max_num_seqs && s->waiting >= s->o->max_queue) {
        s->m.queue_full++;
        char msg[128];
        snprintf(msg, sizeof msg, "the server is full: %" PRIu64 " requests wait (--max-queue)",
                 s->waiting);
        g->state = GEN_IDLE;
        conn_error(c, 503, msg, "Retry-After: 1\r\n");
        return false;
    }
    if (g->stream) /* a streamed answer starts at once, as vLLM's does, even while queued */
        conn_head(c, 200, "text/event-stream; charset=utf-8", -1, "Cache-Control: no-cache\r\n");
    if (s->running < s->o->max_num_seqs)
        admit(g, now);
    else
        enqueue(s, g);
    return true;
}

void gen_start(conn *c, const sim_request *q, const sim_faults *f, int64_t now)
{
    llmsim_server *s = c->srv;
    const llmsim_opts *o = s->o;
    gen *g = &c->g;
    c->busy = true;
    g->kind = q->kind;
    g->stream = q->stream;
    g->include_usage = q->include_usage;
    g->prompt_tokens = q->prompt_tokens;
    g->ntok = q->max_tokens ? q->max_tokens : o->output_tokens;
    if (g->ntok > o->max_output_tokens)
        g->ntok = o->max_output_tokens;
    g->sent = 0;
    g->blocked = g->resetting = false;
    g->do_reset = f->reset;
    g->do_malformed = f->malformed;
    g->reset_at = g->malformed_at = (g->ntok + 1) / 2;
    g->arrival = g->last_emit = now;
    g->first_emit = 0;
    memcpy(g->req_id, c->hp.req.request_id, sizeof g->req_id);
    uint64_t seq = ++s->req_seq;
    rng_seed(&g->r, o->seed ^ (seq * 0x9e3779b97f4a7c15ULL));
    snprintf(g->id, sizeof g->id, "%s-%016" PRIx64, q->kind == SIM_CHAT ? "chatcmpl" : "cmpl",
             rng_next(&g->r));
    g->created = (int64_t)time(NULL);
    if (g->stream)
        sse_stream_init(&g->sse, g->kind, !c->http10, g->id, g->created, s->model_json);
    if (f->slow) {
        s->m.faults[FAULT_SLOW_HEADERS]++;
        g->state = GEN_HOLD;
        push(s, g, later(now, ms_to_ns(o->slow_headers_ms)));
        return;
    }
    if (!submit(g, now))
        c->busy = false;
}

void gen_hold_reply(conn *c, int64_t now)
{
    c->busy = true;
    c->g.state = GEN_REPLY;
    push(c->srv, &c->g, later(now, ms_to_ns(c->srv->o->slow_headers_ms)));
}

/* ---- the end of a request ------------------------------------------------------------------- */

/* --request-log: one JSON line per answered generation, what the simulator actually did. */
static void log_request(llmsim_server *s, const gen *g, int64_t now)
{
    int64_t first = g->first_emit ? g->first_emit : now;
    fprintf(s->request_log,
            "{\"id\":\"%s\",\"stream\":%s,\"tokens\":%" PRIu64 ",\"ttft_ms\":%.3f,"
            "\"e2e_ms\":%.3f}\n",
            g->req_id, g->stream ? "true" : "false", g->ntok, (double)(first - g->arrival) / 1e6,
            (double)(now - g->arrival) / 1e6);
}

static void done(gen *g, int64_t now)
{
    llmsim_server *s = g->c->srv;
    if (s->request_log)
        log_request(s, g, now);
    metrics_observe(&s->m.e2e, ns_to_s(now - g->arrival));
    s->m.success++;
    s->running--;
    g->state = GEN_IDLE;
    admit_waiting(s, now);
    conn_request_done(g->c, now);
}

static bool inject_reset(gen *g)
{
    g->c->srv->m.faults[FAULT_RESET]++;
    conn_reset(g->c);
    return true;
}

/* Not streamed: the whole answer, once its last token is due. */
static void answer_whole(gen *g, int64_t now)
{
    conn *c = g->c;
    llmsim_server *s = c->srv;
    if (g->do_reset) {
        inject_reset(g);
        return;
    }
    metrics_observe(&s->m.ttft, ns_to_s(g->first_due - g->arrival));
    if (s->o->itl.dist == LLMSIM_FIXED)
        metrics_observe_n(&s->m.itl, ns_to_s(s->itl_ns), g->ntok - 1);
    else
        for (uint64_t i = 1; i < g->ntok; i++)
            metrics_observe(&s->m.itl, ns_to_s(draw_ns(&g->itl_replay, &s->o->itl)));
    s->m.prompt_tokens += g->prompt_tokens;
    s->m.generation_tokens += g->ntok;
    abuf *b = &s->scratch;
    b->len = 0;
    api_put_completion(b, g->kind, g->id, g->created, s->model_json, g->ntok, g->prompt_tokens);
    if (g->do_malformed) {
        s->m.faults[FAULT_MALFORMED]++;
        b->len /= 2; /* a body cut in half is not JSON */
    }
    conn_respond(c, 200, "application/json", b->p, b->len, NULL);
    done(g, now);
}

/* The malformed line and the reset, when their point in the stream has come. True: reset. */
static bool stream_faults(gen *g)
{
    if (g->do_malformed && g->sent >= g->malformed_at) {
        g->c->srv->m.faults[FAULT_MALFORMED]++;
        sse_put_malformed(&g->c->out, &g->sse);
        g->do_malformed = false;
    }
    return g->do_reset && g->sent >= g->reset_at && inject_reset(g);
}

static void end_stream(gen *g, int64_t now)
{
    if (stream_faults(g))
        return;
    if (g->include_usage)
        sse_put_usage(&g->c->out, &g->sse, g->prompt_tokens, g->ntok);
    sse_put_done(&g->c->out, &g->sse);
    done(g, now);
}

/* ---- streaming ------------------------------------------------------------------------------ */

static void emit_chunk(gen *g, int64_t now)
{
    llmsim_server *s = g->c->srv;
    uint64_t k = s->o->tokens_per_chunk, left = g->ntok - g->sent;
    uint64_t n = g->sent == 0 ? 1 : (k < left ? k : left);
    bool first = g->sent == 0, last = n == left;
    sse_put_tokens(&g->c->out, &g->sse, n, first, last);
    if (first) {
        g->first_emit = now;
        metrics_observe(&s->m.ttft, ns_to_s(now - g->arrival));
        s->m.prompt_tokens += g->prompt_tokens;
    } else {
        metrics_observe(&s->m.itl, ns_to_s(now - g->last_emit));
    }
    s->m.generation_tokens += n;
    g->sent += n;
    g->last_emit = now;
    left -= n;
    if (left)
        g->next_due = later(g->next_due, itl_sum(s, &g->r, k < left ? k : left));
}

static void stream(gen *g, int64_t now)
{
    conn *c = g->c;
    while (g->sent < g->ntok && g->next_due <= now && c->out.len - c->out_off < OUT_HIGH) {
        if (stream_faults(g))
            return;
        emit_chunk(g, now);
    }
    if (g->sent == g->ntok) {
        end_stream(g, now);
        return;
    }
    conn_flush(c);
    if (c->dead)
        return;
    if (c->out_off < c->out.len)
        g->blocked = true; /* the socket is full: EPOLLOUT resumes */
    else
        push(c->srv, g, g->next_due > now ? g->next_due : now + 1);
}

/* ---- events --------------------------------------------------------------------------------- */

void gen_fire(gen *g, int64_t now)
{
    conn *c = g->c;
    switch (g->state) {
    case GEN_HOLD:
        if (!submit(g, now))
            conn_request_done(c, now);
        else
            conn_flush(c);
        break;
    case GEN_RUNNING:
        if (g->stream)
            stream(g, now);
        else
            answer_whole(g, now);
        break;
    case GEN_REPLY:
        g->state = GEN_IDLE;
        conn_respond(c, 200, "application/json", g->reply.p, g->reply.len, NULL);
        abuf_free(&g->reply);
        conn_request_done(c, now);
        break;
    case GEN_LINGER:
        conn_close(c);
        break;
    default:
        break;
    }
}

void gen_resume(gen *g, int64_t now)
{
    if (!g->blocked)
        return;
    g->blocked = false;
    push(g->c->srv, g, g->next_due > now ? g->next_due : now);
}

void gen_abort(gen *g, int64_t now)
{
    llmsim_server *s = g->c->srv;
    theap_remove(&s->heap, &g->timer);
    switch (g->state) {
    case GEN_QUEUED:
        if (g->qprev)
            g->qprev->qnext = g->qnext;
        else
            s->qhead = g->qnext;
        if (g->qnext)
            g->qnext->qprev = g->qprev;
        else
            s->qtail = g->qprev;
        g->qnext = g->qprev = NULL;
        s->waiting--;
        s->m.aborted++;
        break;
    case GEN_RUNNING:
        s->running--;
        if (!g->resetting)
            s->m.aborted++;
        admit_waiting(s, now);
        break;
    case GEN_HOLD:
    case GEN_REPLY:
        s->m.aborted++;
        break;
    default:
        break;
    }
    g->state = GEN_IDLE;
    g->blocked = false;
}
