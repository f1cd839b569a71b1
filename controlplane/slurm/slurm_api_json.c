/* slurm_api_json.c: the helpers every data version of slurm_api shares (see slurm_api_internal.h).
 *
 * Three groups: reading JSON the way Slurm writes it (numbers as plain integers in v0.0.38, as
 * {set, infinite, number} objects later, "errors" arrays in every reply), mapping Slurm's job
 * state names and wait statuses onto slurm_job_info, and the version-independent checks of a
 * slurm_job_spec. */
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "slurm/slurm_api_internal.h"

/* OpenAPI documents nest deeper than replies; json-c's default of 32 is too tight for them. */
#define SLURM_API_JSON_DEPTH 128

/* The Slurm error number of ESLURM_INVALID_JOB_ID, the one error aifb treats apart. */
#define SLURM_API_EINVALID_JOB_ID 2017

static bool only_space(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!isspace((unsigned char)s[i]))
            return false;
    return true;
}

static bool starts_with_object(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!isspace((unsigned char)s[i]))
            return s[i] == '{';
    return false;
}

aifb_code slurm_api_json_parse(const char *what, const char *body, size_t len, json_object **out,
                               aifb_err *err)
{
    *out = NULL;
    if (!body || len == 0 || only_space(body, len))
        return aifb_err_set(err, AIFB_EINVAL, "%s is empty", what);
    if (len > INT_MAX)
        return aifb_err_set(err, AIFB_EINVAL, "%s is too large (%zu bytes)", what, len);
    if (!starts_with_object(body, len))
        return aifb_err_set(err, AIFB_EINVAL, "%s is not a JSON object", what);
    json_tokener *tok = json_tokener_new_ex(SLURM_API_JSON_DEPTH);
    if (!tok)
        return aifb_err_set(err, AIFB_EINTERNAL, "%s: out of memory for the JSON parser", what);
    json_object *o = json_tokener_parse_ex(tok, body, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    aifb_code rc = AIFB_OK;
    if (jerr == json_tokener_continue)
        rc = aifb_err_set(err, AIFB_EINVAL,
                          "%s is cut short: its JSON ends after %zu bytes "
                          "before the last value closes",
                          what, len);
    else if (jerr != json_tokener_success)
        rc = aifb_err_set(err, AIFB_EINVAL, "%s is not valid JSON: %s at byte %zu", what,
                          json_tokener_error_desc(jerr), end);
    else if (end < len && !only_space(body + end, len - end))
        rc = aifb_err_set(err, AIFB_EINVAL, "%s has data after its JSON object, at byte %zu", what,
                          end);
    else if (!json_object_is_type(o, json_type_object))
        rc = aifb_err_set(err, AIFB_EINVAL, "%s is not a JSON object", what);
    if (rc) {
        json_object_put(o);
        return rc;
    }
    *out = o;
    return AIFB_OK;
}

json_object *slurm_api_json_get(json_object *o, const char *key)
{
    json_object *v = NULL;
    if (!o || !json_object_is_type(o, json_type_object))
        return NULL;
    if (!json_object_object_get_ex(o, key, &v))
        return NULL;
    return v;
}

void slurm_api_json_str(json_object *o, const char *key, char *out, size_t outlen)
{
    json_object *v = slurm_api_json_get(o, key);
    out[0] = '\0';
    if (v && json_object_is_type(v, json_type_string))
        snprintf(out, outlen, "%s", json_object_get_string(v));
}

static bool plain_number(json_object *v, int64_t *out)
{
    if (json_object_is_type(v, json_type_int)) {
        *out = json_object_get_int64(v);
        return true;
    }
    if (json_object_is_type(v, json_type_double)) {
        double d = json_object_get_double(v);
        if (!isfinite(d) || d < (double)INT64_MIN || d >= (double)INT64_MAX)
            return false;
        *out = (int64_t)d;
        return true;
    }
    return false;
}

bool slurm_api_json_number(json_object *v, int64_t *out)
{
    if (!v)
        return false;
    if (!json_object_is_type(v, json_type_object))
        return plain_number(v, out);
    json_object *set = slurm_api_json_get(v, "set");
    json_object *inf = slurm_api_json_get(v, "infinite");
    if (inf && json_object_get_boolean(inf))
        return false;
    /* "set" is optional in the schema; a number without it counts as set. */
    if (set && !json_object_get_boolean(set))
        return false;
    json_object *num = slurm_api_json_get(v, "number");
    return num && plain_number(num, out);
}

int64_t slurm_api_json_number_or(json_object *o, const char *key, int64_t dflt)
{
    int64_t n;
    return slurm_api_json_number(slurm_api_json_get(o, key), &n) ? n : dflt;
}

bool slurm_api_json_job_id(json_object *o, const char *key, uint32_t *id)
{
    int64_t n;
    if (!slurm_api_json_number(slurm_api_json_get(o, key), &n) || n <= 0 || n > UINT32_MAX)
        return false;
    *id = (uint32_t)n;
    return true;
}

void slurm_api_json_join(json_object *arr, const char *sep, bool upper, char *out, size_t outlen)
{
    out[0] = '\0';
    if (!arr || !json_object_is_type(arr, json_type_array))
        return;
    size_t used = 0, n = json_object_array_length(arr);
    for (size_t i = 0; i < n && used + 1 < outlen; i++) {
        json_object *e = json_object_array_get_idx(arr, i);
        if (!json_object_is_type(e, json_type_string))
            continue;
        int w =
            snprintf(out + used, outlen - used, "%s%s", used ? sep : "", json_object_get_string(e));
        if (w < 0)
            break;
        used += (size_t)w < outlen - used ? (size_t)w : outlen - used - 1;
    }
    for (char *p = out; upper && *p; p++)
        *p = (char)toupper((unsigned char)*p);
}

char *slurm_api_json_text(json_object *o)
{
    return xstrdup(
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* One entry of an "errors" array as text: "<description>: <error> (error N)". */
static void describe_error(json_object *e, abuf *b, bool *invalid_job)
{
    if (json_object_is_type(e, json_type_string)) {
        abuf_puts(b, json_object_get_string(e));
        return;
    }
    char desc[256], text[256];
    slurm_api_json_str(e, "description", desc, sizeof desc);
    slurm_api_json_str(e, "error", text, sizeof text);
    int64_t num = 0;
    /* v0.0.38 writes error_code in some replies, error_number in others. */
    if (!slurm_api_json_number(slurm_api_json_get(e, "error_number"), &num))
        slurm_api_json_number(slurm_api_json_get(e, "error_code"), &num);
    if (num == SLURM_API_EINVALID_JOB_ID)
        *invalid_job = true;
    if (desc[0] && text[0] && strcmp(desc, text) != 0)
        abuf_printf(b, "%s: %s", desc, text);
    else if (desc[0] || text[0])
        abuf_puts(b, desc[0] ? desc : text);
    else
        abuf_puts(b, "unknown error");
    if (num)
        abuf_printf(b, " (error %lld)", (long long)num);
}

/* All errors of root as one sentence; NULL when there are none. */
static char *describe_errors(json_object *root, bool *invalid_job)
{
    json_object *errs = slurm_api_json_get(root, "errors");
    *invalid_job = false;
    if (!errs || !json_object_is_type(errs, json_type_array) || json_object_array_length(errs) == 0)
        return NULL;
    abuf b = {0};
    abuf_puts(&b, "slurmrestd: ");
    for (size_t i = 0; i < json_object_array_length(errs); i++) {
        if (i)
            abuf_puts(&b, "; ");
        describe_error(json_object_array_get_idx(errs, i), &b, invalid_job);
    }
    return abuf_take(&b);
}

aifb_code slurm_api_reply_errors(json_object *root, const char *what, aifb_code refusal_code,
                                 aifb_err *err)
{
    bool invalid_job;
    char *msg = describe_errors(root, &invalid_job);
    if (!msg)
        return AIFB_OK;
    aifb_code rc = invalid_job ? AIFB_ENOTFOUND : refusal_code;
    aifb_err_set(err, rc, "%s: %s", what, msg);
    free(msg);
    return rc;
}

bool slurm_api_errors(const char *body, size_t len, char *msg, size_t msglen)
{
    json_object *root;
    bool invalid_job;
    if (msglen)
        msg[0] = '\0';
    if (slurm_api_json_parse("reply", body, len, &root, NULL))
        return false;
    char *text = describe_errors(root, &invalid_job);
    json_object_put(root);
    if (!text)
        return false;
    if (msglen)
        snprintf(msg, msglen, "%s", text);
    free(text);
    return true;
}

bool slurm_api_release(const char *body, size_t len, char *out, size_t outlen)
{
    json_object *root;
    if (outlen)
        out[0] = '\0';
    if (slurm_api_json_parse("reply", body, len, &root, NULL))
        return false;
    json_object *meta = slurm_api_json_get(root, "meta");
    /* v0.0.38 capitalises "Slurm"; the data_parser versions do not. */
    json_object *slurm = slurm_api_json_get(meta, "slurm");
    if (!slurm)
        slurm = slurm_api_json_get(meta, "Slurm");
    char release[64];
    slurm_api_json_str(slurm, "release", release, sizeof release);
    json_object_put(root);
    if (!release[0])
        return false;
    if (outlen)
        snprintf(out, outlen, "%s", release);
    return true;
}

aifb_code slurm_api_json_list(json_object *root, const char *what, const char *key,
                              json_object **arr, size_t *n, aifb_err *err)
{
    json_object *a = slurm_api_json_get(root, key);
    if (!a)
        return aifb_err_set(err, AIFB_EINVAL, "%s has no \"%s\" array", what, key);
    if (!json_object_is_type(a, json_type_array))
        return aifb_err_set(err, AIFB_EINVAL, "%s: \"%s\" must be an array, not a JSON %s", what,
                            key, json_type_to_name(json_object_get_type(a)));
    *arr = a;
    *n = json_object_array_length(a);
    return AIFB_OK;
}

aifb_code slurm_api_parse_list(const char *what, const char *body, size_t len, const char *key,
                               size_t item_size, slurm_api_item_fn fn, void **out, size_t *n,
                               aifb_err *err)
{
    *out = NULL;
    *n = 0;
    json_object *root = NULL, *arr = NULL;
    size_t count = 0;
    aifb_code rc = slurm_api_json_parse(what, body, len, &root, err);
    if (rc)
        return rc;
    if ((rc = slurm_api_reply_errors(root, what, AIFB_EABORTED, err)) ||
        (rc = slurm_api_json_list(root, what, key, &arr, &count, err))) {
        json_object_put(root);
        return rc;
    }
    char *items = count ? xcalloc(count, item_size) : NULL;
    for (size_t i = 0; i < count && !rc; i++)
        rc = fn(json_object_array_get_idx(arr, i), i, items + i * item_size, what, err);
    json_object_put(root);
    if (rc) {
        free(items);
        return rc;
    }
    *out = items;
    *n = count;
    return AIFB_OK;
}

/* Slurm's job state names: the base states, then the flags v0.0.38 shows instead of the base
 * state when one is set (job_state_string() in Slurm). A flag maps to what the job is doing. */
static const struct {
    const char *name;
    slurm_job_state state;
    bool base;
} job_state_names[] = {
    {"PENDING", SLURM_JOB_PENDING, true},
    {"RUNNING", SLURM_JOB_RUNNING, true},
    {"SUSPENDED", SLURM_JOB_SUSPENDED, true},
    {"COMPLETED", SLURM_JOB_COMPLETED, true},
    {"CANCELLED", SLURM_JOB_CANCELLED, true},
    {"FAILED", SLURM_JOB_FAILED, true},
    {"TIMEOUT", SLURM_JOB_TIMEOUT, true},
    {"NODE_FAIL", SLURM_JOB_NODE_FAIL, true},
    {"PREEMPTED", SLURM_JOB_PREEMPTED, true},
    {"BOOT_FAIL", SLURM_JOB_BOOT_FAIL, true},
    {"DEADLINE", SLURM_JOB_DEADLINE, true},
    {"OUT_OF_MEMORY", SLURM_JOB_OUT_OF_MEMORY, true},
    {"COMPLETING", SLURM_JOB_COMPLETING, false},
    {"STAGE_OUT", SLURM_JOB_COMPLETING, false},  /* ended; burst buffer data goes out */
    {"CONFIGURING", SLURM_JOB_RUNNING, false},   /* allocated; nodes booting */
    {"POWER_UP_NODE", SLURM_JOB_RUNNING, false}, /* allocated; nodes powering up */
    {"RESIZING", SLURM_JOB_RUNNING, false},
    {"SIGNALING", SLURM_JOB_RUNNING, false},
    {"STOPPED", SLURM_JOB_SUSPENDED, false}, /* SIGSTOP sent, resources held */
    {"REQUEUED", SLURM_JOB_PENDING, false},  /* goes back to the queue */
    {"REQUEUE_FED", SLURM_JOB_PENDING, false},
    {"REQUEUE_HOLD", SLURM_JOB_PENDING, false},
    {"SPECIAL_EXIT", SLURM_JOB_PENDING, false},
    {"RESV_DEL_HOLD", SLURM_JOB_PENDING, false},
    {"REVOKED", SLURM_JOB_CANCELLED, false}, /* a federation sibling runs it elsewhere */
};

slurm_job_state slurm_api_state_from_name(const char *name, bool *is_base, bool *completing)
{
    *is_base = false;
    *completing = false;
    for (size_t i = 0; i < sizeof job_state_names / sizeof job_state_names[0]; i++) {
        if (strcasecmp(name, job_state_names[i].name) == 0) {
            *is_base = job_state_names[i].base;
            *completing = strcasecmp(name, "COMPLETING") == 0;
            return job_state_names[i].state;
        }
    }
    return SLURM_JOB_UNKNOWN;
}

bool slurm_api_state_has_exit(slurm_job_state s)
{
    return s == SLURM_JOB_COMPLETING || slurm_job_state_final(s);
}

void slurm_api_exit_clear(slurm_job_info *j)
{
    j->has_exit = false;
    j->exit_status = -1;
    j->exit_signal = -1;
    j->raw_wait_status = -1;
}

bool slurm_api_exit_from_wait(slurm_job_info *j, int64_t raw)
{
    slurm_api_exit_clear(j);
    if (raw < 0 || raw > 0xffff)
        return false;
    int low = (int)(raw & 0x7f);
    if (low == 0x7f) /* a stopped process, not an ended one */
        return false;
    if (low == 0)
        j->exit_status = (int)((raw >> 8) & 0xff);
    else
        j->exit_signal = low;
    j->has_exit = true;
    j->raw_wait_status = (int)raw;
    return true;
}

bool slurm_api_str_set(const char *s)
{
    return s && s[0];
}

void slurm_api_json_add_str(json_object *o, const char *key, const char *s)
{
    if (slurm_api_str_set(s))
        json_object_object_add(o, key, json_object_new_string(s));
}

void slurm_api_json_add_int(json_object *o, const char *key, int64_t n)
{
    if (n > 0)
        json_object_object_add(o, key, json_object_new_int64(n));
}

static bool env_name_valid(const char *s)
{
    if (!s || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
        return false;
    for (const char *p = s + 1; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '_'))
            return false;
    return true;
}

static aifb_code env_check(const slurm_job_spec *spec, const char *version, aifb_err *err)
{
    if (spec->nenv && !spec->env)
        return aifb_err_set(err, AIFB_EINVAL, "%s submit: nenv is %zu but env is NULL", version,
                            spec->nenv);
    for (size_t i = 0; i < spec->nenv; i++) {
        const kv *e = &spec->env[i];
        if (!env_name_valid(e->name))
            return aifb_err_set(err, AIFB_EINVAL,
                                "%s submit: environment variable name '%.64s' is not valid "
                                "(letters, digits and '_', not starting with a digit)",
                                version, e->name ? e->name : "(null)");
        if (!e->value)
            return aifb_err_set(err, AIFB_EINVAL,
                                "%s submit: environment variable '%.64s' has no value", version,
                                e->name);
        for (size_t k = 0; k < i; k++)
            if (strcmp(spec->env[k].name, e->name) == 0)
                return aifb_err_set(err, AIFB_EINVAL,
                                    "%s submit: environment variable '%.64s' is given twice",
                                    version, e->name);
    }
    return AIFB_OK;
}

static aifb_code count_check(const char *version, const char *field, int64_t v, int64_t max,
                             aifb_err *err)
{
    if (v < 0)
        return aifb_err_set(err, AIFB_EINVAL,
                            "%s submit: %s is %lld: it must be 0 (not set) or more", version, field,
                            (long long)v);
    if (v > max)
        return aifb_err_set(err, AIFB_EINVAL, "%s submit: %s is %lld: Slurm takes at most %lld",
                            version, field, (long long)v, (long long)max);
    return AIFB_OK;
}

aifb_code slurm_api_spec_check(const slurm_job_spec *spec, const char *version, aifb_err *err)
{
    if (!spec)
        return aifb_err_set(err, AIFB_EINVAL, "%s submit: no job spec", version);
    if (!slurm_api_str_set(spec->script))
        return aifb_err_set(err, AIFB_EINVAL, "%s submit: script is required", version);
    if (!slurm_api_str_set(spec->cwd))
        return aifb_err_set(err, AIFB_EINVAL,
                            "%s submit: cwd is required (without it slurmrestd runs the job in "
                            "its own working directory)",
                            version);
    /* Limits of the fields Slurm stores them in: uint32 minutes, counts, uint16 cpus per task,
     * uint64 megabytes (kept below what a signed 64-bit JSON integer holds). */
    aifb_code rc;
    if ((rc = count_check(version, "time_limit_min", spec->time_limit_min, INT_MAX, err)) ||
        (rc = count_check(version, "nodes", spec->nodes, INT_MAX, err)) ||
        (rc = count_check(version, "tasks", spec->tasks, INT_MAX, err)) ||
        (rc = count_check(version, "cpus_per_task", spec->cpus_per_task, 65534, err)) ||
        (rc = count_check(version, "memory_mb", spec->memory_mb, INT64_MAX / 2, err)) ||
        (rc = count_check(version, "gpus", spec->gpus, INT_MAX, err)))
        return rc;
    return env_check(spec, version, err);
}
