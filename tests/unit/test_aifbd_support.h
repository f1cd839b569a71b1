/* test_aifbd_support.h: what the aifbd tests share: a recipe loaded from the repository's
 * recipes/ folder, and Slurm settings with every job size left unset (-1, as the configuration
 * loader leaves what a file does not say). */
#ifndef AIFB_TEST_AIFBD_SUPPORT_H
#define AIFB_TEST_AIFBD_SUPPORT_H

#include <criterion/criterion.h>
#include <stdio.h>

#include "aifbd/daemon.h"
#include "aifbd/executors.h"

static inline recipe *t_load_recipe(const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/recipes/%s.yaml", AIFB_SOURCE_DIR, name);
    recipe *r = NULL;
    aifb_err err = {0};
    cr_assert_eq(recipe_load_file(path, &r, &err), AIFB_OK, "%s", err.msg);
    return r;
}

static inline aifbd_slurm_config t_unset_slurm_config(void)
{
    aifbd_slurm_job unset = {.time_limit_min = -1,
                             .nodes = -1,
                             .tasks = -1,
                             .cpus_per_task = -1,
                             .memory_mb = -1,
                             .gpus = -1};
    return (aifbd_slurm_config){.job = unset, .service = unset, .client = unset};
}

#endif
