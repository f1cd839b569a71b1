/* test_aifbd_config.c: aifbd's settings: embedded defaults, file < environment < flags, and
 * refusals that name the bad setting. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aifbd/config.h"

static void clear_env(void)
{
    const char *names[] = {"AIFB_CONFIG",    "AIFB_LISTEN",    "AIFB_STATE_DIR", "AIFB_RECIPES_DIR",
                           "AIFB_EXECUTOR",  "AIFB_TOKEN",     "AIFB_WORKERS",   "AIFB_GRACE_MS",
                           "AIFB_LOG_LEVEL", "AIFB_LOG_FORMAT"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        unsetenv(names[i]);
}

static aifb_code load(aifbd_config *cfg, aifb_err *err, int argc, char **argv)
{
    bool exit_now = false;
    return config_load(cfg, argc, argv, &exit_now, err);
}

static char *write_config(const char *text)
{
    static char path[] = "/tmp/aifbd-config-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

Test(config, with_no_arguments_aifbd_listens_on_loopback_with_the_local_executor, .init = clear_env)
{
    aifbd_config cfg;
    aifb_err err = {0};
    char *argv[] = {"aifbd", NULL};
    cr_assert_eq(load(&cfg, &err, 1, argv), AIFB_OK, "%s", err.msg);
    cr_assert_str_eq(cfg.listen, "127.0.0.1:50051");
    cr_assert_str_eq(cfg.executor, "local");
    cr_assert_not_null(cfg.state_dir);
    cr_assert_eq(config_validate(&cfg, &err), AIFB_OK, "%s", err.msg);
    config_free(&cfg);
}

Test(config, flags_win_over_the_environment_which_wins_over_the_file, .init = clear_env)
{
    char *path = write_config("listen: 127.0.0.1:1111\nstate_dir: /from/file\nworkers: 3\n");
    setenv("AIFB_CONFIG", path, 1);
    setenv("AIFB_STATE_DIR", "/from/env", 1);
    aifbd_config cfg;
    aifb_err err = {0};
    char *argv[] = {"aifbd", "--listen", "unix:/tmp/x.sock", NULL};
    cr_assert_eq(load(&cfg, &err, 3, argv), AIFB_OK, "%s", err.msg);
    cr_assert_str_eq(cfg.listen, "unix:/tmp/x.sock");
    cr_assert_str_eq(cfg.state_dir, "/from/env");
    cr_assert_eq(cfg.workers, 3);
    config_free(&cfg);
    unlink(path);
}

Test(config, an_unknown_key_in_the_file_is_refused_naming_it, .init = clear_env)
{
    char *path = write_config("listen: 127.0.0.1:1111\nstate_dri: /typo\n");
    aifbd_config cfg;
    aifb_err err = {0};
    char *argv[] = {"aifbd", "--config", path, NULL};
    cr_assert_eq(load(&cfg, &err, 3, argv), AIFB_EINVAL);
    cr_assert(strstr(err.msg, "state_dri"), "%s", err.msg);
    config_free(&cfg);
    unlink(path);
}

Test(config, an_unknown_flag_and_a_bad_number_are_refused_naming_them, .init = clear_env)
{
    aifbd_config cfg;
    aifb_err err = {0};
    char *argv[] = {"aifbd", "--lisen", "x", NULL};
    cr_assert_eq(load(&cfg, &err, 3, argv), AIFB_EINVAL);
    cr_assert(strstr(err.msg, "--lisen"), "%s", err.msg);
    config_free(&cfg);
    setenv("AIFB_WORKERS", "lots", 1);
    char *argv2[] = {"aifbd", NULL};
    cr_assert_eq(load(&cfg, &err, 1, argv2), AIFB_EINVAL);
    cr_assert(strstr(err.msg, "AIFB_WORKERS") && strstr(err.msg, "lots"), "%s", err.msg);
    config_free(&cfg);
}

Test(config, a_non_loopback_listener_needs_a_token_and_the_token_is_never_described,
     .init = clear_env)
{
    aifbd_config cfg;
    aifb_err err = {0};
    char *argv[] = {"aifbd", "--listen", "0.0.0.0:50051", NULL};
    cr_assert_eq(load(&cfg, &err, 3, argv), AIFB_OK, "%s", err.msg);
    cr_assert_eq(config_validate(&cfg, &err), AIFB_EINVAL);
    cr_assert(strstr(err.msg, "token"), "%s", err.msg);
    config_free(&cfg);

    setenv("AIFB_TOKEN", "s3cret-s3cret-s3cret", 1);
    cr_assert_eq(load(&cfg, &err, 3, argv), AIFB_OK, "%s", err.msg);
    cr_assert_eq(config_validate(&cfg, &err), AIFB_OK, "%s", err.msg);
    char desc[1024];
    config_describe(&cfg, desc, sizeof desc);
    cr_assert_null(strstr(desc, "s3cret"), "%s", desc);
    cr_assert(strstr(desc, "token=(set)"), "%s", desc);
    config_free(&cfg);
}

Test(config, an_unknown_executor_is_refused_naming_the_known_ones, .init = clear_env)
{
    aifbd_config cfg;
    aifb_err err = {0};
    char *argv[] = {"aifbd", "--executor", "kubernetes", NULL};
    cr_assert_eq(load(&cfg, &err, 3, argv), AIFB_EINVAL);
    cr_assert(strstr(err.msg, "kubernetes") && strstr(err.msg, "slurm-rest"), "%s", err.msg);
    config_free(&cfg);
}

Test(config, the_meluxina_example_reads_with_the_names_a_dotenv_already_has, .init = clear_env)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/examples/aifbd-meluxina.yaml", AIFB_SOURCE_DIR);
    setenv("SSH_HOST", "127.0.0.1", 1);
    setenv("SSH_PORT", "2222", 1);
    setenv("REMOTE_BASE_PATH", "/scratch/aifb", 1);
    setenv("AIFB_SLURM_PARTITION", "gpu", 1);
    aifbd_config cfg;
    aifb_err err = {0};
    char *argv[] = {"aifbd", "--config", path, NULL};
    cr_assert_eq(load(&cfg, &err, 3, argv), AIFB_OK, "%s", err.msg);
    cr_assert_str_eq(cfg.executor, "slurm-ssh");
    cr_assert_str_eq(cfg.slurm.job.account, "p200000");
    cr_assert_str_eq(cfg.slurm.job.partition, "gpu", "the environment wins over the file");
    cr_assert_eq(cfg.slurm.service.gpus, -1, "GPU recipes bring their own GPU count");
    cr_assert_null(cfg.slurm.service.partition, "and their own partition");
    cr_assert_eq(cfg.slurm.client.gpus, 0);
    cr_assert_eq(cfg.slurm.client.memory_mb, -1, "not set: the job's setting applies");
    cr_assert_str_eq(cfg.slurm.ssh_host, "127.0.0.1");
    cr_assert_eq(cfg.slurm.ssh_port, 2222);
    cr_assert_str_eq(cfg.slurm.remote_base, "/scratch/aifb");
    cr_assert(cfg.slurm.login_shell);
    config_free(&cfg);
}

Test(config, a_slurm_token_in_the_file_is_refused_and_never_echoed, .init = clear_env)
{
    char *path = write_config("slurm_rest:\n  jwt: eyJhbGciOiJIUzI1NiJ9.secret-part\n");
    aifbd_config cfg;
    aifb_err err = {0};
    char *argv[] = {"aifbd", "--config", path, NULL};
    cr_assert_eq(load(&cfg, &err, 3, argv), AIFB_EINVAL);
    cr_assert(strstr(err.msg, "SLURM_JWT"), "%s", err.msg);
    cr_assert_null(strstr(err.msg, "secret-part"), "%s", err.msg);
    config_free(&cfg);
    unlink(path);
}

Test(config, a_leading_tilde_in_a_local_path_is_the_home_folder, .init = clear_env)
{
    setenv("HOME", "/home/ann", 1);
    setenv("SSH_KEY_PATH", "~/.ssh/id_ed25519", 1);
    setenv("AIFB_STATE_DIR", "~", 1);
    aifbd_config cfg;
    aifb_err err = {0};
    char *argv[] = {"aifbd", "--recipes", "/abs/~/kept", NULL};
    cr_assert_eq(load(&cfg, &err, 3, argv), AIFB_OK, "%s", err.msg);
    cr_assert_str_eq(cfg.slurm.ssh_key_path, "/home/ann/.ssh/id_ed25519");
    cr_assert_str_eq(cfg.state_dir, "/home/ann");
    cr_assert_str_eq(cfg.recipes_dir, "/abs/~/kept");
    config_free(&cfg);
    setenv("SSH_KEY_PATH", "~bob/.ssh/id_rsa", 1);
    cr_assert_eq(load(&cfg, &err, 1, argv), AIFB_EINVAL);
    cr_assert(strstr(err.msg, "ssh.key_path") && strstr(err.msg, "only ~/"), "%s", err.msg);
    config_free(&cfg);
    unsetenv("SSH_KEY_PATH");
}
