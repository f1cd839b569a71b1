/* exec_slurm_rest.c: the slurmrestd backend of the Slurm executor ("slurm-rest").
 *
 * Jobs go through one slurm_rest client (slurm_rest.h), on a unix socket or TCP with a JWT:
 *
 *   submit     POST job/submit. slurmrestd does not read the script's #SBATCH lines, so the
 *              same settings travel beside the script as a slurm_job_spec (name, comment,
 *              account, partition, qos, time, counts, memory, gpus, the run folder as working
 *              directory, literal output paths and an environment taken from aifbd's own).
 *   list_jobs  one GET jobs?update_time=T, kept to the jobs whose comment starts with "aifb:".
 *              T is the start of the previous listing less REST_SINCE_MARGIN_S (room for
 *              the clocks of aifbd and slurmctld to differ); when slurmctld says nothing
 *              changed since, the reply is empty and the previous listing stands, so an idle
 *              cluster with a thousand tracked jobs answers a few bytes a second. Every
 *              REST_FULL_EVERY_S a full listing is taken anyway, whatever the clocks say.
 *   cancel     DELETE job/{id}; a job Slurm no longer knows, or that has already ended,
 *              counts as cancelled.
 *   files      the run folder is created and read on this machine: a REST-only site must
 *              share the filesystem of REMOTE_BASE_PATH between aifbd and the nodes.
 *
 * Errors keep the codes slurm_rest gives them (AIFB_EUNAVAILABLE while slurmrestd or slurmctld
 * is away, AIFB_EINVAL with Slurm's message for a refused job), except that a submission whose
 * answer was lost is looked up by its comment first, so a job is never submitted twice. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "slurm/exec_slurm.h"
#include "slurm/slurm_rest.h"

/* The variables of aifbd's environment a job gets (sbatch would pass them all; a REST job
 * gets only what the request carries, and Slurm refuses a job with none). */
static const char *const REST_ENV_NAMES[] = {"PATH", "HOME",   "USER", "LOGNAME",
                                             "LANG", "LC_ALL", "TZ",   "TMPDIR"};
#define REST_DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"
#define REST_NENV_MAX     (sizeof REST_ENV_NAMES / sizeof REST_ENV_NAMES[0])

#define REST_SINCE_MARGIN_S 10
#define REST_FULL_EVERY_S   60

typedef struct rest_backend {
    slurm_rest *rest;
    kv env[REST_NENV_MAX];
    size_t nenv;
    /* The previous listing, for GET jobs?update_time= (guarded by list_mu). */
    pthread_mutex_t list_mu;
    exec_slurm_job *last;
    size_t nlast;
    bool have_last;
    int64_t last_asked_s, last_full_s; /* wall clock */
} rest_backend;

/* ---- submit ----------------------------------------------------------------------------- */

static void rest_spec_from(const exec_slurm_submission *s, const rest_backend *rb,
                           const char *out_path, const char *err_path, slurm_job_spec *spec)
{
    const slurm_opts *o = s->opts;
    memset(spec, 0, sizeof *spec);
    spec->name = s->name;
    spec->comment = s->comment;
    spec->account = o->account;
    spec->partition = o->partition;
    spec->qos = o->qos;
    spec->time_limit_min = o->time_limit_min;
    spec->nodes = o->nodes;
    spec->tasks = o->tasks;
    spec->cpus_per_task = o->cpus_per_task;
    spec->memory_mb = o->memory_mb;
    spec->gpus = o->gpus;
    spec->cwd = s->dir;
    spec->stdout_path = out_path;
    spec->stderr_path = err_path;
    spec->env = rb->env;
    spec->nenv = rb->nenv;
    spec->script = s->script;
}

/* The newest job whose comment is exactly comment, from one listing; AIFB_ENOTFOUND if none. */
static aifb_code rest_find_by_comment(rest_backend *rb, const char *comment, int64_t *job_id,
                                      aifb_err *err)
{
    slurm_job_info *all = NULL;
    size_t n = 0;
    bool changed = false;
    if (slurm_rest_jobs(rb->rest, 0, &all, &n, &changed, err))
        return err->code;
    int64_t found = 0;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(all[i].comment, comment) && (int64_t)all[i].job_id > found)
            found = all[i].job_id;
    free(all);
    if (!found)
        return aifb_err_set(err, AIFB_ENOTFOUND, "no job with comment %s", comment);
    *job_id = found;
    return AIFB_OK;
}

static aifb_code rest_submit(exec_slurm_backend *b, const exec_slurm_submission *s, int64_t *job_id,
                             aifb_err *err)
{
    rest_backend *rb = b->impl;
    char out_path[4200], err_path[4200];
    snprintf(out_path, sizeof out_path, "%s/%s.out", s->dir, s->role);
    snprintf(err_path, sizeof err_path, "%s/%s.err", s->dir, s->role);
    slurm_job_spec spec;
    rest_spec_from(s, rb, out_path, err_path, &spec);
    uint32_t id = 0;
    aifb_code rc = slurm_rest_submit(rb->rest, &spec, &id, err);
    if (rc == AIFB_OK) {
        *job_id = id;
        return AIFB_OK;
    }
    if (rc != AIFB_EUNAVAILABLE)
        return rc;
    /* The request may have reached slurmctld before the answer was lost: one listing tells. */
    aifb_err lookup = {0};
    if (rest_find_by_comment(rb, s->comment, job_id, &lookup) == AIFB_OK)
        return AIFB_OK;
    return rc;
}

/* ---- list and cancel -------------------------------------------------------------------- */

static void rest_job_from(const slurm_job_info *in, exec_slurm_job *j)
{
    j->id = in->job_id;
    j->state = in->state;
    j->exit_code = in->has_exit && in->exit_status > 0 ? in->exit_status : 0;
    j->exit_signal = in->has_exit && in->exit_signal > 0 ? in->exit_signal : 0;
    snprintf(j->comment, sizeof j->comment, "%.*s", (int)sizeof j->comment - 1, in->comment);
}

static exec_slurm_job *rest_jobs_copy(const exec_slurm_job *jobs, size_t n)
{
    if (n == 0)
        return NULL;
    exec_slurm_job *c = xmalloc(n * sizeof *c);
    memcpy(c, jobs, n * sizeof *c);
    return c;
}

static aifb_code rest_list_jobs(exec_slurm_backend *b, exec_slurm_job **jobs, size_t *n,
                                aifb_err *err)
{
    rest_backend *rb = b->impl;
    slurm_job_info *all = NULL;
    size_t nall = 0;
    bool changed = false;
    *jobs = NULL;
    *n = 0;
    pthread_mutex_lock(&rb->list_mu);
    int64_t now = (int64_t)time(NULL);
    int64_t since = rb->have_last && now - rb->last_full_s < REST_FULL_EVERY_S
                        ? rb->last_asked_s - REST_SINCE_MARGIN_S
                        : 0;
    if (slurm_rest_jobs(rb->rest, since > 0 ? since : 0, &all, &nall, &changed, err)) {
        pthread_mutex_unlock(&rb->list_mu);
        return err->code;
    }
    if (since > 0 && !changed) {
        *jobs = rest_jobs_copy(rb->last, rb->nlast);
        *n = rb->nlast;
    } else {
        exec_slurm_job *ours = nall ? xcalloc(nall, sizeof *ours) : NULL;
        size_t k = 0;
        for (size_t i = 0; i < nall; i++)
            if (!strncmp(all[i].comment, "aifb:", 5))
                rest_job_from(&all[i], &ours[k++]);
        free(rb->last);
        rb->last = rest_jobs_copy(ours, k);
        rb->nlast = k;
        rb->have_last = true;
        if (since <= 0)
            rb->last_full_s = now;
        *jobs = k ? ours : NULL;
        if (!k)
            free(ours);
        *n = k;
    }
    rb->last_asked_s = now;
    pthread_mutex_unlock(&rb->list_mu);
    free(all);
    return AIFB_OK;
}

static aifb_code rest_cancel(exec_slurm_backend *b, int64_t job_id, aifb_err *err)
{
    rest_backend *rb = b->impl;
    if (job_id <= 0 || job_id > UINT32_MAX)
        return aifb_err_set(err, AIFB_EINVAL, "Slurm job id %" PRId64 " is out of range", job_id);
    aifb_code rc = slurm_rest_cancel(rb->rest, (uint32_t)job_id, 0, err);
    if (rc == AIFB_ENOTFOUND)
        return AIFB_OK;
    /* Slurm's "Job/step already completing or completed" (error 2021): nothing left to stop. */
    if (rc == AIFB_EABORTED &&
        (strstr(err->msg, "(error 2021)") || strstr(err->msg, "already completing or completed")))
        return AIFB_OK;
    return rc;
}

/* ---- the run folder, on this machine ---------------------------------------------------- */

static aifb_code rest_mkdir_p(exec_slurm_backend *b, const char *path, aifb_err *err)
{
    (void)b;
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return aifb_err_set(err, AIFB_EINVAL, "folder path too long: %.200s...", path);
    for (char *p = buf + 1;; p++) {
        bool end = *p == '\0';
        if (*p != '/' && !end)
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) && errno != EEXIST)
            return aifb_err_set(err, AIFB_EINTERNAL, "creating folder %s: %s", buf,
                                strerror(errno));
        if (end)
            break;
        *p = '/';
    }
    struct stat st;
    if (stat(path, &st) || !S_ISDIR(st.st_mode))
        return aifb_err_set(err, AIFB_EINTERNAL, "%s exists and is not a folder", path);
    return AIFB_OK;
}

static aifb_code rest_read_file(exec_slurm_backend *b, const char *path, int64_t offset, char *buf,
                                size_t cap, size_t *n, aifb_err *err)
{
    (void)b;
    *n = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return aifb_err_set(err, errno == ENOENT ? AIFB_ENOTFOUND : AIFB_EINTERNAL,
                            "opening %s: %s", path, strerror(errno));
    while (*n < cap) {
        ssize_t got = pread(fd, buf + *n, cap - *n, (off_t)(offset + (int64_t)*n));
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            int e = errno;
            close(fd);
            return aifb_err_set(err, AIFB_EINTERNAL, "reading %s: %s", path, strerror(e));
        }
        if (got == 0)
            break;
        *n += (size_t)got;
    }
    close(fd);
    return AIFB_OK;
}

/* ---- the cluster for GetInfo ------------------------------------------------------------ */

static aifb_code rest_cluster(exec_slurm_backend *b, exec_slurm_cluster *out, aifb_err *err)
{
    rest_backend *rb = b->impl;
    snprintf(out->controller, sizeof out->controller, "slurmrestd at %s", slurm_rest_url(rb->rest));
    const slurm_api *api = NULL;
    if (slurm_rest_api(rb->rest, &api, err))
        return err->code;
    snprintf(out->api_version, sizeof out->api_version, "%s", api->version);
    if (slurm_rest_ping(rb->rest, out->release, sizeof out->release, err) ||
        slurm_rest_nodes(rb->rest, &out->nodes, &out->nnodes, err) ||
        slurm_rest_partitions(rb->rest, &out->partitions, &out->npartitions, err))
        return err->code;
    return AIFB_OK;
}

/* ---- making and freeing ----------------------------------------------------------------- */

static void rest_env_free(rest_backend *rb)
{
    for (size_t i = 0; i < rb->nenv; i++) {
        free(rb->env[i].name);
        free(rb->env[i].value);
    }
    rb->nenv = 0;
}

/* The listed variables of aifbd's environment; PATH always (Slurm refuses a job without any). */
static void rest_env_capture(rest_backend *rb)
{
    for (size_t i = 0; i < REST_NENV_MAX; i++) {
        const char *v = getenv(REST_ENV_NAMES[i]);
        if (!strcmp(REST_ENV_NAMES[i], "PATH") && (!v || !*v))
            v = REST_DEFAULT_PATH;
        if (!v)
            continue;
        rb->env[rb->nenv].name = xstrdup(REST_ENV_NAMES[i]);
        rb->env[rb->nenv].value = xstrdup(v);
        rb->nenv++;
    }
}

static void rest_free(exec_slurm_backend *b)
{
    if (!b)
        return;
    rest_backend *rb = b->impl;
    slurm_rest_free(rb->rest);
    rest_env_free(rb);
    free(rb->last);
    pthread_mutex_destroy(&rb->list_mu);
    free(rb);
    free(b);
}

static const exec_slurm_backend_ops rest_ops = {
    .name = "rest",
    .submit = rest_submit,
    .list_jobs = rest_list_jobs,
    .cancel = rest_cancel,
    .mkdir_p = rest_mkdir_p,
    .read_file = rest_read_file,
    .cluster = rest_cluster,
    .free = rest_free,
};

aifb_code exec_slurm_rest_new(const slurm_rest_config *rest, exec_slurm_backend **out,
                              aifb_err *err)
{
    slurm_rest *r = NULL;
    if (slurm_rest_new(rest, &r, err))
        return err->code;
    rest_backend *rb = xcalloc(1, sizeof *rb);
    rb->rest = r;
    pthread_mutex_init(&rb->list_mu, NULL);
    rest_env_capture(rb);
    exec_slurm_backend *b = xcalloc(1, sizeof *b);
    b->ops = &rest_ops;
    b->impl = rb;
    *out = b;
    return AIFB_OK;
}
