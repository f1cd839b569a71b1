/* api_info.c: GetInfo, ListRecipes, GetRecipe. */
#include <stdio.h>
#include <string.h>

#include "aifbd/api.h"
#include "aifbd/convert.h"
#include "common/util.h"

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
