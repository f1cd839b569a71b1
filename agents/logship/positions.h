/* positions.h: the positions file, where aifb-logship remembers how far it has shipped each file.
 *
 * One entry per file being followed: the path it was found under, its identity (device and
 * inode: a file renamed by rotation is still the same file) and the offset just past the last
 * line shipped. The file is JSON:
 *
 *   {"version":1,"files":[{"path":"run/service.out","device":2049,"inode":1234,"offset":5678}]}
 *
 * Saving writes a temporary file beside it, fsyncs it, renames it over the old one and fsyncs the
 * folder: after a crash or a power cut the file is the old one or the new one, never a mix. A
 * file that cannot be read as positions (damaged by hand or by a disk) is refused with an error
 * that says what to do, rather than guessed at: starting over would ship every line again,
 * skipping to the end would lose lines, and only the user knows which is worse. */
#ifndef AIFB_LOGSHIP_POSITIONS_H
#define AIFB_LOGSHIP_POSITIONS_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

typedef struct ls_pos {
    char *path;
    uint64_t dev, ino, offset;
} ls_pos;

typedef struct ls_positions {
    ls_pos *v;
    size_t n, cap;
} ls_positions;

void ls_positions_add(ls_positions *p, const char *path, uint64_t dev, uint64_t ino,
                      uint64_t offset);
void ls_positions_clear(ls_positions *p);
void ls_positions_free(ls_positions *p);
/* Moves src into dst (dst's old entries freed; src left empty). */
void ls_positions_move(ls_positions *dst, ls_positions *src);
/* The entry for the file with this identity, or NULL. */
ls_pos *ls_positions_find(const ls_positions *p, uint64_t dev, uint64_t ino);

/* Reads file into *out (empty when the file does not exist). AIFB_EDATALOSS when it exists but
 * is not a positions file, naming it and what to do; AIFB_EINTERNAL when it cannot be read. */
aifb_code ls_positions_load(const char *file, ls_positions *out, aifb_err *err);
/* Saves p atomically and durably as file (see above). AIFB_EINTERNAL naming the failure. */
aifb_code ls_positions_save(const char *file, const ls_positions *p, aifb_err *err);

#endif
