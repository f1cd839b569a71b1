/* labels.c: label checks, the selector string and the stream registry (see labels.h). */
#include "logship/labels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logship/utf8.h"

bool ls_label_name_valid(const char *name)
{
    if (!name || !*name || !strncmp(name, "__", 2) || strlen(name) > LS_LABEL_NAME_MAX)
        return false;
    for (const char *c = name; *c; c++) {
        bool alpha = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || *c == '_';
        if (!alpha && !(c > name && *c >= '0' && *c <= '9'))
            return false;
    }
    return true;
}

static void label_free(ls_label *lb)
{
    free(lb->name);
    free(lb->value);
}

aifb_code ls_labels_set(ls_labels *l, const char *name, const char *value, aifb_err *err)
{
    if (!ls_label_name_valid(name))
        return aifb_err_set(err, AIFB_EINVAL,
                            "label name '%.64s' is not valid: it must match "
                            "[a-zA-Z_][a-zA-Z0-9_]*, not start with \"__\" and be at most %d "
                            "bytes",
                            name ? name : "", LS_LABEL_NAME_MAX);
    size_t vl = strlen(value);
    if (vl > LS_LABEL_VALUE_MAX)
        return aifb_err_set(err, AIFB_EINVAL, "label %s: the value is %zu bytes, more than %d",
                            name, vl, LS_LABEL_VALUE_MAX);
    if (!utf8_valid(value, vl, NULL))
        return aifb_err_set(err, AIFB_EINVAL, "label %s: the value is not valid UTF-8", name);
    for (size_t i = 0; i < l->n; i++) {
        if (strcmp(l->v[i].name, name))
            continue;
        if (!vl) {
            label_free(&l->v[i]);
            l->v[i] = l->v[--l->n];
        } else {
            free(l->v[i].value);
            l->v[i].value = xstrdup(value);
        }
        return AIFB_OK;
    }
    if (!vl)
        return AIFB_OK;
    if (l->n >= LS_LABELS_MAX)
        return aifb_err_set(err, AIFB_EINVAL, "label %s: more than %d labels (Loki's limit)", name,
                            LS_LABELS_MAX);
    l->v = xrealloc(l->v, (l->n + 1) * sizeof *l->v);
    l->v[l->n++] = (ls_label){xstrdup(name), xstrdup(value)};
    return AIFB_OK;
}

aifb_code ls_labels_set_arg(ls_labels *l, const char *arg, aifb_err *err)
{
    const char *eq = strchr(arg, '=');
    if (!eq)
        return aifb_err_set(err, AIFB_EINVAL, "label '%.64s' is not name=value", arg);
    char *name = xmalloc((size_t)(eq - arg) + 1);
    memcpy(name, arg, (size_t)(eq - arg));
    name[eq - arg] = '\0';
    aifb_code rc = ls_labels_set(l, name, eq + 1, err);
    free(name);
    return rc;
}

const char *ls_labels_get(const ls_labels *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->v[i].name, name))
            return l->v[i].value;
    return NULL;
}

void ls_labels_free(ls_labels *l)
{
    for (size_t i = 0; i < l->n; i++)
        label_free(&l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

static int cmp_label(const void *a, const void *b)
{
    return strcmp(((const ls_label *)a)->name, ((const ls_label *)b)->name);
}

/* The labels sorted by name, in a new array of pointers to the same strings. */
static ls_label *sorted(const ls_labels *l)
{
    ls_label *s = xmalloc((l->n ? l->n : 1) * sizeof *s);
    memcpy(s, l->v, l->n * sizeof *s);
    qsort(s, l->n, sizeof *s, cmp_label);
    return s;
}

/* Appends value as the inside of a double-quoted PromQL string: backslash, quote and control
 * characters escaped, everything else (UTF-8 included) as it is. */
static void selector_value(abuf *b, const char *value)
{
    for (const unsigned char *c = (const unsigned char *)value; *c; c++) {
        switch (*c) {
        case '\\':
            abuf_puts(b, "\\\\");
            break;
        case '"':
            abuf_puts(b, "\\\"");
            break;
        case '\n':
            abuf_puts(b, "\\n");
            break;
        case '\r':
            abuf_puts(b, "\\r");
            break;
        case '\t':
            abuf_puts(b, "\\t");
            break;
        default:
            if (*c < 0x20 || *c == 0x7f)
                abuf_printf(b, "\\x%02x", *c);
            else
                abuf_putc(b, (char)*c);
        }
    }
}

char *ls_labels_selector(const ls_labels *l)
{
    ls_label *s = sorted(l);
    abuf b = {0};
    abuf_putc(&b, '{');
    for (size_t i = 0; i < l->n; i++) {
        abuf_printf(&b, "%s%s=\"", i ? ", " : "", s[i].name);
        selector_value(&b, s[i].value);
        abuf_putc(&b, '"');
    }
    abuf_putc(&b, '}');
    free(s);
    return abuf_take(&b);
}

void ls_labels_json(const ls_labels *l, abuf *out)
{
    ls_label *s = sorted(l);
    abuf_putc(out, '{');
    for (size_t i = 0; i < l->n; i++) {
        if (i)
            abuf_putc(out, ',');
        abuf_json_str(out, s[i].name);
        abuf_putc(out, ':');
        abuf_json_str(out, s[i].value);
    }
    abuf_putc(out, '}');
    free(s);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

const char *ls_stream_of_path(const char *path)
{
    if (ends_with(path, ".out"))
        return "stdout";
    if (ends_with(path, ".err"))
        return "stderr";
    return "file";
}

/* ---- streams --------------------------------------------------------------------------------- */

void ls_streams_init(ls_streams *s, ls_labels *base)
{
    memset(s, 0, sizeof *s);
    s->base = *base;
    *base = (ls_labels){0};
}

void ls_streams_free(ls_streams *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->v[i].name);
        free(s->v[i].selector);
        free(s->v[i].json);
    }
    free(s->v);
    ls_labels_free(&s->base);
    memset(s, 0, sizeof *s);
}

uint32_t ls_streams_get(ls_streams *s, const char *name)
{
    const char *fixed = ls_labels_get(&s->base, "stream");
    if (fixed)
        name = fixed;
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->v[i].name, name))
            return (uint32_t)i;
    /* The base labels are checked to leave room for stream, and the name is one of ours or a
     * checked label value, so this cannot fail. */
    ls_labels all = {0};
    for (size_t i = 0; i < s->base.n; i++)
        ls_labels_set(&all, s->base.v[i].name, s->base.v[i].value, NULL);
    if (!fixed)
        ls_labels_set(&all, "stream", name, NULL);
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 4;
        s->v = xrealloc(s->v, s->cap * sizeof *s->v);
    }
    abuf json = {0};
    ls_labels_json(&all, &json);
    s->v[s->n] = (ls_stream){xstrdup(name), ls_labels_selector(&all), abuf_take(&json), 0};
    ls_labels_free(&all);
    return (uint32_t)s->n++;
}
