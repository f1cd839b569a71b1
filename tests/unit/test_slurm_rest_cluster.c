/* test_slurm_rest_cluster.c: the slurmrestd client against a REAL Slurm (tests/slurm/cluster.sh:
 * slurmctld, slurmd and two slurmrestd 22.05, one on a unix socket with local auth, one on TCP
 * with JWT). Every test is skipped unless AIFB_TEST_SLURM_ENV names the cluster's env file;
 * tests/integration/test_slurm_rest.py starts a cluster and runs this binary with it set (and
 * --jobs 1: one test stops the TCP slurmrestd for a while). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "slurm/slurm_rest.h"

#define ENV_MAX 32
static char env_keys[ENV_MAX][64], env_vals[ENV_MAX][512];
static size_t env_n;

/* Reads the KEY=value lines of the cluster's env file (values are plain or single-quoted). */
static void load_env(void)
{
    const char *path = getenv("AIFB_TEST_SLURM_ENV");
    if (!path || !*path)
        cr_skip_test("AIFB_TEST_SLURM_ENV is not set: no Slurm cluster to test against");
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "cannot open %s", path);
    char line[1024];
    while (env_n < ENV_MAX && fgets(line, sizeof line, f)) {
        char *eq = strchr(line, '=');
        if (line[0] == '#' || !eq)
            continue;
        *eq = '\0';
        char *v = eq + 1;
        v[strcspn(v, "\n")] = '\0';
        if (v[0] == '\'' && strlen(v) >= 2) {
            v++;
            v[strlen(v) - 1] = '\0';
        }
        snprintf(env_keys[env_n], sizeof env_keys[0], "%.63s", line);
        snprintf(env_vals[env_n++], sizeof env_vals[0], "%.511s", v);
    }
    fclose(f);
}

static const char *env(const char *key)
{
    for (size_t i = 0; i < env_n; i++)
        if (strcmp(env_keys[i], key) == 0)
            return env_vals[i];
    cr_assert_fail("the cluster's env file has no %s", key);
    return NULL;
}

TestSuite(slurm_rest_cluster, .init = load_env);

typedef enum { VIA_UNIX, VIA_MINTED_JWT, VIA_GIVEN_JWT } via;

static slurm_rest *connect_via(via how, const char *version)
{
    slurm_rest_config cfg = {.version = version};
    if (how == VIA_UNIX) {
        cfg.url = env("AIFB_TEST_SLURM_REST_UNIX");
    } else {
        cfg.url = env("AIFB_TEST_SLURM_REST_TCP");
        cfg.user = env("AIFB_SLURM_USER");
        if (how == VIA_MINTED_JWT)
            cfg.jwt_key_path = env("AIFB_TEST_SLURM_JWT_KEY");
        else
            cfg.token = env("SLURM_JWT");
    }
    slurm_rest *r;
    aifb_err err = {0};
    cr_assert_eq(slurm_rest_new(&cfg, &r, &err), AIFB_OK, "%s", err.msg);
    return r;
}

/* Submits script as a one-task job; the output goes to REMOTE_BASE_PATH/<name>.out. */
static aifb_code submit(slurm_rest *r, const char *name, const char *partition, const char *script,
                        uint32_t *id, aifb_err *err)
{
    char out[700];
    snprintf(out, sizeof out, "%s/%s.out", env("REMOTE_BASE_PATH"), name);
    slurm_job_spec s = {.name = name,
                        .partition = partition,
                        .time_limit_min = 2,
                        .tasks = 1,
                        .cpus_per_task = 1,
                        .cwd = env("REMOTE_BASE_PATH"),
                        .stdout_path = out,
                        .stderr_path = out,
                        .script = script};
    return slurm_rest_submit(r, &s, id, err);
}

/* Follows job id through jobs() (one GET for all jobs) until it reaches a final state or 60 s
 * pass; *first is the first state seen. */
static slurm_job_info follow(slurm_rest *r, uint32_t id, slurm_job_state *first)
{
    slurm_job_info last = {.state = SLURM_JOB_UNKNOWN};
    *first = SLURM_JOB_UNKNOWN;
    int64_t deadline = aifb_mono_ms() + 60000;
    while (aifb_mono_ms() < deadline) {
        slurm_job_info *jobs;
        size_t n;
        bool changed;
        aifb_err err = {0};
        cr_assert_eq(slurm_rest_jobs(r, 0, &jobs, &n, &changed, &err), AIFB_OK, "%s", err.msg);
        for (size_t i = 0; i < n; i++)
            if (jobs[i].job_id == id)
                last = jobs[i];
        free(jobs);
        if (*first == SLURM_JOB_UNKNOWN)
            *first = last.state;
        if (slurm_job_state_final(last.state))
            return last;
        usleep(100 * 1000);
    }
    cr_assert_fail("job %u still %s after 60 s", id, slurm_job_state_name(last.state));
    return last;
}

Test(slurm_rest_cluster, auto_detection_picks_v0_0_38_from_the_real_server_on_both_transports)
{
    for (via how = VIA_UNIX; how <= VIA_MINTED_JWT; how++) {
        slurm_rest *r = connect_via(how, "auto");
        const slurm_api *api;
        aifb_err err = {0};
        cr_assert_eq(slurm_rest_api(r, &api, &err), AIFB_OK, "%s", err.msg);
        cr_assert_str_eq(api->version, "v0.0.38");
        char release[32];
        cr_assert_eq(slurm_rest_ping(r, release, sizeof release, &err), AIFB_OK, "%s", err.msg);
        cr_assert(strncmp(release, "22.05", 5) == 0, "%s", release);
        slurm_rest_free(r);
    }
}

static void submit_and_complete(via how, const char *name)
{
    slurm_rest *r = connect_via(how, "auto");
    uint32_t id = 0;
    aifb_err err = {0};
    cr_assert_eq(submit(r, name, env("AIFB_SLURM_PARTITION"), "#!/bin/bash\nsleep 1\n", &id, &err),
                 AIFB_OK, "%s", err.msg);
    slurm_job_state first;
    slurm_job_info j = follow(r, id, &first);
    cr_assert(first == SLURM_JOB_PENDING || first == SLURM_JOB_RUNNING, "first seen %s",
              slurm_job_state_name(first));
    cr_assert_eq(j.state, SLURM_JOB_COMPLETED, "%s", slurm_job_state_name(j.state));
    cr_assert(j.has_exit && j.exit_status == 0);
    cr_assert_str_eq(j.name, name);
    slurm_rest_free(r);
}

Test(slurm_rest_cluster,
     a_job_submitted_over_the_unix_socket_goes_from_pending_or_running_to_completed)
{
    submit_and_complete(VIA_UNIX, "rest-unix");
}

Test(slurm_rest_cluster, a_job_submitted_over_tcp_with_a_minted_jwt_completes_with_exit_0)
{
    submit_and_complete(VIA_MINTED_JWT, "rest-minted");
}

Test(slurm_rest_cluster, a_job_submitted_over_tcp_with_the_given_slurm_jwt_completes_with_exit_0)
{
    submit_and_complete(VIA_GIVEN_JWT, "rest-given");
}

Test(slurm_rest_cluster, a_job_that_exits_3_ends_failed_with_exit_status_3)
{
    slurm_rest *r = connect_via(VIA_MINTED_JWT, "v0.0.38");
    uint32_t id;
    aifb_err err = {0};
    cr_assert_eq(
        submit(r, "rest-exit3", env("AIFB_SLURM_PARTITION"), "#!/bin/bash\nexit 3\n", &id, &err),
        AIFB_OK, "%s", err.msg);
    slurm_job_state first;
    slurm_job_info j = follow(r, id, &first);
    cr_assert_eq(j.state, SLURM_JOB_FAILED, "%s", slurm_job_state_name(j.state));
    cr_assert(j.has_exit);
    cr_assert_eq(j.exit_status, 3);
    cr_assert_eq(j.raw_wait_status, 3 << 8);
    slurm_rest_free(r);
}

Test(slurm_rest_cluster, a_cancelled_running_job_ends_cancelled)
{
    slurm_rest *r = connect_via(VIA_UNIX, "v0.0.38");
    uint32_t id;
    aifb_err err = {0};
    cr_assert_eq(submit(r, "rest-cancel", env("AIFB_SLURM_PARTITION"), "#!/bin/bash\nsleep 300\n",
                        &id, &err),
                 AIFB_OK, "%s", err.msg);
    slurm_job_info j = {0};
    int64_t deadline = aifb_mono_ms() + 30000;
    do {
        cr_assert_eq(slurm_rest_job(r, id, &j, &err), AIFB_OK, "%s", err.msg);
        if (j.state != SLURM_JOB_RUNNING)
            usleep(100 * 1000);
    } while (j.state != SLURM_JOB_RUNNING && aifb_mono_ms() < deadline);
    cr_assert_eq(j.state, SLURM_JOB_RUNNING, "%s", slurm_job_state_name(j.state));
    cr_assert_eq(slurm_rest_cancel(r, id, 0, &err), AIFB_OK, "%s", err.msg);
    slurm_job_state first;
    j = follow(r, id, &first);
    cr_assert_eq(j.state, SLURM_JOB_CANCELLED, "%s", slurm_job_state_name(j.state));
    slurm_rest_free(r);
}

Test(slurm_rest_cluster, cancelling_an_unknown_job_is_not_found)
{
    slurm_rest *r = connect_via(VIA_UNIX, "v0.0.38");
    aifb_err err = {0};
    cr_assert_eq(slurm_rest_cancel(r, 4000000000u, 0, &err), AIFB_ENOTFOUND, "%s", err.msg);
    slurm_job_info j;
    cr_assert_eq(slurm_rest_job(r, 4000000000u, &j, &err), AIFB_ENOTFOUND, "%s", err.msg);
    slurm_rest_free(r);
}

Test(slurm_rest_cluster, an_unknown_partition_is_refused_with_slurms_message)
{
    slurm_rest *r = connect_via(VIA_GIVEN_JWT, "v0.0.38");
    uint32_t id = 0;
    aifb_err err = {0};
    cr_assert_eq(submit(r, "rest-nopart", "no-such-partition", "#!/bin/bash\ntrue\n", &id, &err),
                 AIFB_EINVAL, "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "Invalid partition name specified"), "%s", err.msg);
    slurm_rest_free(r);
}

Test(slurm_rest_cluster, a_token_signed_with_another_key_is_unauthenticated)
{
    char key_path[] = "/tmp/aifb-other-key-XXXXXX";
    int fd = mkstemp(key_path);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, "a key slurmctld has never seen..", 32), 32);
    close(fd);
    slurm_rest_config cfg = {.url = env("AIFB_TEST_SLURM_REST_TCP"),
                             .user = "root",
                             .jwt_key_path = key_path,
                             .version = "v0.0.38"};
    slurm_rest *r;
    aifb_err err = {0};
    cr_assert_eq(slurm_rest_new(&cfg, &r, &err), AIFB_OK, "%s", err.msg);
    unlink(key_path);
    uint32_t id;
    cr_assert_eq(
        submit(r, "rest-badtoken", env("AIFB_SLURM_PARTITION"), "#!/bin/bash\ntrue\n", &id, &err),
        AIFB_EUNAUTHENTICATED, "%s", err.msg);
    cr_assert_eq(slurm_rest_cancel(r, 1, 0, &err), AIFB_EUNAUTHENTICATED, "%s", err.msg);
    /* A GET fails with error -1 alone, as when slurmctld is down: the message names both. */
    slurm_job_info *jobs;
    size_t n;
    bool changed;
    cr_assert_eq(slurm_rest_jobs(r, 0, &jobs, &n, &changed, &err), AIFB_EUNAVAILABLE, "%s",
                 err.msg);
    cr_assert_not_null(strstr(err.msg, "refused the token of user root"), "%s", err.msg);
    slurm_rest_free(r);
}

Test(slurm_rest_cluster, jobs_since_an_update_time_report_nothing_changed_until_a_submission)
{
    slurm_rest *r = connect_via(VIA_UNIX, "v0.0.38");
    slurm_job_info *jobs;
    size_t n;
    bool changed;
    aifb_err err = {0};
    int64_t later = (int64_t)time(NULL) + 3600;
    cr_assert_eq(slurm_rest_jobs(r, later, &jobs, &n, &changed, &err), AIFB_OK, "%s", err.msg);
    cr_assert_not(changed);
    cr_assert_eq(n, 0);
    int64_t before = (int64_t)time(NULL) - 1;
    uint32_t id;
    cr_assert_eq(
        submit(r, "rest-update", env("AIFB_SLURM_PARTITION"), "#!/bin/bash\ntrue\n", &id, &err),
        AIFB_OK, "%s", err.msg);
    cr_assert_eq(slurm_rest_jobs(r, before, &jobs, &n, &changed, &err), AIFB_OK, "%s", err.msg);
    cr_assert(changed);
    bool seen = false;
    for (size_t i = 0; i < n; i++)
        seen |= jobs[i].job_id == id;
    cr_assert(seen, "job %u is not among the %zu jobs listed", id, n);
    free(jobs);
    slurm_rest_free(r);
}

static void cluster_sh(const char *command, const char *daemon)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s/tests/slurm/cluster.sh' %s '%s' %s >/dev/null 2>&1",
             AIFB_SOURCE_DIR, command, env("AIFB_TEST_SLURM_DIR"), daemon);
    cr_assert_eq(system(cmd), 0, "cluster.sh %s %s failed", command, daemon);
}

Test(slurm_rest_cluster, a_stopped_slurmrestd_is_unavailable_and_the_same_client_recovers)
{
    slurm_rest *r = connect_via(VIA_MINTED_JWT, "auto");
    aifb_err err = {0};
    cr_assert_eq(slurm_rest_ping(r, NULL, 0, &err), AIFB_OK, "%s", err.msg);
    cluster_sh("stop-daemon", "restd-tcp");
    slurm_job_info *jobs;
    size_t n;
    bool changed;
    aifb_code rc = slurm_rest_jobs(r, 0, &jobs, &n, &changed, &err);
    cluster_sh("start-daemon", "restd-tcp");
    cr_assert_eq(rc, AIFB_EUNAVAILABLE, "%s", err.msg);
    char want[300];
    snprintf(want, sizeof want, "slurmrestd at %s unreachable: ", env("AIFB_TEST_SLURM_REST_TCP"));
    cr_assert(strncmp(err.msg, want, strlen(want)) == 0, "%s", err.msg);
    cr_assert_eq(slurm_rest_jobs(r, 0, &jobs, &n, &changed, &err), AIFB_OK, "%s", err.msg);
    free(jobs);
    slurm_rest_free(r);
}
