/* executors.h: the executor aifbd runs with, chosen by name from its configuration.
 *
 * "local" runs plans as process groups on this machine (exec/exec_local.c); "slurm-ssh" submits
 * them as batch jobs through a login node over SSH (slurm/exec_slurm_cli.c). The job settings
 * come from the slurm, slurm_service and slurm_client sections: a role's own setting over the
 * setting of every job, and a setting left unset leaves its #SBATCH directive out. */
#ifndef AIFBD_EXECUTORS_H
#define AIFBD_EXECUTORS_H

#include <stdint.h>

#include "aifbd/config.h"
#include "exec/executor.h"

/* Makes the executor cfg->executor names. Nothing is contacted yet (a login node is connected
 * to at the first call). AIFB_EINVAL naming the setting when one it needs is missing or wrong;
 * AIFB_EUNIMPLEMENTED for an executor this build does not have. */
aifb_code aifbd_executor_new(const aifbd_config *cfg, executor **out, aifb_err *err);

#endif
