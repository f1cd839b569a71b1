/* test_slurm_api_replies.c: slurmrestd replies of every data version (tests/unit/fixtures/slurm/,
 * written from each version's OpenAPI schema) decoded into the records aifb uses: the same jobs
 * in every state give the same slurm_job_info whatever the version; submit replies give the job
 * id or Slurm's own refusal; malformed replies are refused naming what is wrong. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "slurm/slurm_api.h"

static const char *const all_versions[] = {"v0.0.38", "v0.0.40", "v0.0.41", "v0.0.42"};
static const char *const dp_versions[] = {"v0.0.40", "v0.0.41", "v0.0.42"};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define T0       1767225600

/* The reply's bytes in a buffer of exactly their length (no NUL after them), so a parser that
 * reads past the end is caught by AddressSanitizer. */
static char *fixture(const char *version, const char *name, size_t *len)
{
    char path[1024], *text;
    snprintf(path, sizeof path, "%s/tests/unit/fixtures/slurm/%s/%s", AIFB_SOURCE_DIR, version,
             name);
    aifb_err err = {0};
    cr_assert_eq(aifb_read_file(path, 1 << 22, &text, len, &err), AIFB_OK, "%s", err.msg);
    char *exact = malloc(*len);
    memcpy(exact, text, *len);
    free(text);
    return exact;
}

static const slurm_api *api_of(const char *version)
{
    const slurm_api *api = slurm_api_get(version);
    cr_assert_not_null(api, "%s is supported", version);
    return api;
}

typedef struct expected_job {
    uint32_t id;
    const char *suffix;
    slurm_job_state state;
    bool completing;
    const char *reason;
    bool has_exit;
    int exit_status, exit_signal, raw;
    int64_t submit, start, end;
    const char *nodes;
} expected_job;

/* The jobs of every jobs.json (see the fixtures' README). */
static const expected_job expected_jobs[] = {
    {1001, "pending", SLURM_JOB_PENDING, false, "Priority", false, -1, -1, -1, T0, 0, 0, ""},
    {1002, "running", SLURM_JOB_RUNNING, false, "None", false, -1, -1, -1, T0 + 1, T0 + 5,
     T0 + 3605, "node01"},
    {1003, "completing", SLURM_JOB_COMPLETING, true, "None", true, 0, -1, 0, T0 + 2, T0 + 6,
     T0 + 66, "node01"},
    {1004, "completed", SLURM_JOB_COMPLETED, false, "None", true, 0, -1, 0, T0 + 3, T0 + 7, T0 + 67,
     "node01"},
    {1005, "failed", SLURM_JOB_FAILED, false, "NonZeroExitCode", true, 3, -1, 768, T0 + 4, T0 + 8,
     T0 + 9, "node01"},
    {1006, "cancelled", SLURM_JOB_CANCELLED, false, "None", true, -1, 15, 15, T0 + 5, T0 + 9,
     T0 + 30, "node01"},
    {1007, "timeout", SLURM_JOB_TIMEOUT, false, "TimeLimit", true, -1, 15, 15, T0 + 6, T0 + 10,
     T0 + 70, "node01"},
    {1008, "nodefail", SLURM_JOB_NODE_FAIL, false, "NodeDown", true, -1, 9, 9, T0 + 7, T0 + 11,
     T0 + 40, "node02"},
    {1009, "oom", SLURM_JOB_OUT_OF_MEMORY, false, "OutOfMemory", true, -1, 9, 9, T0 + 8, T0 + 12,
     T0 + 50, "node02"},
    {1010, "preempted", SLURM_JOB_PREEMPTED, false, "None", true, -1, 15, 15, T0 + 9, T0 + 13,
     T0 + 60, "node02"},
};

static void parse_jobs_fixture(const char *version, slurm_job_info **jobs, size_t *n)
{
    size_t len;
    char *body = fixture(version, "jobs.json", &len);
    aifb_err err = {0};
    cr_assert_eq(api_of(version)->parse_jobs(body, len, jobs, n, &err), AIFB_OK, "%s: %s", version,
                 err.msg);
    free(body);
}

static void assert_job(const char *v, const slurm_job_info *j, const expected_job *e)
{
    char name[64], comment[64];
    snprintf(name, sizeof name, "aifb-r-00000000%04u-%s", e->id - 1000, e->suffix);
    snprintf(comment, sizeof comment, "aifb run r-00000000%04u", e->id - 1000);
    cr_assert_eq(j->job_id, e->id, "%s job_id", v);
    cr_assert_str_eq(j->name, name, "%s name of %u", v, e->id);
    cr_assert_str_eq(j->comment, comment, "%s comment of %u", v, e->id);
    cr_assert_eq(j->state, e->state, "%s job %u is %s, not %s", v, e->id,
                 slurm_job_state_name(e->state), slurm_job_state_name(j->state));
    cr_assert_eq(j->completing, e->completing, "%s completing flag of %u", v, e->id);
    cr_assert_str_eq(j->state_reason, e->reason, "%s reason of %u", v, e->id);
    cr_assert_eq(j->has_exit, e->has_exit, "%s has_exit of %u", v, e->id);
    cr_assert_eq(j->exit_status, e->exit_status, "%s exit_status of %u", v, e->id);
    cr_assert_eq(j->exit_signal, e->exit_signal, "%s exit_signal of %u", v, e->id);
    cr_assert_eq(j->raw_wait_status, e->raw, "%s raw wait status of %u", v, e->id);
    cr_assert_eq(j->submit_time, e->submit, "%s submit_time of %u", v, e->id);
    cr_assert_eq(j->start_time, e->start, "%s start_time of %u", v, e->id);
    cr_assert_eq(j->end_time, e->end, "%s end_time of %u", v, e->id);
    cr_assert_str_eq(j->nodes, e->nodes, "%s nodes of %u", v, e->id);
    cr_assert_str_eq(j->partition, "batch", "%s partition of %u", v, e->id);
}

Test(slurm_api_replies, jobs_in_every_state_decode_to_the_expected_record_in_every_version)
{
    for (size_t v = 0; v < COUNT(all_versions); v++) {
        slurm_job_info *jobs;
        size_t n;
        parse_jobs_fixture(all_versions[v], &jobs, &n);
        cr_assert_eq(n, COUNT(expected_jobs), "%s: every job", all_versions[v]);
        for (size_t i = 0; i < n; i++)
            assert_job(all_versions[v], &jobs[i], &expected_jobs[i]);
        free(jobs);
    }
}

Test(slurm_api_replies, every_version_gives_byte_identical_job_records)
{
    slurm_job_info *first, *other;
    size_t n1, n2;
    parse_jobs_fixture(all_versions[0], &first, &n1);
    for (size_t v = 1; v < COUNT(all_versions); v++) {
        parse_jobs_fixture(all_versions[v], &other, &n2);
        cr_assert_eq(n1, n2);
        for (size_t i = 0; i < n1; i++)
            cr_assert_eq(memcmp(&first[i], &other[i], sizeof first[i]), 0,
                         "job %u of %s equals that of %s", first[i].job_id, all_versions[v],
                         all_versions[0]);
        free(other);
    }
    free(first);
}

Test(slurm_api_replies, a_submit_reply_gives_the_new_job_id)
{
    for (size_t v = 0; v < COUNT(all_versions); v++) {
        size_t len;
        char *body = fixture(all_versions[v], "submit-ok.json", &len);
        uint32_t id = 0;
        aifb_err err = {0};
        cr_assert_eq(api_of(all_versions[v])->parse_submit(body, len, &id, &err), AIFB_OK, "%s: %s",
                     all_versions[v], err.msg);
        cr_assert_eq(id, 1011, "%s job id", all_versions[v]);
        char msg[256];
        cr_assert(!slurm_api_errors(body, len, msg, sizeof msg), "no errors in %s", msg);
        cr_assert_str_empty(msg);
        free(body);
    }
}

Test(slurm_api_replies, v0040_and_v0041_job_id_is_also_read_from_the_result_object)
{
    static const char body[] = "{\"result\":{\"job_id\":77,\"step_id\":\"batch\"},\"errors\":[]}";
    for (size_t v = 0; v < 2; v++) {
        uint32_t id = 0;
        aifb_err err = {0};
        cr_assert_eq(api_of(dp_versions[v])->parse_submit(body, strlen(body), &id, &err), AIFB_OK,
                     "%s: %s", dp_versions[v], err.msg);
        cr_assert_eq(id, 77);
    }
    uint32_t id = 0;
    aifb_err err = {0};
    cr_assert_eq(api_of("v0.0.42")->parse_submit(body, strlen(body), &id, &err), AIFB_EINVAL,
                 "v0.0.42 has no result object");
    cr_assert(strstr(err.msg, "v0.0.42 submit reply has no job_id"), "%s", err.msg);
}

Test(slurm_api_replies, a_refused_submission_fails_with_slurms_own_message)
{
    for (size_t v = 0; v < COUNT(all_versions); v++) {
        size_t len;
        char *body = fixture(all_versions[v], "submit-refused.json", &len);
        uint32_t id = 5;
        aifb_err err = {0};
        cr_assert_eq(api_of(all_versions[v])->parse_submit(body, len, &id, &err), AIFB_EINVAL);
        cr_assert_eq(id, 0);
        cr_assert(strstr(err.msg, all_versions[v]), "names the version: %s", err.msg);
        cr_assert(strstr(err.msg, "Invalid partition name specified (error 2000)"), "%s", err.msg);
        char msg[256];
        cr_assert(slurm_api_errors(body, len, msg, sizeof msg));
        cr_assert_str_eq(msg, v == 0 ? "slurmrestd: Invalid partition name specified (error 2000)"
                                     : "slurmrestd: Job submission failed: Invalid partition "
                                       "name specified (error 2000)");
        free(body);
    }
}

Test(slurm_api_replies, an_unknown_job_is_not_found_with_slurms_message)
{
    for (size_t v = 0; v < COUNT(all_versions); v++) {
        size_t len;
        char *body = fixture(all_versions[v], "job-not-found.json", &len);
        slurm_job_info *jobs = (slurm_job_info *)&len;
        size_t n = 9;
        aifb_err err = {0};
        cr_assert_eq(api_of(all_versions[v])->parse_jobs(body, len, &jobs, &n, &err),
                     AIFB_ENOTFOUND, "%s", all_versions[v]);
        cr_assert_null(jobs);
        cr_assert_eq(n, 0);
        cr_assert(strstr(err.msg, "Invalid job id specified (error 2017)"), "%s", err.msg);
        free(body);
    }
}

Test(slurm_api_replies, several_errors_are_joined_into_one_sentence)
{
    static const char body[] =
        "{\"errors\":[{\"error\":\"Invalid job id specified\",\"error_number\":2017},"
        "{\"description\":\"Unable to query JobId=99\"},{}]}";
    char msg[256];
    cr_assert(slurm_api_errors(body, strlen(body), msg, sizeof msg));
    cr_assert_str_eq(msg, "slurmrestd: Invalid job id specified (error 2017); Unable to query "
                          "JobId=99; unknown error");
    cr_assert(!slurm_api_errors("not json", 8, msg, sizeof msg));
    cr_assert(!slurm_api_errors("{\"errors\":[]}", 13, msg, sizeof msg));
}

/* One job list with a single job object, for the strictness tests. */
static aifb_code parse_one(const char *version, const char *job, aifb_err *err, slurm_job_info *out)
{
    char body[1024];
    snprintf(body, sizeof body, "{\"jobs\":[%s],\"errors\":[]}", job);
    slurm_job_info *jobs = NULL;
    size_t n = 0;
    aifb_code rc = api_of(version)->parse_jobs(body, strlen(body), &jobs, &n, err);
    if (rc == AIFB_OK) {
        cr_assert_eq(n, 1);
        if (out)
            *out = jobs[0];
    } else {
        cr_assert_null(jobs, "no records on failure");
    }
    free(jobs);
    return rc;
}

Test(slurm_api_replies, a_job_without_id_or_state_is_refused_naming_the_version_and_field)
{
    for (size_t v = 0; v < COUNT(all_versions); v++) {
        const char *state = v == 0 ? "\"RUNNING\"" : "[\"RUNNING\"]";
        char job[256];
        aifb_err err = {0};
        snprintf(job, sizeof job, "{\"name\":\"x\",\"job_state\":%s}", state);
        cr_assert_eq(parse_one(all_versions[v], job, &err, NULL), AIFB_EINVAL);
        cr_assert(strstr(err.msg, all_versions[v]) && strstr(err.msg, "job_id"), "%s", err.msg);
        snprintf(job, sizeof job, "{\"job_id\":0,\"job_state\":%s}", state);
        cr_assert_eq(parse_one(all_versions[v], job, &err, NULL), AIFB_EINVAL, "job id 0");
        cr_assert_eq(parse_one(all_versions[v], "{\"job_id\":42}", &err, NULL), AIFB_EINVAL);
        cr_assert(strstr(err.msg, all_versions[v]) && strstr(err.msg, "job 42") &&
                      strstr(err.msg, "job_state"),
                  "%s", err.msg);
    }
}

Test(slurm_api_replies, a_job_state_in_another_versions_shape_is_refused)
{
    aifb_err err = {0};
    cr_assert_eq(parse_one("v0.0.38", "{\"job_id\":7,\"job_state\":[\"RUNNING\"]}", &err, NULL),
                 AIFB_EINVAL);
    cr_assert(strstr(err.msg, "job 7 has no job_state string"), "%s", err.msg);
    for (size_t v = 0; v < COUNT(dp_versions); v++) {
        cr_assert_eq(
            parse_one(dp_versions[v], "{\"job_id\":7,\"job_state\":\"RUNNING\"}", &err, NULL),
            AIFB_EINVAL);
        cr_assert(strstr(err.msg, "must be an array of flags, not a JSON string"), "%s", err.msg);
        cr_assert_eq(parse_one(dp_versions[v], "{\"job_id\":7,\"job_state\":[]}", &err, NULL),
                     AIFB_EINVAL);
        cr_assert(strstr(err.msg, "empty job_state"), "%s", err.msg);
    }
}

Test(slurm_api_replies, state_flags_map_to_what_the_job_is_doing)
{
    slurm_job_info j;
    aifb_err err = {0};
    cr_assert_eq(parse_one("v0.0.38", "{\"job_id\":7,\"job_state\":\"CONFIGURING\"}", &err, &j),
                 AIFB_OK);
    cr_assert_eq(j.state, SLURM_JOB_RUNNING);
    cr_assert_eq(parse_one("v0.0.38", "{\"job_id\":7,\"job_state\":\"REQUEUE_HOLD\"}", &err, &j),
                 AIFB_OK);
    cr_assert_eq(j.state, SLURM_JOB_PENDING);
    cr_assert_eq(parse_one("v0.0.38", "{\"job_id\":7,\"job_state\":\"SOMETHING_NEW\"}", &err, &j),
                 AIFB_OK);
    cr_assert_eq(j.state, SLURM_JOB_UNKNOWN);
    cr_assert_eq(
        parse_one("v0.0.42", "{\"job_id\":7,\"job_state\":[\"PENDING\",\"REQUEUED\"]}", &err, &j),
        AIFB_OK);
    cr_assert_eq(j.state, SLURM_JOB_PENDING);
    cr_assert_eq(parse_one("v0.0.42", "{\"job_id\":7,\"job_state\":[\"CONFIGURING\"]}", &err, &j),
                 AIFB_OK);
    cr_assert_eq(j.state, SLURM_JOB_RUNNING, "a flag alone stands for its state");
    cr_assert_eq(
        parse_one("v0.0.41", "{\"job_id\":7,\"job_state\":[\"FAILED\",\"STAGE_OUT\"]}", &err, &j),
        AIFB_OK);
    cr_assert_eq(j.state, SLURM_JOB_COMPLETING, "stage-out is not the end yet");
    cr_assert(!j.completing, "only COMPLETING sets the flag");
}

Test(slurm_api_replies, numbers_are_read_in_every_encoding_slurm_uses)
{
    static const char job[] =
        "{\"job_id\":{\"set\":true,\"infinite\":false,\"number\":8},\"job_state\":[\"TIMEOUT\"],"
        "\"submit_time\":100,\"start_time\":{\"set\":false,\"infinite\":false,\"number\":5},"
        "\"end_time\":{\"set\":true,\"infinite\":true,\"number\":5},"
        "\"exit_code\":{\"status\":[\"CORE_DUMPED\"],"
        "\"return_code\":null,\"signal\":{\"id\":11,\"name\":\"SEGV\"}}}";
    slurm_job_info j;
    aifb_err err = {0};
    cr_assert_eq(parse_one("v0.0.40", job, &err, &j), AIFB_OK, "%s", err.msg);
    cr_assert_eq(j.job_id, 8);
    cr_assert_eq(j.submit_time, 100, "plain integer (complex mode)");
    cr_assert_eq(j.start_time, 0, "an unset number is 0");
    cr_assert_eq(j.end_time, 0, "an infinite number is 0");
    cr_assert(j.has_exit);
    cr_assert_eq(j.exit_signal, 11);
    cr_assert_eq(j.exit_status, -1);
    cr_assert_eq(j.raw_wait_status, 11 | 0x80, "core dump bit");
    cr_assert_eq(parse_one("v0.0.42",
                           "{\"job_id\":9,\"job_state\":[\"RUNNING\"],\"end_time\":\"Infinity\","
                           "\"start_time\":null,\"submit_time\":12.0}",
                           &err, &j),
                 AIFB_OK, "%s", err.msg);
    cr_assert_eq(j.end_time, 0, "\"Infinity\" (complex mode) is 0");
    cr_assert_eq(j.start_time, 0, "null (complex mode) is 0");
    cr_assert_eq(j.submit_time, 12);
}

Test(slurm_api_replies, a_v0038_exit_code_that_is_no_wait_status_means_no_exit)
{
    slurm_job_info j;
    aifb_err err = {0};
    cr_assert_eq(parse_one("v0.0.38",
                           "{\"job_id\":7,\"job_state\":\"FAILED\",\"exit_code\":4294967294}", &err,
                           &j),
                 AIFB_OK);
    cr_assert(!j.has_exit);
    cr_assert_eq(j.exit_status, -1);
    cr_assert_eq(j.raw_wait_status, -1);
}

Test(slurm_api_replies, malformed_replies_are_refused_naming_what_is_wrong)
{
    static const struct {
        const char *body, *words;
    } cases[] = {
        {"", "is empty"},
        {"   \n", "is empty"},
        {"<html>502 Bad Gateway</html>", "not a JSON object"},
        {"[{\"job_id\":1}]", "not a JSON object"},
        {"{\"jobs\":[{\"job_id\":1", "cut short"},
        {"{\"jobs\":[}", "not valid JSON"},
        {"{\"jobs\":[]} trailing", "data after its JSON object"},
        {"{\"meta\":{}}", "no \"jobs\" array"},
        {"{\"jobs\":{\"job_id\":1}}", "\"jobs\" must be an array, not a JSON object"},
    };
    for (size_t v = 0; v < COUNT(all_versions); v++) {
        for (size_t i = 0; i < COUNT(cases); i++) {
            slurm_job_info *jobs = NULL;
            size_t n = 0;
            aifb_err err = {0};
            cr_assert_eq(api_of(all_versions[v])
                             ->parse_jobs(cases[i].body, strlen(cases[i].body), &jobs, &n, &err),
                         AIFB_EINVAL, "%s refuses %s", all_versions[v], cases[i].body);
            cr_assert(strstr(err.msg, all_versions[v]) && strstr(err.msg, "jobs reply") &&
                          strstr(err.msg, cases[i].words),
                      "%s: '%s' gives: %s", all_versions[v], cases[i].words, err.msg);
            cr_assert_null(jobs);
        }
    }
}

Test(slurm_api_replies, an_empty_job_list_is_no_jobs)
{
    for (size_t v = 0; v < COUNT(all_versions); v++) {
        slurm_job_info *jobs = (slurm_job_info *)1;
        size_t n = 3;
        aifb_err err = {0};
        cr_assert_eq(api_of(all_versions[v])->parse_jobs("{\"jobs\":[]}", 11, &jobs, &n, &err),
                     AIFB_OK);
        cr_assert_null(jobs);
        cr_assert_eq(n, 0);
    }
}

Test(slurm_api_replies, nodes_decode_the_same_in_every_version)
{
    for (size_t v = 0; v < COUNT(all_versions); v++) {
        size_t len, n;
        char *body = fixture(all_versions[v], "nodes.json", &len);
        slurm_node_info *nodes;
        aifb_err err = {0};
        cr_assert_eq(api_of(all_versions[v])->parse_nodes(body, len, &nodes, &n, &err), AIFB_OK,
                     "%s: %s", all_versions[v], err.msg);
        cr_assert_eq(n, 2);
        cr_assert_str_eq(nodes[0].name, "node01");
        cr_assert_str_eq(nodes[0].state, "IDLE", "%s", all_versions[v]);
        cr_assert_eq(nodes[0].cpus, 8);
        cr_assert_eq(nodes[0].memory_mb, 30000);
        cr_assert_str_empty(nodes[0].gres);
        cr_assert_str_eq(nodes[0].partitions, "batch");
        cr_assert_str_eq(nodes[1].name, "node02");
        cr_assert_str_eq(nodes[1].state, "MIXED+DRAIN", "%s", all_versions[v]);
        cr_assert_eq(nodes[1].cpus, 64);
        cr_assert_eq(nodes[1].memory_mb, 512000);
        cr_assert_str_eq(nodes[1].gres, "gpu:4");
        cr_assert_str_eq(nodes[1].partitions, "batch,gpu");
        free(nodes);
        free(body);
    }
}

Test(slurm_api_replies, partitions_decode_the_same_and_only_v0038_knows_the_default)
{
    for (size_t v = 0; v < COUNT(all_versions); v++) {
        size_t len, n;
        char *body = fixture(all_versions[v], "partitions.json", &len);
        slurm_partition_info *p;
        aifb_err err = {0};
        cr_assert_eq(api_of(all_versions[v])->parse_partitions(body, len, &p, &n, &err), AIFB_OK,
                     "%s: %s", all_versions[v], err.msg);
        cr_assert_eq(n, 2);
        cr_assert_str_eq(p[0].name, "batch");
        cr_assert_str_eq(p[0].state, "UP", "%s", all_versions[v]);
        cr_assert_str_eq(p[0].nodes, "node[01-02]");
        cr_assert_eq(p[0].total_nodes, 2);
        cr_assert_eq(p[0].total_cpus, 72);
        cr_assert_str_eq(p[1].name, "gpu");
        cr_assert_str_eq(p[1].state, "DOWN");
        cr_assert_eq(p[0].default_known, v == 0, "%s", all_versions[v]);
        cr_assert_eq(p[0].is_default, v == 0);
        cr_assert(!p[1].is_default);
        free(p);
        free(body);
    }
}

Test(slurm_api_replies, a_node_or_partition_without_a_name_is_refused)
{
    for (size_t v = 0; v < COUNT(all_versions); v++) {
        const slurm_api *api = api_of(all_versions[v]);
        slurm_node_info *nodes = NULL;
        slurm_partition_info *parts = NULL;
        size_t n;
        aifb_err err = {0};
        static const char nodes_body[] = "{\"nodes\":[{\"name\":\"a\"},{\"cpus\":4}]}";
        cr_assert_eq(api->parse_nodes(nodes_body, strlen(nodes_body), &nodes, &n, &err),
                     AIFB_EINVAL);
        cr_assert(strstr(err.msg, "node 1 has no name"), "%s", err.msg);
        static const char parts_body[] = "{\"partitions\":[{\"nodes\":{}}]}";
        cr_assert_eq(api->parse_partitions(parts_body, strlen(parts_body), &parts, &n, &err),
                     AIFB_EINVAL);
        cr_assert(strstr(err.msg, "partition 0 has no name"), "%s", err.msg);
        cr_assert_null(nodes);
        cr_assert_null(parts);
    }
}

Test(slurm_api_replies, the_slurm_release_is_read_from_any_reply)
{
    static const char *const releases[] = {"22.05.8", "23.11.10", "24.05.8", "24.11.7"};
    for (size_t v = 0; v < COUNT(all_versions); v++) {
        size_t len;
        char *body = fixture(all_versions[v], "nodes.json", &len);
        char release[32];
        cr_assert(slurm_api_release(body, len, release, sizeof release));
        cr_assert_str_eq(release, releases[v]);
        free(body);
    }
    char release[32];
    cr_assert(!slurm_api_release("{\"meta\":{}}", 11, release, sizeof release));
}
