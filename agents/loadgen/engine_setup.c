/* engine_setup.c: creating and freeing the engine: the epoll set and its timerfds, libcurl's multi
 * handle, the dataset, the credentials, and the model to name when --model was not given. */
#include "loadgen/engine_internal.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

enum { TAG_PACE = 1, TAG_CURL = 2, TAG_TICK = 3, TAG_SIGNAL = 4 };

static size_t collect(char *data, size_t size, size_t nmemb, void *ud)
{
    abuf *b = ud;
    if (b->len < (1u << 20))
        abuf_append(b, data, size * nmemb);
    return size * nmemb;
}

/* GET <url>/v1/models: the first model's id, or NULL (with the reason in why). */
static char *ask_model(lg_engine *e, char *why, size_t whylen)
{
    const lg_opts *o = e->o;
    abuf url = {0}, body = {0};
    size_t n = strlen(o->url);
    while (n && o->url[n - 1] == '/')
        n--;
    abuf_append(&url, o->url, n);
    abuf_puts(&url, "/v1/models");
    CURL *h = curl_easy_init();
    struct curl_slist *hd = e->auth_header ? curl_slist_append(NULL, e->auth_header) : NULL;
    curl_easy_setopt(h, CURLOPT_URL, url.p);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(o->connect_timeout_s * 1000) + 5000);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)(o->connect_timeout_s * 1000));
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
    CURLcode rc = curl_easy_perform(h);
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    char *model = NULL;
    if (rc != CURLE_OK) {
        snprintf(why, whylen, "GET %s failed: %s", url.p, curl_easy_strerror(rc));
    } else if (code != 200) {
        snprintf(why, whylen, "GET %s answered HTTP %ld", url.p, code);
    } else {
        json_object *root = json_tokener_parse(body.p ? body.p : ""), *data, *id;
        if (root && json_object_object_get_ex(root, "data", &data) &&
            json_object_is_type(data, json_type_array) && json_object_array_length(data) > 0 &&
            json_object_object_get_ex(json_object_array_get_idx(data, 0), "id", &id))
            model = xstrdup(json_object_get_string(id));
        else
            snprintf(why, whylen, "GET %s listed no model", url.p);
        json_object_put(root);
    }
    curl_slist_free_all(hd);
    curl_easy_cleanup(h);
    abuf_free(&url);
    abuf_free(&body);
    return model;
}

static void pick_model(lg_engine *e)
{
    const lg_opts *o = e->o;
    if (o->model) {
        e->model = xstrdup(o->model);
        return;
    }
    if (o->workload == LG_WL_HTTP || o->workload == LG_WL_QDRANT) {
        e->model = xstrdup("");
        return;
    }
    char why[256] = "";
    e->model = ask_model(e, why, sizeof why);
    abuf note = {0};
    if (e->model) {
        abuf_printf(&note, "model '%s' as listed first by the server's /v1/models", e->model);
    } else {
        e->model = xstrdup("default");
        abuf_printf(&note, "no --model and %s: requests name the model 'default'", why);
    }
    e->note = abuf_take(&note);
}

static int add_fd(lg_engine *e, int fd, uint64_t tag, uint32_t flags)
{
    struct epoll_event ev = {.events = EPOLLIN | flags, .data.u64 = tag};
    return epoll_ctl(e->epfd, EPOLL_CTL_ADD, fd, &ev);
}

static aifb_code setup_fds(lg_engine *e, aifb_err *err)
{
    e->epfd = epoll_create1(EPOLL_CLOEXEC);
    e->tfd_pace = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    e->tfd_curl = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    e->tfd_tick = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, NULL);
    e->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (e->epfd < 0 || e->tfd_pace < 0 || e->tfd_curl < 0 || e->tfd_tick < 0 || e->sigfd < 0 ||
        /* The two one-shot timers are edge-triggered: every expiry is one event, and setting
         * the timer again clears it, so they are never read (a system call saved per send at
         * high rates). */
        add_fd(e, e->tfd_pace, TAG_PACE, EPOLLET) || add_fd(e, e->tfd_curl, TAG_CURL, EPOLLET) ||
        add_fd(e, e->tfd_tick, TAG_TICK, 0) || add_fd(e, e->sigfd, TAG_SIGNAL, 0))
        return aifb_err_set(err, AIFB_EINTERNAL, "cannot set up the event loop: %s",
                            strerror(errno));
    struct itimerspec its = {.it_interval.tv_nsec = 100000000L, .it_value.tv_nsec = 100000000L};
    timerfd_settime(e->tfd_tick, 0, &its, NULL);
    /* Timers fire within a nanosecond of their deadline rather than the default 50 us slack. */
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    return AIFB_OK;
}

/* Whether no environment variable could name a proxy: libcurl reads http_proxy, https_proxy,
 * HTTPS_PROXY, all_proxy, ALL_PROXY and no_proxy again for every request unless told that there is
 * none. Any variable whose name ends in _proxy, set or empty, leaves it to libcurl. */
static bool no_proxy_in_env(void)
{
    for (char **v = environ; v && *v; v++) {
        const char *eq = strchr(*v, '=');
        if (eq && eq - *v >= 6 && !strncasecmp(eq - 6, "_proxy", 6))
            return false;
    }
    return true;
}

/* Each request in flight may hold a connection: the open files limit is raised to its hard limit
 * (as load tools ask their users to do with ulimit -n), and the open loop keeps that many in
 * flight at most, holding the rest back (which shows as lag) rather than failing them. */
static int raise_fd_limit(void)
{
    long usable = aifb_raise_open_files_limit();
    if (usable > 1000000)
        usable = 1000000;
    return usable > 128 ? (int)(usable - 64) : 64;
}

aifb_code engine_new(const lg_opts *o, lg_engine **out, aifb_err *err)
{
    lg_engine *e = xcalloc(1, sizeof *e);
    e->o = o;
    e->fd_cap = raise_fd_limit();
    if (o->concurrency > e->fd_cap)
        fprintf(stderr,
                "aifb-loadgen: warning: --concurrency %d is more than the open files limit "
                "allows: at most %d requests will be in flight (raise ulimit -n)\n",
                o->concurrency, e->fd_cap);
    e->epfd = e->tfd_pace = e->tfd_curl = e->tfd_tick = e->sigfd = -1;
    *out = e;
    aifb_code rc = dataset_open(&e->ds, o, err);
    if (rc)
        return rc;
    if ((rc = setup_fds(e, err)))
        return rc;
    if (o->requests_path) {
        e->jsonl = fopen(o->requests_path, "w");
        if (!e->jsonl)
            return aifb_err_set(err, AIFB_EINVAL, "--requests-jsonl '%s': %s", o->requests_path,
                                strerror(errno));
    }
    const char *key = o->api_key_env ? getenv(o->api_key_env) : NULL;
    if (key && *key) {
        abuf a = {0};
        abuf_printf(&a, "Authorization: Bearer %s", key);
        e->auth_header = abuf_take(&a);
    }
    uint32_t rnd = 0;
    if (getrandom(&rnd, sizeof rnd, 0) != sizeof rnd)
        rnd = (uint32_t)getpid();
    snprintf(e->id_prefix, sizeof e->id_prefix, "lg%08x-%d", rnd, o->task_id);
    rng_seed(&e->r, o->seed ^ 0x5eedULL);
    e->needs_prompt = o->workload != LG_WL_QDRANT &&
                      (o->workload != LG_WL_HTTP || (o->body && strstr(o->body, "{{prompt}}")));
    e->direct = no_proxy_in_env();
    e->tok = json_tokener_new();
    e->url = workload_url(o);
    /* The URL parsed once, as libcurl parses CURLOPT_URL, rather than again for every request;
     * should it not parse, every request fails on CURLOPT_URL as before. */
    e->uh = curl_url();
    if (e->uh && curl_url_set(e->uh, CURLUPART_URL, e->url,
                              CURLU_GUESS_SCHEME | CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) {
        curl_url_cleanup(e->uh);
        e->uh = NULL;
    }
    e->multi = curl_multi_init();
    curl_multi_setopt(e->multi, CURLMOPT_SOCKETFUNCTION, on_socket_cb);
    curl_multi_setopt(e->multi, CURLMOPT_SOCKETDATA, e);
    curl_multi_setopt(e->multi, CURLMOPT_TIMERFUNCTION, on_timer_cb);
    curl_multi_setopt(e->multi, CURLMOPT_TIMERDATA, e);
    long conns = o->concurrency > 0 && o->concurrency < e->fd_cap ? o->concurrency + 16 : e->fd_cap;
    curl_multi_setopt(e->multi, CURLMOPT_MAXCONNECTS, conns);
    pick_model(e);
    return AIFB_OK;
}

const char *engine_model(const lg_engine *e)
{
    return e->model;
}

const char *engine_note(const lg_engine *e)
{
    return e->note;
}

const char *engine_stopped(const lg_engine *e)
{
    return e->stop;
}

int64_t engine_aborted(const lg_engine *e)
{
    return e->aborted;
}

int engine_in_flight(const lg_engine *e)
{
    return e->inflight;
}

int64_t engine_backlog(const lg_engine *e)
{
    return (int64_t)e->bl_len;
}

void engine_on_tick(lg_engine *e, engine_tick_fn fn, void *ud)
{
    e->tick_fn = fn;
    e->tick_ud = ud;
}

void engine_free(lg_engine *e)
{
    if (!e)
        return;
    for (lg_req *r = e->all, *next; r; r = next) {
        next = r->next_all;
        if (e->multi)
            curl_multi_remove_handle(e->multi, r->h);
        req_free(r);
    }
    if (e->multi)
        curl_multi_cleanup(e->multi); /* closes connections through on_closesocket_cb */
    free(e->fds);
    curl_url_cleanup(e->uh);
    int fds[] = {e->epfd, e->tfd_pace, e->tfd_curl, e->tfd_tick, e->sigfd};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    if (e->jsonl)
        fclose(e->jsonl);
    if (e->tok)
        json_tokener_free(e->tok);
    dataset_close(&e->ds);
    free(e->backlog);
    free(e->url);
    free(e->model);
    free(e->note);
    free(e->auth_header);
    free(e);
}
