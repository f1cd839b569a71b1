/* sender_http.c: one push request on the sender's libcurl handle (core/httppush.c), with Loki's
 * headers (see sender_internal.h).
 *
 * The handle is set up once and kept, so consecutive pushes reuse one connection. Loki's answer
 * is only quoted when a batch is refused. */
#include "logship/sender_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

static struct curl_slist *headers_for(ls_sender *s, const ls_sender_opts *o, ls_format format)
{
    struct curl_slist *h = NULL;
    char line[512];
    snprintf(line, sizeof line, "Content-Type: %s", ls_format_content_type(format));
    h = curl_slist_append(h, line);
    h = curl_slist_append(h, "Expect:"); /* no 100-continue round trip before each body */
    if (o->tenant && *o->tenant) {
        snprintf(line, sizeof line, "X-Scope-OrgID: %s", o->tenant);
        h = curl_slist_append(h, line);
    }
    if (s->auth_header)
        h = curl_slist_append(h, s->auth_header);
    return h;
}

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
    s->curl = httppush_handle(s->url, "aifb-logship/" AIFB_VERSION, s->connect_timeout_ms,
                              s->timeout_ms, &s->stop);
    if (!s->curl)
        return aifb_err_set(err, AIFB_EINTERNAL, "libcurl could not make a handle for %s",
                            s->shown);
    s->headers[0] = headers_for(s, o, LS_FORMAT_PROTOBUF);
    s->headers[1] = headers_for(s, o, LS_FORMAT_JSON);
    return AIFB_OK;
}

void ls_http_free(ls_sender *s)
{
    httppush_free_headers(s->headers[0]);
    httppush_free_headers(s->headers[1]);
    s->headers[0] = s->headers[1] = NULL;
    if (s->curl)
        curl_easy_cleanup(s->curl);
    s->curl = NULL;
    aifb_secret_free(s->auth_header);
    s->auth_header = NULL;
    free(s->url);
    free(s->shown);
    s->url = s->shown = NULL;
}

ls_outcome ls_http_post(ls_sender *s, const void *body, size_t len, ls_format format, int *status,
                        char *why, size_t whylen)
{
    curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, s->headers[format == LS_FORMAT_JSON ? 1 : 0]);
    return httppush_post(s->curl, body, len, s->shown, "aifb-logship is stopping", status, why,
                         whylen);
}
