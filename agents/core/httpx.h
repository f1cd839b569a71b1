/* httpx.h: HTTP requests to one URL, for the agents that push and scrape (aifb-monitor,
 * aifb-logship): http:// through a small HTTP/1.1 client of aifb's own (httpx_plain.c), https://
 * through libcurl, loaded with dlopen the first time an https:// URL is used (httpx_curl.c).
 *
 * Why not libcurl for everything: an agent runs beside every service and client, and linking
 * libcurl maps some 25 libraries (OpenSSL, GnuTLS, Kerberos, LDAP...) into it, about 8 MB of
 * resident memory before the first request; plain HTTP to Prometheus or Loki on the cluster's
 * network needs none of them. (aifb-loadgen, which measures HTTP servers, keeps libcurl.)
 *
 * One connection is kept for the next request (keep-alive); a kept connection the server has
 * closed meanwhile is reopened once, transparently. Requests go straight to the server (no
 * proxy from the environment: it would see the credentials), and are abandoned as soon as
 * *stop becomes true. */
#ifndef AIFB_AGENT_HTTPX_H
#define AIFB_AGENT_HTTPX_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "common/util.h"

/* A URL split for a request: http:// or https://, host (an IPv6 address without brackets),
 * port, and the request target (path and query, "/" when absent). */
typedef struct httpx_url {
    bool tls;
    char host[256];
    char port[8];
    char *target; /* malloc'd */
} httpx_url;

/* Splits url. AIFB_EINVAL with a sentence naming what (e.g. "the Loki URL") when it is not an
 * http:// or https:// URL with a host, or when it carries user:password@ (creds_hint says how
 * credentials are given instead); nothing of the URL is quoted before it is known to hold no
 * credentials. */
aifb_code httpx_parse_url(const char *url, const char *what, const char *creds_hint, httpx_url *u,
                          aifb_err *err);
void httpx_url_free(httpx_url *u);

typedef struct httpx httpx;

/* A client for url (checked with httpx_parse_url; what and creds_hint as there). NULL with err
 * set when the URL is refused, or for https:// when libcurl cannot be loaded. */
httpx *httpx_new(const char *url, const char *what, const char *creds_hint, const char *user_agent,
                 int connect_timeout_ms, int timeout_ms, atomic_bool *stop, aifb_err *err);
void httpx_set_timeouts(httpx *h, int connect_timeout_ms, int timeout_ms);
/* Closes the connection and frees h. NULL is fine. */
void httpx_free(httpx *h);

typedef struct httpx_result {
    int status;      /* the HTTP status, 0 without an answer */
    bool stopped;    /* abandoned because *stop became true */
    bool cut;        /* the answer was longer than answer_max: only its start was kept */
    char error[256]; /* without an answer (and not stopped): why, for people */
} httpx_result;

/* One request: method ("GET", "POST"), header lines ("Name: value", no line breaks), a body of
 * len bytes (none for GET). The answer's body goes to answer (when not NULL), at most answer_max
 * bytes of it. True when an answer came (whatever its status). */
bool httpx_request(httpx *h, const char *method, const char *const *headers, size_t nheaders,
                   const void *body, size_t len, abuf *answer, size_t answer_max, httpx_result *r);

/* "Authorization: Basic <base64 of user:password>", malloc'd (a secret: aifb_secret_free). */
char *httpx_basic_auth_header(const char *user, const char *password);

#endif
