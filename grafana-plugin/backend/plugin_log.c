/* plugin_log.c: log lines in the form Grafana reads from a plugin's stderr.
 *
 * go-plugin, inside Grafana, parses each stderr line that is a JSON object with "@level",
 * "@message" and "@timestamp" (hclog's JSON format, timestamp with microseconds) and re-logs it
 * at that level under the plugin's name; anything else becomes a debug line of raw text. The
 * project's logger writes that form (common/log.h, aifb_log_init_hclog, set by main.c), so what
 * the shared modules (rpc/, pbjson/) log reaches Grafana leveled too. */
#include <stdarg.h>
#include <stdio.h>

#include "common/log.h"
#include "plugin.h"

char *plugin_log_line(plugin_log_level level, const char *msg, int64_t epoch_us)
{
    return aifb_log_hclog_line((aifb_log_level)level, "gpx_aifb", msg, epoch_us);
}

void plugin_log(plugin_log_level level, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    aifb_log((aifb_log_level)level, "%s", msg);
}
