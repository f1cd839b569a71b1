/* exec_slurm_cluster.c: the cluster as GetInfo shows it (exec_slurm_cluster_get).
 *
 * The backend is asked without the executor's mutex (it is thread-safe), at most once per
 * EXEC_SLURM_CLUSTER_TTL_MS, and never while the job listing says the controller is
 * unreachable, so GetInfo answers at once whatever the cluster does; the answer is kept and a
 * copy handed out in between. A failure keeps the last answer and says why in error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "slurm/exec_slurm_internal.h"

void exec_slurm_cluster_free(exec_slurm_cluster *c)
{
    if (!c)
        return;
    free(c->nodes);
    free(c->partitions);
    c->nodes = NULL;
    c->partitions = NULL;
    c->nnodes = c->npartitions = 0;
}

static void cluster_copy(exec_slurm_cluster *dst, const exec_slurm_cluster *src)
{
    *dst = *src;
    dst->nodes = src->nnodes ? xmalloc(src->nnodes * sizeof *src->nodes) : NULL;
    if (src->nnodes)
        memcpy(dst->nodes, src->nodes, src->nnodes * sizeof *src->nodes);
    dst->partitions = src->npartitions ? xmalloc(src->npartitions * sizeof *src->partitions) : NULL;
    if (src->npartitions)
        memcpy(dst->partitions, src->partitions, src->npartitions * sizeof *src->partitions);
}

aifb_code exec_slurm_cluster_get(executor *ex, exec_slurm_cluster *out, aifb_err *err)
{
    memset(out, 0, sizeof *out);
    if (!sx_is_slurm(ex))
        return aifb_err_set(err, AIFB_EUNIMPLEMENTED, "the %s executor has no cluster",
                            ex && ex->ops ? ex->ops->name : "?");
    sx_exec *x = ex->impl;
    pthread_mutex_lock(&x->mu);
    int64_t now = aifb_mono_ms();
    bool fresh = x->cluster_mono && now - x->cluster_mono < EXEC_SLURM_CLUSTER_TTL_MS;
    bool down = x->down_since_wall != 0;
    if (!fresh && !down)
        x->cluster_mono = now; /* one caller asks; the others get the last answer meanwhile */
    char down_why[sizeof x->down_why];
    snprintf(down_why, sizeof down_why, "%s", x->down_why);
    pthread_mutex_unlock(&x->mu);

    if (!fresh && !down) {
        exec_slurm_cluster got = {0};
        aifb_err berr = {0};
        aifb_code rc = x->be->ops->cluster(x->be, &got, &berr);
        pthread_mutex_lock(&x->mu);
        if (rc == AIFB_OK) {
            exec_slurm_cluster_free(&x->cluster);
            x->cluster = got;
            x->cluster.error[0] = '\0';
            x->cluster.fetched_at_ms = aifb_now_ms();
        } else {
            exec_slurm_cluster_free(&got);
            if (!x->cluster.controller[0])
                snprintf(x->cluster.controller, sizeof x->cluster.controller, "%s", got.controller);
            snprintf(x->cluster.error, sizeof x->cluster.error, "%s", berr.msg);
        }
        pthread_mutex_unlock(&x->mu);
    }
    pthread_mutex_lock(&x->mu);
    cluster_copy(out, &x->cluster);
    if (down)
        snprintf(out->error, sizeof out->error, "the controller is unreachable: %.900s", down_why);
    pthread_mutex_unlock(&x->mu);
    return AIFB_OK;
}
