/* gpu.c: NVML by dlopen (see gpu.h).
 *
 * The few NVML types used are declared here as NVML's header (nvml.h) defines them, so building
 * needs no NVIDIA package: status codes are ints (0 is NVML_SUCCESS), a device is an opaque
 * pointer, utilization and memory are small structs. The versioned entry points (_v2) are the
 * ones every driver since 2013 exports. */
#include "monitor/gpu.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"

typedef int nvml_ret;
typedef struct nvml_device *nvml_device;
typedef struct {
    unsigned int gpu, memory; /* percent */
} nvml_utilization;
typedef struct {
    unsigned long long total, free, used; /* bytes */
} nvml_memory;

#define NVML_SUCCESS         0
#define NVML_TEMPERATURE_GPU 0
#define NVML_CLOCK_SM        1
#define MAX_GPUS             64
#define UUID_LEN             96

typedef struct nvml_api {
    nvml_ret (*init)(void);
    nvml_ret (*shutdown)(void);
    const char *(*error_string)(nvml_ret);
    nvml_ret (*count)(unsigned int *);
    nvml_ret (*handle)(unsigned int, nvml_device *);
    nvml_ret (*uuid)(nvml_device, char *, unsigned int);
    nvml_ret (*utilization)(nvml_device, nvml_utilization *);
    nvml_ret (*memory)(nvml_device, nvml_memory *);
    nvml_ret (*power)(nvml_device, unsigned int *);            /* milliwatts */
    nvml_ret (*energy)(nvml_device, unsigned long long *);     /* millijoules */
    nvml_ret (*temperature)(nvml_device, int, unsigned int *); /* celsius */
    nvml_ret (*clock)(nvml_device, int, unsigned int *);       /* MHz */
} nvml_api;

struct mon_gpu {
    void *lib;
    nvml_api f;
    unsigned n;
    nvml_device dev[MAX_GPUS];
    char index[MAX_GPUS][12];
    char uuid[MAX_GPUS][UUID_LEN];
};

/* dlsym into a function pointer without the object-to-function cast warning. */
static void load(void *lib, const char *name, void *fp)
{
    void *sym = dlsym(lib, name);
    memcpy(fp, &sym, sizeof sym);
}

static const char *why(const mon_gpu *g, nvml_ret r)
{
    return g->f.error_string ? g->f.error_string(r) : "unknown NVML error";
}

static bool bind_api(mon_gpu *g)
{
    load(g->lib, "nvmlInit_v2", &g->f.init);
    load(g->lib, "nvmlShutdown", &g->f.shutdown);
    load(g->lib, "nvmlErrorString", &g->f.error_string);
    load(g->lib, "nvmlDeviceGetCount_v2", &g->f.count);
    load(g->lib, "nvmlDeviceGetHandleByIndex_v2", &g->f.handle);
    load(g->lib, "nvmlDeviceGetUUID", &g->f.uuid);
    load(g->lib, "nvmlDeviceGetUtilizationRates", &g->f.utilization);
    load(g->lib, "nvmlDeviceGetMemoryInfo", &g->f.memory);
    load(g->lib, "nvmlDeviceGetPowerUsage", &g->f.power);
    load(g->lib, "nvmlDeviceGetTotalEnergyConsumption", &g->f.energy);
    load(g->lib, "nvmlDeviceGetTemperature", &g->f.temperature);
    load(g->lib, "nvmlDeviceGetClockInfo", &g->f.clock);
    return g->f.init && g->f.shutdown && g->f.count && g->f.handle;
}

static void gpu_unload(mon_gpu *g, bool initialised)
{
    if (initialised)
        g->f.shutdown();
    dlclose(g->lib);
    free(g);
}

mon_gpu *gpu_open(const char *library)
{
    mon_gpu *g = xcalloc(1, sizeof *g);
    g->lib = dlopen(library, RTLD_NOW | RTLD_LOCAL);
    if (!g->lib) {
        log_info("no GPU series: %s cannot be loaded (%s)", library, dlerror());
        free(g);
        return NULL;
    }
    if (!bind_api(g)) {
        log_info("no GPU series: %s lacks NVML's entry points", library);
        gpu_unload(g, false);
        return NULL;
    }
    nvml_ret r = g->f.init();
    if (r != NVML_SUCCESS) {
        log_info("no GPU series: NVML does not start: %s", why(g, r));
        gpu_unload(g, false);
        return NULL;
    }
    unsigned int count = 0;
    r = g->f.count(&count);
    if (r != NVML_SUCCESS || !count) {
        log_info("no GPU series: NVML %s", r ? why(g, r) : "sees no GPU");
        gpu_unload(g, true);
        return NULL;
    }
    for (unsigned i = 0; i < count && g->n < MAX_GPUS; i++) {
        unsigned k = g->n;
        if (g->f.handle(i, &g->dev[k]) != NVML_SUCCESS)
            continue;
        snprintf(g->index[k], sizeof g->index[k], "%u", i);
        if (!g->f.uuid || g->f.uuid(g->dev[k], g->uuid[k], UUID_LEN) != NVML_SUCCESS)
            g->uuid[k][0] = '\0';
        g->uuid[k][UUID_LEN - 1] = '\0';
        g->n++;
    }
    log_info("watching %u GPU%s through %s", g->n, g->n == 1 ? "" : "s", library);
    return g;
}

unsigned gpu_count(const mon_gpu *g)
{
    return g ? g->n : 0;
}

static void collect_one(mon_gpu *g, unsigned k, mon_samples *out)
{
    nvml_device d = g->dev[k];
    const char *i = g->index[k], *u = g->uuid[k];
    nvml_utilization util;
    nvml_memory mem;
    unsigned int v;
    unsigned long long e;
    if (g->f.utilization && g->f.utilization(d, &util) == NVML_SUCCESS) {
        mon_samples_add(out, M_GPU_UTIL, util.gpu / 100.0, i, u);
        mon_samples_add(out, M_GPU_MEM_UTIL, util.memory / 100.0, i, u);
    }
    if (g->f.memory && g->f.memory(d, &mem) == NVML_SUCCESS) {
        mon_samples_add(out, M_GPU_MEM_USED, (double)mem.used, i, u);
        mon_samples_add(out, M_GPU_MEM_TOTAL, (double)mem.total, i, u);
    }
    if (g->f.power && g->f.power(d, &v) == NVML_SUCCESS)
        mon_samples_add(out, M_GPU_POWER, v / 1000.0, i, u);
    if (g->f.energy && g->f.energy(d, &e) == NVML_SUCCESS)
        mon_samples_add(out, M_GPU_ENERGY, (double)e / 1000.0, i, u);
    if (g->f.temperature && g->f.temperature(d, NVML_TEMPERATURE_GPU, &v) == NVML_SUCCESS)
        mon_samples_add(out, M_GPU_TEMP, v, i, u);
    if (g->f.clock && g->f.clock(d, NVML_CLOCK_SM, &v) == NVML_SUCCESS)
        mon_samples_add(out, M_GPU_SM_CLOCK, v * 1e6, i, u);
}

void gpu_collect(mon_gpu *g, mon_samples *out)
{
    for (unsigned k = 0; g && k < g->n; k++)
        collect_one(g, k, out);
}

void gpu_close(mon_gpu *g)
{
    if (g)
        gpu_unload(g, true);
}
