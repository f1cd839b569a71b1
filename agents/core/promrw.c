/* promrw.c: remote write batches (see promrw.h): checking series and samples against the
 * specification, the histogram helper, and the encoding of a batch as a request body.
 *
 * A batch keeps each series as the protobuf-c structures it will be encoded from (labels sorted,
 * __name__ included, strings owned by the batch), so encoding only gathers pointers, packs and
 * compresses. A series is found again by a hash of its label set, which keeps "add the same
 * series twice" cheap in batches of a few thousand series. */
#include "core/promrw.h"

#include <math.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "prometheus/remote.pb-c.h"

/* Prometheus' value.NormalNaN and value.StaleNaN. */
#define NORMAL_NAN_BITS 0x7ff8000000000001ULL
#define STALE_NAN_BITS  0x7ff0000000000002ULL

typedef struct rw_series {
    Prometheus__Label *labels; /* sorted by name, __name__ among them */
    size_t nlabels;
    Prometheus__Sample *samples;
    size_t nsamples, cap;
    uint64_t hash;
} rw_series;

struct promrw_batch {
    rw_series *series;
    size_t n, cap;
    size_t nsamples;
    promrw_label *consts; /* constant labels, strings owned */
    size_t nconsts;
};

/* ---- names and values ------------------------------------------------------------------------ */

static bool name_ok(const char *s, bool colon)
{
    if (!*s || (*s >= '0' && *s <= '9'))
        return false;
    for (; *s; s++) {
        char c = *s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || (colon && c == ':')))
            return false;
    }
    return true;
}

/* Well-formed UTF-8: no stray continuation bytes, no overlong forms, no surrogates, <= U+10FFFF
 * (what Go's utf8.ValidString, and so Prometheus, accepts). */
static bool utf8_ok(const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    while (*s) {
        unsigned c = *s;
        size_t n = c < 0x80             ? 0
                   : (c & 0xe0) == 0xc0 ? 1
                   : (c & 0xf0) == 0xe0 ? 2
                   : (c & 0xf8) == 0xf0 ? 3
                                        : 9;
        if (n == 9 || (n == 1 && c < 0xc2) || (n == 3 && c > 0xf4))
            return false;
        uint32_t cp = c & (0x3f >> n);
        for (size_t i = 1; i <= n; i++) {
            if ((s[i] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (s[i] & 0x3f);
        }
        if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
            return false;
        s += n + 1;
    }
    return true;
}

/* what: where the label comes from, for the message ("metric aifb_requests_total"). */
static aifb_code check_label(const char *what, const promrw_label *l, aifb_err *err)
{
    if (!l->name || !name_ok(l->name, false))
        return aifb_err_set(err, AIFB_EINVAL,
                            "%s: label name '%.100s' is not [a-zA-Z_][a-zA-Z0-9_]*", what,
                            l->name ? l->name : "(null)");
    if (l->name[0] == '_' && l->name[1] == '_')
        return aifb_err_set(err, AIFB_EINVAL,
                            "%s: label name '%.100s' starts with __, which Prometheus reserves "
                            "for itself",
                            what, l->name);
    if (!l->value)
        return aifb_err_set(err, AIFB_EINVAL, "%s: label '%s' has no value (NULL)", what, l->name);
    if (!utf8_ok(l->value))
        return aifb_err_set(err, AIFB_EINVAL, "%s: the value of label '%s' is not UTF-8", what,
                            l->name);
    return AIFB_OK;
}

static int label_cmp(const void *a, const void *b)
{
    return strcmp(((const promrw_label *)a)->name, ((const promrw_label *)b)->name);
}

/* ---- batches --------------------------------------------------------------------------------- */

promrw_batch *promrw_batch_new(void)
{
    return xcalloc(1, sizeof(promrw_batch));
}

static void series_free(rw_series *s)
{
    for (size_t i = 0; i < s->nlabels; i++) {
        free(s->labels[i].name);
        free(s->labels[i].value);
    }
    free(s->labels);
    free(s->samples);
}

/* Drops the series from index keep on (a histogram that could not be added whole). */
static void batch_truncate(promrw_batch *b, size_t keep)
{
    while (b->n > keep) {
        rw_series *s = &b->series[--b->n];
        b->nsamples -= s->nsamples;
        series_free(s);
    }
}

void promrw_batch_clear(promrw_batch *b)
{
    batch_truncate(b, 0);
}

static void consts_free(promrw_batch *b)
{
    for (size_t i = 0; i < b->nconsts; i++) {
        free((char *)b->consts[i].name);
        free((char *)b->consts[i].value);
    }
    free(b->consts);
    b->consts = NULL;
    b->nconsts = 0;
}

void promrw_batch_free(promrw_batch *b)
{
    if (!b)
        return;
    promrw_batch_clear(b);
    free(b->series);
    consts_free(b);
    free(b);
}

size_t promrw_batch_series(const promrw_batch *b)
{
    return b->n;
}

size_t promrw_batch_samples(const promrw_batch *b)
{
    return b->nsamples;
}

aifb_code promrw_batch_const_labels(promrw_batch *b, const promrw_label *labels, size_t nlabels,
                                    aifb_err *err)
{
    for (size_t i = 0; i < nlabels; i++) {
        if (check_label("constant labels", &labels[i], err) != AIFB_OK)
            return err ? err->code : AIFB_EINVAL;
        for (size_t j = 0; j < i; j++)
            if (strcmp(labels[i].name, labels[j].name) == 0)
                return aifb_err_set(err, AIFB_EINVAL, "constant label '%s' given twice",
                                    labels[i].name);
    }
    consts_free(b);
    b->consts = nlabels ? xcalloc(nlabels, sizeof *b->consts) : NULL;
    for (size_t i = 0; i < nlabels; i++)
        b->consts[i] = (promrw_label){xstrdup(labels[i].name), xstrdup(labels[i].value)};
    b->nconsts = nlabels;
    return AIFB_OK;
}

static uint64_t fnv(uint64_t h, const char *s)
{
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return (h ^ 0xff) * 0x100000001b3ULL; /* a separator, so "ab","c" and "a","bc" differ */
}

/* The series with exactly these (sorted, non-empty) labels, or -1. */
static long series_find(const promrw_batch *b, const promrw_label *ls, size_t n, uint64_t hash)
{
    for (size_t i = 0; i < b->n; i++) {
        const rw_series *s = &b->series[i];
        if (s->hash != hash || s->nlabels != n)
            continue;
        size_t j = 0;
        while (j < n && strcmp(s->labels[j].name, ls[j].name) == 0 &&
               strcmp(s->labels[j].value, ls[j].value) == 0)
            j++;
        if (j == n)
            return (long)i;
    }
    return -1;
}

/* Gathers __name__, the constant and the given labels into ls (room for all of them), checked,
 * sorted and without empty values; *n is how many remain. */
static aifb_code gather_labels(const promrw_batch *b, const char *metric,
                               const promrw_label *labels, size_t nlabels, promrw_label *ls,
                               size_t *n, aifb_err *err)
{
    if (!metric || !name_ok(metric, true))
        return aifb_err_set(err, AIFB_EINVAL,
                            "metric name '%.100s' is not [a-zA-Z_:][a-zA-Z0-9_:]*",
                            metric ? metric : "(null)");
    size_t k = 0;
    ls[k++] = (promrw_label){"__name__", metric};
    for (size_t i = 0; i < b->nconsts; i++)
        ls[k++] = b->consts[i];
    char what[160];
    snprintf(what, sizeof what, "metric %s", metric);
    for (size_t i = 0; i < nlabels; i++) {
        if (check_label(what, &labels[i], err) != AIFB_OK)
            return err ? err->code : AIFB_EINVAL;
        ls[k++] = labels[i];
    }
    qsort(ls, k, sizeof *ls, label_cmp);
    size_t kept = 0;
    for (size_t i = 0; i < k; i++) {
        if (i > 0 && strcmp(ls[i].name, ls[i - 1].name) == 0)
            return aifb_err_set(err, AIFB_EINVAL, "metric %s: label '%s' given twice", metric,
                                ls[i].name);
        if (*ls[i].value)
            ls[kept++] = ls[i];
    }
    *n = kept;
    return AIFB_OK;
}

aifb_code promrw_series_add(promrw_batch *b, const char *metric, const promrw_label *labels,
                            size_t nlabels, size_t *series, aifb_err *err)
{
    promrw_label *ls = xcalloc(1 + b->nconsts + nlabels, sizeof *ls);
    size_t n = 0;
    aifb_code rc = gather_labels(b, metric, labels, nlabels, ls, &n, err);
    if (rc != AIFB_OK) {
        free(ls);
        return rc;
    }
    uint64_t hash = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++)
        hash = fnv(fnv(hash, ls[i].name), ls[i].value);
    long found = series_find(b, ls, n, hash);
    if (found >= 0) {
        *series = (size_t)found;
        free(ls);
        return AIFB_OK;
    }
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 16;
        b->series = xrealloc(b->series, b->cap * sizeof *b->series);
    }
    rw_series *s = &b->series[b->n];
    memset(s, 0, sizeof *s);
    s->hash = hash;
    s->nlabels = n;
    s->labels = xcalloc(n, sizeof *s->labels);
    for (size_t i = 0; i < n; i++) {
        Prometheus__Label l = PROMETHEUS__LABEL__INIT;
        l.name = xstrdup(ls[i].name);
        l.value = xstrdup(ls[i].value);
        s->labels[i] = l;
    }
    free(ls);
    *series = b->n++;
    return AIFB_OK;
}

static const char *series_name(const rw_series *s)
{
    for (size_t i = 0; i < s->nlabels; i++)
        if (strcmp(s->labels[i].name, "__name__") == 0)
            return s->labels[i].value;
    return "?";
}

/* Whether a sample at ts may follow the series' samples. */
static aifb_code sample_check(const promrw_batch *b, size_t series, int64_t ts, aifb_err *err)
{
    if (series >= b->n)
        return aifb_err_set(err, AIFB_EINVAL, "no series %zu in the batch (it has %zu)", series,
                            b->n);
    const rw_series *s = &b->series[series];
    if (s->nsamples && ts <= s->samples[s->nsamples - 1].timestamp)
        return aifb_err_set(err, AIFB_EINVAL,
                            "series %s: a sample at %lld ms is not after the last one, at %lld ms "
                            "(samples of a series go in time order)",
                            series_name(s), (long long)ts,
                            (long long)s->samples[s->nsamples - 1].timestamp);
    return AIFB_OK;
}

static void sample_append(promrw_batch *b, size_t series, double v, int64_t ts)
{
    rw_series *s = &b->series[series];
    if (s->nsamples == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 4;
        s->samples = xrealloc(s->samples, s->cap * sizeof *s->samples);
    }
    Prometheus__Sample sm = PROMETHEUS__SAMPLE__INIT;
    sm.value = v;
    sm.timestamp = ts;
    s->samples[s->nsamples++] = sm;
    b->nsamples++;
}

static double from_bits(uint64_t bits)
{
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

aifb_code promrw_sample_add(promrw_batch *b, size_t series, double value, int64_t ts_ms,
                            aifb_err *err)
{
    aifb_code rc = sample_check(b, series, ts_ms, err);
    if (rc == AIFB_OK)
        sample_append(b, series, isnan(value) ? from_bits(NORMAL_NAN_BITS) : value, ts_ms);
    return rc;
}

aifb_code promrw_stale_add(promrw_batch *b, size_t series, int64_t ts_ms, aifb_err *err)
{
    aifb_code rc = sample_check(b, series, ts_ms, err);
    if (rc == AIFB_OK)
        sample_append(b, series, from_bits(STALE_NAN_BITS), ts_ms);
    return rc;
}

aifb_code promrw_add(promrw_batch *b, const char *metric, const promrw_label *labels,
                     size_t nlabels, double value, int64_t ts_ms, aifb_err *err)
{
    size_t before = b->n, id;
    aifb_code rc = promrw_series_add(b, metric, labels, nlabels, &id, err);
    if (rc == AIFB_OK && (rc = promrw_sample_add(b, id, value, ts_ms, err)) != AIFB_OK)
        batch_truncate(b, before);
    return rc;
}

/* ---- histograms ------------------------------------------------------------------------------ */

/* The shortest %g form that reads back as v (as Go's FormatFloat(v, 'g', -1, 64) writes it). */
static void format_le(double v, char *out, size_t len)
{
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(out, len, "%.*g", prec, v);
        if (strtod(out, NULL) == v)
            return;
    }
}

static aifb_code check_bounds(const char *metric, const double *bounds, size_t n, aifb_err *err)
{
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(bounds[i]) || bounds[i] < 0)
            return aifb_err_set(err, AIFB_EINVAL,
                                "histogram %s: bucket bound %zu (%g) is not a finite number >= 0 "
                                "(le=\"+Inf\" is added by itself)",
                                metric, i, bounds[i]);
        if (i > 0 && bounds[i] <= bounds[i - 1])
            return aifb_err_set(err, AIFB_EINVAL,
                                "histogram %s: bucket bounds are not ascending (%g after %g)",
                                metric, bounds[i], bounds[i - 1]);
    }
    return AIFB_OK;
}

static uint64_t seconds_to_ns(double s)
{
    double ns = round(s * 1e9);
    return ns >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)ns;
}

/* The series of one histogram: nbounds + 1 buckets, then _sum, then _count. */
static aifb_code histogram_series(promrw_batch *b, const char *metric, const promrw_label *labels,
                                  size_t nlabels, const double *bounds, size_t nbounds, size_t *ids,
                                  aifb_err *err)
{
    promrw_label *ls = xcalloc(nlabels + 1, sizeof *ls);
    if (nlabels)
        memcpy(ls, labels, nlabels * sizeof *ls);
    char le[32];
    ls[nlabels].name = "le";
    ls[nlabels].value = le;
    abuf name = {0};
    abuf_printf(&name, "%s_bucket", metric);
    aifb_code rc = AIFB_OK;
    for (size_t i = 0; i <= nbounds && rc == AIFB_OK; i++) {
        if (i < nbounds)
            format_le(bounds[i], le, sizeof le);
        else
            snprintf(le, sizeof le, "+Inf");
        rc = promrw_series_add(b, name.p, ls, nlabels + 1, &ids[i], err);
    }
    name.len = 0;
    abuf_printf(&name, "%s_sum", metric);
    if (rc == AIFB_OK)
        rc = promrw_series_add(b, name.p, labels, nlabels, &ids[nbounds + 1], err);
    name.len = 0;
    abuf_printf(&name, "%s_count", metric);
    if (rc == AIFB_OK)
        rc = promrw_series_add(b, name.p, labels, nlabels, &ids[nbounds + 2], err);
    abuf_free(&name);
    free(ls);
    return rc;
}

aifb_code promrw_histogram_add(promrw_batch *b, const char *metric, const promrw_label *labels,
                               size_t nlabels, const hist *h, const double *bounds_s,
                               size_t nbounds, int64_t ts_ms, aifb_err *err)
{
    if (!metric || !name_ok(metric, true))
        return aifb_err_set(err, AIFB_EINVAL,
                            "metric name '%.100s' is not [a-zA-Z_:][a-zA-Z0-9_:]*",
                            metric ? metric : "(null)");
    for (size_t i = 0; i < nlabels; i++)
        if (labels[i].name && strcmp(labels[i].name, "le") == 0)
            return aifb_err_set(err, AIFB_EINVAL,
                                "histogram %s: a label named le (the histogram adds its own)",
                                metric);
    aifb_code rc = check_bounds(metric, bounds_s, nbounds, err);
    if (rc != AIFB_OK)
        return rc;
    size_t before = b->n, nids = nbounds + 3;
    size_t *ids = xcalloc(nids, sizeof *ids);
    rc = histogram_series(b, metric, labels, nlabels, bounds_s, nbounds, ids, err);
    for (size_t i = 0; i < nids && rc == AIFB_OK; i++)
        rc = sample_check(b, ids[i], ts_ms, err);
    if (rc != AIFB_OK) {
        batch_truncate(b, before);
        free(ids);
        return rc;
    }
    for (size_t i = 0; i < nbounds; i++)
        sample_append(b, ids[i], (double)hist_count_le(h, seconds_to_ns(bounds_s[i])), ts_ms);
    sample_append(b, ids[nbounds], (double)h->total, ts_ms);
    sample_append(b, ids[nbounds + 1], (double)h->sum / 1e9, ts_ms);
    sample_append(b, ids[nbounds + 2], (double)h->total, ts_ms);
    free(ids);
    return AIFB_OK;
}

/* ---- encoding -------------------------------------------------------------------------------- */

aifb_code promrw_batch_encode(const promrw_batch *b, void **body, size_t *len, aifb_err *err)
{
    size_t nseries = 0, nlabels = 0;
    for (size_t i = 0; i < b->n; i++)
        if (b->series[i].nsamples) {
            nseries++;
            nlabels += b->series[i].nlabels;
        }
    /* protobuf-c wants arrays of pointers; they point into the batch, which stays untouched. */
    Prometheus__TimeSeries *ts = xcalloc(nseries + 1, sizeof *ts);
    Prometheus__TimeSeries **tsp = xcalloc(nseries + 1, sizeof *tsp);
    Prometheus__Label **lp = xcalloc(nlabels + 1, sizeof *lp);
    Prometheus__Sample **sp = xcalloc(b->nsamples + 1, sizeof *sp);
    size_t k = 0, li = 0, si = 0;
    for (size_t i = 0; i < b->n; i++) {
        rw_series *s = &b->series[i];
        if (!s->nsamples)
            continue;
        prometheus__time_series__init(&ts[k]);
        ts[k].n_labels = s->nlabels;
        ts[k].labels = &lp[li];
        for (size_t j = 0; j < s->nlabels; j++)
            lp[li++] = &s->labels[j];
        ts[k].n_samples = s->nsamples;
        ts[k].samples = &sp[si];
        for (size_t j = 0; j < s->nsamples; j++)
            sp[si++] = &s->samples[j];
        tsp[k] = &ts[k];
        k++;
    }
    Prometheus__WriteRequest req = PROMETHEUS__WRITE_REQUEST__INIT;
    req.n_timeseries = nseries;
    req.timeseries = tsp;
    size_t plen = prometheus__write_request__get_packed_size(&req);
    uint8_t *packed = xmalloc(plen + 1);
    prometheus__write_request__pack(&req, packed);
    free(ts);
    free(tsp);
    free(lp);
    free(sp);

    size_t clen = snappy_max_compressed_length(plen);
    char *out = xmalloc(clen);
    snappy_status st = snappy_compress((const char *)packed, plen, out, &clen);
    free(packed);
    if (st != SNAPPY_OK) {
        free(out);
        return aifb_err_set(err, AIFB_EINTERNAL,
                            "snappy could not compress a %zu-byte request (%d)", plen, (int)st);
    }
    *body = out;
    *len = clen;
    return AIFB_OK;
}
