/* monitor.h: aifb-monitor's run, from its options to its exit status.
 *
 * Every --interval (on CLOCK_MONOTONIC, ticks that fall behind are skipped, never bunched) one
 * tick samples the watched processes, the node, the GPUs, the scraped service and the monitor's
 * own health, all at the same wall-clock timestamp, into one remote write batch that goes to the
 * outbox (outbox.h: ordered, memory then disk). Between ticks the loop sleeps in sigtimedwait,
 * or waits on the batch in flight in short slices, so SIGTERM and SIGINT are seen within 200 ms.
 *
 * The end comes when the watched process is gone, when every process of the job is gone, after
 * --duration, or on SIGTERM/SIGINT. Then: one last sample, Prometheus' stale marker 1 ms after
 * it on every series the monitor sent (so queries stop showing them at once rather than for the
 * five minutes of lookback), a flush bounded by --flush-timeout (a second signal cuts it short),
 * whatever is left to the spool, one stats line on stderr, exit 0. */
#ifndef AIFB_MONITOR_MONITOR_H
#define AIFB_MONITOR_MONITOR_H

#include "monitor/opts.h"

/* Runs the monitor; token (may be NULL) is the bearer token for Prometheus. SIGTERM, SIGINT and
 * SIGHUP must be blocked in every thread (main does it first thing). Returns the exit status: 0
 * once done, 1 when it could not start (the reason logged), 2 for a label Prometheus would
 * refuse. */
int monitor_run(const mon_opts *o, const char *token);

#endif
