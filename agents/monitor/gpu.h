/* gpu.h: NVIDIA GPUs through NVML, loaded at run time with dlopen, so the monitor needs no CUDA
 * at build time and runs unchanged on nodes without GPUs.
 *
 * gpu_open() loads the library (libnvidia-ml.so.1, or --nvml-library), initialises NVML and
 * learns each GPU's handle and UUID once. No library, no driver or no GPU: NULL and one info log
 * line, never a failure. Each tick asks every GPU for its utilization, memory, power, energy,
 * temperature and SM clock; a query a GPU does not support (NVML_ERROR_NOT_SUPPORTED, as power on
 * some boards) leaves that series out for that GPU. Series are labelled gpu (the NVML index) and
 * uuid (stable across reboots and CUDA_VISIBLE_DEVICES renumbering). */
#ifndef AIFB_MONITOR_GPU_H
#define AIFB_MONITOR_GPU_H

#include "monitor/metrics.h"

typedef struct mon_gpu mon_gpu;

/* NULL when there is no usable NVML or no GPU (logged once at info level). */
mon_gpu *gpu_open(const char *library);
/* How many GPUs are watched. */
unsigned gpu_count(const mon_gpu *g);
void gpu_collect(mon_gpu *g, mon_samples *out);
/* Shuts NVML down and unloads it. NULL is fine. */
void gpu_close(mon_gpu *g);

#endif
