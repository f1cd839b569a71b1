/* sender_http.c: one push request on the sender's HTTP client (core/httpx.h, through
 * core/httppush.c), with Loki's headers (see sender_internal.h).
 *
 * The client is set up once and kept, so consecutive pushes reuse one connection. Loki's answer
 * is only quoted when a batch is refused. */
#include "logship/sender_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

aifb_code ls_http_init(ls_sender *s, const ls_sender_opts *o, aifb_err *err)
{
    aifb_code rc = httppush_check_url(o->url, "the Loki URL",
                                      "give a token with --token-file or AIFB_LOKI_TOKEN", &s->url,
                                      &s->shown, err);
    if (rc != AIFB_OK)
        return rc;
    if (o->tenant && (strlen(o->tenant) > 256 || strpbrk(o->tenant, "\r\n")))
        return aifb_err_set(err, AIFB_EINVAL, "the tenant must be one line of at most 256 bytes");
    if (o->token && *o->token) {
        if (strpbrk(o->token, "\r\n"))
            return aifb_err_set(err, AIFB_EINVAL, "the bearer token holds a line break");
        abuf h = {0};
        abuf_printf(&h, "Authorization: Bearer %s", o->token);
        s->auth_header = abuf_take(&h);
    }
    s->http = httpx_new(s->url, "the Loki URL", "give a token with --token-file or AIFB_LOKI_TOKEN",
                        "aifb-logship/" AIFB_VERSION, s->connect_timeout_ms, s->timeout_ms,
                        &s->stop, err);
    if (!s->http)
        return err ? err->code : AIFB_EINTERNAL;
    for (int i = 0; i < 2; i++) {
        abuf h = {0};
        abuf_printf(&h, "Content-Type: %s",
                    ls_format_content_type(i ? LS_FORMAT_JSON : LS_FORMAT_PROTOBUF));
        s->content_type[i] = abuf_take(&h);
    }
    if (o->tenant && *o->tenant) {
        abuf h = {0};
        abuf_printf(&h, "X-Scope-OrgID: %s", o->tenant);
        s->tenant_header = abuf_take(&h);
    }
    return AIFB_OK;
}

void ls_http_free(ls_sender *s)
{
    httpx_free(s->http);
    s->http = NULL;
    for (int i = 0; i < 2; i++) {
        free(s->content_type[i]);
        s->content_type[i] = NULL;
    }
    free(s->tenant_header);
    s->tenant_header = NULL;
    aifb_secret_free(s->auth_header);
    s->auth_header = NULL;
    free(s->url);
    free(s->shown);
    s->url = s->shown = NULL;
}

ls_outcome ls_http_post(ls_sender *s, const void *body, size_t len, ls_format format, int *status,
                        char *why, size_t whylen)
{
    const char *headers[3];
    size_t n = 0;
    headers[n++] = s->content_type[format == LS_FORMAT_JSON ? 1 : 0];
    if (s->tenant_header)
        headers[n++] = s->tenant_header;
    if (s->auth_header)
        headers[n++] = s->auth_header;
    return httppush_post(s->http, headers, n, body, len, s->shown, "aifb-logship is stopping",
                         status, why, whylen);
}
