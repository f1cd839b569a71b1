/* slurm_api_v0042.c: data version v0.0.42 (Slurm 24.11 and later), a data_parser version.
 *
 * Schemas (Slurm 24.11 rest_api documentation, data_parser/v0.0.42): v0.0.42_job_submit_req,
 * v0.0.42_job_desc_msg, v0.0.42_openapi_job_submit_response (job_id only at the top: the
 * "result" object of v0.0.40 and v0.0.41 is gone), v0.0.42_openapi_job_info_resp,
 * v0.0.42_job_info, v0.0.42_process_exit_code_verbose, v0.0.42_uint32_no_val_struct /
 * _uint64_no_val_struct, v0.0.42_node, v0.0.42_partition_info, v0.0.42_openapi_error.
 * The shapes themselves are shared with the other data_parser versions: slurm_api_dp.c. */
#include "slurm/slurm_api_internal.h"

static const slurm_dp_version v0042 = {
    .version = "v0.0.42",
    .submit_result_object = false,
};

static aifb_code v0042_submit_body(const slurm_job_spec *spec, char **json, aifb_err *err)
{
    return slurm_dp_submit_body(&v0042, spec, json, err);
}

static aifb_code v0042_parse_submit(const char *body, size_t len, uint32_t *job_id, aifb_err *err)
{
    return slurm_dp_parse_submit(&v0042, body, len, job_id, err);
}

static aifb_code v0042_parse_jobs(const char *body, size_t len, slurm_job_info **jobs, size_t *n,
                                  aifb_err *err)
{
    return slurm_dp_parse_jobs(&v0042, body, len, jobs, n, err);
}

static aifb_code v0042_parse_nodes(const char *body, size_t len, slurm_node_info **nodes, size_t *n,
                                   aifb_err *err)
{
    return slurm_dp_parse_nodes(&v0042, body, len, nodes, n, err);
}

static aifb_code v0042_parse_partitions(const char *body, size_t len, slurm_partition_info **parts,
                                        size_t *n, aifb_err *err)
{
    return slurm_dp_parse_partitions(&v0042, body, len, parts, n, err);
}

const slurm_api slurm_api_v0042 = {
    .version = "v0.0.42",
    .releases = "24.11 to 25.11",
    .submit_body = v0042_submit_body,
    .parse_submit = v0042_parse_submit,
    .parse_jobs = v0042_parse_jobs,
    .parse_nodes = v0042_parse_nodes,
    .parse_partitions = v0042_parse_partitions,
};
