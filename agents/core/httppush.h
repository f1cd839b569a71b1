/* httppush.h: one POST to a receiver of pushed data (Prometheus remote write, Loki's push API)
 * on a client kept for the next one (core/httpx.h), and what its outcome means for the body.
 *
 * The agents' senders (core/promrw_send.c, logship/sender.c) each own a client and give their
 * own headers; the judgement of an outcome is the one both specifications ask for:
 * 2xx is sent; 429, 5xx and no answer are worth another try; any other status means the
 * receiver will never take this body, and its answer is quoted (on one line, at most 400 bytes)
 * in the sentence for people. Requests go straight to the receiver: a proxy from the environment
 * would see the credentials. */
#ifndef AIFB_AGENT_HTTPPUSH_H
#define AIFB_AGENT_HTTPPUSH_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "core/httpx.h"
#include "core/rng.h"

/* Checks a receiver's URL before anything is sent: a URL, http:// or https://, and without
 * user:password@ (a credential in a URL ends up in messages and logs). what names the URL in
 * messages ("the Loki URL"); creds_hint says how credentials are given instead. On success
 * *url_out is a copy of url and *shown one without its query or fragment, for messages (both
 * malloc'd). AIFB_EINVAL naming the problem; nothing is quoted before it is known to hold no
 * credentials. */
aifb_code httppush_check_url(const char *url, const char *what, const char *creds_hint,
                             char **url_out, char **shown, aifb_err *err);

/* The wait in ms before retry number attempt + 1: min_ms * 2^attempt, at most max_ms, drawn from
 * [w/2, w] with r, so that agents that failed together do not come back together. */
int64_t httppush_backoff_ms(rng *r, int min_ms, int max_ms, int attempt);

typedef enum httppush_outcome {
    HTTPPUSH_SENT,    /* 2xx */
    HTTPPUSH_RETRY,   /* 429, 5xx, no connection, no answer in time */
    HTTPPUSH_REFUSED, /* any other status: sending it again cannot work */
    HTTPPUSH_STOPPED, /* abandoned because *stop became true */
} httppush_outcome;

/* POSTs len bytes of body once on c with the given header lines. *status is the HTTP status (0
 * without an answer). For anything but HTTPPUSH_SENT, why is a sentence naming shown (the URL as
 * it may be shown): "HTTP 400 from URL: <answer>", "URL unreachable: <reason>", or for a stop
 * "push to URL abandoned: <stopping>" (what is stopping, e.g. "aifb-logship is stopping"). */
httppush_outcome httppush_post(httpx *c, const char *const *headers, size_t nheaders,
                               const void *body, size_t len, const char *shown,
                               const char *stopping, int *status, char *why, size_t whylen);

#endif
