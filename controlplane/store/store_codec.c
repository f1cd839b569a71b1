/* store_codec.c: parameter lists and result summaries as JSON text in one column each.
 *
 * A run's params and summary are read with the run every time (a page of 100 runs reads 200 of
 * them), so they are kept in the row as compact JSON arrays rather than in side tables: no join,
 * order kept, readable with SQLite's json functions. Arrays of arrays, not objects, because a
 * parameter list is ordered.
 *
 *   params:  [["clients","8"],["model","a \"quoted\" name"]]
 *   summary: [["get_rps",81234.5,"ops/s"],["p99_latency_ms","NaN","ms"]]
 *
 * Summary values are written with 17 significant digits, which round-trips every finite double;
 * NaN and the infinities, which JSON cannot express, are written as strings. Numbers are written
 * and read in the C locale whatever the process's locale is.
 *
 * Reading uses a small decoder for exactly this shape (any valid JSON spelling of it: spaces,
 * every string escape, surrogate pairs) instead of a general JSON library: it builds the records
 * directly, with no intermediate objects, which matters at a few microseconds per row. Anything
 * else is refused as malformed. */
#include "store_internal.h"

#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static locale_t store_c_locale;
static pthread_once_t store_c_locale_once = PTHREAD_ONCE_INIT;

static void store_c_locale_init(void)
{
    store_c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

/* A locale whose numbers are written "1.5", never "1,5". */
static locale_t store_numeric_locale(void)
{
    pthread_once(&store_c_locale_once, store_c_locale_init);
    return store_c_locale;
}

/* ---- writing --------------------------------------------------------------------------------- */

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
    if (isnan(v)) {
        abuf_puts(b, "\"NaN\"");
    } else if (isinf(v)) {
        abuf_puts(b, v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    } else {
        locale_t old = uselocale(store_numeric_locale());
        abuf_printf(b, "%.17g", v);
        uselocale(old);
    }
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

/* ---- reading --------------------------------------------------------------------------------- */

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

/* Consumes c (after spaces); false if the next character is something else. */
static bool expect(const char **p, char c)
{
    *p = skip_ws(*p);
    if (**p != c)
        return false;
    (*p)++;
    return true;
}

static int hex4(const char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

static char *put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        *o++ = (char)cp;
    } else if (cp < 0x800) {
        *o++ = (char)(0xc0 | cp >> 6);
        *o++ = (char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        *o++ = (char)(0xe0 | cp >> 12);
        *o++ = (char)(0x80 | (cp >> 6 & 0x3f));
        *o++ = (char)(0x80 | (cp & 0x3f));
    } else {
        *o++ = (char)(0xf0 | cp >> 18);
        *o++ = (char)(0x80 | (cp >> 12 & 0x3f));
        *o++ = (char)(0x80 | (cp >> 6 & 0x3f));
        *o++ = (char)(0x80 | (cp & 0x3f));
    }
    return o;
}

/* Decodes \uXXXX (and its low surrogate when it is a high one) at *p, just after "\u". */
static bool unicode_escape(const char **p, char **o)
{
    int cp = hex4(*p);
    if (cp < 0)
        return false;
    *p += 4;
    if (cp >= 0xd800 && cp <= 0xdbff) {
        int lo = (*p)[0] == '\\' && (*p)[1] == 'u' ? hex4(*p + 2) : -1;
        if (lo < 0xdc00 || lo > 0xdfff)
            return false;
        *p += 6;
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
    } else if (cp >= 0xdc00 && cp <= 0xdfff) {
        return false;
    }
    if (cp == 0)
        return false; /* a C string cannot hold it */
    *o = put_utf8(*o, (unsigned)cp);
    return true;
}

/* One escape after the backslash at *p. */
static bool string_escape(const char **p, char **o)
{
    char c = *(*p)++;
    const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
    const char *k = c ? strchr(from, c) : NULL;
    if (k) {
        *(*o)++ = to[k - from];
        return true;
    }
    return c == 'u' && unicode_escape(p, o);
}

/* A JSON string at *p (after spaces) as a malloc'd C string; NULL when malformed. The decoded
 * text is never longer than its escaped form, so the span's length bounds the buffer. */
static char *read_string(const char **p)
{
    if (!expect(p, '"'))
        return NULL;
    const char *end = *p;
    while (*end && *end != '"')
        end += *end == '\\' && end[1] ? 2 : 1;
    if (!*end)
        return NULL;
    char *out = xmalloc((size_t)(end - *p) + 1), *o = out;
    while (*p < end) {
        unsigned char c = (unsigned char)*(*p)++;
        bool ok = c >= 0x20 && (c != '\\' || string_escape(p, &o));
        if (!ok) {
            free(out);
            return NULL;
        }
        if (c != '\\')
            *o++ = (char)c;
    }
    *o = '\0';
    *p = end + 1;
    return out;
}

/* A summary value: a JSON number, or a string holding "NaN", "Infinity" or "-Infinity". */
static bool read_number(const char **p, double *out)
{
    *p = skip_ws(*p);
    char *end = NULL;
    if (**p == '"') {
        char *text = read_string(p);
        bool ok = text && (strcmp(text, "NaN") == 0 || strcmp(text, "Infinity") == 0 ||
                           strcmp(text, "-Infinity") == 0);
        if (ok)
            *out = strtod_l(text, &end, store_numeric_locale());
        free(text);
        return ok;
    }
    /* Only the characters of a JSON number: strtod alone would also take "inf", "nan" and hex. */
    size_t len = strspn(*p, "0123456789+-.eE");
    char text[64];
    if (len == 0 || len >= sizeof text)
        return false;
    memcpy(text, *p, len);
    text[len] = '\0';
    *out = strtod_l(text, &end, store_numeric_locale());
    if (*end != '\0')
        return false;
    *p += len;
    return true;
}

/* Reads the outer '[' and tells whether the list is empty ("[]"). */
static bool list_open(const char **p, bool *empty)
{
    if (!expect(p, '['))
        return false;
    *p = skip_ws(*p);
    *empty = **p == ']';
    if (*empty)
        (*p)++;
    return true;
}

/* After a row: ',' for another one, or ']' and the end of the text. */
static bool list_next(const char **p, bool *more)
{
    if (expect(p, ',')) {
        *more = true;
        return true;
    }
    *more = false;
    return expect(p, ']') && *skip_ws(*p) == '\0';
}

/* One ["name","value"] row. */
static bool read_param(const char **p, kv *out)
{
    if (!expect(p, '['))
        return false;
    out->name = read_string(p);
    if (!out->name || !expect(p, ','))
        return false;
    out->value = read_string(p);
    return out->value && expect(p, ']');
}

/* One ["name",value,"unit"] row. */
static bool read_metric(const char **p, metric *out)
{
    if (!expect(p, '['))
        return false;
    out->name = read_string(p);
    if (!out->name || !expect(p, ',') || !read_number(p, &out->value) || !expect(p, ','))
        return false;
    out->unit = read_string(p);
    return out->unit && expect(p, ']');
}

/* Grows an array of `size`-byte items to hold one more, zeroed. */
static void *grow(void *a, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return a;
    *cap = *cap ? *cap * 2 : 8;
    a = xrealloc(a, *cap * size);
    memset((char *)a + n * size, 0, (*cap - n) * size);
    return a;
}

aifb_code store_params_decode(const char *json, const char *noun, const char *id, kv **out,
                              size_t *n, aifb_err *err)
{
    *out = NULL;
    *n = 0;
    const char *p = json ? json : "";
    bool empty = false, more = true, ok = list_open(&p, &empty);
    if (ok && empty)
        ok = *skip_ws(p) == '\0';
    kv *a = NULL;
    size_t count = 0, cap = 0;
    while (ok && !empty && more) {
        a = grow(a, count, &cap, sizeof *a);
        ok = read_param(&p, &a[count++]) && list_next(&p, &more);
    }
    if (!ok) {
        kv_array_free(a, count);
        return aifb_err_set(err, AIFB_EDATALOSS, "%s %s: stored parameters are not valid", noun,
                            id);
    }
    *out = a;
    *n = count;
    return AIFB_OK;
}

aifb_code store_summary_decode(const char *json, const char *noun, const char *id, metric **out,
                               size_t *n, aifb_err *err)
{
    *out = NULL;
    *n = 0;
    const char *p = json ? json : "";
    bool empty = false, more = true, ok = list_open(&p, &empty);
    if (ok && empty)
        ok = *skip_ws(p) == '\0';
    metric *a = NULL;
    size_t count = 0, cap = 0;
    while (ok && !empty && more) {
        a = grow(a, count, &cap, sizeof *a);
        ok = read_metric(&p, &a[count++]) && list_next(&p, &more);
    }
    if (!ok) {
        metric_array_free(a, count);
        return aifb_err_set(err, AIFB_EDATALOSS, "%s %s: stored summary is not valid", noun, id);
    }
    *out = a;
    *n = count;
    return AIFB_OK;
}
