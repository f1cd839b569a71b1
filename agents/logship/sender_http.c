/* sender_http.c: one push request on the sender's libcurl handle, and what its outcome means
 * (see sender_internal.h).
 *
 * The handle is set up once and kept, so consecutive pushes reuse one connection. Loki's answer
 * is read only to be quoted when a batch is refused. Requests go straight to Loki: a proxy from
 * the environment would see the bearer token. */
#include "logship/sender_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

#define ANSWER_MAX 400 /* bytes of Loki's answer kept for a message */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t keep_answer(char *data, size_t size, size_t nmemb, void *userdata)
{
    abuf *b = userdata;
    size_t n = size * nmemb;
    if (b->len < ANSWER_MAX)
        abuf_append(b, data, n < ANSWER_MAX - b->len ? n : ANSWER_MAX - b->len);
    return n;
}

static int check_stop(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                      curl_off_t ulnow)
{
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    ls_sender *s = arg;
    return atomic_load(&s->stop) ? 1 : 0;
}

static aifb_code check_url(ls_sender *s, const char *url, aifb_err *err)
{
    if (!url || !*url)
        return aifb_err_set(err, AIFB_EINVAL, "the Loki URL is empty");
    CURLU *u = curl_url();
    CURLUcode uc = curl_url_set(u, CURLUPART_URL, url, 0);
    char *user = NULL;
    bool creds = uc == CURLUE_OK && curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK;
    curl_free(user);
    curl_url_cleanup(u);
    if (uc != CURLUE_OK)
        return aifb_err_set(err, AIFB_EINVAL, "the Loki URL is not a URL: %s",
                            curl_url_strerror(uc));
    if (creds)
        return aifb_err_set(err, AIFB_EINVAL,
                            "the Loki URL must not carry user:password@ (give a token with "
                            "--token-file or AIFB_LOKI_TOKEN)");
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
        return aifb_err_set(err, AIFB_EINVAL, "Loki URL '%.200s' is not http:// or https://", url);
    s->url = xstrdup(url);
    s->shown = xstrdup(url);
    s->shown[strcspn(s->shown, "?#")] = '\0';
    return AIFB_OK;
}

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
    aifb_code rc = check_url(s, o->url, err);
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
    pthread_once(&curl_once, curl_init_once);
    s->curl = curl_easy_init();
    if (!s->curl)
        return aifb_err_set(err, AIFB_EINTERNAL, "libcurl could not make a handle for %s",
                            s->shown);
    s->headers[0] = headers_for(s, o, LS_FORMAT_PROTOBUF);
    s->headers[1] = headers_for(s, o, LS_FORMAT_JSON);
    CURL *c = s->curl;
    curl_easy_setopt(c, CURLOPT_URL, s->url);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "aifb-logship/" AIFB_VERSION);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)s->connect_timeout_ms);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)s->timeout_ms);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep_answer);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, check_stop);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, s);
    return AIFB_OK;
}

static void wipe_headers(struct curl_slist *h)
{
    for (struct curl_slist *i = h; i; i = i->next)
        if (!strncmp(i->data, "Authorization:", 14))
            memset(i->data, 0, strlen(i->data));
    curl_slist_free_all(h);
}

void ls_http_free(ls_sender *s)
{
    wipe_headers(s->headers[0]);
    wipe_headers(s->headers[1]);
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

/* Loki's answer on one line, without trailing blanks: it goes into a log line. */
static void one_line(char *text)
{
    for (char *p = text; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
    size_t n = strlen(text);
    while (n && text[n - 1] == ' ')
        text[--n] = '\0';
}

ls_outcome ls_http_post(ls_sender *s, const void *body, size_t len, ls_format format, int *status,
                        char *why, size_t whylen)
{
    abuf answer = {0};
    char errbuf[CURL_ERROR_SIZE] = "";
    CURL *c = s->curl;
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, s->headers[format == LS_FORMAT_JSON ? 1 : 0]);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    CURLcode cc = curl_easy_perform(c);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
    long code = 0;
    if (cc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    *status = (int)code;
    ls_outcome out;
    if (cc == CURLE_ABORTED_BY_CALLBACK && atomic_load(&s->stop)) {
        snprintf(why, whylen, "push to %s abandoned: aifb-logship is stopping", s->shown);
        out = LS_STOPPED;
    } else if (cc != CURLE_OK) {
        snprintf(why, whylen, "%s unreachable: %s", s->shown,
                 errbuf[0] ? errbuf : curl_easy_strerror(cc));
        out = LS_RETRY;
    } else if (code >= 200 && code < 300) {
        out = LS_SENT;
    } else {
        if (answer.len)
            one_line(answer.p);
        snprintf(why, whylen, "HTTP %ld from %s: %s", code, s->shown,
                 answer.len ? answer.p : "(no answer)");
        out = (code == 429 || (code >= 500 && code < 600)) ? LS_RETRY : LS_REFUSED;
    }
    abuf_free(&answer);
    return out;
}
