/* test_slurm_rest_http.c: the slurmrestd client through libcurl against a stand-in server in the
 * test process (test_slurm_rest_server.h): both transports and their auth headers, version
 * detection, connection reuse, and how each failure reaches the caller: Slurm's errors array,
 * a refused token, a dropped connection, a server too slow for the timeout, nothing listening. */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "slurm/slurm_jwt.h"
#include "slurm/slurm_rest.h"
#include "test_slurm_rest_server.h"

static const uint8_t test_key[] = "a test key of 32 bytes, not real";
static char test_token[512]; /* a JWT for benchuser signed with test_key, valid for an hour */

static void make_token(int64_t exp_offset)
{
    char *tok;
    int64_t now = (int64_t)time(NULL);
    cr_assert_eq(slurm_jwt_mint(test_key, 32, "benchuser", now - 10, now + exp_offset, &tok, NULL),
                 AIFB_OK);
    snprintf(test_token, sizeof test_token, "%s", tok);
    free(tok);
}

static slurm_rest *client(const char *version, int timeout_ms)
{
    slurm_rest_config cfg = {.url = t_url, .version = version, .timeout_ms = timeout_ms};
    if (strncmp(t_url, "http", 4) == 0) {
        make_token(3600);
        cfg.token = test_token;
    }
    slurm_rest *r = NULL;
    aifb_err err = {0};
    cr_assert_eq(slurm_rest_new(&cfg, &r, &err), AIFB_OK, "%s", err.msg);
    return r;
}

static slurm_job_spec spec(void)
{
    return (slurm_job_spec){.name = "r-0123456789ab",
                            .partition = "debug",
                            .cwd = "/tmp",
                            .script = "#!/bin/bash\ntrue\n"};
}

TestSuite(slurm_rest_tcp, .init = t_start_tcp);
TestSuite(slurm_rest_unix, .init = t_start_unix, .fini = t_stop_unix);

Test(slurm_rest_tcp, a_submission_over_tcp_carries_the_user_and_token_headers_and_returns_the_id)
{
    t_reply(200, t_fixture("v0.0.38/submit-ok.json"));
    slurm_rest *r = client("v0.0.38", 0);
    slurm_job_spec s = spec();
    uint32_t id = 0;
    aifb_err err = {0};
    cr_assert_eq(slurm_rest_submit(r, &s, &id, &err), AIFB_OK, "%s", err.msg);
    cr_assert_eq(id, 1011);
    char req[8192];
    t_request(0, req, sizeof req);
    cr_assert(strncmp(req, "POST /slurm/v0.0.38/job/submit HTTP/1.1\r\n", 41) == 0, "%s", req);
    cr_assert_not_null(strstr(req, "\r\nX-SLURM-USER-NAME: benchuser\r\n"), "%s", req);
    char line[600];
    snprintf(line, sizeof line, "\r\nX-SLURM-USER-TOKEN: %s\r\n", test_token);
    cr_assert_not_null(strstr(req, line), "%s", req);
    cr_assert_not_null(strstr(req, "\"partition\":\"debug\""), "%s", req);
    slurm_rest_free(r);
}

Test(slurm_rest_unix, a_request_over_the_unix_socket_sends_no_auth_headers_and_reads_the_jobs)
{
    t_reply(200, t_fixture("v0.0.38/jobs.json"));
    slurm_rest *r = client("v0.0.38", 0);
    slurm_job_info *jobs = NULL;
    size_t n = 0;
    bool changed = false;
    aifb_err err = {0};
    cr_assert_eq(slurm_rest_jobs(r, 0, &jobs, &n, &changed, &err), AIFB_OK, "%s", err.msg);
    cr_assert_eq(n, 10);
    cr_assert(changed);
    cr_assert_eq(jobs[0].job_id, 1001);
    char req[8192];
    t_request(0, req, sizeof req);
    cr_assert(strncmp(req, "GET /slurm/v0.0.38/jobs HTTP/1.1\r\n", 34) == 0, "%s", req);
    cr_assert_null(strcasestr(req, "X-SLURM-USER"), "%s", req);
    free(jobs);
    slurm_rest_free(r);
}

Test(slurm_rest_unix, auto_detects_the_version_from_openapi_once_and_uses_it_for_every_call)
{
    t_reply(200, t_fixture("openapi/slurm-22.05.json"));
    t_reply(200, t_fixture("v0.0.38/nodes.json"));
    slurm_rest *r = client("auto", 0);
    aifb_err err = {0};
    char release[32];
    cr_assert_eq(slurm_rest_ping(r, release, sizeof release, &err), AIFB_OK, "%s", err.msg);
    cr_assert_str_eq(release, "22.05.8");
    cr_assert_eq(slurm_rest_ping(r, NULL, 0, &err), AIFB_OK, "%s", err.msg);
    const slurm_api *api = NULL;
    cr_assert_eq(slurm_rest_api(r, &api, &err), AIFB_OK);
    cr_assert_str_eq(api->version, "v0.0.38");
    char req[8192];
    t_request(0, req, sizeof req);
    cr_assert(strncmp(req, "GET /openapi/v3 ", 16) == 0, "%s", req);
    t_request(2, req, sizeof req);
    cr_assert(strncmp(req, "GET /slurm/v0.0.38/ping ", 24) == 0, "%s", req);
    cr_assert_eq(t_nrequests, 3, "the document was read once: %zu requests", t_nrequests);
    slurm_rest_free(r);
}

Test(slurm_rest_tcp, successive_calls_reuse_one_connection)
{
    t_reply(200, t_fixture("v0.0.38/partitions.json"));
    slurm_rest *r = client("v0.0.38", 0);
    for (int i = 0; i < 3; i++) {
        slurm_partition_info *parts;
        size_t n;
        aifb_err err = {0};
        cr_assert_eq(slurm_rest_partitions(r, &parts, &n, &err), AIFB_OK, "%s", err.msg);
        cr_assert_eq(n, 2);
        cr_assert_str_eq(parts[0].name, "batch");
        free(parts);
    }
    cr_assert_eq(t_nrequests, 3);
    cr_assert_eq(t_connections, 1);
    slurm_rest_free(r);
}

Test(slurm_rest_unix, a_refused_submission_is_invalid_with_slurms_message)
{
    t_reply(500, t_fixture("v0.0.38/submit-refused.json"));
    slurm_rest *r = client("v0.0.38", 0);
    slurm_job_spec s = spec();
    uint32_t id = 0;
    aifb_err err = {0};
    cr_assert_eq(slurm_rest_submit(r, &s, &id, &err), AIFB_EINVAL);
    cr_assert_not_null(strstr(err.msg, "Invalid partition name specified (error 2000)"), "%s",
                       err.msg);
    cr_assert_not_null(strstr(err.msg, t_url), "%s", err.msg);
    cr_assert_eq(id, 0);
    slurm_rest_free(r);
}

Test(slurm_rest_unix, an_unknown_job_is_not_found)
{
    t_reply(500, t_fixture("v0.0.38/job-not-found.json"));
    slurm_rest *r = client("v0.0.38", 0);
    slurm_job_info j;
    aifb_err err = {0};
    cr_assert_eq(slurm_rest_job(r, 99, &j, &err), AIFB_ENOTFOUND, "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "Invalid job id specified"), "%s", err.msg);
    cr_assert_eq(slurm_rest_cancel(r, 99, 0, &err), AIFB_ENOTFOUND, "%s", err.msg);
    slurm_rest_free(r);
}

Test(slurm_rest_tcp, slurmrestds_500_for_a_refused_token_is_unauthenticated_without_the_token)
{
    t_reply(500, "{\"errors\":[{\"error_code\":5005,"
                 "\"error\":\"Zero Bytes were transmitted or received\"}]}");
    slurm_rest *r = client("v0.0.38", 0);
    slurm_job_spec s = spec();
    uint32_t id;
    aifb_err err = {0};
    cr_assert_eq(slurm_rest_submit(r, &s, &id, &err), AIFB_EUNAUTHENTICATED, "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "token of user benchuser"), "%s", err.msg);
    cr_assert_null(strstr(err.msg, test_token));
    cr_assert_null(strstr(err.msg, strchr(test_token, '.') + 1));
    slurm_rest_free(r);
}

Test(slurm_rest_tcp, http_401_is_unauthenticated)
{
    t_reply(401, "");
    slurm_rest *r = client("v0.0.38", 0);
    aifb_err err = {0};
    cr_assert_eq(slurm_rest_ping(r, NULL, 0, &err), AIFB_EUNAUTHENTICATED);
    cr_assert_not_null(strstr(err.msg, "HTTP 401"), "%s", err.msg);
    slurm_rest_free(r);
}

Test(slurm_rest_tcp, a_proxys_503_is_unavailable)
{
    t_reply(503, "<html>down for maintenance</html>");
    slurm_rest *r = client("v0.0.38", 0);
    aifb_err err = {0};
    cr_assert_eq(slurm_rest_ping(r, NULL, 0, &err), AIFB_EUNAVAILABLE);
    cr_assert_not_null(strstr(err.msg, "HTTP 503"), "%s", err.msg);
    slurm_rest_free(r);
}

Test(slurm_rest_unix, a_dropped_connection_is_unavailable_and_the_next_call_works)
{
    t_reply_special(T_DROP);
    t_reply(200, t_fixture("v0.0.38/nodes.json"));
    slurm_rest *r = client("v0.0.38", 0);
    slurm_node_info *nodes;
    size_t n;
    aifb_err err = {0};
    cr_assert_eq(slurm_rest_nodes(r, &nodes, &n, &err), AIFB_EUNAVAILABLE);
    char want[400];
    snprintf(want, sizeof want, "slurmrestd at %s unreachable: ", t_url);
    cr_assert(strncmp(err.msg, want, strlen(want)) == 0, "%s", err.msg);
    cr_assert_eq(slurm_rest_nodes(r, &nodes, &n, &err), AIFB_OK, "%s", err.msg);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(nodes[1].name, "node02");
    free(nodes);
    slurm_rest_free(r);
}

Test(slurm_rest_tcp, a_server_slower_than_the_timeout_is_unavailable)
{
    t_reply_special(T_SLOW);
    slurm_rest *r = client("v0.0.38", 300);
    aifb_err err = {0};
    cr_assert_eq(slurm_rest_ping(r, NULL, 0, &err), AIFB_EUNAVAILABLE);
    cr_assert_not_null(strstr(err.msg, "unreachable"), "%s", err.msg);
    cr_assert_not_null(strcasestr(err.msg, "timed out"), "%s", err.msg);
    slurm_rest_free(r);
}

Test(slurm_rest_closed, nothing_listening_is_unavailable_naming_the_url, .init = t_closed_port)
{
    slurm_rest *r = client("v0.0.38", 0);
    aifb_err err = {0};
    cr_assert_eq(slurm_rest_ping(r, NULL, 0, &err), AIFB_EUNAVAILABLE);
    char want[400];
    snprintf(want, sizeof want, "slurmrestd at %s unreachable: ", t_url);
    cr_assert(strncmp(err.msg, want, strlen(want)) == 0, "%s", err.msg);
    slurm_rest_free(r);
}

Test(slurm_rest_unix, jobs_since_an_update_time_that_slurm_answers_304_reports_nothing_changed)
{
    t_reply(304, "");
    slurm_rest *r = client("v0.0.38", 0);
    slurm_job_info *jobs = (slurm_job_info *)1;
    size_t n = 7;
    bool changed = true;
    aifb_err err = {0};
    cr_assert_eq(slurm_rest_jobs(r, 1700000000, &jobs, &n, &changed, &err), AIFB_OK, "%s", err.msg);
    cr_assert_not(changed);
    cr_assert_eq(n, 0);
    cr_assert_null(jobs);
    char req[8192];
    t_request(0, req, sizeof req);
    cr_assert(strncmp(req, "GET /slurm/v0.0.38/jobs?update_time=1700000000 ", 47) == 0, "%s", req);
    slurm_rest_free(r);
}

Test(slurm_rest_unix, a_cancel_with_a_signal_sends_delete_with_the_signal_number)
{
    t_reply(200, "{\"errors\":[]}");
    slurm_rest *r = client("v0.0.38", 0);
    aifb_err err = {0};
    cr_assert_eq(slurm_rest_cancel(r, 7, 15, &err), AIFB_OK, "%s", err.msg);
    cr_assert_eq(slurm_rest_cancel(r, 8, 0, &err), AIFB_OK, "%s", err.msg);
    char req[8192];
    t_request(0, req, sizeof req);
    cr_assert(strncmp(req, "DELETE /slurm/v0.0.38/job/7?signal=15 ", 38) == 0, "%s", req);
    t_request(1, req, sizeof req);
    cr_assert(strncmp(req, "DELETE /slurm/v0.0.38/job/8 ", 28) == 0, "%s", req);
    slurm_rest_free(r);
}

static void *ping_many(void *arg)
{
    slurm_rest *r = arg;
    intptr_t failures = 0;
    for (int i = 0; i < 10; i++)
        failures += slurm_rest_ping(r, NULL, 0, NULL) != AIFB_OK;
    return (void *)failures;
}

Test(slurm_rest_unix, two_threads_sharing_a_client_all_get_their_answers)
{
    t_reply(200, t_fixture("v0.0.38/nodes.json"));
    slurm_rest *r = client("v0.0.38", 0);
    pthread_t a, b;
    void *fa, *fb;
    pthread_create(&a, NULL, ping_many, r);
    pthread_create(&b, NULL, ping_many, r);
    pthread_join(a, &fa);
    pthread_join(b, &fb);
    cr_assert_eq((intptr_t)fa + (intptr_t)fb, 0);
    cr_assert_eq(t_nrequests, 20);
    slurm_rest_free(r);
}

static atomic_bool listing_done;

static void *list_slowly(void *arg)
{
    slurm_job_info *jobs = NULL;
    size_t n = 0;
    bool changed;
    slurm_rest_jobs(arg, 0, &jobs, &n, &changed, NULL);
    free(jobs);
    atomic_store(&listing_done, true);
    return NULL;
}

Test(slurm_rest_unix, a_submission_is_answered_while_a_listing_is_still_waiting_for_its_reply)
{
    t_reply_special(T_SLOW); /* the listing: no answer for 5 s, then the connection closes */
    t_reply(200, t_fixture("v0.0.38/submit-ok.json"));
    slurm_rest *r = client("v0.0.38", 0);
    atomic_store(&listing_done, false);
    pthread_t lister;
    pthread_create(&lister, NULL, list_slowly, r);
    while (t_requests_seen() < 1)
        usleep(10000);
    slurm_job_spec s = spec();
    uint32_t id = 0;
    aifb_err err = {0};
    cr_assert_eq(slurm_rest_submit(r, &s, &id, &err), AIFB_OK, "%s", err.msg);
    cr_assert_eq(id, 1011);
    cr_assert(!atomic_load(&listing_done), "the submission waited for the listing to end");
    pthread_join(lister, NULL);
    cr_assert_eq(t_connections, 2, "each call in flight has its own connection");
    slurm_rest_free(r);
}

Test(slurm_rest_unix, a_submission_slurmctld_never_saw_is_unavailable_not_refused)
{
    /* What slurmrestd 22.05 answers when slurmctld is down. */
    t_reply(500, "{\"errors\":[{\"error_code\":1800,"
                 "\"error\":\"Unable to contact slurm controller (connect failure)\"}]}");
    slurm_rest *r = client("v0.0.38", 0);
    slurm_job_spec s = spec();
    uint32_t id;
    aifb_err err = {0};
    cr_assert_eq(slurm_rest_submit(r, &s, &id, &err), AIFB_EUNAVAILABLE, "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "cannot reach slurmctld: Unable to contact slurm "
                                       "controller (connect failure) (error 1800)"),
                       "%s", err.msg);
    slurm_rest_free(r);
}

Test(slurm_rest_tcp, a_failed_load_with_error_minus_1_is_unavailable_naming_both_causes)
{
    /* slurmrestd 22.05's reply to GET jobs when slurmctld is down or refused the token. */
    t_reply(500, "{\"errors\":[{\"description\":\"Failed while looking for jobs\","
                 "\"error_number\":-1,\"error\":\"Unspecified error\","
                 "\"source\":\"slurm_load_jobs\"}],\"jobs\":[]}");
    slurm_rest *r = client("v0.0.38", 0);
    slurm_job_info *jobs;
    size_t n;
    bool changed;
    aifb_err err = {0};
    cr_assert_eq(slurm_rest_jobs(r, 0, &jobs, &n, &changed, &err), AIFB_EUNAVAILABLE, "%s",
                 err.msg);
    cr_assert_not_null(strstr(err.msg, "slurmctld is down or refused the token of user benchuser"),
                       "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "Failed while looking for jobs"), "%s", err.msg);
    slurm_rest_free(r);
}
