/* tail.c: the open files of a tail, reading them and their positions (see tail.h).
 *
 * Reading uses pread at the file's own offset, so a truncated file is restarted by setting the
 * offset, and one buffer serves every file. A file's "consumed" offset only moves when a line
 * has been handed on, after the emit callback returns: a caller that cuts a batch inside the
 * callback and takes a snapshot there records the offset before the line, which is in the next
 * batch. */
#include "logship/tail_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"

#define READ_BUF (256u << 10)

/* ---- files ----------------------------------------------------------------------------------- */

tfile *tfile_find(tail *t, uint64_t dev, uint64_t ino)
{
    for (tfile *f = t->files; f; f = f->next)
        if (f->dev == dev && f->ino == ino)
            return f;
    return NULL;
}

tfile *tfile_open(tail *t, const char *path, uint64_t dev, uint64_t ino, uint32_t stream,
                  uint64_t offset, bool first, int *warned)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        if (warned && *warned != e)
            log_warn("aifb-logship: cannot open %s: %s (tried again at every check)", path,
                     strerror(e));
        if (warned)
            *warned = e;
        return NULL;
    }
    if ((uint64_t)st.st_dev != dev || (uint64_t)st.st_ino != ino) {
        close(fd); /* replaced between stat and open: the next check sees the new one */
        return NULL;
    }
    if (warned)
        *warned = 0;
    tfile *f = xcalloc(1, sizeof *f);
    f->t = t;
    f->path = xstrdup(path);
    f->fd = fd;
    f->dev = dev;
    f->ino = ino;
    f->offset = f->consumed = offset;
    f->stream = stream;
    f->grown_ms = aifb_mono_ms();
    linesplit_init(&f->ls, t->o.max_line);
    if (first || !t->files) {
        f->next = t->files;
        t->files = f;
    } else {
        tfile *last = t->files;
        while (last->next)
            last = last->next;
        last->next = f;
    }
    t->st.files_opened++;
    log_debug("aifb-logship: following %s (inode %llu) from offset %llu", path,
              (unsigned long long)ino, (unsigned long long)offset);
    return f;
}

void tfile_detach(tail *t, tfile *f)
{
    struct stat st;
    bool deleted = fstat(f->fd, &st) == 0 && st.st_nlink == 0;
    if (deleted)
        t->st.deletions++;
    else
        t->st.rotations++;
    f->draining = true;
    f->grown_ms = aifb_mono_ms();
    log_info("aifb-logship: %s was %s; reading the old file to its end", f->path,
             deleted ? "deleted" : "renamed away (rotated)");
}

/* Hands on one line of f (linesplit's callback). */
static void file_emit(void *arg, const char *line, size_t len, size_t used)
{
    tfile *f = arg;
    tail *t = f->t;
    t->emit(t->arg, f->stream, line, len);
    f->consumed += used;
    t->st.lines++;
    t->st.bytes += used;
}

/* Closes f, which must be in t's list, and frees it (its partial line handed on first). */
static void tfile_close(tail *t, tfile *f)
{
    linesplit_flush(&f->ls, file_emit, f);
    for (tfile **pp = &t->files; *pp; pp = &(*pp)->next)
        if (*pp == f) {
            *pp = f->next;
            break;
        }
    for (size_t i = 0; i < t->npaths; i++)
        if (t->paths[i].active == f)
            t->paths[i].active = NULL;
    log_debug("aifb-logship: done with %s (inode %llu) at offset %llu", f->path,
              (unsigned long long)f->ino, (unsigned long long)f->offset);
    t->st.cuts += f->ls.cuts;
    t->st.files_closed++;
    close(f->fd);
    linesplit_free(&f->ls);
    free(f->path);
    free(f);
}

/* ---- reading --------------------------------------------------------------------------------- */

typedef enum end_kind { END_KEEP, END_CLOSED, END_RESTARTED } end_kind;

/* At the end of f: restarts a truncated file (END_RESTARTED: read it again), closes a drained
 * one (END_CLOSED: f is freed). */
static end_kind at_end(tail *t, tfile *f, int64_t now)
{
    struct stat st;
    if (fstat(f->fd, &st) == 0 && (uint64_t)st.st_size < f->offset) {
        log_info("aifb-logship: %s shrank from %llu to %llu bytes (truncated or copytruncate); "
                 "reading it again from its start",
                 f->path, (unsigned long long)f->offset, (unsigned long long)st.st_size);
        linesplit_flush(&f->ls, file_emit, f);
        f->offset = f->consumed = 0;
        t->st.truncations++;
        return END_RESTARTED;
    }
    if (f->draining && now - f->grown_ms >= t->o.rotate_wait_ms) {
        tfile_close(t, f);
        return END_CLOSED;
    }
    return END_KEEP;
}

/* Reads at most budget bytes of f; the bytes read. *eof: its end was reached. */
static size_t read_file(tail *t, tfile *f, size_t budget, bool *eof)
{
    size_t total = 0;
    *eof = false;
    while (total < budget) {
        size_t want = budget - total < t->bufsize ? budget - total : t->bufsize;
        ssize_t n = pread(f->fd, t->buf, want, (off_t)f->offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            if (!t->st.read_errors++)
                log_warn("aifb-logship: cannot read %s: %s (tried again later)", f->path,
                         strerror(errno));
            break;
        }
        if (n > 0) {
            f->offset += (uint64_t)n;
            total += (size_t)n;
            linesplit_feed(&f->ls, t->buf, (size_t)n, file_emit, f);
        }
        if ((size_t)n < want) {
            *eof = true;
            break;
        }
    }
    return total;
}

size_t tail_read(tail *t, size_t budget)
{
    size_t total = 0;
    int64_t now = aifb_mono_ms();
    tfile *next;
    for (tfile *f = t->files; f; f = next) {
        next = f->next;
        bool eof;
        size_t n = read_file(t, f, budget, &eof);
        if (n)
            f->grown_ms = now;
        end_kind k = eof ? at_end(t, f, now) : END_KEEP;
        if (k == END_RESTARTED) {
            n += read_file(t, f, budget, &eof);
            f->grown_ms = now;
        }
        total += n;
    }
    return total;
}

void tail_flush(tail *t)
{
    for (tfile *f = t->files; f; f = f->next)
        linesplit_flush(&f->ls, file_emit, f);
}

void tail_snapshot(const tail *t, ls_positions *out)
{
    ls_positions_clear(out);
    for (const tfile *f = t->files; f; f = f->next)
        ls_positions_add(out, f->path, f->dev, f->ino, f->consumed);
}

void tail_get_stats(const tail *t, tail_stats *out)
{
    *out = t->st;
    for (const tfile *f = t->files; f; f = f->next)
        out->cuts += f->ls.cuts;
}

/* ---- life ------------------------------------------------------------------------------------ */

aifb_code tail_new(const tail_opts *o, ls_streams *streams, const ls_positions *saved,
                   tail_emit emit, void *arg, tail **out, aifb_err *err)
{
    *out = NULL;
    for (size_t i = 0; i < o->nsources; i++)
        if (!o->sources[i].pattern || !*o->sources[i].pattern)
            return aifb_err_set(err, AIFB_EINVAL, "an empty file name or glob pattern");
    tail *t = xcalloc(1, sizeof *t);
    t->o = *o;
    t->streams = streams;
    t->emit = emit;
    t->arg = arg;
    t->ifd = -1;
    t->bufsize = READ_BUF;
    t->buf = xmalloc(t->bufsize);
    t->saved = saved;
    for (size_t i = 0; i < o->nsources; i++)
        if (!o->sources[i].glob)
            tpath_add(t, o->sources[i].pattern, o->sources[i].stream, false);
    tail_watch_init(t);
    tail_check(t);
    if (saved)
        tail_adopt_rotated(t);
    t->saved = NULL;
    *out = t;
    return AIFB_OK;
}

void tail_free(tail *t)
{
    if (!t)
        return;
    while (t->files) {
        tfile *f = t->files;
        t->files = f->next;
        close(f->fd);
        linesplit_free(&f->ls);
        free(f->path);
        free(f);
    }
    for (size_t i = 0; i < t->npaths; i++) {
        free(t->paths[i].path);
        free(t->paths[i].dir);
    }
    free(t->paths);
    tail_watch_free(t);
    free(t->buf);
    free(t);
}
