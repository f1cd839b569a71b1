/* procfs.c: the node collector and the file reading it shares with the process tree (see
 * procfs.h). Each parser takes the file's text and appends samples, so it can be read on its
 * own: they trust the kernel's layout only as far as sscanf and strtoull go, and a line they do
 * not understand is skipped. */
#include "monitor/procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"

struct mon_node {
    const char *root;
    abuf buf;
    unsigned warned; /* a bit per file already reported unreadable */
};

bool mon_read_file(const char *root, const char *path, abuf *buf)
{
    char full[4096];
    if ((size_t)snprintf(full, sizeof full, "%s%s", root, path) >= sizeof full) {
        errno = ENAMETOOLONG;
        return false;
    }
    int fd = open(full, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    buf->len = 0;
    for (;;) {
        abuf_reserve(buf, 4096);
        ssize_t r = read(fd, buf->p + buf->len, buf->cap - buf->len - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            errno = e;
            return false;
        }
        if (r == 0)
            break;
        buf->len += (size_t)r;
    }
    buf->p[buf->len] = '\0';
    close(fd);
    return true;
}

double mon_clock_ticks(void)
{
    static double hz;
    if (!hz) {
        long t = sysconf(_SC_CLK_TCK);
        hz = t > 0 ? (double)t : 100.0;
    }
    return hz;
}

mon_node *node_new(const char *root)
{
    mon_node *n = xcalloc(1, sizeof *n);
    n->root = root;
    return n;
}

void node_free(mon_node *n)
{
    if (!n)
        return;
    abuf_free(&n->buf);
    free(n);
}

/* The next line of *p (NUL-terminated in place), or NULL at the end. */
static char *next_line(char **p)
{
    if (!*p || !**p)
        return NULL;
    char *line = *p, *nl = strchr(line, '\n');
    if (nl) {
        *nl = '\0';
        *p = nl + 1;
    } else {
        *p = line + strlen(line);
    }
    return line;
}

static void parse_stat(char *text, mon_samples *out)
{
    static const char *const modes[] = {"user",   "nice", "system",  "idle",
                                        "iowait", "irq",  "softirq", "steal"};
    double hz = mon_clock_ticks();
    int cpus = 0;
    for (char *line; (line = next_line(&text));) {
        if (!strncmp(line, "cpu ", 4)) {
            unsigned long long v[8] = {0};
            int got = sscanf(line + 4, "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
                             &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
            for (int i = 0; i < got && i < 8; i++)
                mon_samples_add(out, M_NODE_CPU, (double)v[i] / hz, modes[i], NULL);
        } else if (!strncmp(line, "cpu", 3) && line[3] >= '0' && line[3] <= '9') {
            cpus++;
        }
    }
    if (cpus)
        mon_samples_add(out, M_NODE_CPUS, cpus, NULL, NULL);
}

static void parse_meminfo(char *text, mon_samples *out)
{
    static const struct {
        const char *key;
        mon_metric m;
    } keys[] = {{"MemTotal", M_NODE_MEM_TOTAL},  {"MemAvailable", M_NODE_MEM_AVAILABLE},
                {"MemFree", M_NODE_MEM_FREE},    {"Cached", M_NODE_MEM_CACHED},
                {"Buffers", M_NODE_MEM_BUFFERS}, {"SwapTotal", M_NODE_SWAP_TOTAL},
                {"SwapFree", M_NODE_SWAP_FREE}};
    for (char *line; (line = next_line(&text));) {
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        *colon = '\0';
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
            if (strcmp(line, keys[i].key))
                continue;
            char *end;
            unsigned long long v = strtoull(colon + 1, &end, 10);
            double mult = strstr(end, "kB") ? 1024.0 : 1.0;
            mon_samples_add(out, keys[i].m, (double)v * mult, NULL, NULL);
        }
    }
}

static void parse_loadavg(const char *text, mon_samples *out)
{
    double l1, l5, l15;
    if (sscanf(text, "%lf %lf %lf", &l1, &l5, &l15) != 3)
        return;
    mon_samples_add(out, M_NODE_LOAD1, l1, NULL, NULL);
    mon_samples_add(out, M_NODE_LOAD5, l5, NULL, NULL);
    mon_samples_add(out, M_NODE_LOAD15, l15, NULL, NULL);
}

/* Reads up to n unsigned numbers separated by blanks; how many were read. */
static int read_numbers(const char *p, unsigned long long *v, int n)
{
    int i = 0;
    while (i < n) {
        char *end;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p < '0' || *p > '9')
            break;
        v[i++] = strtoull(p, &end, 10);
        p = end;
    }
    return i;
}

static void parse_net_dev(char *text, mon_samples *out)
{
    int devices = 0;
    for (char *line; (line = next_line(&text)) && devices < MON_MAX_DEVICES;) {
        char *colon = strchr(line, ':');
        if (!colon)
            continue; /* the two header lines */
        *colon = '\0';
        char *name = line + strspn(line, " ");
        if (!*name || !strcmp(name, "lo") || strchr(name, '|'))
            continue;
        unsigned long long v[10];
        if (read_numbers(colon + 1, v, 10) < 10)
            continue;
        mon_samples_add(out, M_NODE_NET_RX_BYTES, (double)v[0], name, NULL);
        mon_samples_add(out, M_NODE_NET_RX_PACKETS, (double)v[1], name, NULL);
        mon_samples_add(out, M_NODE_NET_TX_BYTES, (double)v[8], name, NULL);
        mon_samples_add(out, M_NODE_NET_TX_PACKETS, (double)v[9], name, NULL);
        devices++;
    }
}

/* A whole disk has a /sys/block entry (partitions do not); loop and RAM disks are left out. */
static bool whole_disk(const char *root, const char *name)
{
    if (!strncmp(name, "loop", 4) || !strncmp(name, "ram", 3))
        return false;
    char path[512];
    if ((size_t)snprintf(path, sizeof path, "%s/sys/block/%s", root, name) >= sizeof path)
        return false;
    for (char *p = path + strlen(root) + 11; *p; p++)
        if (*p == '/')
            *p = '!'; /* sysfs spells cciss/c0d0 as cciss!c0d0 */
    return access(path, F_OK) == 0;
}

static void parse_diskstats(const char *root, char *text, mon_samples *out)
{
    int devices = 0;
    for (char *line; (line = next_line(&text)) && devices < MON_MAX_DEVICES;) {
        unsigned major, minor;
        char name[MON_LABEL_MAX];
        int used = 0;
        if (sscanf(line, " %u %u %63s %n", &major, &minor, name, &used) != 3 || !used)
            continue;
        unsigned long long v[10];
        if (read_numbers(line + used, v, 10) < 10 || !whole_disk(root, name))
            continue;
        /* reads, merged, sectors read, ms reading, writes, merged, sectors written, ms writing,
         * in flight, ms doing I/O */
        mon_samples_add(out, M_NODE_DISK_READS, (double)v[0], name, NULL);
        mon_samples_add(out, M_NODE_DISK_READ_BYTES, (double)v[2] * 512.0, name, NULL);
        mon_samples_add(out, M_NODE_DISK_WRITES, (double)v[4], name, NULL);
        mon_samples_add(out, M_NODE_DISK_WRITTEN_BYTES, (double)v[6] * 512.0, name, NULL);
        mon_samples_add(out, M_NODE_DISK_IO_TIME, (double)v[9] / 1000.0, name, NULL);
        devices++;
    }
}

void node_collect(mon_node *n, mon_samples *out)
{
    static const char *const files[] = {"/proc/stat", "/proc/meminfo", "/proc/loadavg",
                                        "/proc/net/dev", "/proc/diskstats"};
    for (unsigned i = 0; i < sizeof files / sizeof files[0]; i++) {
        if (!mon_read_file(n->root, files[i], &n->buf)) {
            if (!(n->warned & (1u << i)))
                log_warn("cannot read %s%s (%s): its node series are left out", n->root, files[i],
                         strerror(errno));
            n->warned |= 1u << i;
            continue;
        }
        switch (i) {
        case 0:
            parse_stat(n->buf.p, out);
            break;
        case 1:
            parse_meminfo(n->buf.p, out);
            break;
        case 2:
            parse_loadavg(n->buf.p, out);
            break;
        case 3:
            parse_net_dev(n->buf.p, out);
            break;
        case 4:
            parse_diskstats(n->root, n->buf.p, out);
            break;
        }
    }
}
