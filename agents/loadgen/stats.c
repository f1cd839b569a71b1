/* stats.c: adding requests up into a phase's metrics, and writing them out (see stats.h). */
#include "loadgen/stats.h"

#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *lg_err_class_name(lg_err_class c)
{
    static const char *const names[] = {"connect",   "timeout",      "http", "reset",
                                        "malformed", "stream_error", "other"};
    return c < LG_NERR ? names[c] : "other";
}

const char *lg_hist_name(lg_hist_id h)
{
    static const char *const names[] = {"ttft", "tpot",          "itl",           "icl",
                                        "e2el", "ttft_intended", "e2el_intended", "lag"};
    return names[h];
}

bool stats_meets_slos(double ttft_ms, double tpot_ms, double e2el_ms, bool has_tpot,
                      const lg_slo *slos, size_t nslos)
{
    for (size_t i = 0; i < nslos; i++) {
        switch (slos[i].metric) {
        case LG_SLO_TTFT:
            if (ttft_ms > slos[i].ms)
                return false;
            break;
        case LG_SLO_TPOT:
            if (has_tpot && tpot_ms > slos[i].ms)
                return false;
            break;
        case LG_SLO_E2EL:
            if (e2el_ms > slos[i].ms)
                return false;
            break;
        }
    }
    return true;
}

static uint64_t since(uint64_t later, uint64_t earlier)
{
    return later > earlier ? later - earlier : 0;
}

bool stats_add(lg_stats *s, const lg_done *d, const lg_slo *slos, size_t nslos)
{
    hist_record(&s->h[LG_H_LAG], since(d->t_send, d->t_intended));
    if (!d->ok) {
        s->failed++;
        s->errors[d->err < LG_NERR ? d->err : LG_ERR_OTHER]++;
        if (d->err == LG_ERR_HTTP && d->status > 0 && d->status < 600)
            s->status[d->status]++;
        return false;
    }
    s->completed++;
    s->input_tokens += d->input_tokens;
    s->output_tokens += d->output_tokens;
    if (!d->tokens_from_usage)
        s->tokens_from_chunks++;
    uint64_t end = d->streamed && d->t_last ? d->t_last : d->t_end;
    uint64_t e2el = since(end, d->t_send);
    hist_record(&s->h[LG_H_E2EL], e2el);
    hist_record(&s->h[LG_H_E2EL_INTENDED], since(end, d->t_intended));
    double ttft_ms = 0, tpot_ms = 0;
    bool has_tpot = false;
    if (d->streamed && d->t_first) {
        uint64_t ttft = since(d->t_first, d->t_send);
        hist_record(&s->h[LG_H_TTFT], ttft);
        hist_record(&s->h[LG_H_TTFT_INTENDED], since(d->t_first, d->t_intended));
        ttft_ms = (double)ttft / 1e6;
        if (d->output_tokens > 1) {
            uint64_t tpot = (e2el - ttft) / (uint64_t)(d->output_tokens - 1);
            hist_record(&s->h[LG_H_TPOT], tpot);
            tpot_ms = (double)tpot / 1e6;
            has_tpot = true;
        }
        double per_chunk = d->content_chunks && d->output_tokens > (int64_t)d->content_chunks
                               ? (double)d->output_tokens / (double)d->content_chunks
                               : 1.0;
        for (size_t i = 0; i < d->ngaps; i++) {
            hist_record(&s->h[LG_H_ICL], d->gaps[i]);
            hist_record(&s->h[LG_H_ITL], (uint64_t)llround((double)d->gaps[i] / per_chunk));
        }
    } else if (!d->streamed) {
        ttft_ms = (double)e2el / 1e6; /* the whole answer is the first one */
    }
    bool good = stats_meets_slos(ttft_ms, tpot_ms, (double)e2el / 1e6, has_tpot, slos, nslos);
    if (good)
        s->good++;
    return good;
}

void stats_merge(lg_stats *dst, const lg_stats *src)
{
    for (int i = 0; i < LG_NHIST; i++)
        hist_merge(&dst->h[i], &src->h[i]);
    dst->sent += src->sent;
    dst->completed += src->completed;
    dst->failed += src->failed;
    dst->good += src->good;
    for (int i = 0; i < LG_NERR; i++) {
        dst->errors[i] += src->errors[i];
        if (!dst->first_error[i][0])
            memcpy(dst->first_error[i], src->first_error[i], sizeof dst->first_error[i]);
    }
    for (int i = 0; i < 600; i++)
        dst->status[i] += src->status[i];
    dst->input_tokens += src->input_tokens;
    dst->output_tokens += src->output_tokens;
    dst->tokens_from_chunks += src->tokens_from_chunks;
    if (src->duration_s > dst->duration_s)
        dst->duration_s = src->duration_s;
    dst->cpu_s += src->cpu_s;
}

void stats_free(lg_stats *s)
{
    for (int i = 0; i < LG_NHIST; i++)
        hist_free(&s->h[i]);
}

static void num(abuf *b, const char *name, double v)
{
    if (!isfinite(v))
        v = 0;
    abuf_printf(b, ",\"%s\":%.6g", name, v);
}

static void hist_fields(abuf *b, const char *m, const hist *h)
{
    static const struct {
        const char *name;
        double p;
    } pcts[] = {{"p90", 90}, {"p95", 95}, {"p99", 99}, {"p99.9", 99.9}};
    char key[64];
    snprintf(key, sizeof key, "mean_%s_ms", m);
    num(b, key, hist_mean(h) / 1e6);
    snprintf(key, sizeof key, "median_%s_ms", m);
    num(b, key, hist_percentile(h, 50) / 1e6);
    snprintf(key, sizeof key, "std_%s_ms", m);
    num(b, key, hist_stddev(h) / 1e6);
    for (size_t i = 0; i < sizeof pcts / sizeof pcts[0]; i++) {
        snprintf(key, sizeof key, "%s_%s_ms", pcts[i].name, m);
        num(b, key, hist_percentile(h, pcts[i].p) / 1e6);
    }
    snprintf(key, sizeof key, "min_%s_ms", m);
    num(b, key, h->total ? (double)h->min / 1e6 : 0);
    snprintf(key, sizeof key, "max_%s_ms", m);
    num(b, key, (double)h->max / 1e6);
    snprintf(key, sizeof key, "count_%s", m);
    abuf_printf(b, ",\"%s\":%llu", key, (unsigned long long)h->total);
}

void stats_json(const lg_stats *s, abuf *b)
{
    double dur = s->duration_s > 0 ? s->duration_s : 0;
    abuf_printf(b, "\"completed\":%lld,\"failed\":%lld,\"sent\":%lld", (long long)s->completed,
                (long long)s->failed, (long long)s->sent);
    num(b, "duration", dur);
    abuf_printf(b, ",\"total_input_tokens\":%lld,\"total_output_tokens\":%lld",
                (long long)s->input_tokens, (long long)s->output_tokens);
    num(b, "request_throughput", dur > 0 ? (double)s->completed / dur : 0);
    num(b, "output_throughput", dur > 0 ? (double)s->output_tokens / dur : 0);
    num(b, "total_token_throughput",
        dur > 0 ? (double)(s->input_tokens + s->output_tokens) / dur : 0);
    num(b, "request_goodput", dur > 0 ? (double)s->good / dur : 0);
    abuf_printf(b, ",\"good\":%lld", (long long)s->good);
    num(b, "goodput_fraction",
        s->completed + s->failed ? (double)s->good / (double)(s->completed + s->failed) : 0);
    abuf_printf(b, ",\"output_tokens_source\":\"%s\"",
                !s->completed                           ? "none"
                : s->tokens_from_chunks == 0            ? "usage"
                : s->tokens_from_chunks == s->completed ? "chunks"
                                                        : "mixed");
    num(b, "client_cpu_seconds", s->cpu_s);
    num(b, "client_cpu_percent", dur > 0 ? 100.0 * s->cpu_s / dur : 0);
    for (int i = 0; i < LG_NHIST; i++)
        hist_fields(b, lg_hist_name((lg_hist_id)i), &s->h[i]);
    abuf_puts(b, ",\"errors\":{");
    for (int i = 0; i < LG_NERR; i++)
        abuf_printf(b, "%s\"%s\":%lld", i ? "," : "", lg_err_class_name((lg_err_class)i),
                    (long long)s->errors[i]);
    abuf_puts(b, "},\"http_status\":{");
    bool first = true;
    for (int i = 0; i < 600; i++) {
        if (!s->status[i])
            continue;
        abuf_printf(b, "%s\"%d\":%lld", first ? "" : ",", i, (long long)s->status[i]);
        first = false;
    }
    abuf_puts(b, "},\"error_examples\":{");
    first = true;
    for (int i = 0; i < LG_NERR; i++) {
        if (!s->first_error[i][0])
            continue;
        abuf_printf(b, "%s\"%s\":", first ? "" : ",", lg_err_class_name((lg_err_class)i));
        abuf_json_str(b, s->first_error[i]);
        first = false;
    }
    abuf_puts(b, "}");
}

void stats_raw_json(const lg_stats *s, abuf *b)
{
    abuf_printf(b,
                "{\"sent\":%lld,\"completed\":%lld,\"failed\":%lld,\"good\":%lld,"
                "\"input_tokens\":%lld,\"output_tokens\":%lld,\"tokens_from_chunks\":%lld,"
                "\"duration_s\":%.9g,\"cpu_s\":%.9g,\"errors\":[",
                (long long)s->sent, (long long)s->completed, (long long)s->failed,
                (long long)s->good, (long long)s->input_tokens, (long long)s->output_tokens,
                (long long)s->tokens_from_chunks, s->duration_s, s->cpu_s);
    for (int i = 0; i < LG_NERR; i++)
        abuf_printf(b, "%s%lld", i ? "," : "", (long long)s->errors[i]);
    abuf_puts(b, "],\"status\":{");
    bool first = true;
    for (int i = 0; i < 600; i++) {
        if (s->status[i]) {
            abuf_printf(b, "%s\"%d\":%lld", first ? "" : ",", i, (long long)s->status[i]);
            first = false;
        }
    }
    abuf_puts(b, "},\"histograms\":{");
    for (int i = 0; i < LG_NHIST; i++) {
        char *h = hist_to_json(&s->h[i]);
        abuf_printf(b, "%s\"%s\":%s", i ? "," : "", lg_hist_name((lg_hist_id)i), h);
        free(h);
    }
    abuf_puts(b, "}}");
}

static int64_t get_i64(json_object *o, const char *k)
{
    json_object *v;
    return json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) : 0;
}

static double get_dbl(json_object *o, const char *k)
{
    json_object *v;
    return json_object_object_get_ex(o, k, &v) ? json_object_get_double(v) : 0;
}

bool stats_from_raw(lg_stats *s, const void *json, const char **why)
{
    json_object *o = (json_object *)json, *hs, *errs, *st;
    memset(s, 0, sizeof *s);
    if (!json_object_is_type(o, json_type_object) ||
        !json_object_object_get_ex(o, "histograms", &hs)) {
        *why = "no raw histograms (was it written by aifb-loadgen?)";
        return false;
    }
    s->sent = get_i64(o, "sent");
    s->completed = get_i64(o, "completed");
    s->failed = get_i64(o, "failed");
    s->good = get_i64(o, "good");
    s->input_tokens = get_i64(o, "input_tokens");
    s->output_tokens = get_i64(o, "output_tokens");
    s->tokens_from_chunks = get_i64(o, "tokens_from_chunks");
    s->duration_s = get_dbl(o, "duration_s");
    s->cpu_s = get_dbl(o, "cpu_s");
    if (json_object_object_get_ex(o, "errors", &errs) && json_object_is_type(errs, json_type_array))
        for (size_t i = 0; i < LG_NERR && i < json_object_array_length(errs); i++)
            s->errors[i] = json_object_get_int64(json_object_array_get_idx(errs, i));
    if (json_object_object_get_ex(o, "status", &st) && json_object_is_type(st, json_type_object)) {
        json_object_object_foreach(st, key, val)
        {
            int code = atoi(key);
            if (code > 0 && code < 600)
                s->status[code] = json_object_get_int64(val);
        }
    }
    for (int i = 0; i < LG_NHIST; i++) {
        json_object *h;
        if (!json_object_object_get_ex(hs, lg_hist_name((lg_hist_id)i), &h))
            continue;
        if (!hist_from_json(&s->h[i], h, why)) {
            stats_free(s);
            return false;
        }
    }
    return true;
}
