/* Metric arithmetic: TPOT as vLLM defines it, ITL and ICL, goodput, error classes, merging. */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "loadgen/stats.h"

#define MS 1000000ULL

static lg_done streamed(uint64_t send, uint64_t first, uint64_t last, int64_t tokens)
{
    lg_done d = {.t_intended = send,
                 .t_send = send,
                 .t_first = first,
                 .t_last = last,
                 .t_end = last + MS,
                 .output_tokens = tokens,
                 .tokens_from_usage = true,
                 .content_chunks = (size_t)tokens,
                 .streamed = true,
                 .ok = true};
    return d;
}

Test(stats, tpot_excludes_the_first_token_as_vllm_defines_it)
{
    lg_stats s = {0};
    /* TTFT 50 ms, then 9 more tokens over 180 ms: TPOT = 180 / 9 = 20 ms. */
    lg_done d = streamed(0, 50 * MS, 230 * MS, 10);
    stats_add(&s, &d, NULL, 0);
    cr_assert_float_eq(hist_percentile(&s.h[LG_H_TTFT], 50) / 1e6, 50, 0.1);
    cr_assert_float_eq(hist_percentile(&s.h[LG_H_TPOT], 50) / 1e6, 20, 0.05);
    cr_assert_float_eq(hist_percentile(&s.h[LG_H_E2EL], 50) / 1e6, 230, 0.5);
    cr_assert_eq(s.h[LG_H_TPOT].total, 1);
    stats_free(&s);
}

Test(stats, a_one_token_answer_has_no_tpot)
{
    lg_stats s = {0};
    lg_done d = streamed(0, 50 * MS, 50 * MS, 1);
    stats_add(&s, &d, NULL, 0);
    cr_assert_eq(s.h[LG_H_TPOT].total, 0);
    cr_assert_eq(s.completed, 1);
    stats_free(&s);
}

Test(stats, itl_spreads_a_chunk_gap_over_its_tokens_and_icl_keeps_the_gap)
{
    lg_stats s = {0};
    uint64_t gaps[] = {40 * MS, 40 * MS};
    lg_done d = streamed(0, 10 * MS, 90 * MS, 6); /* 3 chunks of 2 tokens */
    d.content_chunks = 3;
    d.gaps = gaps;
    d.ngaps = 2;
    stats_add(&s, &d, NULL, 0);
    cr_assert_float_eq(hist_percentile(&s.h[LG_H_ICL], 50) / 1e6, 40, 0.1);
    cr_assert_float_eq(hist_percentile(&s.h[LG_H_ITL], 50) / 1e6, 20, 0.05);
    stats_free(&s);
}

Test(stats, goodput_counts_completed_requests_meeting_every_slo)
{
    lg_slo slos[] = {{LG_SLO_TTFT, 100}, {LG_SLO_TPOT, 25}};
    lg_stats s = {0};
    lg_done fast = streamed(0, 50 * MS, 230 * MS, 10);        /* ttft 50, tpot 20: good */
    lg_done slow_first = streamed(0, 150 * MS, 330 * MS, 10); /* ttft 150: not */
    lg_done slow_tokens = streamed(0, 50 * MS, 500 * MS, 10); /* tpot 50: not */
    lg_done failed = {.ok = false, .err = LG_ERR_HTTP, .status = 503};
    cr_assert(stats_add(&s, &fast, slos, 2));
    cr_assert_not(stats_add(&s, &slow_first, slos, 2));
    cr_assert_not(stats_add(&s, &slow_tokens, slos, 2));
    cr_assert_not(stats_add(&s, &failed, slos, 2));
    cr_assert_eq(s.good, 1);
    cr_assert_eq(s.completed, 3);
    cr_assert_eq(s.failed, 1);
    cr_assert_eq(s.errors[LG_ERR_HTTP], 1);
    cr_assert_eq(s.status[503], 1);
    s.duration_s = 2;
    abuf b = {0};
    abuf_putc(&b, '{');
    stats_json(&s, &b);
    abuf_putc(&b, '}');
    json_object *o = json_tokener_parse(b.p), *v;
    cr_assert_not_null(o, "%s", b.p);
    cr_assert(json_object_object_get_ex(o, "request_goodput", &v));
    cr_assert_float_eq(json_object_get_double(v), 0.5, 1e-9);
    cr_assert(json_object_object_get_ex(o, "request_throughput", &v));
    cr_assert_float_eq(json_object_get_double(v), 1.5, 1e-9);
    cr_assert(json_object_object_get_ex(o, "goodput_fraction", &v));
    cr_assert_float_eq(json_object_get_double(v), 0.25, 1e-9);
    cr_assert(json_object_object_get_ex(o, "p99_ttft_ms", &v));
    cr_assert(json_object_object_get_ex(o, "median_tpot_ms", &v));
    cr_assert(json_object_object_get_ex(o, "p99.9_e2el_ms", &v));
    json_object_put(o);
    abuf_free(&b);
    stats_free(&s);
}

Test(stats, tpot_slo_is_met_by_a_one_token_answer)
{
    lg_slo slo = {LG_SLO_TPOT, 1};
    cr_assert(stats_meets_slos(10, 0, 10, false, &slo, 1));
    cr_assert_not(stats_meets_slos(10, 2, 10, true, &slo, 1));
}

Test(stats, latency_from_intended_includes_the_client_lag)
{
    lg_stats s = {0};
    lg_done d = streamed(100 * MS, 150 * MS, 150 * MS, 1);
    d.t_intended = 0; /* held back 100 ms by the client */
    stats_add(&s, &d, NULL, 0);
    cr_assert_float_eq(hist_percentile(&s.h[LG_H_TTFT], 50) / 1e6, 50, 0.1);
    cr_assert_float_eq(hist_percentile(&s.h[LG_H_TTFT_INTENDED], 50) / 1e6, 150, 0.2);
    cr_assert_float_eq(hist_percentile(&s.h[LG_H_LAG], 50) / 1e6, 100, 0.1);
    stats_free(&s);
}

Test(stats, raw_json_merges_back_to_the_same_figures)
{
    lg_stats a = {0}, b = {0}, back = {0};
    for (int i = 1; i <= 100; i++) {
        lg_done d = streamed(0, (uint64_t)i * MS, (uint64_t)(i + 100) * MS, 11);
        stats_add(i % 2 ? &a : &b, &d, NULL, 0);
    }
    a.duration_s = 3;
    b.duration_s = 4;
    abuf t = {0};
    stats_raw_json(&b, &t);
    json_object *o = json_tokener_parse(t.p);
    const char *why = NULL;
    cr_assert(stats_from_raw(&back, o, &why), "%s", why);
    stats_merge(&a, &back);
    cr_assert_eq(a.completed, 100);
    cr_assert_float_eq(a.duration_s, 4, 1e-9);
    cr_assert_float_eq(hist_percentile(&a.h[LG_H_TTFT], 50) / 1e6, 50, 0.1);
    json_object_put(o);
    abuf_free(&t);
    stats_free(&a);
    stats_free(&b);
    stats_free(&back);
}
