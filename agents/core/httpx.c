/* httpx.c: see httpx.h. The URL, the client's life, and which way a request goes. */
#include "core/httpx_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

aifb_code httpx_parse_url(const char *url, const char *what, const char *creds_hint, httpx_url *u,
                          aifb_err *err)
{
    memset(u, 0, sizeof *u);
    if (!url || !*url)
        return aifb_err_set(err, AIFB_EINVAL, "%s is empty", what);
    const char *sep = strstr(url, "://");
    if (!sep)
        return aifb_err_set(err, AIFB_EINVAL, "%s is not a URL: it has no scheme (http://)", what);
    const char *p = sep + 3;
    size_t alen = strcspn(p, "/?#");
    /* Credentials first, whatever the scheme, before any of the URL is quoted. */
    if (memchr(p, '@', alen))
        return aifb_err_set(err, AIFB_EINVAL, "%s must not carry user:password@ (%s)", what,
                            creds_hint);
    if (strncmp(url, "https://", 8) == 0)
        u->tls = true;
    else if (strncmp(url, "http://", 7) != 0)
        return aifb_err_set(err, AIFB_EINVAL, "%s '%.200s' is not http:// or https://", what, url);
    for (const char *c = url; *c; c++)
        if ((unsigned char)*c <= ' ' || *c == 0x7f)
            return aifb_err_set(err, AIFB_EINVAL,
                                "%s is not a URL: it holds a space or a control "
                                "character",
                                what);
    const char *port = NULL;
    size_t hlen;
    if (alen && p[0] == '[') { /* [IPv6] */
        const char *close = memchr(p, ']', alen);
        if (!close)
            return aifb_err_set(err, AIFB_EINVAL, "%s is not a URL: '[' without ']'", what);
        hlen = (size_t)(close - p - 1);
        memcpy(u->host, p + 1, hlen < sizeof u->host ? hlen : 0);
        if (close + 1 < p + alen) {
            if (close[1] != ':')
                return aifb_err_set(err, AIFB_EINVAL, "%s is not a URL: junk after ']'", what);
            port = close + 2;
        }
    } else {
        const char *colon = memchr(p, ':', alen);
        hlen = colon ? (size_t)(colon - p) : alen;
        if (hlen < sizeof u->host)
            memcpy(u->host, p, hlen);
        port = colon ? colon + 1 : NULL;
    }
    if (hlen == 0 || hlen >= sizeof u->host)
        return aifb_err_set(err, AIFB_EINVAL, "%s is not a URL: %s", what,
                            hlen ? "its host name is too long" : "it has no host");
    u->host[hlen] = '\0';
    if (port) {
        size_t plen = (size_t)(p + alen - port);
        char digits[8] = "";
        if (plen == 0 || plen > 5 || strspn(port, "0123456789") < plen)
            return aifb_err_set(err, AIFB_EINVAL, "%s is not a URL: its port is not a number",
                                what);
        memcpy(digits, port, plen);
        long n = strtol(digits, NULL, 10);
        if (n < 1 || n > 65535)
            return aifb_err_set(err, AIFB_EINVAL, "%s is not a URL: port %ld is out of range", what,
                                n);
        snprintf(u->port, sizeof u->port, "%ld", n);
    } else {
        snprintf(u->port, sizeof u->port, "%s", u->tls ? "443" : "80");
    }
    const char *rest = p + alen;
    size_t tlen = strcspn(rest, "#"); /* the fragment never goes to the server */
    abuf t = {0};
    if (tlen == 0 || rest[0] != '/')
        abuf_putc(&t, '/');
    abuf_append(&t, rest, tlen);
    u->target = abuf_take(&t);
    return AIFB_OK;
}

void httpx_url_free(httpx_url *u)
{
    free(u->target);
    u->target = NULL;
}

httpx *httpx_new(const char *url, const char *what, const char *creds_hint, const char *user_agent,
                 int connect_timeout_ms, int timeout_ms, atomic_bool *stop, aifb_err *err)
{
    httpx *h = xcalloc(1, sizeof *h);
    h->fd = -1;
    if (httpx_parse_url(url, what, creds_hint, &h->u, err) != AIFB_OK) {
        free(h);
        return NULL;
    }
    h->url = xstrdup(url);
    h->user_agent = xstrdup(user_agent);
    h->connect_timeout_ms = connect_timeout_ms;
    h->timeout_ms = timeout_ms;
    h->stop = stop;
    if (h->u.tls && !httpx_curl_open(h, err)) {
        httpx_free(h);
        return NULL;
    }
    return h;
}

void httpx_set_timeouts(httpx *h, int connect_timeout_ms, int timeout_ms)
{
    h->connect_timeout_ms = connect_timeout_ms;
    h->timeout_ms = timeout_ms;
}

void httpx_free(httpx *h)
{
    if (!h)
        return;
    if (h->u.tls)
        httpx_curl_close(h);
    else
        httpx_plain_close(h);
    abuf_free(&h->in);
    httpx_url_free(&h->u);
    free(h->url);
    free(h->user_agent);
    free(h);
}

bool httpx_request(httpx *h, const char *method, const char *const *headers, size_t nheaders,
                   const void *body, size_t len, abuf *answer, size_t answer_max, httpx_result *r)
{
    memset(r, 0, sizeof *r);
    if (answer)
        answer->len = 0;
    httpx_req q = {method, headers, nheaders, body, len, answer, answer_max};
    return h->u.tls ? httpx_curl_request(h, &q, r) : httpx_plain_request(h, &q, r);
}

char *httpx_basic_auth_header(const char *user, const char *password)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    abuf plain = {0}, out = {0};
    abuf_printf(&plain, "%s:%s", user, password);
    /* Room for all of it first: no partial copy of the secret is left in freed memory. */
    abuf_reserve(&out, 21 + (plain.len + 2) / 3 * 4 + 1);
    abuf_puts(&out, "Authorization: Basic ");
    const unsigned char *s = (const unsigned char *)plain.p;
    for (size_t i = 0; i < plain.len; i += 3) {
        unsigned v = (unsigned)s[i] << 16;
        if (i + 1 < plain.len)
            v |= (unsigned)s[i + 1] << 8;
        if (i + 2 < plain.len)
            v |= s[i + 2];
        abuf_putc(&out, b64[(v >> 18) & 63]);
        abuf_putc(&out, b64[(v >> 12) & 63]);
        abuf_putc(&out, i + 1 < plain.len ? b64[(v >> 6) & 63] : '=');
        abuf_putc(&out, i + 2 < plain.len ? b64[v & 63] : '=');
    }
    memset(plain.p, 0, plain.len);
    abuf_free(&plain);
    return abuf_take(&out);
}
