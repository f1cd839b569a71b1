/* summary.h: result summaries, the figures a run keeps from its client's stdout.
 *
 * A recipe's client names a parser (client.summary); when the client ends, aifbd hands its
 * stdout to summary_parse() and stores the metrics. One parser per file (summary_redis.c,
 * summary_pgbench.c), collected in one table in summary.c: adding a parser is a file and a row.
 * Parsers skip lines they do not recognise, so progress output or warnings mixed into stdout do
 * no harm. */
#ifndef AIFB_SUMMARY_H
#define AIFB_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "common/records.h"

/* Parses a client's stdout (text need not be NUL-terminated) with the named parser:
 *   "redis-benchmark-csv"  redis-benchmark --csv: per test "<test>_rps" (ops/s) and
 *                          "<test>_avg_latency_ms", min, p50, p95, p99, max (ms), the test name
 *                          lowercased, other characters as '_' (runs of them as one, none at the
 *                          ends): "MSET (10 keys)" -> "mset_10_keys";
 *   "pgbench"              "tps" (tx/s, without initial connection time), "latency_average_ms",
 *                          "latency_stddev_ms", "transactions", "failed_transactions",
 *                          "initial_connection_time_ms" (each when printed);
 *   "aifb-loadgen"         the last stdout line starting with '{' as aifb-loadgen's result
 *                          document (--print-result): completed, failed, duration, throughputs,
 *                          request_goodput (with SLOs), mean/median/p90/p99 of ttft, tpot, itl,
 *                          e2el in ms (those measured), token totals, target/achieved rate (open
 *                          loop), p99 lag and latencies from the intended send, client CPU;
 *   "none"                 no metrics, AIFB_OK.
 * *out is malloc'd (metric_array_free). An unknown parser: AIFB_EINVAL; output without any figure:
 * AIFB_ENOTFOUND ("no results found in redis-benchmark output"). */
aifb_code summary_parse(const char *parser, const char *text, size_t len, metric **out, size_t *n,
                        aifb_err *err);

/* Whether summary_parse() knows the parser (recipes are checked against it at load time). */
bool summary_parser_known(const char *parser);

/* The known parser names separated by ", " (for messages). */
const char *summary_parser_names(void);

#endif
