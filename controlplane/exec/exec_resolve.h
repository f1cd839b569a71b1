/* exec_resolve.h: everything the local executor checks and looks up before it starts a process.
 *
 * submit() must refuse a bad plan before anything runs, so each role of a plan is first turned
 * into an exec_role_spec: every program found (search folders, globs allowed, then PATH), the
 * user looked up, the working folder named. exec_resolve_workdir() then creates that folder and
 * checks the role's user can reach it. The spec owns copies of every string, so the caller's
 * plan can go away while the executor still has to start the client later. Used by
 * exec_local.c (the plan state machine) and exec_spawn.c (which starts what a spec describes). */
#ifndef AIFB_EXEC_RESOLVE_H
#define AIFB_EXEC_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/err.h"
#include "exec/executor.h"

/* One command with its program found: path is what execve() gets, argv[0] stays as written. */
typedef struct exec_prog {
    char *path;  /* the program's path, absolute */
    char **argv; /* copy of the plan's argv, NULL-terminated */
    char **env;  /* copy of the plan's extra "KEY=VALUE" entries, NULL-terminated */
} exec_prog;

/* Who a role's processes run as. drop is set only when aifbd is root and the role names a user:
 * then the ids (looked up before fork, since getpwnam_r is not safe after it) are applied in the
 * child before exec. */
typedef struct exec_ident {
    bool drop;
    char *name; /* the user's name, NULL when the role has none */
    char *home; /* the user's home folder, for HOME */
    uid_t uid;
    gid_t gid;
    gid_t *groups; /* supplementary groups */
    int ngroups;
} exec_ident;

/* A role ready to start: steps[0..nsetup-1] are the setup commands, steps[nsetup] is main. */
typedef struct exec_role_spec {
    exec_prog *steps;
    size_t nsteps;
    size_t nsetup;
    exec_ident ident;
    char *workdir;     /* absolute; created by exec_resolve_workdir() */
    bool own_workdir;  /* workdir was named by the plan (so it is chowned to the user) */
    exec_prog *agents; /* the role's agents, found like the steps; run as aifbd */
    char **agent_names;
    char **agent_pid_flags; /* NULL entries: no pid appended */
    size_t nagents;
} exec_role_spec;

/* The names of aifb's own programs start with this; they are looked for beside the running
 * executable before PATH. */
#define EXEC_OWN_PREFIX "aifb-"

/* Finds the program of cmd: a name with a '/' is taken as a path (relative to cwd), any other
 * name is looked up in each folder matching the search globs (highest version-sorting match
 * first, so /usr/lib/postgresql/15/bin wins over .../9/bin), then, for a name starting with
 * "aifb-", in the folder of the running executable (/proc/self/exe: aifbd's, so a build/bin/aifbd
 * finds build/bin/aifb-loadgen), then in PATH (the command's own PATH entry when it sets one).
 * AIFB_EINVAL "program 'x' not found in PATH" when nothing matches. */
aifb_code exec_resolve_prog(const exec_cmd *cmd, const char *const *search, const char *cwd,
                            exec_prog *out, aifb_err *err);
void exec_prog_free(exec_prog *p);

/* Resolves every command of role (role_name, "service" or "client", names it in messages) and
 * its user; run_dir is the plan's folder, used as the workdir when the role names none. Nothing
 * is created. On failure *out is left empty (nothing to free). */
aifb_code exec_resolve_role(const exec_role *role, const char *role_name, const char *run_dir,
                            exec_role_spec *out, aifb_err *err);
void exec_role_spec_free(exec_role_spec *s);

/* Creates the spec's workdir, gives it to the role's user when the plan named it and the role
 * drops privileges, and checks that user can reach it through every parent folder: AIFB_EINVAL
 * with a message saying which folder is closed and how to fix it. */
aifb_code exec_resolve_workdir(const exec_role_spec *s, const char *role_name, aifb_err *err);

/* Deep copies of NULL-terminated string arrays (NULL gives an empty array); freed with
 * exec_strv_free(). */
char **exec_strv_dup(char *const *v);
void exec_strv_free(char **v);

#endif
