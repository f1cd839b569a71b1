/* opts.h: the command line of aifb-monitor, parsed and checked.
 *
 * mon_opts_parse() fills every field with its default, then applies "--name value" and
 * "--name=value" arguments from a table of options; a wrong one is refused with a message naming
 * the option and the value. It reads one thing from the environment: SLURM_JOB_ID, which makes
 * --job the default when no --pid is given. The bearer token is not an option (it would show in
 * ps): --token-file names a file, else AIFB_PROM_TOKEN holds it; main.c reads either.
 * docs/monitor.md is the user's reference for each option. */
#ifndef AIFB_MONITOR_OPTS_H
#define AIFB_MONITOR_OPTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/err.h"
#include "common/log.h"

#define MON_MAX_LABELS 32

typedef struct mon_label {
    char *name, *value; /* owned */
} mon_label;

typedef struct mon_opts {
    const char *remote_write; /* strings point into argv unless said otherwise */
    int pid;                  /* 0: no --pid */
    bool job;                 /* the processes of the Slurm job (its cgroup) */
    bool job_by_default;      /* --job only because SLURM_JOB_ID is set: not finding the job's
                               * cgroup is a warning, not an error */
    const char *job_id;       /* $SLURM_JOB_ID, or NULL: the job the cgroup names */
    int64_t interval_ms;
    int64_t duration_ms;      /* 0: until the process is gone or a signal */
    int64_t flush_timeout_ms; /* at the end, to send what is buffered */
    mon_label labels[MON_MAX_LABELS];
    size_t nlabels;
    const char *scrape_url;
    bool no_node, no_gpu;
    uint64_t memory_buffer;   /* encoded batches kept in memory while Prometheus is away */
    const char *spool_dir;    /* NULL: no disk spool */
    uint64_t spool_max_bytes; /* 0: the spool's default (256 MiB) */
    char instance[256];       /* the instance label; default the short host name */
    const char *token_file;
    const char *root;         /* read ROOT/proc and ROOT/sys ("" for the machine's own) */
    const char *nvml_library; /* default libnvidia-ml.so.1 */
    aifb_log_level log_level;
    bool help, version;
} mon_opts;

/* Defaults, then argv[1..argc). AIFB_EINVAL with the option and the value named in err. The
 * caller frees with mon_opts_free, also after an error. */
aifb_code mon_opts_parse(mon_opts *o, int argc, char **argv, aifb_err *err);
void mon_opts_free(mon_opts *o);
void mon_opts_usage(FILE *f);

/* "250ms", "1s", "1.5s", "2m", "1h", or a number of seconds: milliseconds in *ms. False for
 * anything else, a negative or a non-finite value. */
bool mon_parse_duration_ms(const char *s, int64_t *ms);
/* "4096", "64k", "64KiB", "16M", "16MiB", "1G", "1GiB" (powers of 1024), "16MB" and "1GB" (of
 * 1000): bytes in *out. False for anything else or more than 2^50. */
bool mon_parse_bytes(const char *s, uint64_t *out);

#endif
