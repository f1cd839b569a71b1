/* bench_load.c: the load engine: processes x threads, each thread issuing one blocking call after
 * another through the project's rpc client.
 *
 * Calls in flight = procs * threads. Within a process every thread keeps its own latency samples
 * (no lock on the hot path) and takes call numbers from one atomic counter, so a count-bounded
 * load issues exactly `count` calls however the threads are scheduled. Why processes too: gRPC
 * shares one connection between all the channels of a process that have the same target, and
 * one HTTP/2 connection is processed by one thread at a time on each side, so a single process
 * cannot show what a server does with several clients. Forked processes each open their own
 * connection; they are forked before any gRPC state exists (gRPC does not survive a fork), wait
 * until all are ready, start together, and send their counts and samples back through a pipe.
 *
 * Wall time and both sides' CPU time are read around the load, so a throughput is always printed
 * with what it cost: on a shared 2-core machine a client that burns a core is taking it from the
 * server, and the report says so. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "common/util.h"

typedef struct load_shared {
    const bench_load *l;
    rpc_client *client;
    long count; /* this process's share; 0: until the deadline */
    pthread_barrier_t start;
    atomic_long next;   /* the next call number */
    atomic_bool stop;   /* a call failed */
    double deadline_s;  /* monotonic */
    pthread_mutex_t mu; /* guards failed and first_error */
    bool failed;
    aifb_err first_error;
} load_shared;

typedef struct load_thread {
    load_shared *sh;
    int index;
    pthread_t tid;
    long calls;
    bench_samples lat_ms;
} load_thread;

static bool load_take(load_shared *sh, long *i)
{
    if (atomic_load(&sh->stop))
        return false;
    *i = atomic_fetch_add(&sh->next, 1);
    if (sh->count > 0)
        return *i < sh->count;
    return bench_now_s() < sh->deadline_s;
}

static void load_record_error(load_shared *sh, const aifb_err *err)
{
    pthread_mutex_lock(&sh->mu);
    if (!sh->failed) {
        sh->failed = true;
        sh->first_error = *err;
    }
    pthread_mutex_unlock(&sh->mu);
    atomic_store(&sh->stop, true);
}

static void *load_thread_main(void *arg)
{
    load_thread *t = arg;
    load_shared *sh = t->sh;
    pthread_barrier_wait(&sh->start);
    long i;
    while (load_take(sh, &i)) {
        aifb_err err = {0};
        double t0 = bench_now_s();
        aifb_code rc = sh->l->call(sh->l->user, sh->client, t->index, i, &err);
        double t1 = bench_now_s();
        if (rc != AIFB_OK) {
            load_record_error(sh, &err);
            break;
        }
        t->calls++;
        bench_samples_add(&t->lat_ms, (t1 - t0) * 1e3);
    }
    return NULL;
}

/* Waits for the go byte when this process is one of several (go_fd >= 0). */
static void load_handshake(int ready_fd, int go_fd)
{
    char b = 1;
    if (ready_fd >= 0 && write(ready_fd, &b, 1) != 1)
        return;
    if (go_fd >= 0 && read(go_fd, &b, 1) != 1)
        return;
}

/* The load of one process: its client, its threads, `count` calls or until the deadline. */
static aifb_code load_in_process(const bench_load *l, long count, int ready_fd, int go_fd,
                                 bench_load_result *r, aifb_err *err)
{
    memset(r, 0, sizeof *r);
    load_shared sh = {.l = l, .count = count};
    if (rpc_client_new(l->target, NULL, &sh.client, err)) {
        load_handshake(ready_fd, -1);
        return err->code;
    }
    atomic_init(&sh.next, 0);
    atomic_init(&sh.stop, false);
    pthread_mutex_init(&sh.mu, NULL);
    pthread_barrier_init(&sh.start, NULL, (unsigned)l->threads + 1);
    load_thread *t = xcalloc((size_t)l->threads, sizeof *t);
    for (int i = 0; i < l->threads; i++) {
        t[i].sh = &sh;
        t[i].index = i;
        pthread_create(&t[i].tid, NULL, load_thread_main, &t[i]);
    }
    load_handshake(ready_fd, go_fd);
    double cpu0 = bench_self_cpu_s(), t0 = bench_now_s();
    sh.deadline_s = t0 + l->seconds;
    pthread_barrier_wait(&sh.start);
    for (int i = 0; i < l->threads; i++) {
        pthread_join(t[i].tid, NULL);
        r->calls += t[i].calls;
        bench_samples_merge(&r->lat_ms, &t[i].lat_ms);
        bench_samples_free(&t[i].lat_ms);
    }
    r->wall_s = bench_now_s() - t0;
    r->client_cpu_s = bench_self_cpu_s() - cpu0;
    r->failed = sh.failed;
    r->first_error = sh.first_error;
    free(t);
    pthread_barrier_destroy(&sh.start);
    pthread_mutex_destroy(&sh.mu);
    rpc_client_free(sh.client);
    return AIFB_OK;
}

/* ---- several processes ---------------------------------------------------------------------- */

/* What a child sends back, followed by n doubles (its latency samples). */
typedef struct load_wire {
    aifb_code setup_rc;
    long calls;
    double wall_s, cpu_s;
    bool failed;
    aifb_err err;
    size_t n;
} load_wire;

static bool load_io(int fd, void *buf, size_t len, bool writing)
{
    char *p = buf;
    while (len) {
        ssize_t k = writing ? write(fd, p, len) : read(fd, p, len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return false;
        p += k;
        len -= (size_t)k;
    }
    return true;
}

static void load_child(const bench_load *l, long count, int ready_fd, int go_fd, int out_fd)
{
    bench_load_result r;
    load_wire w = {0};
    w.setup_rc = load_in_process(l, count, ready_fd, go_fd, &r, &w.err);
    if (w.setup_rc == AIFB_OK) {
        w.calls = r.calls, w.wall_s = r.wall_s, w.cpu_s = r.client_cpu_s;
        w.failed = r.failed, w.n = r.lat_ms.n;
        if (r.failed)
            w.err = r.first_error;
    }
    bool ok = load_io(out_fd, &w, sizeof w, true) &&
              (!w.n || load_io(out_fd, r.lat_ms.v, w.n * sizeof(double), true));
    _exit(ok ? 0 : 1);
}

/* Reads one child's report into r (merging); a setup failure becomes the load's error. */
static aifb_code load_collect(int fd, int child, bench_load_result *r, aifb_err *err)
{
    load_wire w;
    if (!load_io(fd, &w, sizeof w, false))
        return aifb_err_set(err, AIFB_EINTERNAL, "load process %d ended without a report", child);
    if (w.setup_rc != AIFB_OK)
        return aifb_err_set(err, w.setup_rc, "load process %d: %s", child, w.err.msg);
    double *v = xmalloc((w.n ? w.n : 1) * sizeof *v);
    bool ok = !w.n || load_io(fd, v, w.n * sizeof *v, false);
    for (size_t i = 0; ok && i < w.n; i++)
        bench_samples_add(&r->lat_ms, v[i]);
    free(v);
    if (!ok)
        return aifb_err_set(err, AIFB_EINTERNAL, "load process %d: short report", child);
    r->calls += w.calls;
    r->client_cpu_s += w.cpu_s;
    if (w.wall_s > r->wall_s)
        r->wall_s = w.wall_s;
    if (w.failed && !r->failed) {
        r->failed = true;
        r->first_error = w.err;
    }
    return AIFB_OK;
}

/* Forks the children; *out_fds gets each one's report pipe. */
static aifb_code load_fork(const bench_load *l, int ready[2], int go[2], int *out_fds, pid_t *pids,
                           aifb_err *err)
{
    for (int i = 0; i < l->procs; i++) {
        int res[2];
        if (pipe(res))
            return aifb_err_set(err, AIFB_ERESOURCE, "pipe: %s", strerror(errno));
        fflush(NULL);
        pids[i] = fork();
        if (pids[i] < 0)
            return aifb_err_set(err, AIFB_ERESOURCE, "fork: %s", strerror(errno));
        if (pids[i] == 0) {
            close(ready[0]), close(go[1]), close(res[0]);
            long share = l->count / l->procs + (i < l->count % l->procs);
            load_child(l, share, ready[1], go[0], res[1]);
        }
        close(res[1]);
        out_fds[i] = res[0];
    }
    return AIFB_OK;
}

/* The server's CPU seconds so far, itself in [0] and its reaped children in [1]; -1 unknown. */
static void load_server_cpu(int pid, double out[2])
{
    if (pid <= 0 || bench_proc_cpu_s(pid, &out[0], &out[1], NULL) != AIFB_OK)
        out[0] = out[1] = -1;
}

static aifb_code load_forked(const bench_load *l, bench_load_result *r, double srv0[2],
                             aifb_err *err)
{
    int ready[2], go[2];
    if (pipe(ready) || pipe(go))
        return aifb_err_set(err, AIFB_ERESOURCE, "pipe: %s", strerror(errno));
    int *fds = xcalloc((size_t)l->procs, sizeof *fds);
    pid_t *pids = xcalloc((size_t)l->procs, sizeof *pids);
    for (int i = 0; i < l->procs; i++)
        fds[i] = -1, pids[i] = -1;
    aifb_code rc = load_fork(l, ready, go, fds, pids, err);
    close(ready[1]), close(go[0]);
    char b;
    for (int i = 0; rc == AIFB_OK && i < l->procs; i++)
        load_io(ready[0], &b, 1, false);
    load_server_cpu(l->server_pid, srv0);
    for (int i = 0; i < l->procs; i++) /* a short write only leaves a child waiting for EOF */
        (void)!write(go[1], "g", 1);
    close(go[1]), close(ready[0]);
    for (int i = 0; i < l->procs; i++) {
        aifb_err e = {0};
        if (fds[i] >= 0 && load_collect(fds[i], i, r, &e) != AIFB_OK && rc == AIFB_OK)
            rc = aifb_err_set(err, e.code, "%s", e.msg);
        if (fds[i] >= 0)
            close(fds[i]);
        if (pids[i] > 0)
            waitpid(pids[i], NULL, 0);
    }
    free(fds);
    free(pids);
    return rc;
}

static double load_machine_cpu(void)
{
    double v = -1;
    if (bench_machine_cpu_s(&v, NULL) != AIFB_OK)
        v = -1;
    return v;
}

aifb_code bench_load_run(const bench_load *l, bench_load_result *r, aifb_err *err)
{
    memset(r, 0, sizeof *r);
    double m0 = load_machine_cpu(), srv0[2], srv1[2];
    aifb_code rc;
    if (l->procs <= 1) {
        load_server_cpu(l->server_pid, srv0);
        rc = load_in_process(l, l->count, -1, -1, r, err);
    } else {
        rc = load_forked(l, r, srv0, err); /* reads srv0 when the children are ready */
    }
    load_server_cpu(l->server_pid, srv1);
    bool known = srv0[0] >= 0 && srv1[0] >= 0;
    r->server_cpu_s = known ? srv1[0] - srv0[0] : -1;
    r->children_cpu_s = known ? srv1[1] - srv0[1] : -1;
    double m1 = load_machine_cpu();
    r->machine_cpu_s = m0 >= 0 && m1 >= 0 ? m1 - m0 : -1;
    return rc;
}

/* The notes that say what limited a throughput, when the figures show it. */
static void load_notes(const char *name, double ccpu, double scpu, double ocpu)
{
    if (scpu >= 0 && ccpu >= scpu)
        printf("note: %s: the load client used %.2f cores and the server %.2f: the client is "
               "the larger consumer of this machine's CPU, so the server's own limit is higher "
               "than this rate\n",
               name, ccpu, scpu);
    if (ocpu >= 0.25)
        printf("note: %s: other processes of this machine used %.2f cores during the load: the "
               "figure is lower than on a quiet machine\n",
               name, ocpu);
}

int bench_load_report(const char *name, const bench_load_result *r)
{
    if (r->failed) {
        fprintf(stderr, "aifb-bench %s: a call failed after %ld calls: %s\n", name, r->calls,
                r->first_error.msg);
        return 1;
    }
    bench_samples lat = r->lat_ms; /* quantiles sort in place; the caller's copy stays valid */
    double wall = r->wall_s > 0 ? r->wall_s : 1e-9;
    double ccpu = r->client_cpu_s / wall;
    double scpu = r->server_cpu_s < 0 ? -1 : r->server_cpu_s / wall;
    double kcpu = r->children_cpu_s < 0 ? -1 : r->children_cpu_s / wall;
    double ocpu = -1;
    if (r->machine_cpu_s >= 0 && scpu >= 0) {
        ocpu = (r->machine_cpu_s - r->client_cpu_s - r->server_cpu_s - r->children_cpu_s) / wall;
        ocpu = ocpu < 0 ? 0 : ocpu; /* tick granularity can make it slightly negative */
    }
    printf("%s calls=%ld seconds=%.2f rate=%.0f p50_ms=%.3f p99_ms=%.3f client_cpu=%.2f "
           "server_cpu=%.2f children_cpu=%.2f other_cpu=%.2f cores=%ld\n",
           name, r->calls, r->wall_s, (double)r->calls / wall, bench_samples_quantile(&lat, 0.5),
           bench_samples_quantile(&lat, 0.99), ccpu, scpu, kcpu, ocpu,
           sysconf(_SC_NPROCESSORS_ONLN));
    load_notes(name, ccpu, scpu, ocpu);
    return 0;
}

void bench_load_result_free(bench_load_result *r)
{
    bench_samples_free(&r->lat_ms);
}
