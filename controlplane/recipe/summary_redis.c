/* summary_redis.c: the "redis-benchmark-csv" parser, for `redis-benchmark --csv`.
 *
 * redis-benchmark 6.2 and later print a header row ("test","rps","avg_latency_ms",...) and one
 * row per test ("SET","41666.67","0.687",...); older versions print rows of just test and rps
 * without a header. Each row becomes "<test>_<column>" metrics named after the header, so a
 * column a future version adds comes through without a change here. Lines that are not CSV rows
 * of the header's width (warnings, progress) are skipped. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recipe/summary_internal.h"

#define LINE_BYTES 1024
#define FIELDS_MAX 16
#define NAME_BYTES 96

/* Splits a CSV line in place into fields, quoted ("" is a quote inside) or bare; false when the
 * line is not well-formed CSV or has more than FIELDS_MAX fields. */
static bool csv_split(char *line, char **fields, size_t *nfields)
{
    size_t n = 0;
    char *p = line;
    for (;;) {
        if (n == FIELDS_MAX)
            return false;
        char *w = p;
        fields[n++] = w;
        if (*p == '"') {
            for (p++;; p++) {
                if (!*p)
                    return false;
                if (*p == '"' && p[1] == '"')
                    p++;
                else if (*p == '"')
                    break;
                *w++ = *p;
            }
            p++;
        } else {
            while (*p && *p != ',')
                *w++ = *p++;
        }
        char next = *p;
        *w = '\0';
        if (!next)
            break;
        if (next != ',')
            return false;
        p++;
    }
    *nfields = n;
    return true;
}

/* Lowercase letters and digits kept, every run of anything else one '_', none at the ends:
 * "LRANGE_100 (first 100 elements)" -> "lrange_100_first_100_elements". */
static void metric_part(const char *in, char *out, size_t size)
{
    size_t n = 0;
    bool pending_sep = false;
    for (const unsigned char *s = (const unsigned char *)in; *s && n + 2 < size; s++) {
        if (isalnum(*s) && *s < 0x80) {
            if (pending_sep && n)
                out[n++] = '_';
            pending_sep = false;
            out[n++] = (char)tolower(*s);
        } else {
            pending_sep = true;
        }
    }
    out[n] = '\0';
    if (!n)
        snprintf(out, size, "test");
}

static bool parse_figure(const char *s, double *out)
{
    char *end;
    if (!*s || isspace((unsigned char)*s))
        return false;
    *out = strtod(s, &end);
    return !*end && isfinite(*out);
}

static const char *unit_of(const char *column)
{
    size_t len = strlen(column);
    if (!strcmp(column, "rps"))
        return "ops/s";
    if (len > 3 && !strcmp(column + len - 3, "_ms"))
        return "ms";
    return "";
}

typedef struct redis_header {
    char columns[FIELDS_MAX][NAME_BYTES];
    size_t n; /* 0 until a header is seen */
} redis_header;

static void add_row(char **fields, size_t nfields, const redis_header *h, summary_acc *acc)
{
    double values[FIELDS_MAX];
    for (size_t k = 1; k < nfields; k++)
        if (!parse_figure(fields[k], &values[k]))
            return;
    char test[NAME_BYTES], name[2 * NAME_BYTES + 2];
    metric_part(fields[0], test, sizeof test);
    for (size_t k = 1; k < nfields; k++) {
        snprintf(name, sizeof name, "%s_%s", test, h->columns[k]);
        summary_add(acc, name, values[k], unit_of(h->columns[k]));
    }
}

void summary_parse_redis_csv(const char *text, size_t len, summary_acc *acc)
{
    static const redis_header legacy = {{"test", "rps"}, 2};
    redis_header h = {0};
    char line[LINE_BYTES];
    char *fields[FIELDS_MAX];
    size_t pos = 0, nfields;
    while (summary_next_line(text, len, &pos, line, sizeof line)) {
        if (line[0] != '"' || !csv_split(line, fields, &nfields) || nfields < 2)
            continue;
        if (!strcmp(fields[0], "test")) {
            h.n = nfields;
            for (size_t k = 0; k < nfields; k++)
                metric_part(fields[k], h.columns[k], sizeof h.columns[k]);
            continue;
        }
        const redis_header *use = h.n ? &h : &legacy;
        if (nfields == use->n)
            add_row(fields, nfields, use, acc);
    }
}
