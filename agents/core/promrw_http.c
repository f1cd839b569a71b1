/* promrw_http.c: one remote write request on the sender's libcurl handle, and what its outcome
 * means for the batch (see promrw_internal.h).
 *
 * The handle is set up once and kept, so consecutive requests reuse one connection, as the
 * specification recommends in place of streaming. The headers are those the specification
 * requires. The receiver's answer is read only to be quoted in the one log line a refused batch
 * gets (the specification says to log it as is and not to interpret it). */
#include "core/promrw_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

#define ANSWER_MAX 400 /* of the receiver's answer kept for messages */

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

/* Abandons a request when the sender is being freed. */
static int check_stop(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                      curl_off_t ulnow)
{
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    promrw_sender *s = arg;
    return atomic_load(&s->stop) ? 1 : 0;
}

bool rw_http_init(promrw_sender *s, aifb_err *err)
{
    pthread_once(&curl_once, curl_init_once);
    s->curl = curl_easy_init();
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
    CURL *c = s->curl;
    curl_easy_setopt(c, CURLOPT_URL, s->url);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, s->headers);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "aifb/" AIFB_VERSION);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* a thread of its own: no SIGALRM for timeouts */
    /* A proxy from the environment would see the credentials: the receiver is reached directly. */
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)s->connect_timeout_ms);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)s->timeout_ms);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep_answer);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, check_stop);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, s);
    if (s->basic_user) {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(c, CURLOPT_USERNAME, s->basic_user);
        curl_easy_setopt(c, CURLOPT_PASSWORD, s->basic_password);
    }
    return true;
}

void rw_http_free(promrw_sender *s)
{
    for (struct curl_slist *i = s->headers; i; i = i->next)
        if (strncmp(i->data, "Authorization:", 14) == 0)
            memset(i->data, 0, strlen(i->data));
    curl_slist_free_all(s->headers);
    s->headers = NULL;
    if (s->curl)
        curl_easy_cleanup(s->curl);
    s->curl = NULL;
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

rw_outcome rw_http_post(promrw_sender *s, const rw_payload *p, int *status, char *why,
                        size_t whylen)
{
    abuf answer = {0};
    char errbuf[CURL_ERROR_SIZE] = "";
    CURL *c = s->curl;
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, p->body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)p->len);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    CURLcode cc = curl_easy_perform(c);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
    long code = 0;
    if (cc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    *status = (int)code;
    rw_outcome out;
    if (cc == CURLE_ABORTED_BY_CALLBACK && atomic_load(&s->stop)) {
        snprintf(why, whylen, "request to %s abandoned: the sender is stopping", s->shown);
        out = RW_STOPPED;
    } else if (cc != CURLE_OK) {
        snprintf(why, whylen, "%s unreachable: %s", s->shown,
                 errbuf[0] ? errbuf : curl_easy_strerror(cc));
        out = RW_RETRY;
    } else if (code >= 200 && code < 300) {
        out = RW_SENT;
    } else {
        if (answer.len)
            one_line(answer.p);
        snprintf(why, whylen, "HTTP %ld from %s: %s", code, s->shown,
                 answer.len ? answer.p : "(no answer)");
        out = (code == 429 || (code >= 500 && code < 600)) ? RW_RETRY : RW_REFUSED;
    }
    abuf_free(&answer);
    return out;
}
