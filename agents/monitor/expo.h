/* expo.h: a parser of Prometheus' text exposition format (version 0.0.4, what vLLM, aifb-llmsim
 * and every Prometheus client library serve on /metrics), for --scrape.
 *
 * A line is a comment ("# HELP name text", "# TYPE name type", or any other "# ..."), blank, or
 * a sample: a metric name, optional {label="value",...} (values with \\, \" and \n escapes, a
 * trailing comma allowed), a value (a float, NaN, +Inf, -Inf) and an optional timestamp in
 * milliseconds. Histograms and summaries are their _bucket/_sum/_count and quantile lines, which
 * are ordinary samples. An OpenMetrics exemplar after the value (" # {...} v") and a final
 * "# EOF" are accepted and ignored. The parser hands each sample to a callback with its labels
 * unescaped; a malformed line stops it with AIFB_EINVAL naming the line and what is wrong. */
#ifndef AIFB_MONITOR_EXPO_H
#define AIFB_MONITOR_EXPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "core/promrw.h"

#define EXPO_MAX_LABELS 64

typedef struct expo_sample {
    const char *name;
    const promrw_label *labels;
    size_t nlabels;
    double value;
    bool has_ts;
    int64_t ts_ms;
} expo_sample;

typedef struct expo_handler {
    /* "# HELP" (kind "HELP", text unescaped) and "# TYPE" (kind "TYPE", text the type) lines;
     * NULL to ignore them. */
    void (*meta)(void *arg, const char *kind, const char *name, const char *text);
    /* Each sample, valid during the call only. A code other than AIFB_OK stops the parse and is
     * returned (with the callback's message). */
    aifb_code (*sample)(void *arg, const expo_sample *s, aifb_err *err);
    void *arg;
} expo_handler;

/* Parses len bytes of text (need not be NUL-terminated). AIFB_EINVAL "line N: ..." at the first
 * malformed line: the samples before it were handed over already. */
aifb_code expo_parse(const char *text, size_t len, const expo_handler *h, aifb_err *err);

#endif
