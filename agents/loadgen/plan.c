/* plan.c: the phases of a run from its options (see run.h).
 *
 * warmup (if asked) and cooldown (if asked) carry the first and the last measured phase's load, so
 * the measured requests see the server in the state they would see in a longer run; only measured
 * phases count. A sweep is one measured phase per value: rates (an open loop), or numbers of
 * users (a closed loop; with --rate, the open loop's cap). */
#include "loadgen/run.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double plan_share_rate(const lg_opts *o, double rate)
{
    return rate / (o->ntasks > 0 ? o->ntasks : 1);
}

int64_t plan_share_count(const lg_opts *o, int64_t n)
{
    int64_t k = o->ntasks > 0 ? o->ntasks : 1;
    return n / k + (o->task_id < n % k ? 1 : 0);
}

lg_phase *plan_add_phase(lg_run *run, const char *name, lg_phase_role role, bool open, double rate,
                         int conc, int64_t requests, double duration_s, double ramp_s)
{
    if (run->nphases == run->cap) { /* only before the run starts (plan_phases reserves) */
        run->cap = run->cap ? run->cap * 2 : 8;
        run->phases = xrealloc(run->phases, run->cap * sizeof *run->phases);
    }
    lg_phase *p = &run->phases[run->nphases++];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    p->role = role;
    p->open = open;
    p->rate = rate;
    p->concurrency = conc;
    p->requests = requests;
    p->duration_s = duration_s;
    p->ramp_s = ramp_s;
    return p;
}

static int share_users(const lg_opts *o, int users)
{
    int64_t u = plan_share_count(o, users);
    return u < 1 ? 1 : (int)u;
}

void plan_phases(const lg_opts *o, lg_run *run)
{
    /* Every phase the run can have: a search adds its probes while requests are in flight. */
    run->cap = o->nsweep + 2 + (o->search ? (size_t)o->search_steps + 2 : 0);
    run->phases = xcalloc(run->cap, sizeof *run->phases);
    bool open = o->rate > 0 || (o->nsweep && o->sweep_rates) || o->search;
    size_t nvalues = o->nsweep ? o->nsweep : 1;
    int64_t requests = o->requests ? plan_share_count(o, o->requests) : 0;
    for (size_t i = 0; i < nvalues && !o->search; i++) {
        double rate = o->rate;
        int users = o->concurrency;
        char name[48] = "measure";
        if (o->nsweep) {
            if (o->sweep_rates)
                rate = o->sweep[i];
            else
                users = (int)llround(o->sweep[i]);
            snprintf(name, sizeof name, "measure@%g", o->sweep[i]);
        }
        if (i == 0 && (o->warmup_s > 0 || o->warmup_requests > 0))
            plan_add_phase(run, "warmup", LG_WARMUP, open, plan_share_rate(o, rate),
                           users ? share_users(o, users) : 0,
                           o->warmup_requests ? plan_share_count(o, o->warmup_requests) : 0,
                           o->warmup_s, o->ramp_s);
        bool ramped = i == 0 && !(o->warmup_s > 0 || o->warmup_requests > 0);
        plan_add_phase(run, name, LG_MEASURE, open, plan_share_rate(o, rate),
                       users ? share_users(o, users) : 0, requests, o->duration_s,
                       ramped ? o->ramp_s : 0);
    }
    if (o->cooldown_s > 0 && run->nphases) {
        lg_phase last = run->phases[run->nphases - 1];
        plan_add_phase(run, "cooldown", LG_COOLDOWN, last.open, last.rate, last.concurrency, 0,
                       o->cooldown_s, 0);
    }
}
