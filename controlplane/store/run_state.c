/* run_state.c: names and the allowed moves of the run and service state machines.
 *
 * Each machine is one table below: for every state, the set of states it may move to. Final
 * states have an empty set. Everything the store accepts or refuses comes from these two tables.
 *
 *   run:     PENDING -> SUBMITTED -> STARTING -> RUNNING -> STOPPING -> SUCCEEDED
 *            (SUBMITTED may skip to RUNNING or STOPPING; STARTING may skip to STOPPING;
 *             RUNNING may end SUCCEEDED directly; every live state may end FAILED or CANCELLED)
 *   service: PENDING -> STARTING -> READY -> STOPPING -> STOPPED
 *            (every live state may end FAILED; all but STOPPING may end STOPPED directly,
 *             and STARTING may go to STOPPING) */
#include "run_state.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

#define TO(state) (1u << (state))

/* run_moves[from] holds TO(to) for every allowed from -> to. */
static const unsigned run_moves[] = {
    [RUN_PENDING] = TO(RUN_SUBMITTED) | TO(RUN_FAILED) | TO(RUN_CANCELLED),
    [RUN_SUBMITTED] =
        TO(RUN_STARTING) | TO(RUN_RUNNING) | TO(RUN_STOPPING) | TO(RUN_FAILED) | TO(RUN_CANCELLED),
    [RUN_STARTING] = TO(RUN_RUNNING) | TO(RUN_STOPPING) | TO(RUN_FAILED) | TO(RUN_CANCELLED),
    [RUN_RUNNING] = TO(RUN_STOPPING) | TO(RUN_SUCCEEDED) | TO(RUN_FAILED) | TO(RUN_CANCELLED),
    [RUN_STOPPING] = TO(RUN_SUCCEEDED) | TO(RUN_FAILED) | TO(RUN_CANCELLED),
    [RUN_SUCCEEDED] = 0,
    [RUN_FAILED] = 0,
    [RUN_CANCELLED] = 0,
};

/* service_moves[from] holds TO(to) for every allowed from -> to. */
static const unsigned service_moves[] = {
    [SVC_PENDING] = TO(SVC_STARTING) | TO(SVC_FAILED) | TO(SVC_STOPPED),
    [SVC_STARTING] = TO(SVC_READY) | TO(SVC_STOPPING) | TO(SVC_FAILED) | TO(SVC_STOPPED),
    [SVC_READY] = TO(SVC_STOPPING) | TO(SVC_FAILED) | TO(SVC_STOPPED),
    [SVC_STOPPING] = TO(SVC_STOPPED) | TO(SVC_FAILED),
    [SVC_STOPPED] = 0,
    [SVC_FAILED] = 0,
};

static const char *const run_names[] = {
    [RUN_PENDING] = "PENDING", [RUN_SUBMITTED] = "SUBMITTED", [RUN_STARTING] = "STARTING",
    [RUN_RUNNING] = "RUNNING", [RUN_STOPPING] = "STOPPING",   [RUN_SUCCEEDED] = "SUCCEEDED",
    [RUN_FAILED] = "FAILED",   [RUN_CANCELLED] = "CANCELLED",
};

static const char *const service_names[] = {
    [SVC_PENDING] = "PENDING",   [SVC_STARTING] = "STARTING", [SVC_READY] = "READY",
    [SVC_STOPPING] = "STOPPING", [SVC_STOPPED] = "STOPPED",   [SVC_FAILED] = "FAILED",
};

#define RUN_LAST RUN_CANCELLED
#define SVC_LAST SVC_FAILED

static bool run_state_valid(run_state s)
{
    return s >= RUN_PENDING && s <= RUN_LAST;
}

static bool service_state_valid(service_state s)
{
    return s >= SVC_PENDING && s <= SVC_LAST;
}

/* Finds s among names[first..last], accepting the bare name or prefix + name, in any case. */
static int state_lookup(const char *const *names, int first, int last, const char *prefix,
                        const char *s)
{
    if (!s)
        return 0;
    size_t plen = strlen(prefix);
    if (strncasecmp(s, prefix, plen) == 0)
        s += plen;
    for (int i = first; i <= last; i++)
        if (strcasecmp(s, names[i]) == 0)
            return i;
    return 0;
}

const char *run_state_name(run_state s)
{
    return run_state_valid(s) ? run_names[s] : "UNKNOWN";
}

bool run_state_parse(const char *s, run_state *out)
{
    int found = state_lookup(run_names, RUN_PENDING, RUN_LAST, "RUN_STATE_", s);
    if (found)
        *out = (run_state)found;
    return found != 0;
}

bool run_state_is_final(run_state s)
{
    return s == RUN_SUCCEEDED || s == RUN_FAILED || s == RUN_CANCELLED;
}

bool run_state_can_move(run_state from, run_state to)
{
    return run_state_valid(from) && run_state_valid(to) && (run_moves[from] & TO(to));
}

const char *service_state_name(service_state s)
{
    return service_state_valid(s) ? service_names[s] : "UNKNOWN";
}

bool service_state_parse(const char *s, service_state *out)
{
    int found = state_lookup(service_names, SVC_PENDING, SVC_LAST, "SERVICE_STATE_", s);
    if (found)
        *out = (service_state)found;
    return found != 0;
}

bool service_state_is_final(service_state s)
{
    return s == SVC_STOPPED || s == SVC_FAILED;
}

bool service_state_can_move(service_state from, service_state to)
{
    return service_state_valid(from) && service_state_valid(to) && (service_moves[from] & TO(to));
}
