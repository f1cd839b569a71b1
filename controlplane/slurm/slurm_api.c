/* slurm_api.c: the registry of data versions, version detection from slurmrestd's OpenAPI
 * document, URL paths, and job state names.
 *
 * Adding a data version means one more slurm_api table (slurm_api_v00NN.c) and one row in
 * supported_apis below; detection and lookup pick it up from there. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slurm/slurm_api_internal.h"

/* Oldest first. v0.0.39 (Slurm 23.02 only) is left out: no current cluster runs it alone, and
 * 23.11 offers v0.0.40 beside it. */
static const slurm_api *const supported_apis[] = {
    &slurm_api_v0038,
    &slurm_api_v0040,
    &slurm_api_v0041,
    &slurm_api_v0042,
};
#define SUPPORTED_COUNT (sizeof supported_apis / sizeof supported_apis[0])

const slurm_api *slurm_api_get(const char *version)
{
    if (!version)
        return NULL;
    for (size_t i = 0; i < SUPPORTED_COUNT; i++)
        if (strcmp(supported_apis[i]->version, version) == 0)
            return supported_apis[i];
    return NULL;
}

const char *slurm_api_supported(void)
{
    return "v0.0.38, v0.0.40, v0.0.41, v0.0.42";
}

aifb_code slurm_api_lookup(const char *version, const slurm_api **out, aifb_err *err)
{
    *out = slurm_api_get(version);
    if (*out)
        return AIFB_OK;
    return aifb_err_set(err, AIFB_EINVAL,
                        "Slurm REST data version '%.64s' is not supported (supported: %s)",
                        version ? version : "(none)", slurm_api_supported());
}

/* Whether s[0..n) has the shape "v<digits>.<digits>.<digits>". */
static bool version_shape(const char *s, size_t n)
{
    if (n < 6 || n > 15 || s[0] != 'v')
        return false;
    int dots = 0;
    bool digit_before = false;
    for (size_t i = 1; i < n; i++) {
        if (s[i] == '.') {
            if (!digit_before)
                return false;
            dots++;
            digit_before = false;
        } else if (s[i] >= '0' && s[i] <= '9') {
            digit_before = true;
        } else {
            return false;
        }
    }
    return dots == 2 && digit_before;
}

/* The distinct versions of the /slurm/v0.0.N/ paths of a document, in document order. */
#define OFFERED_MAX 32
typedef struct offered_versions {
    char version[OFFERED_MAX][16];
    size_t n;
} offered_versions;

static bool offered_has(const offered_versions *o, const char *version)
{
    for (size_t i = 0; i < o->n; i++)
        if (strcmp(o->version[i], version) == 0)
            return true;
    return false;
}

static void offered_collect(json_object *paths, offered_versions *o)
{
    static const char prefix[] = "/slurm/";
    o->n = 0;
    json_object_object_foreach(paths, key, val)
    {
        (void)val;
        if (strncmp(key, prefix, sizeof prefix - 1) != 0)
            continue;
        const char *v = key + sizeof prefix - 1;
        size_t n = strcspn(v, "/");
        char version[16];
        if (!version_shape(v, n) || o->n == OFFERED_MAX)
            continue;
        snprintf(version, sizeof version, "%.*s", (int)n, v);
        if (!offered_has(o, version))
            snprintf(o->version[o->n++], sizeof o->version[0], "%s", version);
    }
}

static void offered_text(const offered_versions *o, char *out, size_t outlen)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < o->n && used + 1 < outlen; i++) {
        int w = snprintf(out + used, outlen - used, "%s%s", i ? ", " : "", o->version[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

aifb_code slurm_api_detect(const char *openapi_doc, size_t len, const slurm_api **out,
                           aifb_err *err)
{
    *out = NULL;
    json_object *root;
    aifb_code rc = slurm_api_json_parse("OpenAPI document", openapi_doc, len, &root, err);
    if (rc)
        return rc;
    json_object *paths = slurm_api_json_get(root, "paths");
    if (!paths || !json_object_is_type(paths, json_type_object)) {
        json_object_put(root);
        return aifb_err_set(err, AIFB_EINVAL, "OpenAPI document has no \"paths\" object");
    }
    offered_versions offered;
    offered_collect(paths, &offered);
    json_object_put(root);
    if (offered.n == 0)
        return aifb_err_set(err, AIFB_EINVAL,
                            "OpenAPI document lists no /slurm/v0.0.N/ paths: is this "
                            "slurmrestd with an openapi/slurmctld plugin loaded?");
    for (size_t i = SUPPORTED_COUNT; i-- > 0;) {
        if (offered_has(&offered, supported_apis[i]->version)) {
            *out = supported_apis[i];
            return AIFB_OK;
        }
    }
    char list[256];
    offered_text(&offered, list, sizeof list);
    return aifb_err_set(err, AIFB_EUNIMPLEMENTED,
                        "slurmrestd offers Slurm REST data version(s) %s, none of which aifb "
                        "supports (supported: %s)",
                        list, slurm_api_supported());
}

aifb_code slurm_api_path(const slurm_api *api, slurm_endpoint ep, uint64_t arg, char *out,
                         size_t outlen, aifb_err *err)
{
    const char *v = api->version;
    int n;
    switch (ep) {
    case SLURM_EP_SUBMIT:
        n = snprintf(out, outlen, "/slurm/%s/job/submit", v);
        break;
    case SLURM_EP_JOB:
        if (arg == 0 || arg > UINT32_MAX)
            return aifb_err_set(err, AIFB_EINVAL, "Slurm job id %llu is not valid",
                                (unsigned long long)arg);
        n = snprintf(out, outlen, "/slurm/%s/job/%llu", v, (unsigned long long)arg);
        break;
    case SLURM_EP_JOBS:
        if (arg)
            n = snprintf(out, outlen, "/slurm/%s/jobs?update_time=%llu", v,
                         (unsigned long long)arg);
        else
            n = snprintf(out, outlen, "/slurm/%s/jobs", v);
        break;
    case SLURM_EP_NODES:
        n = snprintf(out, outlen, "/slurm/%s/nodes", v);
        break;
    case SLURM_EP_PARTITIONS:
        n = snprintf(out, outlen, "/slurm/%s/partitions", v);
        break;
    case SLURM_EP_PING:
        n = snprintf(out, outlen, "/slurm/%s/ping", v);
        break;
    case SLURM_EP_DIAG:
        n = snprintf(out, outlen, "/slurm/%s/diag", v);
        break;
    default:
        return aifb_err_set(err, AIFB_EINVAL, "unknown slurmrestd endpoint %d", (int)ep);
    }
    if (n < 0 || (size_t)n >= outlen)
        return aifb_err_set(err, AIFB_ERANGE, "slurmrestd path for %s does not fit in %zu bytes", v,
                            outlen);
    return AIFB_OK;
}

const char *slurm_job_state_name(slurm_job_state s)
{
    static const char *const names[] = {
        "PENDING", "RUNNING",   "SUSPENDED",     "COMPLETING", "COMPLETED", "FAILED",   "CANCELLED",
        "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "PREEMPTED",  "BOOT_FAIL", "DEADLINE", "UNKNOWN",
    };
    if ((unsigned)s < sizeof names / sizeof names[0])
        return names[s];
    return "UNKNOWN";
}

bool slurm_job_state_final(slurm_job_state s)
{
    switch (s) {
    case SLURM_JOB_COMPLETED:
    case SLURM_JOB_FAILED:
    case SLURM_JOB_CANCELLED:
    case SLURM_JOB_TIMEOUT:
    case SLURM_JOB_NODE_FAIL:
    case SLURM_JOB_OUT_OF_MEMORY:
    case SLURM_JOB_PREEMPTED:
    case SLURM_JOB_BOOT_FAIL:
    case SLURM_JOB_DEADLINE:
        return true;
    default:
        return false;
    }
}
