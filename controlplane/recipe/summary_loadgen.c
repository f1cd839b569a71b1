/* summary_loadgen.c: the "aifb-loadgen" result parser. aifb-loadgen --print-result writes its
 * result document (docs/loadgen.md) as the last line of its stdout that starts with '{'; the
 * run keeps the figures people compare runs by: counts, throughputs, goodput, and the mean,
 * median, p90 and p99 of TTFT, TPOT, ITL and E2EL, with the client's lag and CPU. */
#include "recipe/summary_internal.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* In the order `aifb run show` prints them: the headline figures first. */
static const struct {
    const char *name, *unit;
} head[] =
    {
        {"completed", "requests"},
        {"failed", "requests"},
        {"duration", "s"},
        {"request_throughput", "req/s"},
        {"output_throughput", "tok/s"},
        {"total_token_throughput", "tok/s"},
        {"request_goodput", "req/s"}, /* only when SLOs were given */
},
  tail[] = {
      {"total_input_tokens", "tokens"},
      {"total_output_tokens", "tokens"},
      {"target_rate", "req/s"},   /* only for an open loop */
      {"achieved_rate", "req/s"}, /* only for an open loop */
      {"p99_lag_ms", "ms"},
      {"p99_ttft_intended_ms", "ms"},
      {"p99_e2el_intended_ms", "ms"},
      {"client_cpu_percent", "%"},
};

static const char *const latency_metrics[] = {"ttft", "tpot", "itl", "e2el"};
static const char *const latency_stats[] = {"mean", "median", "p90", "p99"};

static void keep(summary_acc *acc, json_object *doc, const char *name, const char *unit)
{
    json_object *v;
    if (json_object_object_get_ex(doc, name, &v) &&
        (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
        summary_add(acc, name, json_object_get_double(v), unit);
}

void summary_parse_loadgen(const char *text, size_t len, summary_acc *acc)
{
    /* The last line starting with '{' (progress or warnings may come before it). */
    size_t start = len, i = len;
    while (i > 0) {
        size_t end = i;
        while (i > 0 && text[i - 1] != '\n')
            i--;
        if (end > i && text[i] == '{') {
            start = i;
            len = end;
            break;
        }
        if (i > 0)
            i--;
    }
    if (start >= len)
        return;
    json_tokener *tok = json_tokener_new_ex(64);
    json_object *doc = json_tokener_parse_ex(tok, text + start, (int)(len - start));
    json_object *schema;
    if (doc && json_object_object_get_ex(doc, "schema", &schema) &&
        !strcmp(json_object_get_string(schema), "aifb-loadgen-result/1")) {
        json_object *cfg, *slo, *rate;
        bool with_slos = json_object_object_get_ex(doc, "config", &cfg) &&
                         json_object_object_get_ex(cfg, "slo_ms", &slo) &&
                         json_object_is_type(slo, json_type_object) &&
                         json_object_object_length(slo) > 0;
        bool open_loop = json_object_object_get_ex(doc, "target_rate", &rate) &&
                         json_object_get_double(rate) > 0;
        for (size_t k = 0; k < sizeof head / sizeof head[0]; k++)
            if (strcmp(head[k].name, "request_goodput") || with_slos)
                keep(acc, doc, head[k].name, head[k].unit);
        for (size_t m = 0; m < 4; m++) {
            char cname[32];
            snprintf(cname, sizeof cname, "count_%s", latency_metrics[m]);
            json_object *count;
            /* A metric nothing was measured for (TTFT without streaming) is left out. */
            if (!json_object_object_get_ex(doc, cname, &count) || !json_object_get_int64(count))
                continue;
            for (size_t st = 0; st < 4; st++) {
                char name[64];
                snprintf(name, sizeof name, "%s_%s_ms", latency_stats[st], latency_metrics[m]);
                keep(acc, doc, name, "ms");
            }
        }
        for (size_t k = 0; k < sizeof tail / sizeof tail[0]; k++)
            if (open_loop || strstr(tail[k].name, "_rate") == NULL)
                keep(acc, doc, tail[k].name, tail[k].unit);
    }
    json_object_put(doc);
    json_tokener_free(tok);
}
