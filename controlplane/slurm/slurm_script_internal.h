/* slurm_script_internal.h: what the job-script files share and nobody else needs.
 *
 * slurm_script.c writes the two job bodies; it calls slurm_script_head.c for the checks of a
 * job's options, the #SBATCH block and the shell functions every job has, and the helpers of
 * slurm_script_quote.c for messages that show a refused value. */
#ifndef AIFB_SLURM_SCRIPT_INTERNAL_H
#define AIFB_SLURM_SCRIPT_INTERNAL_H

#include "slurm/slurm_script.h"

/* Room for a refused value as slurm_show_value() prints it. */
#define SLURM_SHOW_MAX 400

/* One job being written: the plan, the options, which role, and the role's own folder. */
typedef struct slurm_job {
    const exec_plan *plan;
    const slurm_opts *opts;
    const char *role; /* "service" or "client" */
    const exec_role *r;
    char *run_dir; /* <remote_base>/runs/<id>, malloc'd */
    /* Host placeholder substitution for this role: SLURM_HOST_TOKEN becomes "$subst_var". */
    const char *subst_var;
    /* The client's main command runs as one srun step across the job's tasks (tasks > 1): a
     * load client spread over nodes, each task taking its share (aifb-loadgen reads its task
     * number from the step). */
    bool main_srun;
} slurm_job;

/* Writes v for an error message: control characters as \n, \r, \t or \xNN, cut after 80
 * characters, so a refused value never spreads a message over lines. */
void slurm_show_value(const char *v, char *out, size_t outlen);

/* AIFB_OK when v passes slurm_directive_value_ok(), else AIFB_EINVAL naming field and value. */
aifb_code slurm_check_directive(const char *field, const char *v, aifb_err *err);

/* Checks the options, the plan's id and the role's commands (argv present, environment names,
 * search folders); then fills job->run_dir. */
aifb_code slurm_job_prepare(slurm_job *job, aifb_err *err);
void slurm_job_done(slurm_job *job);

/* Checks one command: argv[0] present and not empty, every env entry NAME=VALUE with a shell
 * name. what names it in messages ("service setup command 2"). */
aifb_code slurm_check_cmd(const exec_cmd *c, const char *what, aifb_err *err);

/* Appends the shebang, the #SBATCH block, a header comment, the role's own variables (vars,
 * shell text), then the variables and shell functions both jobs use: AIFB_RUN_ID, AIFB_ROLE,
 * AIFB_RUN_DIR, aifb_fail, the role's process and its signal handling, the search path, the
 * agents hook. */
void slurm_write_head(abuf *b, const slurm_job *job, const char *vars);

/* Appends one command as a subshell that exports the command's environment and execs the
 * program (inside the image when the job has one): `( export K='v'; exec -- 'prog' 'a' )`.
 * timeout_s > 0 wraps it in `timeout` (probe commands). */
void slurm_write_cmd(abuf *b, const slurm_job *job, const exec_cmd *c, int timeout_s,
                     bool in_image);

/* Appends the role's preparation: module loads, its folder (created, entered), its search
 * folders, then the agents started. */
void slurm_write_role_start(abuf *b, const slurm_job *job);

/* Appends the setup commands, each of which must exit 0 or the job fails with its status. */
void slurm_write_setup(abuf *b, const slurm_job *job);

#endif
