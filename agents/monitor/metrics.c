/* metrics.c: the table of the monitor's own series and the sample vector (see metrics.h). */
#include "monitor/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

#define C MON_COUNTER
#define G MON_GAUGE
static const mon_metric_def DEFS[M_COUNT] = {
    [M_PROCESS_CPU] = {"aifb_process_cpu_seconds_total",
                       C,
                       {"mode"},
                       "CPU time of the watched processes and the children they reaped"},
    [M_PROCESS_RSS] = {"aifb_process_resident_memory_bytes",
                       G,
                       {0},
                       "Resident memory of the watched processes, summed"},
    [M_PROCESS_VMS] = {"aifb_process_virtual_memory_bytes",
                       G,
                       {0},
                       "Virtual memory of the watched processes, summed"},
    [M_PROCESS_THREADS] = {"aifb_process_threads", G, {0}, "Threads of the watched processes"},
    [M_PROCESS_COUNT] = {"aifb_process_count", G, {0}, "How many processes are watched"},
    [M_PROCESS_FDS] = {"aifb_process_open_fds",
                       G,
                       {0},
                       "Open file descriptors of the watched processes"},
    [M_PROCESS_IO_READ] = {"aifb_process_io_read_bytes_total",
                           C,
                           {0},
                           "Bytes the watched processes caused to be read from storage"},
    [M_PROCESS_IO_WRITE] = {"aifb_process_io_write_bytes_total",
                            C,
                            {0},
                            "Bytes the watched processes caused to be written to storage"},
    [M_NODE_CPU] = {"aifb_node_cpu_seconds_total",
                    C,
                    {"mode"},
                    "CPU time of the node by mode, all CPUs together"},
    [M_NODE_CPUS] = {"aifb_node_cpus", G, {0}, "CPUs of the node"},
    [M_NODE_MEM_TOTAL] = {"aifb_node_memory_total_bytes", G, {0}, "MemTotal of /proc/meminfo"},
    [M_NODE_MEM_AVAILABLE] = {"aifb_node_memory_available_bytes",
                              G,
                              {0},
                              "MemAvailable of /proc/meminfo"},
    [M_NODE_MEM_FREE] = {"aifb_node_memory_free_bytes", G, {0}, "MemFree of /proc/meminfo"},
    [M_NODE_MEM_CACHED] = {"aifb_node_memory_cached_bytes", G, {0}, "Cached of /proc/meminfo"},
    [M_NODE_MEM_BUFFERS] = {"aifb_node_memory_buffers_bytes", G, {0}, "Buffers of /proc/meminfo"},
    [M_NODE_SWAP_TOTAL] = {"aifb_node_memory_swap_total_bytes",
                           G,
                           {0},
                           "SwapTotal of /proc/meminfo"},
    [M_NODE_SWAP_FREE] = {"aifb_node_memory_swap_free_bytes", G, {0}, "SwapFree of /proc/meminfo"},
    [M_NODE_LOAD1] = {"aifb_node_load1", G, {0}, "1-minute load average"},
    [M_NODE_LOAD5] = {"aifb_node_load5", G, {0}, "5-minute load average"},
    [M_NODE_LOAD15] = {"aifb_node_load15", G, {0}, "15-minute load average"},
    [M_NODE_NET_RX_BYTES] = {"aifb_node_network_receive_bytes_total",
                             C,
                             {"device"},
                             "Bytes received by a network device"},
    [M_NODE_NET_TX_BYTES] = {"aifb_node_network_transmit_bytes_total",
                             C,
                             {"device"},
                             "Bytes sent by a network device"},
    [M_NODE_NET_RX_PACKETS] = {"aifb_node_network_receive_packets_total",
                               C,
                               {"device"},
                               "Packets received by a network device"},
    [M_NODE_NET_TX_PACKETS] = {"aifb_node_network_transmit_packets_total",
                               C,
                               {"device"},
                               "Packets sent by a network device"},
    [M_NODE_DISK_READ_BYTES] = {"aifb_node_disk_read_bytes_total",
                                C,
                                {"device"},
                                "Bytes read from a whole disk"},
    [M_NODE_DISK_WRITTEN_BYTES] = {"aifb_node_disk_written_bytes_total",
                                   C,
                                   {"device"},
                                   "Bytes written to a whole disk"},
    [M_NODE_DISK_READS] = {"aifb_node_disk_reads_completed_total",
                           C,
                           {"device"},
                           "Reads completed by a whole disk"},
    [M_NODE_DISK_WRITES] = {"aifb_node_disk_writes_completed_total",
                            C,
                            {"device"},
                            "Writes completed by a whole disk"},
    [M_NODE_DISK_IO_TIME] = {"aifb_node_disk_io_time_seconds_total",
                             C,
                             {"device"},
                             "Time a whole disk was busy with I/O"},
    [M_GPU_UTIL] = {"aifb_gpu_utilization_ratio",
                    G,
                    {"gpu", "uuid"},
                    "Share of the last sample period a kernel ran on the GPU (NVML)"},
    [M_GPU_MEM_UTIL] = {"aifb_gpu_memory_utilization_ratio",
                        G,
                        {"gpu", "uuid"},
                        "Share of the last sample period GPU memory was read or written (NVML)"},
    [M_GPU_MEM_USED] = {"aifb_gpu_memory_used_bytes", G, {"gpu", "uuid"}, "GPU memory in use"},
    [M_GPU_MEM_TOTAL] = {"aifb_gpu_memory_total_bytes",
                         G,
                         {"gpu", "uuid"},
                         "All of the GPU's memory"},
    [M_GPU_POWER] = {"aifb_gpu_power_watts", G, {"gpu", "uuid"}, "Power drawn by the GPU"},
    [M_GPU_ENERGY] = {"aifb_gpu_energy_joules_total",
                      C,
                      {"gpu", "uuid"},
                      "Energy used by the GPU since its driver was loaded"},
    [M_GPU_TEMP] = {"aifb_gpu_temperature_celsius", G, {"gpu", "uuid"}, "GPU die temperature"},
    [M_GPU_SM_CLOCK] = {"aifb_gpu_sm_clock_hertz",
                        G,
                        {"gpu", "uuid"},
                        "Clock of the GPU's streaming multiprocessors"},
    [M_MON_SAMPLES_SENT] = {"aifb_monitor_samples_sent_total",
                            C,
                            {0},
                            "Samples Prometheus accepted from this monitor"},
    [M_MON_BYTES_SENT] = {"aifb_monitor_sent_bytes_total",
                          C,
                          {0},
                          "Compressed request bytes Prometheus accepted from this monitor"},
    [M_MON_RETRIES] = {"aifb_monitor_retries_total",
                       C,
                       {0},
                       "Remote write requests repeated after an error"},
    [M_MON_SAMPLES_DROPPED] = {"aifb_monitor_samples_dropped_total",
                               C,
                               {0},
                               "Samples given up: refused, or pushed out of a full buffer"},
    [M_MON_BUFFERED] = {"aifb_monitor_buffered_bytes",
                        G,
                        {"where"},
                        "Encoded batches waiting to be sent, in memory or on disk"},
    [M_MON_CPU] = {"aifb_monitor_cpu_seconds_total", C, {0}, "CPU time of the monitor itself"},
    [M_MON_RSS] = {"aifb_monitor_resident_memory_bytes",
                   G,
                   {0},
                   "Resident memory of the monitor itself"},
    [M_MON_SCRAPE_UP] = {"aifb_monitor_scrape_up",
                         G,
                         {0},
                         "1 when the last scrape of --scrape worked, else 0"},
    [M_MON_SCRAPE_DURATION] = {"aifb_monitor_scrape_duration_seconds",
                               G,
                               {0},
                               "How long the last scrape of --scrape took"},
    [M_MON_SCRAPE_SAMPLES] = {"aifb_monitor_scrape_samples",
                              G,
                              {0},
                              "Samples the last scrape of --scrape returned"},
};
#undef C
#undef G

const char *const MON_OWN_LABELS[] = {"mode", "device", "gpu", "uuid", "where", NULL};

const mon_metric_def *mon_metric_get(mon_metric m)
{
    return &DEFS[m];
}

void mon_samples_add(mon_samples *s, mon_metric m, double value, const char *l0, const char *l1)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->v = xrealloc(s->v, s->cap * sizeof *s->v);
    }
    mon_sample *x = &s->v[s->n++];
    x->metric = m;
    x->value = value;
    snprintf(x->lv[0], sizeof x->lv[0], "%s", l0 ? l0 : "");
    snprintf(x->lv[1], sizeof x->lv[1], "%s", l1 ? l1 : "");
}

void mon_samples_clear(mon_samples *s)
{
    s->n = 0;
}

void mon_samples_free(mon_samples *s)
{
    free(s->v);
    memset(s, 0, sizeof *s);
}

const mon_sample *mon_samples_find(const mon_samples *s, mon_metric m, const char *l0,
                                   const char *l1)
{
    for (size_t i = 0; i < s->n; i++) {
        const mon_sample *x = &s->v[i];
        if (x->metric == m && (!l0 || !strcmp(x->lv[0], l0)) && (!l1 || !strcmp(x->lv[1], l1)))
            return x;
    }
    return NULL;
}

aifb_code mon_samples_to_batch(const mon_samples *s, promrw_batch *b, int64_t ts_ms, aifb_err *err)
{
    aifb_code first = AIFB_OK;
    for (size_t i = 0; i < s->n; i++) {
        const mon_sample *x = &s->v[i];
        const mon_metric_def *d = &DEFS[x->metric];
        promrw_label l[2];
        size_t n = 0;
        for (int k = 0; k < 2 && d->labels[k]; k++)
            l[n++] = (promrw_label){d->labels[k], x->lv[k]};
        aifb_err e = {0};
        aifb_code rc = promrw_add(b, d->name, l, n, x->value, ts_ms, &e);
        if (rc && !first) {
            first = rc;
            aifb_err_set(err, rc, "%s", e.msg);
        }
    }
    return first;
}
