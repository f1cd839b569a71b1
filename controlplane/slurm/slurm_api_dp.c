/* slurm_api_dp.c: the data_parser format shared by v0.0.40, v0.0.41 and v0.0.42.
 *
 * Since Slurm 23.11 the REST shapes come from the data_parser plugins (src/plugins/data_parser/
 * v0.0.NN/parsers.c in Slurm), and the three versions aifb supports agree on every field it
 * uses; slurm_dp_version carries the little that differs. Facts from the schemas (names as in
 * v0.0.42; v0.0.41 inlines the same objects under longer names):
 *   - submit (v0.0.42_job_submit_req): {"job": v0.0.42_job_desc_msg}; the script moved into the
 *     job (the top-level "script" is deprecated); time_limit (minutes) and memory_per_node
 *     (megabytes) are v0.0.42_uint32/uint64_no_val_struct objects {set, infinite, number};
 *     node counts are minimum_nodes/maximum_nodes; GPUs go in tres_per_node as "gres/gpu:N";
 *     environment is an array of "NAME=value" strings.
 *   - job (v0.0.42_job_info): job_state is an array of flag names, one base state (PENDING,
 *     RUNNING, ..., OUT_OF_MEMORY) plus flags (COMPLETING, CONFIGURING, ...); times are
 *     uint64_no_val_struct; exit_code is v0.0.42_process_exit_code_verbose: status (an array
 *     of one of INVALID, PENDING, SUCCESS, ERROR, SIGNALED, CORE_DUMPED), return_code
 *     (uint32_no_val_struct) and signal {id (uint16_no_val_struct), name ("TERM")}.
 *   - node (v0.0.42_node): state is an array ("IDLE", "DRAIN"); cpus, real_memory, gres,
 *     partitions (array).
 *   - partition (v0.0.42_partition_info): partition.state array, nodes.configured,
 *     nodes.total, cpus.total; partition flags (and so "default") are not exported.
 *   - every reply: meta, errors (v0.0.42_openapi_error: description, error_number, error,
 *     source), warnings.
 * In the data_parser "complex" mode numbers are plain integers, null or "Infinity": the number
 * readers take both forms. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "slurm/slurm_api_internal.h"

/* {"set": true, "infinite": false, "number": n}: the *_no_val_struct objects. */
static json_object *dp_no_val(int64_t n)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "set", json_object_new_boolean(1));
    json_object_object_add(o, "infinite", json_object_new_boolean(0));
    json_object_object_add(o, "number", json_object_new_int64(n));
    return o;
}

static json_object *dp_environment(const slurm_job_spec *spec)
{
    json_object *env = json_object_new_array();
    if (spec->nenv == 0)
        json_object_array_add(env, json_object_new_string("PATH=" SLURM_API_DEFAULT_PATH));
    for (size_t i = 0; i < spec->nenv; i++) {
        abuf b = {0};
        abuf_printf(&b, "%s=%s", spec->env[i].name, spec->env[i].value);
        json_object_array_add(env, json_object_new_string(b.p));
        abuf_free(&b);
    }
    return env;
}

static void dp_add_resources(json_object *job, const slurm_job_spec *spec)
{
    if (spec->time_limit_min > 0)
        json_object_object_add(job, "time_limit", dp_no_val(spec->time_limit_min));
    slurm_api_json_add_int(job, "minimum_nodes", spec->nodes);
    slurm_api_json_add_int(job, "maximum_nodes", spec->nodes);
    slurm_api_json_add_int(job, "tasks", spec->tasks);
    slurm_api_json_add_int(job, "cpus_per_task", spec->cpus_per_task);
    if (spec->memory_mb > 0)
        json_object_object_add(job, "memory_per_node", dp_no_val(spec->memory_mb));
    if (spec->gpus > 0) {
        char tres[40];
        snprintf(tres, sizeof tres, "gres/gpu:%d", spec->gpus);
        json_object_object_add(job, "tres_per_node", json_object_new_string(tres));
    }
}

aifb_code slurm_dp_submit_body(const slurm_dp_version *v, const slurm_job_spec *spec, char **json,
                               aifb_err *err)
{
    *json = NULL;
    aifb_code rc = slurm_api_spec_check(spec, v->version, err);
    if (rc)
        return rc;
    json_object *job = json_object_new_object();
    slurm_api_json_add_str(job, "name", spec->name);
    slurm_api_json_add_str(job, "comment", spec->comment);
    slurm_api_json_add_str(job, "account", spec->account);
    slurm_api_json_add_str(job, "partition", spec->partition);
    slurm_api_json_add_str(job, "qos", spec->qos);
    dp_add_resources(job, spec);
    slurm_api_json_add_str(job, "current_working_directory", spec->cwd);
    slurm_api_json_add_str(job, "standard_output", spec->stdout_path);
    slurm_api_json_add_str(job, "standard_error", spec->stderr_path);
    json_object_object_add(job, "environment", dp_environment(spec));
    json_object_object_add(job, "script", json_object_new_string(spec->script));

    json_object *root = json_object_new_object();
    json_object_object_add(root, "job", job);
    *json = slurm_api_json_text(root);
    json_object_put(root);
    return AIFB_OK;
}

aifb_code slurm_dp_parse_submit(const slurm_dp_version *v, const char *body, size_t len,
                                uint32_t *job_id, aifb_err *err)
{
    char what[48];
    snprintf(what, sizeof what, "%s submit reply", v->version);
    json_object *root;
    *job_id = 0;
    aifb_code rc = slurm_api_json_parse(what, body, len, &root, err);
    if (rc)
        return rc;
    bool found = slurm_api_json_job_id(root, "job_id", job_id);
    if (!found && v->submit_result_object)
        found = slurm_api_json_job_id(slurm_api_json_get(root, "result"), "job_id", job_id);
    /* A job id means the job exists, whatever else the reply says. */
    if (!found && !(rc = slurm_api_reply_errors(root, what, AIFB_EINVAL, err)))
        rc = aifb_err_set(err, AIFB_EINVAL, "%s has no job_id", what);
    json_object_put(root);
    return rc;
}

/* job_state: the base state decides, unless a flag says the job is still completing. */
static aifb_code dp_job_state(json_object *o, slurm_job_info *j, const char *what, aifb_err *err)
{
    json_object *st = slurm_api_json_get(o, "job_state");
    if (!st)
        return aifb_err_set(err, AIFB_EINVAL, "%s: job %u has no job_state", what, j->job_id);
    if (!json_object_is_type(st, json_type_array))
        return aifb_err_set(err, AIFB_EINVAL,
                            "%s: job %u: job_state must be an array of flags, not a JSON %s "
                            "(a reply of another data version?)",
                            what, j->job_id, json_type_to_name(json_object_get_type(st)));
    size_t n = json_object_array_length(st);
    if (n == 0)
        return aifb_err_set(err, AIFB_EINVAL, "%s: job %u has an empty job_state", what, j->job_id);
    slurm_job_state base = SLURM_JOB_UNKNOWN, first_flag = SLURM_JOB_UNKNOWN;
    bool have_base = false, ending = false;
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(st, i);
        if (!json_object_is_type(e, json_type_string))
            continue;
        bool is_base, completing;
        const char *name = json_object_get_string(e);
        slurm_job_state s = slurm_api_state_from_name(name, &is_base, &completing);
        j->completing |= completing;
        ending |= s == SLURM_JOB_COMPLETING;
        if (is_base && !have_base) {
            base = s;
            have_base = true;
        } else if (!is_base && first_flag == SLURM_JOB_UNKNOWN) {
            first_flag = s;
        }
    }
    j->state = ending ? SLURM_JOB_COMPLETING : have_base ? base : first_flag;
    return AIFB_OK;
}

/* The first status name of a process_exit_code_verbose ("" when none). */
static void dp_exit_status_name(json_object *ec, char *out, size_t outlen)
{
    json_object *status = slurm_api_json_get(ec, "status");
    out[0] = '\0';
    if (status && json_object_is_type(status, json_type_string))
        snprintf(out, outlen, "%s", json_object_get_string(status));
    else if (status && json_object_is_type(status, json_type_array) &&
             json_object_array_length(status) > 0 &&
             json_object_is_type(json_object_array_get_idx(status, 0), json_type_string))
        snprintf(out, outlen, "%s", json_object_get_string(json_object_array_get_idx(status, 0)));
}

/* Rebuilds the wait status Slurm decoded into process_exit_code_verbose. */
static void dp_job_exit(json_object *o, slurm_job_info *j)
{
    slurm_api_exit_clear(j);
    json_object *ec = slurm_api_json_get(o, "exit_code");
    int64_t code = 0, sig = 0;
    if (!slurm_api_state_has_exit(j->state) || !ec)
        return;
    if (!json_object_is_type(ec, json_type_object)) {
        if (slurm_api_json_number(ec, &code)) /* a raw status, as the parser also accepts */
            slurm_api_exit_from_wait(j, code);
        return;
    }
    char status[32];
    dp_exit_status_name(ec, status, sizeof status);
    bool has_code = slurm_api_json_number(slurm_api_json_get(ec, "return_code"), &code);
    json_object *signal = slurm_api_json_get(ec, "signal");
    bool has_sig =
        slurm_api_json_number(slurm_api_json_get(signal, "id"), &sig) && sig > 0 && sig < 0x7f;
    bool core = !strcasecmp(status, "CORE_DUMPED");
    if (core || !strcasecmp(status, "SIGNALED") || (!status[0] && has_sig)) {
        if (has_sig)
            slurm_api_exit_from_wait(j, sig | (core ? 0x80 : 0));
    } else if (!strcasecmp(status, "INVALID")) {
        if (has_code) /* Slurm leaves a status it cannot decode as it was */
            slurm_api_exit_from_wait(j, code);
    } else if (!strcasecmp(status, "SUCCESS") && !has_code) {
        slurm_api_exit_from_wait(j, 0);
    } else if (strcasecmp(status, "PENDING") != 0 && has_code && code >= 0 && code <= 0xff) {
        slurm_api_exit_from_wait(j, code << 8); /* SUCCESS, ERROR, or no status */
    }
}

static aifb_code dp_job(json_object *o, size_t idx, void *out, const char *what, aifb_err *err)
{
    slurm_job_info *j = out;
    if (!slurm_api_json_job_id(o, "job_id", &j->job_id))
        return aifb_err_set(err, AIFB_EINVAL, "%s: job %zu has no valid job_id", what, idx);
    aifb_code rc = dp_job_state(o, j, what, err);
    if (rc)
        return rc;
    slurm_api_json_str(o, "name", j->name, sizeof j->name);
    slurm_api_json_str(o, "comment", j->comment, sizeof j->comment);
    slurm_api_json_str(o, "state_reason", j->state_reason, sizeof j->state_reason);
    slurm_api_json_str(o, "nodes", j->nodes, sizeof j->nodes);
    slurm_api_json_str(o, "partition", j->partition, sizeof j->partition);
    j->submit_time = slurm_api_json_number_or(o, "submit_time", 0);
    j->start_time = slurm_api_json_number_or(o, "start_time", 0);
    j->end_time = slurm_api_json_number_or(o, "end_time", 0);
    dp_job_exit(o, j);
    return AIFB_OK;
}

aifb_code slurm_dp_parse_jobs(const slurm_dp_version *v, const char *body, size_t len,
                              slurm_job_info **jobs, size_t *n, aifb_err *err)
{
    char what[48];
    snprintf(what, sizeof what, "%s jobs reply", v->version);
    return slurm_api_parse_list(what, body, len, "jobs", sizeof **jobs, dp_job, (void **)jobs, n,
                                err);
}

static aifb_code dp_node(json_object *o, size_t idx, void *out, const char *what, aifb_err *err)
{
    slurm_node_info *nd = out;
    slurm_api_json_str(o, "name", nd->name, sizeof nd->name);
    if (!nd->name[0])
        return aifb_err_set(err, AIFB_EINVAL, "%s: node %zu has no name", what, idx);
    slurm_api_json_join(slurm_api_json_get(o, "state"), "+", true, nd->state, sizeof nd->state);
    nd->cpus = (int)slurm_api_json_number_or(o, "cpus", 0);
    nd->memory_mb = slurm_api_json_number_or(o, "real_memory", 0);
    slurm_api_json_str(o, "gres", nd->gres, sizeof nd->gres);
    slurm_api_json_join(slurm_api_json_get(o, "partitions"), ",", false, nd->partitions,
                        sizeof nd->partitions);
    return AIFB_OK;
}

aifb_code slurm_dp_parse_nodes(const slurm_dp_version *v, const char *body, size_t len,
                               slurm_node_info **nodes, size_t *n, aifb_err *err)
{
    char what[48];
    snprintf(what, sizeof what, "%s nodes reply", v->version);
    return slurm_api_parse_list(what, body, len, "nodes", sizeof **nodes, dp_node, (void **)nodes,
                                n, err);
}

static aifb_code dp_partition(json_object *o, size_t idx, void *out, const char *what,
                              aifb_err *err)
{
    slurm_partition_info *p = out;
    slurm_api_json_str(o, "name", p->name, sizeof p->name);
    if (!p->name[0])
        return aifb_err_set(err, AIFB_EINVAL, "%s: partition %zu has no name", what, idx);
    json_object *part = slurm_api_json_get(o, "partition");
    json_object *nodes = slurm_api_json_get(o, "nodes");
    slurm_api_json_join(slurm_api_json_get(part, "state"), "+", true, p->state, sizeof p->state);
    slurm_api_json_str(nodes, "configured", p->nodes, sizeof p->nodes);
    p->total_nodes = (int)slurm_api_json_number_or(nodes, "total", 0);
    p->total_cpus = (int)slurm_api_json_number_or(slurm_api_json_get(o, "cpus"), "total", 0);
    p->default_known = false;
    p->is_default = false;
    return AIFB_OK;
}

aifb_code slurm_dp_parse_partitions(const slurm_dp_version *v, const char *body, size_t len,
                                    slurm_partition_info **parts, size_t *n, aifb_err *err)
{
    char what[48];
    snprintf(what, sizeof what, "%s partitions reply", v->version);
    return slurm_api_parse_list(what, body, len, "partitions", sizeof **parts, dp_partition,
                                (void **)parts, n, err);
}
