/* httpx_internal.h: what httpx.c shares with its two ways of sending: httpx_plain.c (http://,
 * aifb's own HTTP/1.1 client) and httpx_curl.c (https://, libcurl loaded with dlopen). */
#ifndef AIFB_AGENT_HTTPX_INTERNAL_H
#define AIFB_AGENT_HTTPX_INTERNAL_H

#include "core/httpx.h"

#include <stdint.h>

struct httpx {
    httpx_url u;
    char *url, *user_agent;
    int connect_timeout_ms, timeout_ms;
    atomic_bool *stop;
    int fd;     /* plain: the kept connection, or -1 */
    abuf in;    /* plain: bytes received and not yet used */
    int err;    /* plain: errno of the system call that failed last, 0 for a protocol error */
    bool ended; /* plain: the stream ended in the middle of an answer */
    void *lib;  /* tls: the CURL handle */
};

typedef struct httpx_req {
    const char *method;
    const char *const *headers;
    size_t nheaders;
    const void *body;
    size_t len;
    abuf *answer;
    size_t answer_max;
} httpx_req;

bool httpx_plain_request(httpx *h, const httpx_req *q, httpx_result *r);
void httpx_plain_close(httpx *h);

/* False with err set when libcurl cannot be loaded or give a handle. */
bool httpx_curl_open(httpx *h, aifb_err *err);
bool httpx_curl_request(httpx *h, const httpx_req *q, httpx_result *r);
void httpx_curl_close(httpx *h);

#endif
