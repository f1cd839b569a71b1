/* request.c: one request's life: a reusable curl handle with its options, the callbacks that
 * timestamp what arrives, and the verdict (completed, or failed with a class) added to the phase
 * that scheduled it. Handles are pooled so connections and buffers are reused. */
#include "loadgen/engine_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool on_event(void *ud, const char *event, const char *data, size_t len)
{
    lg_req *r = ud;
    (void)event;
    lg_chunk c;
    workload_read_event(r->e->o->workload, r->e->tok, data, len, &c);
    if (c.done) {
        r->done_seen = true;
        return true;
    }
    if (c.malformed && !r->bad_stream) {
        r->bad_stream = true;
        snprintf(r->why, sizeof r->why, "%s", c.why);
    }
    if (c.error && !r->stream_error) {
        r->stream_error = true;
        snprintf(r->why, sizeof r->why, "%s", c.why);
    }
    if (c.has_usage) {
        r->has_usage = true;
        r->usage_completion = c.completion_tokens;
        r->usage_prompt = c.prompt_tokens;
    }
    if (c.content) {
        uint64_t now = engine_now_ns();
        if (!r->t_first) {
            r->t_first = now;
        } else {
            if (r->ngaps == r->capgaps) {
                r->capgaps = r->capgaps ? r->capgaps * 2 : 256;
                r->gaps = xrealloc(r->gaps, r->capgaps * sizeof *r->gaps);
            }
            r->gaps[r->ngaps++] = now - r->t_last;
        }
        r->t_last = now;
        r->content_chunks++;
    }
    return true;
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *ud)
{
    lg_req *r = ud;
    size_t n = size * nmemb;
    if (!r->status_known) {
        long code = 0;
        curl_easy_getinfo(r->h, CURLINFO_RESPONSE_CODE, &code);
        r->status = (int)code;
        r->status_known = true;
    }
    if (r->status < 200 || r->status >= 300) { /* keep the start of an error body */
        if (r->resp.len < 1024)
            abuf_append(&r->resp, data, n < 1024 - r->resp.len ? n : 1024 - r->resp.len);
        return n;
    }
    if (r->e->o->stream) {
        sse_status st = sse_feed(&r->sse, data, n, on_event, r);
        if (st == SSE_TOO_LONG && !r->bad_stream) {
            r->bad_stream = true;
            snprintf(r->why, sizeof r->why, "an event stream line longer than 1 MiB");
        }
        return n;
    }
    if (r->resp.len + n > LG_MAX_BODY) {
        snprintf(r->why, sizeof r->why, "a response body larger than %zu MiB", LG_MAX_BODY >> 20);
        r->bad_stream = true;
        return 0;
    }
    abuf_append(&r->resp, data, n);
    return n;
}

#define USER_AGENT "aifb-loadgen/" AIFB_VERSION

static void set_handle_options(lg_engine *e, lg_req *r)
{
    const lg_opts *o = e->o;
    CURL *h = r->h;
    if (e->uh)
        curl_easy_setopt(h, CURLOPT_CURLU, e->uh); /* libcurl only reads it */
    else
        curl_easy_setopt(h, CURLOPT_URL, e->url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(h, CURLOPT_PRIVATE, r);
    curl_easy_setopt(h, CURLOPT_SOCKOPTFUNCTION, on_sockopt_cb);
    curl_easy_setopt(h, CURLOPT_SOCKOPTDATA, e);
    curl_easy_setopt(h, CURLOPT_CLOSESOCKETFUNCTION, on_closesocket_cb);
    curl_easy_setopt(h, CURLOPT_CLOSESOCKETDATA, e);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(o->timeout_s * 1000));
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)(o->connect_timeout_s * 1000));
    if (e->direct) {
        /* What libcurl would find in the environment, without looking again per request. */
        curl_easy_setopt(h, CURLOPT_PROXY, "");
        curl_easy_setopt(h, CURLOPT_NOPROXY, "");
    } else { /* with a proxy, the CONNECT request carries the user agent too */
        curl_easy_setopt(h, CURLOPT_USERAGENT, USER_AGENT);
    }
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, NULL);
    if (o->workload == LG_WL_HTTP && strcmp(o->method, "POST")) {
        if (!strcmp(o->method, "GET"))
            curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
        else
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, o->method);
    }
}

/* The headers are built once per pooled request; only the id changes, written in place (ids have
 * a fixed width), which saves a handful of allocations per request. */
#define ID_HEADER "x-request-id: "

/* Whether a --header names the header NAME (as libcurl matches them: "NAME:" or "NAME;"). */
static bool user_header(const lg_opts *o, const char *name)
{
    size_t n = strlen(name);
    for (char **h = o->headers; h && *h; h++)
        if (!strncasecmp(*h, name, n) && ((*h)[n] == ':' || (*h)[n] == ';'))
            return true;
    return false;
}

static void build_headers(lg_engine *e, lg_req *r)
{
    char idh[96];
    snprintf(idh, sizeof idh, ID_HEADER "%s-%012llu", e->id_prefix, 0ULL);
    r->hdrs = curl_slist_append(NULL, idh);
    r->id_hdr = r->hdrs;
    /* The user agent as a header of the list: CURLOPT_USERAGENT would have libcurl format it
     * anew for every request. A --header User-Agent replaces it, as it replaces libcurl's. */
    if (e->direct && !user_header(e->o, "User-Agent"))
        r->hdrs = curl_slist_append(r->hdrs, "User-Agent: " USER_AGENT);
    /* No "Expect: 100-continue" round trip before large bodies (a GET sends none). */
    if (e->o->workload != LG_WL_HTTP || strcmp(e->o->method, "GET"))
        r->hdrs = curl_slist_append(r->hdrs, "Expect:");
    if (e->o->workload != LG_WL_HTTP || e->o->body)
        r->hdrs = curl_slist_append(r->hdrs, "Content-Type: application/json");
    if (e->o->stream)
        r->hdrs = curl_slist_append(r->hdrs, "Accept: text/event-stream");
    if (e->auth_header)
        r->hdrs = curl_slist_append(r->hdrs, e->auth_header);
    for (char **h = e->o->headers; h && *h; h++)
        r->hdrs = curl_slist_append(r->hdrs, *h);
}

lg_req *req_get(lg_engine *e)
{
    lg_req *r = e->free_reqs;
    if (r) {
        e->free_reqs = r->next_free;
        return r;
    }
    r = xcalloc(1, sizeof *r);
    r->e = e;
    r->next_all = e->all;
    e->all = r;
    r->h = curl_easy_init();
    if (!r->h) {
        fprintf(stderr, "aifb-loadgen: out of memory creating a curl handle\n");
        abort();
    }
    sse_init(&r->sse, 0);
    set_handle_options(e, r);
    build_headers(e, r);
    curl_easy_setopt(r->h, CURLOPT_HTTPHEADER, r->hdrs);
    return r;
}

void req_put(lg_engine *e, lg_req *r)
{
    r->next_free = e->free_reqs;
    e->free_reqs = r;
}

void req_free(lg_req *r)
{
    curl_easy_cleanup(r->h);
    curl_slist_free_all(r->hdrs);
    abuf_free(&r->body);
    abuf_free(&r->resp);
    sse_free(&r->sse);
    free(r->gaps);
    free(r);
}

void req_prepare(lg_engine *e, lg_req *r, lg_phase *p, uint64_t t_intended)
{
    r->n = e->next_n++;
    int idlen = snprintf(r->id, sizeof r->id, "%s-%012llu", e->id_prefix, (unsigned long long)r->n);
    if ((size_t)idlen + sizeof ID_HEADER - 1 == strlen(r->id_hdr->data))
        memcpy(r->id_hdr->data + sizeof ID_HEADER - 1, r->id, (size_t)idlen);
    else { /* past 10^12 requests the width grows: a new header list */
        curl_slist_free_all(r->hdrs);
        build_headers(e, r);
        snprintf(r->id_hdr->data + sizeof ID_HEADER - 1, (size_t)idlen + 1, "%s", r->id);
        curl_easy_setopt(r->h, CURLOPT_HTTPHEADER, r->hdrs);
    }
    r->phase = p;
    r->t_intended = t_intended;
    r->t_send = r->t_first = r->t_last = 0;
    r->ngaps = r->content_chunks = 0;
    r->usage_prompt = r->usage_completion = 0;
    r->has_usage = r->done_seen = r->bad_stream = r->stream_error = r->status_known = false;
    r->status = 0;
    r->why[0] = '\0';
    r->resp.len = 0;
    sse_reset(&r->sse);
    /* A prompt is drawn only where it is sent: not for Qdrant, nor an http body without one. */
    static const lg_item none = {0};
    const lg_item *it = &none;
    if (e->needs_prompt)
        it = dataset_next(&e->ds);
    r->input_tokens = it->input_tokens;
    workload_body(e->o, e->model, it, r->id, r->n, &e->r, &r->body);
    if (e->o->workload != LG_WL_HTTP || strcmp(e->o->method, "GET")) {
        curl_easy_setopt(r->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body.len);
        curl_easy_setopt(r->h, CURLOPT_POSTFIELDS, r->body.p ? r->body.p : "");
    }
}

/* The class of a transfer that libcurl ended with an error. */
static lg_err_class curl_class(lg_req *r, CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
        return LG_ERR_CONNECT;
    case CURLE_OPERATION_TIMEDOUT: {
        /* Sent a request (on a new or a reused connection): the server was too slow. */
        long sent = 0;
        curl_easy_getinfo(r->h, CURLINFO_REQUEST_SIZE, &sent);
        return sent > 0 ? LG_ERR_TIMEOUT : LG_ERR_CONNECT;
    }
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
        return LG_ERR_RESET;
    case CURLE_WRITE_ERROR:
        return LG_ERR_MALFORMED; /* we refused the body (too large) */
    default:
        return LG_ERR_OTHER;
    }
}

/* Decides ok / error class for a transfer libcurl completed. */
static void judge(lg_engine *e, lg_req *r, CURLcode rc, lg_done *d)
{
    d->ok = false;
    if (rc != CURLE_OK) {
        d->err = curl_class(r, rc);
        if (!r->why[0] || d->err != LG_ERR_MALFORMED)
            snprintf(r->why, sizeof r->why, "%s", curl_easy_strerror(rc));
        return;
    }
    long code = 0;
    curl_easy_getinfo(r->h, CURLINFO_RESPONSE_CODE, &code);
    d->status = (int)code;
    if (code < 200 || code >= 300) {
        d->err = LG_ERR_HTTP;
        snprintf(r->why, sizeof r->why, "HTTP %ld: %.120s", code, r->resp.p ? r->resp.p : "");
        return;
    }
    if (e->o->stream) {
        if (r->stream_error) {
            d->err = LG_ERR_STREAM;
        } else if (r->bad_stream) {
            d->err = LG_ERR_MALFORMED;
        } else if (sse_pending(&r->sse) || !r->done_seen) {
            d->err = LG_ERR_MALFORMED;
            snprintf(r->why, sizeof r->why, "the event stream ended without data: [DONE]");
        } else if (!r->content_chunks) {
            d->err = LG_ERR_MALFORMED;
            snprintf(r->why, sizeof r->why, "a stream without any generated content");
        } else {
            d->ok = true;
        }
        return;
    }
    lg_chunk c;
    workload_read_body(e->o->workload, e->tok, r->resp.p ? r->resp.p : "", r->resp.len, &c);
    if (c.error) {
        d->err = LG_ERR_STREAM;
        snprintf(r->why, sizeof r->why, "%s", c.why);
    } else if (c.malformed) {
        d->err = LG_ERR_MALFORMED;
        snprintf(r->why, sizeof r->why, "%s", c.why);
    } else {
        d->ok = true;
        r->has_usage = c.has_usage;
        r->usage_completion = c.completion_tokens;
        r->usage_prompt = c.prompt_tokens;
    }
}

static void write_jsonl(lg_engine *e, const lg_req *r, const lg_done *d)
{
    double t0 = (double)r->phase->t_start;
    abuf b = {0};
    abuf_printf(&b, "{\"id\":\"%s\",\"phase\":\"%s\",\"intended_s\":%.6f,\"lag_ms\":%.3f", r->id,
                r->phase->name, ((double)r->t_intended - t0) / 1e9,
                (double)(r->t_send - r->t_intended) / 1e6);
    abuf_printf(&b, ",\"ok\":%s,\"status\":%d", d->ok ? "true" : "false", d->status);
    if (!d->ok) {
        abuf_printf(&b, ",\"error\":\"%s\",\"reason\":", lg_err_class_name(d->err));
        abuf_json_str(&b, r->why);
    } else {
        uint64_t end = d->streamed && d->t_last ? d->t_last : d->t_end;
        abuf_printf(&b, ",\"e2el_ms\":%.3f", (double)(end - r->t_send) / 1e6);
        if (d->streamed && d->t_first)
            abuf_printf(&b, ",\"ttft_ms\":%.3f", (double)(d->t_first - r->t_send) / 1e6);
        if (d->streamed && d->output_tokens > 1 && d->t_first)
            abuf_printf(&b, ",\"tpot_ms\":%.3f",
                        (double)(d->t_last - d->t_first) / 1e6 / (double)(d->output_tokens - 1));
        abuf_printf(&b, ",\"input_tokens\":%lld,\"output_tokens\":%lld,\"chunks\":%zu",
                    (long long)d->input_tokens, (long long)d->output_tokens, r->content_chunks);
    }
    abuf_puts(&b, "}\n");
    fwrite(b.p, 1, b.len, e->jsonl);
    abuf_free(&b);
}

void req_finish(lg_engine *e, lg_req *r, CURLcode rc, uint64_t now)
{
    lg_done d = {0};
    d.t_intended = r->t_intended;
    d.t_send = r->t_send;
    d.t_first = r->t_first;
    d.t_last = r->t_last;
    d.t_end = now;
    d.streamed = e->o->stream;
    judge(e, r, rc, &d);
    d.content_chunks = r->content_chunks;
    d.gaps = r->gaps;
    d.ngaps = r->ngaps;
    d.tokens_from_usage = r->has_usage;
    d.output_tokens = r->has_usage ? r->usage_completion : (int64_t)r->content_chunks;
    d.input_tokens = r->has_usage && r->usage_prompt ? r->usage_prompt : r->input_tokens;
    lg_phase *p = r->phase;
    stats_add(&p->st, &d, e->o->slos, e->o->nslos);
    if (!d.ok) {
        e->failed_total++;
        char *slot = p->st.first_error[d.err];
        if (!slot[0])
            snprintf(slot, sizeof p->st.first_error[0], "%s", r->why);
    }
    if (now > p->t_last_done)
        p->t_last_done = now;
    if (e->jsonl)
        write_jsonl(e, r, &d);
}
