/* summary_pgbench.c: the "pgbench" parser, for the report pgbench prints at the end of a run.
 *
 * The report is "label: value" and "label = value unit" lines at the start of a line; the same
 * labels indented under "SQL script N" (per-script figures with several scripts) and the
 * "progress:" lines are not the run's totals and are skipped because only lines starting with the
 * label count. pgbench 14 and later print one tps, "without initial connection time"; older ones
 * print "including" and "excluding connections establishing": the figure without connection time
 * wins whichever way it is spelled. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recipe/summary_internal.h"

#define LINE_BYTES 1024

typedef struct pgbench_label {
    const char *prefix; /* the line starts with this */
    const char *metric;
    const char *unit;
} pgbench_label;

static const pgbench_label labels[] = {
    {"number of transactions actually processed: ", "transactions", "count"},
    {"number of failed transactions: ", "failed_transactions", "count"},
    {"latency average = ", "latency_average_ms", "ms"},
    {"latency stddev = ", "latency_stddev_ms", "ms"},
    {"initial connection time = ", "initial_connection_time_ms", "ms"},
};

/* The number at the start of s, followed by nothing, a space or '/' ("10546/20000"). */
static bool leading_figure(const char *s, double *out)
{
    char *end;
    if (*s < '0' || *s > '9')
        return false;
    *out = strtod(s, &end);
    return isfinite(*out) && (!*end || *end == ' ' || *end == '/');
}

/* "tps = 3549.859265 (without initial connection time)": rank 2 for the figure without
 * connection time, 1 for the one including it. */
static void parse_tps(const char *line, double *tps, int *rank)
{
    double v;
    if (strncmp(line, "tps = ", 6) || !leading_figure(line + 6, &v))
        return;
    int r = strstr(line, "including") ? 1 : 2;
    if (r >= *rank) {
        *tps = v;
        *rank = r;
    }
}

void summary_parse_pgbench(const char *text, size_t len, summary_acc *acc)
{
    enum { NLABELS = sizeof labels / sizeof labels[0] };
    char line[LINE_BYTES];
    size_t pos = 0;
    double tps = 0, values[NLABELS];
    bool found[NLABELS] = {false};
    int tps_rank = 0;
    while (summary_next_line(text, len, &pos, line, sizeof line)) {
        parse_tps(line, &tps, &tps_rank);
        for (size_t i = 0; i < NLABELS; i++) {
            size_t plen = strlen(labels[i].prefix);
            if (!strncmp(line, labels[i].prefix, plen) && leading_figure(line + plen, &values[i]))
                found[i] = true;
        }
    }
    /* The headline figure first: it is what a list of runs shows. */
    if (tps_rank)
        summary_add(acc, "tps", tps, "tx/s");
    for (size_t i = 0; i < NLABELS; i++)
        if (found[i])
            summary_add(acc, labels[i].metric, values[i], labels[i].unit);
}
