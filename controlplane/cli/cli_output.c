/* cli_output.c: everything the CLI writes for people and scripts: the one-line error report,
 * JSON documents and lines, aligned tables, local times, humanised durations and metrics. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "common/util.h"
#include "pbjson/pbjson.h"

/* ---- errors ---------------------------------------------------------------------------------- */

/* Error lines must stay one line whatever a server message holds. */
static void one_line(char *s)
{
    for (; *s; s++)
        if (*s == '\n' || *s == '\r' || *s == '\t')
            *s = ' ';
}

/* Whether err says the daemon itself could not be reached (the rpc client's sentence names the
 * target), as opposed to aifbd answering UNAVAILABLE about something behind it. */
static bool daemon_unreachable(const cli_ctx *ctx, const aifb_err *err)
{
    if (err->code != AIFB_EUNAVAILABLE)
        return false;
    const char *target = ctx->server;
    if (strncmp(target, "unix:", 5) == 0)
        target += 5;
    return strstr(err->msg, target) != NULL;
}

int cli_fail(cli_ctx *ctx, const aifb_err *err)
{
    if (daemon_unreachable(ctx, err)) {
        fprintf(stderr,
                "aifb: cannot reach aifbd at %s (is aifbd running? start it with `aifbd`)\n",
                ctx->server);
        return CLI_EXIT_FAILED;
    }
    char msg[AIFB_ERR_MSG_MAX];
    snprintf(msg, sizeof msg, "%s", err->msg);
    one_line(msg);
    const char *hint = "";
    /* Only aifbd's own refusal is about AIFB_TOKEN; other credentials have their own words. */
    if (err->code == AIFB_EUNAUTHENTICATED && strstr(msg, "bearer token"))
        hint = ctx->token ? " (check AIFB_TOKEN)" : " (set AIFB_TOKEN to aifbd's token)";
    fprintf(stderr, "aifb: %s: %s: %s%s\n", ctx->what, aifb_code_name(err->code), msg, hint);
    return CLI_EXIT_FAILED;
}

int cli_fail_msg(cli_ctx *ctx, const char *fmt, ...)
{
    char msg[AIFB_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    one_line(msg);
    fprintf(stderr, "aifb: %s: %s\n", ctx->what, msg);
    return CLI_EXIT_FAILED;
}

void cli_set_what(cli_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->what, sizeof ctx->what, fmt, ap);
    va_end(ap);
}

/* ---- JSON -------------------------------------------------------------------------------------
 */

void cli_print_json(const ProtobufCMessage *m)
{
    char *s = pbjson_format(m, 1);
    printf("%s\n", s);
    free(s);
    fflush(stdout);
}

void cli_print_json_line(const ProtobufCMessage *m)
{
    char *s = pbjson_format(m, 0);
    printf("%s\n", s);
    free(s);
    fflush(stdout);
}

void cli_print_json_object(json_object *j)
{
    printf("%s\n",
           json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                 JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(j);
    fflush(stdout);
}

/* ---- tables -----------------------------------------------------------------------------------
 */

struct cli_table {
    size_t ncols, nrows, cap;
    char **cells; /* nrows * ncols; row 0 is the header when there is one */
    bool has_header;
};

cli_table *cli_table_new(size_t ncols, const char *const *headers)
{
    cli_table *t = xcalloc(1, sizeof *t);
    t->ncols = ncols;
    if (headers) {
        t->has_header = true;
        t->cap = 8;
        t->cells = xcalloc(t->cap * ncols, sizeof *t->cells);
        for (size_t c = 0; c < ncols; c++)
            t->cells[c] = xstrdup(headers[c]);
        t->nrows = 1;
    }
    return t;
}

void cli_table_add(cli_table *t, ...)
{
    if (t->nrows == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 8;
        t->cells = xrealloc(t->cells, t->cap * t->ncols * sizeof *t->cells);
    }
    va_list ap;
    va_start(ap, t);
    for (size_t c = 0; c < t->ncols; c++) {
        const char *s = va_arg(ap, const char *);
        char *cell = xstrdup(s ? s : "");
        one_line(cell);
        t->cells[t->nrows * t->ncols + c] = cell;
    }
    va_end(ap);
    t->nrows++;
}

/* Characters on screen, counting a UTF-8 sequence once. */
static size_t display_width(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

void cli_table_print(const cli_table *t, FILE *f)
{
    size_t *width = xcalloc(t->ncols, sizeof *width);
    for (size_t r = 0; r < t->nrows; r++)
        for (size_t c = 0; c < t->ncols; c++) {
            size_t w = display_width(t->cells[r * t->ncols + c]);
            if (w > width[c])
                width[c] = w;
        }
    for (size_t r = 0; r < t->nrows; r++) {
        char *const *row = t->cells + r * t->ncols;
        /* Padding stops at the last non-empty cell: no trailing blanks. */
        size_t used = t->ncols;
        while (used > 1 && !row[used - 1][0])
            used--;
        for (size_t c = 0; c < used; c++) {
            fputs(row[c], f);
            if (c + 1 < used)
                fprintf(f, "%*s", (int)(width[c] - display_width(row[c]) + 2), "");
        }
        fputc('\n', f);
    }
    free(width);
    fflush(f);
}

void cli_table_free(cli_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t);
}

/* ---- times and numbers ----------------------------------------------------------------------- */

const char *cli_time_text(int64_t epoch_ms, char *buf, size_t size)
{
    if (epoch_ms <= 0) {
        snprintf(buf, size, "-");
        return buf;
    }
    time_t secs = (time_t)(epoch_ms / 1000);
    struct tm tm;
    localtime_r(&secs, &tm);
    char date[32];
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
    long off = tm.tm_gmtoff / 60;
    char sign = off < 0 ? '-' : '+';
    off = labs(off);
    snprintf(buf, size, "%s%c%02ld:%02ld", date, sign, off / 60, off % 60);
    return buf;
}

const char *cli_duration_text(int64_t ms, char *buf, size_t size)
{
    long long v = ms < 0 ? 0 : (long long)ms, s = v / 1000;
    if (v < 1000)
        snprintf(buf, size, "%lldms", v);
    else if (s < 60)
        snprintf(buf, size, "%llds", s);
    else if (s < 3600)
        snprintf(buf, size, "%lldm%02llds", s / 60, s % 60);
    else if (s < 86400)
        snprintf(buf, size, "%lldh%02lldm", s / 3600, s % 3600 / 60);
    else
        snprintf(buf, size, "%lldd%02lldh", s / 86400, s % 86400 / 3600);
    return buf;
}

const char *cli_clock_text(int64_t ms, char *buf, size_t size)
{
    long long s = ms < 0 ? 0 : (long long)(ms / 1000);
    if (s >= 3600)
        snprintf(buf, size, "%lld:%02lld:%02lld", s / 3600, s % 3600 / 60, s % 60);
    else
        snprintf(buf, size, "%02lld:%02lld", s / 60, s % 60);
    return buf;
}

/* A metric value as people read it: no exponent for everyday magnitudes. */
static const char *number_text(double v, char *buf, size_t size)
{
    if (isfinite(v) && v == trunc(v) && fabs(v) < 1e15)
        snprintf(buf, size, "%.0f", v);
    else if (isfinite(v) && fabs(v) >= 1e5 && fabs(v) < 1e15)
        snprintf(buf, size, "%.1f", v);
    else
        snprintf(buf, size, "%.6g", v);
    return buf;
}

void cli_print_metrics(Aifb__V1__Metric *const *metrics, size_t n, FILE *f)
{
    cli_table *t = cli_table_new(2, NULL);
    for (size_t i = 0; i < n; i++) {
        char num[64], value[160];
        number_text(metrics[i]->value, num, sizeof num);
        snprintf(value, sizeof value, "%s%s%s", num, metrics[i]->unit[0] ? " " : "",
                 metrics[i]->unit);
        cli_table_add(t, metrics[i]->name, value);
    }
    cli_table_print(t, f);
    cli_table_free(t);
}
