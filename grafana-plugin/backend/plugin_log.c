/* plugin_log.c: log lines in the form Grafana reads from a plugin's stderr.
 *
 * go-plugin, inside Grafana, parses each stderr line that is a JSON object with "@level",
 * "@message" and "@timestamp" (hclog's JSON format, timestamp with microseconds) and re-logs it
 * at that level under the plugin's name; anything else becomes a debug line of raw text. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "plugin.h"

static const char *const level_names[] = {"debug", "info", "warn", "error"};

char *plugin_log_line(plugin_log_level level, const char *msg, int64_t epoch_us)
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
    abuf_printf(&line, ",\"@module\":\"gpx_aifb\",\"@timestamp\":\"%s\"}", when);
    return abuf_take(&line);
}

void plugin_log(plugin_log_level level, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char *line = plugin_log_line(level, msg, (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
    abuf out = {0};
    abuf_puts(&out, line);
    abuf_putc(&out, '\n');
    ssize_t r = write(STDERR_FILENO, out.p, out.len);
    (void)r;
    abuf_free(&out);
    free(line);
}
