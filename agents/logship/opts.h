/* opts.h: aifb-logship's command line (docs/logship.md lists every option).
 *
 *   aifb-logship --loki-url URL (--file PATH | --glob PATTERN)... [--label k=v]...
 *                --positions FILE [--spool DIR] [--follow-pid PID] [...]
 *
 * Parsing fills a logship_opts with defaults first, then the options in order; the labels start
 * as app=aifb, node=<short host name> and run_id=$AIFB_RUN_ID (when set), and --label adds to or
 * overrides them. The bearer token comes from --token-file or the environment variable
 * AIFB_LOKI_TOKEN, never from the command line (where ps would show it). */
#ifndef AIFB_LOGSHIP_OPTS_H
#define AIFB_LOGSHIP_OPTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "common/err.h"
#include "common/log.h"
#include "logship/batch.h"
#include "logship/labels.h"
#include "logship/tail.h"

typedef struct logship_opts {
    const char *loki_url;
    tail_source *sources; /* --file and --glob, in order */
    size_t nsources;
    ls_labels labels; /* every label but stream */
    const char *positions;
    ls_format format;
    int64_t batch_wait_ms;
    size_t batch_bytes;
    const char *spool_dir; /* NULL: no spool */
    uint64_t spool_max_bytes;
    const char *tenant;
    char *token;      /* a secret: wiped by logship_opts_free */
    pid_t follow_pid; /* 0: none */
    int max_retries;  /* without a spool; negative: without end */
    int64_t backoff_min_ms, backoff_max_ms, timeout_ms, connect_timeout_ms;
    int64_t poll_interval_ms, rotate_wait_ms, flush_timeout_ms;
    size_t max_line_bytes;
    bool no_inotify;
    const char *stats_file;
    aifb_log_level log_level;
    bool help, version;
} logship_opts;

/* AIFB_EINVAL naming the option and what is wrong with it. */
aifb_code logship_opts_parse(logship_opts *o, int argc, char **argv, aifb_err *err);
void logship_opts_free(logship_opts *o);
void logship_opts_usage(FILE *out);

/* "500ms", "1s", "2m", "1h", or a bare number of seconds -> milliseconds. False if not one. */
bool logship_parse_duration(const char *s, int64_t *ms);
/* "1048576", "512KiB", "1MiB", "2G" (K, M, G: binary multiples; the B, iB optional) -> bytes. */
bool logship_parse_size(const char *s, uint64_t *bytes);

#endif
