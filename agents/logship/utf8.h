/* utf8.h: making a log line valid UTF-8 before it goes into a protobuf string or a JSON string,
 * both of which must be UTF-8 (Loki refuses a request that is not).
 *
 * Each ill-formed sequence is replaced by U+FFFD (EF BF BD), one replacement per "maximal
 * subpart" as the Unicode standard recommends (section 3.9, U+FFFD substitution) and as
 * Python's bytes.decode("utf-8", "replace") and the WHATWG decoder do: a lead byte with too few
 * continuation bytes is one U+FFFD, each stray continuation byte is one U+FFFD. Surrogates
 * (ED A0..BF) and overlong forms (C0, C1, E0 80..9F, F0 80..8F) are ill-formed, as are code
 * points above U+10FFFF. NUL bytes are valid UTF-8 and kept. */
#ifndef AIFB_LOGSHIP_UTF8_H
#define AIFB_LOGSHIP_UTF8_H

#include <stdbool.h>
#include <stddef.h>

#include "common/util.h"

/* Whether s[0..n) is well-formed UTF-8; when not, *bad (if not NULL) is the offset of the first
 * ill-formed byte. */
bool utf8_valid(const char *s, size_t n, size_t *bad);

/* Appends s[0..n) to out with every ill-formed sequence replaced by U+FFFD; returns the number
 * of replacements (0: the bytes were appended as they are). */
size_t utf8_append_repaired(abuf *out, const char *s, size_t n);

#endif
