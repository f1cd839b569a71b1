/* metrics.h: every series aifb-monitor can emit of its own (not the scraped ones), in one table,
 * and the vector of samples the collectors fill each tick.
 *
 * The table is the single source of the names, types, label names and help texts: collectors
 * refer to a metric by its mon_metric index, never by a string, so a unit test that walks the
 * table checks every name the monitor can emit against Prometheus' conventions (aifb_ prefix,
 * base units, _total exactly on counters, no unbounded label such as a pid). A collector adds
 * mon_sample values (a metric, up to two label values, a number) to a mon_samples vector; the
 * monitor turns the vector into a remote write batch (mon_samples_to_batch) with the run's
 * labels. Collectors being pure (files in, samples out) is what lets the tests run them on
 * captured /proc and /sys files. */
#ifndef AIFB_MONITOR_METRICS_H
#define AIFB_MONITOR_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "core/promrw.h"

typedef enum mon_type { MON_COUNTER, MON_GAUGE } mon_type;

typedef enum mon_metric {
    /* the process tree (--pid) or the Slurm job (--job): one series set, never a pid label */
    M_PROCESS_CPU, /* {mode="user"|"system"} */
    M_PROCESS_RSS,
    M_PROCESS_VMS,
    M_PROCESS_THREADS,
    M_PROCESS_COUNT,
    M_PROCESS_FDS,
    M_PROCESS_IO_READ,
    M_PROCESS_IO_WRITE,
    /* the node */
    M_NODE_CPU, /* {mode} */
    M_NODE_CPUS,
    M_NODE_MEM_TOTAL,
    M_NODE_MEM_AVAILABLE,
    M_NODE_MEM_FREE,
    M_NODE_MEM_CACHED,
    M_NODE_MEM_BUFFERS,
    M_NODE_SWAP_TOTAL,
    M_NODE_SWAP_FREE,
    M_NODE_LOAD1,
    M_NODE_LOAD5,
    M_NODE_LOAD15,
    M_NODE_NET_RX_BYTES, /* {device} */
    M_NODE_NET_TX_BYTES,
    M_NODE_NET_RX_PACKETS,
    M_NODE_NET_TX_PACKETS,
    M_NODE_DISK_READ_BYTES, /* {device} */
    M_NODE_DISK_WRITTEN_BYTES,
    M_NODE_DISK_READS,
    M_NODE_DISK_WRITES,
    M_NODE_DISK_IO_TIME,
    /* GPUs through NVML: {gpu, uuid} */
    M_GPU_UTIL,
    M_GPU_MEM_UTIL,
    M_GPU_MEM_USED,
    M_GPU_MEM_TOTAL,
    M_GPU_POWER,
    M_GPU_ENERGY,
    M_GPU_TEMP,
    M_GPU_SM_CLOCK,
    /* the monitor itself */
    M_MON_SAMPLES_SENT,
    M_MON_BYTES_SENT,
    M_MON_RETRIES,
    M_MON_SAMPLES_DROPPED,
    M_MON_BUFFERED, /* {where="memory"|"disk"} */
    M_MON_CPU,
    M_MON_RSS,
    M_MON_SCRAPE_UP,
    M_MON_SCRAPE_DURATION,
    M_MON_SCRAPE_SAMPLES,
    M_COUNT
} mon_metric;

typedef struct mon_metric_def {
    const char *name;
    mon_type type;
    const char *labels[2]; /* label names, NULL when unused */
    const char *help;
} mon_metric_def;

/* The definition of metric m (m < M_COUNT). */
const mon_metric_def *mon_metric_get(mon_metric m);

/* Label names the monitor's own series use: a --label may not take one of them. */
extern const char *const MON_OWN_LABELS[];

/* Label values longer than this are cut (device names, GPU UUIDs and modes are far shorter). */
#define MON_LABEL_MAX 64

typedef struct mon_sample {
    mon_metric metric;
    double value;
    char lv[2][MON_LABEL_MAX]; /* values of the metric's labels, in the table's order */
} mon_sample;

typedef struct mon_samples {
    mon_sample *v;
    size_t n, cap;
} mon_samples;

/* Appends a sample; l0 and l1 are the values of the metric's labels (NULL for none). */
void mon_samples_add(mon_samples *s, mon_metric m, double value, const char *l0, const char *l1);
void mon_samples_clear(mon_samples *s);
void mon_samples_free(mon_samples *s);
/* The first sample of metric m whose label values are l0 and l1 (NULL matches any), or NULL. */
const mon_sample *mon_samples_find(const mon_samples *s, mon_metric m, const char *l0,
                                   const char *l1);

/* Adds every sample to the batch at ts_ms (with the batch's constant labels). AIFB_EINVAL from
 * promrw (a label value that is not UTF-8: a strange device name) for the first sample that
 * fails; the others are still added. */
aifb_code mon_samples_to_batch(const mon_samples *s, promrw_batch *b, int64_t ts_ms, aifb_err *err);

#endif
