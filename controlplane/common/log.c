/* log.c: see log.h. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

static aifb_log_level min_level = AIFB_LOG_INFO;
static bool as_json;

void aifb_log_init(aifb_log_level min, bool json)
{
    min_level = min;
    as_json = json;
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
    static const char *const names[] = {"debug", "info", "warn", "error"};
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
    if (as_json) {
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
