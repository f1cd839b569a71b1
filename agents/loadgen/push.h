/* push.h: live metrics to Prometheus by remote write (--remote-write URL).
 *
 * Every --push-interval the phase being run is pushed: its counters (requests sent, completed,
 * failed by class, good, tokens), gauges (in flight, held back, target rate) and its histograms
 * (ttft, tpot, itl, e2el, e2el_intended, lag) as classic Prometheus histograms, which aggregate
 * across tasks and over time as percentiles cannot. Names start aifb_loadgen_, in base units;
 * labels run_id, task, phase and every --label. The sender runs on its own thread (agents/core/
 * promrw), so a slow or absent Prometheus never holds up the load. */
#ifndef AIFB_LOADGEN_PUSH_H
#define AIFB_LOADGEN_PUSH_H

#include "loadgen/run.h"

typedef struct lg_push lg_push;

/* NULL when the options ask for no pushes; *err set on a bad URL. */
lg_push *push_new(const lg_opts *o, aifb_err *err);
/* Pushes the phase when the interval has passed. */
void push_tick(lg_push *p, lg_engine *e, const lg_phase *ph, uint64_t now_ns);
/* Pushes every phase's final figures and waits up to timeout_s for them to be sent; adds a
 * warning to the run when pushes failed. */
void push_finish(lg_push *p, lg_run *run, double timeout_s);
void push_free(lg_push *p);

#endif
