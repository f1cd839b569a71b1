/* route.c: from bytes on a connection to answered requests (see sim.h).
 *
 * conn_process_input() parses requests off the input buffer one at a time while the connection is
 * free to answer; each goes to its route. Quick answers (health, models, metrics, errors,
 * embeddings) are written at once and the loop goes on to the next pipelined request; a
 * generation request makes the connection busy until sched.c has answered it. Every request to
 * an API route first draws its injected faults from the server's fault RNG, in arrival order. */
#include "llmsim/sim.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

typedef enum route_id {
    R_HEALTH,
    R_MODELS,
    R_METRICS,
    R_VERSION,
    R_CHAT,
    R_COMPLETIONS,
    R_EMBEDDINGS,
} route_id;

static const struct route {
    const char *path;
    const char *method;
    route_id id;
} ROUTES[] = {
    {"/health", "GET", R_HEALTH},
    {"/v1/models", "GET", R_MODELS},
    {"/metrics", "GET", R_METRICS},
    {"/version", "GET", R_VERSION},
    {"/v1/chat/completions", "POST", R_CHAT},
    {"/v1/completions", "POST", R_COMPLETIONS},
    {"/v1/embeddings", "POST", R_EMBEDDINGS},
};

static sim_faults draw_faults(llmsim_server *s)
{
    const llmsim_opts *o = s->o;
    /* Every probability is drawn for every request, so enabling one fault does not shift the
     * draws of another. */
    double u[6];
    for (int i = 0; i < 6; i++)
        u[i] = rng_uniform(&s->faults);
    return (sim_faults){
        .hang = u[0] < o->hang_rate,
        .rate_limit = u[1] < o->rate_limit_rate,
        .error = u[2] < o->error_rate,
        .reset = u[3] < o->reset_rate,
        .malformed =
            u[4]<o->malformed_rate, .slow = o->slow_headers_ms> 0 && u[5] < o->slow_headers_rate,
    };
}

/* Hang, rate limit and error answer (or not) at once; true when one of them did. */
static bool inject_now(conn *c, const sim_faults *f)
{
    llmsim_server *s = c->srv;
    if (f->hang) {
        s->m.faults[FAULT_HANG]++;
        c->busy = true;
        c->g.state = GEN_HANG;
        return true;
    }
    if (f->rate_limit) {
        s->m.faults[FAULT_RATE_LIMIT]++;
        char h[64];
        snprintf(h, sizeof h, "Retry-After: %" PRIu64 "\r\n", s->o->retry_after_s);
        conn_error(c, 429, "rate limit reached (injected by --rate-limit-rate)", h);
        return true;
    }
    if (f->error) {
        s->m.faults[FAULT_ERROR]++;
        conn_error(c, (int)s->o->error_status, "internal error (injected by --error-rate)", NULL);
        return true;
    }
    return false;
}

static void bad_request(conn *c, int status, const char *msg)
{
    c->srv->m.bad_requests++;
    conn_error(c, status, msg, NULL);
}

static void generation(conn *c, sim_kind kind, const char *body, size_t len, int64_t now)
{
    llmsim_server *s = c->srv;
    sim_request q;
    aifb_err err = {0};
    int st = api_parse_generation(&s->api, kind, body, len, &q, &err);
    if (st) {
        bad_request(c, st, err.msg);
        return;
    }
    sim_faults f = draw_faults(s);
    if (!inject_now(c, &f))
        gen_start(c, &q, &f, now);
}

static void embeddings(conn *c, const char *body, size_t len, int64_t now)
{
    llmsim_server *s = c->srv;
    char id[48];
    snprintf(id, sizeof id, "embd-%016" PRIx64,
             (uint64_t)(++s->req_seq * 0x9e3779b97f4a7c15ULL ^ s->o->seed));
    abuf *reply = &c->g.reply;
    reply->len = 0;
    uint64_t words = 0;
    aifb_err err = {0};
    int st = api_embeddings(&s->api, body, len, id, (int64_t)time(NULL), reply, &words, &err);
    if (st) {
        abuf_free(reply);
        bad_request(c, st, err.msg);
        return;
    }
    s->m.prompt_tokens += words;
    sim_faults f = draw_faults(s);
    if (inject_now(c, &f) || f.reset) {
        abuf_free(reply);
        if (f.reset && !f.hang && !f.rate_limit && !f.error) {
            s->m.faults[FAULT_RESET]++;
            conn_reset(c);
        }
        return;
    }
    if (f.malformed) {
        s->m.faults[FAULT_MALFORMED]++;
        reply->len /= 2; /* a body cut in half is not JSON */
    }
    if (f.slow) {
        s->m.faults[FAULT_SLOW_HEADERS]++;
        gen_hold_reply(c, now);
        return;
    }
    conn_respond(c, 200, "application/json", reply->p, reply->len, NULL);
    abuf_free(reply);
}

static void simple(conn *c, route_id id)
{
    llmsim_server *s = c->srv;
    abuf *b = &s->scratch;
    b->len = 0;
    const char *ctype = "application/json";
    if (id == R_MODELS) {
        api_put_models(b, s->model_json, s->started_s);
    } else if (id == R_METRICS) {
        metrics_render(&s->m, s->o->model, s->running, s->waiting, b);
        ctype = "text/plain; version=0.0.4; charset=utf-8";
    } else if (id == R_VERSION) {
        abuf_puts(b, "{\"version\":\"" AIFB_VERSION "\"}");
    } else {
        ctype = NULL; /* /health: 200, empty, as vLLM answers it */
    }
    conn_respond(c, 200, ctype, b->p ? b->p : "", b->len, NULL);
}

static void dispatch(conn *c, const http_request *r, const char *body, int64_t now)
{
    const struct route *path_match = NULL;
    for (size_t i = 0; i < sizeof ROUTES / sizeof ROUTES[0]; i++) {
        if (strcmp(ROUTES[i].path, r->path))
            continue;
        path_match = &ROUTES[i];
        if (strcmp(ROUTES[i].method, r->method))
            continue;
        if (ROUTES[i].id == R_CHAT || ROUTES[i].id == R_COMPLETIONS)
            generation(c, ROUTES[i].id == R_CHAT ? SIM_CHAT : SIM_COMPLETION, body,
                       r->content_length, now);
        else if (ROUTES[i].id == R_EMBEDDINGS)
            embeddings(c, body, r->content_length, now);
        else
            simple(c, ROUTES[i].id);
        return;
    }
    char msg[HTTP_MAX_TARGET + 100], allow[32];
    if (path_match) {
        snprintf(msg, sizeof msg, "method %s is not allowed on %s (use %s)", r->method, r->path,
                 path_match->method);
        snprintf(allow, sizeof allow, "Allow: %s\r\n", path_match->method);
        c->srv->m.bad_requests++;
        conn_error(c, 405, msg, allow);
    } else {
        snprintf(msg, sizeof msg, "no route %s %s", r->method, r->path);
        bad_request(c, 404, msg);
    }
}

static void consume(conn *c, size_t n)
{
    c->in_off += n;
    if (c->in_off >= c->in_len)
        c->in_off = c->in_len = 0;
    http_parser_init(&c->hp);
    c->sent_continue = false;
}

void conn_process_input(conn *c, int64_t now)
{
    llmsim_server *s = c->srv;
    while (!c->dead && !c->busy && !c->close_after && !c->lingering &&
           c->out.len - c->out_off < OUT_HIGH && c->in_len > c->in_off) {
        http_error e;
        http_status st =
            http_parse(&c->hp, c->in + c->in_off, c->in_len - c->in_off, s->o->max_body_bytes, &e);
        if (st == HTTP_MORE) {
            if (c->hp.head_done && c->hp.req.expect_continue && !c->sent_continue &&
                c->hp.req.minor == 1) {
                abuf_puts(&c->out, "HTTP/1.1 100 Continue\r\n\r\n");
                c->sent_continue = true;
            }
            break;
        }
        if (st == HTTP_FAIL) {
            c->keep_alive = false;
            c->http10 = false;
            bad_request(c, e.status, e.msg);
            c->close_after = true;
            break;
        }
        http_request *r = &c->hp.req;
        c->keep_alive = r->keep_alive;
        c->http10 = r->minor == 0;
        size_t used = r->head_len + r->content_length;
        dispatch(c, r, c->in + c->in_off + r->head_len, now);
        consume(c, used);
        if (!c->busy && !c->keep_alive)
            c->close_after = true;
    }
    if (!c->dead)
        conn_flush(c);
}
