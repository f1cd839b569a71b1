/* httpx_curl.c: https:// requests through libcurl, loaded with dlopen the first time an agent is
 * given an https:// URL (see httpx.h for why it is not linked). Its header gives the types and
 * constants; every function is reached through the table filled in here. */
#include "core/httpx_internal.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static struct {
    bool ok;
    char why[200];
    CURLcode (*global_init)(long flags);
    CURL *(*easy_init)(void);
    CURLcode (*setopt)(CURL *c, CURLoption option, ...);
    CURLcode (*perform)(CURL *c);
    CURLcode (*getinfo)(CURL *c, CURLINFO info, ...);
    void (*cleanup)(CURL *c);
    const char *(*strerror)(CURLcode code);
    struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
    void (*slist_free_all)(struct curl_slist *l);
} lc;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;

static void load(void)
{
    void *lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        snprintf(lc.why, sizeof lc.why, "https:// needs libcurl (libcurl.so.4): %s", dlerror());
        return;
    }
#define SYM(field, name)                                                                           \
    do {                                                                                           \
        *(void **)&lc.field = dlsym(lib, name);                                                    \
        if (!lc.field) {                                                                           \
            snprintf(lc.why, sizeof lc.why, "libcurl.so.4 lacks %s", name);                        \
            return;                                                                                \
        }                                                                                          \
    } while (0)
    SYM(global_init, "curl_global_init");
    SYM(easy_init, "curl_easy_init");
    SYM(setopt, "curl_easy_setopt");
    SYM(perform, "curl_easy_perform");
    SYM(getinfo, "curl_easy_getinfo");
    SYM(cleanup, "curl_easy_cleanup");
    SYM(strerror, "curl_easy_strerror");
    SYM(slist_append, "curl_slist_append");
    SYM(slist_free_all, "curl_slist_free_all");
#undef SYM
    if (lc.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(lc.why, sizeof lc.why, "libcurl could not be initialised");
        return;
    }
    lc.ok = true;
}

bool httpx_curl_open(httpx *h, aifb_err *err)
{
    pthread_once(&load_once, load);
    if (!lc.ok) {
        aifb_err_set(err, AIFB_EINTERNAL, "%s", lc.why);
        return false;
    }
    CURL *c = lc.easy_init();
    if (!c) {
        aifb_err_set(err, AIFB_EINTERNAL, "libcurl could not make a handle");
        return false;
    }
    lc.setopt(c, CURLOPT_URL, h->url);
    lc.setopt(c, CURLOPT_USERAGENT, h->user_agent);
    lc.setopt(c, CURLOPT_NOSIGNAL, 1L); /* a thread of its own: no SIGALRM for timeouts */
    lc.setopt(c, CURLOPT_PROXY, "");
    h->lib = c;
    return true;
}

void httpx_curl_close(httpx *h)
{
    if (h->lib)
        lc.cleanup(h->lib);
    h->lib = NULL;
}

typedef struct sink {
    const httpx_req *q;
    httpx_result *r;
} sink;

static size_t take(char *data, size_t size, size_t nmemb, void *arg)
{
    sink *s = arg;
    size_t n = size * nmemb;
    if (s->q->answer) {
        size_t room =
            s->q->answer->len < s->q->answer_max ? s->q->answer_max - s->q->answer->len : 0;
        if (n > room)
            s->r->cut = true;
        abuf_append(s->q->answer, data, n < room ? n : room);
    }
    return n;
}

static int check_stop(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                      curl_off_t ulnow)
{
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    return arg && atomic_load((atomic_bool *)arg) ? 1 : 0;
}

bool httpx_curl_request(httpx *h, const httpx_req *q, httpx_result *r)
{
    CURL *c = h->lib;
    struct curl_slist *hl = NULL;
    for (size_t i = 0; i < q->nheaders; i++)
        hl = lc.slist_append(hl, q->headers[i]);
    hl = lc.slist_append(hl, "Expect:"); /* no 100-continue round trip before each body */
    sink s = {q, r};
    char errbuf[CURL_ERROR_SIZE] = "";
    lc.setopt(c, CURLOPT_HTTPHEADER, hl);
    lc.setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)h->connect_timeout_ms);
    lc.setopt(c, CURLOPT_TIMEOUT_MS, (long)h->timeout_ms);
    lc.setopt(c, CURLOPT_WRITEFUNCTION, take);
    lc.setopt(c, CURLOPT_WRITEDATA, &s);
    lc.setopt(c, CURLOPT_NOPROGRESS, 0L);
    lc.setopt(c, CURLOPT_XFERINFOFUNCTION, check_stop);
    lc.setopt(c, CURLOPT_XFERINFODATA, (void *)h->stop);
    lc.setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    lc.setopt(c, CURLOPT_CUSTOMREQUEST, NULL); /* what an earlier request set does not stay */
    if (strcmp(q->method, "GET") == 0) {
        lc.setopt(c, CURLOPT_HTTPGET, 1L);
    } else {
        lc.setopt(c, CURLOPT_POST, 1L);
        lc.setopt(c, CURLOPT_POSTFIELDS, q->body);
        lc.setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->len);
        if (strcmp(q->method, "POST") != 0)
            lc.setopt(c, CURLOPT_CUSTOMREQUEST, q->method);
    }
    CURLcode cc = lc.perform(c);
    lc.setopt(c, CURLOPT_ERRORBUFFER, NULL);
    lc.setopt(c, CURLOPT_HTTPHEADER, NULL);
    for (struct curl_slist *i = hl; i; i = i->next) /* an Authorization value is a secret */
        memset(i->data, 0, strlen(i->data));
    lc.slist_free_all(hl);
    long code = 0;
    if (cc == CURLE_OK) {
        lc.getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        r->status = (int)code;
        return true;
    }
    if (cc == CURLE_ABORTED_BY_CALLBACK)
        r->stopped = true;
    else
        snprintf(r->error, sizeof r->error, "%s", errbuf[0] ? errbuf : lc.strerror(cc));
    return false;
}
