/* exec_slurm.c: the Slurm executor core, the same for every backend (see exec_slurm.h).
 *
 * State: one record per plan (its job ids, whether a cancel was asked and sent, the endpoint
 * once published) and one listing of every aifb job, shared by all plans. A lister thread
 * refreshes the listing once per refresh interval while any plan is tracked, so a reconcile
 * tick over a hundred runs costs at most one request and never waits for it; poll() applies the
 * latest listing to the plan, judges the plan (exec_slurm_judge.c) and carries out what the
 * verdict asks: cancel the other job of a run that ended (the lister thread sends the cancel
 * at once), read service.endpoint once the service job runs.
 *
 * A job the listing lacks is "forgotten" only when the listing began after the job was
 * submitted (a listing taken just before sbatch returned cannot know it). A listing that fails
 * leaves everything as it was: the plans keep their phases, the reason says since when the
 * controller is unreachable, and nothing is ever resubmitted.
 *
 * Network calls are made without the executor's mutex (the backend is thread-safe): the
 * lister's listings and cancels, submissions and read_file; only the endpoint read of poll()
 * (once per listing while a service starts) and a shutdown's cancels hold it. So neither a
 * listing nor a submission nor a cancel that takes a while holds up an API call. The plan
 * records, submission and adoption are in this file; the options' copies in exec_slurm_opts.c. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "common/log.h"
#include "common/util.h"
#include "slurm/exec_slurm_internal.h"

/* ---- plans ------------------------------------------------------------------------------ */

static sx_plan *plan_find(sx_exec *x, const char *id)
{
    for (sx_plan *p = x->plans; p; p = p->next)
        if (!strcmp(p->id, id))
            return p;
    return NULL;
}

static sx_plan *plan_add(sx_exec *x, const exec_plan *plan)
{
    sx_plan *p = xcalloc(1, sizeof *p);
    snprintf(p->id, sizeof p->id, "%s", plan->id);
    snprintf(p->dir, sizeof p->dir, "%s", plan->dir);
    p->svc.exists = plan->has_service;
    p->cli.exists = plan->has_client;
    p->next = x->plans;
    x->plans = p;
    return p;
}

static void plan_remove(sx_exec *x, const char *id)
{
    for (sx_plan **pp = &x->plans; *pp; pp = &(*pp)->next) {
        if (!strcmp((*pp)->id, id)) {
            sx_plan *dead = *pp;
            *pp = dead->next;
            free(dead);
            return;
        }
    }
}

/* ---- the shared listing ----------------------------------------------------------------- */

static int job_cmp(const void *a, const void *b)
{
    int64_t x = ((const exec_slurm_job *)a)->id, y = ((const exec_slurm_job *)b)->id;
    return x < y ? -1 : x > y;
}

static const exec_slurm_job *listing_find(const sx_exec *x, int64_t id)
{
    exec_slurm_job key = {.id = id};
    if (x->njobs == 0) /* an empty listing has no array (bsearch wants one) */
        return NULL;
    return bsearch(&key, x->jobs, x->njobs, sizeof *x->jobs, job_cmp);
}

/* The newest job whose comment is "aifb:<id>:<role>". */
static const exec_slurm_job *listing_find_comment(const sx_exec *x, const char *id,
                                                  const char *role)
{
    char want[128];
    snprintf(want, sizeof want, "aifb:%s:%s", id, role);
    const exec_slurm_job *best = NULL;
    for (size_t i = 0; i < x->njobs; i++)
        if (!strcmp(x->jobs[i].comment, want))
            best = &x->jobs[i]; /* sorted by id: the last match is the newest */
    return best;
}

/* Takes a listing's outcome (under mu). started: when it was asked for. */
static void listing_install(sx_exec *x, int64_t started, aifb_code rc, exec_slurm_job *jobs,
                            size_t n, const aifb_err *err)
{
    if (rc) {
        if (!x->down_since_wall) {
            x->down_since_wall = aifb_now_ms();
            log_warn("%s: cannot list the jobs: %s (runs keep their states until it answers)",
                     x->name, err->msg);
        }
        snprintf(x->down_why, sizeof x->down_why, "%s", err->msg);
        free(jobs);
        return;
    }
    if (x->down_since_wall)
        log_info("%s: the controller answers again; runs resume", x->name);
    x->down_since_wall = 0;
    if (n > 1)
        qsort(jobs, n, sizeof *jobs, job_cmp);
    free(x->jobs);
    x->jobs = jobs;
    x->njobs = n;
    x->listed_mono = started;
    x->generation++;
}

/* Lists every aifb job now, holding mu (adoption, and a submission whose answer was lost). */
static void listing_refresh_now(sx_exec *x)
{
    exec_slurm_job *jobs = NULL;
    size_t n = 0;
    aifb_err err = {0};
    int64_t started = aifb_mono_ms();
    aifb_code rc = x->be->ops->list_jobs(x->be, &jobs, &n, &err);
    listing_install(x, started, rc, jobs, n, &err);
}

/* Lists every aifb job without holding mu during the request, then installs the listing. */
static void listing_refresh_unlocked(sx_exec *x)
{
    exec_slurm_job *jobs = NULL;
    size_t n = 0;
    aifb_err err = {0};
    int64_t started = aifb_mono_ms();
    aifb_code rc = x->be->ops->list_jobs(x->be, &jobs, &n, &err);
    pthread_mutex_lock(&x->mu);
    listing_install(x, started, rc, jobs, n, &err);
    pthread_mutex_unlock(&x->mu);
}

/* One cancel the lister sends: which plan and role, and the job. */
typedef struct sx_cancel_req {
    char id[AIFB_ID_LEN + 1];
    bool service;
    int64_t job;
    aifb_code rc;
    char msg[256];
} sx_cancel_req;

/* Sends every wanted cancel, mu held on entry and exit but not during the requests; a failed
 * one stays wanted and is tried again after the next listing. */
static void send_cancels(sx_exec *x)
{
    size_t n = 0, cap = 0;
    sx_cancel_req *reqs = NULL;
    x->cancels_pending = false;
    for (sx_plan *p = x->plans; p; p = p->next) {
        sx_role *roles[2] = {&p->cli, &p->svc};
        for (int k = 0; k < 2; k++) {
            if (!roles[k]->cancel_wanted || roles[k]->cancel_sent)
                continue;
            if (n == cap)
                reqs = xrealloc(reqs, (cap = cap ? cap * 2 : 8) * sizeof *reqs);
            sx_cancel_req *q = &reqs[n++];
            memset(q, 0, sizeof *q);
            snprintf(q->id, sizeof q->id, "%s", p->id);
            q->service = roles[k] == &p->svc;
            q->job = roles[k]->id;
        }
    }
    if (n == 0) {
        free(reqs);
        return;
    }
    pthread_mutex_unlock(&x->mu);
    for (size_t i = 0; i < n; i++) {
        aifb_err err = {0};
        reqs[i].rc = x->be->ops->cancel(x->be, reqs[i].job, &err);
        if (reqs[i].rc == AIFB_ENOTFOUND)
            reqs[i].rc = AIFB_OK;
        snprintf(reqs[i].msg, sizeof reqs[i].msg, "%.250s", err.msg);
    }
    pthread_mutex_lock(&x->mu);
    for (size_t i = 0; i < n; i++) {
        sx_plan *p = plan_find(x, reqs[i].id);
        const char *role = reqs[i].service ? "service" : "client";
        sx_role *r = p ? (reqs[i].service ? &p->svc : &p->cli) : NULL;
        if (reqs[i].rc == AIFB_OK) {
            if (r && r->id == reqs[i].job) {
                r->cancel_sent = true;
                r->cancel_wanted = false;
            }
            log_info("%s: run %s: %s job %" PRId64 " cancelled", x->name, reqs[i].id, role,
                     reqs[i].job);
        } else {
            log_warn("%s: run %s: cancelling %s job %" PRId64 ": %s (retried)", x->name, reqs[i].id,
                     role, reqs[i].job, reqs[i].msg);
        }
    }
    free(reqs);
}

/* The lister thread: one listing per refresh interval while any plan is tracked, and the
 * cancels poll() and cancel() ask for, sent as soon as they are asked. It runs without mu
 * during its requests, so a controller that takes seconds to answer (squeue retries for about
 * ten seconds when slurmctld is down) never holds up poll(), submit() or cancel(). */
static void *lister_main(void *arg)
{
    sx_exec *x = arg;
    pthread_mutex_lock(&x->mu);
    int64_t next_listing = aifb_mono_ms() + x->refresh_ms;
    while (!x->stop) {
        int64_t wait_ms = next_listing - aifb_mono_ms();
        /* Cancels wait for the controller too: while it is down only a listing can tell when
         * it is back, so the thread sleeps until the next one instead of spinning. */
        bool can_cancel = x->cancels_pending && !x->down_since_wall;
        if (!can_cancel && wait_ms > 0) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += wait_ms / 1000;
            until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
            if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&x->wake, &x->mu, &until);
        }
        if (x->stop)
            break;
        if (x->cancels_pending && !x->down_since_wall)
            send_cancels(x);
        if (aifb_mono_ms() < next_listing)
            continue;
        next_listing = aifb_mono_ms() + x->refresh_ms;
        if (!x->plans)
            continue;
        pthread_mutex_unlock(&x->mu);
        listing_refresh_unlocked(x);
        pthread_mutex_lock(&x->mu);
        /* Cancels that failed (or waited for the controller) are tried once per listing. */
        for (sx_plan *p = x->plans; p && !x->cancels_pending; p = p->next)
            x->cancels_pending = (p->svc.cancel_wanted && !p->svc.cancel_sent) ||
                                 (p->cli.cancel_wanted && !p->cli.cancel_sent);
    }
    pthread_mutex_unlock(&x->mu);
    return NULL;
}

static void role_apply(sx_exec *x, sx_plan *p, sx_role *r, const char *role)
{
    if (!r->exists)
        return;
    const exec_slurm_job *j = NULL;
    if (r->id == 0 && p->by_comment) {
        j = listing_find_comment(x, p->id, role);
        if (j)
            r->id = j->id;
    } else if (r->id > 0) {
        j = listing_find(x, r->id);
    }
    if (j) {
        r->listed = true;
        r->forgotten = false;
        r->state = j->state;
        r->exit_code = j->exit_code;
        r->exit_signal = j->exit_signal;
    } else if (r->listed && exec_slurm_state_is_final(r->state)) {
        /* It ended and then aged out of the listing: what was seen stands. */
    } else if (x->listed_mono > r->submitted_mono) {
        r->listed = false;
        r->forgotten = true;
    }
}

/* Brings a plan up to the latest listing (once per listing). */
static void plan_apply(sx_exec *x, sx_plan *p)
{
    if (p->applied_generation == x->generation || x->generation == 0)
        return;
    p->applied_generation = x->generation;
    role_apply(x, p, &p->svc, "service");
    role_apply(x, p, &p->cli, "client");
}

/* ---- what poll reports ------------------------------------------------------------------ */

static void role_view(const sx_role *r, exec_slurm_jobview *v)
{
    v->id = r->id;
    v->exists = r->exists;
    v->listed = r->listed;
    v->forgotten = r->forgotten;
    v->cancelled_by_aifb = r->cancel_sent;
    v->state = r->state;
    v->exit_code = r->exit_code;
    v->exit_signal = r->exit_signal;
}

static void plan_judge(const sx_plan *p, exec_slurm_verdict *v)
{
    exec_slurm_view view = {.endpoint_known = p->endpoint[0] != '\0',
                            .cancel_requested = p->cancel_requested,
                            .endpoint = p->endpoint};
    role_view(&p->svc, &view.service);
    role_view(&p->cli, &view.client);
    exec_slurm_judge(&view, v);
}

/* Asks the lister thread to cancel a role's job (once), with mu held: the request goes out
 * at once but not under the caller's locks. */
static void role_want_cancel(sx_exec *x, sx_role *r)
{
    if (!r->exists || r->id <= 0 || r->cancel_sent || r->cancel_wanted)
        return;
    r->cancel_wanted = true;
    x->cancels_pending = true;
    pthread_cond_signal(&x->wake);
}

/* Cancels a role's job now, with mu held (shutdown, where nothing else is waiting). */
static void role_cancel(sx_exec *x, const sx_plan *p, sx_role *r, const char *role)
{
    if (!r->exists || r->id <= 0 || r->cancel_sent)
        return;
    aifb_err err = {0};
    if (x->be->ops->cancel(x->be, r->id, &err) == AIFB_OK || err.code == AIFB_ENOTFOUND) {
        r->cancel_sent = true;
        log_info("%s: run %s: %s job %" PRId64 " cancelled", x->name, p->id, role, r->id);
    } else {
        log_warn("%s: run %s: cancelling %s job %" PRId64 ": %s (retried)", x->name, p->id, role,
                 r->id, err.msg);
    }
}

/* Reads service.endpoint once per listing while the service job runs without it. */
static void plan_read_endpoint(sx_exec *x, sx_plan *p)
{
    if (p->endpoint_generation == x->generation)
        return;
    p->endpoint_generation = x->generation;
    char path[4200], buf[256];
    size_t n = 0;
    snprintf(path, sizeof path, "%s/service.endpoint", p->dir);
    if (x->be->ops->read_file(x->be, path, 0, buf, sizeof buf - 1, &n, NULL) || n == 0)
        return;
    buf[n] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    if (strchr(buf, ':'))
        snprintf(p->endpoint, sizeof p->endpoint, "%s", buf);
}

static void unreachable_reason(const sx_exec *x, char *out, size_t len)
{
    time_t t = (time_t)(x->down_since_wall / 1000);
    struct tm tm;
    char when[64];
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(out, len, EXEC_SLURM_UNREACHABLE "%.40s: %.400s", when, x->down_why);
}

static void plan_handles(const sx_plan *p, exec_status *st)
{
    abuf b = {0};
    if (p->svc.exists)
        abuf_printf(&b, "service job %" PRId64, p->svc.id);
    if (p->cli.exists)
        abuf_printf(&b, "%sclient job %" PRId64, b.len ? ", " : "", p->cli.id);
    snprintf(st->handles, sizeof st->handles, "%s", b.p ? b.p : "");
    abuf_free(&b);
}

static aifb_code sx_poll(executor *ex, const char *id, exec_status *st, aifb_err *err)
{
    sx_exec *x = ex->impl;
    pthread_mutex_lock(&x->mu);
    sx_plan *p = plan_find(x, id);
    if (!p) {
        pthread_mutex_unlock(&x->mu);
        return aifb_err_set(err, AIFB_ENOTFOUND, "%s: no run %s is tracked", x->name, id);
    }
    plan_apply(x, p);
    exec_slurm_verdict v;
    plan_judge(p, &v);
    if (v.read_endpoint && !x->down_since_wall) {
        plan_read_endpoint(x, p);
        if (p->endpoint[0])
            plan_judge(p, &v);
    }
    /* A run that ended between two listings never showed its service running without an
     * endpoint: read what the service job published once more, so the run keeps its address. */
    bool ended = v.phase == EXEC_SUCCEEDED || v.phase == EXEC_FAILED || v.phase == EXEC_CANCELLED;
    if (ended && !p->endpoint[0] && p->svc.exists && !x->down_since_wall)
        plan_read_endpoint(x, p);
    if (v.cancel_service && !x->down_since_wall)
        role_want_cancel(x, &p->svc);
    if (v.cancel_client && !x->down_since_wall)
        role_want_cancel(x, &p->cli);
    st->phase = v.phase;
    st->exit_code = v.exit_code;
    snprintf(st->reason, sizeof st->reason, "%s", v.reason);
    if (x->down_since_wall && v.phase != EXEC_SUCCEEDED && v.phase != EXEC_FAILED &&
        v.phase != EXEC_CANCELLED)
        unreachable_reason(x, st->reason, sizeof st->reason);
    snprintf(st->endpoint, sizeof st->endpoint, "%s", p->endpoint);
    plan_handles(p, st);
    pthread_mutex_unlock(&x->mu);
    return AIFB_OK;
}

static aifb_code sx_cancel(executor *ex, const char *id, aifb_err *err)
{
    sx_exec *x = ex->impl;
    pthread_mutex_lock(&x->mu);
    sx_plan *p = plan_find(x, id);
    if (!p) {
        pthread_mutex_unlock(&x->mu);
        return aifb_err_set(err, AIFB_ENOTFOUND, "%s: no run %s is tracked", x->name, id);
    }
    p->cancel_requested = true;
    /* While the controller is known to be down, scancel would only wait for it (seconds):
     * the next poll after it answers sends the cancels. */
    if (!x->down_since_wall) {
        role_want_cancel(x, &p->cli);
        role_want_cancel(x, &p->svc);
    }
    pthread_mutex_unlock(&x->mu);
    return AIFB_OK;
}

static void sx_forget(executor *ex, const char *id)
{
    sx_exec *x = ex->impl;
    pthread_mutex_lock(&x->mu);
    plan_remove(x, id);
    pthread_mutex_unlock(&x->mu);
}

/* ---- submission and adoption ------------------------------------------------------------ */

/* Submits one role's job (mu not held). When sbatch's answer was lost (a timeout), one listing
 * tells whether the job exists after all, so it is neither lost nor submitted twice. */
static aifb_code submit_role(sx_exec *x, const exec_plan *plan, const char *role,
                             const char *script, const slurm_opts *o, int64_t *job_id,
                             aifb_err *err)
{
    char name[64], comment[64];
    snprintf(name, sizeof name, "aifb-%s-%s", plan->id, role);
    snprintf(comment, sizeof comment, "aifb:%s:%s", plan->id, role);
    exec_slurm_submission s = {.script = script,
                               .name = name,
                               .comment = comment,
                               .dir = plan->dir,
                               .role = role,
                               .opts = o};
    aifb_code rc = x->be->ops->submit(x->be, &s, job_id, err);
    if (rc != AIFB_ETIMEOUT)
        return rc;
    listing_refresh_unlocked(x);
    pthread_mutex_lock(&x->mu);
    const exec_slurm_job *j = x->down_since_wall ? NULL : listing_find_comment(x, plan->id, role);
    if (j)
        *job_id = j->id;
    pthread_mutex_unlock(&x->mu);
    if (!j) {
        log_warn("%s: run %s: %s job not submitted (%s); if it appears, its comment is %s", x->name,
                 plan->id, role, err->msg, comment);
        return rc;
    }
    return AIFB_OK;
}

/* The two jobs' settings for this plan: the executor's, changed by the per-run hook. */
static void run_opts(const sx_exec *x, const exec_plan *plan, slurm_opts *svc, slurm_opts *cli)
{
    *svc = x->svc_opts;
    *cli = x->cli_opts;
    if (x->run_opts) {
        x->run_opts(x->run_opts_ctx, plan, "service", svc);
        x->run_opts(x->run_opts_ctx, plan, "client", cli);
    }
}

static aifb_code make_scripts(const exec_plan *plan, const slurm_opts *so, const slurm_opts *co,
                              char **svc, char **cli, aifb_err *err)
{
    *svc = *cli = NULL;
    if (plan->has_service && slurm_script_service(plan, so, svc, err))
        return err->code;
    if (plan->has_client && slurm_script_client(plan, co, cli, err)) {
        free(*svc);
        *svc = NULL;
        return err->code;
    }
    return AIFB_OK;
}

/* The folder, then the service job, then the client job, all without mu: submissions of
 * several runs overlap, and polls of other runs go on meanwhile. p is this call's own record
 * (aifbd polls a run only once it is submitted); its job ids are set under mu. */
static aifb_code submit_jobs(sx_exec *x, const exec_plan *plan, const slurm_opts *so,
                             const slurm_opts *co, const char *svc_script, const char *cli_script,
                             sx_plan *p, aifb_err *err)
{
    if (x->be->ops->mkdir_p(x->be, plan->dir, err)) {
        aifb_err_prefix(err, "creating the run folder %s", plan->dir);
        return err->code;
    }
    int64_t id = 0;
    if (svc_script) {
        if (submit_role(x, plan, "service", svc_script, so, &id, err))
            return err->code;
        pthread_mutex_lock(&x->mu);
        p->svc.id = id;
        p->svc.submitted_mono = aifb_mono_ms();
        pthread_mutex_unlock(&x->mu);
    }
    if (cli_script) {
        id = 0;
        aifb_code rc = submit_role(x, plan, "client", cli_script, co, &id, err);
        pthread_mutex_lock(&x->mu);
        if (rc) {
            role_cancel(x, p, &p->svc, "service"); /* the plan goes: cancel now */
        } else {
            p->cli.id = id;
            p->cli.submitted_mono = aifb_mono_ms();
        }
        pthread_mutex_unlock(&x->mu);
        if (rc)
            return rc;
    }
    return AIFB_OK;
}

static aifb_code sx_submit(executor *ex, const exec_plan *plan, aifb_err *err)
{
    sx_exec *x = ex->impl;
    char *svc = NULL, *cli = NULL;
    slurm_opts so, co;
    run_opts(x, plan, &so, &co);
    if (make_scripts(plan, &so, &co, &svc, &cli, err))
        return err->code;
    pthread_mutex_lock(&x->mu);
    sx_plan *p = plan_find(x, plan->id) ? NULL : plan_add(x, plan);
    pthread_mutex_unlock(&x->mu);
    aifb_code rc = AIFB_OK;
    if (!p) {
        rc = aifb_err_set(err, AIFB_EEXIST, "%s: run %s was already submitted", x->name, plan->id);
    } else if ((rc = submit_jobs(x, plan, &so, &co, svc, cli, p, err))) {
        pthread_mutex_lock(&x->mu);
        plan_remove(x, plan->id);
        pthread_mutex_unlock(&x->mu);
    } else {
        log_info("%s: run %s submitted: service job %" PRId64 ", client job %" PRId64, x->name,
                 plan->id, p->svc.id, p->cli.id);
    }
    free(svc);
    free(cli);
    return rc;
}

/* Takes a run back by its jobs' comments. When the controller cannot be asked now, the plan is
 * kept and its jobs are looked up by the first listing that succeeds. */
static aifb_code sx_adopt(executor *ex, const exec_plan *plan, aifb_err *err)
{
    sx_exec *x = ex->impl;
    pthread_mutex_lock(&x->mu);
    aifb_code rc = AIFB_OK;
    if (!plan_find(x, plan->id)) {
        sx_plan *p = plan_add(x, plan);
        p->by_comment = true;
        listing_refresh_now(x);
        plan_apply(x, p);
        if (!x->down_since_wall && p->svc.id == 0 && p->cli.id == 0) {
            rc = aifb_err_set(err, AIFB_ENOTFOUND,
                              "Slurm has no job with the comment aifb:%s:service or "
                              "aifb:%s:client (never submitted, or ended too long ago)",
                              plan->id, plan->id);
            plan_remove(x, plan->id);
        } else {
            log_info("%s: run %s taken back: service job %" PRId64 ", client job %" PRId64, x->name,
                     plan->id, p->svc.id, p->cli.id);
        }
    }
    pthread_mutex_unlock(&x->mu);
    return rc;
}

/* ---- files and places ------------------------------------------------------------------- */

static aifb_code sx_log_path(executor *ex, const char *id, const char *stream, char *out,
                             size_t outlen, aifb_err *err)
{
    sx_exec *x = ex->impl;
    if (snprintf(out, outlen, "%s/runs/%s/%s", x->remote_base, id, stream) >= (int)outlen)
        return aifb_err_set(err, AIFB_ERANGE, "log path of run %s too long", id);
    return AIFB_OK;
}

static aifb_code sx_place(executor *ex, const char *id, const char *local_dir, exec_place *out,
                          aifb_err *err)
{
    sx_exec *x = ex->impl;
    (void)local_dir;
    if (!aifb_id_valid(id, id[0]))
        return aifb_err_set(err, AIFB_EINVAL, "'%.40s' is not a run or service id", id);
    if (snprintf(out->dir, sizeof out->dir, "%s/runs/%s", x->remote_base, id) >=
        (int)sizeof out->dir)
        return aifb_err_set(err, AIFB_ERANGE, "remote run folder too long: %.80s...",
                            x->remote_base);
    snprintf(out->host, sizeof out->host, "%s", SLURM_HOST_TOKEN);
    /* The node is unknown until the job runs, so no port can be checked here: a random one
     * above the well-known and registered services' usual ports and below Linux's ephemeral
     * range (32768-60999), where the node's own outgoing connections take theirs. The service
     * job checks it is free before it starts the service (slurm_script.c). */
    uint32_t r = 0;
    if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
        r = (uint32_t)aifb_mono_ms();
    out->port = 20000 + (int)(r % 12768);
    return AIFB_OK;
}

static aifb_code sx_read_file(executor *ex, const char *dir, const char *name, int64_t offset,
                              char *buf, size_t cap, size_t *n, aifb_err *err)
{
    sx_exec *x = ex->impl;
    *n = 0;
    if (!*name || strchr(name, '/') || name[0] == '.')
        return aifb_err_set(err, AIFB_EINVAL, "'%s' is not a file name of a run", name);
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return x->be->ops->read_file(x->be, path, offset < 0 ? 0 : offset, buf, cap, n, err);
}

/* aifbd's clean stop ends every unfinished run CANCELLED: their jobs must not run on. */
static void sx_shutdown(executor *ex)
{
    sx_exec *x = ex->impl;
    pthread_mutex_lock(&x->mu);
    for (sx_plan *p = x->plans; p; p = p->next) {
        exec_slurm_verdict v;
        plan_judge(p, &v);
        if (v.phase == EXEC_SUCCEEDED || v.phase == EXEC_FAILED || v.phase == EXEC_CANCELLED)
            continue;
        p->cancel_requested = true;
        role_cancel(x, p, &p->cli, "client");
        role_cancel(x, p, &p->svc, "service");
    }
    pthread_mutex_unlock(&x->mu);
}

static void sx_free(executor *ex);

bool sx_is_slurm(const executor *ex)
{
    return ex && ex->ops && ex->ops->free == sx_free;
}

static void sx_free(executor *ex)
{
    if (!ex)
        return;
    sx_exec *x = ex->impl;
    pthread_mutex_lock(&x->mu);
    x->stop = true;
    pthread_cond_signal(&x->wake);
    pthread_mutex_unlock(&x->mu);
    if (x->lister_started)
        pthread_join(x->lister, NULL);
    while (x->plans)
        plan_remove(x, x->plans->id);
    free(x->jobs);
    exec_slurm_cluster_free(&x->cluster);
    x->be->ops->free(x->be);
    sx_opts_free(&x->svc_opts);
    sx_opts_free(&x->cli_opts);
    free(x->name);
    free(x->remote_base);
    pthread_cond_destroy(&x->wake);
    pthread_mutex_destroy(&x->mu);
    free(x);
    free(ex);
}

static const executor_ops sx_ops = {
    .name = "slurm",
    .submit = sx_submit,
    .adopt = sx_adopt,
    .poll = sx_poll,
    .cancel = sx_cancel,
    .forget = sx_forget,
    .log_path = sx_log_path,
    .place = sx_place,
    .read_file = sx_read_file,
    .shutdown = sx_shutdown,
    .free = sx_free,
};

aifb_code exec_slurm_new(const exec_slurm_config *cfg, exec_slurm_backend *backend, executor **out,
                         aifb_err *err)
{
    if (!cfg->remote_base || cfg->remote_base[0] != '/') {
        backend->ops->free(backend);
        return aifb_err_set(err, AIFB_EINVAL,
                            "slurm.remote_base (REMOTE_BASE_PATH) '%s' must be an absolute path",
                            cfg->remote_base ? cfg->remote_base : "");
    }
    sx_exec *x = xcalloc(1, sizeof *x);
    pthread_mutex_init(&x->mu, NULL);
    x->be = backend;
    x->name = xstrdup(cfg->name ? cfg->name : "slurm");
    x->remote_base = xstrdup(cfg->remote_base);
    x->refresh_ms = cfg->refresh_ms > 0 ? cfg->refresh_ms : 1000;
    sx_opts_copy(&x->svc_opts, &cfg->service, cfg->remote_base);
    sx_opts_copy(&x->cli_opts, &cfg->client, cfg->remote_base);
    x->run_opts = cfg->run_opts;
    x->run_opts_ctx = cfg->run_opts_ctx;
    x->ops = sx_ops;
    x->ops.name = x->name;
    pthread_cond_init(&x->wake, NULL);
    executor *ex = xcalloc(1, sizeof *ex);
    ex->ops = &x->ops;
    ex->impl = x;
    int e = pthread_create(&x->lister, NULL, lister_main, x);
    if (e) {
        sx_free(ex);
        return aifb_err_set(err, AIFB_EINTERNAL, "cannot start the job lister thread: error %d", e);
    }
    x->lister_started = true;
    *out = ex;
    return AIFB_OK;
}
