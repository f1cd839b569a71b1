/* cgroup.c: finding a Slurm job's cgroup and listing its processes (see cgroup.h). */
#include "monitor/cgroup.h"

#include <ctype.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "monitor/procfs.h"

#define MAX_DEPTH 8

/* Length of path up to and including its "/job_<id>" component (any id when job_id is NULL);
 * 0 when there is none. */
static size_t job_prefix(const char *path, const char *job_id)
{
    for (const char *p = strstr(path, "/job_"); p; p = strstr(p + 1, "/job_")) {
        const char *id = p + 5;
        size_t len = strspn(id, "0123456789");
        if (!len || (id[len] && id[len] != '/'))
            continue;
        if (job_id && (strlen(job_id) != len || strncmp(id, job_id, len)))
            continue;
        return (size_t)(id + len - path);
    }
    return 0;
}

static bool is_dir(const char *root, const char *path)
{
    char full[4200];
    struct stat st;
    snprintf(full, sizeof full, "%s%s", root, path);
    return stat(full, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Tries mount/prefix as the job's folder. */
static bool try_dir(const char *root, const char *mount, const char *path, size_t len, char *out,
                    size_t n)
{
    if ((size_t)snprintf(out, n, "/sys/fs/cgroup%s%.*s", mount, (int)len, path) >= n)
        return false;
    return is_dir(root, out);
}

/* One line of /proc/self/cgroup ("ID:CONTROLLERS:PATH"); v2 says whether to take the v2 line or
 * a v1 one. */
static bool try_line(const char *root, char *line, const char *job_id, bool v2, char *out, size_t n)
{
    char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c2)
        return false;
    *c2 = '\0';
    const char *controllers = c1 + 1, *path = c2 + 1;
    size_t len = job_prefix(path, job_id);
    if (!len || v2 != (*controllers == '\0'))
        return false;
    if (v2)
        return try_dir(root, "", path, len, out, n) || try_dir(root, "/unified", path, len, out, n);
    char mount[256];
    snprintf(mount, sizeof mount, "/%s", controllers);
    if (try_dir(root, mount, path, len, out, n))
        return true;
    if (!strcmp(controllers, "cpuacct,cpu") && try_dir(root, "/cpu,cpuacct", path, len, out, n))
        return true;
    char copy[256];
    snprintf(copy, sizeof copy, "%s", controllers);
    for (char *save = NULL, *c = strtok_r(copy, ",", &save); c; c = strtok_r(NULL, ",", &save)) {
        snprintf(mount, sizeof mount, "/%s", c);
        if (try_dir(root, mount, path, len, out, n))
            return true;
    }
    return false;
}

aifb_code cgroup_job_dir(const char *root, const char *job_id, char *out, size_t n, aifb_err *err)
{
    abuf buf = {0};
    if (!mon_read_file(root, "/proc/self/cgroup", &buf)) {
        abuf_free(&buf);
        return aifb_err_set(err, AIFB_ENOTFOUND, "--job: cannot read %s/proc/self/cgroup", root);
    }
    bool found = false;
    /* cgroup v2 first (Slurm's default on current systems), then v1 (freezer, cpuacct...) */
    for (int pass = 0; pass < 2 && !found; pass++) {
        char *copy = xstrdup(buf.p);
        for (char *save = NULL, *l = strtok_r(copy, "\n", &save); l && !found;
             l = strtok_r(NULL, "\n", &save))
            found = try_line(root, l, job_id, pass == 0, out, n);
        free(copy);
    }
    abuf_free(&buf);
    if (!found)
        return aifb_err_set(err, AIFB_ENOTFOUND,
                            "--job: %s/proc/self/cgroup names no cgroup folder job_%s under "
                            "/sys/fs/cgroup (is Slurm's proctrack/cgroup or task/cgroup plugin "
                            "in use, and does the monitor run inside the job?)",
                            root, job_id ? job_id : "N");
    return AIFB_OK;
}

static void list_dir(const char *root, const char *dir, void (*cb)(void *, int), void *arg,
                     abuf *buf, int depth)
{
    char path[4200];
    if ((size_t)snprintf(path, sizeof path, "%s/cgroup.procs", dir) >= sizeof path)
        return;
    if (mon_read_file(root, path, buf))
        for (char *p = buf->p; *p;) {
            char *end;
            long pid = strtol(p, &end, 10);
            if (end == p)
                break;
            if (pid > 0)
                cb(arg, (int)pid);
            p = end + strspn(end, "\n ");
        }
    if (depth >= MAX_DEPTH)
        return;
    if ((size_t)snprintf(path, sizeof path, "%s%s", root, dir) >= sizeof path)
        return;
    DIR *d = opendir(path);
    if (!d)
        return;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.' || (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN))
            continue;
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= sizeof path)
            continue;
        if (e->d_type == DT_UNKNOWN && !is_dir(root, path))
            continue;
        list_dir(root, path, cb, arg, buf, depth + 1);
    }
    closedir(d);
}

void cgroup_list_pids(const char *root, const char *dir, void (*cb)(void *arg, int pid), void *arg,
                      abuf *buf)
{
    list_dir(root, dir, cb, arg, buf, 0);
}
