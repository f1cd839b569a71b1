/* promrw_http.c: one remote write request on the sender's libcurl handle (core/httppush.c), with
 * the headers the specification requires (see promrw_internal.h).
 *
 * The handle is set up once and kept, so consecutive requests reuse one connection, as the
 * specification recommends in place of streaming. The receiver's answer is only quoted in the
 * one log line a refused batch gets (the specification says to log it as is and not to
 * interpret it). */
#include "core/promrw_internal.h"

#include <string.h>

bool rw_http_init(promrw_sender *s, aifb_err *err)
{
    s->curl = httppush_handle(s->url, "aifb/" AIFB_VERSION, s->connect_timeout_ms, s->timeout_ms,
                              &s->stop);
    if (!s->curl) {
        aifb_err_set(err, AIFB_EINTERNAL, "libcurl could not make a handle for %s", s->shown);
        return false;
    }
    struct curl_slist *h = NULL;
    h = curl_slist_append(h, "Content-Encoding: snappy");
    h = curl_slist_append(h, "Content-Type: application/x-protobuf");
    h = curl_slist_append(h, "X-Prometheus-Remote-Write-Version: 0.1.0");
    h = curl_slist_append(h, "Expect:"); /* no 100-continue round trip before each body */
    if (s->bearer_header)
        h = curl_slist_append(h, s->bearer_header);
    s->headers = h;
    curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, s->headers);
    if (s->basic_user) {
        curl_easy_setopt(s->curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(s->curl, CURLOPT_USERNAME, s->basic_user);
        curl_easy_setopt(s->curl, CURLOPT_PASSWORD, s->basic_password);
    }
    return true;
}

void rw_http_free(promrw_sender *s)
{
    httppush_free_headers(s->headers);
    s->headers = NULL;
    if (s->curl)
        curl_easy_cleanup(s->curl);
    s->curl = NULL;
}

httppush_outcome rw_http_post(promrw_sender *s, const rw_payload *p, int *status, char *why,
                              size_t whylen)
{
    return httppush_post(s->curl, p->body, p->len, s->shown, "the sender is stopping", status, why,
                         whylen);
}
