/* recipe_params.c: checking a run's parameter values against a recipe's schema.
 *
 * recipe_param_check() is the one place that decides whether a value is acceptable for one
 * parameter and what its canonical text is; the schema loader uses it for defaults and
 * recipe_resolve_params() for what a caller gives, so a default can never be something a caller
 * could not have typed. Every message starts with "parameter '<name>'" so the UI can show it
 * beside the field. Values are quoted in messages only up to a length: a hostile 1 MB value must
 * not become a 1 MB log line. */
#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "recipe/recipe_internal.h"

/* How much of a bad value a message quotes. */
#define QUOTE_MAX 64

recipe_num_result recipe_parse_int64(const char *s, int64_t *out)
{
    const char *digits = (*s == '+' || *s == '-') ? s + 1 : s;
    if (!*digits)
        return RECIPE_NUM_SYNTAX;
    for (const char *p = digits; *p; p++)
        if (*p < '0' || *p > '9')
            return RECIPE_NUM_SYNTAX;
    errno = 0;
    long long v = strtoll(s, NULL, 10);
    if (errno == ERANGE)
        return RECIPE_NUM_RANGE;
    *out = (int64_t)v;
    return RECIPE_NUM_OK;
}

static bool spells_non_finite(const char *s)
{
    if (*s == '+' || *s == '-')
        s++;
    return !strcasecmp(s, "inf") || !strcasecmp(s, "infinity") || !strcasecmp(s, "nan");
}

recipe_num_result recipe_parse_double(const char *s, double *out)
{
    if (spells_non_finite(s))
        return RECIPE_NUM_RANGE;
    /* strtod alone would also take leading spaces, hex floats and "nan(...)". */
    bool any_digit = false;
    for (const char *p = s; *p; p++) {
        if (*p >= '0' && *p <= '9')
            any_digit = true;
        else if (!strchr("+-.eE", *p))
            return RECIPE_NUM_SYNTAX;
    }
    if (!any_digit)
        return RECIPE_NUM_SYNTAX;
    char *end;
    double v = strtod(s, &end);
    if (*end || end == s)
        return RECIPE_NUM_SYNTAX;
    if (!isfinite(v))
        return RECIPE_NUM_RANGE;
    *out = v;
    return RECIPE_NUM_OK;
}

void recipe_format_double(double v, char *buf, size_t size)
{
    if (v == 0)
        v = 0; /* -0 and 0 are one value to a user */
    int prec = 1;
    for (; prec < 17; prec++) {
        snprintf(buf, size, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    /* %g turns 100000 into "1e+05" at precision 1; people expect "100000" up to 17 digits. */
    char sci[40];
    snprintf(sci, sizeof sci, "%.*e", prec - 1, v);
    const char *e = strchr(sci, 'e');
    int exp10 = e ? atoi(e + 1) : 0;
    if (exp10 >= prec && exp10 < 17)
        prec = exp10 + 1;
    snprintf(buf, size, "%.*g", prec, v);
}

/* The length of the UTF-8 sequence led by byte c, or 0 when c cannot lead one. */
static size_t utf8_seq_len(unsigned char c)
{
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        return 2;
    if (c >= 0xe0 && c <= 0xef)
        return 3;
    if (c >= 0xf0 && c <= 0xf4)
        return 4;
    return 0;
}

bool recipe_utf8_valid(const char *str, size_t len, size_t *bad_at)
{
    const unsigned char *s = (const unsigned char *)str;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_seq_len(s[i]);
        bool ok = n && i + n <= len;
        for (size_t k = 1; ok && k < n; k++)
            ok = (s[i + k] & 0xc0) == 0x80;
        /* The second byte decides overlongs (e0, f0), surrogates (ed) and > U+10FFFF (f4). */
        if (ok && n >= 3) {
            unsigned char c0 = s[i], c1 = s[i + 1];
            ok = !(c0 == 0xe0 && c1 < 0xa0) && !(c0 == 0xed && c1 > 0x9f) &&
                 !(c0 == 0xf0 && c1 < 0x90) && !(c0 == 0xf4 && c1 > 0x8f);
        }
        if (!ok) {
            if (bad_at)
                *bad_at = i;
            return false;
        }
        i += n;
    }
    return true;
}

static const char *ellipsis(const char *v)
{
    return strlen(v) > QUOTE_MAX ? "..." : "";
}

static aifb_code check_int(const recipe_param *p, const char *v, char **canonical, aifb_err *err)
{
    int64_t n;
    recipe_num_result r = recipe_parse_int64(v, &n);
    if (r == RECIPE_NUM_SYNTAX)
        return aifb_err_set(err, AIFB_EINVAL, "parameter '%s': '%.*s%s' is not an integer", p->name,
                            QUOTE_MAX, v, ellipsis(v));
    if (r == RECIPE_NUM_RANGE)
        return aifb_err_set(err, AIFB_EINVAL,
                            "parameter '%s': %.*s%s is outside the 64-bit integer range", p->name,
                            QUOTE_MAX, v, ellipsis(v));
    if (p->has_min && n < p->min_int)
        return aifb_err_set(err, AIFB_EINVAL, "parameter '%s': %lld is below the minimum %lld",
                            p->name, (long long)n, (long long)p->min_int);
    if (p->has_max && n > p->max_int)
        return aifb_err_set(err, AIFB_EINVAL, "parameter '%s': %lld is above the maximum %lld",
                            p->name, (long long)n, (long long)p->max_int);
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", (long long)n);
    *canonical = xstrdup(buf);
    return AIFB_OK;
}

static aifb_code check_float(const recipe_param *p, const char *v, char **canonical, aifb_err *err)
{
    double d;
    recipe_num_result r = recipe_parse_double(v, &d);
    if (r == RECIPE_NUM_SYNTAX)
        return aifb_err_set(err, AIFB_EINVAL, "parameter '%s': '%.*s%s' is not a number", p->name,
                            QUOTE_MAX, v, ellipsis(v));
    if (r == RECIPE_NUM_RANGE)
        return aifb_err_set(err, AIFB_EINVAL, "parameter '%s': '%.*s%s' is not a finite number",
                            p->name, QUOTE_MAX, v, ellipsis(v));
    char buf[40], bound[40];
    recipe_format_double(d, buf, sizeof buf);
    if (p->has_min && d < p->min) {
        recipe_format_double(p->min, bound, sizeof bound);
        return aifb_err_set(err, AIFB_EINVAL, "parameter '%s': %s is below the minimum %s", p->name,
                            buf, bound);
    }
    if (p->has_max && d > p->max) {
        recipe_format_double(p->max, bound, sizeof bound);
        return aifb_err_set(err, AIFB_EINVAL, "parameter '%s': %s is above the maximum %s", p->name,
                            buf, bound);
    }
    *canonical = xstrdup(buf);
    return AIFB_OK;
}

static aifb_code check_bool(const recipe_param *p, const char *v, char **canonical, aifb_err *err)
{
    static const char *const yes[] = {"true", "1", "yes", "on"};
    static const char *const no[] = {"false", "0", "no", "off"};
    for (size_t i = 0; i < 4; i++) {
        if (!strcasecmp(v, yes[i]) || !strcasecmp(v, no[i])) {
            *canonical = xstrdup(!strcasecmp(v, yes[i]) ? "true" : "false");
            return AIFB_OK;
        }
    }
    return aifb_err_set(err, AIFB_EINVAL,
                        "parameter '%s': '%.*s%s' is not a boolean (true/false, yes/no, on/off, "
                        "1/0)",
                        p->name, QUOTE_MAX, v, ellipsis(v));
}

static aifb_code check_enum(const recipe_param *p, const char *v, char **canonical, aifb_err *err)
{
    for (size_t i = 0; i < p->nchoices; i++) {
        if (!strcmp(v, p->choices[i])) {
            *canonical = xstrdup(v);
            return AIFB_OK;
        }
    }
    abuf list = {0};
    for (size_t i = 0; i < p->nchoices; i++)
        abuf_printf(&list, "%s%s", i ? ", " : "", p->choices[i]);
    aifb_err_set(err, AIFB_EINVAL, "parameter '%s': '%.*s%s' is not one of %s", p->name, QUOTE_MAX,
                 v, ellipsis(v), list.p ? list.p : "(no choices)");
    abuf_free(&list);
    return AIFB_EINVAL;
}

/* Whether the whole of v matches p's pattern; AIFB_EINVAL (naming the pattern) when the pattern
 * does not compile, which the loader prevents for recipes it accepted. */
static aifb_code pattern_matches(const recipe_param *p, const char *v, bool *match, aifb_err *err)
{
    /* Anchoring the whole pattern as one group makes "a|b" mean "^(a|b)$", not "^a|b$". */
    abuf anchored = {0};
    abuf_printf(&anchored, "^(%s)$", p->pattern);
    regex_t re;
    int rc = regcomp(&re, anchored.p, REG_EXTENDED | REG_NOSUB);
    abuf_free(&anchored);
    if (rc)
        return aifb_err_set(err, AIFB_EINVAL, "parameter '%s': the pattern %s does not compile",
                            p->name, p->pattern);
    *match = regexec(&re, v, 0, NULL, 0) == 0;
    regfree(&re);
    return AIFB_OK;
}

static aifb_code check_string(const recipe_param *p, const char *v, char **canonical, aifb_err *err)
{
    size_t len = strlen(v), bad;
    if (len > p->max_length)
        return aifb_err_set(err, AIFB_EINVAL,
                            "parameter '%s': the value is %zu bytes long, more than the maximum "
                            "%zu",
                            p->name, len, p->max_length);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c < 0x20 || c == 0x7f)
            return aifb_err_set(err, AIFB_EINVAL,
                                "parameter '%s': control character 0x%02x at byte %zu is not "
                                "allowed",
                                p->name, c, i);
    }
    if (!recipe_utf8_valid(v, len, &bad))
        return aifb_err_set(err, AIFB_EINVAL, "parameter '%s': not valid UTF-8 (at byte %zu)",
                            p->name, bad);
    if (p->pattern) {
        bool match = false;
        aifb_code rc = pattern_matches(p, v, &match, err);
        if (rc)
            return rc;
        if (!match)
            return aifb_err_set(err, AIFB_EINVAL,
                                "parameter '%s': '%.*s%s' does not match the pattern %s", p->name,
                                QUOTE_MAX, v, ellipsis(v), p->pattern);
    }
    *canonical = xstrdup(v);
    return AIFB_OK;
}

aifb_code recipe_param_check(const recipe_param *p, const char *value, char **canonical,
                             aifb_err *err)
{
    if (!value)
        return aifb_err_set(err, AIFB_EINVAL, "parameter '%s' has no value", p->name);
    switch (p->type) {
    case RECIPE_PARAM_INT:
        return check_int(p, value, canonical, err);
    case RECIPE_PARAM_FLOAT:
        return check_float(p, value, canonical, err);
    case RECIPE_PARAM_BOOL:
        return check_bool(p, value, canonical, err);
    case RECIPE_PARAM_ENUM:
        return check_enum(p, value, canonical, err);
    case RECIPE_PARAM_STRING:
        return check_string(p, value, canonical, err);
    }
    return aifb_err_set(err, AIFB_EINTERNAL, "parameter '%s' has an unknown type %d", p->name,
                        (int)p->type);
}

const recipe_param *recipe_find_param(const recipe *r, const char *name)
{
    for (size_t i = 0; name && i < r->nparams; i++)
        if (!strcmp(r->params[i].name, name))
            return &r->params[i];
    return NULL;
}

static aifb_code refuse_unknown(const recipe *r, const char *name, aifb_err *err)
{
    abuf known = {0};
    for (size_t i = 0; i < r->nparams; i++)
        abuf_printf(&known, "%s%s", i ? ", " : "", r->params[i].name);
    aifb_err_set(err, AIFB_EINVAL, "unknown parameter '%.*s%s' for recipe %s (known: %s)",
                 QUOTE_MAX, name, ellipsis(name), r->name, known.p ? known.p : "none");
    abuf_free(&known);
    return AIFB_EINVAL;
}

/* Refuses names that are not parameters of r and names given twice; on success given_at[i] is
 * the index in given of parameter i's value, or SIZE_MAX. */
static aifb_code match_given(const recipe *r, const kv *given, size_t ngiven, size_t *given_at,
                             aifb_err *err)
{
    for (size_t i = 0; i < r->nparams; i++)
        given_at[i] = SIZE_MAX;
    for (size_t g = 0; g < ngiven; g++) {
        const char *name = given[g].name ? given[g].name : "";
        const recipe_param *p = recipe_find_param(r, name);
        if (!p)
            return refuse_unknown(r, name, err);
        size_t i = (size_t)(p - r->params);
        if (given_at[i] != SIZE_MAX)
            return aifb_err_set(err, AIFB_EINVAL, "parameter '%s' is given more than once",
                                p->name);
        given_at[i] = g;
    }
    return AIFB_OK;
}

aifb_code recipe_resolve_params(const recipe *r, const kv *given, size_t ngiven, kv **out,
                                size_t *nout, aifb_err *err)
{
    *out = NULL;
    *nout = 0;
    size_t *given_at = xcalloc(r->nparams, sizeof *given_at);
    aifb_code rc = match_given(r, given, ngiven, given_at, err);
    kv *res = r->nparams ? xcalloc(r->nparams, sizeof *res) : NULL;
    for (size_t i = 0; !rc && i < r->nparams; i++) {
        const recipe_param *p = &r->params[i];
        res[i].name = xstrdup(p->name);
        if (given_at[i] != SIZE_MAX)
            rc = recipe_param_check(p, given[given_at[i]].value, &res[i].value, err);
        else if (p->default_value)
            res[i].value = xstrdup(p->default_value);
        else
            rc = aifb_err_set(err, AIFB_EINVAL, "parameter '%s' is required", p->name);
    }
    free(given_at);
    if (rc) {
        kv_array_free(res, r->nparams);
        return rc;
    }
    *out = res;
    *nout = r->nparams;
    return AIFB_OK;
}
