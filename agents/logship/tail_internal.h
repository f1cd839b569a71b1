/* tail_internal.h: what tail.c (files, reading, positions) and tail_check.c (names, globs,
 * inotify) share. Not for other modules: tail.h is the interface. */
#ifndef AIFB_LOGSHIP_TAIL_INTERNAL_H
#define AIFB_LOGSHIP_TAIL_INTERNAL_H

#include "logship/linesplit.h"
#include "logship/tail.h"

/* An open file. */
typedef struct tfile {
    tail *t;
    char *path; /* the name it was found under (positions record it) */
    int fd;
    uint64_t dev, ino;
    uint64_t offset;   /* the next byte to read */
    uint64_t consumed; /* just past the last line handed on */
    linesplit ls;
    uint32_t stream;
    bool draining;    /* renamed away or deleted: read to its end, then closed */
    int64_t grown_ms; /* when it last grew, or was renamed away (CLOCK_MONOTONIC) */
    struct tfile *next;
} tfile;

/* A name followed: a --file path, or a file a glob matched. */
typedef struct tpath {
    char *path;
    char *dir; /* its folder, for inotify */
    uint32_t stream;
    bool from_glob;
    tfile *active; /* the file now under the name; NULL while there is none */
    int warned;    /* the errno last reported for it, so a problem is logged once */
} tpath;

typedef struct twatch {
    char *dir;
    int wd; /* -1 while the folder cannot be watched (it does not exist yet) */
} twatch;

struct tail {
    tail_opts o;
    ls_streams *streams;
    tail_emit emit;
    void *arg;
    tpath *paths;
    size_t npaths, pcap;
    tfile *files; /* reading order: older files of a name before newer ones */
    int ifd;      /* inotify, -1 when polling */
    twatch *watches;
    size_t nwatches;
    char *buf;
    size_t bufsize;
    tail_stats st;
    const ls_positions *saved; /* during tail_new only */
};

/* ---- tail.c ---------------------------------------------------------------------------------- */

/* Opens path (whose stat is st) as a file of stream, at offset; appended to the reading order
 * (or put first with first). NULL, with a warning logged once per tpath, when it cannot be
 * opened or is no longer the file st describes. */
tfile *tfile_open(tail *t, const char *path, uint64_t dev, uint64_t ino, uint32_t stream,
                  uint64_t offset, bool first, int *warned);
/* The open file with this identity, or NULL. */
tfile *tfile_find(tail *t, uint64_t dev, uint64_t ino);
/* Makes f a file being drained: renamed away or deleted, read to its end and then closed. */
void tfile_detach(tail *t, tfile *f);

/* ---- tail_check.c ---------------------------------------------------------------------------- */

/* Adds a name to follow (unless it is followed already); its index or -1. */
void tpath_add(tail *t, const char *path, const char *stream, bool from_glob);
/* Sets up inotify and watches the folders of every name and glob. */
void tail_watch_init(tail *t);
/* Opens, at their saved offsets, the files of saved positions that were renamed away while
 * aifb-logship was not running and are still in their folder. */
void tail_adopt_rotated(tail *t);
void tail_watch_free(tail *t);

#endif
