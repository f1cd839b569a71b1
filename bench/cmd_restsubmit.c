/* cmd_restsubmit.c: `restsubmit URL --path P --bodies F1[,F2...] [--count 100]
 * [--aifbd ADDR --recipe R]`: the peer of the Slurm benchmark, a direct libcurl client of
 * slurmrestd. Each call POSTs every body in turn (a service job, then a client job: what aifbd
 * submits for one run) on one kept-open connection and is timed as a whole, so its latency sits
 * beside StartRun's, which does the same two submissions plus everything aifbd adds
 * (validation, the plan, the scripts, SQLite). With --aifbd, every iteration also times one
 * StartRun of R there, the two taking turns to go first, so both series see the same cluster
 * and the same machine at the same moments (the jobs of earlier runs starting and ending).
 * URL is unix:/path/to/slurmrestd.sock or http://host:port (then SLURM_JWT and AIFB_SLURM_USER
 * give the token headers). A reply other than 2xx, or one listing Slurm errors, fails the
 * command with that reply. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "common/util.h"

#define RS_MAX_BODIES 4

static size_t rs_sink(char *data, size_t size, size_t nmemb, void *user)
{
    abuf *b = user;
    abuf_append(b, data, size * nmemb);
    return size * nmemb;
}

static aifb_code rs_read(const char *path, char **out, aifb_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return aifb_err_set(err, AIFB_ENOTFOUND, "cannot open body %s", path);
    abuf b = {0};
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        abuf_append(&b, chunk, n);
    fclose(f);
    abuf_putc(&b, '\0');
    *out = abuf_take(&b);
    return AIFB_OK;
}

/* One POST; AIFB_EABORTED with the reply's start when it is not a clean 2xx. */
static aifb_code rs_post(CURL *c, const char *url, const char *body, struct curl_slist *h,
                         aifb_err *err)
{
    abuf reply = {0};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, rs_sink);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &reply);
    CURLcode cc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    aifb_code rc = AIFB_OK;
    const char *text = reply.p ? reply.p : "";
    if (cc != CURLE_OK)
        rc = aifb_err_set(err, AIFB_EUNAVAILABLE, "POST %s: %s", url, curl_easy_strerror(cc));
    else if (status < 200 || status > 299 || !strstr(text, "\"job_id\""))
        rc = aifb_err_set(err, AIFB_EABORTED, "POST %s: HTTP %ld: %.300s", url, status, text);
    abuf_free(&reply);
    return rc;
}

static int restsubmit_run(int argc, char **argv)
{
    static const char *const known[] = {"--path",  "--bodies", "--count",
                                        "--aifbd", "--recipe", NULL};
    bench_args a;
    aifb_err err = {0};
    long count;
    if (bench_args_check(&a, argc, argv, 1, known, &err) ||
        bench_arg_int(&a, "--count", 100, 1, 1000000, &count, &err))
        return bench_fail("restsubmit", &err);
    const char *target = bench_arg_pos(&a, 0);
    const char *path = bench_arg_str(&a, "--path", "/slurm/v0.0.38/job/submit");
    const char *list = bench_arg_str(&a, "--bodies", NULL);
    if (!list || !*list) {
        aifb_err_set(&err, AIFB_EINVAL, "--bodies F1[,F2...] is required");
        return bench_fail("restsubmit", &err);
    }
    char *bodies[RS_MAX_BODIES] = {0};
    size_t nbodies = 0;
    char *names = xstrdup(list), *save = NULL;
    for (char *f = strtok_r(names, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
        if (nbodies == RS_MAX_BODIES || rs_read(f, &bodies[nbodies], &err)) {
            if (nbodies == RS_MAX_BODIES)
                aifb_err_set(&err, AIFB_EINVAL, "at most %d bodies", RS_MAX_BODIES);
            free(names);
            for (size_t i = 0; i < nbodies; i++)
                free(bodies[i]);
            return bench_fail("restsubmit", &err);
        }
        nbodies++;
    }
    free(names);

    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *c = curl_easy_init();
    char url[1024];
    if (strncmp(target, "unix:", 5) == 0) {
        curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, target + 5);
        snprintf(url, sizeof url, "http://localhost%s", path);
    } else {
        snprintf(url, sizeof url, "%s%s", target, path);
    }
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 20000L);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    h = curl_slist_append(h, "Accept: application/json");
    h = curl_slist_append(h, "Expect:");
    const char *jwt = getenv("SLURM_JWT"), *user = getenv("AIFB_SLURM_USER");
    if (strncmp(target, "unix:", 5) != 0 && jwt && *jwt && user && *user) {
        char line[4096];
        snprintf(line, sizeof line, "X-SLURM-USER-NAME: %s", user);
        h = curl_slist_append(h, line);
        snprintf(line, sizeof line, "X-SLURM-USER-TOKEN: %s", jwt);
        h = curl_slist_append(h, line);
    }
    const char *aifbd = bench_arg_str(&a, "--aifbd", NULL);
    const char *recipe = bench_arg_str(&a, "--recipe", NULL);
    rpc_client *rc = NULL;
    int status = 0;
    if (aifbd && (!recipe || rpc_client_new(aifbd, NULL, &rc, &err))) {
        if (!recipe)
            aifb_err_set(&err, AIFB_EINVAL, "--aifbd needs --recipe");
        status = bench_fail("restsubmit", &err);
    }
    bench_samples lat = {0}, start_lat = {0};
    double t0 = bench_now_s();
    for (long i = 0; i < count && !status; i++) {
        for (int turn = 0; turn < 2 && !status; turn++) {
            bool peer = (turn == 0) == (i % 2 == 0);
            double s = bench_now_s();
            if (!peer) {
                if (rc && bench_start_run(rc, recipe, "", NULL, &err))
                    status = bench_fail("restsubmit", &err);
                else if (rc)
                    bench_samples_add(&start_lat, (bench_now_s() - s) * 1000.0);
                continue;
            }
            for (size_t k = 0; k < nbodies && !status; k++)
                if (rs_post(c, url, bodies[k], h, &err))
                    status = bench_fail("restsubmit", &err);
            if (!status)
                bench_samples_add(&lat, (bench_now_s() - s) * 1000.0);
        }
    }
    double wall = bench_now_s() - t0;
    if (!status)
        printf("restsubmit calls=%ld posts_per_call=%zu seconds=%.2f p50_ms=%.3f p99_ms=%.3f\n",
               count, nbodies, wall, bench_samples_quantile(&lat, 0.50),
               bench_samples_quantile(&lat, 0.99));
    if (!status && rc)
        printf("startrun_paired calls=%ld p50_ms=%.3f p99_ms=%.3f\n", count,
               bench_samples_quantile(&start_lat, 0.50), bench_samples_quantile(&start_lat, 0.99));
    rpc_client_free(rc);
    bench_samples_free(&lat);
    bench_samples_free(&start_lat);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    curl_global_cleanup();
    for (size_t i = 0; i < nbodies; i++)
        free(bodies[i]);
    return status;
}

const bench_cmd bench_cmd_restsubmit = {
    .name = "restsubmit",
    .usage = "URL --bodies F1[,F2...] [--path /slurm/v0.0.38/job/submit] [--count 100]\n"
             "      [--aifbd ADDR --recipe R (a StartRun beside each call, taking turns)]",
    .about = "direct slurmrestd submissions (libcurl): each call POSTs every body, timed whole",
    .run = restsubmit_run,
};
