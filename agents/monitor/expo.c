/* expo.c: the text exposition parser (see expo.h).
 *
 * Each line is copied into one reused buffer, NUL-terminated, and cut in place: names are
 * terminated where they end and label values unescaped over themselves (an unescaped value is
 * never longer), so a sample costs no allocation. The grammar follows Prometheus' own lexer
 * (model/textparse/promlex.l): blanks are spaces and tabs, a label value may hold any escaped
 * character (\\, \" and \n mean what they say, any other pair is kept as written). */
#include "monitor/expo.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

typedef struct pstate {
    char *p;         /* the current position in the line */
    const char *why; /* what is wrong, when something is */
} pstate;

static void blanks(pstate *s)
{
    while (*s->p == ' ' || *s->p == '\t')
        s->p++;
}

static bool name_start(char c, bool metric)
{
    return isalpha((unsigned char)c) || c == '_' || (metric && c == ':');
}

static bool name_char(char c, bool metric)
{
    return isalnum((unsigned char)c) || c == '_' || (metric && c == ':');
}

/* A metric or label name at s->p; its end is left for the caller to terminate. */
static char *name(pstate *s, bool metric)
{
    if (!name_start(*s->p, metric))
        return NULL;
    char *start = s->p;
    while (name_char(*s->p, metric))
        s->p++;
    return start;
}

/* A quoted label value at s->p (after the opening quote), unescaped in place. */
static char *label_value(pstate *s)
{
    char *out = s->p, *start = s->p;
    for (;;) {
        char c = *s->p;
        if (!c) {
            s->why = "a label value has no closing quote";
            return NULL;
        }
        s->p++;
        if (c == '"')
            break;
        if (c == '\\') {
            char e = *s->p;
            if (!e) {
                s->why = "a label value ends in a backslash";
                return NULL;
            }
            s->p++;
            if (e == 'n')
                *out++ = '\n';
            else if (e == '\\' || e == '"')
                *out++ = e;
            else {
                *out++ = '\\';
                *out++ = e;
            }
            continue;
        }
        *out++ = c;
    }
    *out = '\0';
    return start;
}

static bool labels(pstate *s, promrw_label *l, size_t *n)
{
    s->p++; /* '{' */
    for (;;) {
        blanks(s);
        if (*s->p == '}') {
            s->p++;
            return true;
        }
        if (*n == EXPO_MAX_LABELS) {
            s->why = "a sample has more than 64 labels";
            return false;
        }
        char *ln = name(s, false);
        if (!ln) {
            s->why = "a label name is not [a-zA-Z_][a-zA-Z0-9_]*";
            return false;
        }
        char *lend = s->p;
        blanks(s);
        if (*s->p != '=') {
            s->why = "a label name is not followed by =";
            return false;
        }
        s->p++;
        *lend = '\0';
        blanks(s);
        if (*s->p != '"') {
            s->why = "a label value is not quoted";
            return false;
        }
        s->p++;
        char *lv = label_value(s);
        if (!lv)
            return false;
        for (size_t i = 0; i < *n; i++)
            if (!strcmp(l[i].name, ln)) {
                s->why = "a label is given twice";
                return false;
            }
        l[(*n)++] = (promrw_label){ln, lv};
        blanks(s);
        if (*s->p == ',')
            s->p++;
        else if (*s->p != '}') {
            s->why = "labels are not separated by , or closed by }";
            return false;
        }
    }
}

/* A value: Go's ParseFloat accepts what strtod does (NaN, Inf and +Inf in any case, exponents). */
static bool value(pstate *s, double *v)
{
    char *start = s->p;
    while (*s->p && *s->p != ' ' && *s->p != '\t')
        s->p++;
    if (s->p == start) {
        s->why = "a sample has no value";
        return false;
    }
    char save = *s->p, *end;
    *s->p = '\0';
    errno = 0;
    *v = strtod(start, &end);
    bool ok = end == s->p && (errno == 0 || errno == ERANGE);
    *s->p = save;
    if (!ok)
        s->why = "a sample's value is not a number";
    return ok;
}

static bool timestamp(pstate *s, int64_t *ts)
{
    char *end;
    errno = 0;
    long long t = strtoll(s->p, &end, 10);
    if (end == s->p || errno || (*end && *end != ' ' && *end != '\t')) {
        s->why = "a sample's timestamp is not a whole number of milliseconds";
        return false;
    }
    *ts = t;
    s->p = end;
    return true;
}

static aifb_code sample_line(pstate *s, const expo_handler *h, aifb_err *err)
{
    promrw_label l[EXPO_MAX_LABELS];
    expo_sample x = {.labels = l};
    char *metric = name(s, true);
    if (!metric) {
        s->why = "a metric name is not [a-zA-Z_:][a-zA-Z0-9_:]*";
        return AIFB_EINVAL;
    }
    char *mend = s->p;
    blanks(s);
    bool has_labels = *s->p == '{';
    if (has_labels && !labels(s, l, &x.nlabels))
        return AIFB_EINVAL;
    if (!*s->p) {
        s->why = "a sample has no value";
        return AIFB_EINVAL;
    }
    if (has_labels ? (*s->p != ' ' && *s->p != '\t') : s->p == mend) {
        s->why = has_labels ? "no blank between the labels and the value"
                            : "a metric name is followed by something else than a blank or {";
        return AIFB_EINVAL;
    }
    *mend = '\0'; /* only now: it may have been the '{' */
    x.name = metric;
    blanks(s);
    if (!value(s, &x.value))
        return AIFB_EINVAL;
    blanks(s);
    if (*s->p && *s->p != '#') {
        if (!timestamp(s, &x.ts_ms))
            return AIFB_EINVAL;
        x.has_ts = true;
        blanks(s);
    }
    if (*s->p && *s->p != '#') { /* '#': an OpenMetrics exemplar, ignored */
        s->why = "something follows the value and timestamp";
        return AIFB_EINVAL;
    }
    return h->sample ? h->sample(h->arg, &x, err) : AIFB_OK;
}

/* "# HELP name text" or "# TYPE name type"; any other comment is ignored. */
static bool comment_line(pstate *s, const expo_handler *h)
{
    s->p++;
    blanks(s);
    bool help = !strncmp(s->p, "HELP", 4), type = !strncmp(s->p, "TYPE", 4);
    if ((!help && !type) || (s->p[4] != ' ' && s->p[4] != '\t' && s->p[4]))
        return true;
    s->p += 4;
    blanks(s);
    char *metric = name(s, true);
    if (!metric || (*s->p && *s->p != ' ' && *s->p != '\t')) {
        s->why = "a HELP or TYPE line does not name a metric";
        return false;
    }
    char *mend = s->p;
    blanks(s);
    *mend = '\0';
    char *text = s->p;
    if (type) {
        static const char *const types[] = {"counter",        "gauge",   "histogram",
                                            "summary",        "untyped", "unknown",
                                            "gaugehistogram", "info",    "stateset"};
        text[strcspn(text, " \t")] = '\0';
        bool known = false;
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            known = known || !strcmp(text, types[i]);
        if (!known) {
            s->why = "a TYPE line names an unknown type";
            return false;
        }
    } else { /* HELP text: \\ and \n escapes */
        char *o = text;
        for (char *i = text; *i; i++) {
            if (*i == '\\' && (i[1] == '\\' || i[1] == 'n')) {
                *o++ = i[1] == 'n' ? '\n' : '\\';
                i++;
            } else {
                *o++ = *i;
            }
        }
        *o = '\0';
    }
    if (h->meta)
        h->meta(h->arg, help ? "HELP" : "TYPE", metric, text);
    return true;
}

aifb_code expo_parse(const char *text, size_t len, const expo_handler *h, aifb_err *err)
{
    abuf line = {0};
    aifb_code rc = AIFB_OK;
    size_t lineno = 0;
    for (size_t at = 0; at < len && rc == AIFB_OK;) {
        const char *nl = memchr(text + at, '\n', len - at);
        size_t n = nl ? (size_t)(nl - (text + at)) : len - at;
        lineno++;
        line.len = 0;
        abuf_append(&line, text + at, n);
        at += n + 1;
        if (line.len && line.p[line.len - 1] == '\r')
            line.p[--line.len] = '\0';
        if (memchr(line.p, '\0', line.len)) {
            rc = aifb_err_set(err, AIFB_EINVAL, "line %zu: a NUL byte", lineno);
            break;
        }
        pstate s = {line.p, NULL};
        blanks(&s);
        if (!*s.p)
            continue;
        if (*s.p == '#') {
            if (!comment_line(&s, h))
                rc = aifb_err_set(err, AIFB_EINVAL, "line %zu: %s", lineno, s.why);
            continue;
        }
        rc = sample_line(&s, h, err);
        if (rc != AIFB_OK && s.why)
            aifb_err_set(err, rc, "line %zu: %s", lineno, s.why);
        else if (rc != AIFB_OK)
            aifb_err_prefix(err, "line %zu", lineno);
    }
    abuf_free(&line);
    return rc;
}
