/* exec_local.c: the local executor: a plan's roles as process groups on this machine.
 *
 * Each plan is a local_plan in one list under one mutex (poll, cancel and submit come from
 * different threads; nothing sleeps while holding it). A plan moves forward only inside poll():
 *
 *   service started --probe passes--> ready: service.ready written, client started
 *   client ended, service died, probe timed out, cancel() --> stopping: SIGTERM to every group,
 *   SIGKILL after grace --> final once kill(-pgid, 0) fails with ESRCH for every group.
 *
 * The outcome is decided when stopping begins and reported once everything is gone. What the
 * roles are doing is learned from the kernel (waitpid on our own children, kill(-pgid, 0) for
 * groups, /proc for a supervisor that is not our child) and from the files exec_spawn.c writes,
 * which is also all adopt() has to go on after a restart. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "exec/exec_probe.h"
#include "exec/exec_resolve.h"
#include "exec/exec_spawn.h"
#include "exec/executor.h"

#define LOCAL_GONE_REASON                                                                          \
    "processes of the run were gone when aifbd restarted (no exit status was recorded)"

typedef struct local_role {
    bool present;        /* the plan has this role */
    const char *name;    /* "service" or "client" */
    exec_role_spec spec; /* resolved programs; empty for a role adopted after it started */
    char **setup_names;  /* argv[0] of each setup command, for messages */
    bool started, adopted;
    exec_proc_id proc;
    bool sup_done;  /* the supervisor has exited */
    bool have_wait; /* we reaped it: wait_status is its own status */
    int wait_status;
    bool have_end; /* its status file was read */
    exec_role_end end;
    bool group_gone;
} local_role;

typedef struct local_plan {
    struct local_plan *next;
    char *id, *dir;
    char endpoint[256];
    local_role svc, cli;
    bool has_prober;
    exec_prober probe;
    bool ready, cancel_requested, stopping, killed, final;
    int64_t term_ms;
    exec_phase outcome;
    int exit_code;
    char reason[512];
} local_plan;

typedef struct local_exec {
    pthread_mutex_t mu;
    int grace_ms;
    local_plan *plans;
} local_exec;

static local_exec *impl_of(executor *ex)
{
    return ex->impl;
}

static local_plan *plan_find(local_exec *le, const char *id)
{
    for (local_plan *p = le->plans; p; p = p->next)
        if (strcmp(p->id, id) == 0)
            return p;
    return NULL;
}

static char **setup_names_copy(const exec_role *role)
{
    char **names = xcalloc(role->nsetup + 1, sizeof *names);
    for (size_t i = 0; i < role->nsetup; i++) {
        const char *a0 = role->setup[i].argv ? role->setup[i].argv[0] : NULL;
        const char *slash = a0 ? strrchr(a0, '/') : NULL;
        names[i] = xstrdup(slash ? slash + 1 : a0 ? a0 : "?");
    }
    return names;
}

static void role_init(local_role *r, const char *name, bool present, const exec_role *role)
{
    memset(r, 0, sizeof *r);
    r->name = name;
    r->present = present;
    if (present)
        r->setup_names = setup_names_copy(role);
}

static void plan_free(local_plan *p, bool kill_probe)
{
    exec_role_spec_free(&p->svc.spec);
    exec_role_spec_free(&p->cli.spec);
    exec_strv_free(p->svc.setup_names);
    exec_strv_free(p->cli.setup_names);
    if (p->has_prober)
        exec_prober_free(&p->probe, kill_probe);
    free(p->id);
    free(p->dir);
    free(p);
}

static local_plan *plan_new(const exec_plan *plan)
{
    local_plan *p = xcalloc(1, sizeof *p);
    p->id = xstrdup(plan->id);
    p->dir = xstrdup(plan->dir);
    p->exit_code = -1;
    p->outcome = EXEC_SUBMITTED;
    snprintf(p->endpoint, sizeof p->endpoint, "%s", plan->endpoint ? plan->endpoint : "");
    role_init(&p->svc, "service", plan->has_service, &plan->service);
    role_init(&p->cli, "client", plan->has_client, &plan->client);
    return p;
}

/* ---- what the roles are doing ------------------------------------------------------------ */

/* An adopted supervisor is not necessarily our child: /proc tells whether it still runs. Its pid
 * in use by another process means our group is gone too (the kernel does not hand out a pid
 * that still names a group), and that group number must never be signalled. */
static void adopted_refresh(local_role *r)
{
    unsigned long long start;
    char state;
    bool exists = exec_proc_stat(r->proc.pgid, &start, &state);
    if (exists && start != r->proc.starttime)
        r->sup_done = r->group_gone = true;
    else if (!exists || state == 'Z' || state == 'X')
        r->sup_done = true;
}

static void role_refresh(local_plan *p, local_role *r)
{
    if (!r->started || (r->sup_done && r->group_gone))
        return;
    if (r->adopted && !r->sup_done)
        adopted_refresh(r);
    if (!r->group_gone) {
        bool reaped = false;
        exec_reap_group(r->proc.pgid, &reaped, &r->wait_status);
        if (reaped)
            r->sup_done = r->have_wait = true;
    }
    if (r->sup_done && !r->have_end)
        r->have_end = exec_status_read(p->dir, r->name, &r->end);
    if (!r->group_gone)
        r->group_gone = !exec_group_alive(r->proc.pgid);
}

static bool role_ended(const local_role *r)
{
    return r->started && (r->have_end || r->sup_done);
}

/* Whether some process of the role may still exist. */
static bool role_alive(const local_role *r)
{
    return r->started && (!r->group_gone || (!r->adopted && !r->sup_done));
}

static void signal_groups(local_plan *p, int sig)
{
    local_role *roles[] = {&p->svc, &p->cli};
    for (size_t i = 0; i < 2; i++)
        if (roles[i]->started && !roles[i]->group_gone)
            kill(-roles[i]->proc.pgid, sig);
}

/* ---- sentences for people ---------------------------------------------------------------- */

/* Which step a role's end came from, so callers know how much to add to the sentence. */
typedef enum local_end_kind { END_MAIN, END_SETUP, END_START, END_UNRECORDED } local_end_kind;

/* "service exited with status 1", "client killed by signal 9", "service setup command 1
 * (initdb) exited with status 1", "service could not be started". */
static local_end_kind describe_end(const local_role *r, char *out, size_t outlen)
{
    int ws = r->have_end ? r->end.wstatus : r->wait_status;
    char how[64];
    if (WIFSIGNALED(ws))
        snprintf(how, sizeof how, "killed by signal %d", WTERMSIG(ws));
    else
        snprintf(how, sizeof how, "exited with status %d", WIFEXITED(ws) ? WEXITSTATUS(ws) : -1);
    if (r->have_end && strcmp(r->end.step, "setup") == 0) {
        size_t n = 0;
        while (r->setup_names && r->setup_names[n])
            n++;
        const char *prog =
            r->end.index >= 1 && (size_t)r->end.index <= n ? r->setup_names[r->end.index - 1] : "?";
        snprintf(out, outlen, "%s setup command %d (%s) %s", r->name, r->end.index, prog, how);
        return END_SETUP;
    }
    if (r->have_end && strcmp(r->end.step, "start") == 0) {
        snprintf(out, outlen, "%s could not be started", r->name);
        return END_START;
    }
    if (r->have_end || r->have_wait) {
        snprintf(out, outlen, "%s %s", r->name, how);
        return END_MAIN;
    }
    snprintf(out, outlen, "%s ended without recording an exit status", r->name);
    return END_UNRECORDED;
}

/* The service's failure, with when it happened (for its main program) and the last line it
 * wrote on stderr. */
static void service_failure(local_plan *p, const char *when, char *out, size_t outlen)
{
    char what[256], last[200], path[4200];
    bool of_main = describe_end(&p->svc, what, sizeof what) == END_MAIN;
    snprintf(path, sizeof path, "%s/service.err", p->dir);
    exec_last_line(path, last, sizeof last);
    snprintf(out, outlen, "%s%s%s (see service.err)%s%s", what, of_main ? " " : "",
             of_main ? when : "", last[0] ? ": " : "", last);
}

/* ---- stopping ---------------------------------------------------------------------------- */

static void stop_progress(local_exec *le, local_plan *p, int64_t now)
{
    role_refresh(p, &p->svc);
    role_refresh(p, &p->cli);
    if (!role_alive(&p->svc) && !role_alive(&p->cli)) {
        p->final = true;
        return;
    }
    if (!p->killed && now - p->term_ms >= le->grace_ms) {
        signal_groups(p, SIGKILL);
        p->killed = true;
    }
}

static void begin_stop(local_exec *le, local_plan *p, exec_phase outcome, const char *reason,
                       int64_t now)
{
    p->stopping = true;
    p->outcome = outcome;
    snprintf(p->reason, sizeof p->reason, "%s", reason);
    if (p->has_prober)
        exec_prober_abort(&p->probe);
    signal_groups(p, SIGTERM);
    p->term_ms = now;
    log_info("plan %s stopping: %s", p->id, reason);
    stop_progress(le, p, now);
}

/* ---- moving a plan forward --------------------------------------------------------------- */

static aifb_code launch(local_plan *p, local_role *r, aifb_err *err)
{
    char *extra[4] = {NULL, NULL, NULL, NULL};
    abuf ep = {0}, run = {0}, role = {0};
    abuf_printf(&run, "AIFB_RUN_ID=%s", p->id);
    abuf_printf(&role, "AIFB_ROLE=%s", r->name);
    extra[0] = run.p;
    extra[1] = role.p;
    if (r == &p->cli && p->endpoint[0]) {
        abuf_printf(&ep, "AIFB_ENDPOINT=%s", p->endpoint);
        extra[2] = ep.p;
    }
    aifb_code rc = exec_spawn_role(&r->spec, p->dir, r->name, extra, &r->proc, err);
    abuf_free(&ep);
    abuf_free(&run);
    abuf_free(&role);
    if (rc == AIFB_OK || r->proc.pgid > 0)
        r->started = true; /* a failed pid file still leaves a running group to track */
    return rc;
}

static void mark_ready(local_plan *p)
{
    p->ready = true;
    if (!p->endpoint[0] && p->has_prober)
        exec_prober_endpoint(&p->probe, p->endpoint, sizeof p->endpoint);
    char path[4200], text[300];
    snprintf(path, sizeof path, "%s/service.ready", p->dir);
    int n = snprintf(text, sizeof text, "%s\n", p->endpoint);
    aifb_err err;
    if (aifb_write_file_atomic(path, text, (size_t)n, 0644, &err))
        log_warn("plan %s: %s", p->id, err.msg);
}

static void on_service_ended(local_exec *le, local_plan *p, int64_t now)
{
    char reason[512];
    if (!p->ready)
        service_failure(p, "before it was ready", reason, sizeof reason);
    else if (p->cli.present)
        service_failure(p, "while the client was running", reason, sizeof reason);
    else
        service_failure(p, "after it was ready", reason, sizeof reason);
    begin_stop(le, p, EXEC_FAILED, reason, now);
}

static void on_probe_timeout(local_exec *le, local_plan *p, int64_t now)
{
    char what[300], reason[512];
    exec_prober_describe(&p->probe, what, sizeof what);
    snprintf(reason, sizeof reason, "service not ready after %g s (%s)%s%s",
             p->probe.timeout_ms / 1000.0, what, p->probe.last_error[0] ? ": " : "",
             p->probe.last_error);
    begin_stop(le, p, EXEC_FAILED, reason, now);
}

static void on_client_ended(local_exec *le, local_plan *p, int64_t now)
{
    local_role *c = &p->cli;
    char what[256], reason[512];
    local_end_kind kind = describe_end(c, what, sizeof what);
    int ws = c->have_end ? c->end.wstatus : c->wait_status;
    bool main_exited = c->have_end && strcmp(c->end.step, "main") == 0 && WIFEXITED(ws);
    if (main_exited)
        p->exit_code = WEXITSTATUS(ws);
    bool ok = main_exited && p->exit_code == 0;
    bool with_err = kind == END_SETUP || kind == END_START || (main_exited && !ok);
    snprintf(reason, sizeof reason, "%s%s", what, with_err ? " (see client.err)" : "");
    begin_stop(le, p, ok ? EXEC_SUCCEEDED : EXEC_FAILED, reason, now);
}

static void start_client(local_exec *le, local_plan *p, int64_t now)
{
    aifb_err err = {0};
    if (launch(p, &p->cli, &err) != AIFB_OK) {
        char reason[512];
        snprintf(reason, sizeof reason, "cannot start the client: %.400s", err.msg);
        begin_stop(le, p, EXEC_FAILED, reason, now);
    }
}

static void plan_advance(local_exec *le, local_plan *p, int64_t now)
{
    if (p->final)
        return;
    if (p->stopping) {
        stop_progress(le, p, now);
        return;
    }
    role_refresh(p, &p->svc);
    role_refresh(p, &p->cli);
    bool client_ended = p->cli.present && role_ended(&p->cli);
    if (p->svc.present && role_ended(&p->svc) && !client_ended) {
        on_service_ended(le, p, now);
        return;
    }
    if (p->svc.present && !p->ready) {
        exec_probe_result r = exec_prober_step(&p->probe, now);
        if (r == EXEC_PROBE_TIMED_OUT) {
            on_probe_timeout(le, p, now);
            return;
        }
        if (r == EXEC_PROBE_PASSED)
            mark_ready(p);
    }
    if (p->cli.present && !p->cli.started && (p->ready || !p->svc.present)) {
        start_client(le, p, now);
        return;
    }
    if (client_ended)
        on_client_ended(le, p, now);
}

static exec_phase plan_phase(const local_plan *p)
{
    if (p->final)
        return p->outcome;
    if (p->stopping)
        return EXEC_STOPPING;
    if (p->svc.present)
        return !p->svc.started ? EXEC_SUBMITTED : p->ready ? EXEC_RUNNING : EXEC_STARTING;
    return p->cli.started ? EXEC_RUNNING : EXEC_SUBMITTED;
}

static void plan_report(const local_plan *p, exec_status *st)
{
    memset(st, 0, sizeof *st);
    st->phase = plan_phase(p);
    st->exit_code = p->exit_code;
    snprintf(st->reason, sizeof st->reason, "%s", p->reason);
    if (p->ready || !p->svc.present)
        snprintf(st->endpoint, sizeof st->endpoint, "%s", p->endpoint);
    char svc[64] = "", cli[64] = "";
    if (p->svc.started)
        snprintf(svc, sizeof svc, "service pgid %d", (int)p->svc.proc.pgid);
    if (p->cli.started)
        snprintf(cli, sizeof cli, "client pgid %d", (int)p->cli.proc.pgid);
    snprintf(st->handles, sizeof st->handles, "%s%s%s", svc, svc[0] && cli[0] ? ", " : "", cli);
}

/* ---- submit ------------------------------------------------------------------------------ */

static aifb_code check_plan_shape(const exec_plan *plan, aifb_err *err)
{
    if (!plan->id || !*plan->id)
        return aifb_err_set(err, AIFB_EINVAL, "the plan has no id");
    struct stat st;
    if (!plan->dir || stat(plan->dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return aifb_err_set(err, AIFB_EINVAL, "run folder %s of %s does not exist",
                            plan->dir ? plan->dir : "(none)", plan->id);
    if (!plan->has_service && !plan->has_client)
        return aifb_err_set(err, AIFB_EINVAL, "plan %s has neither a service nor a client",
                            plan->id);
    return AIFB_OK;
}

/* Resolves one role and prepares its workdir. */
static aifb_code prepare_role(local_plan *p, local_role *r, const exec_role *role, aifb_err *err)
{
    aifb_code rc = exec_resolve_role(role, r->name, p->dir, &r->spec, err);
    return rc ? rc : exec_resolve_workdir(&r->spec, r->name, err);
}

static aifb_code prepare_prober(local_plan *p, const exec_plan *plan, aifb_err *err)
{
    aifb_code rc = exec_prober_init(&p->probe, &plan->probe, plan->service.search,
                                    p->svc.spec.workdir ? p->svc.spec.workdir : p->dir, err);
    p->has_prober = true; /* even on failure: init leaves it safe to free */
    return rc;
}

/* Everything that can be checked before a process starts, in the order a user fixes things:
 * programs and users of both roles and the probe, then the folders. */
static aifb_code prepare_plan(local_plan *p, const exec_plan *plan, aifb_err *err)
{
    aifb_code rc = AIFB_OK;
    if (plan->has_service)
        rc = exec_resolve_role(&plan->service, "service", p->dir, &p->svc.spec, err);
    if (!rc && plan->has_client)
        rc = exec_resolve_role(&plan->client, "client", p->dir, &p->cli.spec, err);
    if (!rc && plan->has_service)
        rc = prepare_prober(p, plan, err);
    if (!rc && plan->has_service)
        rc = exec_resolve_workdir(&p->svc.spec, "service", err);
    if (!rc && plan->has_client)
        rc = exec_resolve_workdir(&p->cli.spec, "client", err);
    return rc;
}

static aifb_code local_submit(executor *ex, const exec_plan *plan, aifb_err *err)
{
    local_exec *le = impl_of(ex);
    aifb_code rc = check_plan_shape(plan, err);
    if (rc)
        return rc;
    local_plan *p = plan_new(plan);
    rc = prepare_plan(p, plan, err);
    if (rc) {
        plan_free(p, true);
        return rc;
    }
    pthread_mutex_lock(&le->mu);
    if (plan_find(le, plan->id)) {
        pthread_mutex_unlock(&le->mu);
        plan_free(p, true);
        return aifb_err_set(err, AIFB_EEXIST, "plan %s was already submitted", plan->id);
    }
    local_role *first = plan->has_service ? &p->svc : &p->cli;
    aifb_err launch_err = {0};
    rc = launch(p, first, &launch_err);
    if (rc && !first->started) {
        pthread_mutex_unlock(&le->mu);
        plan_free(p, true);
        return aifb_err_set(err, rc, "%s", launch_err.msg);
    }
    if (plan->has_service)
        exec_prober_start(&p->probe, aifb_mono_ms());
    if (rc) /* started but its pid file could not be written: stop it, report why */
        begin_stop(le, p, EXEC_FAILED, launch_err.msg, aifb_mono_ms());
    p->next = le->plans;
    le->plans = p;
    pthread_mutex_unlock(&le->mu);
    log_info("plan %s submitted (%s pgid %d)", p->id, first->name, (int)first->proc.pgid);
    return AIFB_OK;
}

/* ---- adopt ------------------------------------------------------------------------------- */

/* Reads what the files say about one role of a plan taken back after a restart. */
static aifb_code adopt_role(local_plan *p, local_role *r, int64_t *started_wall, aifb_err *err)
{
    if (!r->present)
        return AIFB_OK;
    aifb_code rc = exec_pidfile_read(p->dir, r->name, &r->proc, started_wall, err);
    if (rc == AIFB_ENOTFOUND)
        return AIFB_OK;
    if (rc)
        return rc;
    r->started = r->adopted = true;
    role_refresh(p, r);
    return AIFB_OK;
}

static void adopt_read_ready(local_plan *p)
{
    char path[4200], *text = NULL;
    snprintf(path, sizeof path, "%s/service.ready", p->dir);
    if (aifb_read_file(path, 300, &text, NULL, NULL) != AIFB_OK)
        return;
    p->ready = true;
    text[strcspn(text, "\r\n")] = '\0';
    if (!p->endpoint[0])
        snprintf(p->endpoint, sizeof p->endpoint, "%s", text);
    free(text);
}

/* Prepares what is still to come: the probe (its clock started when the service did) and the
 * client when it has not started. */
static aifb_code adopt_rest(local_plan *p, const exec_plan *plan, int64_t svc_started_wall,
                            aifb_err *err)
{
    if (p->svc.present && !p->ready) {
        aifb_code rc = exec_resolve_role(&plan->service, "service", p->dir, &p->svc.spec, err);
        if (!rc)
            rc = prepare_prober(p, plan, err);
        if (rc)
            return rc;
        exec_prober_start(&p->probe, aifb_mono_ms() - (aifb_now_ms() - svc_started_wall));
    }
    if (p->cli.present && !p->cli.started)
        return prepare_role(p, &p->cli, &plan->client, err);
    return AIFB_OK;
}

static aifb_code adopt_plan(local_exec *le, local_plan *p, const exec_plan *plan, aifb_err *err)
{
    int64_t svc_wall = aifb_now_ms(), cli_wall = 0;
    aifb_code rc = adopt_role(p, &p->svc, &svc_wall, err);
    if (!rc)
        rc = adopt_role(p, &p->cli, &cli_wall, err);
    if (rc)
        return rc;
    local_role *first = p->svc.present ? &p->svc : &p->cli;
    if (!first->started)
        return aifb_err_set(err, AIFB_ENOTFOUND, "nothing in %s shows that %s was started", p->dir,
                            p->id);
    if (p->svc.present)
        adopt_read_ready(p);
    bool vanished = (p->svc.started && p->svc.sup_done && !p->svc.have_end) ||
                    (p->cli.started && p->cli.sup_done && !p->cli.have_end);
    if (vanished) {
        begin_stop(le, p, EXEC_FAILED, LOCAL_GONE_REASON, aifb_mono_ms());
        return AIFB_OK;
    }
    return adopt_rest(p, plan, svc_wall, err);
}

static aifb_code local_adopt(executor *ex, const exec_plan *plan, aifb_err *err)
{
    local_exec *le = impl_of(ex);
    aifb_code rc = check_plan_shape(plan, err);
    if (rc)
        return rc;
    pthread_mutex_lock(&le->mu);
    if (plan_find(le, plan->id)) {
        pthread_mutex_unlock(&le->mu);
        return aifb_err_set(err, AIFB_EEXIST, "plan %s is already tracked", plan->id);
    }
    local_plan *p = plan_new(plan);
    rc = adopt_plan(le, p, plan, err);
    if (rc) {
        pthread_mutex_unlock(&le->mu);
        plan_free(p, true);
        return rc;
    }
    p->next = le->plans;
    le->plans = p;
    pthread_mutex_unlock(&le->mu);
    log_info("plan %s adopted", p->id);
    return AIFB_OK;
}

/* ---- the other operations ---------------------------------------------------------------- */

static aifb_code local_poll(executor *ex, const char *id, exec_status *st, aifb_err *err)
{
    local_exec *le = impl_of(ex);
    pthread_mutex_lock(&le->mu);
    local_plan *p = plan_find(le, id);
    if (!p) {
        pthread_mutex_unlock(&le->mu);
        return aifb_err_set(err, AIFB_ENOTFOUND, "no plan %s in the local executor", id);
    }
    plan_advance(le, p, aifb_mono_ms());
    plan_report(p, st);
    pthread_mutex_unlock(&le->mu);
    return AIFB_OK;
}

/* A service-only plan that was up ends as asked (SUCCEEDED); anything else is CANCELLED. */
static void request_stop(local_exec *le, local_plan *p)
{
    if (p->cancel_requested || p->final)
        return;
    p->cancel_requested = true;
    if (p->stopping)
        return; /* already ending with its own outcome */
    bool service_only = p->svc.present && !p->cli.present;
    if (service_only && p->ready)
        begin_stop(le, p, EXEC_SUCCEEDED, "service stopped on request", aifb_mono_ms());
    else
        begin_stop(le, p, EXEC_CANCELLED, "cancelled on request", aifb_mono_ms());
}

static aifb_code local_cancel(executor *ex, const char *id, aifb_err *err)
{
    local_exec *le = impl_of(ex);
    pthread_mutex_lock(&le->mu);
    local_plan *p = plan_find(le, id);
    if (p)
        request_stop(le, p);
    pthread_mutex_unlock(&le->mu);
    if (!p)
        return aifb_err_set(err, AIFB_ENOTFOUND, "no plan %s in the local executor", id);
    return AIFB_OK;
}

static void local_forget(executor *ex, const char *id)
{
    local_exec *le = impl_of(ex);
    pthread_mutex_lock(&le->mu);
    for (local_plan **pp = &le->plans; *pp; pp = &(*pp)->next) {
        if (strcmp((*pp)->id, id) == 0) {
            local_plan *p = *pp;
            *pp = p->next;
            plan_free(p, true);
            break;
        }
    }
    pthread_mutex_unlock(&le->mu);
}

static aifb_code local_log_path(executor *ex, const char *id, const char *stream, char *out,
                                size_t outlen, aifb_err *err)
{
    static const char *const streams[] = {"service.out", "service.err", "client.out", "client.err"};
    bool known = false;
    for (size_t i = 0; i < 4 && stream; i++)
        known = known || strcmp(stream, streams[i]) == 0;
    if (!known)
        return aifb_err_set(err, AIFB_EINVAL,
                            "unknown log stream '%s' (service.out, service.err, client.out or "
                            "client.err)",
                            stream ? stream : "(none)");
    local_exec *le = impl_of(ex);
    pthread_mutex_lock(&le->mu);
    local_plan *p = plan_find(le, id);
    int n = p ? snprintf(out, outlen, "%s/%s", p->dir, stream) : 0;
    pthread_mutex_unlock(&le->mu);
    if (!p)
        return aifb_err_set(err, AIFB_ENOTFOUND, "no plan %s in the local executor", id);
    if (n < 0 || (size_t)n >= outlen)
        return aifb_err_set(err, AIFB_ERANGE, "the path of %s of %s is longer than %zu bytes",
                            stream, id, outlen);
    return AIFB_OK;
}

static aifb_code local_place(executor *ex, const char *id, const char *local_dir, exec_place *out,
                             aifb_err *err)
{
    (void)ex;
    (void)id;
    if (snprintf(out->dir, sizeof out->dir, "%s", local_dir) >= (int)sizeof out->dir)
        return aifb_err_set(err, AIFB_ERANGE, "run folder path too long: %.80s...", local_dir);
    snprintf(out->host, sizeof out->host, "127.0.0.1");
    out->port = 0;
    return AIFB_OK;
}

static aifb_code local_read_file(executor *ex, const char *dir, const char *name, int64_t offset,
                                 char *buf, size_t cap, size_t *n, aifb_err *err)
{
    (void)ex;
    char path[4200];
    *n = 0;
    if (strchr(name, '/') || name[0] == '.')
        return aifb_err_set(err, AIFB_EINVAL, "'%s' is not a file name of a run", name);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return aifb_err_set(err, errno == ENOENT ? AIFB_ENOTFOUND : AIFB_EINTERNAL,
                            "cannot open %s: %s", path, strerror(errno));
    ssize_t got = pread(fd, buf, cap, offset < 0 ? 0 : offset);
    int e = errno;
    close(fd);
    if (got < 0)
        return aifb_err_set(err, AIFB_EINTERNAL, "cannot read %s: %s", path, strerror(e));
    *n = (size_t)got;
    return AIFB_OK;
}

/* One round of stopping every plan; returns whether anything is still alive. */
static bool shutdown_round(local_exec *le)
{
    bool alive = false;
    pthread_mutex_lock(&le->mu);
    for (local_plan *p = le->plans; p; p = p->next) {
        request_stop(le, p);
        if (!p->final)
            stop_progress(le, p, aifb_mono_ms());
        alive = alive || !p->final;
    }
    pthread_mutex_unlock(&le->mu);
    return alive;
}

static void local_shutdown(executor *ex)
{
    local_exec *le = impl_of(ex);
    int64_t deadline = aifb_mono_ms() + le->grace_ms + 2000;
    while (shutdown_round(le)) {
        if (aifb_mono_ms() > deadline) {
            log_warn("local executor: some processes did not end after SIGKILL");
            return;
        }
        struct timespec pause = {0, 20 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
}

static void local_free(executor *ex)
{
    if (!ex)
        return;
    local_exec *le = impl_of(ex);
    while (le->plans) {
        local_plan *p = le->plans;
        le->plans = p->next;
        plan_free(p, false);
    }
    pthread_mutex_destroy(&le->mu);
    free(le);
    free(ex);
}

static const executor_ops local_ops = {
    .name = "local",
    .submit = local_submit,
    .adopt = local_adopt,
    .poll = local_poll,
    .cancel = local_cancel,
    .forget = local_forget,
    .log_path = local_log_path,
    .place = local_place,
    .read_file = local_read_file,
    .shutdown = local_shutdown,
    .free = local_free,
};

aifb_code exec_local_new(int grace_ms, executor **out, aifb_err *err)
{
    if (grace_ms < 0)
        return aifb_err_set(err, AIFB_EINVAL, "grace period %d ms is negative", grace_ms);
    local_exec *le = xcalloc(1, sizeof *le);
    pthread_mutex_init(&le->mu, NULL);
    le->grace_ms = grace_ms ? grace_ms : 5000;
    exec_become_subreaper();
    executor *ex = xcalloc(1, sizeof *ex);
    ex->ops = &local_ops;
    ex->impl = le;
    *out = ex;
    return AIFB_OK;
}
