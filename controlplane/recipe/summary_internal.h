/* summary_internal.h: what the result parsers share (summary.c holds the table of them). */
#ifndef AIFB_SUMMARY_INTERNAL_H
#define AIFB_SUMMARY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "recipe/summary.h"

/* Metrics collected so far. */
typedef struct summary_acc {
    metric *m;
    size_t n;
} summary_acc;

/* Adds a metric, or replaces the value of the one with that name. */
void summary_add(summary_acc *acc, const char *name, double value, const char *unit);

/* Copies the line starting at *pos (ended by '\n', '\r' or the end) into line, cut to size - 1
 * bytes, and moves *pos past it; false when no text is left. */
bool summary_next_line(const char *text, size_t len, size_t *pos, char *line, size_t size);

/* The parsers (summary_redis.c, summary_pgbench.c, summary_loadgen.c). */
void summary_parse_redis_csv(const char *text, size_t len, summary_acc *acc);
void summary_parse_pgbench(const char *text, size_t len, summary_acc *acc);
void summary_parse_loadgen(const char *text, size_t len, summary_acc *acc);

#endif
