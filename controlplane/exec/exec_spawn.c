/* exec_spawn.c: see exec_spawn.h.
 *
 * The parent prepares an exec_launch (paths, argv and envp of every step, the user's ids, a
 * buffer for the status text), creates a close-on-exec pipe and forks. The child, the
 * supervisor, runs supervise(): from there to _exit() only async-signal-safe calls (open, dup2,
 * setsid, sigaction, fork, execve, waitpid, write, rename, _exit) and plain code on memory that
 * was allocated before the fork, because another thread of aifbd may have held malloc's lock at
 * fork time. It writes one byte on the pipe once it leads its group, so the parent never signals
 * a group that does not exist yet. Grandchildren (the commands) drop to the role's user and
 * reset every signal before execve; the supervisor stays root so it can write the status file in
 * the run folder and cannot be signalled by the user's processes. */
#include "exec_spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"

extern char **environ;

typedef struct exec_launch {
    char *out_path, *err_path, *status_path, *status_tmp, *workdir;
    size_t nsteps, nsetup;
    char **paths;
    char ***argvs;
    char ***envps;
    const exec_ident *ident;
    char status_text[128];
    /* The role's agents: started after main as aifbd's user, output to their own log, main's
     * pid written into pid_text and appended after the pid flag when there is one. */
    size_t nagents;
    char **agent_paths, **agent_logs;
    char ***agent_argvs;
    char ***agent_envps;
    pid_t *agent_pids;
    bool *agent_follows; /* given main's pid: it ends by itself once main has ended */
    char pid_text[24];
} exec_launch;

/* ---- environment -------------------------------------------------------------------------- */

static size_t env_key_len(const char *kv)
{
    const char *eq = strchr(kv, '=');
    return eq ? (size_t)(eq - kv) : strlen(kv);
}

/* Sets kv into the envp being built (replacing an entry with the same key). */
static void env_put(char ***envp, size_t *n, const char *kv)
{
    size_t klen = env_key_len(kv);
    for (size_t i = 0; i < *n; i++) {
        if (env_key_len((*envp)[i]) == klen && strncmp((*envp)[i], kv, klen) == 0) {
            free((*envp)[i]);
            (*envp)[i] = xstrdup(kv);
            return;
        }
    }
    *envp = xrealloc(*envp, (*n + 2) * sizeof **envp);
    (*envp)[(*n)++] = xstrdup(kv);
    (*envp)[*n] = NULL;
}

static void env_put_pair(char ***envp, size_t *n, const char *key, const char *value)
{
    abuf b = {0};
    abuf_printf(&b, "%s=%s", key, value);
    env_put(envp, n, b.p);
    abuf_free(&b);
}

/* aifbd's own credentials: its API token and its Slurm JWT. A benchmarked service or client has
 * no use for them, and must not be able to read them from its environment. (The agents' tokens
 * for Prometheus and Loki, AIFB_PROM_TOKEN and AIFB_LOKI_TOKEN, do go on: the agents beside the
 * role need them.) */
static bool aifbd_secret(const char *kv)
{
    static const char *const keys[] = {"AIFB_TOKEN", "SLURM_JWT"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (env_key_len(kv) == strlen(keys[i]) && strncmp(kv, keys[i], strlen(keys[i])) == 0)
            return true;
    return false;
}

/* aifbd's environment (without its own credentials), then the user's identity, then extra_env,
 * then the step's own entries: each layer overrides the one before. */
static char **build_envp(const exec_prog *prog, const exec_ident *id, char *const *extra_env)
{
    size_t n = 0;
    char **envp = xcalloc(1, sizeof *envp);
    for (size_t i = 0; environ && environ[i]; i++)
        if (!aifbd_secret(environ[i]))
            env_put(&envp, &n, environ[i]);
    if (id->drop) {
        env_put_pair(&envp, &n, "HOME", id->home);
        env_put_pair(&envp, &n, "USER", id->name);
        env_put_pair(&envp, &n, "LOGNAME", id->name);
    }
    for (size_t i = 0; extra_env && extra_env[i]; i++)
        env_put(&envp, &n, extra_env[i]);
    for (size_t i = 0; prog->env && prog->env[i]; i++)
        env_put(&envp, &n, prog->env[i]);
    return envp;
}

/* ---- preparing and freeing a launch ------------------------------------------------------- */

static char *role_file(const char *dir, const char *role, const char *suffix)
{
    abuf b = {0};
    abuf_printf(&b, "%s/%s%s", dir, role, suffix);
    return abuf_take(&b);
}

/* An agent's argv: the plan's, then the pid flag and a slot the supervisor fills with main's pid
 * (l->pid_text) once main exists. */
static char **agent_argv(exec_launch *l, const exec_prog *prog, const char *pid_flag)
{
    size_t n = 0;
    while (prog->argv[n])
        n++;
    char **v = xcalloc(n + 3, sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = xstrdup(prog->argv[i]);
    if (pid_flag) {
        v[n] = xstrdup(pid_flag);
        v[n + 1] = l->pid_text; /* not owned: launch_free skips it */
    }
    return v;
}

static void prepare_agents(exec_launch *l, const exec_role_spec *spec, const char *dir,
                           const char *role, char *const *extra_env)
{
    static const exec_ident as_aifbd = {0};
    l->nagents = spec->nagents;
    if (!l->nagents)
        return;
    l->agent_paths = xcalloc(l->nagents, sizeof *l->agent_paths);
    l->agent_logs = xcalloc(l->nagents, sizeof *l->agent_logs);
    l->agent_argvs = xcalloc(l->nagents, sizeof *l->agent_argvs);
    l->agent_envps = xcalloc(l->nagents, sizeof *l->agent_envps);
    l->agent_pids = xcalloc(l->nagents, sizeof *l->agent_pids);
    l->agent_follows = xcalloc(l->nagents, sizeof *l->agent_follows);
    for (size_t i = 0; i < l->nagents; i++) {
        abuf b = {0};
        abuf_printf(&b, "%s/%s.%s.log", dir, role, spec->agent_names[i]);
        l->agent_logs[i] = abuf_take(&b);
        l->agent_paths[i] = xstrdup(spec->agents[i].path);
        l->agent_argvs[i] = agent_argv(l, &spec->agents[i], spec->agent_pid_flags[i]);
        l->agent_follows[i] = spec->agent_pid_flags[i] != NULL;
        l->agent_envps[i] = build_envp(&spec->agents[i], &as_aifbd, extra_env);
    }
}

static void agents_free(exec_launch *l)
{
    for (size_t i = 0; i < l->nagents; i++) {
        char **v = l->agent_argvs[i];
        for (size_t k = 0; v[k]; k++)
            if (v[k] != l->pid_text)
                free(v[k]);
        free(v);
        free(l->agent_paths[i]);
        free(l->agent_logs[i]);
        exec_strv_free(l->agent_envps[i]);
    }
    free(l->agent_paths);
    free(l->agent_logs);
    free(l->agent_argvs);
    free(l->agent_envps);
    free(l->agent_pids);
    free(l->agent_follows);
}

static exec_launch *launch_prepare(const exec_role_spec *spec, const char *dir, const char *role,
                                   char *const *extra_env)
{
    exec_launch *l = xcalloc(1, sizeof *l);
    l->out_path = role_file(dir, role, ".out");
    l->err_path = role_file(dir, role, ".err");
    l->status_path = role_file(dir, role, ".status");
    l->status_tmp = role_file(dir, role, ".status.tmp");
    l->workdir = xstrdup(spec->workdir);
    l->nsteps = spec->nsteps;
    l->nsetup = spec->nsetup;
    l->paths = xcalloc(spec->nsteps, sizeof *l->paths);
    l->argvs = xcalloc(spec->nsteps, sizeof *l->argvs);
    l->envps = xcalloc(spec->nsteps, sizeof *l->envps);
    for (size_t i = 0; i < spec->nsteps; i++) {
        l->paths[i] = xstrdup(spec->steps[i].path);
        l->argvs[i] = exec_strv_dup(spec->steps[i].argv);
        l->envps[i] = build_envp(&spec->steps[i], &spec->ident, extra_env);
    }
    l->ident = &spec->ident;
    prepare_agents(l, spec, dir, role, extra_env);
    return l;
}

static void launch_free(exec_launch *l)
{
    for (size_t i = 0; i < l->nsteps; i++) {
        free(l->paths[i]);
        exec_strv_free(l->argvs[i]);
        exec_strv_free(l->envps[i]);
    }
    free(l->paths);
    free(l->argvs);
    free(l->envps);
    free(l->out_path);
    free(l->err_path);
    free(l->status_path);
    free(l->status_tmp);
    free(l->workdir);
    agents_free(l);
    free(l);
}

/* ---- the supervisor (after fork: async-signal-safe calls only) ------------------------------ */

static size_t safe_strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

static void safe_puts(int fd, const char *s)
{
    size_t n = safe_strlen(s);
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

/* Appends the decimal form of v at *p (snprintf is not async-signal-safe). */
static void safe_putint(char **p, long v)
{
    char digits[24];
    int n = 0;
    unsigned long u = v < 0 ? (unsigned long)-v : (unsigned long)v;
    do {
        digits[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *(*p)++ = '-';
    while (n)
        *(*p)++ = digits[--n];
}

static void safe_putstr(char **p, const char *s)
{
    while (*s)
        *(*p)++ = *s++;
}

/* Resets every signal to its default and unblocks all, as a fresh program expects: SIG_IGN
 * (the supervisor's SIGTERM) would otherwise survive execve. */
static void reset_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; s++)
        if (s != SIGKILL && s != SIGSTOP)
            sigaction(s, &sa, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

static void drop_privileges(const exec_ident *id)
{
    if (!id->drop)
        return;
    if (setgroups((size_t)id->ngroups, id->groups) != 0 || setgid(id->gid) != 0 ||
        setuid(id->uid) != 0) {
        safe_puts(2, "aifb supervisor: cannot switch to the role's user\n");
        _exit(126);
    }
}

__attribute__((noreturn)) static void run_step(const exec_launch *l, size_t i)
{
    reset_signals();
    drop_privileges(l->ident);
    execve(l->paths[i], l->argvs[i], l->envps[i]);
    safe_puts(2, "aifb supervisor: cannot execute ");
    safe_puts(2, l->paths[i]);
    safe_puts(2, "\n");
    _exit(127);
}

static void write_status(exec_launch *l, const char *step, long index, int ws)
{
    char *p = l->status_text;
    safe_putstr(&p, step);
    *p++ = ' ';
    safe_putint(&p, index);
    if (WIFSIGNALED(ws)) {
        safe_putstr(&p, " signal ");
        safe_putint(&p, WTERMSIG(ws));
    } else {
        safe_putstr(&p, " exit ");
        safe_putint(&p, WIFEXITED(ws) ? WEXITSTATUS(ws) : 255);
    }
    safe_putstr(&p, " wstatus ");
    safe_putint(&p, ws);
    *p++ = '\n';
    *p = '\0';
    int fd = open(l->status_tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    safe_puts(fd, l->status_text);
    fsync(fd);
    close(fd);
    rename(l->status_tmp, l->status_path);
}

static int redirect(int fd, const char *path, int flags)
{
    int f = open(path, flags | O_CLOEXEC, 0644);
    if (f < 0)
        return -1;
    int rc = dup2(f, fd); /* the duplicate does not carry O_CLOEXEC */
    close(f);
    return rc < 0 ? -1 : 0;
}

/* Closes every descriptor above stderr that aifbd may have left without O_CLOEXEC. */
static void close_other_fds(void)
{
    if (close_range(3, ~0U, 0) == 0)
        return;
    for (int fd = 3; fd < 4096; fd++)
        close(fd);
}

static void supervise_begin(exec_launch *l, int sync_fd)
{
    setsid();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; s++)
        if (s != SIGKILL && s != SIGSTOP)
            sigaction(s, &sa, NULL);
    /* A polite stop of the group ends the commands; the supervisor stays to record how. */
    sa.sa_handler = SIG_IGN;
    sigaction(SIGTERM, &sa, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    safe_puts(sync_fd, "r");
    close(sync_fd);
    if (redirect(0, "/dev/null", O_RDONLY) ||
        redirect(1, l->out_path, O_WRONLY | O_CREAT | O_APPEND) ||
        redirect(2, l->err_path, O_WRONLY | O_CREAT | O_APPEND)) {
        write_status(l, "start", 0, 126 << 8);
        _exit(126);
    }
    close_other_fds();
    if (chdir(l->workdir) != 0) {
        safe_puts(2, "aifb supervisor: cannot enter the workdir ");
        safe_puts(2, l->workdir);
        safe_puts(2, "\n");
        write_status(l, "start", 0, 126 << 8);
        _exit(126);
    }
}

/* ---- the agents, from the supervisor (async-signal-safe only) ---------------------------- */

#define AGENT_STOP_WAIT_MS 15000 /* from SIGTERM to SIGKILL: time to flush to a slow receiver */

static void start_agents(exec_launch *l, pid_t main_pid)
{
    char *p = l->pid_text;
    safe_putint(&p, main_pid);
    *p = '\0';
    for (size_t i = 0; i < l->nagents; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            /* A group of its own: stopping the role's group (a cancel, the end of the run)
             * stops main, and main's end then stops the agent, once, after main's last words. */
            setpgid(0, 0);
            reset_signals();
            if (redirect(1, l->agent_logs[i], O_WRONLY | O_CREAT | O_APPEND) || dup2(1, 2) < 0)
                _exit(126);
            execve(l->agent_paths[i], l->agent_argvs[i], l->agent_envps[i]);
            safe_puts(2, "aifb supervisor: cannot execute ");
            safe_puts(2, l->agent_paths[i]);
            safe_puts(2, "\n");
            _exit(127);
        }
        l->agent_pids[i] = pid > 0 ? pid : 0;
    }
}

static bool agents_running(exec_launch *l)
{
    bool any = false;
    for (size_t i = 0; i < l->nagents; i++) {
        if (l->agent_pids[i] <= 0)
            continue;
        int ws;
        pid_t r = waitpid(l->agent_pids[i], &ws, WNOHANG);
        if (r == l->agent_pids[i] || (r < 0 && errno == ECHILD))
            l->agent_pids[i] = 0;
        else
            any = true;
    }
    return any;
}

/* Main has ended: an agent that follows main's pid sees it and leaves by itself, any other is
 * asked to with one SIGTERM (a second one would cut its flush short); each is killed if it has
 * not left within AGENT_STOP_WAIT_MS, so the role's end is recorded only once nothing of it
 * runs. */
static void stop_agents(exec_launch *l)
{
    for (size_t i = 0; i < l->nagents; i++)
        if (l->agent_pids[i] > 0 && !l->agent_follows[i])
            kill(l->agent_pids[i], SIGTERM);
    struct timespec tick = {0, 50 * 1000 * 1000};
    for (int waited = 0; agents_running(l) && waited < AGENT_STOP_WAIT_MS; waited += 50)
        nanosleep(&tick, NULL);
    for (size_t i = 0; i < l->nagents; i++) {
        if (l->agent_pids[i] <= 0)
            continue;
        kill(l->agent_pids[i], SIGKILL);
        while (waitpid(l->agent_pids[i], NULL, 0) < 0 && errno == EINTR)
            ;
    }
}

__attribute__((noreturn)) static void supervise(exec_launch *l, int sync_fd)
{
    supervise_begin(l, sync_fd);
    int ws = 0;
    size_t i = 0;
    for (; i < l->nsteps; i++) {
        pid_t child = fork();
        if (child == 0)
            run_step(l, i);
        if (child < 0) {
            safe_puts(2, "aifb supervisor: fork failed\n");
            ws = 126 << 8;
            break;
        }
        if (i == l->nsetup)
            start_agents(l, child);
        /* Only main's end matters here; an agent that exits early is collected later. */
        while (waitpid(child, &ws, 0) < 0 && errno == EINTR)
            ;
        if (i == l->nsetup)
            stop_agents(l);
        if (i < l->nsetup && !(WIFEXITED(ws) && WEXITSTATUS(ws) == 0))
            break;
    }
    if (i >= l->nsteps || i == l->nsetup)
        write_status(l, "main", 0, ws);
    else
        write_status(l, "setup", (long)i + 1, ws);
    _exit(0);
}

/* The child of exec_spawn_simple(): a probe command, alone in its group so a kill reaches
 * whatever it starts. */
__attribute__((noreturn)) static void run_simple(const char *path, char *const *argv,
                                                 char *const *envp, const char *cwd)
{
    setpgid(0, 0);
    reset_signals();
    if (redirect(0, "/dev/null", O_RDONLY) || redirect(1, "/dev/null", O_WRONLY) ||
        redirect(2, "/dev/null", O_WRONLY) || chdir(cwd) != 0)
        _exit(126);
    close_other_fds();
    execve(path, argv, envp);
    _exit(127);
}

aifb_code exec_spawn_simple(const exec_prog *prog, const char *cwd, pid_t *pid, aifb_err *err)
{
    exec_ident as_aifbd = {0};
    char **envp = build_envp(prog, &as_aifbd, NULL);
    pid_t child = fork();
    if (child == 0)
        run_simple(prog->path, prog->argv, envp, cwd);
    int fork_errno = errno;
    exec_strv_free(envp);
    if (child < 0)
        return aifb_err_set(err, AIFB_ERESOURCE, "cannot run %s: fork: %s", prog->argv[0],
                            strerror(fork_errno));
    setpgid(child, child); /* also here, so a kill right after this call finds the group */
    *pid = child;
    return AIFB_OK;
}

/* ---- the parent's side ------------------------------------------------------------------- */

static aifb_code write_pidfile(const char *dir, const char *role, const exec_proc_id *id,
                               aifb_err *err)
{
    char *path = role_file(dir, role, ".pid");
    char text[64];
    int n = snprintf(text, sizeof text, "%d %llu\n", (int)id->pgid, id->starttime);
    aifb_code rc = aifb_write_file_atomic(path, text, (size_t)n, 0644, err);
    free(path);
    return rc;
}

/* Waits for the supervisor's byte (or the pipe's end if it died first). */
static void wait_for_group(int fd)
{
    char c;
    while (read(fd, &c, 1) < 0 && errno == EINTR)
        ;
    close(fd);
}

aifb_code exec_spawn_role(const exec_role_spec *spec, const char *dir, const char *role,
                          char *const *extra_env, exec_proc_id *out, aifb_err *err)
{
    exec_launch *l = launch_prepare(spec, dir, role, extra_env);
    int sync[2];
    if (pipe2(sync, O_CLOEXEC) != 0) {
        launch_free(l);
        return aifb_err_set(err, AIFB_ERESOURCE, "cannot start the %s: pipe: %s", role,
                            strerror(errno));
    }
    pid_t pid = fork();
    if (pid == 0) {
        close(sync[0]);
        supervise(l, sync[1]);
    }
    int fork_errno = errno;
    close(sync[1]);
    launch_free(l);
    if (pid < 0) {
        close(sync[0]);
        return aifb_err_set(err, AIFB_ERESOURCE, "cannot start the %s: fork: %s", role,
                            strerror(fork_errno));
    }
    wait_for_group(sync[0]);
    out->pgid = pid;
    out->starttime = 0;
    exec_proc_stat(pid, &out->starttime, NULL);
    return write_pidfile(dir, role, out, err);
}

aifb_code exec_pidfile_read(const char *dir, const char *role, exec_proc_id *out, int64_t *mtime_ms,
                            aifb_err *err)
{
    char *path = role_file(dir, role, ".pid");
    char *text = NULL;
    aifb_code rc = aifb_read_file(path, 256, &text, NULL, err);
    if (!rc) {
        int pgid = 0;
        if (sscanf(text, "%d %llu", &pgid, &out->starttime) != 2 || pgid <= 1)
            rc = aifb_err_set(err, AIFB_EDATALOSS, "%s does not hold '<pgid> <start time>'", path);
        out->pgid = pgid;
    }
    struct stat st;
    if (!rc && mtime_ms && stat(path, &st) == 0)
        *mtime_ms = (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
    free(text);
    free(path);
    return rc;
}

bool exec_status_read(const char *dir, const char *role, exec_role_end *out)
{
    char *path = role_file(dir, role, ".status");
    char *text = NULL;
    bool ok = false;
    if (aifb_read_file(path, 256, &text, NULL, NULL) == AIFB_OK) {
        char how[8];
        int value;
        ok = sscanf(text, "%7s %d %7s %d wstatus %d", out->step, &out->index, how, &value,
                    &out->wstatus) == 5;
    }
    free(text);
    free(path);
    return ok;
}

bool exec_proc_stat(pid_t pid, unsigned long long *starttime, char *state)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    char *text = NULL;
    if (aifb_read_file(path, 4096, &text, NULL, NULL) != AIFB_OK)
        return false;
    /* The command name (field 2) may hold spaces and parentheses: count from the last ')'. */
    char *p = strrchr(text, ')');
    bool ok = false;
    if (p) {
        char st = 0;
        unsigned long long start = 0;
        /* Fields 3..22 after ") ": state, then 18 numbers we skip, then the start time. */
        ok = sscanf(p + 1,
                    " %c %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s "
                    "%*s %*s %*s %llu",
                    &st, &start) == 2;
        if (ok && starttime)
            *starttime = start;
        if (ok && state)
            *state = st;
    }
    free(text);
    return ok;
}

bool exec_proc_alive(pid_t pid, unsigned long long starttime)
{
    unsigned long long start;
    char state;
    return exec_proc_stat(pid, &start, &state) && start == starttime && state != 'Z' &&
           state != 'X';
}

void exec_last_line(const char *path, char *out, size_t outlen)
{
    out[0] = '\0';
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    char buf[4096];
    off_t size = lseek(fd, 0, SEEK_END);
    off_t from = size > (off_t)sizeof buf - 1 ? size - (off_t)sizeof buf + 1 : 0;
    ssize_t n = pread(fd, buf, sizeof buf - 1, from);
    close(fd);
    if (n <= 0)
        return;
    buf[n] = '\0';
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
        buf[--n] = '\0';
    char *start = strrchr(buf, '\n');
    start = start ? start + 1 : buf;
    snprintf(out, outlen, "%s", start);
}

void exec_become_subreaper(void)
{
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

void exec_reap_group(pid_t pgid, bool *sup_done, int *sup_wstatus)
{
    int ws;
    pid_t w;
    while ((w = waitpid(-pgid, &ws, WNOHANG)) > 0) {
        if (w == pgid) {
            *sup_done = true;
            *sup_wstatus = ws;
        }
    }
}

bool exec_group_alive(pid_t pgid)
{
    return kill(-pgid, 0) == 0 || errno == EPERM;
}
