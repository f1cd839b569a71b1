/* test_slurm_rest_listing.c: the slurmrestd backend's job listing against the stand-in server
 * (test_slurm_rest_server.h): the first listing is a full GET jobs; the next ask only for what
 * changed since the previous one (update_time, less a margin for the clocks), and slurmrestd's
 * 304 "nothing changed" keeps the previous jobs; only jobs whose comment starts "aifb:" count. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "slurm/exec_slurm.h"
#include "test_slurm_rest_server.h"

TestSuite(slurm_rest_listing, .init = t_start_unix, .fini = t_stop_unix, .timeout = 30);

static const char JOBS[] =
    "{\"meta\":{},\"errors\":[],\"jobs\":["
    "{\"job_id\":41,\"job_state\":\"RUNNING\",\"comment\":\"aifb:r-0123456789ab:service\","
    "\"name\":\"aifb-r-0123456789ab-service\",\"exit_code\":0},"
    "{\"job_id\":42,\"job_state\":\"PENDING\",\"comment\":\"aifb:r-0123456789ab:client\","
    "\"name\":\"aifb-r-0123456789ab-client\",\"exit_code\":0},"
    "{\"job_id\":43,\"job_state\":\"RUNNING\",\"comment\":\"someone else's\","
    "\"name\":\"wrap\",\"exit_code\":0}]}";

static exec_slurm_backend *backend(void)
{
    slurm_rest_config cfg = {.url = t_url, .version = "v0.0.38"};
    exec_slurm_backend *b = NULL;
    aifb_err err = {0};
    cr_assert_eq(exec_slurm_rest_new(&cfg, &b, &err), AIFB_OK, "%s", err.msg);
    return b;
}

static size_t list(exec_slurm_backend *b)
{
    exec_slurm_job *jobs = NULL;
    size_t n = 0;
    aifb_err err = {0};
    cr_assert_eq(b->ops->list_jobs(b, &jobs, &n, &err), AIFB_OK, "%s", err.msg);
    for (size_t i = 0; i < n; i++)
        cr_assert(!strncmp(jobs[i].comment, "aifb:", 5), "only aifb's jobs: %s", jobs[i].comment);
    free(jobs);
    return n;
}

Test(slurm_rest_listing, after_a_full_listing_only_changes_are_asked_for_and_304_keeps_the_jobs)
{
    t_reply(200, JOBS);
    t_reply(304, "");
    exec_slurm_backend *b = backend();
    cr_assert_eq(list(b), 2);
    int64_t before = (int64_t)time(NULL);
    cr_assert_eq(list(b), 2, "nothing changed: the previous listing stands");
    char req[8192];
    t_request(0, req, sizeof req);
    cr_assert(strncmp(req, "GET /slurm/v0.0.38/jobs HTTP/1.1\r\n", 34) == 0, "%s", req);
    t_request(1, req, sizeof req);
    const char *q = strstr(req, "GET /slurm/v0.0.38/jobs?update_time=");
    cr_assert_not_null(q, "%s", req);
    long long since = strtoll(q + strlen("GET /slurm/v0.0.38/jobs?update_time="), NULL, 10);
    cr_assert(since <= before - 10 && since > before - 20,
              "update_time %lld is the last listing less a margin for the clocks", since);
    b->ops->free(b);
}

Test(slurm_rest_listing, a_change_since_brings_the_new_full_list)
{
    t_reply(200, JOBS);
    t_reply(200, "{\"meta\":{},\"errors\":[],\"jobs\":["
                 "{\"job_id\":41,\"job_state\":\"COMPLETED\",\"comment\":\"aifb:r-0123456789ab:"
                 "service\",\"name\":\"x\",\"exit_code\":0}]}");
    exec_slurm_backend *b = backend();
    cr_assert_eq(list(b), 2);
    cr_assert_eq(list(b), 1, "the changed listing replaces the previous one");
    b->ops->free(b);
}
