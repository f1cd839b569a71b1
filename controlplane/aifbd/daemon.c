/* daemon.c: small lookups every part of aifbd shares. */
#include "aifbd/daemon.h"

#include <stdio.h>

const recipe *aifbd_recipe(aifbd *d, const char *name, aifb_err *err)
{
    const recipe *r = recipe_catalog_find(d->recipes, name ? name : "");
    if (r)
        return r;
    char known[400];
    size_t used = 0;
    known[0] = '\0';
    for (size_t i = 0; i < recipe_catalog_count(d->recipes) && used < sizeof known; i++)
        used += (size_t)snprintf(known + used, sizeof known - used, "%s%s", i ? ", " : "",
                                 recipe_catalog_at(d->recipes, i)->name);
    aifb_err_set(err, AIFB_ENOTFOUND, "no recipe named '%.80s' (known: %s)", name ? name : "",
                 known);
    return NULL;
}

void aifbd_run_dir(const aifbd *d, const char *id, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s/runs/%s", d->cfg.state_dir, id);
}

void aifbd_service_dir(const aifbd *d, const char *id, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s/services/%s", d->cfg.state_dir, id);
}
