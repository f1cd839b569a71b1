/* bench_stats.c: measurements: latency samples and quantiles, clocks, CPU time and memory.
 *
 * Quantiles are by nearest rank over every sample (no histogram buckets): a run of the benchmark
 * keeps at most a few hundred thousand values, which sort in milliseconds. The server's CPU time
 * comes from /proc/<pid>/stat so the client can say, next to a throughput, how much of the
 * machine each side used. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "common/util.h"

void bench_samples_add(bench_samples *s, double v)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 1024;
        s->v = xrealloc(s->v, s->cap * sizeof *s->v);
    }
    s->v[s->n++] = v;
}

void bench_samples_merge(bench_samples *into, const bench_samples *from)
{
    for (size_t i = 0; i < from->n; i++)
        bench_samples_add(into, from->v[i]);
}

static int bench_double_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_samples_quantile(bench_samples *s, double q)
{
    if (!s->n)
        return 0;
    qsort(s->v, s->n, sizeof *s->v, bench_double_cmp);
    size_t rank = (size_t)ceil(q * (double)s->n);
    if (rank < 1)
        rank = 1;
    if (rank > s->n)
        rank = s->n;
    return s->v[rank - 1];
}

void bench_samples_free(bench_samples *s)
{
    free(s->v);
    memset(s, 0, sizeof *s);
}

double bench_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double bench_self_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

aifb_code bench_proc_cpu_s(int pid, double *self_s, double *children_s, aifb_err *err)
{
    char path[64], buf[2048];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return aifb_err_set(err, AIFB_ENOTFOUND, "no process %d (cannot open %s)", pid, path);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* The command name (field 2) may hold spaces and parentheses: count from the last ')'.
     * Fields 14-17: utime, stime, cutime, cstime (children already waited for). */
    char *p = strrchr(buf, ')');
    unsigned long long ut = 0, st = 0, cut = 0, cst = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu", &ut,
                     &st, &cut, &cst) != 4)
        return aifb_err_set(err, AIFB_EINTERNAL, "%s does not read as a stat line", path);
    double tick = (double)sysconf(_SC_CLK_TCK);
    *self_s = (double)(ut + st) / tick;
    if (children_s)
        *children_s = (double)(cut + cst) / tick;
    return AIFB_OK;
}

aifb_code bench_proc_mem_kb(int pid, long *rss_kb, long *hwm_kb, long *anon_kb, aifb_err *err)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return aifb_err_set(err, AIFB_ENOTFOUND, "no process %d (cannot open %s)", pid, path);
    *rss_kb = *hwm_kb = *anon_kb = -1;
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "VmRSS:", 6))
            *rss_kb = strtol(line + 6, NULL, 10);
        else if (!strncmp(line, "VmHWM:", 6))
            *hwm_kb = strtol(line + 6, NULL, 10);
        else if (!strncmp(line, "RssAnon:", 8))
            *anon_kb = strtol(line + 8, NULL, 10);
    }
    fclose(f);
    if (*rss_kb < 0 || *hwm_kb < 0 || *anon_kb < 0)
        return aifb_err_set(err, AIFB_EINTERNAL, "%s has no VmRSS/VmHWM/RssAnon lines", path);
    return AIFB_OK;
}

aifb_code bench_machine_cpu_s(double *busy_s, aifb_err *err)
{
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return aifb_err_set(err, AIFB_ENOTFOUND, "cannot open /proc/stat");
    unsigned long long v[8] = {0};
    int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                   &v[4], &v[5], &v[6], &v[7]);
    fclose(f);
    if (n != 8)
        return aifb_err_set(err, AIFB_EINTERNAL, "/proc/stat has no cpu line");
    /* user nice system idle iowait irq softirq steal: all but idle and iowait are busy. */
    unsigned long long busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
    *busy_s = (double)busy / (double)sysconf(_SC_CLK_TCK);
    return AIFB_OK;
}
