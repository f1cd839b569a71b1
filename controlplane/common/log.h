/* log.h: one log line per event, on stderr, as text for people or JSON lines for machines.
 *
 * Text: "2026-11-28T13:02:36.123Z info  run r-3fa09c1d22be RUNNING (client started)".
 * JSON: {"ts":"...","level":"info","msg":"..."}; chosen with aifb_log_init(). Never pass a
 * secret (token, key, password) to these functions. Thread-safe: one write(2) per line. */
#ifndef AIFB_LOG_H
#define AIFB_LOG_H

#include <stdbool.h>
#include <stdint.h>

typedef enum { AIFB_LOG_DEBUG, AIFB_LOG_INFO, AIFB_LOG_WARN, AIFB_LOG_ERROR } aifb_log_level;

/* min: lowest level printed; json: JSON lines instead of text. Default: info, text. */
void aifb_log_init(aifb_log_level min, bool json);
/* JSON lines in hclog's form ({"@level","@message","@module","@timestamp"}, microseconds), which
 * go-plugin's host (Grafana) reads from a plugin's stderr and re-logs at their level; module names
 * the program. Replaces the text and JSON forms for every line from then on. */
void aifb_log_init_hclog(aifb_log_level min, const char *module);
/* One such line (no newline) for msg at epoch_us (microseconds since the Unix epoch); malloc'd. */
char *aifb_log_hclog_line(aifb_log_level level, const char *module, const char *msg,
                          int64_t epoch_us);
/* Parses "debug", "info", "warn", "error"; returns false for anything else. */
bool aifb_log_level_parse(const char *s, aifb_log_level *out);

void aifb_log(aifb_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) aifb_log(AIFB_LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  aifb_log(AIFB_LOG_INFO, __VA_ARGS__)
#define log_warn(...)  aifb_log(AIFB_LOG_WARN, __VA_ARGS__)
#define log_error(...) aifb_log(AIFB_LOG_ERROR, __VA_ARGS__)

#endif
