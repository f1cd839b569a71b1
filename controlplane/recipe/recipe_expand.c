/* recipe_expand.c: the placeholder grammar and the expansion of templates into argv elements.
 *
 * A template is text with "${name}" placeholders and "$$" for a literal '$'; any other '$' is
 * refused so a mistyped "$port" fails loudly instead of reaching a program as is. One walker
 * (recipe_tmpl_walk) splits a template into literal pieces and names; the load-time check
 * (ry_check_template in recipe_yaml.c) and the expansion below both ride on it, so what loads
 * is exactly what expands. Expansion copies values byte for byte into one element per
 * template: no shell, no word splitting, no further substitution of what a value contains. */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "recipe/recipe_internal.h"

/* Placeholder names longer than this are refused; no real name comes close. */
#define TMPL_NAME_MAX 64

static bool tmpl_name_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_' || ch == '-';
}

/* Handles the placeholder starting at tmpl[i] == '$' with tmpl[i+1] == '{'; *next is where the
 * text continues. */
static aifb_code tmpl_walk_name(const char *tmpl, size_t i, recipe_tmpl_visit visit, void *ctx,
                                size_t *next, aifb_err *err)
{
    size_t start = i + 2, end = start;
    while (tmpl[end] && tmpl_name_char(tmpl[end]))
        end++;
    if (tmpl[end] != '}') {
        if (!tmpl[end])
            return aifb_err_set(err, AIFB_EINVAL, "unterminated placeholder at offset %zu", i);
        return aifb_err_set(err, AIFB_EINVAL,
                            "placeholder at offset %zu has a bad character '%c' in its name "
                            "(names are letters, digits, '_' and '-')",
                            i, tmpl[end] >= 0x20 && tmpl[end] < 0x7f ? tmpl[end] : '?');
    }
    if (end == start)
        return aifb_err_set(err, AIFB_EINVAL, "empty placeholder ${} at offset %zu", i);
    if (end - start > TMPL_NAME_MAX)
        return aifb_err_set(err, AIFB_EINVAL, "placeholder name at offset %zu is longer than %d", i,
                            TMPL_NAME_MAX);
    *next = end + 1;
    return visit(ctx, true, tmpl + start, end - start, err);
}

aifb_code recipe_tmpl_walk(const char *tmpl, recipe_tmpl_visit visit, void *ctx, aifb_err *err)
{
    size_t lit = 0, i = 0;
    aifb_code rc;
    while (tmpl[i]) {
        if (tmpl[i] != '$') {
            i++;
            continue;
        }
        if (i > lit && (rc = visit(ctx, false, tmpl + lit, i - lit, err)))
            return rc;
        if (tmpl[i + 1] == '$') {
            if ((rc = visit(ctx, false, "$", 1, err)))
                return rc;
            i += 2;
        } else if (tmpl[i + 1] == '{') {
            if ((rc = tmpl_walk_name(tmpl, i, visit, ctx, &i, err)))
                return rc;
        } else {
            return aifb_err_set(err, AIFB_EINVAL,
                                "'$' at offset %zu is followed by neither '{' nor '$' "
                                "(write ${name} for a placeholder, $$ for a literal $)",
                                i);
        }
        lit = i;
    }
    if (i > lit)
        return visit(ctx, false, tmpl + lit, i - lit, err);
    return AIFB_OK;
}

typedef struct expand_ctx {
    abuf out;
    const kv *vars;
    size_t nvars;
} expand_ctx;

static aifb_code expand_piece(void *vctx, bool is_name, const char *s, size_t len, aifb_err *err)
{
    expand_ctx *x = vctx;
    if (!is_name) {
        abuf_append(&x->out, s, len);
        return AIFB_OK;
    }
    for (size_t i = 0; i < x->nvars; i++) {
        const char *name = x->vars[i].name;
        if (name && strlen(name) == len && memcmp(name, s, len) == 0) {
            abuf_puts(&x->out, x->vars[i].value ? x->vars[i].value : "");
            return AIFB_OK;
        }
    }
    return aifb_err_set(err, AIFB_EINVAL, "placeholder ${%.*s} has no value", (int)len, s);
}

aifb_code recipe_expand_string(const char *tmpl, const kv *vars, size_t nvars, char **out,
                               aifb_err *err)
{
    expand_ctx x = {.vars = vars, .nvars = nvars};
    aifb_code rc = recipe_tmpl_walk(tmpl, expand_piece, &x, err);
    if (rc) {
        abuf_free(&x.out);
        aifb_err_prefix(err, "expanding '%.80s'", tmpl);
        return rc;
    }
    *out = abuf_take(&x.out);
    return AIFB_OK;
}

aifb_code recipe_expand_argv(const char *const *tmpl, size_t n, const kv *vars, size_t nvars,
                             char ***argv_out, aifb_err *err)
{
    char **argv = xcalloc(n + 1, sizeof *argv);
    for (size_t i = 0; i < n; i++) {
        aifb_code rc = recipe_expand_string(tmpl[i], vars, nvars, &argv[i], err);
        if (rc) {
            recipe_strv_free(argv);
            return rc;
        }
    }
    *argv_out = argv;
    return AIFB_OK;
}

aifb_code recipe_expand_env(const kv *env, size_t nenv, const kv *vars, size_t nvars,
                            char ***env_out, aifb_err *err)
{
    char **out = xcalloc(nenv + 1, sizeof *out);
    for (size_t i = 0; i < nenv; i++) {
        char *value;
        aifb_code rc = recipe_expand_string(env[i].value, vars, nvars, &value, err);
        if (rc) {
            aifb_err_prefix(err, "env %s", env[i].name);
            recipe_strv_free(out);
            return rc;
        }
        abuf b = {0};
        abuf_printf(&b, "%s=%s", env[i].name, value);
        free(value);
        out[i] = abuf_take(&b);
    }
    *env_out = out;
    return AIFB_OK;
}

void recipe_strv_free(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}
