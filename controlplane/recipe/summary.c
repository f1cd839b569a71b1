/* summary.c: the table of result parsers and what they share (see summary.h).
 *
 * Each parser walks the client's output line by line and adds metrics with summary_add(); this
 * file picks the parser by name, and turns "nothing found" into one clear AIFB_ENOTFOUND so a
 * client that crashed before printing results is told apart from one that printed them. */
#include "recipe/summary_internal.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"

typedef struct summary_parser {
    const char *name;
    const char *tool; /* for "no results found in <tool> output" */
    void (*parse)(const char *text, size_t len, summary_acc *acc);
} summary_parser;

static const summary_parser parsers[] = {
    {"redis-benchmark-csv", "redis-benchmark", summary_parse_redis_csv},
    {"pgbench", "pgbench", summary_parse_pgbench},
    {"aifb-loadgen", "aifb-loadgen", summary_parse_loadgen},
    {"none", NULL, NULL},
};
#define NPARSERS (sizeof parsers / sizeof parsers[0])

static const summary_parser *find_parser(const char *name)
{
    for (size_t i = 0; name && i < NPARSERS; i++)
        if (!strcmp(parsers[i].name, name))
            return &parsers[i];
    return NULL;
}

bool summary_parser_known(const char *parser)
{
    return find_parser(parser) != NULL;
}

const char *summary_parser_names(void)
{
    return "redis-benchmark-csv, pgbench, aifb-loadgen, none";
}

void summary_add(summary_acc *acc, const char *name, double value, const char *unit)
{
    /* A figure printed twice (a test run twice) keeps its last value, one metric per name. */
    for (size_t i = 0; i < acc->n; i++) {
        if (!strcmp(acc->m[i].name, name)) {
            acc->m[i].value = value;
            return;
        }
    }
    acc->m = xrealloc(acc->m, (acc->n + 1) * sizeof *acc->m);
    acc->m[acc->n].name = xstrdup(name);
    acc->m[acc->n].value = value;
    acc->m[acc->n].unit = xstrdup(unit);
    acc->n++;
}

bool summary_next_line(const char *text, size_t len, size_t *pos, char *line, size_t size)
{
    if (*pos >= len)
        return false;
    size_t start = *pos, end = start;
    while (end < len && text[end] != '\n' && text[end] != '\r')
        end++;
    *pos = end < len ? end + 1 : end;
    size_t n = end - start;
    if (n >= size)
        n = size - 1; /* a line this long holds no figure we parse; a cut copy is harmless */
    memcpy(line, text + start, n);
    line[n] = '\0';
    /* NUL bytes inside the output end the line early, which is also harmless. */
    return true;
}

aifb_code summary_parse(const char *parser, const char *text, size_t len, metric **out, size_t *n,
                        aifb_err *err)
{
    *out = NULL;
    *n = 0;
    const summary_parser *p = find_parser(parser);
    if (!p)
        return aifb_err_set(err, AIFB_EINVAL, "unknown summary parser '%.64s' (known: %s)",
                            parser ? parser : "", summary_parser_names());
    if (!p->parse)
        return AIFB_OK;
    summary_acc acc = {0};
    p->parse(text ? text : "", text ? len : 0, &acc);
    if (!acc.n)
        return aifb_err_set(err, AIFB_ENOTFOUND, "no results found in %s output", p->tool);
    *out = acc.m;
    *n = acc.n;
    return AIFB_OK;
}
