/* test_exec_support.h: what the local executor's tests share: a temporary run folder and an
 * executor per test, cleanup that kills every process group the test left (read from the pid
 * files, so it works even after a failed assertion), polling a plan until it ends, small
 * service programs (a TCP listener in Python), and file helpers. Included by test_exec_*.c only;
 * every function is static inline so each test program uses what it needs. */
#ifndef AIFB_TEST_EXEC_SUPPORT_H
#define AIFB_TEST_EXEC_SUPPORT_H

#include <criterion/criterion.h>
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "exec/executor.h"

/* Listens on 127.0.0.1:<argv[1]> and accepts forever; exits 0 on SIGTERM like a polite server. */
#define TEST_PY_LISTENER                                                                           \
    "import socket,sys,signal\n"                                                                   \
    "signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))\n"                                      \
    "s=socket.socket()\n"                                                                          \
    "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"                                    \
    "s.bind(('127.0.0.1', int(sys.argv[1])))\n"                                                    \
    "s.listen(16)\n"                                                                               \
    "while True:\n"                                                                                \
    "    c,_=s.accept(); c.close()\n"

static const char *const test_python_search[] = {"/usr/bin", NULL};

static char test_dir[256];
static executor *test_ex;

static inline int test_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
    (void)st;
    (void)flag;
    (void)f;
    remove(path);
    return 0;
}

static inline void test_path(char *out, size_t outlen, const char *name)
{
    snprintf(out, outlen, "%s/%s", test_dir, name);
}

/* The pgid recorded in <test_dir>/<role>.pid, or 0. */
static inline pid_t test_pgid(const char *role)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.pid", test_dir, role);
    FILE *f = fopen(path, "r");
    int pgid = 0;
    if (f) {
        if (fscanf(f, "%d", &pgid) != 1)
            pgid = 0;
        fclose(f);
    }
    return pgid;
}

static inline bool test_group_alive(pid_t pgid)
{
    return pgid > 0 && (kill(-pgid, 0) == 0 || errno == EPERM);
}

static inline void test_setup(void)
{
    snprintf(test_dir, sizeof test_dir, "/tmp/aifb-exec-test-XXXXXX");
    cr_assert_not_null(mkdtemp(test_dir));
    aifb_err err = {0};
    cr_assert_eq(exec_local_new(200, &test_ex, &err), AIFB_OK, "%s", err.msg);
}

static inline void test_teardown(void)
{
    const char *roles[] = {"service", "client"};
    for (int i = 0; i < 2; i++) {
        pid_t pgid = test_pgid(roles[i]);
        if (pgid > 0)
            kill(-pgid, SIGKILL);
    }
    if (test_ex) {
        test_ex->ops->shutdown(test_ex);
        test_ex->ops->free(test_ex);
        test_ex = NULL;
    }
    nftw(test_dir, test_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static inline void test_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A TCP port nobody listens on right now. */
static inline int test_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

/* Polls until the plan is in a final phase (at most 20 s, a guard against hangs rather than a
 * speed requirement); *seen collects a bit per phase reported on the way. */
static inline exec_status test_poll_until_final(executor *ex, const char *id, unsigned *seen)
{
    exec_status st = {0};
    for (int i = 0; i < 1000; i++) {
        aifb_err err = {0};
        cr_assert_eq(ex->ops->poll(ex, id, &st, &err), AIFB_OK, "%s", err.msg);
        if (seen)
            *seen |= 1u << st.phase;
        if (st.phase >= EXEC_SUCCEEDED)
            return st;
        test_sleep_ms(20);
    }
    cr_assert_fail("plan %s did not end; last phase %d", id, st.phase);
    return st;
}

/* Polls until the plan reports phase (or ends, which fails the test). */
static inline void test_poll_until_phase(executor *ex, const char *id, exec_phase phase)
{
    exec_status st = {0};
    for (int i = 0; i < 1000; i++) {
        aifb_err err = {0};
        cr_assert_eq(ex->ops->poll(ex, id, &st, &err), AIFB_OK, "%s", err.msg);
        if (st.phase == phase)
            return;
        cr_assert(st.phase < EXEC_SUCCEEDED, "plan %s ended (%d: %s) before phase %d", id, st.phase,
                  st.reason, phase);
        test_sleep_ms(20);
    }
    cr_assert_fail("plan %s never reached phase %d", id, phase);
}

/* The whole file <test_dir>/<name> (empty string when missing); the caller frees it. */
static inline char *test_read(const char *name)
{
    char path[512];
    test_path(path, sizeof path, name);
    char *text = NULL;
    if (aifb_read_file(path, 1 << 20, &text, NULL, NULL) != AIFB_OK)
        text = xstrdup("");
    return text;
}

static inline bool test_exists(const char *name)
{
    char path[512];
    test_path(path, sizeof path, name);
    return access(path, F_OK) == 0;
}

/* A benchmark plan: the Python listener on port as the service with a TCP probe, and client. */
static inline exec_plan test_benchmark_plan(const char *id, char **svc_argv, char **cli_argv,
                                            int port)
{
    exec_plan p = {0};
    p.id = id;
    p.dir = test_dir;
    p.has_service = true;
    p.service.main.argv = svc_argv;
    p.service.search = test_python_search;
    p.probe.kind = EXEC_PROBE_TCP;
    p.probe.host = "127.0.0.1";
    p.probe.port = port;
    p.probe.timeout_ms = 10000;
    p.probe.interval_ms = 50;
    p.has_client = true;
    p.client.main.argv = cli_argv;
    return p;
}

#endif
