/* slurm_api_v0038.c: data version v0.0.38 (Slurm 22.05 to 23.11, plugin openapi/v0.0.38).
 *
 * Shapes from that plugin's OpenAPI specification (schemas v0.0.38_job_submission,
 * v0.0.38_job_properties, v0.0.38_job_submission_response, v0.0.38_jobs_response,
 * v0.0.38_job_response_properties, v0.0.38_nodes_response, v0.0.38_node,
 * v0.0.38_partitions_response, v0.0.38_partition, v0.0.38_error) and from what its handlers
 * write:
 *   - submit: {"job": {...}, "script": "..."}; the job's fields go through sbatch's option
 *     parser, so time_limit is minutes, memory_per_node megabytes, gres "gpu:N"; environment is
 *     an object.
 *   - numbers are plain integers; job_state is one string, which names a flag (COMPLETING,
 *     CONFIGURING, ...) instead of the base state while the flag is set; exit_code is the raw
 *     wait status (768 = exit 3, 15 = SIGTERM).
 *   - node state is a lower-case base state ("idle") with the flags in state_flags; a
 *     partition's flags include "default". */
#include <stdio.h>
#include <string.h>

#include "slurm/slurm_api_internal.h"

#define V0038 "v0.0.38"

static json_object *v0038_environment(const slurm_job_spec *spec)
{
    json_object *env = json_object_new_object();
    if (spec->nenv == 0)
        json_object_object_add(env, "PATH", json_object_new_string(SLURM_API_DEFAULT_PATH));
    for (size_t i = 0; i < spec->nenv; i++)
        json_object_object_add(env, spec->env[i].name, json_object_new_string(spec->env[i].value));
    return env;
}

static aifb_code v0038_submit_body(const slurm_job_spec *spec, char **json, aifb_err *err)
{
    *json = NULL;
    aifb_code rc = slurm_api_spec_check(spec, V0038, err);
    if (rc)
        return rc;
    json_object *job = json_object_new_object();
    slurm_api_json_add_str(job, "name", spec->name);
    slurm_api_json_add_str(job, "comment", spec->comment);
    slurm_api_json_add_str(job, "account", spec->account);
    slurm_api_json_add_str(job, "partition", spec->partition);
    slurm_api_json_add_str(job, "qos", spec->qos);
    slurm_api_json_add_int(job, "time_limit", spec->time_limit_min);
    slurm_api_json_add_int(job, "nodes", spec->nodes);
    slurm_api_json_add_int(job, "tasks", spec->tasks);
    slurm_api_json_add_int(job, "cpus_per_task", spec->cpus_per_task);
    slurm_api_json_add_int(job, "memory_per_node", spec->memory_mb);
    if (spec->gpus > 0) {
        char gres[32];
        snprintf(gres, sizeof gres, "gpu:%d", spec->gpus);
        json_object_object_add(job, "gres", json_object_new_string(gres));
    }
    slurm_api_json_add_str(job, "current_working_directory", spec->cwd);
    slurm_api_json_add_str(job, "standard_output", spec->stdout_path);
    slurm_api_json_add_str(job, "standard_error", spec->stderr_path);
    json_object_object_add(job, "environment", v0038_environment(spec));

    json_object *root = json_object_new_object();
    json_object_object_add(root, "job", job);
    json_object_object_add(root, "script", json_object_new_string(spec->script));
    *json = slurm_api_json_text(root);
    json_object_put(root);
    return AIFB_OK;
}

static aifb_code v0038_parse_submit(const char *body, size_t len, uint32_t *job_id, aifb_err *err)
{
    static const char what[] = V0038 " submit reply";
    json_object *root;
    *job_id = 0;
    aifb_code rc = slurm_api_json_parse(what, body, len, &root, err);
    if (rc)
        return rc;
    /* A job id means the job exists, whatever else the reply says: forgetting it would leave
     * a job nobody tracks. */
    if (!slurm_api_json_job_id(root, "job_id", job_id) &&
        !(rc = slurm_api_reply_errors(root, what, AIFB_EINVAL, err)))
        rc = aifb_err_set(err, AIFB_EINVAL, "%s has no job_id", what);
    json_object_put(root);
    return rc;
}

static void v0038_job_exit(json_object *o, slurm_job_info *j)
{
    int64_t raw;
    slurm_api_exit_clear(j);
    if (slurm_api_state_has_exit(j->state) &&
        slurm_api_json_number(slurm_api_json_get(o, "exit_code"), &raw))
        slurm_api_exit_from_wait(j, raw);
}

static aifb_code v0038_job(json_object *o, size_t idx, void *out, const char *what, aifb_err *err)
{
    slurm_job_info *j = out;
    if (!slurm_api_json_job_id(o, "job_id", &j->job_id))
        return aifb_err_set(err, AIFB_EINVAL, "%s: job %zu has no valid job_id", what, idx);
    json_object *st = slurm_api_json_get(o, "job_state");
    if (!st || !json_object_is_type(st, json_type_string))
        return aifb_err_set(err, AIFB_EINVAL, "%s: job %u has no job_state string", what,
                            j->job_id);
    bool is_base;
    j->state = slurm_api_state_from_name(json_object_get_string(st), &is_base, &j->completing);
    slurm_api_json_str(o, "name", j->name, sizeof j->name);
    slurm_api_json_str(o, "comment", j->comment, sizeof j->comment);
    slurm_api_json_str(o, "state_reason", j->state_reason, sizeof j->state_reason);
    slurm_api_json_str(o, "nodes", j->nodes, sizeof j->nodes);
    slurm_api_json_str(o, "partition", j->partition, sizeof j->partition);
    j->submit_time = slurm_api_json_number_or(o, "submit_time", 0);
    j->start_time = slurm_api_json_number_or(o, "start_time", 0);
    j->end_time = slurm_api_json_number_or(o, "end_time", 0);
    v0038_job_exit(o, j);
    return AIFB_OK;
}

static aifb_code v0038_parse_jobs(const char *body, size_t len, slurm_job_info **jobs, size_t *n,
                                  aifb_err *err)
{
    return slurm_api_parse_list(V0038 " jobs reply", body, len, "jobs", sizeof **jobs, v0038_job,
                                (void **)jobs, n, err);
}

static aifb_code v0038_node(json_object *o, size_t idx, void *out, const char *what, aifb_err *err)
{
    slurm_node_info *nd = out;
    slurm_api_json_str(o, "name", nd->name, sizeof nd->name);
    if (!nd->name[0])
        return aifb_err_set(err, AIFB_EINVAL, "%s: node %zu has no name", what, idx);
    char base[32], flags[sizeof nd->state];
    slurm_api_json_str(o, "state", base, sizeof base);
    slurm_api_json_join(slurm_api_json_get(o, "state_flags"), "+", true, flags, sizeof flags);
    size_t used = strlen(base);
    memcpy(nd->state, base, used + 1);
    if (flags[0] && used + 2 < sizeof nd->state) {
        if (used)
            nd->state[used++] = '+';
        snprintf(nd->state + used, sizeof nd->state - used, "%.*s",
                 (int)(sizeof nd->state - used - 1), flags);
    }
    for (char *p = nd->state; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    nd->cpus = (int)slurm_api_json_number_or(o, "cpus", 0);
    nd->memory_mb = slurm_api_json_number_or(o, "real_memory", 0);
    slurm_api_json_str(o, "gres", nd->gres, sizeof nd->gres);
    slurm_api_json_join(slurm_api_json_get(o, "partitions"), ",", false, nd->partitions,
                        sizeof nd->partitions);
    return AIFB_OK;
}

static aifb_code v0038_parse_nodes(const char *body, size_t len, slurm_node_info **nodes, size_t *n,
                                   aifb_err *err)
{
    return slurm_api_parse_list(V0038 " nodes reply", body, len, "nodes", sizeof **nodes,
                                v0038_node, (void **)nodes, n, err);
}

static bool has_flag(json_object *flags, const char *flag)
{
    if (!flags || !json_object_is_type(flags, json_type_array))
        return false;
    for (size_t i = 0; i < json_object_array_length(flags); i++) {
        json_object *f = json_object_array_get_idx(flags, i);
        if (json_object_is_type(f, json_type_string) &&
            strcmp(json_object_get_string(f), flag) == 0)
            return true;
    }
    return false;
}

static aifb_code v0038_partition(json_object *o, size_t idx, void *out, const char *what,
                                 aifb_err *err)
{
    slurm_partition_info *p = out;
    slurm_api_json_str(o, "name", p->name, sizeof p->name);
    if (!p->name[0])
        return aifb_err_set(err, AIFB_EINVAL, "%s: partition %zu has no name", what, idx);
    slurm_api_json_str(o, "state", p->state, sizeof p->state);
    slurm_api_json_str(o, "nodes", p->nodes, sizeof p->nodes);
    p->total_nodes = (int)slurm_api_json_number_or(o, "total_nodes", 0);
    p->total_cpus = (int)slurm_api_json_number_or(o, "total_cpus", 0);
    p->default_known = true;
    p->is_default = has_flag(slurm_api_json_get(o, "flags"), "default");
    return AIFB_OK;
}

static aifb_code v0038_parse_partitions(const char *body, size_t len, slurm_partition_info **parts,
                                        size_t *n, aifb_err *err)
{
    return slurm_api_parse_list(V0038 " partitions reply", body, len, "partitions", sizeof **parts,
                                v0038_partition, (void **)parts, n, err);
}

const slurm_api slurm_api_v0038 = {
    .version = V0038,
    .releases = "22.05 to 23.11",
    .submit_body = v0038_submit_body,
    .parse_submit = v0038_parse_submit,
    .parse_jobs = v0038_parse_jobs,
    .parse_nodes = v0038_parse_nodes,
    .parse_partitions = v0038_parse_partitions,
};
