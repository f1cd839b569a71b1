/* utf8.c: UTF-8 checking and repair (see utf8.h).
 *
 * The check runs over eight ASCII bytes at a time, since log lines are mostly ASCII; the repair
 * only starts at the first ill-formed byte, so a valid line costs one scan and one copy. */
#include "logship/utf8.h"

#include <stdint.h>
#include <string.h>

/* The length of the well-formed sequence starting at s[0] (1 to 4), or 0 when it is ill-formed;
 * then *sub is the length of its maximal subpart (the bytes one U+FFFD replaces, at least 1). */
static size_t seq_len(const unsigned char *s, size_t n, size_t *sub)
{
    unsigned char c = s[0];
    *sub = 1;
    if (c < 0x80)
        return 1;
    size_t need;
    unsigned char lo = 0x80, hi = 0xBF; /* the range of the second byte */
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        if (c == 0xE0)
            lo = 0xA0; /* overlong below */
        else if (c == 0xED)
            hi = 0x9F; /* surrogates above */
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        if (c == 0xF0)
            lo = 0x90; /* overlong below */
        else if (c == 0xF4)
            hi = 0x8F; /* above U+10FFFF */
    } else {
        return 0; /* a continuation byte, C0, C1 or F5..FF: never valid here */
    }
    for (size_t i = 1; i < need; i++) {
        if (i >= n)
            return 0;
        unsigned char b = s[i];
        unsigned char l = i == 1 ? lo : 0x80, h = i == 1 ? hi : 0xBF;
        if (b < l || b > h)
            return 0;
        *sub = i + 1;
    }
    return need;
}

/* Skips the ASCII bytes at the start of s, eight at a time. */
static size_t ascii_prefix(const unsigned char *s, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (w & 0x8080808080808080ull)
            break;
    }
    while (i < n && s[i] < 0x80)
        i++;
    return i;
}

bool utf8_valid(const char *s, size_t n, size_t *bad)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, sub;
    while (i < n) {
        i += ascii_prefix(u + i, n - i);
        if (i >= n)
            break;
        size_t k = seq_len(u + i, n - i, &sub);
        if (!k) {
            if (bad)
                *bad = i;
            return false;
        }
        i += k;
    }
    return true;
}

size_t utf8_append_repaired(abuf *out, const char *s, size_t n)
{
    size_t first;
    if (utf8_valid(s, n, &first)) {
        abuf_append(out, s, n);
        return 0;
    }
    const unsigned char *u = (const unsigned char *)s;
    abuf_reserve(out, n + 16);
    abuf_append(out, s, first);
    size_t i = first, replaced = 0, sub;
    while (i < n) {
        size_t k = seq_len(u + i, n - i, &sub);
        if (k) {
            abuf_append(out, s + i, k);
            i += k;
            continue;
        }
        abuf_append(out, "\xEF\xBF\xBD", 3);
        replaced++;
        i += sub;
        size_t a = ascii_prefix(u + i, n - i);
        abuf_append(out, s + i, a);
        i += a;
    }
    return replaced;
}
