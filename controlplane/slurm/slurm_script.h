/* slurm_script.h: the batch scripts of a run on Slurm, generated from the executor's exec_plan.
 *
 * A run becomes two batch jobs submitted together (no --dependency): the service job runs the
 * service in the foreground of its job, probes it, and once it is ready writes "host:port" to
 * <run folder>/service.endpoint (a temporary file, then mv); the client job waits for that file,
 * exports AIFB_ENDPOINT, AIFB_ENDPOINT_HOST and AIFB_ENDPOINT_PORT, runs its setup commands and
 * its command, and exits with the command's status (3 when the endpoint never came). The run
 * folder is <remote_base>/runs/<id>; it must exist before submission (Slurm opens --output there
 * before the script runs). docs/slurm.md describes a script section by section.
 *
 * Safety: every value of the plan and the options reaches the script as one single-quoted shell
 * word (slurm_shell_quote), and nothing is ever evaluated a second time. Values that cannot be
 * quoted (#SBATCH directive values, environment names) are checked against a strict character
 * set and refused with AIFB_EINVAL naming the field and the value. The result is pure text: this
 * module neither touches the network nor the file system.
 *
 * slurm_script_quote.c holds the quoting, the checks and the time format; slurm_script_head.c the
 * directives and the shell functions both jobs share; slurm_script.c the two job bodies. */
#ifndef AIFB_SLURM_SCRIPT_H
#define AIFB_SLURM_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/util.h"
#include "exec/executor.h"

/* The host placeholder a Slurm plan uses for the recipe's ${host}: the node is only known once
 * the job runs. Build the plan with this as its host; in the service job each occurrence in an
 * argv element or environment value becomes 0.0.0.0 (bind every interface), in the client job
 * the host read from service.endpoint. A probe host of this value (or NULL, "", 0.0.0.0, ::)
 * means "any interface": the probe then aims at loopback and the published host is the node's.
 * Any other probe host is fixed: it is probed and published as it is. */
#define SLURM_HOST_TOKEN "@aifb-endpoint-host@"

/* Longest --time value slurm_format_time() writes, NUL included. */
#define SLURM_TIME_MAX 32

/* The resources and placement of one job (the service's and the client's may differ). Zero or
 * NULL leaves a directive out, so the cluster's default applies. */
typedef struct slurm_opts {
    const char *account;   /* --account (MeluXina: the project, "p200000") */
    const char *partition; /* --partition ("cpu", "gpu", ...) */
    const char *qos;       /* --qos ("default", "short", ...) */
    int time_limit_min;    /* --time, in minutes */
    int nodes;             /* --nodes */
    int tasks;             /* --ntasks */
    int cpus_per_task;     /* --cpus-per-task */
    int64_t memory_mb;     /* --mem, in megabytes */
    int gpus;              /* --gpus=N, or --gres=gpu:N with gres_style_gpus */
    bool gres_style_gpus;
    /* An Apptainer image (a .sif path or a docker:// address): every command of the role then
     * runs as `apptainer exec [--nv] IMAGE argv...` (--nv when gpus > 0). NULL or "": none. */
    const char *image;
    const char *remote_base;    /* REMOTE_BASE_PATH: absolute, required */
    int endpoint_timeout_s;     /* client job: how long to wait for service.endpoint; 0: 600 */
    bool login_shell;           /* #!/bin/bash -l, so the site's profile defines `module` */
    const char *const *modules; /* `module load NAME` for each, before anything else;
                                   NULL-terminated, or NULL */
} slurm_opts;

/* Writes the service job's script for plan p into *script (malloc'd, the caller frees it).
 * AIFB_EINVAL, naming the field and the value, when the plan has no service, or a value cannot
 * be placed safely (a directive value outside the allowed characters, an environment name that
 * is not a shell name, a search folder with ':', an image or a module name starting with '-',
 * a port outside 1..65535, a negative count). *script is untouched on failure. */
aifb_code slurm_script_service(const exec_plan *p, const slurm_opts *o, char **script,
                               aifb_err *err);

/* Writes the client job's script for plan p. With a service in the plan the job waits for
 * service.endpoint; without one it uses p->endpoint (an existing service). Errors as above. */
aifb_code slurm_script_client(const exec_plan *p, const slurm_opts *o, char **script,
                              aifb_err *err);

/* Appends value as one shell word in single quotes: ' becomes '\'' and each control character
 * (newline, carriage return, tab, ...) is written as $'\ooo' beside the quotes, so the word stays
 * on one line of the script (sbatch refuses scripts with \r\n, and a line per command keeps the
 * script readable). Bytes from 0x80 up pass unchanged. NULL is written as ''. */
void slurm_shell_quote(abuf *b, const char *value);

/* Like slurm_shell_quote, but each occurrence of token becomes "$var" (a double-quoted
 * expansion, evaluated once by the job's shell and never re-parsed). Still one word. var must
 * be a shell name; token NULL or "" means no substitution. */
void slurm_shell_quote_subst(abuf *b, const char *value, const char *token, const char *var);

/* Whether v may stand unquoted as the value of an #SBATCH directive: 1 to 1024 characters from
 * letters, digits and . _ - + , : @ /, not starting with '-'. No spaces, quotes, '%', newlines
 * or other control characters. */
bool slurm_directive_value_ok(const char *v);

/* Whether name is a shell variable name: [A-Za-z_][A-Za-z0-9_]*, at most 255 characters. */
bool slurm_env_name_ok(const char *name);

/* Formats a time limit for --time: under an hour plain minutes ("45"), otherwise
 * D-HH:MM:SS ("0-01:30:00", "2-00:00:00"). minutes must be positive. */
void slurm_format_time(int minutes, char out[SLURM_TIME_MAX]);

#endif
