/* promrw_http.c: one remote write request on the sender's HTTP client (core/httpx.h, through
 * core/httppush.c), with the headers the specification requires (see promrw_internal.h).
 *
 * The client is set up once and kept, so consecutive requests reuse one connection, as the
 * specification recommends in place of streaming. The receiver's answer is only quoted in the
 * one log line a refused batch gets (the specification says to log it as is and not to
 * interpret it). */
#include "core/promrw_internal.h"

#include <string.h>

bool rw_http_init(promrw_sender *s, aifb_err *err)
{
    s->http = httpx_new(s->url, "the remote write URL", "give them as the basic auth options",
                        "aifb/" AIFB_VERSION, s->connect_timeout_ms, s->timeout_ms, &s->stop, err);
    if (!s->http)
        return false;
    s->nheaders = 0;
    s->headers[s->nheaders++] = "Content-Encoding: snappy";
    s->headers[s->nheaders++] = "Content-Type: application/x-protobuf";
    s->headers[s->nheaders++] = "X-Prometheus-Remote-Write-Version: 0.1.0";
    if (s->bearer_header)
        s->headers[s->nheaders++] = s->bearer_header;
    if (s->basic_user) {
        s->auth = httpx_basic_auth_header(s->basic_user, s->basic_password);
        s->headers[s->nheaders++] = s->auth;
    }
    return true;
}

void rw_http_free(promrw_sender *s)
{
    httpx_free(s->http);
    s->http = NULL;
    aifb_secret_free(s->auth);
    s->auth = NULL;
    s->nheaders = 0;
}

httppush_outcome rw_http_post(promrw_sender *s, const rw_payload *p, int *status, char *why,
                              size_t whylen)
{
    return httppush_post(s->http, s->headers, s->nheaders, p->body, p->len, s->shown,
                         "the sender is stopping", status, why, whylen);
}
