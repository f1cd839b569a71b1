/* slurm_script_head.c: what every aifb job script has before its role's own steps.
 *
 * slurm_job_prepare() refuses options and commands that cannot be placed safely, before a byte
 * is written. slurm_write_head() then writes, in order: the shebang; the #SBATCH block (values
 * already checked, so they stand unquoted, and paths are literal: no % patterns); the job's
 * variables; and the shell functions both jobs use (failing with a message, the agents hook,
 * passing scancel's SIGTERM on to the role and cleaning up on exit, the search path). The
 * role's own steps follow (slurm_script.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slurm/slurm_script_internal.h"

static aifb_code check_count(const char *field, int64_t v, aifb_err *err)
{
    if (v >= 0)
        return AIFB_OK;
    return aifb_err_set(err, AIFB_EINVAL, "slurm %s %lld is refused: it must be 0 or more", field,
                        (long long)v);
}

static aifb_code check_not_option(const char *field, const char *v, aifb_err *err)
{
    if (!v || !*v || v[0] != '-')
        return AIFB_OK;
    char shown[SLURM_SHOW_MAX];
    slurm_show_value(v, shown, sizeof shown);
    return aifb_err_set(err, AIFB_EINVAL, "%s '%s' is refused: it must not start with '-'", field,
                        shown);
}

aifb_code slurm_check_cmd(const exec_cmd *c, const char *what, aifb_err *err)
{
    if (!c->argv || !c->argv[0] || !c->argv[0][0])
        return aifb_err_set(err, AIFB_EINVAL, "%s has no program to run", what);
    for (char **e = c->env; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        char name[300];
        size_t n = eq ? (size_t)(eq - *e) : strlen(*e);
        snprintf(name, sizeof name, "%.*s", (int)(n < sizeof name ? n : sizeof name - 1), *e);
        if (eq && n < sizeof name && slurm_env_name_ok(name))
            continue;
        char shown[SLURM_SHOW_MAX];
        slurm_show_value(*e, shown, sizeof shown);
        return aifb_err_set(err, AIFB_EINVAL,
                            "%s: environment entry '%s' is refused: it must be NAME=VALUE with "
                            "a NAME of letters, digits and _ not starting with a digit",
                            what, shown);
    }
    return AIFB_OK;
}

static aifb_code check_opts(const slurm_opts *o, aifb_err *err)
{
    if (!o->remote_base || o->remote_base[0] != '/')
        return aifb_err_set(err, AIFB_EINVAL,
                            "slurm remote_base '%s' is refused: it must be an absolute path",
                            o->remote_base ? o->remote_base : "");
    aifb_code rc = slurm_check_directive("remote_base", o->remote_base, err);
    const char *names[] = {"account", "partition", "qos"};
    const char *vals[] = {o->account, o->partition, o->qos};
    for (int i = 0; i < 3 && !rc; i++)
        if (vals[i] && *vals[i])
            rc = slurm_check_directive(names[i], vals[i], err);
    if (!rc)
        rc = check_count("time_limit_min", o->time_limit_min, err);
    if (!rc)
        rc = check_count("nodes", o->nodes, err);
    if (!rc)
        rc = check_count("tasks", o->tasks, err);
    if (!rc)
        rc = check_count("cpus_per_task", o->cpus_per_task, err);
    if (!rc)
        rc = check_count("memory_mb", o->memory_mb, err);
    if (!rc)
        rc = check_count("gpus", o->gpus, err);
    if (!rc)
        rc = check_count("endpoint_timeout_s", o->endpoint_timeout_s, err);
    if (!rc)
        rc = check_not_option("slurm image", o->image, err);
    for (const char *const *m = o->modules; m && *m && !rc; m++)
        rc = **m ? check_not_option("slurm module", *m, err)
                 : aifb_err_set(err, AIFB_EINVAL, "slurm module '' is refused: it is empty");
    return rc;
}

/* An agent's name becomes part of its log file's name: [a-z]+ only. */
static aifb_code check_agent(const slurm_job *job, const exec_agent *a, aifb_err *err)
{
    const char *n = a->name ? a->name : "";
    if (!*n || strspn(n, "abcdefghijklmnopqrstuvwxyz") != strlen(n) || strlen(n) > 32) {
        char shown[SLURM_SHOW_MAX];
        slurm_show_value(n, shown, sizeof shown);
        return aifb_err_set(err, AIFB_EINVAL,
                            "%s agent name '%s' is refused: it must be 1 to 32 letters a-z",
                            job->role, shown);
    }
    char what[96];
    snprintf(what, sizeof what, "%s agent %s", job->role, n);
    return slurm_check_cmd(&a->cmd, what, err);
}

static aifb_code check_role(const slurm_job *job, aifb_err *err)
{
    char what[96];
    snprintf(what, sizeof what, "%s command", job->role);
    aifb_code rc = slurm_check_cmd(&job->r->main, what, err);
    for (size_t i = 0; i < job->r->nsetup && !rc; i++) {
        snprintf(what, sizeof what, "%s setup command %zu", job->role, i + 1);
        rc = slurm_check_cmd(&job->r->setup[i], what, err);
    }
    for (size_t i = 0; i < job->r->nagents && !rc; i++)
        rc = check_agent(job, &job->r->agents[i], err);
    for (const char *const *s = job->r->search; s && *s && !rc; s++) {
        if (**s && !strchr(*s, ':'))
            continue;
        char shown[SLURM_SHOW_MAX];
        slurm_show_value(*s, shown, sizeof shown);
        rc = aifb_err_set(err, AIFB_EINVAL,
                          "%s search folder '%s' is refused: it must be non-empty and without "
                          "':' (it goes into PATH)",
                          job->role, shown);
    }
    return rc;
}

aifb_code slurm_job_prepare(slurm_job *job, aifb_err *err)
{
    const exec_plan *p = job->plan;
    if (!p || !job->opts)
        return aifb_err_set(err, AIFB_EINVAL, "no plan or no slurm options given");
    if (!aifb_id_valid(p->id, 'r') && !aifb_id_valid(p->id, 's')) {
        char shown[SLURM_SHOW_MAX];
        slurm_show_value(p->id, shown, sizeof shown);
        return aifb_err_set(err, AIFB_EINVAL,
                            "plan id '%s' is refused: it must be an aifb run or service id "
                            "(r-<12 hex digits> or s-<12 hex digits>)",
                            shown);
    }
    aifb_code rc = check_opts(job->opts, err);
    if (!rc)
        rc = check_role(job, err);
    if (rc)
        return rc;
    abuf dir = {0};
    abuf_puts(&dir, job->opts->remote_base);
    while (dir.len > 0 && dir.p[dir.len - 1] == '/')
        dir.p[--dir.len] = '\0';
    abuf_printf(&dir, "/runs/%s", p->id);
    job->run_dir = abuf_take(&dir);
    return AIFB_OK;
}

void slurm_job_done(slurm_job *job)
{
    free(job->run_dir);
    job->run_dir = NULL;
}

static void write_directives(abuf *b, const slurm_job *job)
{
    const slurm_opts *o = job->opts;
    const char *id = job->plan->id;
    abuf_printf(b, "#SBATCH --job-name=aifb-%s-%s\n", id, job->role);
    abuf_printf(b, "#SBATCH --comment=aifb:%s:%s\n", id, job->role);
    if (o->account && *o->account)
        abuf_printf(b, "#SBATCH --account=%s\n", o->account);
    if (o->partition && *o->partition)
        abuf_printf(b, "#SBATCH --partition=%s\n", o->partition);
    if (o->qos && *o->qos)
        abuf_printf(b, "#SBATCH --qos=%s\n", o->qos);
    if (o->time_limit_min > 0) {
        char t[SLURM_TIME_MAX];
        slurm_format_time(o->time_limit_min, t);
        abuf_printf(b, "#SBATCH --time=%s\n", t);
    }
    if (o->nodes > 0)
        abuf_printf(b, "#SBATCH --nodes=%d\n", o->nodes);
    if (o->tasks > 0)
        abuf_printf(b, "#SBATCH --ntasks=%d\n", o->tasks);
    if (o->cpus_per_task > 0)
        abuf_printf(b, "#SBATCH --cpus-per-task=%d\n", o->cpus_per_task);
    if (o->memory_mb > 0)
        abuf_printf(b, "#SBATCH --mem=%lldM\n", (long long)o->memory_mb);
    if (o->gpus > 0)
        abuf_printf(b, o->gres_style_gpus ? "#SBATCH --gres=gpu:%d\n" : "#SBATCH --gpus=%d\n",
                    o->gpus);
    abuf_printf(b, "#SBATCH --chdir=%s\n", job->run_dir);
    abuf_printf(b, "#SBATCH --output=%s/%s.out\n", job->run_dir, job->role);
    abuf_printf(b, "#SBATCH --error=%s/%s.err\n", job->run_dir, job->role);
}

/* The functions every job has. Kept as shell text: no value of the plan is inside. */
static const char head_functions[] =
    "aifb_fail() {\n"
    "    local status=$1\n"
    "    shift\n"
    "    printf 'aifb: FAILED: %s\\n' \"$*\" >&2\n"
    "    exit \"$status\"\n"
    "}\n"
    "\n"
    "# scancel signals the job: before the role's main process exists the job just ends; after,\n"
    "# the signal is passed on and aifb_wait_main collects the process. On any exit whatever\n"
    "# still runs (the main process, the agents) is stopped, so nothing outlives the job.\n"
    "aifb_main_pid=\n"
    "aifb_signalled=0\n"
    "aifb_on_signal() {\n"
    "    aifb_signalled=1\n"
    "    [ -n \"$aifb_main_pid\" ] || exit 143\n"
    "    kill -TERM \"$aifb_main_pid\" 2>/dev/null\n"
    "}\n"
    "aifb_on_exit() {\n"
    "    if [ -n \"$aifb_main_pid\" ]; then\n"
    "        kill -TERM \"$aifb_main_pid\" 2>/dev/null\n"
    "        wait \"$aifb_main_pid\" 2>/dev/null\n"
    "    fi\n"
    "    aifb_agents_stop\n"
    "}\n"
    "trap aifb_on_signal TERM INT\n"
    "trap aifb_on_exit EXIT\n"
    "\n"
    "# A trapped signal makes wait return early (status > 128) while the process still runs.\n"
    "aifb_wait_main() {\n"
    "    local status\n"
    "    while :; do\n"
    "        aifb_signalled=0\n"
    "        wait \"$aifb_main_pid\"\n"
    "        status=$?\n"
    "        [ \"$aifb_signalled\" = 1 ] && [ \"$status\" -gt 128 ] || break\n"
    "    done\n"
    "    aifb_main_pid=\n"
    "    return \"$status\"\n"
    "}\n"
    "\n"
    "# Search folders (globs allowed; the pattern comes from a variable, so expanding it only\n"
    "# matches file names) go before PATH, the highest version first.\n"
    "aifb_search_path() {\n"
    "    local IFS= pattern dir found=\n"
    "    for pattern in \"$@\"; do\n"
    "        while IFS= read -r -d '' dir; do\n"
    "            case $dir in *:*) continue ;; esac\n"
    "            [ -d \"$dir\" ] && found=$found${found:+:}$dir\n"
    "        done < <(printf '%s\\0' $pattern | sort -z -r -V)\n"
    "    done\n"
    "    [ -z \"$found\" ] || PATH=$found:$PATH\n"
    "}\n"
    "\n";

static void write_agents(abuf *b, const slurm_job *job)
{
    const exec_role *r = job->r;
    abuf_puts(b,
              "# ---- agents hook ----------------------------------------------------------\n"
              "# Programs that run beside the role (aifb-monitor, aifb-logship): started before\n"
              "# the role's setup, outside any image, each with its own log in the run folder,\n"
              "# and stopped with SIGTERM once the role ends (they flush what they hold).\n"
              "aifb_agent_pids=()\n"
              "aifb_agents_start() {\n");
    for (size_t i = 0; r && i < r->nagents; i++) {
        abuf_puts(b, "    ");
        slurm_write_cmd(b, job, &r->agents[i].cmd, 0, false);
        abuf_printf(b, " >>\"$AIFB_RUN_DIR/%s.%s.log\" 2>&1 &\n    aifb_agent_pids+=(\"$!\")\n",
                    job->role, r->agents[i].name);
    }
    abuf_puts(b,
              "    return 0\n"
              "}\n"
              "aifb_agents_stop() {\n"
              "    local pid\n"
              "    for pid in \"${aifb_agent_pids[@]}\"; do kill -TERM \"$pid\" 2>/dev/null; done\n"
              "    for pid in \"${aifb_agent_pids[@]}\"; do wait \"$pid\" 2>/dev/null; done\n"
              "    aifb_agent_pids=()\n"
              "}\n"
              "# ---- end of agents hook ---------------------------------------------------\n"
              "\n");
}

void slurm_write_head(abuf *b, const slurm_job *job, const char *vars)
{
    abuf_puts(b, job->opts->login_shell ? "#!/bin/bash -l\n" : "#!/bin/bash\n");
    write_directives(b, job);
    abuf_printf(b,
                "#\n# aifb %s job of %s. Generated: every value from the plan is one quoted\n"
                "# word below; see docs/slurm.md for the shape of this script.\n\n",
                job->role, job->plan->id);
    abuf_puts(b, vars);
    abuf_puts(b, "\nexport AIFB_RUN_ID=");
    slurm_shell_quote(b, job->plan->id);
    abuf_printf(b, "\nexport AIFB_ROLE=%s\nexport AIFB_RUN_DIR=", job->role);
    slurm_shell_quote(b, job->run_dir);
    abuf_puts(b, "\n\n");
    abuf_puts(b, head_functions);
    write_agents(b, job);
}

void slurm_write_cmd(abuf *b, const slurm_job *job, const exec_cmd *c, int timeout_s, bool in_image)
{
    abuf_puts(b, "(");
    if (c->env && c->env[0]) {
        abuf_puts(b, " export");
        for (char **e = c->env; *e; e++) {
            const char *eq = strchr(*e, '=');
            abuf_printf(b, " %.*s=", (int)(eq - *e), *e);
            slurm_shell_quote_subst(b, eq + 1, SLURM_HOST_TOKEN, job->subst_var);
        }
        abuf_puts(b, ";");
    }
    abuf_puts(b, " exec --");
    if (timeout_s > 0)
        abuf_printf(b, " timeout %d", timeout_s);
    if (job->main_srun && job->r && c == &job->r->main)
        abuf_puts(b, " srun --kill-on-bad-exit=1");
    const char *image = job->opts->image;
    if (in_image && image && *image) {
        abuf_puts(b, job->opts->gpus > 0 ? " apptainer exec --nv " : " apptainer exec ");
        slurm_shell_quote(b, image);
    }
    for (char **a = c->argv; *a; a++) {
        abuf_putc(b, ' ');
        slurm_shell_quote_subst(b, *a, SLURM_HOST_TOKEN, job->subst_var);
    }
    abuf_puts(b, " )");
}

void slurm_write_role_start(abuf *b, const slurm_job *job)
{
    for (const char *const *m = job->opts->modules; m && *m; m++) {
        abuf_puts(b, "module load ");
        slurm_shell_quote(b, *m);
        abuf_puts(b, " || aifb_fail 1 'module load failed:' ");
        slurm_shell_quote(b, *m);
        abuf_putc(b, '\n');
    }
    abuf b_dir = {0};
    if (job->r->workdir && *job->r->workdir)
        abuf_puts(&b_dir, job->r->workdir);
    else
        abuf_printf(&b_dir, "%s/%s", job->run_dir, job->role);
    abuf quoted = {0};
    slurm_shell_quote(&quoted, b_dir.p);
    abuf_printf(b, "mkdir -p -- %s && cd -- %s || aifb_fail 1 'cannot enter the folder' %s\n",
                quoted.p, quoted.p, quoted.p);
    abuf_free(&quoted);
    abuf_free(&b_dir);
    if (job->r->search && job->r->search[0]) {
        abuf_puts(b, "aifb_search_path");
        for (const char *const *s = job->r->search; *s; s++) {
            abuf_putc(b, ' ');
            slurm_shell_quote(b, *s);
        }
        abuf_putc(b, '\n');
    }
    abuf_puts(b, "aifb_agents_start\n");
}

void slurm_write_setup(abuf *b, const slurm_job *job)
{
    for (size_t i = 0; i < job->r->nsetup; i++) {
        slurm_write_cmd(b, job, &job->r->setup[i], 0, true);
        abuf_printf(b, " || aifb_fail \"$?\" '%s setup command %zu exited with status' \"$?\"\n",
                    job->role, i + 1);
    }
}
