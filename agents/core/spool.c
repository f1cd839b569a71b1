/* spool.c: the disk spool of spool.h.
 *
 * One record, one file: "<20-digit sequence>.rec" holding a 24-byte header (the magic
 * "AIFBSPL1", the tag and the payload length, little-endian) and the payload. A file is written
 * under a temporary name, fsynced and renamed (aifb_write_file_atomic), then the folder is
 * fsynced, so after a crash a record is whole or absent. The sequence numbers of the records in
 * the folder are kept in memory, oldest first, in a growable ring; opening the spool rebuilds it
 * from the folder's listing. A file per record costs an inode per batch, which is nothing at the
 * rate agents produce batches (one per second or per megabyte), and makes dropping the oldest
 * record an unlink. */
#include "core/spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"

#define SPOOL_MAGIC       "AIFBSPL1"
#define SPOOL_HEADER      24
#define SPOOL_DEFAULT_MAX (256ull << 20)
#define SPOOL_RECORD_MAX  (1ull << 30)
#define SPOOL_PATH_MAX    4096

typedef struct spool_entry {
    uint64_t seq;
    uint64_t size; /* of the file, header included */
} spool_entry;

struct spool {
    char *dir;
    int dir_fd;
    int lock_fd;
    uint64_t max_bytes;
    uint64_t next_seq;
    spool_entry *ring; /* oldest at head */
    size_t cap, head, count;
    spool_stats st;
};

/* ---- the ring of records --------------------------------------------------------------------- */

static spool_entry *ring_at(spool *s, size_t i)
{
    return &s->ring[(s->head + i) % s->cap];
}

static void ring_push(spool *s, uint64_t seq, uint64_t size)
{
    if (s->count == s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 64;
        spool_entry *n = xmalloc(ncap * sizeof *n);
        for (size_t i = 0; i < s->count; i++)
            n[i] = *ring_at(s, i);
        free(s->ring);
        s->ring = n;
        s->cap = ncap;
        s->head = 0;
    }
    *ring_at(s, s->count) = (spool_entry){seq, size};
    s->count++;
    s->st.records = s->count;
    s->st.bytes += size;
}

static void ring_pop(spool *s)
{
    s->st.bytes -= ring_at(s, 0)->size;
    s->head = (s->head + 1) % s->cap;
    s->count--;
    s->st.records = s->count;
}

static void record_path(const spool *s, uint64_t seq, char *out, size_t n)
{
    snprintf(out, n, "%s/%020" PRIu64 ".rec", s->dir, seq);
}

/* Unlinks the oldest record and forgets it. */
static void remove_oldest(spool *s)
{
    char path[SPOOL_PATH_MAX];
    record_path(s, ring_at(s, 0)->seq, path, sizeof path);
    if (unlink(path) != 0 && errno != ENOENT)
        log_warn("spool: cannot remove %s: %s", path, strerror(errno));
    ring_pop(s);
}

static void put_le64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* ---- opening: the folder, its lock and the records already there ----------------------------- */

static int cmp_entry(const void *a, const void *b)
{
    uint64_t x = ((const spool_entry *)a)->seq, y = ((const spool_entry *)b)->seq;
    return x < y ? -1 : x > y;
}

/* "<digits>.rec" gives its sequence number; anything else is not a record. */
static bool parse_record_name(const char *name, uint64_t *seq)
{
    const char *dot = strchr(name, '.');
    if (!dot || dot == name || strcmp(dot, ".rec") != 0)
        return false;
    uint64_t v = 0;
    for (const char *p = name; p < dot; p++) {
        if (*p < '0' || *p > '9' || v > (UINT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    *seq = v;
    return true;
}

/* Takes the records in the folder, oldest first, and removes the temporary files a crash left. */
static aifb_code scan_folder(spool *s, aifb_err *err)
{
    DIR *d = fdopendir(dup(s->dir_fd));
    if (!d)
        return aifb_err_set(err, AIFB_EINTERNAL, "spool %s: cannot list it: %s", s->dir,
                            strerror(errno));
    spool_entry *found = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        uint64_t seq;
        struct stat sb;
        if (strstr(e->d_name, ".rec.tmp.")) {
            unlinkat(s->dir_fd, e->d_name, 0);
            continue;
        }
        if (!parse_record_name(e->d_name, &seq) || fstatat(s->dir_fd, e->d_name, &sb, 0) != 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            found = xrealloc(found, cap * sizeof *found);
        }
        found[n++] = (spool_entry){seq, (uint64_t)sb.st_size};
    }
    closedir(d);
    if (n)
        qsort(found, n, sizeof *found, cmp_entry);
    for (size_t i = 0; i < n; i++) {
        ring_push(s, found[i].seq, found[i].size);
        s->next_seq = found[i].seq + 1;
    }
    free(found);
    return AIFB_OK;
}

static aifb_code lock_folder(spool *s, aifb_err *err)
{
    s->lock_fd = openat(s->dir_fd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (s->lock_fd < 0)
        return aifb_err_set(err, AIFB_EINTERNAL, "spool %s: cannot create its lock file: %s",
                            s->dir, strerror(errno));
    if (flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            return aifb_err_set(err, AIFB_EPRECONDITION,
                                "spool %s is in use by another process (its lock is held)", s->dir);
        return aifb_err_set(err, AIFB_EINTERNAL, "spool %s: cannot lock it: %s", s->dir,
                            strerror(errno));
    }
    return AIFB_OK;
}

aifb_code spool_open(const char *dir, uint64_t max_bytes, spool **out, aifb_err *err)
{
    *out = NULL;
    if (!dir || !*dir)
        return aifb_err_set(err, AIFB_EINVAL, "spool: no folder given");
    if (strlen(dir) > SPOOL_PATH_MAX - 32)
        return aifb_err_set(err, AIFB_EINVAL, "spool folder %.64s...: path too long", dir);
    aifb_code rc = aifb_mkdirs(dir, 0700, err);
    if (rc != AIFB_OK)
        return rc;
    spool *s = xcalloc(1, sizeof *s);
    s->dir = xstrdup(dir);
    s->max_bytes = max_bytes ? max_bytes : SPOOL_DEFAULT_MAX;
    s->lock_fd = -1;
    s->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->dir_fd < 0)
        rc = aifb_err_set(err, AIFB_EINTERNAL, "spool %s: cannot open the folder: %s", dir,
                          strerror(errno));
    if (rc == AIFB_OK)
        rc = lock_folder(s, err);
    if (rc == AIFB_OK)
        rc = scan_folder(s, err);
    if (rc != AIFB_OK) {
        spool_close(s);
        return rc;
    }
    if (s->count)
        log_info("spool %s: %" PRIu64 " records (%" PRIu64 " bytes) left from before", dir,
                 (uint64_t)s->count, s->st.bytes);
    *out = s;
    return AIFB_OK;
}

/* ---- pushing and popping --------------------------------------------------------------------- */

static void count_dropped(spool *s, uint64_t records, uint64_t bytes, uint64_t tags)
{
    s->st.dropped_records += records;
    s->st.dropped_bytes += bytes;
    s->st.dropped_tags += tags;
}

/* The tag of a record on disk, for counting what a drop loses (0 if unreadable). */
static uint64_t record_tag(const spool *s, uint64_t seq)
{
    char path[SPOOL_PATH_MAX];
    unsigned char h[SPOOL_HEADER];
    record_path(s, seq, path, sizeof path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, h, sizeof h);
    close(fd);
    return n == SPOOL_HEADER && memcmp(h, SPOOL_MAGIC, 8) == 0 ? get_le64(h + 8) : 0;
}

aifb_code spool_push(spool *s, const void *rec, size_t len, uint64_t tag, aifb_err *err)
{
    uint64_t size = SPOOL_HEADER + (uint64_t)len;
    if (len > SPOOL_RECORD_MAX || size > s->max_bytes) {
        count_dropped(s, 1, size, tag);
        return aifb_err_set(err, AIFB_ERESOURCE,
                            "spool %s: a record of %zu bytes is larger than the spool's bound "
                            "(%" PRIu64 " bytes); not kept",
                            s->dir, len, s->max_bytes);
    }
    uint64_t dropped = 0, dropped_bytes = 0, dropped_tags = 0;
    while (s->count && s->st.bytes + size > s->max_bytes) {
        dropped++;
        dropped_bytes += ring_at(s, 0)->size;
        dropped_tags += record_tag(s, ring_at(s, 0)->seq);
        remove_oldest(s);
    }
    if (dropped) {
        count_dropped(s, dropped, dropped_bytes, dropped_tags);
        log_warn("spool %s full (%" PRIu64 " bytes): dropped the %" PRIu64
                 " oldest records (%" PRIu64 " bytes, tags summing to %" PRIu64 ")",
                 s->dir, s->max_bytes, dropped, dropped_bytes, dropped_tags);
    }
    unsigned char *buf = xmalloc(size);
    memcpy(buf, SPOOL_MAGIC, 8);
    put_le64(buf + 8, tag);
    put_le64(buf + 16, len);
    if (len)
        memcpy(buf + SPOOL_HEADER, rec, len);
    char path[SPOOL_PATH_MAX];
    record_path(s, s->next_seq, path, sizeof path);
    aifb_code rc = aifb_write_file_atomic(path, buf, size, 0600, err);
    free(buf);
    if (rc != AIFB_OK)
        return rc;
    if (fsync(s->dir_fd) != 0)
        log_warn("spool %s: cannot fsync the folder: %s", s->dir, strerror(errno));
    ring_push(s, s->next_seq++, size);
    s->st.pushed++;
    return AIFB_OK;
}

/* Reads and checks the oldest record; false (with a warning) when it is damaged or gone. */
static bool read_oldest(spool *s, void **rec, size_t *len, uint64_t *tag)
{
    char path[SPOOL_PATH_MAX];
    record_path(s, ring_at(s, 0)->seq, path, sizeof path);
    char *data;
    size_t n;
    aifb_err e;
    if (aifb_read_file(path, SPOOL_HEADER + SPOOL_RECORD_MAX, &data, &n, &e) != AIFB_OK) {
        log_warn("spool: record lost: %s", e.msg);
        return false;
    }
    const unsigned char *h = (const unsigned char *)data;
    if (n < SPOOL_HEADER || memcmp(h, SPOOL_MAGIC, 8) != 0 ||
        get_le64(h + 16) != n - SPOOL_HEADER) {
        log_warn("spool: %s is damaged (bad header or length); dropped", path);
        free(data);
        return false;
    }
    *tag = get_le64(h + 8);
    *len = n - SPOOL_HEADER;
    memmove(data, data + SPOOL_HEADER, *len);
    *rec = data;
    return true;
}

aifb_code spool_peek(spool *s, void **rec, size_t *len, uint64_t *tag, aifb_err *err)
{
    while (s->count) {
        if (read_oldest(s, rec, len, tag))
            return AIFB_OK;
        count_dropped(s, 1, ring_at(s, 0)->size, 0);
        remove_oldest(s);
    }
    return aifb_err_set(err, AIFB_ENOTFOUND, "spool %s is empty", s->dir);
}

aifb_code spool_pop(spool *s, aifb_err *err)
{
    if (!s->count)
        return aifb_err_set(err, AIFB_ENOTFOUND, "spool %s is empty", s->dir);
    remove_oldest(s);
    /* Without this a crash could bring the record back: sent twice, which both receivers
     * tolerate, but not a reason to skip it at one fsync per batch. */
    fsync(s->dir_fd);
    s->st.popped++;
    return AIFB_OK;
}

uint64_t spool_count(const spool *s)
{
    return s->count;
}

void spool_get_stats(const spool *s, spool_stats *out)
{
    *out = s->st;
}

void spool_close(spool *s)
{
    if (!s)
        return;
    if (s->lock_fd >= 0)
        close(s->lock_fd); /* releases the flock */
    if (s->dir_fd >= 0)
        close(s->dir_fd);
    free(s->ring);
    free(s->dir);
    free(s);
}
