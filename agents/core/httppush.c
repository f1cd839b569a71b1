/* httppush.c: see httppush.h. */
#include "core/httppush.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"

#define ANSWER_MAX 400 /* bytes of the receiver's answer kept for messages */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* Keeps the first ANSWER_MAX bytes of the answer and swallows the rest. */
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
    return atomic_load((atomic_bool *)arg) ? 1 : 0;
}

CURL *httppush_handle(const char *url, const char *user_agent, int connect_timeout_ms,
                      int timeout_ms, atomic_bool *stop)
{
    pthread_once(&curl_once, curl_init_once);
    CURL *c = curl_easy_init();
    if (!c)
        return NULL;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, user_agent);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* a thread of its own: no SIGALRM for timeouts */
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)connect_timeout_ms);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep_answer);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, check_stop);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void *)stop);
    return c;
}

/* The answer on one line, without trailing blanks: it goes into a log line. */
static void one_line(char *s)
{
    for (char *p = s; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
    size_t n = strlen(s);
    while (n && s[n - 1] == ' ')
        s[--n] = '\0';
}

httppush_outcome httppush_post(CURL *c, const void *body, size_t len, const char *shown,
                               const char *stopping, int *status, char *why, size_t whylen)
{
    abuf answer = {0};
    char errbuf[CURL_ERROR_SIZE] = "";
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
    httppush_outcome out;
    if (cc == CURLE_ABORTED_BY_CALLBACK) {
        snprintf(why, whylen, "push to %s abandoned: %s", shown, stopping);
        out = HTTPPUSH_STOPPED;
    } else if (cc != CURLE_OK) {
        snprintf(why, whylen, "%s unreachable: %s", shown,
                 errbuf[0] ? errbuf : curl_easy_strerror(cc));
        out = HTTPPUSH_RETRY;
    } else if (code >= 200 && code < 300) {
        out = HTTPPUSH_SENT;
    } else {
        if (answer.len)
            one_line(answer.p);
        snprintf(why, whylen, "HTTP %ld from %s: %s", code, shown,
                 answer.len ? answer.p : "(no answer)");
        out = (code == 429 || (code >= 500 && code < 600)) ? HTTPPUSH_RETRY : HTTPPUSH_REFUSED;
    }
    abuf_free(&answer);
    return out;
}

void httppush_free_headers(struct curl_slist *h)
{
    for (struct curl_slist *i = h; i; i = i->next)
        if (strncmp(i->data, "Authorization:", 14) == 0)
            memset(i->data, 0, strlen(i->data));
    curl_slist_free_all(h);
}

aifb_code httppush_check_url(const char *url, const char *what, const char *creds_hint,
                             char **url_out, char **shown, aifb_err *err)
{
    if (!url || !*url)
        return aifb_err_set(err, AIFB_EINVAL, "%s is empty", what);
    CURLU *u = curl_url();
    CURLUcode uc = curl_url_set(u, CURLUPART_URL, url, 0);
    char *user = NULL;
    bool creds = uc == CURLUE_OK && curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK;
    curl_free(user);
    curl_url_cleanup(u);
    if (uc != CURLUE_OK)
        return aifb_err_set(err, AIFB_EINVAL, "%s is not a URL: %s", what, curl_url_strerror(uc));
    if (creds)
        return aifb_err_set(err, AIFB_EINVAL, "%s must not carry user:password@ (%s)", what,
                            creds_hint);
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
        return aifb_err_set(err, AIFB_EINVAL, "%s '%.200s' is not http:// or https://", what, url);
    *url_out = xstrdup(url);
    *shown = xstrdup(url);
    (*shown)[strcspn(*shown, "?#")] = '\0';
    return AIFB_OK;
}

int64_t httppush_backoff_ms(rng *r, int min_ms, int max_ms, int attempt)
{
    int64_t w = min_ms;
    for (int i = 0; i < attempt && w < max_ms; i++)
        w *= 2;
    if (w > max_ms)
        w = max_ms;
    return w / 2 + rng_range(r, 0, w - w / 2);
}
