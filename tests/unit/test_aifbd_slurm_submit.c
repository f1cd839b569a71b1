/* test_aifbd_slurm_submit.c: what the Slurm executor made by aifbd submits for a run of a GPU
 * recipe. A backend that only records submissions stands in for the cluster: the service job of
 * a vllm run goes out with the recipe's image and GPU count both in its script and in the
 * settings beside it (what slurm-rest sends as values), to the partition the recipe names unless
 * aifbd's slurm_service section names one; the client job keeps aifbd's own settings. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aifbd/daemon.h"
#include "test_aifbd_support.h"
#include "aifbd/executors.h"
#include "common/util.h"
#include "slurm/exec_slurm.h"

#define RUN_ID "r-0123456789ab"

/* One submission as the backend received it (copies: the executor's memory is gone after). */
typedef struct seen {
    char role[16];
    char *script;
    char partition[64], image[256];
    int gpus;
} seen;

static pthread_mutex_t seen_mu = PTHREAD_MUTEX_INITIALIZER;
static seen seen_jobs[4];
static size_t nseen;

static aifb_code rec_submit(exec_slurm_backend *b, const exec_slurm_submission *s, int64_t *id,
                            aifb_err *err)
{
    (void)b;
    (void)err;
    pthread_mutex_lock(&seen_mu);
    seen *j = &seen_jobs[nseen++];
    snprintf(j->role, sizeof j->role, "%s", s->role);
    j->script = xstrdup(s->script);
    snprintf(j->partition, sizeof j->partition, "%s", s->opts->partition ? s->opts->partition : "");
    snprintf(j->image, sizeof j->image, "%s", s->opts->image ? s->opts->image : "");
    j->gpus = s->opts->gpus;
    *id = (int64_t)(100 + nseen);
    pthread_mutex_unlock(&seen_mu);
    return AIFB_OK;
}

static aifb_code rec_list(exec_slurm_backend *b, exec_slurm_job **jobs, size_t *n, aifb_err *err)
{
    (void)b;
    (void)err;
    *jobs = NULL;
    *n = 0;
    return AIFB_OK;
}

static aifb_code rec_cancel(exec_slurm_backend *b, int64_t id, aifb_err *err)
{
    (void)b;
    (void)id;
    (void)err;
    return AIFB_OK;
}

static aifb_code rec_mkdir(exec_slurm_backend *b, const char *path, aifb_err *err)
{
    (void)b;
    (void)path;
    (void)err;
    return AIFB_OK;
}

static aifb_code rec_read(exec_slurm_backend *b, const char *path, int64_t off, char *buf,
                          size_t cap, size_t *n, aifb_err *err)
{
    (void)b;
    (void)off;
    (void)buf;
    (void)cap;
    *n = 0;
    return aifb_err_set(err, AIFB_ENOTFOUND, "%s: no such file", path);
}

static aifb_code rec_cluster(exec_slurm_backend *b, exec_slurm_cluster *out, aifb_err *err)
{
    (void)b;
    (void)out;
    return aifb_err_set(err, AIFB_EUNIMPLEMENTED, "no cluster");
}

static void rec_free(exec_slurm_backend *b)
{
    free(b);
}

static const exec_slurm_backend_ops rec_ops = {.name = "recorder",
                                               .submit = rec_submit,
                                               .list_jobs = rec_list,
                                               .cancel = rec_cancel,
                                               .mkdir_p = rec_mkdir,
                                               .read_file = rec_read,
                                               .cluster = rec_cluster,
                                               .free = rec_free};

static aifbd_slurm_config site(void)
{
    aifbd_slurm_config sc = t_unset_slurm_config();
    sc.job.partition = "cpu";
    sc.service.gpus = 1;
    sc.remote_base = "/project/aifb";
    return sc;
}

/* Submits a vllm run with tensor_parallel_size 2 through an executor configured as aifbd
 * configures it (the per-run hook included). */
static void submit_vllm(aifbd_slurm_config *sc)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/recipes/vllm.yaml", AIFB_SOURCE_DIR);
    recipe *r = NULL;
    aifb_err err = {0};
    cr_assert_eq(recipe_load_file(path, &r, &err), AIFB_OK, "%s", err.msg);
    kv given[] = {{"tensor_parallel_size", "2"}};
    kv *params = NULL;
    size_t n = 0;
    cr_assert_eq(recipe_resolve_params(r, given, 1, &params, &n, &err), AIFB_OK, "%s", err.msg);
    plan_input in = {.r = r,
                     .params = params,
                     .nparams = n,
                     .id = RUN_ID,
                     .dir = "/project/aifb/runs/" RUN_ID,
                     .host = SLURM_HOST_TOKEN,
                     .port = 24567,
                     .with_service = true,
                     .with_client = true};
    exec_plan *p = NULL;
    cr_assert_eq(plan_build(&in, &p, &err), AIFB_OK, "%s", err.msg);

    exec_slurm_backend *be = xcalloc(1, sizeof *be);
    be->ops = &rec_ops;
    exec_slurm_config xc = {.name = "slurm-test",
                            .remote_base = sc->remote_base,
                            .run_opts = aifbd_slurm_run_opts,
                            .run_opts_ctx = sc};
    aifbd_slurm_job_base(sc, true, NULL, &xc.service);
    aifbd_slurm_job_base(sc, false, NULL, &xc.client);
    executor *ex = NULL;
    cr_assert_eq(exec_slurm_new(&xc, be, &ex, &err), AIFB_OK, "%s", err.msg);
    cr_assert_eq(ex->ops->submit(ex, p, &err), AIFB_OK, "%s", err.msg);
    ex->ops->free(ex);
    plan_free(p);
    kv_array_free(params, n);
    recipe_free(r);
    cr_assert_eq(nseen, 2);
}

static void forget_seen(void)
{
    for (size_t i = 0; i < nseen; i++)
        free(seen_jobs[i].script);
    nseen = 0;
}

Test(slurm_submit, the_vllm_service_job_goes_out_with_the_recipes_image_gpus_and_partition)
{
    aifbd_slurm_config sc = site();
    submit_vllm(&sc);
    seen *svc = &seen_jobs[0], *cli = &seen_jobs[1];
    cr_assert_str_eq(svc->role, "service");
    cr_assert_str_eq(svc->image, "docker://vllm/vllm-openai:v0.6.3");
    cr_assert_eq(svc->gpus, 2);
    cr_assert_str_eq(svc->partition, "gpu");
    cr_assert(strstr(svc->script, "\n#SBATCH --gpus=2\n"), "%s", svc->script);
    cr_assert(strstr(svc->script, "apptainer exec --nv 'docker://vllm/vllm-openai:v0.6.3' 'vllm'"),
              "%s", svc->script);
    cr_assert_str_eq(cli->role, "client");
    cr_assert_str_eq(cli->image, "");
    cr_assert_eq(cli->gpus, 0);
    cr_assert_str_eq(cli->partition, "cpu");
    forget_seen();
}

Test(slurm_submit, the_sites_slurm_service_partition_wins_over_the_recipes)
{
    aifbd_slurm_config sc = site();
    sc.service.partition = "gpu-a100";
    submit_vllm(&sc);
    cr_assert_str_eq(seen_jobs[0].partition, "gpu-a100");
    cr_assert(strstr(seen_jobs[0].script, "\n#SBATCH --partition=gpu-a100\n"));
    cr_assert_eq(seen_jobs[0].gpus, 2);
    forget_seen();
}
