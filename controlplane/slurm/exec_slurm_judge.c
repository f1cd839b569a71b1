/* exec_slurm_judge.c: a run's phase from its two jobs, as a pure function (see exec_slurm.h).
 *
 * The order of the questions is the order of precedence: a cancel asked by the user wins; then
 * the client's end decides the run (it is the benchmark); then a service job that ended before
 * the client fails the run; otherwise the run is somewhere between the queue and the client
 * running. Whenever a run has to end while its other job is still alive, the verdict is
 * STOPPING with that job to cancel, and the final phase comes once it is gone too: nothing of a
 * run outlives the run. */
#include <stdio.h>
#include <string.h>

#include "slurm/exec_slurm.h"

static const struct {
    const char *name;
    slurm_job_state state;
} state_names[] = {
    {"PENDING", SLURM_JOB_PENDING},
    {"RUNNING", SLURM_JOB_RUNNING},
    {"SUSPENDED", SLURM_JOB_SUSPENDED},
    {"COMPLETING", SLURM_JOB_COMPLETING},
    {"COMPLETED", SLURM_JOB_COMPLETED},
    {"FAILED", SLURM_JOB_FAILED},
    {"CANCELLED", SLURM_JOB_CANCELLED},
    {"TIMEOUT", SLURM_JOB_TIMEOUT},
    {"NODE_FAIL", SLURM_JOB_NODE_FAIL},
    {"OUT_OF_MEMORY", SLURM_JOB_OUT_OF_MEMORY},
    {"PREEMPTED", SLURM_JOB_PREEMPTED},
    {"BOOT_FAIL", SLURM_JOB_BOOT_FAIL},
    {"DEADLINE", SLURM_JOB_DEADLINE},
    /* States outside the enum, mapped to what they mean for a run. */
    {"CONFIGURING", SLURM_JOB_PENDING}, /* nodes booting: the script has not started */
    {"REQUEUED", SLURM_JOB_PENDING},
    {"REQUEUE_HOLD", SLURM_JOB_PENDING},
    {"REQUEUE_FED", SLURM_JOB_PENDING},
    {"RESV_DEL_HOLD", SLURM_JOB_PENDING},
    {"RESIZING", SLURM_JOB_RUNNING},
    {"SIGNALING", SLURM_JOB_RUNNING},
    {"STOPPED", SLURM_JOB_RUNNING},
    {"STAGE_OUT", SLURM_JOB_COMPLETING},
    {"SPECIAL_EXIT", SLURM_JOB_FAILED},
    {"REVOKED", SLURM_JOB_CANCELLED},
    {"OOM", SLURM_JOB_OUT_OF_MEMORY},
};

slurm_job_state exec_slurm_state_from_name(const char *name)
{
    if (!name)
        return SLURM_JOB_UNKNOWN;
    /* squeue marks a cancel request still in progress with a trailing '+' ("CANCELLED+"). */
    size_t len = strcspn(name, "+ ");
    for (size_t i = 0; i < sizeof state_names / sizeof state_names[0]; i++)
        if (strlen(state_names[i].name) == len && !strncmp(state_names[i].name, name, len))
            return state_names[i].state;
    return SLURM_JOB_UNKNOWN;
}

const char *exec_slurm_state_name(slurm_job_state s)
{
    for (size_t i = 0; i < sizeof state_names / sizeof state_names[0]; i++)
        if (state_names[i].state == s)
            return state_names[i].name;
    return "UNKNOWN";
}

bool exec_slurm_state_is_final(slurm_job_state s)
{
    return slurm_job_state_final(s);
}

static bool job_ended(const exec_slurm_jobview *j)
{
    return j->exists && (j->forgotten || (j->listed && exec_slurm_state_is_final(j->state)));
}

/* Not listed yet (a listing older than its submission) counts as queued. */
static bool job_queued(const exec_slurm_jobview *j)
{
    return j->exists && !job_ended(j) && (!j->listed || j->state == SLURM_JOB_PENDING);
}

static bool job_succeeded(const exec_slurm_jobview *j)
{
    return j->listed && j->state == SLURM_JOB_COMPLETED && j->exit_code == 0 && !j->exit_signal;
}

/* "client job 12" (or, without an id, how it was looked for). */
static void job_label(char *out, size_t len, const char *role, const exec_slurm_jobview *j)
{
    if (j->id > 0)
        snprintf(out, len, "%s job %lld", role, (long long)j->id);
    else
        snprintf(out, len, "the %s job", role);
}

/* How an ended job ended, for people. */
static void describe_end(char *out, size_t len, const char *role, const exec_slurm_jobview *j)
{
    char who[64];
    job_label(who, sizeof who, role, j);
    if (j->forgotten) {
        if (j->id > 0)
            snprintf(out, len, "Slurm has no record of %s job %lld", role, (long long)j->id);
        else
            snprintf(out, len, "Slurm has no record of %s (looked up by its comment)", who);
        return;
    }
    switch (j->state) {
    case SLURM_JOB_COMPLETED:
    case SLURM_JOB_FAILED:
        if (j->exit_signal)
            snprintf(out, len, "%s was killed by signal %d (see %s.err)", who, j->exit_signal,
                     role);
        else
            snprintf(out, len, "%s exited with status %d (see %s.err)", who, j->exit_code, role);
        return;
    case SLURM_JOB_TIMEOUT:
        snprintf(out, len, "%s: TIMEOUT (time limit)", who);
        return;
    case SLURM_JOB_CANCELLED:
        snprintf(out, len, "%s: CANCELLED outside aifb", who);
        return;
    case SLURM_JOB_NODE_FAIL:
        snprintf(out, len, "%s: NODE_FAIL (a node it ran on failed)", who);
        return;
    case SLURM_JOB_OUT_OF_MEMORY:
        snprintf(out, len, "%s: OUT_OF_MEMORY (over its memory limit)", who);
        return;
    case SLURM_JOB_PREEMPTED:
        snprintf(out, len, "%s: PREEMPTED (a higher-priority job took its place)", who);
        return;
    case SLURM_JOB_BOOT_FAIL:
        snprintf(out, len, "%s: BOOT_FAIL (its node failed to boot)", who);
        return;
    default:
        snprintf(out, len, "%s: %s", who, exec_slurm_state_name(j->state));
        return;
    }
}

static void judge_cancel(const exec_slurm_view *v, exec_slurm_verdict *out)
{
    bool svc_alive = v->service.exists && !job_ended(&v->service);
    bool cli_alive = v->client.exists && !job_ended(&v->client);
    out->cancel_service = svc_alive;
    out->cancel_client = cli_alive;
    if (svc_alive || cli_alive) {
        out->phase = EXEC_STOPPING;
        snprintf(out->reason, sizeof out->reason, "cancelling the run's jobs");
    } else if (!v->client.exists && v->endpoint_known) {
        out->phase = EXEC_SUCCEEDED;
        snprintf(out->reason, sizeof out->reason, "service stopped on request");
    } else {
        out->phase = EXEC_CANCELLED;
        snprintf(out->reason, sizeof out->reason, "stopped on request");
    }
}

/* The client ended: it decides the run, once the service job is gone too. */
static void judge_client_end(const exec_slurm_view *v, exec_slurm_verdict *out)
{
    const exec_slurm_jobview *c = &v->client;
    bool ok = job_succeeded(c);
    if (c->listed && (c->state == SLURM_JOB_COMPLETED || c->state == SLURM_JOB_FAILED) &&
        !c->exit_signal)
        out->exit_code = c->exit_code;
    char how[400];
    if (ok) {
        char who[64];
        job_label(who, sizeof who, "client", c);
        snprintf(how, sizeof how, "%s completed", who);
    } else {
        describe_end(how, sizeof how, "client", c);
    }
    if (v->service.exists && !job_ended(&v->service)) {
        char svc[64];
        job_label(svc, sizeof svc, "service", &v->service);
        out->phase = EXEC_STOPPING;
        out->cancel_service = true;
        snprintf(out->reason, sizeof out->reason, "%s; stopping %s", how, svc);
        return;
    }
    out->phase = ok ? EXEC_SUCCEEDED : EXEC_FAILED;
    snprintf(out->reason, sizeof out->reason, "%s", how);
}

/* The service job ended on its own while the client had not (or there is no client). */
static void judge_service_end(const exec_slurm_view *v, exec_slurm_verdict *out)
{
    char how[400];
    describe_end(how, sizeof how, "service", &v->service);
    if (v->client.exists && !job_ended(&v->client)) {
        char cli[64];
        job_label(cli, sizeof cli, "client", &v->client);
        out->phase = EXEC_STOPPING;
        out->cancel_client = true;
        snprintf(out->reason, sizeof out->reason, "%s before the client finished; cancelling %s",
                 how, cli);
        return;
    }
    out->phase = EXEC_FAILED;
    snprintf(out->reason, sizeof out->reason, "%s%s", how,
             v->client.exists ? " before the client finished" : "");
}

/* Neither job has ended: how far along the run is. */
static void judge_progress(const exec_slurm_view *v, exec_slurm_verdict *out)
{
    const exec_slurm_jobview *s = &v->service, *c = &v->client;
    char who[64];
    if (s->exists && job_queued(s)) {
        job_label(who, sizeof who, "service", s);
        out->phase = EXEC_SUBMITTED;
        snprintf(out->reason, sizeof out->reason, "%s is waiting in the queue", who);
    } else if (s->exists && !v->endpoint_known) {
        job_label(who, sizeof who, "service", s);
        out->phase = EXEC_STARTING;
        out->read_endpoint = s->state == SLURM_JOB_RUNNING;
        snprintf(out->reason, sizeof out->reason, "%s runs; waiting for its endpoint", who);
    } else if (c->exists && job_queued(c)) {
        job_label(who, sizeof who, "client", c);
        out->phase = s->exists ? EXEC_STARTING : EXEC_SUBMITTED;
        snprintf(out->reason, sizeof out->reason, "%s is waiting in the queue", who);
    } else {
        out->phase = EXEC_RUNNING;
        snprintf(out->reason, sizeof out->reason, "%s at %s",
                 c->exists ? "client running against the service" : "service ready",
                 v->endpoint && *v->endpoint ? v->endpoint : "its endpoint");
    }
}

void exec_slurm_judge(const exec_slurm_view *v, exec_slurm_verdict *out)
{
    memset(out, 0, sizeof *out);
    out->exit_code = -1;
    if (v->cancel_requested)
        judge_cancel(v, out);
    else if (v->client.exists && job_ended(&v->client) &&
             !(v->client.cancelled_by_aifb && job_ended(&v->service)))
        judge_client_end(v, out);
    else if (v->service.exists && job_ended(&v->service))
        judge_service_end(v, out);
    else
        judge_progress(v, out);
}
