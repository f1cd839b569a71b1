/* test_recipe_summary_loadgen.c: the run's summary from aifb-loadgen's stdout (a real capture in
 * tests/unit/fixtures/aifb-loadgen.out: the human table, then the result document as one line). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "recipe/recipe.h"

static const metric *find(const metric *m, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(m[i].name, name))
            return &m[i];
    return NULL;
}

Test(summary_loadgen, the_result_line_gives_counts_throughputs_and_latencies_as_printed)
{
    char path[1024], *text;
    size_t len, n;
    snprintf(path, sizeof path, "%s/tests/unit/fixtures/aifb-loadgen.out", AIFB_SOURCE_DIR);
    aifb_err err = {0};
    cr_assert_eq(aifb_read_file(path, 1 << 20, &text, &len, &err), AIFB_OK, "%s", err.msg);
    metric *m;
    cr_assert_eq(summary_parse("aifb-loadgen", text, len, &m, &n, &err), AIFB_OK, "%s", err.msg);
    const struct {
        const char *name;
        double value;
        const char *unit;
    } want[] = {
        {"completed", 15, "requests"},
        {"failed", 5, "requests"},
        {"duration", 0.32838, "s"},
        {"request_throughput", 45.6788, "req/s"},
        {"request_goodput", 45.6788, "req/s"},
        {"median_ttft_ms", 43.8764, "ms"},
        {"p99_e2el_ms", 47.874, "ms"},
        {"mean_tpot_ms", 0.0043898, "ms"},
        {"total_output_tokens", 60, "tokens"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const metric *x = find(m, n, want[i].name);
        cr_assert_not_null(x, "no %s", want[i].name);
        cr_assert_eq(x->value, want[i].value, "%s = %.17g", want[i].name, x->value);
        cr_assert_str_eq(x->unit, want[i].unit);
    }
    metric_array_free(m, n);
    free(text);
}

Test(summary_loadgen, output_without_a_result_line_has_no_results)
{
    const char *text = "============ aifb-loadgen result ============\n{not json\n";
    metric *m;
    size_t n;
    aifb_err err = {0};
    cr_assert_eq(summary_parse("aifb-loadgen", text, strlen(text), &m, &n, &err), AIFB_ENOTFOUND);
    cr_assert_str_eq(err.msg, "no results found in aifb-loadgen output");
}

Test(summary_loadgen, a_json_line_of_another_tool_is_not_taken_for_a_result)
{
    const char *text = "{\"completed\": 3}\n";
    metric *m;
    size_t n;
    cr_assert_eq(summary_parse("aifb-loadgen", text, strlen(text), &m, &n, NULL), AIFB_ENOTFOUND);
}
