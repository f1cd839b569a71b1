/* store_codec.c: parameter lists and result summaries as JSON text in one column each.
 *
 * A run's params and summary are read with the run every time (a page of 100 runs reads 200 of
 * them), so they are kept in the row as compact JSON arrays rather than in side tables: one
 * parse per column, no join, order kept. Arrays of arrays, not objects, because a parameter list
 * is ordered and json-c parses arrays without building hash tables.
 *
 *   params:  [["clients","8"],["model","a \"quoted\" name"]]
 *   summary: [["get_rps",81234.5,"ops/s"],["p99_latency_ms","NaN","ms"]]
 *
 * Summary values are written with 17 significant digits, which round-trips every finite double;
 * -0 is written "-0.0" (json-c reads "-0" as the integer 0); NaN and the infinities, which JSON
 * cannot express, are written as strings and read back with strtod. */
#include "store_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

char *store_params_encode(const kv *p, size_t n)
{
    abuf b = {0};
    abuf_putc(&b, '[');
    for (size_t i = 0; i < n; i++) {
        abuf_puts(&b, i ? ",[" : "[");
        abuf_json_str(&b, p[i].name);
        abuf_putc(&b, ',');
        abuf_json_str(&b, p[i].value);
        abuf_putc(&b, ']');
    }
    abuf_putc(&b, ']');
    return abuf_take(&b);
}

static void store_put_double(abuf *b, double v)
{
    if (isnan(v))
        abuf_puts(b, "\"NaN\"");
    else if (isinf(v))
        abuf_puts(b, v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    else if (v == 0 && signbit(v))
        abuf_puts(b, "-0.0");
    else
        abuf_printf(b, "%.17g", v);
}

char *store_summary_encode(const metric *m, size_t n)
{
    abuf b = {0};
    abuf_putc(&b, '[');
    for (size_t i = 0; i < n; i++) {
        abuf_puts(&b, i ? ",[" : "[");
        abuf_json_str(&b, m[i].name);
        abuf_putc(&b, ',');
        store_put_double(&b, m[i].value);
        abuf_putc(&b, ',');
        abuf_json_str(&b, m[i].unit);
        abuf_putc(&b, ']');
    }
    abuf_putc(&b, ']');
    return abuf_take(&b);
}

/* Parses json into an array whose elements are arrays of `width` items; NULL when it is not. */
static json_object *store_parse_rows(store *s, const char *json, size_t width)
{
    json_tokener_reset(s->tok);
    json_object *root = json_tokener_parse_ex(s->tok, json, (int)strlen(json));
    if (!root || json_tokener_get_error(s->tok) != json_tokener_success ||
        !json_object_is_type(root, json_type_array)) {
        json_object_put(root);
        return NULL;
    }
    size_t n = json_object_array_length(root);
    for (size_t i = 0; i < n; i++) {
        json_object *row = json_object_array_get_idx(root, i);
        if (!json_object_is_type(row, json_type_array) || json_object_array_length(row) != width) {
            json_object_put(root);
            return NULL;
        }
    }
    return root;
}

static const char *store_row_str(json_object *row, size_t i)
{
    json_object *o = json_object_array_get_idx(row, i);
    return json_object_is_type(o, json_type_string) ? json_object_get_string(o) : NULL;
}

static bool store_row_double(json_object *row, size_t i, double *out)
{
    json_object *o = json_object_array_get_idx(row, i);
    if (json_object_is_type(o, json_type_double) || json_object_is_type(o, json_type_int)) {
        *out = json_object_get_double(o);
        return true;
    }
    if (!json_object_is_type(o, json_type_string))
        return false;
    char *end = NULL;
    *out = strtod(json_object_get_string(o), &end);
    return end && *end == '\0';
}

aifb_code store_params_decode(store *s, const char *json, const char *what, kv **out, size_t *n,
                              aifb_err *err)
{
    *out = NULL;
    *n = 0;
    json_object *root = store_parse_rows(s, json ? json : "", 2);
    if (!root)
        return aifb_err_set(err, AIFB_EDATALOSS, "%s: stored parameters are not valid", what);
    size_t count = json_object_array_length(root);
    kv *p = count ? xcalloc(count, sizeof *p) : NULL;
    for (size_t i = 0; i < count; i++) {
        json_object *row = json_object_array_get_idx(root, i);
        const char *name = store_row_str(row, 0), *value = store_row_str(row, 1);
        if (!name || !value) {
            kv_array_free(p, i);
            json_object_put(root);
            return aifb_err_set(err, AIFB_EDATALOSS, "%s: stored parameter %zu is not valid", what,
                                i);
        }
        p[i].name = xstrdup(name);
        p[i].value = xstrdup(value);
    }
    json_object_put(root);
    *out = p;
    *n = count;
    return AIFB_OK;
}

aifb_code store_summary_decode(store *s, const char *json, const char *what, metric **out,
                               size_t *n, aifb_err *err)
{
    *out = NULL;
    *n = 0;
    json_object *root = store_parse_rows(s, json ? json : "", 3);
    if (!root)
        return aifb_err_set(err, AIFB_EDATALOSS, "%s: stored summary is not valid", what);
    size_t count = json_object_array_length(root);
    metric *m = count ? xcalloc(count, sizeof *m) : NULL;
    for (size_t i = 0; i < count; i++) {
        json_object *row = json_object_array_get_idx(root, i);
        const char *name = store_row_str(row, 0), *unit = store_row_str(row, 2);
        double value = 0;
        if (!name || !unit || !store_row_double(row, 1, &value)) {
            metric_array_free(m, i);
            json_object_put(root);
            return aifb_err_set(err, AIFB_EDATALOSS, "%s: stored summary figure %zu is not valid",
                                what, i);
        }
        m[i].name = xstrdup(name);
        m[i].value = value;
        m[i].unit = xstrdup(unit);
    }
    json_object_put(root);
    *out = m;
    *n = count;
    return AIFB_OK;
}
