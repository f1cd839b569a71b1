/* slurm_rest_internal.h: what slurm_rest.c (configuration, tokens, the HTTP exchange) shares
 * with slurm_rest_calls.c (one function per endpoint); not for use outside slurm_rest*.c. */
#ifndef AIFB_SLURM_REST_INTERNAL_H
#define AIFB_SLURM_REST_INTERNAL_H

#include <curl/curl.h>
#include <pthread.h>

#include "slurm/slurm_rest.h"

#define REST_IDLE_MAX 8 /* handles kept open between calls; more calls at once make their own */

struct slurm_rest {
    pthread_mutex_t lock; /* guards the idle handles, the token and the version, never I/O */
    /* Easy handles not in use: a call takes one (or makes one) and gives it back, so calls
     * from several threads (a listing, a submission) run side by side, and each handle keeps
     * its connection open for the next call. */
    CURL *idle[REST_IDLE_MAX];
    int nidle;
    char *url;         /* as configured, for messages */
    char *base;        /* what paths are appended to: "http://h:p" (unix: "http://localhost") */
    char *socket_path; /* unix socket, or NULL for TCP */
    bool send_token;
    char user[256];
    /* A fixed token (token_exp its "exp", 0 when it has none), or a key to mint with. */
    char *token;
    int64_t token_exp;
    uint8_t *key;
    size_t keylen;
    int lifetime_s;
    int64_t renew_at;     /* Unix seconds when the minted token is replaced */
    const slurm_api *api; /* NULL until detected */
    int connect_timeout_ms, timeout_ms;
};

/* One HTTP reply: status (0 when there was none) and body (NUL-terminated, malloc'd). */
typedef struct slurm_rest_reply {
    long status;
    char *body;
    size_t len;
} slurm_rest_reply;

/* Sends one request (method "GET", "POST" or "DELETE"; body JSON text or NULL; the lock not
 * held: it is taken only to read the token and lend a handle), and classifies the outcome: AIFB_OK
 * for 2xx and 304 with the reply filled; otherwise the error of slurm_rest.h (EUNAVAILABLE,
 * EUNAUTHENTICATED, ENOTFOUND, refusal for Slurm errors of a 4xx/5xx reply, EABORTED) and the reply
 * freed. refusal is the code for a request Slurm refuses (AIFB_EINVAL for a submission,
 * AIFB_EABORTED elsewhere). */
aifb_code slurm_rest_exchange(slurm_rest *r, const char *method, const char *path, const char *body,
                              aifb_code refusal, slurm_rest_reply *reply, aifb_err *err);

/* Frees the body of a reply. */
void slurm_rest_reply_free(slurm_rest_reply *reply);

/* The data version, detected from GET /openapi/v3 the first time when it was not configured
 * (the lock not held). */
aifb_code slurm_rest_ensure_api(slurm_rest *r, const slurm_api **api, aifb_err *err);

#endif
