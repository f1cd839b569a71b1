/* test_logship_positions.c: the positions file: saved and read back entry for entry (inode
 * numbers past 2^63 included, paths with quotes and non-ASCII), replaced atomically with nothing
 * left beside it, no file meaning "start from the beginning", and a damaged file refused with an
 * error that names it and says what to do, whatever the damage. Each test works in its own
 * temporary folder. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "logship/positions.h"

static char dir[64], file[96];

static void make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/aifb-positions-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(file, sizeof file, "%s/logship.positions", dir);
}

static void remove_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(positions, .init = make_dir, .fini = remove_dir);

static void write_text(const char *text)
{
    FILE *f = fopen(file, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

static int files_in_dir(void)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

Test(positions, round_trip)
{
    ls_positions p = {0}, q = {0};
    aifb_err err;
    ls_positions_add(&p, "/runs/r-1/service.out", 2049, 1234, 5678);
    ls_positions_add(&p, "/runs/r-1/service.err", 2049, 18446744073709551557ull, 0);
    ls_positions_add(&p, "odd \"name\"\\ caf\xc3\xa9", UINT64_MAX, 1, UINT64_MAX - 1);
    cr_assert_eq(ls_positions_save(file, &p, &err), AIFB_OK, "%s", err.msg);
    cr_assert_eq(files_in_dir(), 1); /* no temporary file left beside it */
    cr_assert_eq(ls_positions_load(file, &q, &err), AIFB_OK, "%s", err.msg);
    cr_assert_eq(q.n, p.n);
    for (size_t i = 0; i < p.n; i++) {
        cr_assert_str_eq(q.v[i].path, p.v[i].path);
        cr_assert_eq(q.v[i].dev, p.v[i].dev, "entry %zu", i);
        cr_assert_eq(q.v[i].ino, p.v[i].ino, "entry %zu", i);
        cr_assert_eq(q.v[i].offset, p.v[i].offset, "entry %zu", i);
    }
    cr_assert_eq(ls_positions_find(&q, 2049, 1234)->offset, 5678);
    cr_assert_null(ls_positions_find(&q, 2049, 1235));

    /* Saving again replaces the file. */
    ls_positions_clear(&p);
    ls_positions_add(&p, "/x", 1, 2, 3);
    cr_assert_eq(ls_positions_save(file, &p, &err), AIFB_OK, "%s", err.msg);
    cr_assert_eq(ls_positions_load(file, &q, &err), AIFB_OK, "%s", err.msg);
    cr_assert_eq(q.n, 1);
    cr_assert_eq(q.v[0].offset, 3);
    ls_positions_free(&p);
    ls_positions_free(&q);
}

Test(positions, no_file_is_an_empty_set)
{
    ls_positions q = {0};
    aifb_err err;
    cr_assert_eq(ls_positions_load(file, &q, &err), AIFB_OK, "%s", err.msg);
    cr_assert_eq(q.n, 0);
    ls_positions_free(&q);
}

Test(positions, an_empty_set_round_trips)
{
    ls_positions p = {0}, q = {0};
    aifb_err err;
    cr_assert_eq(ls_positions_save(file, &p, &err), AIFB_OK, "%s", err.msg);
    cr_assert_eq(ls_positions_load(file, &q, &err), AIFB_OK, "%s", err.msg);
    cr_assert_eq(q.n, 0);
}

Test(positions, a_damaged_file_is_refused_with_what_to_do)
{
    const char *damaged[] = {
        "",
        "{\"version\":1,\"files\":[{\"path\":\"/a\",\"device\":1,\"inode\":2,\"off",
        "not json at all",
        "[1,2,3]",
        "{\"version\":2,\"files\":[]}",
        "{\"version\":1}",
        "{\"version\":1,\"files\":[{\"path\":\"/a\",\"device\":1,\"inode\":2}]}",
        "{\"version\":1,\"files\":[{\"path\":\"/a\",\"device\":1,\"inode\":2,\"offset\":-5}]}",
        "{\"version\":1,\"files\":[{\"path\":7,\"device\":1,\"inode\":2,\"offset\":5}]}",
        "{\"version\":1,\"files\":[{\"path\":\"/a\",\"device\":\"1\",\"inode\":2,\"offset\":5}]}",
    };
    for (size_t i = 0; i < sizeof damaged / sizeof *damaged; i++) {
        write_text(damaged[i]);
        ls_positions q = {0};
        aifb_err err;
        cr_assert_eq(ls_positions_load(file, &q, &err), AIFB_EDATALOSS, "case %zu", i);
        cr_assert(strstr(err.msg, file), "case %zu: %s", i, err.msg);
        cr_assert(strstr(err.msg, "remove it"), "case %zu: %s", i, err.msg);
        cr_assert_eq(q.n, 0, "case %zu", i);
        ls_positions_free(&q);
    }
}

Test(positions, saving_into_a_missing_folder_says_so)
{
    ls_positions p = {0};
    aifb_err err;
    char missing[160];
    snprintf(missing, sizeof missing, "%s/no/such/folder/positions", dir);
    cr_assert_eq(ls_positions_save(missing, &p, &err), AIFB_EINTERNAL);
    cr_assert(strstr(err.msg, "no/such/folder"), "%s", err.msg);
}
