/* fuzz_slurm_api.c: libFuzzer target for the slurmrestd reply parsers. A reply is whatever a
 * server (or something in its place) sent: every version's parsers, the errors reader, release
 * reader and version detection must take any bytes, refuse what they cannot read, and never read
 * outside the input. */
#include <stdint.h>
#include <stdlib.h>

#include "slurm/slurm_api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const versions[] = {"v0.0.38", "v0.0.40", "v0.0.41", "v0.0.42"};
    const char *body = (const char *)data;
    for (size_t v = 0; v < sizeof versions / sizeof versions[0]; v++) {
        const slurm_api *api = slurm_api_get(versions[v]);
        uint32_t id;
        api->parse_submit(body, size, &id, NULL);
        slurm_job_info *jobs = NULL;
        size_t n = 0;
        if (!api->parse_jobs(body, size, &jobs, &n, NULL))
            free(jobs);
        slurm_node_info *nodes = NULL;
        if (!api->parse_nodes(body, size, &nodes, &n, NULL))
            free(nodes);
        slurm_partition_info *parts = NULL;
        if (!api->parse_partitions(body, size, &parts, &n, NULL))
            free(parts);
    }
    char msg[512];
    slurm_api_errors(body, size, msg, sizeof msg);
    slurm_api_release(body, size, msg, sizeof msg);
    const slurm_api *detected;
    slurm_api_detect(body, size, &detected, NULL);
    return 0;
}
