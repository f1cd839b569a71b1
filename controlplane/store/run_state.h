/* run_state.h: the run and service state machines.
 *
 * The numbers equal aifb.v1.RunState and aifb.v1.ServiceState, so the API layer converts with a
 * cast. Names are the proto names without their prefix ("RUNNING", "READY"): they are what events
 * store and what people type. Which moves are allowed is written once, as two tables in
 * run_state.c; the store refuses every other move. */
#ifndef AIFB_RUN_STATE_H
#define AIFB_RUN_STATE_H

#include <stdbool.h>

typedef enum run_state {
    RUN_PENDING = 1,
    RUN_SUBMITTED,
    RUN_STARTING,
    RUN_RUNNING,
    RUN_STOPPING,
    RUN_SUCCEEDED,
    RUN_FAILED,
    RUN_CANCELLED
} run_state; /* = aifb.v1.RunState */

typedef enum service_state {
    SVC_PENDING = 1,
    SVC_STARTING,
    SVC_READY,
    SVC_STOPPING,
    SVC_STOPPED,
    SVC_FAILED
} service_state; /* = aifb.v1.ServiceState */

/* The state's name without prefix ("RUNNING"); "UNKNOWN" for a value outside the enum. */
const char *run_state_name(run_state s);
/* Accepts "RUNNING", "running" and "RUN_STATE_RUNNING" (any case); false for anything else,
 * *out untouched. */
bool run_state_parse(const char *s, run_state *out);
/* SUCCEEDED, FAILED and CANCELLED: the run has ended and moves nowhere. */
bool run_state_is_final(run_state s);
/* Whether the state machine allows from -> to. Never true for from == to, nor from a final state,
 * nor for values outside the enum. */
bool run_state_can_move(run_state from, run_state to);

/* The same four for services: "READY", "ready" and "SERVICE_STATE_READY" parse; STOPPED and
 * FAILED are final. */
const char *service_state_name(service_state s);
bool service_state_parse(const char *s, service_state *out);
bool service_state_is_final(service_state s);
bool service_state_can_move(service_state from, service_state to);

#endif
