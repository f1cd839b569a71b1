/* util.h: small things every part of aifb needs: clocks, identifiers, a growable buffer, files.
 *
 * Nothing here allocates behind the caller's back except abuf, which owns its memory until
 * abuf_free() or abuf_take(). */
#ifndef AIFB_UTIL_H
#define AIFB_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Wall clock, Unix epoch milliseconds (for stored times). */
int64_t aifb_now_ms(void);
/* CLOCK_MONOTONIC in milliseconds (for timeouts and durations). */
int64_t aifb_mono_ms(void);

/* A new identifier: the prefix character, '-', then 12 lowercase hex digits from getrandom()
 * ("r-3fa09c1d22be"). out must hold AIFB_ID_LEN + 1 bytes. */
#define AIFB_ID_LEN 14
void aifb_id_new(char prefix, char out[AIFB_ID_LEN + 1]);
/* Whether s has the shape aifb_id_new() makes with that prefix (safe to use in a path). */
bool aifb_id_valid(const char *s, char prefix);

/* A growable byte buffer, always NUL-terminated. Zero-initialise it: abuf b = {0}. */
typedef struct abuf {
    char *p;
    size_t len, cap;
} abuf;

/* Makes room for extra more bytes (and the NUL) without changing the contents. */
void abuf_reserve(abuf *b, size_t extra);
void abuf_append(abuf *b, const void *data, size_t n);
void abuf_puts(abuf *b, const char *s);
void abuf_putc(abuf *b, char c);
void abuf_printf(abuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal, quotes included. */
void abuf_json_str(abuf *b, const char *s);
/* Returns the string and leaves b empty; the caller frees it. Never NULL. */
char *abuf_take(abuf *b);
void abuf_free(abuf *b);

/* mkdir -p with the given mode for each created folder. */
aifb_code aifb_mkdirs(const char *path, unsigned mode, aifb_err *err);
/* Reads a whole file (at most max bytes) into a NUL-terminated malloc'd buffer. */
aifb_code aifb_read_file(const char *path, size_t max, char **out, size_t *len, aifb_err *err);
/* Writes a file atomically: a temporary file beside it, fsync, rename. */
aifb_code aifb_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode,
                                 aifb_err *err);

/* strdup that aborts on out-of-memory; NULL stays NULL. */
char *xstrdup(const char *s);
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);

/* Raises the soft limit of open files to the hard limit (what load tools ask users to do with
 * ulimit -n) and returns the soft limit now in force (1024 when it cannot be read). */
long aifb_raise_open_files_limit(void);

/* Overwrites a secret string with zeros, then frees it; NULL is fine. */
void aifb_secret_free(char *s);

/* Constant-time comparison of two NUL-terminated secrets. */
bool aifb_secret_equal(const char *a, const char *b);

#endif
