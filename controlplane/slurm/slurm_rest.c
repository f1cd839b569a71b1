/* slurm_rest.c: the slurmrestd client's configuration, its tokens and the HTTP exchange.
 *
 * slurm_rest_new checks the configuration but sends nothing, so a daemon can start while
 * slurmrestd is down. Each request borrows an idle curl handle (or makes one), resets its options
 * (libcurl keeps the open connection across curl_easy_reset), sets the auth headers with a token
 * that is valid now (minted or renewed under the lock), sends without the lock, so a listing
 * that takes a second never holds up a submission, and sorts the outcome into the error classes
 * of slurm_rest.h. The token only ever lives in r->token and in the header list of one request;
 * both are wiped after use, and no message is built from them. */
#include "slurm/slurm_rest_internal.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/util.h"
#include "slurm/slurm_jwt.h"

/* A reply larger than this is not slurmrestd's. */
#define REST_REPLY_MAX          ((size_t)256 << 20)
#define REST_DEFAULT_LIFETIME_S 3600
#define SLURM_ERR_ZERO_BYTES    5005 /* slurmctld closed the connection: a refused token */
#define SLURM_ERR_INVALID_JOB   2017 /* "Invalid job id specified" */

static pthread_once_t rest_curl_once = PTHREAD_ONCE_INIT;

static void rest_curl_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ---- configuration -------------------------------------------------------------------------- */

static aifb_code rest_parse_url(slurm_rest *r, const char *url, aifb_err *err)
{
    if (!url || !*url)
        return aifb_err_set(err, AIFB_EINVAL,
                            "slurmrestd URL is empty (set AIFB_SLURM_REST_URL "
                            "to http://host:port or unix:/path/to.sock)");
    if (strncmp(url, "unix:", 5) == 0) {
        if (url[5] != '/')
            return aifb_err_set(err, AIFB_EINVAL,
                                "slurmrestd URL '%.200s' must name an absolute socket path "
                                "(unix:/path/to.sock)",
                                url);
        r->socket_path = xstrdup(url + 5);
        r->base = xstrdup("http://localhost");
        return AIFB_OK;
    }
    const char *host = NULL;
    if (strncmp(url, "http://", 7) == 0)
        host = url + 7;
    else if (strncmp(url, "https://", 8) == 0)
        host = url + 8;
    if (!host || !*host || *host == '/')
        return aifb_err_set(err, AIFB_EINVAL,
                            "slurmrestd URL '%.200s' is neither http(s)://host:port nor "
                            "unix:/path/to.sock",
                            url);
    size_t hostlen = strcspn(host, "/?#");
    if (memchr(host, '@', hostlen))
        return aifb_err_set(err, AIFB_EINVAL,
                            "slurmrestd URL must not carry credentials (user@host): give the "
                            "token as SLURM_JWT or a key file instead");
    if (host[hostlen] && strcmp(host + hostlen, "/") != 0)
        return aifb_err_set(err, AIFB_EINVAL,
                            "slurmrestd URL '%.200s' must end at host:port (no path)", url);
    r->base = xstrdup(url);
    r->base[host - url + hostlen] = '\0';
    return AIFB_OK;
}

/* Takes the fixed token: its claims give the user when none is configured, and its expiry. */
static aifb_code rest_fixed_token(slurm_rest *r, const char *token, aifb_err *err)
{
    char sun[256];
    if (slurm_jwt_claims(token, sun, sizeof sun, &r->token_exp, err))
        return AIFB_EINVAL;
    if (!r->user[0])
        snprintf(r->user, sizeof r->user, "%s", sun);
    if (!r->user[0])
        return aifb_err_set(err, AIFB_EINVAL,
                            "no Slurm user for the token: set AIFB_SLURM_USER (the token names "
                            "none)");
    r->token = xstrdup(token);
    return AIFB_OK;
}

static aifb_code rest_auth_config(slurm_rest *r, const slurm_rest_config *cfg, aifb_err *err)
{
    bool has_token = cfg->token && *cfg->token, has_key = cfg->jwt_key_path && *cfg->jwt_key_path;
    r->send_token = !r->socket_path || cfg->token_over_unix;
    if (cfg->user)
        snprintf(r->user, sizeof r->user, "%s", cfg->user);
    if (!r->send_token)
        return AIFB_OK;
    if (has_token && has_key)
        return aifb_err_set(err, AIFB_EINVAL,
                            "slurmrestd at %.200s: give either a token (SLURM_JWT) or a JWT key "
                            "file, not both",
                            cfg->url);
    if (has_token)
        return rest_fixed_token(r, cfg->token, err);
    if (!has_key)
        return aifb_err_set(err, AIFB_EINVAL,
                            "slurmrestd at %.200s needs a token: set SLURM_JWT or a JWT key file "
                            "(or use a unix: socket with local auth)",
                            cfg->url);
    if (!r->user[0])
        return aifb_err_set(err, AIFB_EINVAL,
                            "minting Slurm tokens needs a user name: set AIFB_SLURM_USER");
    if (cfg->jwt_lifetime_s < 0)
        return aifb_err_set(err, AIFB_EINVAL, "JWT lifetime %d s is negative", cfg->jwt_lifetime_s);
    r->lifetime_s = cfg->jwt_lifetime_s ? cfg->jwt_lifetime_s : REST_DEFAULT_LIFETIME_S;
    return slurm_jwt_key_load(cfg->jwt_key_path, &r->key, &r->keylen, err);
}

aifb_code slurm_rest_new(const slurm_rest_config *cfg, slurm_rest **out, aifb_err *err)
{
    pthread_once(&rest_curl_once, rest_curl_init);
    slurm_rest *r = xcalloc(1, sizeof *r);
    pthread_mutex_init(&r->lock, NULL);
    r->url = xstrdup(cfg->url ? cfg->url : "");
    r->connect_timeout_ms = cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms : 5000;
    r->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 20000;
    aifb_code rc = rest_parse_url(r, cfg->url, err);
    if (!rc)
        rc = rest_auth_config(r, cfg, err);
    if (!rc && cfg->version && *cfg->version && strcmp(cfg->version, "auto") != 0)
        rc = slurm_api_lookup(cfg->version, &r->api, err);
    if (rc) {
        slurm_rest_free(r);
        return rc;
    }
    *out = r;
    return AIFB_OK;
}

void slurm_rest_free(slurm_rest *r)
{
    if (!r)
        return;
    while (r->nidle > 0)
        curl_easy_cleanup(r->idle[--r->nidle]);
    aifb_secret_free(r->token);
    slurm_jwt_key_free(r->key, r->keylen);
    free(r->url);
    free(r->base);
    free(r->socket_path);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

const char *slurm_rest_url(const slurm_rest *r)
{
    return r->url;
}

/* ---- tokens --------------------------------------------------------------------------------- */

/* A token valid now in r->token: the fixed one unless it has expired, or a minted one renewed
 * once 80% of its lifetime is over (so a request never carries one about to lapse). */
static aifb_code rest_current_token(slurm_rest *r, aifb_err *err)
{
    int64_t now = (int64_t)time(NULL);
    if (!r->key) {
        if (r->token_exp && now >= r->token_exp) {
            char when[32];
            time_t t = (time_t)r->token_exp;
            struct tm tm;
            strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
            return aifb_err_set(err, AIFB_EUNAUTHENTICATED,
                                "slurmrestd at %.200s: the Slurm token (SLURM_JWT) of user %s "
                                "expired at %s; get a new one with `scontrol token`",
                                r->url, r->user, when);
        }
        return AIFB_OK;
    }
    if (r->token && now < r->renew_at)
        return AIFB_OK;
    char *fresh;
    aifb_code rc =
        slurm_jwt_mint(r->key, r->keylen, r->user, now, now + r->lifetime_s, &fresh, err);
    if (rc)
        return rc;
    aifb_secret_free(r->token);
    r->token = fresh;
    r->renew_at = now + (int64_t)r->lifetime_s * 4 / 5;
    return AIFB_OK;
}

static struct curl_slist *rest_headers(slurm_rest *r, bool has_body)
{
    struct curl_slist *h = curl_slist_append(NULL, "Accept: application/json");
    /* No "Expect: 100-continue": slurmrestd does not answer it, curl would wait a second. */
    h = curl_slist_append(h, "Expect:");
    if (has_body)
        h = curl_slist_append(h, "Content-Type: application/json");
    if (r->send_token) {
        abuf line = {0};
        abuf_printf(&line, "X-SLURM-USER-NAME: %s", r->user);
        h = curl_slist_append(h, line.p);
        line.len = 0;
        abuf_printf(&line, "X-SLURM-USER-TOKEN: %s", r->token);
        h = curl_slist_append(h, line.p);
        memset(line.p, 0, line.cap);
        abuf_free(&line);
    }
    return h;
}

/* Frees the header list after wiping the token line libcurl copied. */
static void rest_headers_free(struct curl_slist *h)
{
    for (struct curl_slist *i = h; i; i = i->next)
        if (strncmp(i->data, "X-SLURM-USER-TOKEN:", 19) == 0)
            memset(i->data, 0, strlen(i->data));
    curl_slist_free_all(h);
}

/* ---- the exchange --------------------------------------------------------------------------- */

static size_t rest_write(char *data, size_t size, size_t nmemb, void *userdata)
{
    abuf *b = userdata;
    size_t n = size * nmemb;
    if (b->len + n > REST_REPLY_MAX)
        return 0; /* libcurl then fails the transfer with CURLE_WRITE_ERROR */
    abuf_append(b, data, n);
    return n;
}

static void rest_set_options(const slurm_rest *r, CURL *c, const char *method, const char *url,
                             const char *body, struct curl_slist *headers, abuf *sink, char *errbuf)
{
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* several threads; no SIGALRM for timeouts */
    /* A proxy from the environment would see the token: slurmrestd is reached directly. */
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)r->connect_timeout_ms);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)r->timeout_ms);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, rest_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, sink);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    if (r->socket_path)
        curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, r->socket_path);
    if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)(body ? strlen(body) : 0));
    } else if (strcmp(method, "DELETE") == 0) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "DELETE");
    }
}

/* What the Slurm error numbers of a reply say about its cause. */
typedef struct rest_causes {
    bool zero_bytes;       /* 5005: slurmctld hung up, which is how it refuses a token */
    bool invalid_job;      /* 2017 */
    bool no_controller;    /* 1000-1004, 1800-1804 (connection to slurmctld), 5004 (its timeout) */
    bool only_unspecified; /* every error is -1: a failed load (of jobs, nodes, ...) */
} rest_causes;

static void rest_note_error(int64_t n, rest_causes *c)
{
    c->zero_bytes |= n == SLURM_ERR_ZERO_BYTES;
    c->invalid_job |= n == SLURM_ERR_INVALID_JOB;
    c->no_controller |= (n >= 1000 && n <= 1004) || (n >= 1800 && n <= 1804) || n == 5004;
    c->only_unspecified &= n == -1;
}

static rest_causes rest_error_causes(const char *body, size_t len)
{
    rest_causes c = {.only_unspecified = true};
    json_tokener *tok = json_tokener_new();
    json_object *root = json_tokener_parse_ex(tok, body, (int)len);
    json_tokener_free(tok);
    json_object *errs;
    if (root && json_object_object_get_ex(root, "errors", &errs) &&
        json_object_is_type(errs, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(errs); i++) {
            json_object *e = json_object_array_get_idx(errs, i), *num = NULL;
            /* v0.0.38 writes error_number, error_code or errno depending on the handler. */
            if (!json_object_object_get_ex(e, "error_number", &num) &&
                !json_object_object_get_ex(e, "error_code", &num))
                json_object_object_get_ex(e, "errno", &num);
            rest_note_error(num ? json_object_get_int64(num) : 0, &c);
        }
    }
    json_object_put(root);
    return c;
}

/* A short printable excerpt of a reply that is not Slurm's JSON (a proxy's page, say). */
static void rest_excerpt(const char *body, size_t len, char *out, size_t outlen)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n + 1 < outlen && n < 120; i++)
        out[n++] = (body[i] >= 0x20 && body[i] < 0x7f) ? body[i] : ' ';
    out[n] = '\0';
}

static aifb_code rest_http_error(slurm_rest *r, const char *method, const char *path,
                                 aifb_code refusal, const slurm_rest_reply *rep, aifb_err *err)
{
    char msg[400];
    long st = rep->status;
    if (st == 401 || st == 403)
        return aifb_err_set(err, AIFB_EUNAUTHENTICATED,
                            "slurmrestd at %.200s refused the credentials %s%s (HTTP %ld)", r->url,
                            r->send_token ? "of user " : "(local auth, by uid)",
                            r->send_token ? r->user : "", st);
    if (!slurm_api_errors(rep->body, rep->len, msg, sizeof msg)) {
        rest_excerpt(rep->body, rep->len, msg, sizeof msg);
        aifb_code code = (st == 502 || st == 503 || st == 504) ? AIFB_EUNAVAILABLE : AIFB_EABORTED;
        return aifb_err_set(err, code, "slurmrestd at %.200s %s: HTTP %ld to %s %s%s%s", r->url,
                            code == AIFB_EUNAVAILABLE ? "unreachable" : "failed", st, method, path,
                            msg[0] ? ": " : "", msg);
    }
    rest_causes c = rest_error_causes(rep->body, rep->len);
    const char *slurm_msg = strncmp(msg, "slurmrestd: ", 12) == 0 ? msg + 12 : msg;
    if (c.zero_bytes && r->send_token)
        return aifb_err_set(err, AIFB_EUNAUTHENTICATED,
                            "slurmrestd at %.200s: slurmctld refused the token of user %s (a "
                            "bad, expired or foreign-key JWT; Slurm says: %s)",
                            r->url, r->user, slurm_msg);
    if (c.no_controller || c.zero_bytes)
        return aifb_err_set(err, AIFB_EUNAVAILABLE,
                            "slurmrestd at %.200s cannot reach slurmctld: %s", r->url, slurm_msg);
    /* slurmrestd 22.05 answers a failed load with error -1 alone, both when slurmctld is down
     * and when it refused the token: either way nothing is known and a retry may work. */
    if (c.only_unspecified && strcmp(method, "GET") == 0)
        return aifb_err_set(err, AIFB_EUNAVAILABLE,
                            "slurmrestd at %.200s got no answer from slurmctld for %s (slurmctld "
                            "is down%s%s): %s",
                            r->url, path, r->send_token ? " or refused the token of user " : "",
                            r->send_token ? r->user : "", slurm_msg);
    aifb_code code = c.invalid_job ? AIFB_ENOTFOUND : refusal;
    return aifb_err_set(err, code, "slurmrestd at %.200s refused %s %s: %s", r->url, method, path,
                        slurm_msg);
}

/* Under the lock: a token valid now, the headers that carry it, and a handle to send them. */
static aifb_code rest_prepare(slurm_rest *r, bool has_body, struct curl_slist **headers, CURL **c,
                              aifb_err *err)
{
    pthread_mutex_lock(&r->lock);
    aifb_code rc = r->send_token ? rest_current_token(r, err) : AIFB_OK;
    if (!rc) {
        *headers = rest_headers(r, has_body);
        *c = r->nidle > 0 ? r->idle[--r->nidle] : curl_easy_init();
        if (!*c) {
            rest_headers_free(*headers);
            rc = aifb_err_set(err, AIFB_EINTERNAL, "libcurl could not make a handle for %.200s",
                              r->url);
        }
    }
    pthread_mutex_unlock(&r->lock);
    return rc;
}

/* Gives a handle back for the next call (its connection stays open), or closes it. */
static void rest_release(slurm_rest *r, CURL *c)
{
    pthread_mutex_lock(&r->lock);
    if (r->nidle < REST_IDLE_MAX) {
        r->idle[r->nidle++] = c;
        c = NULL;
    }
    pthread_mutex_unlock(&r->lock);
    if (c)
        curl_easy_cleanup(c);
}

aifb_code slurm_rest_exchange(slurm_rest *r, const char *method, const char *path, const char *body,
                              aifb_code refusal, slurm_rest_reply *reply, aifb_err *err)
{
    memset(reply, 0, sizeof *reply);
    struct curl_slist *headers = NULL;
    CURL *c = NULL;
    aifb_code rc = rest_prepare(r, body != NULL, &headers, &c, err);
    if (rc)
        return rc;
    char url[1024], errbuf[CURL_ERROR_SIZE] = "";
    snprintf(url, sizeof url, "%s%s", r->base, path);
    abuf sink = {0};
    rest_set_options(r, c, method, url, body, headers, &sink, errbuf);
    CURLcode cc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply->status);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    rest_headers_free(headers);
    rest_release(r, c);
    reply->len = sink.len;
    reply->body = abuf_take(&sink);
    if (cc != CURLE_OK) {
        slurm_rest_reply_free(reply);
        if (cc == CURLE_WRITE_ERROR)
            return aifb_err_set(err, AIFB_ERESOURCE,
                                "slurmrestd at %.200s: the reply to %s %s is over %zu bytes",
                                r->url, method, path, REST_REPLY_MAX);
        return aifb_err_set(err, AIFB_EUNAVAILABLE, "slurmrestd at %.200s unreachable: %s", r->url,
                            errbuf[0] ? errbuf : curl_easy_strerror(cc));
    }
    if ((reply->status >= 200 && reply->status < 300) || reply->status == 304)
        return AIFB_OK;
    rc = rest_http_error(r, method, path, refusal, reply, err);
    slurm_rest_reply_free(reply);
    return rc;
}

void slurm_rest_reply_free(slurm_rest_reply *reply)
{
    free(reply->body);
    reply->body = NULL;
    reply->len = 0;
}
