/* test_logship_tail.c: following files as aifb-logship's reader does, driven step by step (check,
 * read) on real files in a temporary folder: a file that appears later, rotation by rename (the
 * old file read to its end first, its partial last line handed on when it is closed), truncation
 * and copytruncate, deletion, a glob that keeps following a rotated file under its new name
 * without reading it twice, positions that exclude a partial line, and a restart from saved
 * positions, also when the file was rotated while nothing was running. inotify is off: the reader
 * also works by polling alone, and each step here is explicit. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "logship/tail.h"

static char dir[64];

static void make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/aifb-tail-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(tail, .init = make_dir, .fini = remove_dir);

/* Every line handed on, as "stream-name:text". */
typedef struct seen {
    ls_streams *streams;
    char *line[256];
    size_t n;
} seen;

static void on_line(void *arg, uint32_t stream, const char *line, size_t len)
{
    seen *s = arg;
    cr_assert_lt(s->n, 256);
    abuf b = {0};
    abuf_printf(&b, "%s:%.*s", s->streams->v[stream].name, (int)len, line);
    s->line[s->n++] = abuf_take(&b);
}

static void expect_lines(seen *s, const char *const *want, size_t n)
{
    cr_assert_eq(s->n, n, "%zu lines, not %zu (first: %s)", s->n, n, s->n ? s->line[0] : "-");
    for (size_t i = 0; i < n; i++)
        cr_assert_str_eq(s->line[i], want[i], "line %zu", i);
    for (size_t i = 0; i < s->n; i++)
        free(s->line[i]);
    s->n = 0;
}

static char *path(const char *name)
{
    static char p[4][128];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

static void append(const char *name, const char *text)
{
    int fd = open(path(name), O_WRONLY | O_CREAT | O_APPEND, 0644);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

typedef struct fixture {
    ls_streams streams;
    seen seen;
    tail *t;
    tail_source src[2];
} fixture;

static void start(fixture *f, const char *a, bool a_glob, const char *b, const ls_positions *saved)
{
    ls_labels base = {0};
    ls_labels_set(&base, "app", "aifb", NULL);
    ls_streams_init(&f->streams, &base);
    f->seen = (seen){.streams = &f->streams};
    size_t n = 0;
    f->src[n++] = (tail_source){a, NULL, a_glob};
    if (b)
        f->src[n++] = (tail_source){b, NULL, false};
    tail_opts o = {f->src, n, 0, 0, true};
    aifb_err err;
    cr_assert_eq(tail_new(&o, &f->streams, saved, on_line, &f->seen, &f->t, &err), AIFB_OK, "%s",
                 err.msg);
}

static void step(fixture *f)
{
    tail_check(f->t);
    while (tail_read(f->t, 1u << 20))
        ;
}

static void stop(fixture *f)
{
    for (size_t i = 0; i < f->seen.n; i++)
        free(f->seen.line[i]);
    tail_free(f->t);
    ls_streams_free(&f->streams);
}

Test(tail, a_file_that_appears_later_is_read_from_its_start)
{
    fixture f;
    start(&f, path("service.out"), false, path("service.err"), NULL);
    step(&f);
    expect_lines(&f.seen, NULL, 0);
    append("service.out", "one\ntwo\n");
    append("service.err", "oops\n");
    step(&f);
    const char *want[] = {"stdout:one", "stdout:two", "stderr:oops"};
    expect_lines(&f.seen, want, 3);
    stop(&f);
}

Test(tail, rotation_by_rename_reads_the_old_file_to_its_end_first)
{
    fixture f;
    append("app.log", "a1\na2\n");
    start(&f, path("app.log"), false, NULL, NULL);
    step(&f);
    const char *first[] = {"file:a1", "file:a2"};
    expect_lines(&f.seen, first, 2);
    /* The writer still holds the old file after the rename and writes to it. */
    int old = open(path("app.log"), O_WRONLY | O_APPEND);
    cr_assert_eq(rename(path("app.log"), path("app.log.1")), 0);
    append("app.log", "b1\n");
    cr_assert_eq(write(old, "a3\na4-partial", 13), 13);
    close(old);
    step(&f); /* rotate_wait is 0: the old file is closed once read, its partial line flushed */
    const char *rest[] = {"file:a3", "file:a4-partial", "file:b1"};
    expect_lines(&f.seen, rest, 3);
    ls_positions p = {0};
    tail_snapshot(f.t, &p);
    cr_assert_eq(p.n, 1);
    cr_assert_str_eq(p.v[0].path, path("app.log"));
    cr_assert_eq(p.v[0].offset, 3);
    tail_stats st;
    tail_get_stats(f.t, &st);
    cr_assert_eq(st.rotations, 1);
    ls_positions_free(&p);
    stop(&f);
}

Test(tail, truncation_and_copytruncate_start_again_at_zero)
{
    fixture f;
    append("x.out", "first line\nsecond line\npart");
    start(&f, path("x.out"), false, NULL, NULL);
    step(&f);
    const char *first[] = {"stdout:first line", "stdout:second line"};
    expect_lines(&f.seen, first, 2);
    cr_assert_eq(truncate(path("x.out"), 0), 0);
    append("x.out", "new\n");
    step(&f);
    const char *after[] = {"stdout:part", "stdout:new"}; /* the old partial line, then the new */
    expect_lines(&f.seen, after, 2);
    tail_stats st;
    tail_get_stats(f.t, &st);
    cr_assert_eq(st.truncations, 1);
    stop(&f);
}

Test(tail, a_deleted_file_is_read_to_its_end_then_forgotten)
{
    fixture f;
    append("gone.err", "l1\n");
    start(&f, path("gone.err"), false, NULL, NULL);
    step(&f);
    int fd = open(path("gone.err"), O_WRONLY | O_APPEND);
    cr_assert_eq(unlink(path("gone.err")), 0);
    cr_assert_eq(write(fd, "l2\n", 3), 3);
    close(fd);
    step(&f);
    const char *want[] = {"stderr:l1", "stderr:l2"};
    expect_lines(&f.seen, want, 2);
    ls_positions p = {0};
    tail_snapshot(f.t, &p);
    cr_assert_eq(p.n, 0);
    tail_stats st;
    tail_get_stats(f.t, &st);
    cr_assert_eq(st.deletions, 1);
    /* The name is still followed: a new file under it is read. */
    append("gone.err", "l3\n");
    step(&f);
    const char *again[] = {"stderr:l3"};
    expect_lines(&f.seen, again, 1);
    stop(&f);
}

Test(tail, a_glob_follows_new_files_and_rotated_ones_under_their_new_name)
{
    fixture f;
    char pattern[128];
    snprintf(pattern, sizeof pattern, "%s/*.log*", dir);
    start(&f, pattern, true, NULL, NULL);
    append("a.log", "a1\n");
    step(&f);
    append("b.log", "b1\n");
    step(&f);
    cr_assert_eq(rename(path("a.log"), path("a.log.1")), 0);
    append("a.log.1", "a2\n");
    step(&f);
    step(&f); /* the rotated file is not read again from its start under its new name */
    const char *want[] = {"file:a1", "file:b1", "file:a2"};
    expect_lines(&f.seen, want, 3);
    ls_positions p = {0};
    tail_snapshot(f.t, &p);
    cr_assert_eq(p.n, 2);
    stop(&f);
    ls_positions_free(&p);
}

Test(tail, positions_exclude_the_partial_line_and_resume_a_restart)
{
    fixture f;
    append("r.out", "done 1\ndone 2\nhalf");
    start(&f, path("r.out"), false, NULL, NULL);
    step(&f);
    ls_positions p = {0};
    tail_snapshot(f.t, &p);
    cr_assert_eq(p.v[0].offset, 14); /* past "done 2\n", not past "half" */
    stop(&f);

    append("r.out", " and the rest\nnew\n");
    start(&f, path("r.out"), false, NULL, &p);
    step(&f);
    const char *want[] = {"stdout:half and the rest", "stdout:new"};
    expect_lines(&f.seen, want, 2);
    stop(&f);
    ls_positions_free(&p);
}

Test(tail, a_file_rotated_while_not_running_is_finished_first)
{
    fixture f;
    append("s.out", "before\n");
    start(&f, path("s.out"), false, NULL, NULL);
    step(&f);
    ls_positions p = {0};
    tail_snapshot(f.t, &p);
    stop(&f);

    append("s.out", "missed\n");
    cr_assert_eq(rename(path("s.out"), path("s.out.1")), 0);
    append("s.out", "after\n");
    start(&f, path("s.out"), false, NULL, &p);
    step(&f);
    const char *want[] = {"stdout:missed", "stdout:after"};
    expect_lines(&f.seen, want, 2);
    stop(&f);
    ls_positions_free(&p);
}

Test(tail, a_file_shorter_than_its_saved_position_is_read_from_its_start)
{
    fixture f;
    append("t.out", "long enough line\n");
    start(&f, path("t.out"), false, NULL, NULL);
    step(&f);
    ls_positions p = {0};
    tail_snapshot(f.t, &p);
    stop(&f);
    cr_assert_eq(truncate(path("t.out"), 0), 0);
    append("t.out", "short\n");
    start(&f, path("t.out"), false, NULL, &p);
    step(&f);
    const char *want[] = {"stdout:short"};
    expect_lines(&f.seen, want, 1);
    stop(&f);
    ls_positions_free(&p);
}
