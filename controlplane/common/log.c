/* log.c: see log.h. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

static aifb_log_level min_level = AIFB_LOG_INFO;
static bool as_json;
static const char *hclog_module; /* set: hclog's JSON form */
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void aifb_log_init(aifb_log_level min, bool json)
{
    min_level = min;
    as_json = json;
    hclog_module = NULL;
}

void aifb_log_init_hclog(aifb_log_level min, const char *module)
{
    min_level = min;
    hclog_module = module;
}

char *aifb_log_hclog_line(aifb_log_level level, const char *module, const char *msg,
                          int64_t epoch_us)
{
    time_t secs = (time_t)(epoch_us / 1000000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char when[48];
    size_t w = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(when + w, sizeof when - w, ".%06ldZ", (long)(epoch_us % 1000000));
    abuf line = {0};
    abuf_printf(&line, "{\"@level\":\"%s\",\"@message\":", level_names[level]);
    abuf_json_str(&line, msg);
    abuf_puts(&line, ",\"@module\":");
    abuf_json_str(&line, module);
    abuf_printf(&line, ",\"@timestamp\":\"%s\"}", when);
    return abuf_take(&line);
}

bool aifb_log_level_parse(const char *s, aifb_log_level *out)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (aifb_log_level)i;
            return true;
        }
    return false;
}

void aifb_log(aifb_log_level level, const char *fmt, ...)
{
    const char *const *names = level_names;
    if (level < min_level)
        return;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);

    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char when[40];
    size_t w = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(when + w, sizeof when - w, ".%03ldZ", ts.tv_nsec / 1000000);

    abuf line = {0};
    if (hclog_module) {
        char *l = aifb_log_hclog_line(level, hclog_module, msg,
                                      (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
        abuf_puts(&line, l);
        abuf_putc(&line, '\n');
        free(l);
    } else if (as_json) {
        abuf_printf(&line, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":", when, names[level]);
        abuf_json_str(&line, msg);
        abuf_puts(&line, "}\n");
    } else {
        abuf_printf(&line, "%s %-5s %s\n", when, names[level], msg);
    }
    ssize_t r = write(STDERR_FILENO, line.p, line.len);
    (void)r;
    abuf_free(&line);
}
