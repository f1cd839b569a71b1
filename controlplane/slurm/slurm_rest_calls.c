/* slurm_rest_calls.c: the slurmrestd calls of slurm_rest.h, one request each.
 *
 * Every call makes sure the data version is known (detecting it from GET /openapi/v3 the first
 * time when it was not configured), builds its path with slurm_api_path, sends one request
 * through slurm_rest_exchange and decodes the reply with the version's parser. No lock is held
 * while a request is under way, so calls from several threads overlap. A detection that fails
 * (slurmrestd down) is tried again at the next call. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slurm/slurm_rest_internal.h"

aifb_code slurm_rest_ensure_api(slurm_rest *r, const slurm_api **api, aifb_err *err)
{
    pthread_mutex_lock(&r->lock);
    *api = r->api;
    pthread_mutex_unlock(&r->lock);
    if (*api)
        return AIFB_OK;
    /* Two threads may both detect the first time: they find the same version. */
    slurm_rest_reply rep;
    aifb_code rc = slurm_rest_exchange(r, "GET", "/openapi/v3", NULL, AIFB_EABORTED, &rep, err);
    if (rc)
        return rc;
    rc = slurm_api_detect(rep.body, rep.len, api, err);
    slurm_rest_reply_free(&rep);
    if (rc) {
        aifb_err_prefix(err, "slurmrestd at %.200s", r->url);
        return rc;
    }
    pthread_mutex_lock(&r->lock);
    r->api = *api;
    pthread_mutex_unlock(&r->lock);
    return AIFB_OK;
}

aifb_code slurm_rest_api(slurm_rest *r, const slurm_api **api, aifb_err *err)
{
    return slurm_rest_ensure_api(r, api, err);
}

/* The version and the path of an endpoint. */
static aifb_code rest_path(slurm_rest *r, slurm_endpoint ep, uint64_t arg, const slurm_api **api,
                           char *path, size_t pathlen, aifb_err *err)
{
    aifb_code rc = slurm_rest_ensure_api(r, api, err);
    if (!rc)
        rc = slurm_api_path(*api, ep, arg, path, pathlen, err);
    return rc;
}

/* Names the server in a parser's message ("slurmrestd at URL: v0.0.38 jobs reply: ..."). */
static aifb_code rest_parsed(slurm_rest *r, aifb_code rc, aifb_err *err)
{
    if (rc)
        aifb_err_prefix(err, "slurmrestd at %.200s", r->url);
    return rc;
}

aifb_code slurm_rest_submit(slurm_rest *r, const slurm_job_spec *spec, uint32_t *job_id,
                            aifb_err *err)
{
    char path[128], *body;
    const slurm_api *api;
    aifb_code rc = rest_path(r, SLURM_EP_SUBMIT, 0, &api, path, sizeof path, err);
    if (rc)
        return rc;
    if ((rc = api->submit_body(spec, &body, err)))
        return rc;
    slurm_rest_reply rep;
    rc = slurm_rest_exchange(r, "POST", path, body, AIFB_EINVAL, &rep, err);
    free(body);
    if (rc)
        return rc;
    rc = api->parse_submit(rep.body, rep.len, job_id, err);
    slurm_rest_reply_free(&rep);
    return rest_parsed(r, rc, err);
}

/* GET of a job list (jobs or job/{id}); *unchanged for an HTTP 304. */
static aifb_code rest_get_jobs(slurm_rest *r, slurm_endpoint ep, uint64_t arg,
                               slurm_job_info **jobs, size_t *n, bool *unchanged, aifb_err *err)
{
    char path[128];
    const slurm_api *api;
    *jobs = NULL;
    *n = 0;
    *unchanged = false;
    aifb_code rc = rest_path(r, ep, arg, &api, path, sizeof path, err);
    if (rc)
        return rc;
    slurm_rest_reply rep;
    if ((rc = slurm_rest_exchange(r, "GET", path, NULL, AIFB_EABORTED, &rep, err)))
        return rc;
    if (rep.status == 304) {
        *unchanged = true;
    } else {
        rc = rest_parsed(r, api->parse_jobs(rep.body, rep.len, jobs, n, err), err);
    }
    slurm_rest_reply_free(&rep);
    return rc;
}

aifb_code slurm_rest_jobs(slurm_rest *r, int64_t update_time, slurm_job_info **jobs, size_t *n,
                          bool *changed, aifb_err *err)
{
    bool unchanged;
    aifb_code rc = rest_get_jobs(r, SLURM_EP_JOBS, update_time > 0 ? (uint64_t)update_time : 0,
                                 jobs, n, &unchanged, err);
    /* With update_time, newer versions say "nothing changed" with an empty list. */
    if (!rc)
        *changed = !(update_time > 0 && (unchanged || *n == 0));
    return rc;
}

aifb_code slurm_rest_job(slurm_rest *r, uint32_t job_id, slurm_job_info *job, aifb_err *err)
{
    slurm_job_info *list;
    size_t n;
    bool unchanged;
    aifb_code rc = rest_get_jobs(r, SLURM_EP_JOB, job_id, &list, &n, &unchanged, err);
    if (rc)
        return rc;
    size_t i = 0;
    while (i < n && list[i].job_id != job_id)
        i++;
    if (i < n)
        *job = list[i];
    free(list);
    if (i == n)
        return aifb_err_set(err, AIFB_ENOTFOUND, "slurmrestd at %.200s does not know job %u",
                            r->url, job_id);
    return AIFB_OK;
}

aifb_code slurm_rest_cancel(slurm_rest *r, uint32_t job_id, int signal, aifb_err *err)
{
    char path[160];
    const slurm_api *api;
    aifb_code rc = rest_path(r, SLURM_EP_JOB, job_id, &api, path, sizeof path - 24, err);
    if (rc)
        return rc;
    if (signal < 0 || signal > 64)
        return aifb_err_set(err, AIFB_EINVAL, "signal %d is not a signal number", signal);
    if (signal)
        snprintf(path + strlen(path), sizeof path - strlen(path), "?signal=%d", signal);
    slurm_rest_reply rep;
    if ((rc = slurm_rest_exchange(r, "DELETE", path, NULL, AIFB_EABORTED, &rep, err)))
        return rc;
    char msg[400];
    /* Some versions answer 200 and still list errors. */
    if (slurm_api_errors(rep.body, rep.len, msg, sizeof msg))
        rc = aifb_err_set(err, strstr(msg, "(error 2017)") ? AIFB_ENOTFOUND : AIFB_EABORTED,
                          "slurmrestd at %.200s refused DELETE %s: %s", r->url, path, msg);
    slurm_rest_reply_free(&rep);
    return rc;
}

/* One GET of ep, the reply left for the caller to decode with *api. */
static aifb_code rest_get(slurm_rest *r, slurm_endpoint ep, const slurm_api **api,
                          slurm_rest_reply *rep, aifb_err *err)
{
    char path[128];
    aifb_code rc = rest_path(r, ep, 0, api, path, sizeof path, err);
    if (!rc)
        rc = slurm_rest_exchange(r, "GET", path, NULL, AIFB_EABORTED, rep, err);
    return rc;
}

aifb_code slurm_rest_nodes(slurm_rest *r, slurm_node_info **nodes, size_t *n, aifb_err *err)
{
    slurm_rest_reply rep;
    const slurm_api *api;
    *nodes = NULL;
    *n = 0;
    aifb_code rc = rest_get(r, SLURM_EP_NODES, &api, &rep, err);
    if (!rc) {
        rc = rest_parsed(r, api->parse_nodes(rep.body, rep.len, nodes, n, err), err);
        slurm_rest_reply_free(&rep);
    }
    return rc;
}

aifb_code slurm_rest_partitions(slurm_rest *r, slurm_partition_info **parts, size_t *n,
                                aifb_err *err)
{
    slurm_rest_reply rep;
    const slurm_api *api;
    *parts = NULL;
    *n = 0;
    aifb_code rc = rest_get(r, SLURM_EP_PARTITIONS, &api, &rep, err);
    if (!rc) {
        rc = rest_parsed(r, api->parse_partitions(rep.body, rep.len, parts, n, err), err);
        slurm_rest_reply_free(&rep);
    }
    return rc;
}

aifb_code slurm_rest_ping(slurm_rest *r, char *release, size_t releaselen, aifb_err *err)
{
    slurm_rest_reply rep;
    const slurm_api *api;
    if (release && releaselen)
        release[0] = '\0';
    aifb_code rc = rest_get(r, SLURM_EP_PING, &api, &rep, err);
    if (!rc) {
        char msg[400];
        if (slurm_api_errors(rep.body, rep.len, msg, sizeof msg))
            rc = aifb_err_set(err, AIFB_EUNAVAILABLE, "slurmrestd at %.200s: ping failed: %s",
                              r->url, msg);
        else if (release && releaselen)
            slurm_api_release(rep.body, rep.len, release, releaselen);
        slurm_rest_reply_free(&rep);
    }
    return rc;
}
