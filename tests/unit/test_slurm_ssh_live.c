/* test_slurm_ssh_live.c: the login-node session against the real test cluster (a key-only sshd
 * and a single-node Slurm started by tests/slurm/cluster.sh). Every test is skipped unless
 * AIFB_TEST_SLURM_ENV names the cluster's env file; tests/integration/test_slurm_ssh.py starts a
 * cluster and runs this binary with it, one test at a time (the sshd test stops the sshd). */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "slurm/slurm_ssh.h"

TestSuite(slurm_ssh_live, .timeout = 90);

/* The value of KEY in the env file (lines KEY=value; a value may be single-quoted). */
static char *env_get(const char *key)
{
    const char *file = getenv("AIFB_TEST_SLURM_ENV");
    if (!file || !*file)
        cr_skip_test(
            "AIFB_TEST_SLURM_ENV is not set (tests/integration/test_slurm_ssh.py sets it)");
    FILE *f = fopen(file, "r");
    cr_assert_not_null(f, "cannot open %s", file);
    char line[4096], *found = NULL;
    size_t klen = strlen(key);
    while (!found && fgets(line, sizeof line, f)) {
        if (strncmp(line, key, klen) != 0 || line[klen] != '=')
            continue;
        char *v = line + klen + 1;
        v[strcspn(v, "\n")] = '\0';
        if (*v == '\'' && v[strlen(v) - 1] == '\'') {
            v[strlen(v) - 1] = '\0';
            v++;
        }
        found = xstrdup(v);
    }
    fclose(f);
    cr_assert_not_null(found, "%s is not in %s", key, file);
    return found;
}

typedef struct live {
    char *host, *port, *user, *key, *known, *dir;
    slurm_ssh *s;
} live;

static slurm_ssh *live_open(live *l, const char *known_hosts)
{
    l->host = env_get("SSH_HOST");
    l->port = env_get("SSH_PORT");
    l->user = env_get("SSH_USER");
    l->key = env_get("SSH_KEY_PATH");
    l->known = known_hosts ? xstrdup(known_hosts) : env_get("SSH_KNOWN_HOSTS");
    l->dir = env_get("AIFB_TEST_SLURM_DIR");
    slurm_ssh_config cfg = {.host = l->host,
                            .port = atoi(l->port),
                            .user = l->user,
                            .key_path = l->key,
                            .known_hosts = l->known,
                            .connect_timeout_ms = 5000,
                            .command_timeout_ms = 30000};
    aifb_err err = {0};
    cr_assert_eq(slurm_ssh_new(&cfg, &l->s, &err), AIFB_OK, "%s", err.msg);
    return l->s;
}

static void live_close(live *l)
{
    slurm_ssh_free(l->s);
    free(l->host);
    free(l->port);
    free(l->user);
    free(l->key);
    free(l->known);
    free(l->dir);
}

static bool file_exists(const char *path)
{
    return access(path, F_OK) == 0;
}

Test(slurm_ssh_live, a_matching_host_key_logs_in_and_runs_sinfo)
{
    live l = {0};
    slurm_ssh *s = live_open(&l, NULL);
    const char *argv[] = {"sinfo", "--noheader", "--format=%P %a", NULL};
    slurm_ssh_result r;
    aifb_err err = {0};
    cr_assert_eq(slurm_ssh_run(s, argv, NULL, 0, &r, &err), AIFB_OK, "%s", err.msg);
    cr_assert_eq(r.exit_status, 0, "sinfo: %s", r.err);
    cr_assert(strstr(r.out, "debug* up"), "sinfo printed: %s", r.out);
    slurm_ssh_result_free(&r);
    live_close(&l);
}

Test(slurm_ssh_live, stdin_stdout_stderr_and_exit_status_of_a_remote_command_come_back)
{
    live l = {0};
    slurm_ssh *s = live_open(&l, NULL);
    const char *argv[] = {"sh", "-c", "cat; echo 'to err' >&2; exit 7", NULL};
    const char in[] = "line 1\n'quoted' $(not run)\n";
    slurm_ssh_result r;
    aifb_err err = {0};
    cr_assert_eq(slurm_ssh_run(s, argv, in, strlen(in), &r, &err), AIFB_OK, "%s", err.msg);
    cr_assert_eq(r.exit_status, 7);
    cr_assert_str_eq(r.out, in);
    cr_assert_str_eq(r.err, "to err\n");
    slurm_ssh_result_free(&r);
    live_close(&l);
}

/* Tries to create a marker file on the login node through a session with known_hosts kh. */
static void assert_refused(const char *kh, const char *expect1, const char *expect2)
{
    live l = {0};
    slurm_ssh *s = live_open(&l, kh);
    char marker[600];
    snprintf(marker, sizeof marker, "%s/remote/hostkey-%d", l.dir, getpid());
    const char *argv[] = {"touch", marker, NULL};
    slurm_ssh_result r;
    aifb_err err = {0};
    cr_assert_eq(slurm_ssh_run(s, argv, NULL, 0, &r, &err), AIFB_EUNAUTHENTICATED, "%s", err.msg);
    cr_assert(strstr(err.msg, expect1), "message lacks '%s': %s", expect1, err.msg);
    cr_assert(strstr(err.msg, expect2), "message lacks '%s': %s", expect2, err.msg);
    cr_assert(strstr(err.msg, "SHA256:"), "message lacks the fingerprint: %s", err.msg);
    cr_assert_not(file_exists(marker), "the command ran despite the host key");
    slurm_ssh_result_free(&r);
    live_close(&l);
}

Test(slurm_ssh_live, another_key_in_known_hosts_is_refused_loudly_and_nothing_runs)
{
    char *port = env_get("SSH_PORT"); /* first: it skips the test without a cluster */
    char dir[] = "/tmp/aifb-ssh-kh-XXXXXX", cmd[1024], kh[200];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(kh, sizeof kh, "%s/known_hosts", dir);
    snprintf(cmd, sizeof cmd,
             "ssh-keygen -q -t ed25519 -N '' -f %s/k && printf '[127.0.0.1]:%s %%s %%s\\n' "
             "$(cut -d' ' -f1,2 %s/k.pub) > %s",
             dir, port, dir, kh);
    cr_assert_eq(system(cmd), 0);
    assert_refused(kh, "HOST KEY CHANGED", "ssh-keygen -R");
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    system(cmd);
    free(port);
}

Test(slurm_ssh_live, an_empty_known_hosts_is_refused_with_the_ssh_keyscan_line)
{
    char *port = env_get("SSH_PORT"); /* first: it skips the test without a cluster */
    char dir[] = "/tmp/aifb-ssh-kh-XXXXXX", kh[200], hint[300];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(kh, sizeof kh, "%s/known_hosts", dir);
    FILE *f = fopen(kh, "w");
    fclose(f);
    snprintf(hint, sizeof hint, "ssh-keyscan -p %s 127.0.0.1 >> %s", port, kh);
    assert_refused(kh, "not a known host", hint);
    unlink(kh);
    rmdir(dir);
    free(port);
}

/* The job with this id as squeue lists it, or NULL. */
static slurm_ssh_job *find_job(slurm_ssh_job *jobs, size_t n, int64_t id)
{
    for (size_t i = 0; i < n; i++)
        if (jobs[i].job_id == id)
            return &jobs[i];
    return NULL;
}

Test(slurm_ssh_live, sbatch_on_stdin_gives_a_job_id_squeue_shows_it_and_scancel_ends_it)
{
    live l = {0};
    slurm_ssh *s = live_open(&l, NULL);
    char name[64], comment[64];
    snprintf(name, sizeof name, "aifb-ssh-%d", getpid());
    snprintf(comment, sizeof comment, "aifb run|%d", getpid());
    const char *args[] = {"--job-name", name, "--comment", comment, "--output", "/dev/null", NULL};
    int64_t id = 0;
    aifb_err err = {0};
    cr_assert_eq(slurm_ssh_sbatch(s, "#!/bin/bash\nsleep 120\n", args, &id, &err), AIFB_OK, "%s",
                 err.msg);
    cr_assert_gt(id, 0);
    slurm_ssh_job *jobs = NULL;
    size_t n = 0;
    cr_assert_eq(slurm_ssh_squeue(s, NULL, &jobs, &n, &err), AIFB_OK, "%s", err.msg);
    slurm_ssh_job *j = find_job(jobs, n, id);
    cr_assert_not_null(j, "job %lld not in squeue", (long long)id);
    cr_assert_str_eq(j->name, name);
    cr_assert_str_eq(j->comment, comment);
    slurm_ssh_jobs_free(jobs, n);
    cr_assert_eq(slurm_ssh_scancel(s, id, &err), AIFB_OK, "%s", err.msg);
    bool cancelled = false;
    for (int i = 0; i < 100 && !cancelled; i++) { /* a wait, not a speed check */
        cr_assert_eq(slurm_ssh_squeue(s, NULL, &jobs, &n, &err), AIFB_OK, "%s", err.msg);
        j = find_job(jobs, n, id);
        cancelled = j && strcmp(j->state, "CANCELLED") == 0;
        slurm_ssh_jobs_free(jobs, n);
        if (!cancelled)
            usleep(100000);
    }
    cr_assert(cancelled, "job %lld never became CANCELLED", (long long)id);
    live_close(&l);
}

Test(slurm_ssh_live, a_failing_sbatch_is_refused_with_slurms_message)
{
    live l = {0};
    slurm_ssh *s = live_open(&l, NULL);
    const char *args[] = {"--partition", "no-such-partition", NULL};
    int64_t id = 0;
    aifb_err err = {0};
    cr_assert_eq(slurm_ssh_sbatch(s, "#!/bin/bash\ntrue\n", args, &id, &err), AIFB_EINVAL);
    cr_assert(strstr(err.msg, "Invalid partition name"), "%s", err.msg);
    live_close(&l);
}

/* The pids whose parent is pid (the sshd's per-connection children). */
static size_t children_of(int pid, int *out, size_t max)
{
    size_t n = 0;
    DIR *d = opendir("/proc");
    for (struct dirent *e; d && (e = readdir(d)) && n < max;) {
        char path[300], buf[512];
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        size_t len = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[len] = '\0';
        char *close_paren = strrchr(buf, ')');
        int ppid = 0;
        if (close_paren && sscanf(close_paren + 2, "%*c %d", &ppid) == 1 && ppid == pid)
            out[n++] = atoi(e->d_name);
    }
    if (d)
        closedir(d);
    return n;
}

static void cluster_sh(const char *command, const char *dir, const char *daemon)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "%s/tests/slurm/cluster.sh %s %s %s >/dev/null", AIFB_SOURCE_DIR,
             command, dir, daemon);
    cr_assert_eq(system(cmd), 0, "%s failed", cmd);
}

Test(slurm_ssh_live, a_lost_login_node_fails_fast_and_the_session_comes_back_by_itself)
{
    live l = {0};
    slurm_ssh *s = live_open(&l, NULL);
    const char *argv[] = {"true", NULL};
    slurm_ssh_result r;
    aifb_err err = {0};
    cr_assert_eq(slurm_ssh_run(s, argv, NULL, 0, &r, &err), AIFB_OK, "%s", err.msg);
    slurm_ssh_result_free(&r);

    /* The login node goes away: the listening sshd and the sessions it serves. */
    char pidfile[600];
    snprintf(pidfile, sizeof pidfile, "%s/pids/sshd.pid", l.dir);
    FILE *f = fopen(pidfile, "r");
    int sshd = 0, kids[64];
    cr_assert(f && fscanf(f, "%d", &sshd) == 1);
    fclose(f);
    size_t nkids = children_of(sshd, kids, 64);
    cr_assert_gt(nkids, 0, "no session process under sshd %d", sshd);
    cluster_sh("stop-daemon", l.dir, "sshd");
    for (size_t i = 0; i < nkids; i++)
        kill(kids[i], SIGTERM);

    aifb_code code = AIFB_OK;
    for (int i = 0; i < 50 && code == AIFB_OK; i++) { /* until the closed socket is noticed */
        code = slurm_ssh_run(s, argv, NULL, 0, &r, &err);
        slurm_ssh_result_free(&r);
        if (code == AIFB_OK)
            usleep(100000);
    }
    cr_assert_eq(code, AIFB_EUNAVAILABLE, "%s", err.msg);
    cr_assert_eq(slurm_ssh_run(s, argv, NULL, 0, &r, &err), AIFB_EUNAVAILABLE);
    char expect[300];
    snprintf(expect, sizeof expect, "login node %s:%s unreachable since ", l.host, l.port);
    cr_assert(strstr(err.msg, expect), "message: %s", err.msg);
    slurm_ssh_result_free(&r);

    cluster_sh("start-daemon", l.dir, "sshd");
    for (int i = 0; i < 400 && !slurm_ssh_is_up(s); i++) /* backoff is at most 30 s */
        usleep(100000);
    cr_assert(slurm_ssh_is_up(s), "the session did not come back by itself");
    const char *sinfo[] = {"sinfo", "--noheader", NULL};
    cr_assert_eq(slurm_ssh_run(s, sinfo, NULL, 0, &r, &err), AIFB_OK, "%s", err.msg);
    cr_assert_eq(r.exit_status, 0);
    slurm_ssh_result_free(&r);
    live_close(&l);
}

static size_t keep_body(char *data, size_t size, size_t n, void *userdata)
{
    abuf_append(userdata, data, size * n);
    return size * n;
}

Test(slurm_ssh_live, the_tunnel_carries_http_to_the_tcp_slurmrestd)
{
    live l = {0};
    slurm_ssh *s = live_open(&l, NULL);
    char *rest = env_get("AIFB_TEST_SLURM_REST_TCP"), *jwt = env_get("SLURM_JWT");
    const char *colon = strrchr(rest, ':');
    cr_assert_not_null(colon);
    slurm_ssh_tunnel *t = NULL;
    aifb_err err = {0};
    cr_assert_eq(slurm_ssh_tunnel_open(s, "127.0.0.1", atoi(colon + 1), &t, &err), AIFB_OK, "%s",
                 err.msg);
    cr_assert_str_eq(slurm_ssh_tunnel_url(t) + 5, slurm_ssh_tunnel_path(t));
    abuf token = {0};
    abuf_printf(&token, "X-SLURM-USER-TOKEN: %s", jwt);
    for (int round = 0; round < 2; round++) { /* two connections, two channels */
        CURL *c = curl_easy_init();
        abuf body = {0};
        struct curl_slist *h = curl_slist_append(NULL, "X-SLURM-USER-NAME: root");
        h = curl_slist_append(h, token.p);
        curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, slurm_ssh_tunnel_path(t));
        curl_easy_setopt(c, CURLOPT_URL, "http://localhost/openapi/v3");
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
        CURLcode rc = curl_easy_perform(c);
        long status = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        cr_assert_eq(rc, CURLE_OK, "curl: %s", curl_easy_strerror(rc));
        cr_assert_eq(status, 200);
        cr_assert(body.p && strstr(body.p, "\"openapi\""), "not an OpenAPI document: %.200s",
                  body.p ? body.p : "");
        curl_slist_free_all(h);
        curl_easy_cleanup(c);
        abuf_free(&body);
    }
    slurm_ssh_tunnel_close(t);
    abuf_free(&token);
    free(rest);
    free(jwt);
    live_close(&l);
}
