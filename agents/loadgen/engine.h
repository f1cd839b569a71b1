/* engine.h: the load engine: libcurl's multi interface driven by one epoll loop, with timerfds
 * for pacing (absolute CLOCK_MONOTONIC deadlines, timer slack 1 ns), for libcurl's own timeouts
 * and for a 100 ms tick (progress, pushes, closed-loop ramps). No sleep anywhere.
 *
 * A run is a list of phases (warmup, one or more measured phases, cooldown) executed one after
 * the other on the same connections; a request belongs to the phase that scheduled it, however
 * late it finishes. engine_run_phase() returns once the phase has sent everything it scheduled
 * (requests still in flight finish during the next phase or in engine_drain()). */
#ifndef AIFB_LOADGEN_ENGINE_H
#define AIFB_LOADGEN_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "loadgen/opts.h"
#include "loadgen/stats.h"

typedef enum lg_phase_role { LG_WARMUP = 0, LG_MEASURE, LG_COOLDOWN } lg_phase_role;

typedef struct lg_phase {
    char name[48];
    lg_phase_role role;
    bool open;         /* open loop at rate; else a closed loop of concurrency users */
    double rate;       /* requests/s of this task */
    int concurrency;   /* closed: users; open: the cap on requests in flight (0: none) */
    int64_t requests;  /* how many to schedule; 0: by duration */
    double duration_s; /* how long to schedule for; 0: by requests */
    double ramp_s;

    /* filled in while it runs */
    lg_stats st;
    int64_t scheduled;
    uint64_t t_start, t_first_send, t_last_send, t_last_done; /* ns */
    double cpu_start;
    double wait_start, cpu_wait_s; /* time the sending thread waited for a core (runqueue) */
    int64_t backlog_max;           /* the most requests that were due but held back by the cap */
} lg_phase;

typedef struct lg_engine lg_engine;

/* Sets up the loop, the dataset and the connections' options; asks the server for its model when
 * --model was not given (LLM workloads). Nothing is sent to the workload's route yet. */
aifb_code engine_new(const lg_opts *o, lg_engine **out, aifb_err *err);
/* The model requests name. */
const char *engine_model(const lg_engine *e);
/* A note to keep in the result (how the model was chosen), or NULL. */
const char *engine_note(const lg_engine *e);
/* Runs one phase until it has sent what it scheduled, or the run stops. */
void engine_run_phase(lg_engine *e, lg_phase *p);
/* Waits until nothing is in flight, at most timeout_s; what is left is aborted and counted as
 * aborted. */
void engine_drain(lg_engine *e, double timeout_s);
/* Why the run stopped early ("interrupted", "max-errors"), or NULL. */
const char *engine_stopped(const lg_engine *e);
/* Requests aborted at the end (still in flight when the run stopped). */
int64_t engine_aborted(const lg_engine *e);
/* The client's CPU seconds (user + system) so far. */
double engine_cpu_s(void);
/* Seconds the calling thread has spent ready to run but waiting for a core (the kernel's
 * schedstat), so far; 0 where the kernel does not tell. */
double engine_runq_wait_s(void);
uint64_t engine_now_ns(void);
void engine_free(lg_engine *e);

/* Sets the function the engine calls on its tick (every 100 ms) with the current phase. */
typedef void (*engine_tick_fn)(void *ud, lg_engine *e, const lg_phase *p, uint64_t now_ns);
void engine_on_tick(lg_engine *e, engine_tick_fn fn, void *ud);
/* Requests in flight now, and held back by the open loop's cap. */
int engine_in_flight(const lg_engine *e);
int64_t engine_backlog(const lg_engine *e);

#endif
