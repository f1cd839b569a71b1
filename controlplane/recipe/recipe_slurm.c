/* recipe_slurm.c: a role's `slurm:` section, the job settings a recipe asks of a Slurm cluster
 * (an Apptainer image, GPUs, nodes, tasks, CPUs, memory, time, partition).
 *
 * Every value is a template, so a recipe can tie a setting to a parameter (`gpus:
 * "${tensor_parallel_size}"`, `image: "${image}"`). One table describes the keys; the same
 * check runs at load time on values without placeholders (a typo fails when aifbd starts) and on
 * every run's expanded values (a parameter that makes a bad setting fails StartRun before
 * anything is submitted). The checks are those the job script cannot make safe by quoting: a
 * whole number in range, an image that apptainer would not read as an option, a partition that
 * can stand as an #SBATCH value. How the values meet aifbd's own configuration is decided in
 * aifbd (executors.c); the local executor ignores the section. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "recipe/recipe_internal.h"

typedef enum { SK_INT, SK_IMAGE, SK_PARTITION } slurm_key_kind;

typedef struct slurm_key {
    const char *name;
    size_t tmpl_off;  /* the char * template in recipe_slurm */
    size_t value_off; /* the field in recipe_slurm_values */
    slurm_key_kind kind;
    bool wide;      /* SK_INT: the field is an int64_t (else an int) */
    int64_t lo, hi; /* SK_INT: inclusive, as aifbd's configuration allows */
} slurm_key;

#define T(f) offsetof(recipe_slurm, f)
#define V(f) offsetof(recipe_slurm_values, f)
static const slurm_key keys[] = {
    {"image", T(image), V(image), SK_IMAGE, false, 0, 0},
    {"gpus", T(gpus), V(gpus), SK_INT, false, 0, 1024},
    {"nodes", T(nodes), V(nodes), SK_INT, false, 1, 100000},
    {"tasks", T(tasks), V(tasks), SK_INT, false, 1, 1000000},
    {"cpus_per_task", T(cpus_per_task), V(cpus_per_task), SK_INT, false, 1, 65534},
    {"memory_mb", T(memory_mb), V(memory_mb), SK_INT, true, 1, 2000000000},
    {"time_limit_min", T(time_limit_min), V(time_limit_min), SK_INT, false, 1, 525600},
    {"partition", T(partition), V(partition), SK_PARTITION, false, 0, 0},
};
#define NKEYS           (sizeof keys / sizeof keys[0])
#define VALUE_QUOTE_MAX 80

static char **tmpl_slot(recipe_slurm *s, const slurm_key *k)
{
    return (char **)((char *)s + k->tmpl_off);
}

static const char *tmpl_of(const recipe_slurm *s, const slurm_key *k)
{
    return *(char *const *)((const char *)s + k->tmpl_off);
}

/* Letters, digits and the few punctuation marks a partition list uses; the same set the job
 * script accepts for a directive value, so what passes here is never refused at submission. */
static bool partition_ok(const char *v)
{
    if (!*v || *v == '-' || strlen(v) > 1024)
        return false;
    for (; *v; v++)
        if (!((*v >= 'a' && *v <= 'z') || (*v >= 'A' && *v <= 'Z') || (*v >= '0' && *v <= '9') ||
              strchr("._-+,:@/", *v)))
            return false;
    return true;
}

static bool has_control(const char *v)
{
    for (; *v; v++)
        if ((unsigned char)*v < 0x20 || *v == 0x7f)
            return true;
    return false;
}

/* " (from '${x}')" when the value came out of a template, so the recipe's author and the
 * caller who typed the parameter both see what went wrong. */
static void from_note(char *out, size_t len, const char *tmpl, const char *v)
{
    if (strcmp(tmpl, v))
        snprintf(out, len, " (from '%.*s')", VALUE_QUOTE_MAX, tmpl);
    else
        out[0] = '\0';
}

/* Checks one expanded, non-empty value v of key k; *num gets an SK_INT's number. */
static aifb_code check_value(const slurm_key *k, const char *role, const char *tmpl, const char *v,
                             int64_t *num, aifb_err *err)
{
    char from[VALUE_QUOTE_MAX + 16];
    from_note(from, sizeof from, tmpl, v);
    switch (k->kind) {
    case SK_INT:
        if (recipe_parse_int64(v, num) != RECIPE_NUM_OK || *num < k->lo || *num > k->hi)
            return aifb_err_set(
                err, AIFB_EINVAL, "%s.slurm.%s: '%.*s'%s is not a whole number from %lld to %lld",
                role, k->name, VALUE_QUOTE_MAX, v, from, (long long)k->lo, (long long)k->hi);
        return AIFB_OK;
    case SK_IMAGE:
        if (v[0] == '-')
            return aifb_err_set(err, AIFB_EINVAL,
                                "%s.slurm.image: '%.*s'%s must not start with '-' (apptainer "
                                "would read it as an option)",
                                role, VALUE_QUOTE_MAX, v, from);
        if (has_control(v))
            return aifb_err_set(err, AIFB_EINVAL,
                                "%s.slurm.image: '%.*s'%s holds a control character", role,
                                VALUE_QUOTE_MAX, v, from);
        return AIFB_OK;
    case SK_PARTITION:
        if (!partition_ok(v))
            return aifb_err_set(err, AIFB_EINVAL,
                                "%s.slurm.partition: '%.*s'%s may hold only letters, digits and "
                                ". _ - + , : @ / (at most 1024, not starting with '-')",
                                role, VALUE_QUOTE_MAX, v, from);
        return AIFB_OK;
    }
    return AIFB_OK;
}

static aifb_code count_name(void *ctx, bool is_name, const char *s, size_t len, aifb_err *err)
{
    (void)s;
    (void)len;
    (void)err;
    *(size_t *)ctx += is_name;
    return AIFB_OK;
}

/* A value without placeholders is known now: check it as a run would. */
static aifb_code check_literal(ry_ctx *c, const yaml_node_t *n, const slurm_key *k,
                               const char *role, const char *tmpl)
{
    size_t names = 0;
    aifb_err err = {0};
    if (recipe_tmpl_walk(tmpl, count_name, &names, &err) || names)
        return AIFB_OK; /* ry_check_template has judged it */
    char *v = NULL;
    if (recipe_expand_string(tmpl, NULL, 0, &v, &err))
        return ry_fail(c, n, "%s", err.msg);
    int64_t num;
    aifb_code rc = *v ? check_value(k, role, tmpl, v, &num, &err) : AIFB_OK;
    free(v);
    return rc ? ry_fail(c, n, "%s", err.msg) : AIFB_OK;
}

aifb_code recipe_slurm_parse(ry_ctx *c, const yaml_node_t *n, const char *role, recipe_slurm *s)
{
    static const char *const known[] = {"image",          "gpus",          "nodes",
                                        "tasks",          "cpus_per_task", "memory_mb",
                                        "time_limit_min", "partition",     NULL};
    char where[64];
    snprintf(where, sizeof where, "%s.slurm", role);
    aifb_code rc = ry_check_keys(c, n, where, known);
    for (size_t i = 0; i < NKEYS && !rc; i++) {
        yaml_node_t *v = ry_get(c, n, keys[i].name);
        if (!v)
            continue;
        char what[96];
        snprintf(what, sizeof what, "%s.slurm.%s", role, keys[i].name);
        char **slot = tmpl_slot(s, &keys[i]);
        if (!(rc = ry_strdup(c, v, what, slot)) && !(rc = ry_check_template(c, v, what, *slot)))
            rc = check_literal(c, v, &keys[i], role, *slot);
    }
    return rc;
}

void recipe_slurm_clear(recipe_slurm *s)
{
    for (size_t i = 0; i < NKEYS; i++)
        free(*tmpl_slot(s, &keys[i]));
    memset(s, 0, sizeof *s);
}

/* Stores a checked value in its field. */
static void store(recipe_slurm_values *out, const slurm_key *k, char *v, int64_t num)
{
    void *field = (char *)out + k->value_off;
    if (k->kind != SK_INT) {
        *(char **)field = v;
        return;
    }
    if (k->wide)
        *(int64_t *)field = num;
    else
        *(int *)field = (int)num;
    free(v);
}

aifb_code recipe_slurm_expand(const recipe_slurm *s, const char *role, const kv *vars, size_t nvars,
                              recipe_slurm_values *out, aifb_err *err)
{
    recipe_slurm_values r = {.gpus = -1,
                             .nodes = -1,
                             .tasks = -1,
                             .cpus_per_task = -1,
                             .time_limit_min = -1,
                             .memory_mb = -1};
    for (size_t i = 0; i < NKEYS; i++) {
        const char *tmpl = tmpl_of(s, &keys[i]);
        char *v = NULL;
        int64_t num = 0;
        if (!tmpl)
            continue;
        if (recipe_expand_string(tmpl, vars, nvars, &v, err)) {
            aifb_err_prefix(err, "%s.slurm.%s", role, keys[i].name);
        } else if (!*v) {
            free(v); /* expanded to nothing: the setting is left to aifbd's configuration */
            continue;
        } else if (!check_value(&keys[i], role, tmpl, v, &num, err)) {
            store(&r, &keys[i], v, num);
            continue;
        }
        free(v);
        recipe_slurm_values_free(&r);
        return err->code;
    }
    *out = r;
    return AIFB_OK;
}

void recipe_slurm_values_free(recipe_slurm_values *v)
{
    free(v->image);
    free(v->partition);
    v->image = v->partition = NULL;
}
