/* test_aifbd_agents_path.c: where aifb's own programs (aifb-*) are found. Locally, beside the
 * running executable (aifbd's folder) before PATH, after the role's own search folders, and
 * only for names starting with "aifb-". On Slurm, in slurm.agents_dir: the setting is read from
 * the file and the environment, refused when it could not stand in PATH, and the MeluXina
 * example configuration, which sets it, loads and validates. */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aifbd/config.h"
#include "exec/exec_resolve.h"

static char self_dir[PATH_MAX];
static char beside[PATH_MAX + 64], other[PATH_MAX + 64], name[64], other_name[64];

static void write_program(const char *path)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "cannot write %s", path);
    fputs("#!/bin/sh\nexit 0\n", f);
    fclose(f);
    cr_assert_eq(chmod(path, 0755), 0);
}

/* A program named aifb-... and one without the prefix beside this test's own executable, as
 * build/bin/aifb-loadgen sits beside build/bin/aifbd. Unique names: tests run in parallel. */
static void setup(void)
{
    ssize_t n = readlink("/proc/self/exe", self_dir, sizeof self_dir - 1);
    cr_assert(n > 0);
    self_dir[n] = '\0';
    *strrchr(self_dir, '/') = '\0';
    snprintf(name, sizeof name, "aifb-standin-%d", (int)getpid());
    snprintf(other_name, sizeof other_name, "standin-%d", (int)getpid());
    snprintf(beside, sizeof beside, "%s/%s", self_dir, name);
    snprintf(other, sizeof other, "%s/%s", self_dir, other_name);
    write_program(beside);
    write_program(other);
    setenv("PATH", "/usr/bin:/bin", 1);
}

static void teardown(void)
{
    unlink(beside);
    unlink(other);
}

TestSuite(own_programs, .init = setup, .fini = teardown);

static aifb_code resolve(const char *prog, const char *const *search, exec_prog *out, aifb_err *err)
{
    char *argv[] = {(char *)prog, "--version", NULL};
    exec_cmd cmd = {.argv = argv, .env = NULL};
    return exec_resolve_prog(&cmd, search, "/", out, err);
}

Test(own_programs, an_aifb_program_beside_the_executable_is_found_though_not_in_path)
{
    exec_prog p;
    aifb_err err = {0};
    cr_assert_eq(resolve(name, NULL, &p, &err), AIFB_OK, "%s", err.msg);
    cr_assert_str_eq(p.path, beside);
    cr_assert_str_eq(p.argv[0], name, "argv[0] stays as the recipe wrote it");
    exec_prog_free(&p);
}

Test(own_programs, the_roles_search_folders_come_before_the_executables_folder)
{
    char dir[] = "/tmp/aifb-own-XXXXXX", path[PATH_MAX + 64];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/%s", dir, name);
    write_program(path);
    const char *search[] = {dir, NULL};
    exec_prog p;
    aifb_err err = {0};
    cr_assert_eq(resolve(name, search, &p, &err), AIFB_OK, "%s", err.msg);
    cr_assert_str_eq(p.path, path);
    exec_prog_free(&p);
    unlink(path);
    rmdir(dir);
}

Test(own_programs, a_name_without_the_aifb_prefix_is_never_looked_for_there)
{
    exec_prog p;
    aifb_err err = {0};
    cr_assert_eq(resolve(other_name, NULL, &p, &err), AIFB_EINVAL);
    cr_assert(strstr(err.msg, "not found"), "%s", err.msg);
}

Test(own_programs, a_missing_aifb_program_is_reported_with_the_folders_looked_in)
{
    exec_prog p;
    aifb_err err = {0};
    cr_assert_eq(resolve("aifb-no-such-program", NULL, &p, &err), AIFB_EINVAL);
    char want[PATH_MAX + 64];
    snprintf(want, sizeof want, "not found in %s, PATH", self_dir);
    cr_assert(strstr(err.msg, want), "%s", err.msg);
}

/* ---- slurm.agents_dir ---------------------------------------------------------------- */

static void clear_env(void)
{
    const char *names[] = {
        "AIFB_CONFIG",      "AIFB_EXECUTOR",      "AIFB_SLURM_AGENTS_DIR", "SSH_HOST",
        "SSH_PORT",         "SSH_USER",           "SSH_KEY_PATH",          "SSH_KNOWN_HOSTS",
        "REMOTE_BASE_PATH", "AIFB_SLURM_ACCOUNT", "AIFB_SLURM_PARTITION",  "AIFB_SSH_MODE",
        "AIFB_LISTEN",      "AIFB_TOKEN"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        unsetenv(names[i]);
}

static char config_path[PATH_MAX];

static void write_config(const char *text)
{
    snprintf(config_path, sizeof config_path, "/tmp/aifbd-agents-XXXXXX");
    int fd = mkstemp(config_path);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

/* A slurm-ssh configuration; slurm_extra holds more lines of the slurm section. */
#define SSH_CONFIG(slurm_extra)                                                                    \
    "executor: slurm-ssh\n"                                                                        \
    "slurm:\n"                                                                                     \
    "  remote_base: /project/home/p200000/aifb\n" slurm_extra "ssh:\n"                             \
    "  host: login.example\n"                                                                      \
    "  user: u100000\n"                                                                            \
    "  key_path: /nonexistent/key\n"

/* Loads the file (and the environment) and validates; the config is freed. */
static aifb_code load_and_validate(char *agents_out, size_t len, aifb_err *err)
{
    aifbd_config cfg;
    bool exit_now = false;
    char *argv[] = {"aifbd", "--config", config_path, NULL};
    aifb_code rc = config_load(&cfg, 3, argv, &exit_now, err);
    if (!rc)
        rc = config_validate(&cfg, err);
    if (agents_out)
        snprintf(agents_out, len, "%s", cfg.slurm.agents_dir ? cfg.slurm.agents_dir : "");
    config_free(&cfg);
    return rc;
}

Test(agents_dir, is_read_from_the_file_and_the_environment_wins, .init = clear_env)
{
    write_config(SSH_CONFIG("  agents_dir: /project/home/p200000/aifb/bin\n"));
    char got[256];
    aifb_err err = {0};
    cr_assert_eq(load_and_validate(got, sizeof got, &err), AIFB_OK, "%s", err.msg);
    cr_assert_str_eq(got, "/project/home/p200000/aifb/bin");
    setenv("AIFB_SLURM_AGENTS_DIR", "/opt/aifb/bin", 1);
    cr_assert_eq(load_and_validate(got, sizeof got, &err), AIFB_OK, "%s", err.msg);
    cr_assert_str_eq(got, "/opt/aifb/bin");
    unlink(config_path);
}

Test(agents_dir, a_folder_that_cannot_stand_in_path_is_refused_naming_the_setting,
     .init = clear_env)
{
    write_config(SSH_CONFIG(""));
    const char *bad[] = {"relative/bin", "/a:/b", "/opt/*/bin", "/opt/bin?", "/opt/[ab]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        setenv("AIFB_SLURM_AGENTS_DIR", bad[i], 1);
        aifb_err err = {0};
        cr_assert_eq(load_and_validate(NULL, 0, &err), AIFB_EINVAL, "%s was accepted", bad[i]);
        cr_assert(strstr(err.msg, "slurm.agents_dir (AIFB_SLURM_AGENTS_DIR)"), "%s", err.msg);
        cr_assert(strstr(err.msg, bad[i]), "%s", err.msg);
    }
    unlink(config_path);
}

Test(agents_dir, the_meluxina_example_loads_and_validates_with_its_agents_dir, .init = clear_env)
{
    snprintf(config_path, sizeof config_path, "%s/examples/aifbd-meluxina.yaml", AIFB_SOURCE_DIR);
    char got[256];
    aifb_err err = {0};
    cr_assert_eq(load_and_validate(got, sizeof got, &err), AIFB_OK, "%s", err.msg);
    cr_assert(got[0] == '/', "the example sets slurm.agents_dir: '%s'", got);
}
