/* httppush.c: see httppush.h. */
#include "core/httppush.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"

#define ANSWER_MAX 400 /* bytes of the receiver's answer kept for messages */

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

httppush_outcome httppush_post(httpx *c, const char *const *headers, size_t nheaders,
                               const void *body, size_t len, const char *shown,
                               const char *stopping, int *status, char *why, size_t whylen)
{
    abuf answer = {0};
    httpx_result r;
    bool answered = httpx_request(c, "POST", headers, nheaders, body, len, &answer, ANSWER_MAX, &r);
    *status = answered ? r.status : 0;
    httppush_outcome out;
    if (r.stopped) {
        snprintf(why, whylen, "push to %s abandoned: %s", shown, stopping);
        out = HTTPPUSH_STOPPED;
    } else if (!answered) {
        snprintf(why, whylen, "%s unreachable: %s", shown, r.error);
        out = HTTPPUSH_RETRY;
    } else if (r.status >= 200 && r.status < 300) {
        out = HTTPPUSH_SENT;
    } else {
        if (answer.len)
            one_line(answer.p);
        snprintf(why, whylen, "HTTP %d from %s: %s", r.status, shown,
                 answer.len ? answer.p : "(no answer)");
        out = (r.status == 429 || (r.status >= 500 && r.status < 600)) ? HTTPPUSH_RETRY
                                                                       : HTTPPUSH_REFUSED;
    }
    abuf_free(&answer);
    return out;
}

aifb_code httppush_check_url(const char *url, const char *what, const char *creds_hint,
                             char **url_out, char **shown, aifb_err *err)
{
    httpx_url u;
    aifb_code rc = httpx_parse_url(url, what, creds_hint, &u, err);
    if (rc != AIFB_OK)
        return rc;
    httpx_url_free(&u);
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
