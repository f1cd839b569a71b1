/* test_logship_lines.c: what aifb-logship makes of the bytes it reads: the same lines however the
 * reads split them (every split position, byte by byte), a partial last line held until its
 * newline or a flush, CRLF, lines longer than the bound shipped in pieces, and every offset
 * accounted for; then the UTF-8 repair, which must replace exactly what Python's
 * bytes.decode("utf-8", "replace") replaces (fixtures/logship/utf8_cases.txt holds 400 byte
 * strings near the UTF-8 boundaries and Python's answer for each). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logship/linesplit.h"
#include "logship/utf8.h"

#define MAX_LINES 64

typedef struct got {
    char *line[MAX_LINES];
    size_t len[MAX_LINES];
    size_t n, used;
} got;

static void collect(void *arg, const char *line, size_t len, size_t used)
{
    got *g = arg;
    cr_assert_lt(g->n, MAX_LINES);
    g->line[g->n] = malloc(len + 1);
    memcpy(g->line[g->n], line, len);
    g->line[g->n][len] = '\0';
    g->len[g->n++] = len;
    g->used += used;
}

static void got_free(got *g)
{
    for (size_t i = 0; i < g->n; i++)
        free(g->line[i]);
    memset(g, 0, sizeof *g);
}

static const char TEXT[] = "alpha\nbeta\r\n\ngamma delta\r\r\nx\npartial";
static const char *const WANT[] = {"alpha", "beta", "", "gamma delta\r", "x"};
#define NWANT   (sizeof WANT / sizeof *WANT)
#define PARTIAL "partial"

static void expect_text_lines(got *g, linesplit *ls)
{
    cr_assert_eq(g->n, NWANT, "%zu lines", g->n);
    for (size_t i = 0; i < NWANT; i++)
        cr_assert_str_eq(g->line[i], WANT[i], "line %zu", i);
    /* Every byte up to the partial line is accounted for, and the partial line is held. */
    cr_assert_eq(g->used, strlen(TEXT) - strlen(PARTIAL));
    cr_assert_eq(linesplit_pending(ls), strlen(PARTIAL));
}

Test(linesplit, every_split_into_two_and_three_reads_gives_the_same_lines)
{
    size_t n = strlen(TEXT);
    for (size_t i = 0; i <= n; i++)
        for (size_t j = i; j <= n; j++) {
            linesplit ls;
            linesplit_init(&ls, 0);
            got g = {0};
            linesplit_feed(&ls, TEXT, i, collect, &g);
            linesplit_feed(&ls, TEXT + i, j - i, collect, &g);
            linesplit_feed(&ls, TEXT + j, n - j, collect, &g);
            expect_text_lines(&g, &ls);
            linesplit_flush(&ls, collect, &g);
            cr_assert_str_eq(g.line[NWANT], PARTIAL, "split at %zu and %zu", i, j);
            cr_assert_eq(g.used, n);
            cr_assert_eq(linesplit_pending(&ls), 0);
            got_free(&g);
            linesplit_free(&ls);
        }
}

Test(linesplit, byte_by_byte)
{
    linesplit ls;
    linesplit_init(&ls, 0);
    got g = {0};
    for (size_t i = 0; TEXT[i]; i++)
        linesplit_feed(&ls, TEXT + i, 1, collect, &g);
    expect_text_lines(&g, &ls);
    got_free(&g);
    linesplit_free(&ls);
}

Test(linesplit, a_partial_line_waits_for_its_newline)
{
    linesplit ls;
    linesplit_init(&ls, 0);
    got g = {0};
    linesplit_feed(&ls, "no newline yet", 14, collect, &g);
    cr_assert_eq(g.n, 0);
    cr_assert_eq(linesplit_pending(&ls), 14);
    linesplit_feed(&ls, ", now\n", 6, collect, &g);
    cr_assert_eq(g.n, 1);
    cr_assert_str_eq(g.line[0], "no newline yet, now");
    cr_assert_eq(g.used, 20);
    linesplit_flush(&ls, collect, &g); /* nothing pending: nothing handed on */
    cr_assert_eq(g.n, 1);
    got_free(&g);
    linesplit_free(&ls);
}

Test(linesplit, reset_forgets_the_partial_line)
{
    linesplit ls;
    linesplit_init(&ls, 0);
    got g = {0};
    linesplit_feed(&ls, "old", 3, collect, &g);
    linesplit_reset(&ls);
    linesplit_feed(&ls, "new\n", 4, collect, &g);
    cr_assert_eq(g.n, 1);
    cr_assert_str_eq(g.line[0], "new");
    got_free(&g);
    linesplit_free(&ls);
}

/* A 2,500-byte line with a bound of 1,024 comes out as 1,024 + 1,024 + 452 bytes, whatever the
 * reads, and the bytes used add up to the line and its newline. */
Test(linesplit, a_line_longer_than_the_bound_is_shipped_in_pieces)
{
    char line[2501];
    for (size_t i = 0; i < 2500; i++)
        line[i] = (char)('a' + i % 26);
    line[2500] = '\n';
    size_t chunks[] = {2501, 1000, 7, 1};
    for (size_t c = 0; c < 4; c++) {
        linesplit ls;
        linesplit_init(&ls, 1024);
        got g = {0};
        for (size_t off = 0; off < sizeof line; off += chunks[c]) {
            size_t n = sizeof line - off < chunks[c] ? sizeof line - off : chunks[c];
            linesplit_feed(&ls, line + off, n, collect, &g);
        }
        cr_assert_eq(g.n, 3, "reads of %zu: %zu pieces", chunks[c], g.n);
        cr_assert_eq(g.len[0], 1024);
        cr_assert_eq(g.len[1], 1024);
        cr_assert_eq(g.len[2], 452);
        cr_assert_eq(memcmp(g.line[1], line + 1024, 1024), 0);
        cr_assert_eq(g.used, sizeof line);
        cr_assert_eq(ls.cuts, 2);
        got_free(&g);
        linesplit_free(&ls);
    }
}

Test(linesplit, nul_bytes_are_part_of_a_line)
{
    linesplit ls;
    linesplit_init(&ls, 0);
    got g = {0};
    linesplit_feed(&ls, "a\0b\n", 4, collect, &g);
    cr_assert_eq(g.n, 1);
    cr_assert_eq(g.len[0], 3);
    cr_assert_eq(memcmp(g.line[0], "a\0b", 3), 0);
    got_free(&g);
    linesplit_free(&ls);
}

/* ---- UTF-8 ----------------------------------------------------------------------------------- */

static void expect_repair(const char *in, size_t n, const char *want, size_t replaced)
{
    abuf out = {0};
    cr_assert_eq(utf8_append_repaired(&out, in, n), replaced);
    cr_assert_eq(out.len, strlen(want));
    cr_assert_arr_eq(out.p, want, out.len);
    abuf_free(&out);
}

#define FFFD "\xef\xbf\xbd"

Test(utf8, valid_text_is_kept_as_it_is)
{
    const char *s = "plain ascii, caf\xc3\xa9, \xe2\x82\xac, \xf0\x9d\x84\x9e, \xf4\x8f\xbf\xbf";
    cr_assert(utf8_valid(s, strlen(s), NULL));
    expect_repair(s, strlen(s), s, 0);
    expect_repair("", 0, "", 0);
}

Test(utf8, ill_formed_sequences_become_one_replacement_per_maximal_subpart)
{
    expect_repair("\xff", 1, FFFD, 1);
    expect_repair("\xe2\x82", 2, FFFD, 1); /* truncated: one for the whole */
    expect_repair("\xe2\x82"
                  "A",
                  3, FFFD "A", 1);                       /* cut short by an ASCII byte */
    expect_repair("\xed\xa0\x80", 3, FFFD FFFD FFFD, 3); /* a surrogate */
    expect_repair("\xc0\xaf", 2, FFFD FFFD, 2);          /* overlong */
    expect_repair("\xe0\x80\x80", 3, FFFD FFFD FFFD, 3);
    expect_repair("\xf4\x90\x80\x80", 4, FFFD FFFD FFFD FFFD, 4); /* above U+10FFFF */
    expect_repair("\xf0\x9f\x98", 3, FFFD, 1);
    expect_repair("\x80\x80", 2, FFFD FFFD, 2);
    expect_repair("a\xf1\x80\x80\xe1\x80\xc2"
                  "b",
                  8, "a" FFFD FFFD FFFD "b", 3);
    size_t bad = 0;
    cr_assert_not(utf8_valid("ok\xc3", 3, &bad));
    cr_assert_eq(bad, 2);
}

static size_t unhex(const char *hex, char *out)
{
    size_t n = 0;
    for (; hex[0] && hex[1]; hex += 2) {
        unsigned v;
        cr_assert_eq(sscanf(hex, "%2x", &v), 1);
        out[n++] = (char)v;
    }
    return n;
}

Test(utf8, replacements_are_those_python_makes)
{
    FILE *f = fopen(AIFB_SOURCE_DIR "/tests/unit/fixtures/logship/utf8_cases.txt", "r");
    cr_assert_not_null(f);
    char line[512], in_hex[256], want_hex[256], in[128], want[128];
    int cases = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#')
            continue;
        cr_assert_eq(sscanf(line, "%255s %255s", in_hex, want_hex), 2);
        size_t n = unhex(in_hex, in), wn = unhex(want_hex, want);
        abuf out = {0};
        size_t replaced = utf8_append_repaired(&out, in, n);
        cr_assert_eq(out.len, wn, "case %s", in_hex);
        cr_assert_arr_eq(out.p, want, wn, "case %s", in_hex);
        cr_assert_eq(replaced != 0, n != wn || memcmp(in, want, n) != 0, "case %s", in_hex);
        cr_assert(utf8_valid(out.p, out.len, NULL));
        abuf_free(&out);
        cases++;
    }
    fclose(f);
    cr_assert_eq(cases, 400);
}
