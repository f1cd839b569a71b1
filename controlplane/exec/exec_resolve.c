/* exec_resolve.c: see exec_resolve.h.
 *
 * Three lookups, each side-effect free until exec_resolve_workdir(): programs (search globs,
 * aifb's own programs beside the running executable, then PATH), users (getpwnam_r and
 * getgrouplist, both unusable after fork in a threaded process), and the reachability of a working
 * folder for a user who is not root, checked with the plain Unix permission bits of each parent
 * folder. */
#include "exec_resolve.h"

#include <errno.h>
#include <glob.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"

#define EXEC_DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"

char **exec_strv_dup(char *const *v)
{
    size_t n = 0;
    while (v && v[n])
        n++;
    char **out = xcalloc(n + 1, sizeof *out);
    for (size_t i = 0; i < n; i++)
        out[i] = xstrdup(v[i]);
    return out;
}

void exec_strv_free(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

void exec_prog_free(exec_prog *p)
{
    free(p->path);
    exec_strv_free(p->argv);
    exec_strv_free(p->env);
    memset(p, 0, sizeof *p);
}

static bool is_executable_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
}

/* Looks for name in folder; on success *out is a malloc'd path. */
static bool find_in_folder(const char *folder, const char *name, char **out)
{
    abuf b = {0};
    abuf_printf(&b, "%s/%s", folder, name);
    if (is_executable_file(b.p)) {
        *out = abuf_take(&b);
        return true;
    }
    abuf_free(&b);
    return false;
}

/* Descending version order: "15" before "9", "postgresql-16" before "postgresql-15". */
static int version_desc(const void *a, const void *b)
{
    return strverscmp(*(char *const *)b, *(char *const *)a);
}

static bool find_in_globs(const char *const *search, const char *name, char **out)
{
    for (size_t i = 0; search && search[i]; i++) {
        glob_t g;
        if (glob(search[i], GLOB_NOSORT | GLOB_ONLYDIR, NULL, &g) != 0) {
            globfree(&g);
            continue;
        }
        qsort(g.gl_pathv, g.gl_pathc, sizeof *g.gl_pathv, version_desc);
        bool found = false;
        for (size_t j = 0; j < g.gl_pathc && !found; j++)
            found = find_in_folder(g.gl_pathv[j], name, out);
        globfree(&g);
        if (found)
            return true;
    }
    return false;
}

/* The PATH the program itself will see: its own env entry wins over aifbd's. */
static const char *effective_path(const exec_cmd *cmd)
{
    for (size_t i = 0; cmd->env && cmd->env[i]; i++)
        if (strncmp(cmd->env[i], "PATH=", 5) == 0)
            return cmd->env[i] + 5;
    const char *p = getenv("PATH");
    return p && *p ? p : EXEC_DEFAULT_PATH;
}

static bool find_in_path(const char *path, const char *name, char **out)
{
    char *copy = xstrdup(path), *save = NULL;
    bool found = false;
    for (char *dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save))
        if (dir[0] == '/') /* relative entries would depend on the workdir: never trusted */
            found = find_in_folder(dir, name, out);
    free(copy);
    return found;
}

static bool is_own_program(const char *name)
{
    return strncmp(name, EXEC_OWN_PREFIX, strlen(EXEC_OWN_PREFIX)) == 0;
}

/* The folder of the running executable into dir; false when /proc cannot tell. */
static bool self_dir(char *dir, size_t len)
{
    ssize_t n = readlink("/proc/self/exe", dir, len - 1);
    if (n <= 0)
        return false;
    dir[n] = '\0';
    char *slash = strrchr(dir, '/');
    if (!slash)
        return false;
    *slash = '\0';
    if (!dir[0])
        snprintf(dir, len, "/");
    return true;
}

/* aifb's own programs (aifb-loadgen, aifb-llmsim) are built and installed beside aifbd, so a
 * build/bin/aifbd runs build/bin/aifb-loadgen whatever PATH holds. Other names never look
 * there: the folder of a daemon is no place to find redis-server. */
static bool find_beside_self(const char *name, char **out)
{
    char dir[PATH_MAX];
    return is_own_program(name) && self_dir(dir, sizeof dir) && find_in_folder(dir, name, out);
}

static aifb_code not_found(const char *name, const char *const *search, aifb_err *err)
{
    abuf where = {0};
    char dir[PATH_MAX];
    for (size_t i = 0; search && search[i]; i++)
        abuf_printf(&where, "%s, ", search[i]);
    if (is_own_program(name) && self_dir(dir, sizeof dir))
        abuf_printf(&where, "%s, ", dir);
    aifb_code rc = aifb_err_set(err, AIFB_EINVAL, "program '%s' not found in %sPATH", name,
                                where.p ? where.p : "");
    abuf_free(&where);
    return rc;
}

aifb_code exec_resolve_prog(const exec_cmd *cmd, const char *const *search, const char *cwd,
                            exec_prog *out, aifb_err *err)
{
    memset(out, 0, sizeof *out);
    const char *name = cmd->argv ? cmd->argv[0] : NULL;
    if (!name || !*name)
        return aifb_err_set(err, AIFB_EINVAL, "a command has no program (empty argv)");
    char *path = NULL;
    if (strchr(name, '/')) {
        abuf b = {0};
        if (name[0] == '/')
            abuf_puts(&b, name);
        else
            abuf_printf(&b, "%s/%s", cwd, name);
        if (!is_executable_file(b.p)) {
            abuf_free(&b);
            return aifb_err_set(err, AIFB_EINVAL, "program '%s' not found or not executable", name);
        }
        path = abuf_take(&b);
    } else if (!find_in_globs(search, name, &path) && !find_beside_self(name, &path) &&
               !find_in_path(effective_path(cmd), name, &path)) {
        return not_found(name, search, err);
    }
    out->path = path;
    out->argv = exec_strv_dup(cmd->argv);
    out->env = exec_strv_dup(cmd->env);
    return AIFB_OK;
}

static aifb_code resolve_user(const char *user, exec_ident *id, aifb_err *err)
{
    memset(id, 0, sizeof *id);
    if (!user)
        return AIFB_OK;
    long sz = sysconf(_SC_GETPW_R_SIZE_MAX);
    size_t bufsz = sz > 0 ? (size_t)sz : 16384;
    char *buf = xmalloc(bufsz);
    struct passwd pw, *res = NULL;
    int rc = getpwnam_r(user, &pw, buf, bufsz, &res);
    if (rc != 0 || !res) {
        free(buf);
        if (rc != 0 && rc != ENOENT && rc != ESRCH)
            return aifb_err_set(err, AIFB_EINTERNAL, "cannot look up user '%s': %s", user,
                                strerror(rc));
        return aifb_err_set(err, AIFB_EINVAL, "user '%s' does not exist", user);
    }
    id->name = xstrdup(user);
    id->home = xstrdup(pw.pw_dir);
    id->uid = pw.pw_uid;
    id->gid = pw.pw_gid;
    /* Only root can switch users; otherwise the role runs as aifbd, as the plan says. */
    id->drop = geteuid() == 0;
    int n = 64;
    id->groups = xcalloc((size_t)n, sizeof *id->groups);
    while (getgrouplist(user, pw.pw_gid, id->groups, &n) < 0) {
        free(id->groups);
        id->groups = xcalloc((size_t)n, sizeof *id->groups);
    }
    id->ngroups = n;
    free(buf);
    return AIFB_OK;
}

static void ident_free(exec_ident *id)
{
    free(id->name);
    free(id->home);
    free(id->groups);
    memset(id, 0, sizeof *id);
}

void exec_role_spec_free(exec_role_spec *s)
{
    for (size_t i = 0; i < s->nsteps; i++)
        exec_prog_free(&s->steps[i]);
    free(s->steps);
    for (size_t i = 0; i < s->nagents; i++) {
        exec_prog_free(&s->agents[i]);
        free(s->agent_names[i]);
        free(s->agent_pid_flags[i]);
    }
    free(s->agents);
    free(s->agent_names);
    free(s->agent_pid_flags);
    ident_free(&s->ident);
    free(s->workdir);
    memset(s, 0, sizeof *s);
}

/* An absolute form of path without touching the disk (the folder may not exist yet). */
static char *absolute_path(const char *path)
{
    if (path[0] == '/')
        return xstrdup(path);
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        return xstrdup(path);
    abuf b = {0};
    abuf_printf(&b, "%s/%s", cwd, path);
    return abuf_take(&b);
}

aifb_code exec_resolve_role(const exec_role *role, const char *role_name, const char *run_dir,
                            exec_role_spec *out, aifb_err *err)
{
    memset(out, 0, sizeof *out);
    exec_role_spec s = {0};
    s.own_workdir = role->workdir != NULL;
    s.workdir = absolute_path(role->workdir ? role->workdir : run_dir);
    s.nsetup = role->nsetup;
    s.nsteps = role->nsetup + 1;
    s.steps = xcalloc(s.nsteps, sizeof *s.steps);
    aifb_code rc = resolve_user(role->user, &s.ident, err);
    for (size_t i = 0; !rc && i < s.nsteps; i++) {
        const exec_cmd *cmd = i < role->nsetup ? &role->setup[i] : &role->main;
        rc = exec_resolve_prog(cmd, role->search, s.workdir, &s.steps[i], err);
        if (rc && i < role->nsetup)
            aifb_err_prefix(err, "%s setup command %zu", role_name, i + 1);
        else if (rc)
            aifb_err_prefix(err, "%s", role_name);
    }
    if (!rc && role->nagents) {
        s.nagents = role->nagents;
        s.agents = xcalloc(s.nagents, sizeof *s.agents);
        s.agent_names = xcalloc(s.nagents, sizeof *s.agent_names);
        s.agent_pid_flags = xcalloc(s.nagents, sizeof *s.agent_pid_flags);
        for (size_t i = 0; !rc && i < s.nagents; i++) {
            const exec_agent *a = &role->agents[i];
            s.agent_names[i] = xstrdup(a->name);
            s.agent_pid_flags[i] = a->pid_flag ? xstrdup(a->pid_flag) : NULL;
            rc = exec_resolve_prog(&a->cmd, role->search, s.workdir, &s.agents[i], err);
            if (rc)
                aifb_err_prefix(err, "%s agent %s", role_name, a->name);
        }
    }
    if (rc) {
        exec_role_spec_free(&s);
        return rc;
    }
    *out = s;
    return AIFB_OK;
}

static bool in_groups(const exec_ident *id, gid_t g)
{
    if (g == id->gid)
        return true;
    for (int i = 0; i < id->ngroups; i++)
        if (id->groups[i] == g)
            return true;
    return false;
}

/* Whether id may search (x) the folder described by st, by the classic owner/group/other
 * rule the kernel applies (ACLs are rare on state folders and not considered). */
static bool may_search(const exec_ident *id, const struct stat *st)
{
    if (st->st_uid == id->uid)
        return st->st_mode & S_IXUSR;
    if (in_groups(id, st->st_gid))
        return st->st_mode & S_IXGRP;
    return st->st_mode & S_IXOTH;
}

static aifb_code check_reachable(const exec_role_spec *s, const char *role_name, aifb_err *err)
{
    char *path = xstrdup(s->workdir);
    aifb_code rc = AIFB_OK;
    for (char *p = path;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        struct stat st;
        const char *folder = path[0] ? path : "/";
        if (stat(folder, &st) == 0 && !may_search(&s->ident, &st)) {
            rc = aifb_err_set(err, AIFB_EINVAL,
                              "user '%s' cannot reach the %s workdir %s: %s is not searchable "
                              "by that user; use a --state-dir every user can traverse (for "
                              "example under /var/lib or /srv)",
                              s->ident.name, role_name, s->workdir, folder);
            break;
        }
        *p = saved;
        if (saved == '\0')
            break;
    }
    free(path);
    return rc;
}

aifb_code exec_resolve_workdir(const exec_role_spec *s, const char *role_name, aifb_err *err)
{
    aifb_code rc = aifb_mkdirs(s->workdir, 0755, err);
    if (rc)
        return rc;
    if (!s->ident.drop)
        return AIFB_OK;
    if (s->own_workdir && chown(s->workdir, s->ident.uid, s->ident.gid) != 0)
        return aifb_err_set(err, AIFB_EINTERNAL, "cannot give %s to user '%s': %s", s->workdir,
                            s->ident.name, strerror(errno));
    return check_reachable(s, role_name, err);
}
