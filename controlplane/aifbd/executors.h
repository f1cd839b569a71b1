/* executors.h: the executor aifbd runs with, chosen by name from its configuration, and the job
 * settings of each run on Slurm.
 *
 * "local" runs plans as process groups on this machine (exec/exec_local.c); "slurm-ssh" submits
 * them as batch jobs through a login node over SSH (slurm/exec_slurm_cli.c), "slurm-rest" to
 * slurmrestd. The job settings come from the slurm, slurm_service and slurm_client sections: a
 * role's own setting over the setting of every job, and a setting left unset leaves its #SBATCH
 * directive out. A recipe's own `slurm:` settings for a role then apply over those for its runs
 * (aifbd_slurm_job_apply): the recipe knows what its program needs (an image, GPUs), the site
 * knows its partitions. */
#ifndef AIFBD_EXECUTORS_H
#define AIFBD_EXECUTORS_H

#include <stdbool.h>
#include <stdint.h>

#include "aifbd/config.h"
#include "exec/executor.h"
#include "recipe/recipe.h"
#include "slurm/slurm_script.h"

/* Makes the executor cfg->executor names. Nothing is contacted yet (a login node is connected
 * to at the first call). AIFB_EINVAL naming the setting when one it needs is missing or wrong;
 * AIFB_EUNIMPLEMENTED for an executor this build does not have. */
aifb_code aifbd_executor_new(const aifbd_config *cfg, executor **out, aifb_err *err);

/* The settings of the service's (service true) or the client's job from the configuration
 * alone: the role's section over the slurm section. Strings point into sc and modules. */
void aifbd_slurm_job_base(const aifbd_slurm_config *sc, bool service, const char *const *modules,
                          slurm_opts *o);

/* Applies a recipe's settings for one run (rv, from plan_slurm) over o as made by
 * aifbd_slurm_job_base: the recipe's image, gpus, nodes, tasks, cpus_per_task, memory_mb and
 * time_limit_min win over the configuration; its partition is taken only when the role's own
 * section (slurm_service, slurm_client) names none, and then wins over the slurm section's.
 * Settings the recipe leaves unset keep the configuration's. o then points into rv. */
void aifbd_slurm_job_apply(const aifbd_slurm_config *sc, bool service,
                           const recipe_slurm_values *rv, slurm_opts *o);

/* The per-run hook of the Slurm executor core (exec_slurm_config.run_opts, given
 * &cfg->slurm, which outlives the executor): ctx is the aifbd_slurm_config, plan one built by
 * plan_build, role "service" or "client", *o that role's settings from aifbd_slurm_job_base;
 * applies the recipe's settings of that role to *o (aifbd_slurm_job_apply). */
void aifbd_slurm_run_opts(void *ctx, const exec_plan *plan, const char *role, slurm_opts *o);

/* ---- plan.c: what a plan carries for the Slurm executors ---- */

/* The folder every role of the plans built from now on searches after its own search folders
 * (slurm.agents_dir: aifbd's programs on the cluster), or NULL for none. aifbd_executor_new sets
 * it once, before any plan is built: the Slurm executors to slurm.agents_dir, local to NULL. */
void plan_set_agents_dir(const char *dir);

/* The recipe's Slurm settings of the plan's service (service true) or client for this run,
 * expanded and checked; every field unset for a role the plan does not have. p must come from
 * plan_build; the values live as long as the plan. */
const recipe_slurm_values *plan_slurm(const exec_plan *p, bool service);

#endif
