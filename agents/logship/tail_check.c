/* tail_check.c: which files the followed names lead to (see tail.h): checking each name, matching
 * globs, inotify on their folders, and the files of saved positions.
 *
 * inotify watches folders, not files: a folder watch sees a file created, renamed in or out,
 * deleted, or written to, including a file that does not exist yet, and survives the rotation of
 * the files in it. The events only say "look": what changed is found by tail_check (stat of
 * every name) and tail_read (every open file read to its end), which the caller also runs every
 * poll interval, so a missed or absent event costs latency, never lines. */
#include "logship/tail_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"

#define WATCH_MASK                                                                                 \
    (IN_MODIFY | IN_CREATE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE | IN_ATTRIB |                 \
     IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF)

static char *dir_of(const char *path)
{
    char *copy = xstrdup(path);
    char *d = xstrdup(dirname(copy));
    free(copy);
    return d;
}

/* ---- inotify --------------------------------------------------------------------------------- */

static void watch_try(tail *t, twatch *w)
{
    if (t->ifd < 0 || w->wd >= 0)
        return;
    w->wd = inotify_add_watch(t->ifd, w->dir, WATCH_MASK | IN_ONLYDIR);
    if (w->wd < 0 && errno != ENOENT && errno != ENOTDIR)
        log_debug("aifb-logship: cannot watch %s with inotify (%s); polling it", w->dir,
                  strerror(errno));
}

static void watch_dir(tail *t, const char *dir)
{
    for (size_t i = 0; i < t->nwatches; i++)
        if (!strcmp(t->watches[i].dir, dir))
            return;
    t->watches = xrealloc(t->watches, (t->nwatches + 1) * sizeof *t->watches);
    twatch *w = &t->watches[t->nwatches++];
    *w = (twatch){xstrdup(dir), -1};
    watch_try(t, w);
}

void tail_watch_init(tail *t)
{
    if (!t->o.no_inotify) {
        t->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (t->ifd < 0)
            log_info("aifb-logship: inotify is not available (%s); polling every check",
                     strerror(errno));
    }
    for (size_t i = 0; i < t->npaths; i++)
        watch_dir(t, t->paths[i].dir);
    for (size_t i = 0; i < t->o.nsources; i++) {
        const tail_source *s = &t->o.sources[i];
        if (!s->glob)
            continue;
        char *d = dir_of(s->pattern);
        if (!strpbrk(d, "*?[")) /* a folder with wildcards is polled */
            watch_dir(t, d);
        free(d);
    }
}

void tail_watch_free(tail *t)
{
    for (size_t i = 0; i < t->nwatches; i++)
        free(t->watches[i].dir);
    free(t->watches);
    if (t->ifd >= 0)
        close(t->ifd);
}

int tail_fd(const tail *t)
{
    return t->ifd;
}

unsigned tail_events(tail *t)
{
    if (t->ifd < 0)
        return 0;
    unsigned what = 0;
    char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (;;) {
        ssize_t n = read(t->ifd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *ev = (const struct inotify_event *)p;
            if (ev->mask & IN_IGNORED) /* the folder went away: watched again once back */
                for (size_t i = 0; i < t->nwatches; i++)
                    if (t->watches[i].wd == ev->wd)
                        t->watches[i].wd = -1;
            if (ev->mask & (IN_MODIFY | IN_CLOSE_WRITE))
                what |= TAIL_READ;
            if (ev->mask & ~(IN_MODIFY | IN_CLOSE_WRITE))
                what |= TAIL_READ | TAIL_CHECK;
            p += sizeof *ev + ev->len;
        }
    }
    return what;
}

/* ---- names ----------------------------------------------------------------------------------- */

void tpath_add(tail *t, const char *path, const char *stream, bool from_glob)
{
    for (size_t i = 0; i < t->npaths; i++)
        if (!strcmp(t->paths[i].path, path))
            return;
    if (t->npaths == t->pcap) {
        t->pcap = t->pcap ? t->pcap * 2 : 8;
        t->paths = xrealloc(t->paths, t->pcap * sizeof *t->paths);
    }
    tpath *p = &t->paths[t->npaths++];
    *p = (tpath){.path = xstrdup(path), .dir = dir_of(path), .from_glob = from_glob};
    p->stream = ls_streams_get(t->streams, stream ? stream : ls_stream_of_path(path));
}

static void tpath_remove(tail *t, size_t i)
{
    free(t->paths[i].path);
    free(t->paths[i].dir);
    t->paths[i] = t->paths[--t->npaths];
}

static bool same_dir(const char *a, const char *b)
{
    char *da = dir_of(a), *db = dir_of(b);
    bool same = !strcmp(da, db);
    free(da);
    free(db);
    return same;
}

/* Where to start reading a file found under path: its saved offset when the positions (read at
 * start) know it in the same folder and it has not shrunk below it, else its start. */
static uint64_t saved_offset(tail *t, const char *path, const struct stat *st)
{
    if (!t->saved)
        return 0;
    const ls_pos *e = ls_positions_find(t->saved, (uint64_t)st->st_dev, (uint64_t)st->st_ino);
    if (!e || !same_dir(e->path, path))
        return 0;
    if (e->offset > (uint64_t)st->st_size) {
        log_warn("aifb-logship: %s is shorter (%lld bytes) than its saved position (%llu): it "
                 "was truncated while aifb-logship was not running; reading it from its start",
                 path, (long long)st->st_size, (unsigned long long)e->offset);
        return 0;
    }
    return e->offset;
}

static bool owned(const tail *t, const tfile *f)
{
    for (size_t i = 0; i < t->npaths; i++)
        if (t->paths[i].active == f)
            return true;
    return false;
}

/* Brings one name up to date; false when it was a glob's and is gone (remove it). */
static bool check_path(tail *t, tpath *p)
{
    struct stat st;
    if (stat(p->path, &st) != 0) {
        int e = errno;
        if (p->active)
            tfile_detach(t, p->active);
        p->active = NULL;
        if (p->from_glob)
            return false;
        if (e != ENOENT && p->warned != e)
            log_warn("aifb-logship: cannot look at %s: %s (tried again at every check)", p->path,
                     strerror(e));
        p->warned = e;
        return true;
    }
    if (!S_ISREG(st.st_mode)) {
        if (p->warned != -1)
            log_warn("aifb-logship: %s is not a regular file; not followed", p->path);
        p->warned = -1;
        return true;
    }
    uint64_t dev = (uint64_t)st.st_dev, ino = (uint64_t)st.st_ino;
    if (p->active && p->active->dev == dev && p->active->ino == ino)
        return true;
    if (p->active)
        tfile_detach(t, p->active);
    p->active = NULL;
    tfile *f = tfile_find(t, dev, ino);
    if (f) {
        if (!owned(t, f)) { /* a file renamed to this name: followed under it from now on */
            f->draining = false;
            free(f->path);
            f->path = xstrdup(p->path);
            p->active = f;
        }
        return true;
    }
    p->active = tfile_open(t, p->path, dev, ino, p->stream, saved_offset(t, p->path, &st), false,
                           &p->warned);
    return true;
}

static void match_globs(tail *t)
{
    for (size_t i = 0; i < t->o.nsources; i++) {
        const tail_source *s = &t->o.sources[i];
        if (!s->glob)
            continue;
        glob_t g;
        if (glob(s->pattern, 0, NULL, &g) == 0)
            for (size_t k = 0; k < g.gl_pathc; k++)
                tpath_add(t, g.gl_pathv[k], s->stream, true);
        globfree(&g);
    }
}

void tail_check(tail *t)
{
    match_globs(t);
    for (size_t i = 0; i < t->npaths;) {
        if (check_path(t, &t->paths[i]))
            i++;
        else
            tpath_remove(t, i);
    }
    for (size_t i = 0; i < t->nwatches; i++)
        watch_try(t, &t->watches[i]);
}

/* ---- files rotated while not running --------------------------------------------------------- */

static bool followed(const tail *t, const char *path)
{
    for (size_t i = 0; i < t->npaths; i++)
        if (!strcmp(t->paths[i].path, path))
            return true;
    return false;
}

/* Looks in the folder of e->path for the file e names and opens it, draining, at e's offset. */
static void adopt(tail *t, const ls_pos *e, uint32_t stream)
{
    char *dir = dir_of(e->path);
    DIR *d = opendir(dir);
    if (!d) {
        free(dir);
        return;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        struct stat st;
        if ((uint64_t)de->d_ino != e->ino || fstatat(dirfd(d), de->d_name, &st, 0) != 0 ||
            !S_ISREG(st.st_mode) || (uint64_t)st.st_dev != e->dev)
            continue;
        if ((uint64_t)st.st_size <= e->offset)
            break; /* nothing left to ship in it */
        abuf full = {0};
        abuf_printf(&full, "%s/%s", dir, de->d_name);
        tfile *f = tfile_open(t, full.p, e->dev, e->ino, stream, e->offset, true, NULL);
        if (f) {
            f->draining = true;
            log_info("aifb-logship: %s was rotated to %s while aifb-logship was not running; "
                     "shipping its last %llu bytes first",
                     e->path, full.p, (unsigned long long)(st.st_size - e->offset));
        }
        abuf_free(&full);
        break;
    }
    closedir(d);
    free(dir);
}

void tail_adopt_rotated(tail *t)
{
    for (size_t i = 0; i < t->saved->n; i++) {
        const ls_pos *e = &t->saved->v[i];
        if (tfile_find(t, e->dev, e->ino) || !followed(t, e->path))
            continue;
        uint32_t stream = 0;
        for (size_t k = 0; k < t->npaths; k++)
            if (!strcmp(t->paths[k].path, e->path))
                stream = t->paths[k].stream;
        adopt(t, e, stream);
    }
}
