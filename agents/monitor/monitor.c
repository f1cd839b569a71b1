/* monitor.c: the monitor's loop, its ticks and its end (see monitor.h). */
#include "monitor/monitor.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "monitor/cgroup.h"
#include "monitor/gpu.h"
#include "monitor/metrics.h"
#include "monitor/outbox.h"
#include "monitor/procfs.h"
#include "monitor/ptree.h"
#include "monitor/scrape.h"

#define WAIT_SLICE_MS  200
#define STALLED_MS     1000 /* a batch unanswered this long: Prometheus is away */
#define CLOSE_SPOOL_MS 500  /* at the very end, for what is still in memory */

typedef struct mon {
    const mon_opts *o;
    mon_outbox *out;
    promrw_batch *batch;
    mon_samples samples;
    mon_ptree *tree;
    mon_node *node;
    mon_gpu *gpu;
    mon_scrape *scrape;
    abuf buf;
    int64_t last_ts;
    uint64_t ticks;
} mon;

/* ---- one tick ------------------------------------------------------------------------------- */

static int64_t next_ts(mon *m)
{
    int64_t ts = aifb_now_ms();
    if (ts <= m->last_ts + 1) /* +1: the stale markers of a final tick sit at ts + 1 */
        ts = m->last_ts + 2;
    m->last_ts = ts;
    return ts;
}

static void own_health(mon *m, const scrape_result *sr)
{
    mon_outbox_stats st;
    outbox_stats(m->out, &st);
    mon_samples *s = &m->samples;
    mon_samples_add(s, M_MON_SAMPLES_SENT, (double)st.samples_sent, NULL, NULL);
    mon_samples_add(s, M_MON_BYTES_SENT, (double)st.bytes_sent, NULL, NULL);
    mon_samples_add(s, M_MON_RETRIES, (double)st.retries, NULL, NULL);
    mon_samples_add(s, M_MON_SAMPLES_DROPPED, (double)st.samples_dropped, NULL, NULL);
    mon_samples_add(s, M_MON_BUFFERED, (double)st.mem_bytes, "memory", NULL);
    mon_samples_add(s, M_MON_BUFFERED, (double)st.disk_bytes, "disk", NULL);
    struct rusage ru;
    if (!getrusage(RUSAGE_SELF, &ru))
        mon_samples_add(s, M_MON_CPU,
                        (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                            (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6,
                        NULL, NULL);
    unsigned long long pages, resident;
    if (mon_read_file("", "/proc/self/statm", &m->buf) &&
        sscanf(m->buf.p, "%llu %llu", &pages, &resident) == 2)
        mon_samples_add(s, M_MON_RSS, (double)resident * (double)sysconf(_SC_PAGESIZE), NULL, NULL);
    if (sr) {
        mon_samples_add(s, M_MON_SCRAPE_UP, sr->up, NULL, NULL);
        mon_samples_add(s, M_MON_SCRAPE_DURATION, sr->duration_s, NULL, NULL);
        mon_samples_add(s, M_MON_SCRAPE_SAMPLES, (double)sr->samples, NULL, NULL);
    }
}

/* Samples everything at one timestamp and queues the batch; on the final tick every series also
 * gets its stale marker. False when the watched processes are gone (this was the last tick). */
static bool tick(mon *m, bool final)
{
    int64_t ts = next_ts(m);
    mon_samples_clear(&m->samples);
    promrw_batch_clear(m->batch);
    bool alive = true;
    if (m->tree)
        alive = ptree_collect(m->tree, &m->samples);
    if (m->node)
        node_collect(m->node, &m->samples);
    gpu_collect(m->gpu, &m->samples);
    scrape_result sr;
    if (m->scrape) {
        int64_t timeout = m->o->interval_ms * 9 / 10;
        scrape_collect(m->scrape, m->batch, ts, (int)(timeout < 100 ? 100 : timeout), &sr);
    }
    own_health(m, m->scrape ? &sr : NULL);
    aifb_err err = {0};
    if (mon_samples_to_batch(&m->samples, m->batch, ts, &err) && m->ticks == 0)
        log_warn("some series were left out: %s", err.msg);
    if (final || !alive) {
        for (size_t i = 0, n = promrw_batch_series(m->batch); i < n; i++)
            promrw_stale_add(m->batch, i, ts + 1, NULL);
        scrape_stale(m->scrape, m->batch, ts + 1);
    }
    void *body;
    size_t len;
    if (promrw_batch_encode(m->batch, &body, &len, &err) == AIFB_OK)
        outbox_push(m->out, body, len, promrw_batch_samples(m->batch));
    else
        log_warn("a batch could not be encoded: %s", err.msg);
    m->ticks++;
    return alive;
}

/* ---- setting up and tearing down ------------------------------------------------------------ */

static int setup_labels(mon *m)
{
    const mon_opts *o = m->o;
    promrw_label l[MON_MAX_LABELS + 1];
    size_t n = 0;
    l[n++] = (promrw_label){"instance", o->instance};
    for (size_t i = 0; i < o->nlabels; i++)
        l[n++] = (promrw_label){o->labels[i].name, o->labels[i].value};
    aifb_err err = {0};
    if (promrw_batch_const_labels(m->batch, l, n, &err) != AIFB_OK) {
        fprintf(stderr, "aifb-monitor: --label: %s\n", err.msg);
        return 2;
    }
    return 0;
}

static int setup_sources(mon *m)
{
    const mon_opts *o = m->o;
    aifb_err err = {0};
    if (o->pid) {
        m->tree = ptree_new_pid(o->root, o->pid, &err);
        if (!m->tree) {
            fprintf(stderr, "aifb-monitor: --pid: %s\n", err.msg);
            return 1;
        }
    } else if (o->job) {
        char dir[4096];
        if (cgroup_job_dir(o->root, o->job_id, dir, sizeof dir, &err) == AIFB_OK) {
            log_info("watching the processes of the cgroup %s", dir);
            m->tree = ptree_new_cgroup(o->root, dir, (int)getpid());
        } else if (o->job_by_default) {
            log_warn("no process series: %s", err.msg);
        } else {
            fprintf(stderr, "aifb-monitor: %s\n", err.msg);
            return 1;
        }
    }
    if (!o->no_node)
        m->node = node_new(o->root);
    if (!o->no_gpu)
        m->gpu = gpu_open(o->nvml_library);
    if (o->scrape_url) {
        const char *taken[MON_MAX_LABELS + 1];
        size_t n = 0;
        taken[n++] = "instance";
        for (size_t i = 0; i < o->nlabels; i++)
            taken[n++] = o->labels[i].name;
        m->scrape = scrape_new(o->scrape_url, taken, n, &err);
        if (!m->scrape) {
            fprintf(stderr, "aifb-monitor: %s\n", err.msg);
            return 1;
        }
    }
    return 0;
}

static int setup(mon *m, const char *token)
{
    m->batch = promrw_batch_new();
    int rc = setup_labels(m);
    if (rc)
        return rc;
    const mon_opts *o = m->o;
    promrw_sender_opts so = {.bearer_token = token, .backoff_min_ms = 100, .backoff_max_ms = 1000};
    aifb_err err = {0};
    aifb_code c = outbox_new(o->remote_write, &so, o->memory_buffer, o->spool_dir,
                             o->spool_max_bytes, &m->out, &err);
    if (c != AIFB_OK) {
        fprintf(stderr, "aifb-monitor: %s\n", err.msg);
        return c == AIFB_EINVAL ? 2 : 1;
    }
    return setup_sources(m);
}

static void teardown(mon *m)
{
    ptree_free(m->tree);
    node_free(m->node);
    gpu_close(m->gpu);
    scrape_free(m->scrape);
    promrw_batch_free(m->batch);
    mon_samples_free(&m->samples);
    abuf_free(&m->buf);
}

/* ---- the loop ------------------------------------------------------------------------------- */

/* The stop signal if one came within timeout_ms (0: just look), else 0. */
static int wait_signal(int64_t timeout_ms)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    if (timeout_ms < 0)
        timeout_ms = 0;
    struct timespec t = {(time_t)(timeout_ms / 1000), (long)(timeout_ms % 1000) * 1000000L};
    int sig = sigtimedwait(&set, NULL, &t);
    return sig > 0 ? sig : 0;
}

/* Sleeps until the monotonic time until, pumping the outbox; a stop signal ends it early. */
static int idle_until(mon *m, int64_t until)
{
    for (;;) {
        int64_t left = until - aifb_mono_ms();
        if (left <= 0)
            return 0;
        if (!outbox_pump(m->out))
            return wait_signal(left);
        outbox_wait(m->out, (int)(left < WAIT_SLICE_MS ? left : WAIT_SLICE_MS));
        int sig = wait_signal(0);
        if (sig)
            return sig;
    }
}

/* Runs ticks until the end; says why it ended in why. */
static void run_loop(mon *m, char *why, size_t n)
{
    const mon_opts *o = m->o;
    int64_t start = aifb_mono_ms(), next = start;
    int64_t end = o->duration_ms ? start + o->duration_ms : INT64_MAX;
    for (;;) {
        int64_t now = aifb_mono_ms();
        if (now >= end) {
            snprintf(why, n, "--duration has passed");
            break;
        }
        if (now >= next) {
            if (!tick(m, false)) {
                snprintf(why, n, o->pid ? "process %d has ended" : "the job's processes ended",
                         o->pid);
                return; /* that tick was the last, stale markers included */
            }
            next += o->interval_ms;
            if (next <= now) /* fell behind (a slow scrape, a stopped machine): skip */
                next = now + o->interval_ms;
        }
        int sig = idle_until(m, next < end ? next : end);
        if (sig) {
            snprintf(why, n, "%s", strsignal(sig));
            break;
        }
    }
    tick(m, true);
}

/* Sends what is buffered until it is all out, the flush timeout passes or a signal comes. */
static void drain(mon *m)
{
    int64_t deadline = aifb_mono_ms() + m->o->flush_timeout_ms;
    while (!outbox_empty(m->out)) {
        int64_t left = deadline - aifb_mono_ms();
        if (left <= 0)
            break;
        outbox_pump(m->out);
        /* Prometheus away: meanwhile, memory goes to the spool, where it would go at the end */
        if (!outbox_spill_one(m->out, STALLED_MS))
            outbox_wait(m->out, (int)(left < WAIT_SLICE_MS ? left : WAIT_SLICE_MS));
        if (wait_signal(0)) {
            log_warn("a second signal: not waiting for the rest to be sent");
            break;
        }
    }
}

static void describe(const mon *m)
{
    const mon_opts *o = m->o;
    abuf what = {0};
    if (o->pid)
        abuf_printf(&what, "process %d and its descendants, ", o->pid);
    else if (m->tree)
        abuf_puts(&what, "the Slurm job's processes, ");
    if (m->node)
        abuf_puts(&what, "the node, ");
    abuf_printf(&what, "%u GPUs", gpu_count(m->gpu));
    if (o->scrape_url)
        abuf_printf(&what, ", %s", o->scrape_url);
    log_info("every %lld ms: %s -> %s (instance=%s%s)", (long long)o->interval_ms, what.p,
             o->remote_write, o->instance,
             o->token_file || getenv("AIFB_PROM_TOKEN") ? ", token=(set)" : "");
    abuf_free(&what);
}

int monitor_run(const mon_opts *o, const char *token)
{
    mon m = {.o = o};
    int rc = setup(&m, token);
    if (rc) {
        if (m.out) {
            mon_outbox_stats st;
            outbox_close(m.out, 0, &st);
        }
        teardown(&m);
        return rc;
    }
    describe(&m);
    char why[128] = "";
    run_loop(&m, why, sizeof why);
    drain(&m);
    mon_outbox_stats st;
    outbox_close(m.out, CLOSE_SPOOL_MS, &st);
    fprintf(stderr,
            "aifb-monitor: done (%s): %llu samples in %llu batches sent (%llu bytes), %llu "
            "retries, %llu samples dropped; %llu batches left in the spool%s%s\n",
            why, (unsigned long long)st.samples_sent, (unsigned long long)st.batches_sent,
            (unsigned long long)st.bytes_sent, (unsigned long long)st.retries,
            (unsigned long long)st.samples_dropped, (unsigned long long)st.disk_batches,
            st.last_error[0] ? "; last problem: " : "", st.last_error);
    teardown(&m);
    return 0;
}
