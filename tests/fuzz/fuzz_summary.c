/* fuzz_summary.c: libFuzzer target for the result parsers. A client's output is whatever the
 * tool (or whatever ran in its place) printed: every parser must take any bytes, return metrics
 * or a "no results" refusal, and never read outside the input. */
#include <stdint.h>
#include <stdlib.h>

#include "recipe/recipe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const parsers[] = {"redis-benchmark-csv", "pgbench", "none"};
    for (size_t i = 0; i < sizeof parsers / sizeof parsers[0]; i++) {
        metric *m;
        size_t n;
        if (!summary_parse(parsers[i], (const char *)data, size, &m, &n, NULL))
            metric_array_free(m, n);
    }
    return 0;
}
