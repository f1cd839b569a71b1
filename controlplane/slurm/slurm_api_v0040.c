/* slurm_api_v0040.c: data version v0.0.40 (Slurm 23.11 to 25.05), a data_parser version.
 *
 * Schemas (Slurm 23.11 rest_api documentation, data_parser/v0.0.40): v0.0.40_job_submit_req,
 * v0.0.40_job_desc_msg, v0.0.40_openapi_job_submit_response (job_id at the top and again in
 * result, a v0.0.40_job_submit_response_msg), v0.0.40_openapi_job_info_resp, v0.0.40_job_info,
 * v0.0.40_process_exit_code_verbose, v0.0.40_uint32_no_val / _uint64_no_val,
 * v0.0.40_openapi_nodes_resp, v0.0.40_node, v0.0.40_openapi_partition_resp,
 * v0.0.40_partition_info, v0.0.40_openapi_error. The top-level "script" of a submission is
 * still accepted here but the job's own "script" is what later versions keep, so aifb sends that.
 * The shapes themselves are shared with the other data_parser versions: slurm_api_dp.c. */
#include "slurm/slurm_api_internal.h"

static const slurm_dp_version v0040 = {
    .version = "v0.0.40",
    .submit_result_object = true,
};

static aifb_code v0040_submit_body(const slurm_job_spec *spec, char **json, aifb_err *err)
{
    return slurm_dp_submit_body(&v0040, spec, json, err);
}

static aifb_code v0040_parse_submit(const char *body, size_t len, uint32_t *job_id, aifb_err *err)
{
    return slurm_dp_parse_submit(&v0040, body, len, job_id, err);
}

static aifb_code v0040_parse_jobs(const char *body, size_t len, slurm_job_info **jobs, size_t *n,
                                  aifb_err *err)
{
    return slurm_dp_parse_jobs(&v0040, body, len, jobs, n, err);
}

static aifb_code v0040_parse_nodes(const char *body, size_t len, slurm_node_info **nodes, size_t *n,
                                   aifb_err *err)
{
    return slurm_dp_parse_nodes(&v0040, body, len, nodes, n, err);
}

static aifb_code v0040_parse_partitions(const char *body, size_t len, slurm_partition_info **parts,
                                        size_t *n, aifb_err *err)
{
    return slurm_dp_parse_partitions(&v0040, body, len, parts, n, err);
}

const slurm_api slurm_api_v0040 = {
    .version = "v0.0.40",
    .releases = "23.11 to 25.05",
    .submit_body = v0040_submit_body,
    .parse_submit = v0040_parse_submit,
    .parse_jobs = v0040_parse_jobs,
    .parse_nodes = v0040_parse_nodes,
    .parse_partitions = v0040_parse_partitions,
};
