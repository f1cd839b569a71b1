/* test_monitor_ptree.c: the watched process tree on a /proc written by the test in a temporary
 * folder (--root), changed between ticks as a real tree changes: children that are born, exit
 * and are reaped, a grandchild reparented to init, a pid taken by another process, a watched
 * process that ends as a zombie. The CPU counters must never go backwards and must keep the time
 * of the processes that are gone; the gauges must follow the live processes. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "monitor/ptree.h"

static char root[64];
static double hz, page;

static void setup(void)
{
    snprintf(root, sizeof root, "/tmp/aifb-ptree-XXXXXX");
    cr_assert_not_null(mkdtemp(root));
    char path[128];
    snprintf(path, sizeof path, "%s/proc", root);
    cr_assert_eq(mkdir(path, 0755), 0);
    hz = (double)sysconf(_SC_CLK_TCK);
    page = (double)sysconf(_SC_PAGESIZE);
}

static void rm_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    for (struct dirent *e; (e = readdir(d));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char p[512];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
            rm_tree(p);
        else
            unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static void teardown(void)
{
    rm_tree(root);
}

TestSuite(monitor_ptree, .init = setup, .fini = teardown);

typedef struct fake {
    int pid, ppid;
    char state;
    unsigned long utime, stime, cutime, cstime;
    int threads;
    unsigned long start, vsize, rss;
} fake;

static void put_file(int pid, const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/proc/%d", root, pid);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/proc/%d/%s", root, pid, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

/* /proc/PID/stat as the kernel writes it (comm with a blank and parentheses, as comm may be). */
static void put(fake p)
{
    char line[512];
    snprintf(line, sizeof line,
             "%d (w (%d) x) %c %d %d %d 0 -1 4194560 10 0 0 0 %lu %lu %lu %lu 20 0 %d 0 %lu %lu "
             "%lu 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n",
             p.pid, p.pid, p.state ? p.state : 'S', p.ppid, p.pid, p.pid, p.utime, p.stime,
             p.cutime, p.cstime, p.threads ? p.threads : 1,
             p.start ? p.start : 1000ul + (unsigned long)p.pid, p.vsize, p.rss);
    put_file(p.pid, "stat", line);
}

static void put_io(int pid, unsigned long rd, unsigned long wr)
{
    char text[256];
    snprintf(text, sizeof text,
             "rchar: 1\nwchar: 2\nsyscr: 3\nsyscw: 4\nread_bytes: %lu\nwrite_bytes: %lu\n"
             "cancelled_write_bytes: 0\n",
             rd, wr);
    put_file(pid, "io", text);
}

static void put_fds(int pid, int n)
{
    char path[256];
    snprintf(path, sizeof path, "%s/proc/%d/fd", root, pid);
    mkdir(path, 0755);
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/proc/%d/fd/%d", root, pid, i);
        fclose(fopen(path, "w"));
    }
}

static void gone(int pid)
{
    char path[256];
    snprintf(path, sizeof path, "%s/proc/%d", root, pid);
    rm_tree(path);
}

static double value(const mon_samples *s, mon_metric m, const char *l0)
{
    const mon_sample *x = mon_samples_find(s, m, l0, NULL);
    cr_assert_not_null(x, "no %s", mon_metric_get(m)->name);
    return x->value;
}

/* One tick: returns whether the watched process lives; *user and *count are its figures. */
static bool tick(mon_ptree *t, double *user, double *count)
{
    mon_samples s = {0};
    bool alive = ptree_collect(t, &s);
    *user = value(&s, M_PROCESS_CPU, "user") * hz;
    *count = value(&s, M_PROCESS_COUNT, NULL);
    mon_samples_free(&s);
    return alive;
}

Test(monitor_ptree, sums_the_process_and_its_descendants_only)
{
    put((fake){.pid = 1, .ppid = 0, .utime = 5000});
    put((fake){
        .pid = 100, .ppid = 1, .utime = 10, .stime = 1, .threads = 4, .vsize = 1000, .rss = 10});
    put((fake){
        .pid = 101, .ppid = 100, .utime = 20, .stime = 2, .threads = 2, .vsize = 2000, .rss = 20});
    put((fake){.pid = 102,
               .ppid = 101,
               .utime = 30,
               .stime = 3,
               .cutime = 7,
               .cstime = 8,
               .vsize = 3000,
               .rss = 30});
    put((fake){.pid = 200, .ppid = 1, .utime = 9999, .threads = 50, .rss = 99999});
    put_io(100, 4096, 8192);
    put_io(102, 1, 2);
    put_fds(100, 3);
    put_fds(101, 5);
    aifb_err err = {0};
    mon_ptree *t = ptree_new_pid(root, 100, &err);
    cr_assert_not_null(t, "%s", err.msg);
    mon_samples s = {0};
    cr_assert(ptree_collect(t, &s));
    cr_assert_eq(value(&s, M_PROCESS_COUNT, NULL), 3);
    cr_assert_float_eq(value(&s, M_PROCESS_CPU, "user"), (10 + 20 + 30 + 7) / hz, 1e-9);
    cr_assert_float_eq(value(&s, M_PROCESS_CPU, "system"), (1 + 2 + 3 + 8) / hz, 1e-9);
    cr_assert_eq(value(&s, M_PROCESS_THREADS, NULL), 4 + 2 + 1);
    cr_assert_eq(value(&s, M_PROCESS_VMS, NULL), 6000);
    cr_assert_eq(value(&s, M_PROCESS_RSS, NULL), 60 * page);
    cr_assert_eq(value(&s, M_PROCESS_FDS, NULL), 8);
    cr_assert_eq(value(&s, M_PROCESS_IO_READ, NULL), 4097);
    cr_assert_eq(value(&s, M_PROCESS_IO_WRITE, NULL), 8194);
    mon_samples_free(&s);
    ptree_free(t);
}

Test(monitor_ptree, children_that_fork_and_exit_never_take_cpu_time_back)
{
    put((fake){.pid = 1, .ppid = 0});
    put((fake){.pid = 100, .ppid = 1, .utime = 100});
    aifb_err err = {0};
    mon_ptree *t = ptree_new_pid(root, 100, &err);
    double user, count;
    cr_assert(tick(t, &user, &count));
    cr_assert_eq(count, 1);
    cr_assert_float_eq(user, 100, 1e-6);

    /* a child and a grandchild are born within one tick (the grandchild's pid is lower) */
    put((fake){.pid = 150, .ppid = 100, .utime = 40});
    put((fake){.pid = 120, .ppid = 150, .utime = 60});
    cr_assert(tick(t, &user, &count));
    cr_assert_eq(count, 3);
    cr_assert_float_eq(user, 200, 1e-6);

    /* the grandchild exits and is reaped by the child: its time moves to the child's cutime */
    gone(120);
    put((fake){.pid = 150, .ppid = 100, .utime = 45, .cutime = 65});
    cr_assert(tick(t, &user, &count));
    cr_assert_eq(count, 2);
    cr_assert_float_eq(user, 210, 1e-6);

    /* the child's own child 160 is reparented to init when 150 exits, reaped by 100 */
    put((fake){.pid = 160, .ppid = 150, .utime = 5});
    cr_assert(tick(t, &user, &count));
    cr_assert_float_eq(user, 215, 1e-6);
    gone(150);
    put((fake){.pid = 100, .ppid = 1, .utime = 100, .cutime = 45 + 65});
    put((fake){.pid = 160, .ppid = 1, .utime = 8});
    cr_assert(tick(t, &user, &count));
    cr_assert_eq(count, 2, "a reparented descendant is still watched");
    cr_assert_float_eq(user, 218, 1e-6);

    /* 160 ends and init reaps it: nobody watched has its time, so it is kept */
    gone(160);
    cr_assert(tick(t, &user, &count));
    cr_assert_eq(count, 1);
    cr_assert_float_eq(user, 218, 1e-6);
    ptree_free(t);
}

Test(monitor_ptree, the_counter_is_clamped_when_a_figure_goes_back)
{
    put((fake){.pid = 100, .ppid = 1, .utime = 100});
    put((fake){.pid = 101, .ppid = 100, .utime = 50});
    aifb_err err = {0};
    mon_ptree *t = ptree_new_pid(root, 100, &err);
    double user, count;
    cr_assert(tick(t, &user, &count));
    cr_assert_float_eq(user, 150, 1e-6);
    /* 101 is reaped by 100, but this read of 100 predates the reaping: 50 ticks seem lost */
    gone(101);
    cr_assert(tick(t, &user, &count));
    cr_assert_float_eq(user, 150, 1e-6);
    put((fake){.pid = 100, .ppid = 1, .utime = 101, .cutime = 50});
    cr_assert(tick(t, &user, &count));
    cr_assert_float_eq(user, 151, 1e-6);
    ptree_free(t);
}

Test(monitor_ptree, a_pid_taken_by_another_process_is_not_watched)
{
    put((fake){.pid = 100, .ppid = 1, .utime = 100});
    put((fake){.pid = 101, .ppid = 100, .utime = 50, .start = 5000});
    put((fake){.pid = 200, .ppid = 1});
    aifb_err err = {0};
    mon_ptree *t = ptree_new_pid(root, 100, &err);
    double user, count;
    cr_assert(tick(t, &user, &count));
    cr_assert_eq(count, 2);
    /* 101 ended without a watched reaper and an unrelated process got its pid */
    put((fake){.pid = 101, .ppid = 200, .utime = 7, .start = 6000});
    cr_assert(tick(t, &user, &count));
    cr_assert_eq(count, 1);
    cr_assert_float_eq(user, 150, 1e-6);
    ptree_free(t);
}

Test(monitor_ptree, the_end_of_the_watched_process_ends_the_watch)
{
    put((fake){.pid = 100, .ppid = 1, .utime = 100});
    put((fake){.pid = 101, .ppid = 100, .utime = 50});
    aifb_err err = {0};
    mon_ptree *t = ptree_new_pid(root, 100, &err);
    double user, count;
    cr_assert(tick(t, &user, &count));
    put((fake){.pid = 100, .ppid = 1, .utime = 120, .state = 'Z'});
    cr_assert_not(tick(t, &user, &count), "a zombie has ended");
    cr_assert_eq(count, 1, "the child lives on");
    cr_assert_float_eq(user, 170, 1e-6);
    gone(100);
    cr_assert_not(tick(t, &user, &count));
    cr_assert_float_eq(user, 170, 1e-6, "the time of the ended process stays");
    ptree_free(t);
}

Test(monitor_ptree, a_process_that_does_not_exist_is_refused)
{
    put((fake){.pid = 100, .ppid = 1, .state = 'Z'});
    aifb_err err = {0};
    cr_assert_null(ptree_new_pid(root, 4242, &err));
    cr_assert_eq(err.code, AIFB_ENOTFOUND);
    cr_assert(strstr(err.msg, "process 4242 does not exist"), "%s", err.msg);
    cr_assert_null(ptree_new_pid(root, 100, &err));
    cr_assert(strstr(err.msg, "it has ended"), "%s", err.msg);
}

Test(monitor_ptree, watches_a_real_process_of_this_machine)
{
    aifb_err err = {0};
    mon_ptree *t = ptree_new_pid("", (int)getpid(), &err);
    cr_assert_not_null(t, "%s", err.msg);
    mon_samples s = {0};
    cr_assert(ptree_collect(t, &s));
    cr_assert_geq(value(&s, M_PROCESS_COUNT, NULL), 1);
    cr_assert_gt(value(&s, M_PROCESS_RSS, NULL), 0);
    cr_assert_geq(value(&s, M_PROCESS_FDS, NULL), 3);
    mon_samples_free(&s);
    ptree_free(t);
}
