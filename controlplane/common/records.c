/* records.c: see records.h. */
#include "records.h"

#include <stdlib.h>

#include "util.h"

void kv_array_free(kv *a, size_t n)
{
    for (size_t i = 0; a && i < n; i++) {
        free(a[i].name);
        free(a[i].value);
    }
    free(a);
}

void metric_array_free(metric *a, size_t n)
{
    for (size_t i = 0; a && i < n; i++) {
        free(a[i].name);
        free(a[i].unit);
    }
    free(a);
}

kv *kv_array_dup(const kv *a, size_t n)
{
    if (!n)
        return NULL;
    kv *d = xcalloc(n, sizeof *d);
    for (size_t i = 0; i < n; i++) {
        d[i].name = xstrdup(a[i].name);
        d[i].value = xstrdup(a[i].value);
    }
    return d;
}

metric *metric_array_dup(const metric *a, size_t n)
{
    if (!n)
        return NULL;
    metric *d = xcalloc(n, sizeof *d);
    for (size_t i = 0; i < n; i++) {
        d[i].name = xstrdup(a[i].name);
        d[i].value = a[i].value;
        d[i].unit = xstrdup(a[i].unit);
    }
    return d;
}
