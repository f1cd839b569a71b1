/* recipe_schema.c: the `params` list of a recipe, its typed parameter schema.
 *
 * Each parameter is read in three steps: its name and type (everything else depends on them),
 * the keys its type allows (bounds, pattern, choices), then its default, which is checked with
 * recipe_param_check() exactly like a value a caller gives and stored in canonical form. A schema
 * that contradicts itself (min > max, a default outside the range, an enum default that is not a
 * choice, a pattern that does not compile) is refused here, at load time. */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "recipe/recipe_internal.h"

/* A pattern is a validation rule, not a program; longer ones are refused. */
#define PATTERN_MAX 1024

static const char *const type_names[] = {NULL, "string", "int", "float", "bool", "enum"};

const char *recipe_param_type_name(recipe_param_type t)
{
    if (t >= RECIPE_PARAM_STRING && t <= RECIPE_PARAM_ENUM)
        return type_names[t];
    return "unknown";
}

void recipe_param_clear(recipe_param *p)
{
    free(p->name);
    free(p->default_value);
    for (size_t i = 0; i < p->nchoices; i++)
        free(p->choices[i]);
    free(p->choices);
    free(p->pattern);
    free(p->description);
    free(p->unit);
}

static bool param_name_valid(const char *s)
{
    if (!(*s >= 'a' && *s <= 'z') || strlen(s) > 64)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return false;
    return true;
}

static aifb_code parse_name(ry_ctx *c, const yaml_node_t *item, size_t idx, recipe_param *p)
{
    yaml_node_t *n = ry_get(c, item, "name");
    if (!n)
        return ry_fail(c, item, "params[%zu] has no 'name'", idx);
    aifb_code rc = ry_strdup(c, n, "parameter name", &p->name);
    if (rc)
        return rc;
    if (!param_name_valid(p->name))
        return ry_fail(c, n,
                       "parameter name '%.64s' must start with a lowercase letter and hold only "
                       "lowercase letters, digits and '_' (at most 64)",
                       p->name);
    for (size_t i = 0; i < RECIPE_BUILTIN_COUNT; i++)
        if (!strcmp(p->name, recipe_builtins[i]))
            return ry_fail(c, n, "parameter name '%s' is taken by a builtin placeholder", p->name);
    for (size_t i = 0; i < idx; i++)
        if (!strcmp(c->r->params[i].name, p->name))
            return ry_fail(c, n, "parameter '%s' is defined twice", p->name);
    return AIFB_OK;
}

static aifb_code parse_type(ry_ctx *c, const yaml_node_t *item, recipe_param *p)
{
    yaml_node_t *n = ry_get(c, item, "type");
    if (!n)
        return ry_fail(c, item, "parameter '%s' has no 'type' (string, int, float, bool, enum)",
                       p->name);
    const char *s;
    aifb_code rc = ry_text(c, n, "type", &s);
    if (rc)
        return rc;
    for (int t = RECIPE_PARAM_STRING; t <= RECIPE_PARAM_ENUM; t++) {
        if (!strcmp(s, type_names[t])) {
            p->type = (recipe_param_type)t;
            return AIFB_OK;
        }
    }
    return ry_fail(c, n,
                   "parameter '%s': type '%.64s' is not one of string, int, float, bool, enum",
                   p->name, s);
}

/* Refuses keys the parameter's type has no use for (a "pattern" on an int would be ignored). */
static aifb_code refuse_foreign_keys(ry_ctx *c, const yaml_node_t *item, const recipe_param *p)
{
    static const struct {
        const char *key;
        const char *for_types;
        unsigned types; /* bit per recipe_param_type */
    } rules[] = {
        {"min", "int and float", 1u << RECIPE_PARAM_INT | 1u << RECIPE_PARAM_FLOAT},
        {"max", "int and float", 1u << RECIPE_PARAM_INT | 1u << RECIPE_PARAM_FLOAT},
        {"pattern", "string", 1u << RECIPE_PARAM_STRING},
        {"max_length", "string", 1u << RECIPE_PARAM_STRING},
        {"choices", "enum", 1u << RECIPE_PARAM_ENUM},
    };
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        yaml_node_t *n = ry_get(c, item, rules[i].key);
        if (n && !(rules[i].types & (1u << p->type)))
            return ry_fail(c, n, "parameter '%s': '%s' is only for %s parameters, not %s", p->name,
                           rules[i].key, rules[i].for_types, recipe_param_type_name(p->type));
    }
    return AIFB_OK;
}

/* Reads one bound; which is "min" or "max". */
static aifb_code parse_bound(ry_ctx *c, const yaml_node_t *n, recipe_param *p, const char *which,
                             double *d, int64_t *i)
{
    const char *s;
    aifb_code rc = ry_text(c, n, which, &s);
    if (rc)
        return rc;
    if (p->type == RECIPE_PARAM_INT) {
        if (recipe_parse_int64(s, i) != RECIPE_NUM_OK)
            return ry_fail(c, n, "parameter '%s': %s '%.64s' is not an integer", p->name, which, s);
        *d = (double)*i;
    } else if (recipe_parse_double(s, d) != RECIPE_NUM_OK) {
        return ry_fail(c, n, "parameter '%s': %s '%.64s' is not a finite number", p->name, which,
                       s);
    }
    return AIFB_OK;
}

static aifb_code parse_bounds(ry_ctx *c, const yaml_node_t *item, recipe_param *p)
{
    yaml_node_t *lo = ry_get(c, item, "min"), *hi = ry_get(c, item, "max");
    aifb_code rc;
    if (lo && (rc = parse_bound(c, lo, p, "min", &p->min, &p->min_int)))
        return rc;
    if (hi && (rc = parse_bound(c, hi, p, "max", &p->max, &p->max_int)))
        return rc;
    p->has_min = lo != NULL;
    p->has_max = hi != NULL;
    bool crossed = p->type == RECIPE_PARAM_INT ? p->min_int > p->max_int : p->min > p->max;
    if (lo && hi && crossed)
        return ry_fail(c, lo, "parameter '%s': min %s is greater than max %s", p->name,
                       (const char *)lo->data.scalar.value, (const char *)hi->data.scalar.value);
    return AIFB_OK;
}

static aifb_code check_pattern_compiles(ry_ctx *c, const yaml_node_t *n, const recipe_param *p)
{
    regex_t re;
    int rc = regcomp(&re, p->pattern, REG_EXTENDED | REG_NOSUB);
    if (!rc) {
        regfree(&re);
        /* The anchored form used for matching must compile too ("a)|(b" would not). */
        abuf anchored = {0};
        abuf_printf(&anchored, "^(%s)$", p->pattern);
        rc = regcomp(&re, anchored.p, REG_EXTENDED | REG_NOSUB);
        abuf_free(&anchored);
        if (!rc) {
            regfree(&re);
            return AIFB_OK;
        }
    }
    char why[128];
    regerror(rc, &re, why, sizeof why);
    return ry_fail(c, n,
                   "parameter '%s': pattern '%.80s' is not a valid extended regular "
                   "expression: %s",
                   p->name, p->pattern, why);
}

static aifb_code parse_string_rules(ry_ctx *c, const yaml_node_t *item, recipe_param *p)
{
    yaml_node_t *pat = ry_get(c, item, "pattern"), *ml = ry_get(c, item, "max_length");
    aifb_code rc;
    p->max_length = RECIPE_STRING_MAX_DEFAULT;
    if (ml) {
        int64_t v;
        if ((rc = ry_int(c, ml, "max_length", 1, RECIPE_STRING_MAX_LIMIT, &v)))
            return rc;
        p->max_length = (size_t)v;
    }
    if (!pat)
        return AIFB_OK;
    if ((rc = ry_strdup(c, pat, "pattern", &p->pattern)))
        return rc;
    if (strlen(p->pattern) > PATTERN_MAX)
        return ry_fail(c, pat, "parameter '%s': pattern is longer than %d bytes", p->name,
                       PATTERN_MAX);
    return check_pattern_compiles(c, pat, p);
}

static aifb_code parse_choices(ry_ctx *c, const yaml_node_t *item, recipe_param *p)
{
    yaml_node_t *n = ry_get(c, item, "choices");
    if (!n)
        return ry_fail(c, item, "enum parameter '%s' has no 'choices'", p->name);
    aifb_code rc = ry_expect_seq(c, n, "choices");
    if (rc)
        return rc;
    if (!ry_len(n))
        return ry_fail(c, n, "enum parameter '%s' has an empty 'choices' list", p->name);
    p->choices = xcalloc(ry_len(n), sizeof *p->choices);
    for (size_t i = 0; i < ry_len(n); i++) {
        yaml_node_t *it = ry_item(c, n, i);
        if ((rc = ry_strdup(c, it, "a choice", &p->choices[i])))
            return rc;
        p->nchoices++;
        for (const char *s = p->choices[i]; *s; s++)
            if ((unsigned char)*s < 0x20 || *s == 0x7f)
                return ry_fail(c, it, "parameter '%s': choice '%.64s' holds a control character",
                               p->name, p->choices[i]);
        for (size_t k = 0; k < i; k++)
            if (!strcmp(p->choices[k], p->choices[i]))
                return ry_fail(c, it, "parameter '%s': choice '%.64s' is listed twice", p->name,
                               p->choices[i]);
    }
    return AIFB_OK;
}

static aifb_code parse_texts(ry_ctx *c, const yaml_node_t *item, recipe_param *p)
{
    yaml_node_t *d = ry_get(c, item, "description"), *u = ry_get(c, item, "unit");
    aifb_code rc;
    if (d && (rc = ry_strdup(c, d, "description", &p->description)))
        return rc;
    if (u && (rc = ry_strdup(c, u, "unit", &p->unit)))
        return rc;
    if (!p->description)
        p->description = xstrdup("");
    if (!p->unit)
        p->unit = xstrdup("");
    return AIFB_OK;
}

static aifb_code parse_default(ry_ctx *c, const yaml_node_t *item, recipe_param *p)
{
    yaml_node_t *n = ry_get(c, item, "default");
    if (!n)
        return AIFB_OK; /* required */
    const char *s;
    aifb_code rc = ry_text(c, n, "default", &s);
    if (rc)
        return rc;
    aifb_err why = {0};
    if (recipe_param_check(p, s, &p->default_value, &why))
        return ry_fail(c, n, "default: %s", why.msg);
    return AIFB_OK;
}

static aifb_code parse_param(ry_ctx *c, const yaml_node_t *item, size_t idx, recipe_param *p)
{
    static const char *const keys[] = {"name",       "type",        "default", "min",
                                       "max",        "description", "unit",    "pattern",
                                       "max_length", "choices",     NULL};
    char where[96];
    snprintf(where, sizeof where, "params[%zu]", idx);
    if (item->type != YAML_MAPPING_NODE)
        return ry_check_keys(c, item, where, keys); /* says what it should be */
    aifb_code rc = parse_name(c, item, idx, p);
    if (rc)
        return rc;
    snprintf(where, sizeof where, "parameter '%s'", p->name);
    if ((rc = ry_check_keys(c, item, where, keys)) || (rc = parse_type(c, item, p)) ||
        (rc = refuse_foreign_keys(c, item, p)) || (rc = parse_texts(c, item, p)))
        return rc;
    if (p->type == RECIPE_PARAM_INT || p->type == RECIPE_PARAM_FLOAT)
        rc = parse_bounds(c, item, p);
    else if (p->type == RECIPE_PARAM_STRING)
        rc = parse_string_rules(c, item, p);
    else if (p->type == RECIPE_PARAM_ENUM)
        rc = parse_choices(c, item, p);
    return rc ? rc : parse_default(c, item, p);
}

aifb_code recipe_schema_parse(ry_ctx *c, const yaml_node_t *params)
{
    aifb_code rc = ry_expect_seq(c, params, "params");
    if (rc)
        return rc;
    size_t n = ry_len(params);
    c->r->params = xcalloc(n, sizeof *c->r->params);
    for (size_t i = 0; i < n; i++) {
        /* Counted before parsing so recipe_free() releases a half-read parameter. */
        c->r->nparams++;
        if ((rc = parse_param(c, ry_item(c, params, i), i, &c->r->params[i])))
            return rc;
    }
    return AIFB_OK;
}
