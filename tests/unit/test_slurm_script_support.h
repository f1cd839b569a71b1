/* test_slurm_script_support.h: what the job-script tests share: a temporary folder per test with
 * a remote base and run folder inside, stand-in programs on a fake PATH that record what they
 * receive (argv and environment NUL-separated, working folder), running a generated script with
 * bash (in its own process group, killed in teardown so nothing survives a failed assertion),
 * hostile strings, and small file helpers. Included by test_slurm_script_*.c only. */
#ifndef AIFB_TEST_SLURM_SCRIPT_SUPPORT_H
#define AIFB_TEST_SLURM_SCRIPT_SUPPORT_H

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "slurm/slurm_script.h"

#define T_ID "r-0123456789ab"

static char t_dir[256];    /* the test's folder */
static char t_base[300];   /* remote_base */
static char t_rundir[400]; /* <remote_base>/runs/<id> */
static char t_marker[300]; /* what an injection would create */
static pid_t t_pgids[8];
static size_t t_npgids;

static inline int t_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
    (void)st;
    (void)flag;
    (void)f;
    remove(path);
    return 0;
}

static inline void t_path(char *out, size_t outlen, const char *rel)
{
    snprintf(out, outlen, "%s/%s", t_dir, rel);
}

static inline void t_mkdir(const char *rel)
{
    char p[1024];
    t_path(p, sizeof p, rel);
    cr_assert(mkdir(p, 0755) == 0 || errno == EEXIST, "mkdir %s", p);
}

static inline void t_setup(void)
{
    snprintf(t_dir, sizeof t_dir, "/tmp/aifb-slurm-script-XXXXXX");
    cr_assert_not_null(mkdtemp(t_dir));
    t_mkdir("bin");
    t_mkdir("log");
    t_mkdir("base");
    t_mkdir("base/runs");
    t_mkdir("base/runs/" T_ID);
    snprintf(t_base, sizeof t_base, "%s/base", t_dir);
    snprintf(t_rundir, sizeof t_rundir, "%s/runs/%s", t_base, T_ID);
    snprintf(t_marker, sizeof t_marker, "%s/pwned", t_dir);
    t_npgids = 0;
}

static inline void t_teardown(void)
{
    for (size_t i = 0; i < t_npgids; i++)
        kill(-t_pgids[i], SIGKILL);
    if (t_dir[0])
        nftw(t_dir, t_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static inline void t_write(const char *path, const char *data, size_t len, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    cr_assert(fd >= 0, "open %s", path);
    cr_assert_eq(write(fd, data, len), (ssize_t)len);
    close(fd);
}

/* A program on the fake PATH (or in folder rel_dir when given) that records its argv to
 * log/<name>.argv, its environment to log/<name>.env and its folder to log/<name>.pwd, then runs
 * the shell text after. */
static inline void t_standin_in(const char *rel_dir, const char *name, const char *after)
{
    char path[1024], body[4096];
    snprintf(path, sizeof path, "%s/%s/%s", t_dir, rel_dir ? rel_dir : "bin", name);
    snprintf(body, sizeof body,
             "#!/bin/bash\n"
             "log='%s/log/%s'\n"
             "printf '%%s\\0' \"$@\" > \"$log.argv\"\n"
             "env -0 > \"$log.env\"\n"
             "printf '%%s' \"$PWD\" > \"$log.pwd\"\n"
             "%s\n",
             t_dir, name, after ? after : "");
    t_write(path, body, strlen(body), 0755);
}

static inline void t_standin(const char *name, const char *after)
{
    t_standin_in(NULL, name, after);
}

/* apptainer: records the image (log/apptainer.images, NUL after each) and whether --nv came
 * (log/apptainer.nv, a line per call), then runs the command it was given. module: records
 * every call's argv. */
static inline void t_standin_apptainer_module(void)
{
    char path[1024], body[2048];
    snprintf(path, sizeof path, "%s/bin/apptainer", t_dir);
    snprintf(body, sizeof body,
             "#!/bin/bash\n"
             "log='%s/log'\n"
             "[ \"$1\" = exec ] || exit 90\n"
             "shift\n"
             "nv=no\n"
             "if [ \"$1\" = --nv ]; then nv=yes; shift; fi\n"
             "printf '%%s\\0' \"$1\" >> \"$log/apptainer.images\"\n"
             "printf '%%s\\n' \"$nv\" >> \"$log/apptainer.nv\"\n"
             "shift\n"
             "exec \"$@\"\n",
             t_dir);
    t_write(path, body, strlen(body), 0755);
    snprintf(path, sizeof path, "%s/bin/module", t_dir);
    snprintf(body, sizeof body, "#!/bin/bash\nprintf '%%s\\0' \"$@\" >> '%s/log/module.argv'\n",
             t_dir);
    t_write(path, body, strlen(body), 0755);
}

/* Reads <t_dir>/<rel>; NULL when it does not exist. */
static inline char *t_read(const char *rel, size_t *len)
{
    char path[1024];
    t_path(path, sizeof path, rel);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    for (size_t got; (got = fread(buf + n, 1, cap - n - 1, f)) > 0;) {
        n += got;
        if (cap - n < 2)
            buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

static inline bool t_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Starts `bash script` with PATH=<fake bin>:/usr/bin:/bin and AIFB_MARK=<the marker's path>
 * (for hostile values that cannot hold a '/'), stdout and stderr to
 * log/script.out and log/script.err, in its own process group. */
static inline pid_t t_start(const char *script)
{
    char path[1024], out[1024], errp[1024], env_path[1200];
    t_path(path, sizeof path, "job.sh");
    t_write(path, script, strlen(script), 0644);
    t_path(out, sizeof out, "log/script.out");
    t_path(errp, sizeof errp, "log/script.err");
    snprintf(env_path, sizeof env_path, "%s/bin:/usr/bin:/bin", t_dir);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        setpgid(0, 0);
        int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int n = open("/dev/null", O_RDONLY);
        dup2(n, 0);
        dup2(o, 1);
        dup2(e, 2);
        setenv("PATH", env_path, 1);
        setenv("AIFB_MARK", t_marker, 1);
        if (chdir(t_dir) != 0)
            _exit(126);
        execl("/bin/bash", "bash", path, (char *)NULL);
        _exit(127);
    }
    setpgid(pid, pid);
    if (t_npgids < sizeof t_pgids / sizeof t_pgids[0])
        t_pgids[t_npgids++] = pid;
    return pid;
}

/* The script's exit status; a signal death fails the test. */
static inline int t_wait(pid_t pid)
{
    int ws = 0;
    cr_assert_eq(waitpid(pid, &ws, 0), pid);
    cr_assert(WIFEXITED(ws), "the script died of signal %d", WTERMSIG(ws));
    return WEXITSTATUS(ws);
}

static inline int t_run(const char *script)
{
    return t_wait(t_start(script));
}

/* Whether `bash -n` accepts the script. */
static inline bool t_syntax_ok(const char *script)
{
    char path[1024], cmd[1200];
    t_path(path, sizeof path, "syntax.sh");
    t_write(path, script, strlen(script), 0644);
    snprintf(cmd, sizeof cmd, "bash -n '%s'", path);
    return system(cmd) == 0;
}

/* Waits (up to 20 s, a liveness bound rather than a speed check) until rel exists. */
static inline bool t_await_file(const char *rel)
{
    char path[1024];
    t_path(path, sizeof path, rel);
    for (int i = 0; i < 400; i++) {
        if (t_exists(path))
            return true;
        usleep(50 * 1000);
    }
    return false;
}

/* A TCP port on 127.0.0.1 that nothing listens on (bound, read, closed). */
static inline int t_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t len = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &len);
    close(fd);
    return ntohs(a.sin_port);
}

/* A listening socket on 127.0.0.1 (connections queue in the backlog; nobody accepts). */
static inline int t_listen(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(listen(fd, 64), 0);
    socklen_t len = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &len);
    *port = ntohs(a.sin_port);
    return fd;
}

/* Whether the NUL-separated list in buf (len bytes) holds entry. */
static inline bool t_nul_list_has(const char *buf, size_t len, const char *entry)
{
    for (size_t i = 0; i < len; i += strlen(buf + i) + 1)
        if (!strcmp(buf + i, entry))
            return true;
    return false;
}

/* Options that place a job in the test's folder. */
static inline slurm_opts t_opts(void)
{
    return (slurm_opts){.account = "p200000",
                        .partition = "cpu",
                        .qos = "default",
                        .time_limit_min = 30,
                        .nodes = 1,
                        .tasks = 1,
                        .cpus_per_task = 2,
                        .memory_mb = 1024,
                        .remote_base = t_base};
}

#endif
