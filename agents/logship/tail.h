/* tail.h: following files as they grow, are rotated, truncated or deleted, and cutting them into
 * lines.
 *
 * What is followed: paths (--file), which may not exist yet, and glob patterns (--glob), matched
 * again at every check so that files created later are followed too. A path leads to the file now
 * under it; a file is known by its device and inode, so a file renamed away (rotation) is the
 * same file under a new name and a new file under the old name is another one.
 *
 *   rotation by rename   the old file is read to its end, and after rotate_wait without growth
 *                        (a writer may still hold it open) closed, its partial last line handed
 *                        on; the new file under the path is read from its start meanwhile. A file
 *                        renamed to a name a glob matches stays followed under that name.
 *   copytruncate,        a file shorter than the offset reached: the partial line is handed on
 *   truncation           and reading starts again at 0.
 *   deletion             as rotation: read to the end of the open descriptor, then forgotten.
 *   not there yet        waited for: checked at every check.
 *
 * Changes are noticed with inotify on the folders of the paths (woken at once) and by the caller
 * calling tail_check and tail_read every poll interval whatever inotify says: on NFS or Lustre,
 * where inotify sees nothing of other nodes' writes, and when inotify is unavailable or off.
 *
 * Each line goes to the emit callback with the stream of its file. The offset just past the last
 * line handed on is what tail_snapshot records for each file; saved positions (tail_new) say where
 * to resume, by file identity, including a file rotated while aifb-logship was not running (found
 * again by its inode in its folder and read to its end first). One thread uses a tail. */
#ifndef AIFB_LOGSHIP_TAIL_H
#define AIFB_LOGSHIP_TAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "logship/labels.h"
#include "logship/positions.h"

typedef void (*tail_emit)(void *arg, uint32_t stream, const char *line, size_t len);

/* A path or glob pattern to follow, and the stream label of its files (NULL: from each file's
 * name, ls_stream_of_path). */
typedef struct tail_source {
    const char *pattern;
    const char *stream;
    bool glob;
} tail_source;

typedef struct tail_opts {
    const tail_source *sources;
    size_t nsources;
    size_t max_line;        /* see linesplit.h; 0: no bound */
    int64_t rotate_wait_ms; /* how long a rotated or deleted file is watched after its end */
    bool no_inotify;        /* poll only */
} tail_opts;

typedef struct tail_stats {
    uint64_t lines, bytes; /* handed on, and the file bytes they used */
    uint64_t files_opened, files_closed, rotations, deletions, truncations;
    uint64_t cuts;        /* pieces of lines longer than max_line */
    uint64_t read_errors; /* failed reads (the file is tried again later) */
} tail_stats;

/* What tail_events found: lines to read, names to check. */
#define TAIL_READ  1u
#define TAIL_CHECK 2u

typedef struct tail tail;

/* Starts following: watches set up, paths and globs checked and the files found opened at their
 * saved positions (saved may be NULL). AIFB_EINVAL for a source with an empty pattern. */
aifb_code tail_new(const tail_opts *o, ls_streams *streams, const ls_positions *saved,
                   tail_emit emit, void *arg, tail **out, aifb_err *err);
void tail_free(tail *t);

/* The inotify descriptor to wait on (readable when something changed), -1 when polling. */
int tail_fd(const tail *t);
/* Reads the pending inotify events; TAIL_READ and/or TAIL_CHECK. */
unsigned tail_events(tail *t);

/* Looks at every path and glob: new files, files renamed away or deleted, files replaced. */
void tail_check(tail *t);

/* Reads what the files have gained, at most budget bytes from each, handing every complete line
 * on; closes rotated and deleted files read to their end and quiet for rotate_wait. Returns the
 * bytes read (0: every file is at its end). */
size_t tail_read(tail *t, size_t budget);

/* Hands every partial last line on as a line (at exit: no newline will come). */
void tail_flush(tail *t);

/* The position of every open file (path, identity, offset past its last line handed on) into
 * out, replacing what it held. */
void tail_snapshot(const tail *t, ls_positions *out);

void tail_get_stats(const tail *t, tail_stats *out);

#endif
