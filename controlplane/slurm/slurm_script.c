/* slurm_script.c: the bodies of the two jobs of a run, the service job and the client job.
 *
 * The service job starts its role (folder, search path, agents, setup commands), runs the main
 * command in the background of the job's shell and waits for it, so the service stays a child of
 * the job and scancel stops it (a detached service would escape the job). Meanwhile the readiness
 * probe is repeated until it passes, then "host:port" is published in service.endpoint by
 * writing a temporary file and renaming it, so a reader never sees half a line. The client job
 * waits for that file, exports the endpoint, starts its role and exits with its command's status.
 * The handshake is the file: both jobs are submitted together, without --dependency.
 *
 * Which host is published: the recipe's host when it is fixed, otherwise the node's name as
 * `hostname -f` gives it (the name Slurm and the cluster's resolver know, so the client's node
 * picks the right network), falling back to the first address of `hostname -I`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slurm/slurm_script_internal.h"

#define SLURM_ENDPOINT_TIMEOUT_DEFAULT_S 600
#define SLURM_PROBE_TIMEOUT_DEFAULT_MS   60000
#define SLURM_PROBE_INTERVAL_DEFAULT_MS  200
#define SLURM_PROBE_ATTEMPT_S            5

/* A probe host that means "every interface": probe loopback, publish the node. */
static bool host_is_any(const char *h)
{
    return !h || !*h || !strcmp(h, "0.0.0.0") || !strcmp(h, "::") || !strcmp(h, SLURM_HOST_TOKEN);
}

static aifb_code check_probe(const exec_probe *pr, aifb_err *err)
{
    if (pr->port < 1 || pr->port > 65535)
        return aifb_err_set(err, AIFB_EINVAL,
                            "service port %d is refused: it must be in 1..65535 (it is published "
                            "in service.endpoint)",
                            pr->port);
    if (pr->timeout_ms < 0 || pr->interval_ms < 0)
        return aifb_err_set(err, AIFB_EINVAL,
                            "probe timeout %d ms or interval %d ms is refused: must be 0 or more",
                            pr->timeout_ms, pr->interval_ms);
    if (pr->kind == EXEC_PROBE_CMD)
        return slurm_check_cmd(&pr->cmd, "probe command", err);
    return AIFB_OK;
}

/* The probe's variables and aifb_probe_once, which sets aifb_probe_last to what the attempt
 * printed and returns 0 when the service is ready. */
static void write_probe(abuf *b, const slurm_job *job)
{
    const exec_probe *pr = &job->plan->probe;
    const char *host = host_is_any(pr->host)
                           ? (pr->host && !strcmp(pr->host, "::") ? "::1" : "127.0.0.1")
                           : pr->host;
    int timeout_ms = pr->timeout_ms ? pr->timeout_ms : SLURM_PROBE_TIMEOUT_DEFAULT_MS;
    int interval_ms = pr->interval_ms ? pr->interval_ms : SLURM_PROBE_INTERVAL_DEFAULT_MS;
    abuf_puts(b, "aifb_probe_host=");
    slurm_shell_quote(b, host);
    abuf_printf(b, "\naifb_probe_port=%d\naifb_probe_timeout_s=%d\naifb_probe_interval=%d.%03d\n",
                pr->port, (timeout_ms + 999) / 1000, interval_ms / 1000, interval_ms % 1000);
    abuf_puts(b, "aifb_probe_last=\naifb_probe_once() {\n    aifb_probe_last=$(");
    switch (pr->kind) {
    case EXEC_PROBE_NONE:
        abuf_puts(b, ":)\n");
        break;
    case EXEC_PROBE_TCP:
        abuf_printf(b,
                    "timeout %d \"$BASH\" -c 'exec 3<>\"/dev/tcp/$1/$2\"' aifb-probe "
                    "\"$aifb_probe_host\" \"$aifb_probe_port\" 2>&1)\n",
                    SLURM_PROBE_ATTEMPT_S);
        break;
    case EXEC_PROBE_HTTP: {
        /* The whole URL is one quoted word; -g keeps curl from reading [] and {} as ranges,
         * -q from reading a .curlrc. A 3xx answers without -L, so it counts as ready. */
        abuf url = {0};
        const char *path = pr->path && *pr->path ? pr->path : "/";
        bool v6 = strchr(host, ':') != NULL;
        abuf_printf(&url, "http://%s%s%s:%d%s%s", v6 ? "[" : "", host, v6 ? "]" : "", pr->port,
                    path[0] == '/' ? "" : "/", path);
        abuf_printf(b, "curl -q -g -fsS -o /dev/null --max-time %d ", SLURM_PROBE_ATTEMPT_S);
        slurm_shell_quote(b, url.p);
        abuf_puts(b, " 2>&1)\n");
        abuf_free(&url);
        break;
    }
    case EXEC_PROBE_CMD:
        slurm_write_cmd(b, job, &pr->cmd, SLURM_PROBE_ATTEMPT_S, true);
        abuf_puts(b, " 2>&1)\n");
        break;
    }
    abuf_puts(b, "}\n");
}

static const char service_functions[] =
    "# Repeats the probe until it passes; fails the job (status 3) when the service ends first\n"
    "# or the time is up. SECONDS counts whole seconds, so -gt waits at least the full time.\n"
    "aifb_wait_ready() {\n"
    "    local deadline=$((SECONDS + aifb_probe_timeout_s)) status\n"
    "    while :; do\n"
    "        if ! kill -0 \"$aifb_main_pid\" 2>/dev/null; then\n"
    "            aifb_wait_main\n"
    "            status=$?\n"
    "            aifb_fail 3 \"the service exited with status $status before it was ready\"\n"
    "        fi\n"
    "        aifb_probe_once && return 0\n"
    "        if [ \"$SECONDS\" -gt \"$deadline\" ]; then\n"
    "            aifb_fail 3 \"the service was not ready within $aifb_probe_timeout_s s\" \\\n"
    "                \"(probe of $aifb_probe_host port $aifb_probe_port; last attempt:\" \\\n"
    "                \"${aifb_probe_last:-no output})\"\n"
    "        fi\n"
    "        sleep \"$aifb_probe_interval\"\n"
    "    done\n"
    "}\n"
    "\n"
    "aifb_node_host() {\n"
    "    local h\n"
    "    h=$(hostname -f 2>/dev/null) || h=\n"
    "    [ -n \"$h\" ] || read -r h _ < <(hostname -I 2>/dev/null)\n"
    "    [ -n \"$h\" ] || h=$(hostname)\n"
    "    printf '%s' \"$h\"\n"
    "}\n"
    "\n"
    "# Something already listening on the service's port on this node would pass the probe in\n"
    "# its place, and the client would measure the wrong server: the job fails instead.\n"
    "aifb_check_port() {\n"
    "    local want f _sl addr _rem st _rest\n"
    "    printf -v want ':%04X' \"$aifb_probe_port\"\n"
    "    for f in /proc/net/tcp /proc/net/tcp6; do\n"
    "        [ -r \"$f\" ] || continue\n"
    "        while read -r _sl addr _rem st _rest; do\n"
    "            if [ \"$st\" = 0A ] && [ \"${addr: -5}\" = \"$want\" ]; then\n"
    "                aifb_fail 3 \"port $aifb_probe_port is already in use on $(aifb_node_host):\" "
    "\\\n"
    "                    \"start the run again (an automatic port is drawn anew) or give the\" \\\n"
    "                    \"recipe another port\"\n"
    "            fi\n"
    "        done < \"$f\"\n"
    "    done\n"
    "}\n"
    "\n"
    "# A temporary file renamed over service.endpoint: the client never reads half a line.\n"
    "aifb_publish_endpoint() {\n"
    "    local host=$aifb_endpoint_host tmp=$AIFB_RUN_DIR/.service.endpoint.$$\n"
    "    [ -n \"$host\" ] || host=$(aifb_node_host)\n"
    "    printf '%s:%s\\n' \"$host\" \"$aifb_probe_port\" > \"$tmp\" &&\n"
    "        mv -f -- \"$tmp\" \"$AIFB_RUN_DIR/service.endpoint\" ||\n"
    "        aifb_fail 1 \"cannot write $AIFB_RUN_DIR/service.endpoint\"\n"
    "}\n"
    "\n";

static void write_service(abuf *b, const slurm_job *job)
{
    const exec_probe *pr = &job->plan->probe;
    abuf vars = {0};
    abuf_puts(&vars, "# The service job: start the service, probe it, publish host:port.\n"
                     "aifb_bind_host=0.0.0.0\n"
                     "aifb_endpoint_host=");
    slurm_shell_quote(&vars, host_is_any(pr->host) ? "" : pr->host);
    abuf_putc(&vars, '\n');
    write_probe(&vars, job);
    slurm_write_head(b, job, vars.p);
    abuf_free(&vars);
    abuf_puts(b, service_functions);
    abuf_puts(b, "# A requeued job must not leave the address of its previous node behind.\n"
                 "rm -f -- \"$AIFB_RUN_DIR/service.endpoint\"\n"
                 "aifb_check_port\n");
    slurm_write_role_start(b, job);
    slurm_write_setup(b, job);
    slurm_write_cmd(b, job, &job->r->main, 0, true);
    abuf_puts(b, " &\n"
                 "aifb_main_pid=$!\n"
                 "aifb_wait_ready\n"
                 "aifb_publish_endpoint\n"
                 "aifb_wait_main\n"
                 "exit $?\n");
}

aifb_code slurm_script_service(const exec_plan *p, const slurm_opts *o, char **script,
                               aifb_err *err)
{
    if (p && !p->has_service)
        return aifb_err_set(err, AIFB_EINVAL, "plan %s has no service", p->id ? p->id : "?");
    slurm_job job = {.plan = p, .opts = o, .role = "service", .subst_var = "aifb_bind_host"};
    if (p)
        job.r = &p->service;
    aifb_code rc = slurm_job_prepare(&job, err);
    if (!rc)
        rc = check_probe(&p->probe, err);
    if (rc) {
        slurm_job_done(&job);
        return rc;
    }
    abuf b = {0};
    write_service(&b, &job);
    slurm_job_done(&job);
    *script = abuf_take(&b);
    return AIFB_OK;
}

static const char client_wait_endpoint[] =
    "# Waits for the service job's endpoint. SECONDS counts whole seconds, so -gt waits at least\n"
    "# the full time.\n"
    "aifb_wait_endpoint() {\n"
    "    local file=$AIFB_RUN_DIR/service.endpoint\n"
    "    local deadline=$((SECONDS + aifb_endpoint_timeout_s))\n"
    "    until [ -s \"$file\" ]; do\n"
    "        if [ \"$SECONDS\" -gt \"$deadline\" ]; then\n"
    "            aifb_fail 3 \"the service endpoint never came: $file did not appear within\" \\\n"
    "                \"$aifb_endpoint_timeout_s s (did the service job start and pass its\" \\\n"
    "                \"readiness probe? see service.err in the run folder)\"\n"
    "        fi\n"
    "        sleep 0.5\n"
    "    done\n"
    "    IFS= read -r AIFB_ENDPOINT < \"$file\"\n"
    "    [ -n \"$AIFB_ENDPOINT\" ] || aifb_fail 3 \"$file is empty\"\n"
    "}\n"
    "\n";

static void write_client(abuf *b, const slurm_job *job)
{
    const exec_plan *p = job->plan;
    int timeout_s = job->opts->endpoint_timeout_s ? job->opts->endpoint_timeout_s
                                                  : SLURM_ENDPOINT_TIMEOUT_DEFAULT_S;
    abuf vars = {0};
    abuf_printf(&vars,
                "# The client job: wait for the service's endpoint, run the client.\n"
                "aifb_endpoint_timeout_s=%d\n"
                "AIFB_ENDPOINT=",
                timeout_s);
    slurm_shell_quote(&vars, p->has_service ? "" : p->endpoint);
    abuf_putc(&vars, '\n');
    slurm_write_head(b, job, vars.p);
    abuf_free(&vars);
    if (p->has_service)
        abuf_printf(b, "%saifb_wait_endpoint\n", client_wait_endpoint);
    abuf_puts(b, "AIFB_ENDPOINT_HOST=${AIFB_ENDPOINT%:*}\n"
                 "AIFB_ENDPOINT_PORT=${AIFB_ENDPOINT##*:}\n"
                 "export AIFB_ENDPOINT AIFB_ENDPOINT_HOST AIFB_ENDPOINT_PORT\n");
    slurm_write_role_start(b, job);
    slurm_write_setup(b, job);
    slurm_write_cmd(b, job, &job->r->main, 0, true);
    abuf_puts(b, " &\n"
                 "aifb_main_pid=$!\n"
                 "aifb_wait_main\n"
                 "exit $?\n");
}

aifb_code slurm_script_client(const exec_plan *p, const slurm_opts *o, char **script, aifb_err *err)
{
    if (p && !p->has_client)
        return aifb_err_set(err, AIFB_EINVAL, "plan %s has no client", p->id ? p->id : "?");
    if (p && !p->has_service && (!p->endpoint || !*p->endpoint))
        return aifb_err_set(err, AIFB_EINVAL,
                            "plan %s has neither a service nor the endpoint of an existing one",
                            p->id ? p->id : "?");
    slurm_job job = {.plan = p,
                     .opts = o,
                     .role = "client",
                     .subst_var = "AIFB_ENDPOINT_HOST",
                     .main_srun = o && o->tasks > 1};
    if (p)
        job.r = &p->client;
    aifb_code rc = slurm_job_prepare(&job, err);
    if (rc) {
        slurm_job_done(&job);
        return rc;
    }
    abuf b = {0};
    write_client(&b, &job);
    slurm_job_done(&job);
    *script = abuf_take(&b);
    return AIFB_OK;
}
