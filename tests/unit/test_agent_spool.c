/* test_agent_spool.c: the agents' disk spool as a sender sees it: records come back oldest first
 * and byte for byte, survive a reopen (an agent restarted after a crash), the bound drops the
 * oldest and says how much was lost, damage and leftovers of a crash are dealt with, and two
 * processes cannot share one folder. Each test works in its own temporary folder. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/spool.h"

static char dir[64];

static void make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/aifb-spool-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(spool, .init = make_dir, .fini = remove_dir);

static spool *open_ok(uint64_t max)
{
    spool *s;
    aifb_err err;
    cr_assert_eq(spool_open(dir, max, &s, &err), AIFB_OK, "%s", err.msg);
    return s;
}

static void push_text(spool *s, const char *text, uint64_t tag)
{
    aifb_err err;
    cr_assert_eq(spool_push(s, text, strlen(text), tag, &err), AIFB_OK, "%s", err.msg);
}

/* Peeks the oldest record, checks it is text with tag, and pops it. */
static void expect_next(spool *s, const char *text, uint64_t tag)
{
    void *rec;
    size_t len;
    uint64_t t;
    aifb_err err;
    cr_assert_eq(spool_peek(s, &rec, &len, &t, &err), AIFB_OK, "%s", err.msg);
    cr_assert_eq(len, strlen(text));
    cr_assert_arr_eq(rec, text, len);
    cr_assert_eq(t, tag);
    free(rec);
    cr_assert_eq(spool_pop(s, &err), AIFB_OK, "%s", err.msg);
}

static void expect_empty(spool *s)
{
    void *rec;
    size_t len;
    uint64_t t;
    aifb_err err;
    cr_assert_eq(spool_peek(s, &rec, &len, &t, &err), AIFB_ENOTFOUND);
    cr_assert_eq(spool_count(s), 0);
}

Test(spool, records_come_back_oldest_first_and_byte_for_byte)
{
    spool *s = open_ok(0);
    char binary[300];
    for (size_t i = 0; i < sizeof binary; i++)
        binary[i] = (char)(i * 7 + 1);
    push_text(s, "first", 10);
    aifb_err err;
    cr_assert_eq(spool_push(s, binary, sizeof binary, 20, &err), AIFB_OK);
    cr_assert_eq(spool_push(s, "", 0, 0, &err), AIFB_OK, "an empty record is a record");
    cr_assert_eq(spool_count(s), 3);
    expect_next(s, "first", 10);
    void *rec;
    size_t len;
    uint64_t tag;
    cr_assert_eq(spool_peek(s, &rec, &len, &tag, &err), AIFB_OK);
    cr_assert_eq(len, sizeof binary);
    cr_assert_arr_eq(rec, binary, len);
    free(rec);
    cr_assert_eq(spool_peek(s, &rec, &len, &tag, &err), AIFB_OK, "peek does not remove");
    free(rec);
    cr_assert_eq(spool_pop(s, &err), AIFB_OK);
    expect_next(s, "", 0);
    expect_empty(s);
    cr_assert_eq(spool_pop(s, &err), AIFB_ENOTFOUND);
    spool_stats st;
    spool_get_stats(s, &st);
    cr_assert_eq(st.pushed, 3);
    cr_assert_eq(st.popped, 3);
    cr_assert_eq(st.bytes, 0);
    spool_close(s);
}

Test(spool, records_survive_a_reopen_and_new_ones_come_after_them)
{
    spool *s = open_ok(0);
    push_text(s, "a", 1);
    push_text(s, "b", 2);
    spool_close(s);
    s = open_ok(0);
    cr_assert_eq(spool_count(s), 2);
    push_text(s, "c", 3);
    expect_next(s, "a", 1);
    spool_close(s);
    s = open_ok(0);
    expect_next(s, "b", 2);
    expect_next(s, "c", 3);
    expect_empty(s);
    spool_close(s);
}

Test(spool, the_bound_drops_the_oldest_and_counts_what_was_lost)
{
    /* Each record is 24 bytes of header and 10 of payload: three fit in 110 bytes, not four. */
    spool *s = open_ok(110);
    push_text(s, "record-001", 100);
    push_text(s, "record-002", 200);
    push_text(s, "record-003", 300);
    push_text(s, "record-004", 400);
    push_text(s, "record-005", 500);
    spool_stats st;
    spool_get_stats(s, &st);
    cr_assert_eq(st.records, 3);
    cr_assert_leq(st.bytes, 110);
    cr_assert_eq(st.dropped_records, 2);
    cr_assert_eq(st.dropped_tags, 300, "the two oldest held 100 + 200 samples");
    expect_next(s, "record-003", 300);
    expect_next(s, "record-004", 400);
    expect_next(s, "record-005", 500);
    spool_close(s);
}

Test(spool, a_record_larger_than_the_bound_is_refused_and_counted)
{
    spool *s = open_ok(50);
    push_text(s, "small", 1);
    char big[64] = {0};
    aifb_err err;
    cr_assert_eq(spool_push(s, big, sizeof big, 9, &err), AIFB_ERESOURCE);
    cr_assert(strstr(err.msg, "larger than the spool's bound"), "%s", err.msg);
    spool_stats st;
    spool_get_stats(s, &st);
    cr_assert_eq(st.dropped_tags, 9);
    expect_next(s, "small", 1);
    spool_close(s);
}

static void write_raw(const char *name, const void *data, size_t len)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, data, len), (ssize_t)len);
    close(fd);
}

Test(spool, a_damaged_record_is_skipped_and_a_crash_leftover_removed)
{
    spool *s = open_ok(0);
    push_text(s, "good-1", 1);
    push_text(s, "good-2", 2);
    spool_close(s);
    /* The first record cut short, as a disk that lost its tail would leave it; a temporary file
     * as a crash between write and rename leaves it. */
    write_raw("00000000000000000000.rec", "AIFBSPL1\1\0\0\0\0\0\0\0\xff\0\0\0\0\0\0\0abc", 27);
    write_raw("00000000000000000007.rec.tmp.123", "half", 4);
    s = open_ok(0);
    expect_next(s, "good-2", 2);
    expect_empty(s);
    spool_stats st;
    spool_get_stats(s, &st);
    cr_assert_eq(st.dropped_records, 1);
    char path[128];
    snprintf(path, sizeof path, "%s/00000000000000000007.rec.tmp.123", dir);
    cr_assert_eq(access(path, F_OK), -1, "the leftover is gone");
    spool_close(s);
}

Test(spool, a_folder_in_use_is_refused)
{
    spool *s = open_ok(0);
    spool *other;
    aifb_err err;
    cr_assert_eq(spool_open(dir, 0, &other, &err), AIFB_EPRECONDITION);
    cr_assert(strstr(err.msg, "in use"), "%s", err.msg);
    spool_close(s);
    other = open_ok(0);
    spool_close(other);
}

Test(spool, the_folder_is_made_private)
{
    char sub[96];
    snprintf(sub, sizeof sub, "%s/a/b", dir);
    spool *s;
    aifb_err err;
    cr_assert_eq(spool_open(sub, 0, &s, &err), AIFB_OK, "%s", err.msg);
    struct stat sb;
    cr_assert_eq(stat(sub, &sb), 0);
    cr_assert_eq(sb.st_mode & 0777, 0700);
    spool_close(s);
    cr_assert_eq(spool_open("", 0, &s, &err), AIFB_EINVAL);
}
