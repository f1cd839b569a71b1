/* test_slurm_api_detect.c: choosing a data version, by name from configuration or from the
 * OpenAPI document slurmrestd serves (tests/unit/fixtures/slurm/openapi/), and the URL paths and
 * state names that go with it. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "slurm/slurm_api.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static char *openapi_fixture(const char *name, size_t *len)
{
    char path[1024], *text;
    snprintf(path, sizeof path, "%s/tests/unit/fixtures/slurm/openapi/%s", AIFB_SOURCE_DIR, name);
    aifb_err err = {0};
    cr_assert_eq(aifb_read_file(path, 1 << 22, &text, len, &err), AIFB_OK, "%s", err.msg);
    return text;
}

static aifb_code detect_fixture(const char *name, const slurm_api **api, aifb_err *err)
{
    size_t len;
    char *doc = openapi_fixture(name, &len);
    aifb_code rc = slurm_api_detect(doc, len, api, err);
    free(doc);
    return rc;
}

Test(slurm_api_detect, the_newest_supported_version_a_server_offers_is_chosen)
{
    static const struct {
        const char *doc, *version;
    } cases[] = {
        {"slurm-22.05.json", "v0.0.38"},
        {"slurm-23.11.json", "v0.0.40"},
        {"slurm-24.11.json", "v0.0.42"},
        {"slurm-25.11.json", "v0.0.42"}, /* v0.0.43 and v0.0.44 are offered but not supported */
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        const slurm_api *api = NULL;
        aifb_err err = {0};
        cr_assert_eq(detect_fixture(cases[i].doc, &api, &err), AIFB_OK, "%s: %s", cases[i].doc,
                     err.msg);
        cr_assert_str_eq(api->version, cases[i].version, "%s", cases[i].doc);
        cr_assert_eq(api, slurm_api_get(cases[i].version));
    }
}

Test(slurm_api_detect, a_server_offering_only_unsupported_versions_is_refused_naming_them)
{
    const slurm_api *api = (const slurm_api *)1;
    aifb_err err = {0};
    cr_assert_eq(detect_fixture("only-newer.json", &api, &err), AIFB_EUNIMPLEMENTED);
    cr_assert_null(api);
    cr_assert(strstr(err.msg, "v0.0.43, v0.0.44"), "names the offered versions: %s", err.msg);
    cr_assert(strstr(err.msg, slurm_api_supported()), "names the supported ones: %s", err.msg);
}

Test(slurm_api_detect, a_document_without_slurm_paths_is_refused)
{
    const slurm_api *api;
    aifb_err err = {0};
    cr_assert_eq(detect_fixture("slurmdbd-only.json", &api, &err), AIFB_EINVAL);
    cr_assert(strstr(err.msg, "no /slurm/v0.0.N/ paths"), "%s", err.msg);
}

Test(slurm_api_detect, malformed_documents_are_refused_naming_what_is_wrong)
{
    static const struct {
        const char *doc, *words;
    } cases[] = {
        {"", "OpenAPI document is empty"},
        {"openapi: 3.0.2\npaths: {}\n", "OpenAPI document is not a JSON object"},
        {"{\"openapi\":\"3.0.2\",\"paths\":{\"/slurm/v0.0.38/jobs\":", "cut short"},
        {"{\"openapi\":\"3.0.2\"}", "no \"paths\" object"},
        {"{\"paths\":[\"/slurm/v0.0.42/jobs/\"]}", "no \"paths\" object"},
        {"{\"paths\":{\"/slurm/vX/jobs\":{},\"/slurm/v0.0/jobs\":{},\"/slurm/v0..1/x\":{},"
         "\"/slurm/\":{},\"/slurm/v0.0.42a/jobs\":{}}}",
         "no /slurm/v0.0.N/ paths"},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        const slurm_api *api;
        aifb_err err = {0};
        cr_assert_eq(slurm_api_detect(cases[i].doc, strlen(cases[i].doc), &api, &err), AIFB_EINVAL,
                     "refuses %s", cases[i].doc);
        cr_assert(strstr(err.msg, cases[i].words), "'%s' gives: %s", cases[i].words, err.msg);
    }
}

Test(slurm_api_detect, a_version_is_matched_whole_not_by_prefix)
{
    static const char doc[] = "{\"paths\":{\"/slurm/v0.0.400/jobs/\":{},\"/slurm/v0.0.4/jobs/\":{},"
                              "\"/slurm/v0.0.38/jobs/\":{}}}";
    const slurm_api *api;
    aifb_err err = {0};
    cr_assert_eq(slurm_api_detect(doc, strlen(doc), &api, &err), AIFB_OK, "%s", err.msg);
    cr_assert_str_eq(api->version, "v0.0.38");
}

Test(slurm_api_detect, every_supported_version_is_found_by_name)
{
    static const char *const versions[] = {"v0.0.38", "v0.0.40", "v0.0.41", "v0.0.42"};
    for (size_t i = 0; i < COUNT(versions); i++) {
        const slurm_api *api = NULL;
        aifb_err err = {0};
        cr_assert_eq(slurm_api_lookup(versions[i], &api, &err), AIFB_OK);
        cr_assert_str_eq(api->version, versions[i]);
        cr_assert_not_null(api->releases);
        cr_assert(api->submit_body && api->parse_submit && api->parse_jobs && api->parse_nodes &&
                  api->parse_partitions);
    }
}

Test(slurm_api_detect, an_unsupported_configured_version_is_refused_naming_it)
{
    static const char *const bad[] = {"v0.0.39", "v0.0.43", "0.0.40", "latest", ""};
    for (size_t i = 0; i < COUNT(bad); i++) {
        const slurm_api *api = (const slurm_api *)1;
        aifb_err err = {0};
        cr_assert_null(slurm_api_get(bad[i]));
        cr_assert_eq(slurm_api_lookup(bad[i], &api, &err), AIFB_EINVAL);
        cr_assert_null(api);
        char quoted[32];
        snprintf(quoted, sizeof quoted, "'%s'", bad[i]);
        cr_assert(strstr(err.msg, quoted), "names %s: %s", quoted, err.msg);
        cr_assert(strstr(err.msg, "v0.0.38, v0.0.40, v0.0.41, v0.0.42"), "%s", err.msg);
    }
    const slurm_api *api;
    aifb_err err = {0};
    cr_assert_eq(slurm_api_lookup(NULL, &api, &err), AIFB_EINVAL);
    cr_assert_null(slurm_api_get(NULL));
}

Test(slurm_api_detect, url_paths_carry_the_version_and_the_job_id)
{
    const slurm_api *api = slurm_api_get("v0.0.41");
    static const struct {
        slurm_endpoint ep;
        uint64_t arg;
        const char *path;
    } cases[] = {
        {SLURM_EP_SUBMIT, 0, "/slurm/v0.0.41/job/submit"},
        {SLURM_EP_JOB, 4242, "/slurm/v0.0.41/job/4242"},
        {SLURM_EP_JOBS, 0, "/slurm/v0.0.41/jobs"},
        {SLURM_EP_JOBS, 1767225600, "/slurm/v0.0.41/jobs?update_time=1767225600"},
        {SLURM_EP_NODES, 0, "/slurm/v0.0.41/nodes"},
        {SLURM_EP_PARTITIONS, 0, "/slurm/v0.0.41/partitions"},
        {SLURM_EP_PING, 0, "/slurm/v0.0.41/ping"},
        {SLURM_EP_DIAG, 0, "/slurm/v0.0.41/diag"},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        char path[128];
        aifb_err err = {0};
        cr_assert_eq(slurm_api_path(api, cases[i].ep, cases[i].arg, path, sizeof path, &err),
                     AIFB_OK, "%s", err.msg);
        cr_assert_str_eq(path, cases[i].path);
    }
    char path[128];
    cr_assert_eq(slurm_api_path(slurm_api_get("v0.0.38"), SLURM_EP_JOB, 7, path, sizeof path, NULL),
                 AIFB_OK);
    cr_assert_str_eq(path, "/slurm/v0.0.38/job/7");
}

Test(slurm_api_detect, a_path_for_no_job_or_into_a_small_buffer_is_refused)
{
    const slurm_api *api = slurm_api_get("v0.0.42");
    char path[128], small[12];
    aifb_err err = {0};
    cr_assert_eq(slurm_api_path(api, SLURM_EP_JOB, 0, path, sizeof path, &err), AIFB_EINVAL);
    cr_assert(strstr(err.msg, "job id 0"), "%s", err.msg);
    cr_assert_eq(slurm_api_path(api, SLURM_EP_JOB, 1ull << 32, path, sizeof path, &err),
                 AIFB_EINVAL);
    cr_assert_eq(slurm_api_path(api, SLURM_EP_SUBMIT, 0, small, sizeof small, &err), AIFB_ERANGE);
    cr_assert_eq(slurm_api_path(api, (slurm_endpoint)99, 0, path, sizeof path, &err), AIFB_EINVAL);
}

Test(slurm_api_detect, state_names_are_slurms_and_only_ended_states_are_final)
{
    static const struct {
        slurm_job_state s;
        const char *name;
        bool final;
    } cases[] = {
        {SLURM_JOB_PENDING, "PENDING", false},     {SLURM_JOB_RUNNING, "RUNNING", false},
        {SLURM_JOB_SUSPENDED, "SUSPENDED", false}, {SLURM_JOB_COMPLETING, "COMPLETING", false},
        {SLURM_JOB_COMPLETED, "COMPLETED", true},  {SLURM_JOB_FAILED, "FAILED", true},
        {SLURM_JOB_CANCELLED, "CANCELLED", true},  {SLURM_JOB_TIMEOUT, "TIMEOUT", true},
        {SLURM_JOB_NODE_FAIL, "NODE_FAIL", true},  {SLURM_JOB_OUT_OF_MEMORY, "OUT_OF_MEMORY", true},
        {SLURM_JOB_PREEMPTED, "PREEMPTED", true},  {SLURM_JOB_BOOT_FAIL, "BOOT_FAIL", true},
        {SLURM_JOB_DEADLINE, "DEADLINE", true},    {SLURM_JOB_UNKNOWN, "UNKNOWN", false},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        cr_assert_str_eq(slurm_job_state_name(cases[i].s), cases[i].name);
        cr_assert_eq(slurm_job_state_final(cases[i].s), cases[i].final, "%s", cases[i].name);
    }
    cr_assert_str_eq(slurm_job_state_name((slurm_job_state)77), "UNKNOWN");
}
