/* ptree.c: the watched process set and its sums (see ptree.h).
 *
 * The entries of one tick are an array sorted by pid; the next tick's array is built by merging
 * the new listing with it, so what is known of a process (whether it is watched, its last
 * figures) carries over in O(n). A pid seen for the first time starts "unknown" and is classified
 * from its parent, repeatedly, so a child and grandchild born within one tick are both found. */
#include "monitor/ptree.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "monitor/cgroup.h"
#include "monitor/procfs.h"

typedef struct pent {
    int pid, ppid;
    unsigned long long start; /* starttime in ticks since boot: tells a reused pid */
    signed char tree;         /* 1 watched, 0 not, -1 not known yet */
    bool alive;               /* read this tick */
    bool zombie;
    double user, sys; /* ticks: its own and its reaped children's */
    double rd, wr;    /* storage bytes, its own and its reaped children's */
} pent;

struct mon_ptree {
    const char *root;
    char *cgdir; /* cgroup mode when set */
    int exclude;
    int pid; /* pid mode: the watched process and its start */
    unsigned long long pid_start;
    pent *ents, *next;
    size_t n, cap, next_cap;
    int *pids;
    size_t npids, pids_cap;
    abuf buf;
    double acc_user, acc_sys, acc_rd, acc_wr; /* of processes gone with no watched reaper */
    double out_user, out_sys, out_rd, out_wr; /* the last figures emitted: never decrease */
    long page;
};

typedef struct pstat {
    char comm[32];
    char state;
    int ppid;
    unsigned long long utime, stime, start, vsize;
    long long cutime, cstime, rss;
    long threads;
} pstat;

static bool read_stat(mon_ptree *t, int pid, pstat *s)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    if (!mon_read_file(t->root, path, &t->buf))
        return false;
    /* comm may hold spaces and parentheses: the fields start after the last ')' */
    char *open = strchr(t->buf.p, '('), *close = strrchr(t->buf.p, ')');
    if (!open || !close || close < open || close[1] != ' ')
        return false;
    snprintf(s->comm, sizeof s->comm, "%.*s", (int)(close - open - 1), open + 1);
    return sscanf(close + 2,
                  "%c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %lld %lld %*d %*d %ld %*d "
                  "%llu %llu %lld",
                  &s->state, &s->ppid, &s->utime, &s->stime, &s->cutime, &s->cstime, &s->threads,
                  &s->start, &s->vsize, &s->rss) == 10;
}

/* read_bytes and write_bytes of /proc/PID/io; false when not readable (another user's). */
static bool read_io(mon_ptree *t, int pid, double *rd, double *wr)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/io", pid);
    if (!mon_read_file(t->root, path, &t->buf))
        return false;
    const char *r = strstr(t->buf.p, "\nread_bytes: "), *w = strstr(t->buf.p, "\nwrite_bytes: ");
    if (!r || !w)
        return false;
    *rd = (double)strtoull(r + 13, NULL, 10);
    *wr = (double)strtoull(w + 14, NULL, 10);
    return true;
}

/* Entries of /proc/PID/fd; -1 when not readable. */
static long count_fds(const mon_ptree *t, int pid)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/proc/%d/fd", t->root, pid);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    long n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

static void pids_add(mon_ptree *t, int pid)
{
    if (t->npids == t->pids_cap) {
        t->pids_cap = t->pids_cap ? t->pids_cap * 2 : 256;
        t->pids = xrealloc(t->pids, t->pids_cap * sizeof *t->pids);
    }
    t->pids[t->npids++] = pid;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Every process under ROOT/proc, sorted. */
static void list_proc(mon_ptree *t)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/proc", t->root);
    DIR *d = opendir(path);
    if (!d)
        return;
    for (struct dirent *e; (e = readdir(d));)
        if (isdigit((unsigned char)e->d_name[0]))
            pids_add(t, atoi(e->d_name));
    closedir(d);
}

static void list_cgroup_cb(void *arg, int pid)
{
    mon_ptree *t = arg;
    if (pid != t->exclude)
        pids_add(t, pid);
}

static pent *find(pent *v, size_t n, int pid)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (v[mid].pid == pid)
            return &v[mid];
        if (v[mid].pid < pid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* t->next = the listing, with what t->ents knew of each pid. */
static void merge_listing(mon_ptree *t)
{
    qsort(t->pids, t->npids, sizeof *t->pids, cmp_int);
    if (t->next_cap < t->npids) {
        t->next_cap = t->npids + 64;
        t->next = xrealloc(t->next, t->next_cap * sizeof *t->next);
    }
    size_t j = 0, m = 0;
    for (size_t i = 0; i < t->npids; i++) {
        if (i && t->pids[i] == t->pids[i - 1])
            continue; /* a pid in two cgroup folders while it moves */
        while (j < t->n && t->ents[j].pid < t->pids[i])
            j++;
        pent *e = &t->next[m++];
        if (j < t->n && t->ents[j].pid == t->pids[i])
            *e = t->ents[j];
        else
            *e = (pent){.pid = t->pids[i], .tree = -1};
        e->alive = false;
        if (t->cgdir)
            e->tree = 1;
    }
    t->npids = m;
}

/* Pid mode: decides for every new entry whether it descends from the watched process. */
static void classify(mon_ptree *t, pent *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (v[i].tree != -1)
            continue;
        pstat s;
        if (!read_stat(t, v[i].pid, &s)) {
            v[i].tree = 0; /* gone already */
            continue;
        }
        v[i].ppid = s.ppid;
        v[i].start = s.start;
        if (v[i].pid == t->pid)
            v[i].tree = s.start == t->pid_start;
    }
    for (bool changed = true; changed;) {
        changed = false;
        for (size_t i = 0; i < n; i++) {
            if (v[i].tree != -1)
                continue;
            const pent *p = find(v, n, v[i].ppid);
            if (!p || p->tree != -1) {
                v[i].tree = p && p->tree == 1;
                changed = true;
            }
        }
    }
}

/* A watched process has ended: its figures move into the accumulators unless a watched parent,
 * still there, has reaped it (then they are in the parent's cutime and I/O already). */
static void ended(mon_ptree *t, const pent *e, pent *now, size_t n)
{
    const pent *p = find(now, n, e->ppid);
    if (p && p->tree == 1 && p->alive && p->pid != e->pid)
        return;
    t->acc_user += e->user;
    t->acc_sys += e->sys;
    t->acc_rd += e->rd;
    t->acc_wr += e->wr;
}

typedef struct sums {
    double user, sys, rd, wr, rss, vms, threads, count, fds;
    bool io, fd;
} sums;

/* The agents aifbd starts beside a role in the same Slurm job are not the job's workload. */
static bool agent(const char *comm)
{
    return !strcmp(comm, "aifb-monitor") || !strcmp(comm, "aifb-logship");
}

/* Reads one watched process; false when it is gone or its pid was taken by another process. */
static bool read_watched(mon_ptree *t, pent *e, pent *v, size_t n, sums *s)
{
    pstat st;
    if (!read_stat(t, e->pid, &st))
        return false;
    if (e->start && st.start != e->start) { /* the old process is accounted as ended */
        const pent *p = find(v, n, st.ppid);
        e->tree = t->cgdir || (p && p->tree == 1 && p->alive);
        e->user = e->sys = e->rd = e->wr = 0;
        if (!e->tree)
            return false;
    }
    if (t->cgdir && agent(st.comm))
        return false;
    e->ppid = st.ppid;
    e->start = st.start;
    e->alive = true;
    e->zombie = st.state == 'Z' || st.state == 'X';
    e->user = (double)st.utime + (double)st.cutime;
    e->sys = (double)st.stime + (double)st.cstime;
    if (!e->zombie) {
        s->count++;
        s->threads += (double)st.threads;
        s->vms += (double)st.vsize;
        s->rss += (double)st.rss * (double)t->page;
        long fds = count_fds(t, e->pid);
        if (fds >= 0) {
            s->fds += (double)fds;
            s->fd = true;
        }
        if (read_io(t, e->pid, &e->rd, &e->wr))
            s->io = true;
    }
    s->user += e->user;
    s->sys += e->sys;
    s->rd += e->rd;
    s->wr += e->wr;
    return true;
}

static double never_less(double *last, double v)
{
    if (v > *last)
        *last = v;
    return *last;
}

bool ptree_collect(mon_ptree *t, mon_samples *out)
{
    t->npids = 0;
    if (t->cgdir)
        cgroup_list_pids(t->root, t->cgdir, list_cgroup_cb, t, &t->buf);
    else
        list_proc(t);
    merge_listing(t);
    pent *v = t->next;
    size_t n = t->npids;
    if (!t->cgdir)
        classify(t, v, n);
    sums s = {0};
    for (size_t i = 0; i < n; i++)
        if (v[i].tree == 1 && !read_watched(t, &v[i], v, n, &s))
            v[i].tree = 0;
    /* watched before, and gone now (absent, or vanished while being read) */
    for (size_t i = 0; i < t->n; i++) {
        const pent *old = &t->ents[i], *now = find(v, n, old->pid);
        if (old->tree == 1 && (!now || !now->alive || now->start != old->start))
            ended(t, old, v, n);
    }
    double hz = mon_clock_ticks();
    mon_samples_add(out, M_PROCESS_CPU, never_less(&t->out_user, (t->acc_user + s.user) / hz),
                    "user", NULL);
    mon_samples_add(out, M_PROCESS_CPU, never_less(&t->out_sys, (t->acc_sys + s.sys) / hz),
                    "system", NULL);
    mon_samples_add(out, M_PROCESS_RSS, s.rss, NULL, NULL);
    mon_samples_add(out, M_PROCESS_VMS, s.vms, NULL, NULL);
    mon_samples_add(out, M_PROCESS_THREADS, s.threads, NULL, NULL);
    mon_samples_add(out, M_PROCESS_COUNT, s.count, NULL, NULL);
    if (s.fd)
        mon_samples_add(out, M_PROCESS_FDS, s.fds, NULL, NULL);
    if (s.io) {
        mon_samples_add(out, M_PROCESS_IO_READ, never_less(&t->out_rd, t->acc_rd + s.rd), NULL,
                        NULL);
        mon_samples_add(out, M_PROCESS_IO_WRITE, never_less(&t->out_wr, t->acc_wr + s.wr), NULL,
                        NULL);
    }
    /* the merged array becomes the known state; the old one is reused next tick */
    pent *old = t->ents;
    size_t oldcap = t->cap;
    t->ents = t->next;
    t->n = n;
    t->cap = t->next_cap;
    t->next = old;
    t->next_cap = oldcap;
    if (t->cgdir)
        return s.count > 0;
    const pent *root = find(t->ents, t->n, t->pid);
    return root && root->tree == 1 && root->alive && !root->zombie;
}

static mon_ptree *ptree_alloc(const char *root)
{
    mon_ptree *t = xcalloc(1, sizeof *t);
    t->root = root;
    t->page = sysconf(_SC_PAGESIZE);
    if (t->page <= 0)
        t->page = 4096;
    return t;
}

mon_ptree *ptree_new_pid(const char *root, int pid, aifb_err *err)
{
    mon_ptree *t = ptree_alloc(root);
    t->pid = pid;
    pstat s = {0};
    if (!read_stat(t, pid, &s) || s.state == 'Z' || s.state == 'X') {
        aifb_err_set(err, AIFB_ENOTFOUND, "process %d does not exist (no %s/proc/%d/stat)%s", pid,
                     root, pid, s.state == 'Z' ? ": it has ended" : "");
        ptree_free(t);
        return NULL;
    }
    t->pid_start = s.start;
    return t;
}

mon_ptree *ptree_new_cgroup(const char *root, const char *cgdir, int exclude_pid)
{
    mon_ptree *t = ptree_alloc(root);
    t->cgdir = xstrdup(cgdir);
    t->exclude = exclude_pid;
    return t;
}

void ptree_free(mon_ptree *t)
{
    if (!t)
        return;
    free(t->cgdir);
    free(t->ents);
    free(t->next);
    free(t->pids);
    abuf_free(&t->buf);
    free(t);
}
