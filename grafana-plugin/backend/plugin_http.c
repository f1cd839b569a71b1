/* plugin_http.c: the HTTP side of CallResource, which Grafana forwards from
 * /api/plugins/<id>/resources/<path>: splitting the path, reading the query string, and replies
 * with JSON bodies (errors as {"error": ..., "code": ...}, so the pages can show aifbd's own
 * sentence beside the field it names). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "plugin.h"

static Pluginv2__CallResourceResponse__HeadersEntry *header(const char *key, const char *value)
{
    Pluginv2__CallResourceResponse__HeadersEntry *e = xmalloc(sizeof *e);
    pluginv2__call_resource_response__headers_entry__init(e);
    e->key = xstrdup(key);
    e->value = xmalloc(sizeof *e->value);
    pluginv2__string_list__init(e->value);
    e->value->n_values = 1;
    e->value->values = xmalloc(sizeof(char *));
    e->value->values[0] = xstrdup(value);
    return e;
}

Pluginv2__CallResourceResponse *plugin_http_json(int status, json_object *j)
{
    Pluginv2__CallResourceResponse *r = xmalloc(sizeof *r);
    pluginv2__call_resource_response__init(r);
    r->code = status;
    r->n_headers = 1;
    r->headers = xmalloc(sizeof *r->headers);
    r->headers[0] = header("Content-Type", "application/json");
    size_t len = 0;
    const char *text = json_object_to_json_string_length(j, JSON_C_TO_STRING_PLAIN, &len);
    r->body.data = xmalloc(len + 1);
    memcpy(r->body.data, text, len + 1);
    r->body.len = len;
    json_object_put(j);
    return r;
}

Pluginv2__CallResourceResponse *plugin_http_error(int status, const char *code_name,
                                                  const char *msg)
{
    json_object *j = json_object_new_object();
    json_object_object_add(j, "error", json_object_new_string(msg));
    json_object_object_add(j, "code", json_object_new_string(code_name));
    return plugin_http_json(status, j);
}

static int hexval(int c)
{
    if (isdigit(c))
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decoding of n bytes of s, '+' as a space (form encoding, as browsers send). */
static char *url_decode(const char *s, size_t n)
{
    char *out = xmalloc(n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < n && (hi = hexval((unsigned char)s[i + 1])) >= 0 &&
            (lo = hexval((unsigned char)s[i + 2])) >= 0) {
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[o++] = s[i] == '+' ? ' ' : s[i];
        }
    }
    out[o] = '\0';
    return out;
}

char *plugin_query_param(const char *url, const char *name)
{
    const char *q = url ? strchr(url, '?') : NULL;
    if (!q)
        return NULL;
    size_t nlen = strlen(name);
    for (const char *p = q + 1; *p;) {
        const char *end = strchr(p, '&');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        size_t klen = eq ? (size_t)(eq - p) : len;
        if (klen == nlen && strncmp(p, name, nlen) == 0)
            return eq ? url_decode(eq + 1, len - klen - 1) : xstrdup("");
        p += len + (end ? 1 : 0);
    }
    return NULL;
}

int plugin_path_split(const char *path, char seg[][96], int max)
{
    int n = 0;
    const char *p = path ? path : "";
    while (*p && *p != '?') {
        while (*p == '/')
            p++;
        if (!*p || *p == '?')
            break;
        size_t len = strcspn(p, "/?");
        if (n == max || len >= 96)
            return -1;
        memcpy(seg[n], p, len);
        seg[n][len] = '\0';
        n++;
        p += len;
    }
    return n;
}
