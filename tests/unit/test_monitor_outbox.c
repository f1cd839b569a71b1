/* test_monitor_outbox.c: the monitor's ordered outbox against a tiny receiver started here (a
 * thread on 127.0.0.1:0 answering 503 while "down", 400 to a body starting "refuse", 204
 * otherwise, and recording what it took). Bodies are short strings: the outbox never looks
 * inside them. Whatever the outage, the receiver must take the batches oldest first, each once:
 * from memory, through the disk spool, and across a restart on the same spool. Without a spool a
 * full memory drops the oldest batches, never the one in flight. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/util.h"
#include "monitor/outbox.h"

#define MAX_TAKEN 64

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static bool down;
static char taken[MAX_TAKEN][32];
static int ntaken, nrefused;
static char url[128], spool_dir[64];

static bool read_request(int fd, abuf *body)
{
    abuf in = {0};
    char buf[4096], *end;
    while (!(end = memmem(in.p ? in.p : "", in.len, "\r\n\r\n", 4))) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0) {
            abuf_free(&in);
            return false;
        }
        abuf_append(&in, buf, (size_t)n);
    }
    size_t head = (size_t)(end - in.p) + 4;
    const char *cl = strcasestr(in.p, "Content-Length:");
    size_t want = head + (cl ? strtoul(cl + 15, NULL, 10) : 0);
    while (in.len < want) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0) {
            abuf_free(&in);
            return false;
        }
        abuf_append(&in, buf, (size_t)n);
    }
    body->len = 0;
    abuf_append(body, in.p + head, want - head);
    abuf_free(&in);
    return true;
}

static void *serve(void *arg)
{
    int lfd = (int)(intptr_t)arg;
    for (int fd; (fd = accept(lfd, NULL, NULL)) >= 0; close(fd)) {
        abuf body = {0};
        while (read_request(fd, &body)) {
            int status = 204;
            pthread_mutex_lock(&mu);
            if (down)
                status = 503;
            else if (!strncmp(body.p, "refuse", 6)) {
                status = 400;
                nrefused++;
            } else if (ntaken < MAX_TAKEN)
                snprintf(taken[ntaken++], sizeof taken[0], "%s", body.p);
            pthread_mutex_unlock(&mu);
            char out[128];
            int n = snprintf(out, sizeof out, "HTTP/1.1 %d X\r\nContent-Length: 0\r\n\r\n", status);
            if (send(fd, out, (size_t)n, MSG_NOSIGNAL) != n)
                break;
        }
        abuf_free(&body);
    }
    return NULL;
}

static void setup(void)
{
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    cr_assert_eq(bind(lfd, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(listen(lfd, 8), 0);
    getsockname(lfd, (struct sockaddr *)&a, &alen);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/api/v1/write", ntohs(a.sin_port));
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, serve, (void *)(intptr_t)lfd), 0);
    pthread_detach(th);
    snprintf(spool_dir, sizeof spool_dir, "/tmp/aifb-outbox-XXXXXX");
    cr_assert_not_null(mkdtemp(spool_dir));
}

static void teardown(void)
{
    DIR *d = opendir(spool_dir);
    for (struct dirent *e; d && (e = readdir(d));) {
        char p[512];
        snprintf(p, sizeof p, "%s/%s", spool_dir, e->d_name);
        if (e->d_name[0] != '.' || strlen(e->d_name) > 2)
            unlink(p);
    }
    if (d)
        closedir(d);
    rmdir(spool_dir);
}

TestSuite(monitor_outbox, .init = setup, .fini = teardown, .timeout = 60);

static void set_down(bool v)
{
    pthread_mutex_lock(&mu);
    down = v;
    pthread_mutex_unlock(&mu);
}

static mon_outbox *open_outbox(size_t mem_max, const char *spool)
{
    promrw_sender_opts so = {.backoff_min_ms = 5, .backoff_max_ms = 20};
    mon_outbox *o;
    aifb_err err = {0};
    cr_assert_eq(outbox_new(url, &so, mem_max, spool, 0, &o, &err), AIFB_OK, "%s", err.msg);
    return o;
}

/* Pushes "<prefix>NN" for NN in [from, to), each a batch of 3 samples, pumping as the monitor's
 * loop does. */
static void push_range(mon_outbox *o, const char *prefix, int from, int to)
{
    for (int i = from; i < to; i++) {
        char b[32];
        int n = snprintf(b, sizeof b, "%s%02d", prefix, i);
        outbox_push(o, xstrdup(b), (size_t)n, 3);
        outbox_wait(o, 5);
    }
}

static void drain(mon_outbox *o)
{
    int64_t deadline = aifb_mono_ms() + 20000;
    while (!outbox_empty(o) && aifb_mono_ms() < deadline)
        outbox_wait(o, 50);
    cr_assert(outbox_empty(o), "still buffered after 20 s");
}

/* The receiver took exactly these, in this order. */
static void expect_taken(const char *const *want)
{
    pthread_mutex_lock(&mu);
    int n = 0;
    for (; want[n]; n++) {
        cr_assert_lt(n, ntaken, "only %d batches arrived; missing %s", ntaken, want[n]);
        cr_assert_str_eq(taken[n], want[n], "batch %d", n);
    }
    cr_assert_eq(ntaken, n, "%d batches arrived, %d expected", ntaken, n);
    pthread_mutex_unlock(&mu);
}

#define TAKEN(...) expect_taken((const char *const[]){__VA_ARGS__, NULL})

Test(monitor_outbox, an_outage_held_in_memory_is_resent_in_order)
{
    mon_outbox *o = open_outbox(1 << 20, NULL);
    push_range(o, "b", 0, 2);
    set_down(true);
    push_range(o, "b", 2, 10);
    mon_outbox_stats st;
    outbox_stats(o, &st);
    cr_assert_geq(st.mem_batches, 7, "%llu", (unsigned long long)st.mem_batches);
    cr_assert_gt(st.retries, 0);
    set_down(false);
    drain(o);
    TAKEN("b00", "b01", "b02", "b03", "b04", "b05", "b06", "b07", "b08", "b09");
    outbox_close(o, 5000, &st);
    cr_assert_eq(st.samples_sent, 30);
    cr_assert_eq(st.batches_sent, 10);
    cr_assert_eq(st.samples_dropped, 0);
}

Test(monitor_outbox, an_outage_beyond_memory_goes_through_the_spool_in_order)
{
    mon_outbox *o = open_outbox(8, spool_dir); /* two batches of 3 bytes and a half */
    set_down(true);
    push_range(o, "b", 0, 12);
    mon_outbox_stats st;
    outbox_stats(o, &st);
    cr_assert_geq(st.disk_batches, 9, "%llu on disk", (unsigned long long)st.disk_batches);
    cr_assert_leq(st.mem_bytes, 8);
    set_down(false);
    push_range(o, "b", 12, 14);
    drain(o);
    TAKEN("b00", "b01", "b02", "b03", "b04", "b05", "b06", "b07", "b08", "b09", "b10", "b11", "b12",
          "b13");
    outbox_close(o, 5000, &st);
    cr_assert_eq(st.disk_batches, 0);
    cr_assert_eq(st.samples_dropped, 0);
}

Test(monitor_outbox, what_is_left_at_the_end_is_sent_first_by_the_next_monitor)
{
    set_down(true);
    mon_outbox *o = open_outbox(1 << 20, spool_dir);
    push_range(o, "b", 0, 5);
    mon_outbox_stats st;
    outbox_close(o, 5000, &st);
    cr_assert_eq(st.disk_batches, 5, "the batch in flight and the four behind it");
    cr_assert_eq(st.samples_dropped, 0);
    o = open_outbox(1 << 20, spool_dir);
    push_range(o, "c", 0, 2);
    set_down(false);
    drain(o);
    TAKEN("b00", "b01", "b02", "b03", "b04", "c00", "c01");
    outbox_close(o, 5000, &st);
}

Test(monitor_outbox, at_the_end_memory_moves_to_the_spool_while_prometheus_is_away)
{
    set_down(true);
    mon_outbox *o = open_outbox(1 << 20, spool_dir);
    push_range(o, "b", 0, 6);
    cr_assert_not(outbox_spill_one(o, 60000), "the batch in flight has not waited a minute");
    int moved = 0;
    while (outbox_spill_one(o, 0))
        moved++;
    cr_assert_eq(moved, 6, "the batch in flight first, then the five behind it");
    mon_outbox_stats st;
    outbox_stats(o, &st);
    cr_assert_eq(st.mem_batches, 0);
    cr_assert_eq(st.disk_batches, 6);
    outbox_close(o, 0, &st);
    cr_assert_eq(st.disk_batches, 6);
    cr_assert_eq(st.samples_dropped, 0);
    o = open_outbox(1 << 20, spool_dir);
    set_down(false);
    drain(o);
    TAKEN("b00", "b01", "b02", "b03", "b04", "b05");
    outbox_close(o, 0, &st);
}

Test(monitor_outbox, a_close_out_of_time_drops_the_newest_and_says_so)
{
    set_down(true);
    mon_outbox *o = open_outbox(1 << 20, spool_dir);
    push_range(o, "b", 0, 4);
    mon_outbox_stats st;
    outbox_close(o, 0, &st);
    cr_assert_eq(st.batches_dropped, 4);
    cr_assert_eq(st.samples_dropped, 12);
    cr_assert_eq(st.disk_batches, 0);
}

Test(monitor_outbox, without_a_spool_a_full_memory_drops_the_oldest_but_the_one_in_flight)
{
    mon_outbox *o = open_outbox(9, NULL); /* three batches */
    set_down(true);
    push_range(o, "b", 0, 10);
    mon_outbox_stats st;
    outbox_stats(o, &st);
    cr_assert_eq(st.batches_dropped, 7);
    cr_assert_eq(st.samples_dropped, 21);
    set_down(false);
    drain(o);
    TAKEN("b00", "b08", "b09");
    outbox_close(o, 5000, &st);
}

Test(monitor_outbox, a_refused_batch_is_counted_and_the_next_goes_on)
{
    mon_outbox *o = open_outbox(1 << 20, NULL);
    outbox_push(o, xstrdup("b00"), 3, 3);
    outbox_push(o, xstrdup("refuse"), 6, 5);
    outbox_push(o, xstrdup("b02"), 3, 3);
    drain(o);
    TAKEN("b00", "b02");
    mon_outbox_stats st;
    outbox_close(o, 5000, &st);
    cr_assert_eq(nrefused, 1);
    cr_assert_eq(st.samples_dropped, 5);
    cr_assert_eq(st.samples_sent, 6);
}
