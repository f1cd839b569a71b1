/* ship.h: aifb-logship's run, from its options to its exit status.
 *
 * One thread reads (the tail: inotify, stats, reads, lines into batches, batches cut by size and
 * age) and one sends (the sender: requests, retries, spool, positions). The reading thread also
 * waits for the signals (signalfd) and for the followed process to end (pidfd), and then drains:
 * every file read to its end, partial lines handed on, the last batch cut, everything pushed
 * within --flush-timeout, what could not be pushed spooled (or left to be read again), the
 * positions saved, the counters printed on one line of stderr (and to --stats-file). */
#ifndef AIFB_LOGSHIP_SHIP_H
#define AIFB_LOGSHIP_SHIP_H

#include "logship/opts.h"

/* Runs until a signal (SIGTERM, SIGINT, SIGHUP) or the end of --follow-pid's process. Returns
 * the exit status: 0 after a clean stop, 1 when it could not start (the reason logged). */
int ship_run(const logship_opts *o);

#endif
