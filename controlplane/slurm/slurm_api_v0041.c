/* slurm_api_v0041.c: data version v0.0.41 (Slurm 24.05 to 25.11), a data_parser version.
 *
 * Schemas (Slurm 24.05 rest_api documentation, data_parser/v0.0.41; the generator inlines most
 * objects under long names): v0.0.41_job_submit_req (top-level "script" deprecated),
 * v0.0.41_job_desc_msg, v0.0.41_openapi_job_submit_response with
 * v0_0_41_openapi_job_submit_response_result, v0.0.41_openapi_job_info_resp with
 * v0_0_41_openapi_job_info_resp_jobs_inner (exit_code: ..._jobs_inner_exit_code; numbers:
 * {set, infinite, number}), v0.0.41_openapi_nodes_resp, v0.0.41_openapi_partition_resp,
 * v0_0_41_openapi_slurmdbd_jobs_resp_errors_inner for errors.
 * The shapes themselves are shared with the other data_parser versions: slurm_api_dp.c. */
#include "slurm/slurm_api_internal.h"

static const slurm_dp_version v0041 = {
    .version = "v0.0.41",
    .submit_result_object = true,
};

static aifb_code v0041_submit_body(const slurm_job_spec *spec, char **json, aifb_err *err)
{
    return slurm_dp_submit_body(&v0041, spec, json, err);
}

static aifb_code v0041_parse_submit(const char *body, size_t len, uint32_t *job_id, aifb_err *err)
{
    return slurm_dp_parse_submit(&v0041, body, len, job_id, err);
}

static aifb_code v0041_parse_jobs(const char *body, size_t len, slurm_job_info **jobs, size_t *n,
                                  aifb_err *err)
{
    return slurm_dp_parse_jobs(&v0041, body, len, jobs, n, err);
}

static aifb_code v0041_parse_nodes(const char *body, size_t len, slurm_node_info **nodes, size_t *n,
                                   aifb_err *err)
{
    return slurm_dp_parse_nodes(&v0041, body, len, nodes, n, err);
}

static aifb_code v0041_parse_partitions(const char *body, size_t len, slurm_partition_info **parts,
                                        size_t *n, aifb_err *err)
{
    return slurm_dp_parse_partitions(&v0041, body, len, parts, n, err);
}

const slurm_api slurm_api_v0041 = {
    .version = "v0.0.41",
    .releases = "24.05 to 25.11",
    .submit_body = v0041_submit_body,
    .parse_submit = v0041_parse_submit,
    .parse_jobs = v0041_parse_jobs,
    .parse_nodes = v0041_parse_nodes,
    .parse_partitions = v0041_parse_partitions,
};
