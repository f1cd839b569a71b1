/* scrape.c: --scrape (see scrape.h). */
#include "monitor/scrape.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "core/httpx.h"
#include "monitor/expo.h"

struct mon_scrape {
    char *url;
    char **taken;
    size_t ntaken;
    httpx *http;
    abuf body, last; /* this scrape's answer, the last good one */
    bool failing;    /* the last scrape failed (logged once) */
};

mon_scrape *scrape_new(const char *url, const char *const *taken, size_t ntaken, aifb_err *err)
{
    mon_scrape *s = xcalloc(1, sizeof *s);
    s->http = httpx_new(url, "--scrape", "the service's metrics are read without credentials",
                        "aifb-monitor/" AIFB_VERSION, 1000, 1000, NULL, err);
    if (!s->http) {
        free(s);
        return NULL;
    }
    s->url = xstrdup(url);
    s->taken = xcalloc(ntaken + 1, sizeof *s->taken);
    for (size_t i = 0; i < ntaken; i++)
        s->taken[i] = xstrdup(taken[i]);
    s->ntaken = ntaken;
    return s;
}

void scrape_free(mon_scrape *s)
{
    if (!s)
        return;
    httpx_free(s->http);
    for (size_t i = 0; i < s->ntaken; i++)
        free(s->taken[i]);
    free(s->taken);
    free(s->url);
    abuf_free(&s->body);
    abuf_free(&s->last);
    free(s);
}

static bool name_used(const char *name, const promrw_label *l, size_t n, const char *const *taken,
                      size_t ntaken)
{
    for (size_t i = 0; i < ntaken; i++)
        if (!strcmp(taken[i], name))
            return true;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(l[i].name, name))
            return true;
    return false;
}

void scrape_relabel(const promrw_label *in, size_t n, const char *const *taken, size_t ntaken,
                    promrw_label *out, char **names)
{
    for (size_t i = 0; i < n; i++) {
        out[i] = in[i];
        names[i] = NULL;
        if (!name_used(in[i].name, NULL, 0, taken, ntaken))
            continue;
        abuf b = {0};
        abuf_puts(&b, in[i].name);
        do { /* exported_NAME, unless the sample or the run uses that name too */
            char *prev = abuf_take(&b);
            abuf_printf(&b, "exported_%s", prev);
            free(prev);
        } while (name_used(b.p, in, n, taken, ntaken));
        names[i] = abuf_take(&b);
        out[i].name = names[i];
    }
}

typedef struct add_ctx {
    mon_scrape *s;
    promrw_batch *b;
    int64_t ts;
    size_t samples;
    bool stale;
} add_ctx;

static aifb_code count_sample(void *arg, const expo_sample *x, aifb_err *err)
{
    add_ctx *c = arg;
    (void)x;
    if (++c->samples > SCRAPE_MAX_SAMPLES)
        return aifb_err_set(err, AIFB_ERESOURCE, "more than %d samples", SCRAPE_MAX_SAMPLES);
    return AIFB_OK;
}

/* A sample promrw refuses (a value that is not UTF-8, the same series twice in one answer) is
 * left out; the rest of the scrape goes on. */
static aifb_code add_sample(void *arg, const expo_sample *x, aifb_err *err)
{
    add_ctx *c = arg;
    (void)err;
    promrw_label l[EXPO_MAX_LABELS];
    char *names[EXPO_MAX_LABELS];
    scrape_relabel(x->labels, x->nlabels, (const char *const *)c->s->taken, c->s->ntaken, l, names);
    size_t id;
    if (promrw_series_add(c->b, x->name, l, x->nlabels, &id, NULL) == AIFB_OK) {
        if (c->stale)
            promrw_stale_add(c->b, id, c->ts, NULL);
        else
            promrw_sample_add(c->b, id, x->value, c->ts, NULL);
    }
    for (size_t i = 0; i < x->nlabels; i++)
        free(names[i]);
    return AIFB_OK;
}

static bool fetch(mon_scrape *s, int timeout_ms, char *why, size_t n)
{
    /* the text format, never protobuf; OpenMetrics' text parses too but is not asked for */
    static const char *const accept[] = {"Accept: text/plain;version=0.0.4;q=1,*/*;q=0.1"};
    httpx_result r;
    httpx_set_timeouts(s->http, timeout_ms, timeout_ms);
    if (!httpx_request(s->http, "GET", accept, 1, NULL, 0, &s->body, SCRAPE_MAX_BYTES, &r)) {
        snprintf(why, n, "%s", r.error);
        return false;
    }
    if (r.status != 200) {
        snprintf(why, n, "HTTP %d", r.status);
        return false;
    }
    if (r.cut) {
        snprintf(why, n, "the answer is larger than %d bytes", (int)SCRAPE_MAX_BYTES);
        return false;
    }
    return true;
}

void scrape_collect(mon_scrape *s, promrw_batch *b, int64_t ts_ms, int timeout_ms, scrape_result *r)
{
    char why[AIFB_ERR_MSG_MAX];
    memset(r, 0, sizeof *r);
    int64_t t0 = aifb_mono_ms();
    bool ok = fetch(s, timeout_ms, why, sizeof why);
    r->duration_s = (double)(aifb_mono_ms() - t0) / 1000.0;
    add_ctx c = {s, b, ts_ms, 0, false};
    if (ok) {
        expo_handler check = {NULL, count_sample, &c};
        aifb_err err = {0};
        ok = expo_parse(s->body.p ? s->body.p : "", s->body.len, &check, &err) == AIFB_OK;
        if (!ok)
            snprintf(why, sizeof why, "%s", err.msg);
    }
    if (!ok) {
        if (!s->failing)
            log_warn("scrape of %s failed: %s (logged again when it works)", s->url, why);
        s->failing = true;
        return;
    }
    if (s->failing)
        log_info("scrape of %s works again", s->url);
    s->failing = false;
    expo_handler add = {NULL, add_sample, &c};
    expo_parse(s->body.p, s->body.len, &add, NULL);
    r->up = true;
    r->samples = c.samples;
    abuf tmp = s->last; /* keep this answer for scrape_stale; reuse the old one's memory */
    s->last = s->body;
    s->body = tmp;
}

void scrape_stale(mon_scrape *s, promrw_batch *b, int64_t ts_ms)
{
    if (!s || !s->last.len)
        return;
    add_ctx c = {s, b, ts_ms, 0, true};
    expo_handler add = {NULL, add_sample, &c};
    expo_parse(s->last.p, s->last.len, &add, NULL);
}
