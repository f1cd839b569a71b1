/* test_monitor_expo.c: the text exposition parser behind --scrape, on the example of
 * Prometheus' format documentation with its corners added (fixtures/monitor/exposition-edge.txt)
 * and on a capture of aifb-llmsim's /metrics (vLLM's names, histograms); each malformed line is
 * refused naming its line and what is wrong; and the relabelling of a scraped sample whose label
 * clashes with the run's (exported_<name>, as Prometheus does). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "monitor/expo.h"
#include "monitor/scrape.h"

#define FIXTURES AIFB_SOURCE_DIR "/tests/unit/fixtures/monitor/"
#define MAX_GOT  256

typedef struct got_sample {
    char name[128];
    char labels[512]; /* name=value;... in the order given */
    double value;
    bool has_ts;
    int64_t ts;
} got_sample;

static got_sample got[MAX_GOT];
static int ngot;
static char metas[64][256];
static int nmetas;

static aifb_code on_sample(void *arg, const expo_sample *s, aifb_err *err)
{
    (void)arg, (void)err;
    cr_assert_lt(ngot, MAX_GOT);
    got_sample *g = &got[ngot++];
    snprintf(g->name, sizeof g->name, "%s", s->name);
    g->labels[0] = '\0';
    for (size_t i = 0; i < s->nlabels; i++) {
        size_t n = strlen(g->labels);
        snprintf(g->labels + n, sizeof g->labels - n, "%s=%s;", s->labels[i].name,
                 s->labels[i].value);
    }
    g->value = s->value;
    g->has_ts = s->has_ts;
    g->ts = s->ts_ms;
    return AIFB_OK;
}

static void on_meta(void *arg, const char *kind, const char *name, const char *text)
{
    (void)arg;
    cr_assert_lt(nmetas, 64);
    snprintf(metas[nmetas++], sizeof metas[0], "%s %s %s", kind, name, text);
}

static aifb_code parse(const char *text, aifb_err *err)
{
    ngot = nmetas = 0;
    expo_handler h = {on_meta, on_sample, NULL};
    return expo_parse(text, strlen(text), &h, err);
}

static char *fixture(const char *name)
{
    char *text = NULL;
    size_t len = 0;
    aifb_err err = {0};
    cr_assert_eq(aifb_read_file(name, 1 << 20, &text, &len, &err), AIFB_OK, "%s", err.msg);
    return text;
}

static const got_sample *find(const char *name, const char *labels)
{
    for (int i = 0; i < ngot; i++)
        if (!strcmp(got[i].name, name) && !strcmp(got[i].labels, labels))
            return &got[i];
    cr_assert_fail("no sample %s{%s}", name, labels);
    return NULL;
}

Test(monitor_expo, reads_the_documentation_example_and_its_corners)
{
    char *text = fixture(FIXTURES "exposition-edge.txt");
    aifb_err err = {0};
    cr_assert_eq(parse(text, &err), AIFB_OK, "%s", err.msg);
    free(text);
    cr_assert_eq(ngot, 26);

    const got_sample *s = find("http_requests_total", "method=post;code=200;");
    cr_assert_eq(s->value, 1027);
    cr_assert(s->has_ts);
    cr_assert_eq(s->ts, 1395066363000);
    s = find("msdos_file_access_time_seconds",
             "path=C:\\DIR\\FILE.TXT;error=Cannot find file:\n\"FILE.TXT\";");
    cr_assert_eq(s->value, 1.458255915e9);
    cr_assert_not(s->has_ts);
    cr_assert_eq(find("metric_without_timestamp_and_labels", "")->value, 12.47);
    s = find("something_weird", "problem=division by zero;");
    cr_assert(isinf(s->value) && s->value > 0);
    cr_assert_eq(s->ts, -3982045);
    cr_assert_eq(find("http_request_duration_seconds_bucket", "le=+Inf;")->value, 144320);
    cr_assert_eq(find("http_request_duration_seconds_sum", "")->value, 53423);
    cr_assert_eq(find("rpc_duration_seconds", "quantile=0.99;")->value, 76656);
    cr_assert_eq(find("rpc_duration_seconds_sum", "")->value, 1.7560473e+07);
    cr_assert(isnan(find("corner_gauge", "kind=nan;")->value));
    s = find("corner_gauge", "kind=minus_inf;");
    cr_assert(isinf(s->value) && s->value < 0);
    cr_assert_eq(find("corner_gauge", "kind=spaced;")->value, -0.5e-3);
    cr_assert_eq(find("corner_gauge", "")->value, 7);
    cr_assert_eq(
        find("vllm:cache_config_info", "block_size=16;instance=gpu-node-1;run_id=served;")->value,
        1);
    s = find("corner_gauge", "kind=exemplar;");
    cr_assert_eq(s->value, 2);
    cr_assert_not(s->has_ts, "the exemplar's timestamp is not the sample's");

    cr_assert_str_eq(metas[0], "HELP http_requests_total The total number of HTTP requests.\n"
                               "Second line, with a \\ backslash.");
    cr_assert_str_eq(metas[1], "TYPE http_requests_total counter");
    bool histogram = false;
    for (int i = 0; i < nmetas; i++)
        histogram = histogram || !strcmp(metas[i], "TYPE http_request_duration_seconds histogram");
    cr_assert(histogram);
}

Test(monitor_expo, reads_aifb_llmsim_metrics_with_vllm_names)
{
    char *text = fixture(FIXTURES "llmsim-metrics.txt");
    aifb_err err = {0};
    cr_assert_eq(parse(text, &err), AIFB_OK, "%s", err.msg);
    free(text);
    cr_assert_eq(ngot, 131);
    for (int i = 0; i < ngot; i++)
        cr_assert(!strncmp(got[i].name, "vllm:", 5) || !strncmp(got[i].name, "aifb_llmsim_", 12),
                  "%s", got[i].name);
    /* the TTFT histogram's buckets never decrease and end with +Inf equal to _count */
    double last = 0;
    int buckets = 0;
    for (int i = 0; i < ngot; i++) {
        if (strcmp(got[i].name, "vllm:time_to_first_token_seconds_bucket"))
            continue;
        cr_assert_geq(got[i].value, last);
        last = got[i].value;
        buckets++;
    }
    cr_assert_eq(buckets, 23);
    cr_assert_eq(
        find("vllm:time_to_first_token_seconds_bucket", "le=+Inf;model_name=aifb-sim;")->value,
        find("vllm:time_to_first_token_seconds_count", "model_name=aifb-sim;")->value);
    cr_assert_eq(find("vllm:generation_tokens_total", "model_name=aifb-sim;")->value, 3);
}

Test(monitor_expo, crlf_lines_and_blank_lines)
{
    aifb_err err = {0};
    cr_assert_eq(parse("a 1\r\n\r\n  \nb{x=\"y\"} 2\r\n", &err), AIFB_OK, "%s", err.msg);
    cr_assert_eq(ngot, 2);
    cr_assert_eq(find("b", "x=y;")->value, 2);
}

Test(monitor_expo, refuses_a_malformed_line_naming_it)
{
    static const struct {
        const char *text, *why;
    } bad[] = {
        {"ok 1\nbad{a=\"b\" 1\n", "line 2: labels are not separated by , or closed by }"},
        {"bad{a=b} 1", "line 1: a label value is not quoted"},
        {"bad{a=\"b} 1", "line 1: a label value has no closing quote"},
        {"bad{a=\"b\",a=\"c\"} 1", "line 1: a label is given twice"},
        {"bad{1a=\"b\"} 1", "line 1: a label name is not"},
        {"bad{a\"b\"} 1", "line 1: a label name is not followed by ="},
        {"1bad 2", "line 1: a metric name is not"},
        {"bad", "line 1: a sample has no value"},
        {"bad{a=\"b\"}", "line 1: a sample has no value"},
        {"bad{a=\"b\"}1", "line 1: no blank between the labels and the value"},
        {"bad-metric 1", "line 1: a metric name is followed by something else"},
        {"bad one", "line 1: a sample's value is not a number"},
        {"bad 1 1.5", "line 1: a sample's timestamp is not a whole number"},
        {"bad 1 2 3", "line 1: something follows the value and timestamp"},
        {"# TYPE bad blah", "line 1: a TYPE line names an unknown type"},
        {"# HELP", "line 1: a HELP or TYPE line does not name a metric"},
        {"a 1\n\n# x\nbad{a=\"\\", "line 4: a label value ends in a backslash"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        aifb_err err = {0};
        cr_assert_eq(parse(bad[i].text, &err), AIFB_EINVAL, "accepted: %s", bad[i].text);
        cr_assert(strstr(err.msg, bad[i].why), "%s: said '%s', not '%s'", bad[i].text, err.msg,
                  bad[i].why);
    }
}

Test(monitor_expo, a_nul_byte_is_refused)
{
    const char text[] = "a 1\nb\0c 2\n";
    expo_handler h = {NULL, on_sample, NULL};
    aifb_err err = {0};
    cr_assert_eq(expo_parse(text, sizeof text - 1, &h, &err), AIFB_EINVAL);
    cr_assert_str_eq(err.msg, "line 2: a NUL byte");
}

static aifb_code stop_at_second(void *arg, const expo_sample *s, aifb_err *err)
{
    int *n = arg;
    if (++*n == 2)
        return aifb_err_set(err, AIFB_ERESOURCE, "enough of %s", s->name);
    return AIFB_OK;
}

Test(monitor_expo, a_callback_error_stops_the_parse)
{
    int n = 0;
    expo_handler h = {NULL, stop_at_second, &n};
    aifb_err err = {0};
    const char *text = "a 1\nb 2\nc 3\n";
    cr_assert_eq(expo_parse(text, strlen(text), &h, &err), AIFB_ERESOURCE);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(err.msg, "line 2: enough of b");
}

Test(monitor_scrape, a_clashing_label_is_kept_as_exported_name)
{
    const char *taken[] = {"instance", "run_id", "role"};
    promrw_label in[] = {{"instance", "gpu-node-1"},
                         {"run_id", "theirs"},
                         {"exported_instance", "already"},
                         {"code", "200"}};
    promrw_label out[4];
    char *names[4];
    scrape_relabel(in, 4, taken, 3, out, names);
    cr_assert_str_eq(out[0].name, "exported_exported_instance");
    cr_assert_str_eq(out[0].value, "gpu-node-1");
    cr_assert_str_eq(out[1].name, "exported_run_id");
    cr_assert_str_eq(out[1].value, "theirs");
    cr_assert_str_eq(out[2].name, "exported_instance");
    cr_assert_str_eq(out[3].name, "code");
    cr_assert_null(names[2]);
    cr_assert_null(names[3]);
    for (int i = 0; i < 4; i++)
        free(names[i]);
}
