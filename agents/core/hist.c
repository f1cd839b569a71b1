/* hist.c: the log-linear histogram (see hist.h).
 *
 * Bucket index of v: v itself below 2^S (S = HIST_SUB_BITS); above, with shift = msb(v) - (S - 1),
 * v >> shift lies in [2^(S-1), 2^S) and the index is shift * 2^(S-1) + (v >> shift), which
 * continues the exact range without a gap. */
#include "core/hist.h"

#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

#define HALF (1u << (HIST_SUB_BITS - 1))

size_t hist_bucket_of(uint64_t v)
{
    if (v < (1u << HIST_SUB_BITS))
        return (size_t)v;
    int msb = 63 - __builtin_clzll(v);
    int shift = msb - (HIST_SUB_BITS - 1);
    return (size_t)shift * HALF + (size_t)(v >> shift);
}

void hist_bucket_range(size_t b, uint64_t *lo, uint64_t *width)
{
    if (b < (1u << HIST_SUB_BITS)) {
        *lo = b;
        *width = 1;
        return;
    }
    size_t shift = b / HALF - 1;
    uint64_t m = b - shift * HALF;
    *lo = m << shift;
    *width = (uint64_t)1 << shift;
}

static void grow(hist *h, size_t need)
{
    if (need <= h->len)
        return;
    size_t n = h->len ? h->len : 2048;
    while (n < need)
        n *= 2;
    if (n > HIST_MAX_BUCKETS)
        n = HIST_MAX_BUCKETS;
    h->counts = xrealloc(h->counts, n * sizeof *h->counts);
    memset(h->counts + h->len, 0, (n - h->len) * sizeof *h->counts);
    h->len = n;
}

void hist_record_n(hist *h, uint64_t v, uint64_t n)
{
    if (!n)
        return;
    size_t b = hist_bucket_of(v);
    grow(h, b + 1);
    h->counts[b] += n;
    if (!h->total || v < h->min)
        h->min = v;
    if (v > h->max)
        h->max = v;
    h->total += n;
    h->sum += v * n;
    h->sumsq += (double)v * (double)v * (double)n;
}

void hist_record(hist *h, uint64_t v)
{
    hist_record_n(h, v, 1);
}

void hist_merge(hist *dst, const hist *src)
{
    if (!src->total)
        return;
    grow(dst, src->len);
    for (size_t i = 0; i < src->len; i++)
        dst->counts[i] += src->counts[i];
    if (!dst->total || src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
    dst->total += src->total;
    dst->sum += src->sum;
    dst->sumsq += src->sumsq;
}

void hist_reset(hist *h)
{
    if (h->counts)
        memset(h->counts, 0, h->len * sizeof *h->counts);
    h->total = h->min = h->max = h->sum = 0;
    h->sumsq = 0;
}

void hist_free(hist *h)
{
    free(h->counts);
    memset(h, 0, sizeof *h);
}

double hist_percentile(const hist *h, double p)
{
    if (!h->total)
        return 0;
    if (p <= 0)
        return (double)h->min;
    if (p >= 100)
        return (double)h->max;
    uint64_t rank = (uint64_t)ceil(p / 100.0 * (double)h->total);
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < h->len; i++) {
        seen += h->counts[i];
        if (seen >= rank) {
            uint64_t lo, width;
            hist_bucket_range(i, &lo, &width);
            double mid = (double)lo + (double)(width - 1) / 2.0;
            if (mid < (double)h->min)
                mid = (double)h->min;
            if (mid > (double)h->max)
                mid = (double)h->max;
            return mid;
        }
    }
    return (double)h->max;
}

double hist_mean(const hist *h)
{
    return h->total ? (double)h->sum / (double)h->total : 0;
}

double hist_stddev(const hist *h)
{
    if (h->total < 2)
        return 0;
    double mean = hist_mean(h);
    double var = h->sumsq / (double)h->total - mean * mean;
    return var > 0 ? sqrt(var) : 0;
}

uint64_t hist_count_le(const hist *h, uint64_t v)
{
    size_t last = hist_bucket_of(v);
    uint64_t n = 0;
    for (size_t i = 0; i < h->len && i <= last; i++)
        n += h->counts[i];
    return n;
}

char *hist_to_json(const hist *h)
{
    abuf b = {0};
    abuf_printf(&b,
                "{\"sub_bucket_bits\":%d,\"total\":%llu,\"min\":%llu,\"max\":%llu,\"sum\":%llu,"
                "\"sumsq\":%.17g,\"buckets\":[",
                HIST_SUB_BITS, (unsigned long long)h->total, (unsigned long long)h->min,
                (unsigned long long)h->max, (unsigned long long)h->sum, h->sumsq);
    bool first = true;
    for (size_t i = 0; i < h->len; i++) {
        if (!h->counts[i])
            continue;
        abuf_printf(&b, "%s[%zu,%llu]", first ? "" : ",", i, (unsigned long long)h->counts[i]);
        first = false;
    }
    abuf_puts(&b, "]}");
    return abuf_take(&b);
}

static bool get_u64(json_object *o, const char *key, uint64_t *out)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
        return false;
    *out = json_object_get_uint64(v);
    return true;
}

bool hist_from_json(hist *h, const void *json, const char **why)
{
    json_object *o = (json_object *)json, *v, *buckets;
    memset(h, 0, sizeof *h);
    uint64_t bits = 0, total = 0;
    if (!json_object_is_type(o, json_type_object) || !get_u64(o, "sub_bucket_bits", &bits)) {
        *why = "not a histogram (no sub_bucket_bits)";
        return false;
    }
    if (bits != HIST_SUB_BITS) {
        *why = "a histogram with another bucket layout (sub_bucket_bits)";
        return false;
    }
    if (!json_object_object_get_ex(o, "buckets", &buckets) ||
        !json_object_is_type(buckets, json_type_array)) {
        *why = "a histogram without its buckets";
        return false;
    }
    size_t n = json_object_array_length(buckets);
    for (size_t i = 0; i < n; i++) {
        json_object *pair = json_object_array_get_idx(buckets, i);
        if (!json_object_is_type(pair, json_type_array) || json_object_array_length(pair) != 2) {
            *why = "a histogram bucket that is not [index, count]";
            hist_free(h);
            return false;
        }
        int64_t idx = json_object_get_int64(json_object_array_get_idx(pair, 0));
        int64_t cnt = json_object_get_int64(json_object_array_get_idx(pair, 1));
        if (idx < 0 || idx >= (int64_t)HIST_MAX_BUCKETS || cnt < 0) {
            *why = "a histogram bucket out of range";
            hist_free(h);
            return false;
        }
        grow(h, (size_t)idx + 1);
        h->counts[idx] += (uint64_t)cnt;
        total += (uint64_t)cnt;
    }
    h->total = total;
    uint64_t declared = 0;
    if (get_u64(o, "total", &declared) && declared != total) {
        *why = "a histogram whose buckets do not add up to its total";
        hist_free(h);
        return false;
    }
    get_u64(o, "min", &h->min);
    get_u64(o, "max", &h->max);
    get_u64(o, "sum", &h->sum);
    if (json_object_object_get_ex(o, "sumsq", &v))
        h->sumsq = json_object_get_double(v);
    return true;
}
