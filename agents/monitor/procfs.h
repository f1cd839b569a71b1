/* procfs.h: reading /proc and /sys under a root folder, and the node's series from them.
 *
 * Every path is read as ROOT/path, ROOT being "" on a real machine and a folder of captured
 * files in the unit tests (--root). The node collector reads five small files per tick,
 * /proc/stat, /proc/meminfo, /proc/loadavg, /proc/net/dev and /proc/diskstats, into one reused
 * buffer (no allocation per tick once it has grown), and emits counters as the kernel keeps them
 * (converted to base units: USER_HZ ticks to seconds, 512-byte sectors to bytes). Devices are a
 * bounded set: network devices but lo, and whole disks (those with a /sys/block entry) but
 * loop and ram devices, at most MON_MAX_DEVICES of each. */
#ifndef AIFB_MONITOR_PROCFS_H
#define AIFB_MONITOR_PROCFS_H

#include <stdbool.h>

#include "common/util.h"
#include "monitor/metrics.h"

#define MON_MAX_DEVICES 64

/* Reads ROOT/path whole into buf (its old contents replaced). False when it cannot be opened or
 * read (the process is gone, the file does not exist); errno tells why. */
bool mon_read_file(const char *root, const char *path, abuf *buf);

/* The kernel's clock ticks per second (USER_HZ) for /proc times. */
double mon_clock_ticks(void);

typedef struct mon_node mon_node;

mon_node *node_new(const char *root);
/* Appends the node's samples. A file that cannot be read leaves its series out (logged once). */
void node_collect(mon_node *n, mon_samples *out);
void node_free(mon_node *n);

#endif
