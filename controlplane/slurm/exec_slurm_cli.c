/* exec_slurm_cli.c: the login-node backend of the Slurm executor ("slurm-ssh", mode cli).
 *
 * Everything goes through one slurm_ssh session: sbatch --parsable with the script on stdin
 * (the #SBATCH lines carry the job's settings), one squeue of the user's jobs per listing
 * (filtered to ours by the comment prefix "aifb:"), scancel, mkdir -p, and the run folder's
 * files read with a fixed remote shell snippet whose values arrive as positional arguments, so
 * no path or number is ever parsed by the remote shell as code. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slurm/exec_slurm.h"
#include "slurm/exec_slurm_internal.h"

/* Exit status of the read snippet when the file does not exist. */
#define CLI_NO_FILE 44

typedef struct cli_backend {
    slurm_ssh *ssh;
    char *user;
    char login[300]; /* user@host:port, for GetInfo */
} cli_backend;

static aifb_code cli_submit(exec_slurm_backend *b, const exec_slurm_submission *s, int64_t *job_id,
                            aifb_err *err)
{
    cli_backend *c = b->impl;
    return slurm_ssh_sbatch(c->ssh, s->script, NULL, job_id, err);
}

static aifb_code cli_list_jobs(exec_slurm_backend *b, exec_slurm_job **jobs, size_t *n,
                               aifb_err *err)
{
    cli_backend *c = b->impl;
    slurm_ssh_job *all = NULL;
    size_t nall = 0;
    *jobs = NULL;
    *n = 0;
    if (slurm_ssh_squeue(c->ssh, c->user, &all, &nall, err))
        return err->code;
    exec_slurm_job *ours = nall ? xcalloc(nall, sizeof *ours) : NULL;
    size_t k = 0;
    for (size_t i = 0; i < nall; i++) {
        if (strncmp(all[i].comment, "aifb:", 5))
            continue;
        exec_slurm_job *j = &ours[k++];
        j->id = all[i].job_id;
        j->state = exec_slurm_state_from_name(all[i].state);
        j->exit_code = all[i].exit_code;
        j->exit_signal = all[i].exit_signal;
        snprintf(j->comment, sizeof j->comment, "%s", all[i].comment);
    }
    slurm_ssh_jobs_free(all, nall);
    if (k == 0) {
        free(ours);
        ours = NULL;
    }
    *jobs = ours;
    *n = k;
    return AIFB_OK;
}

static aifb_code cli_cancel(exec_slurm_backend *b, int64_t job_id, aifb_err *err)
{
    cli_backend *c = b->impl;
    aifb_code rc = slurm_ssh_scancel(c->ssh, job_id, err);
    return rc == AIFB_ENOTFOUND ? AIFB_OK : rc;
}

aifb_code sx_ssh_mkdir_p(slurm_ssh *ssh, const char *path, aifb_err *err)
{
    const char *argv[] = {"mkdir", "-p", "--", path, NULL};
    slurm_ssh_result r;
    aifb_code rc = slurm_ssh_run(ssh, argv, NULL, 0, &r, err);
    if (rc == AIFB_OK && r.exit_status != 0)
        rc = aifb_err_set(err, AIFB_EINTERNAL,
                          "mkdir -p %s on the login node exited with status %d: %.300s", path,
                          r.exit_status, r.err);
    slurm_ssh_result_free(&r);
    return rc;
}

aifb_code sx_ssh_read_file(slurm_ssh *ssh, const char *path, int64_t offset, char *buf, size_t cap,
                           size_t *n, aifb_err *err)
{
    *n = 0;
    char from[32], count[32], missing[8];
    snprintf(from, sizeof from, "%" PRId64, offset + 1); /* tail counts from 1 */
    snprintf(count, sizeof count, "%zu", cap);
    snprintf(missing, sizeof missing, "%d", CLI_NO_FILE);
    const char *argv[] = {
        "sh",
        "-c",
        "[ -f \"$1\" ] || exit \"$4\"; tail -c \"+$2\" -- \"$1\" | head -c \"$3\"",
        "aifb-read",
        path,
        from,
        count,
        missing,
        NULL};
    slurm_ssh_result r;
    aifb_code rc = slurm_ssh_run(ssh, argv, NULL, 0, &r, err);
    if (rc == AIFB_OK && r.exit_status == CLI_NO_FILE)
        rc = aifb_err_set(err, AIFB_ENOTFOUND, "no file %s on the login node", path);
    else if (rc == AIFB_OK && r.exit_status != 0)
        rc = aifb_err_set(err, AIFB_EINTERNAL,
                          "reading %s on the login node: exit status %d: %.200s", path,
                          r.exit_status, r.err);
    if (rc == AIFB_OK) {
        *n = r.out_len < cap ? r.out_len : cap;
        memcpy(buf, r.out, *n);
    }
    slurm_ssh_result_free(&r);
    return rc;
}

static aifb_code cli_mkdir_p(exec_slurm_backend *b, const char *path, aifb_err *err)
{
    cli_backend *c = b->impl;
    return sx_ssh_mkdir_p(c->ssh, path, err);
}

static aifb_code cli_read_file(exec_slurm_backend *b, const char *path, int64_t offset, char *buf,
                               size_t cap, size_t *n, aifb_err *err)
{
    cli_backend *c = b->impl;
    return sx_ssh_read_file(c->ssh, path, offset, buf, cap, n, err);
}

static void cli_free(exec_slurm_backend *b)
{
    if (!b)
        return;
    cli_backend *c = b->impl;
    slurm_ssh_free(c->ssh);
    free(c->user);
    free(c);
    free(b);
}

static aifb_code cli_cluster(exec_slurm_backend *b, exec_slurm_cluster *out, aifb_err *err)
{
    cli_backend *c = b->impl;
    snprintf(out->controller, sizeof out->controller, "login node %s (sinfo)", c->login);
    return slurm_ssh_sinfo(c->ssh, &out->nodes, &out->nnodes, &out->partitions, &out->npartitions,
                           out->release, sizeof out->release, err);
}

static const exec_slurm_backend_ops cli_ops = {
    .name = "cli",
    .submit = cli_submit,
    .list_jobs = cli_list_jobs,
    .cancel = cli_cancel,
    .mkdir_p = cli_mkdir_p,
    .read_file = cli_read_file,
    .cluster = cli_cluster,
    .free = cli_free,
};

aifb_code exec_slurm_cli_new(const slurm_ssh_config *ssh, exec_slurm_backend **out, aifb_err *err)
{
    slurm_ssh *s = NULL;
    if (slurm_ssh_new(ssh, &s, err))
        return err->code;
    cli_backend *c = xcalloc(1, sizeof *c);
    c->ssh = s;
    c->user = xstrdup(ssh->user);
    snprintf(c->login, sizeof c->login, "%s@%s:%d", ssh->user, ssh->host,
             ssh->port ? ssh->port : 22);
    exec_slurm_backend *b = xcalloc(1, sizeof *b);
    b->ops = &cli_ops;
    b->impl = c;
    *out = b;
    return AIFB_OK;
}
