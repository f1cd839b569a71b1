/* api_info.c: GetInfo (with the Slurm cluster's nodes and partitions behind a Slurm executor),
 * ListRecipes, GetRecipe. */
#include <stdio.h>
#include <string.h>

#include "aifbd/api.h"
#include "aifbd/convert.h"
#include "common/util.h"
#include "slurm/exec_slurm.h"

static Aifb__V1__SlurmNode *node_message(const slurm_node_info *n)
{
    Aifb__V1__SlurmNode *m = xmalloc(sizeof *m);
    aifb__v1__slurm_node__init(m);
    m->name = xstrdup(n->name);
    m->state = xstrdup(n->state);
    m->cpus = n->cpus;
    m->memory_mb = n->memory_mb;
    m->gres = xstrdup(n->gres);
    size_t k = n->partitions[0] ? 1 : 0;
    for (const char *p = n->partitions; *p; p++)
        k += *p == ',';
    m->partitions = k ? xcalloc(k, sizeof *m->partitions) : NULL;
    for (const char *p = n->partitions; m->n_partitions < k;) {
        size_t len = strcspn(p, ",");
        char *name = xmalloc(len + 1);
        memcpy(name, p, len);
        name[len] = '\0';
        m->partitions[m->n_partitions++] = name;
        p += len + (p[len] == ',');
    }
    return m;
}

static Aifb__V1__SlurmPartition *partition_message(const slurm_partition_info *p)
{
    Aifb__V1__SlurmPartition *m = xmalloc(sizeof *m);
    aifb__v1__slurm_partition__init(m);
    m->name = xstrdup(p->name);
    m->state = xstrdup(p->state);
    m->nodes = xstrdup(p->nodes);
    m->total_nodes = p->total_nodes;
    m->total_cpus = p->total_cpus;
    m->is_default = p->is_default;
    m->default_known = p->default_known;
    return m;
}

/* The cluster behind a Slurm executor; NULL for the local one. */
static Aifb__V1__SlurmCluster *cluster_message(executor *ex)
{
    exec_slurm_cluster c;
    aifb_err err = {0};
    if (exec_slurm_cluster_get(ex, &c, &err))
        return NULL;
    Aifb__V1__SlurmCluster *m = xmalloc(sizeof *m);
    aifb__v1__slurm_cluster__init(m);
    m->controller = xstrdup(c.controller);
    m->release = xstrdup(c.release);
    m->api_version = xstrdup(c.api_version);
    m->error = xstrdup(c.error);
    m->fetched_at_ms = c.fetched_at_ms;
    m->nodes = c.nnodes ? xcalloc(c.nnodes, sizeof *m->nodes) : NULL;
    for (; m->n_nodes < c.nnodes; m->n_nodes++)
        m->nodes[m->n_nodes] = node_message(&c.nodes[m->n_nodes]);
    m->partitions = c.npartitions ? xcalloc(c.npartitions, sizeof *m->partitions) : NULL;
    for (; m->n_partitions < c.npartitions; m->n_partitions++)
        m->partitions[m->n_partitions] = partition_message(&c.partitions[m->n_partitions]);
    exec_slurm_cluster_free(&c);
    return m;
}

API_HANDLER(api_get_info)
{
    (void)req;
    (void)err;
    aifbd *d = api_daemon(ctx);
    Aifb__V1__Info *m = xmalloc(sizeof *m);
    aifb__v1__info__init(m);
    m->version = xstrdup(AIFB_VERSION);
    m->executor = xstrdup(d->exec->ops->name);
    m->uptime_ms = aifb_mono_ms() - d->started_mono_ms;
    m->started_at_ms = d->started_at_ms;
    m->state_dir = xstrdup(d->cfg.state_dir);
    m->recipe_count = (int32_t)recipe_catalog_count(d->recipes);
    m->active_runs = store_run_count_active(d->db);
    m->last_event_seq = store_last_seq(d->db);
    m->listen = xstrdup(d->cfg.listen);
    m->cluster = cluster_message(d->exec);
    *reply = &m->base;
    return AIFB_OK;
}

API_HANDLER(api_list_recipes)
{
    (void)req;
    (void)err;
    aifbd *d = api_daemon(ctx);
    Aifb__V1__ListRecipesResponse *m = xmalloc(sizeof *m);
    aifb__v1__list_recipes_response__init(m);
    size_t n = recipe_catalog_count(d->recipes);
    m->recipes = n ? xcalloc(n, sizeof *m->recipes) : NULL;
    for (size_t i = 0; i < n; i++)
        m->recipes[i] = convert_recipe_summary(recipe_catalog_at(d->recipes, i));
    m->n_recipes = n;
    *reply = &m->base;
    return AIFB_OK;
}

API_HANDLER(api_get_recipe)
{
    aifbd *d = api_daemon(ctx);
    const Aifb__V1__GetRecipeRequest *in = (const void *)req;
    const recipe *r = aifbd_recipe(d, in->name, err);
    if (!r)
        return err->code;
    *reply = &convert_recipe(r)->base;
    return AIFB_OK;
}
