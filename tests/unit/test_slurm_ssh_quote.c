/* test_slurm_ssh_quote.c: the command line slurm_ssh_run() sends to the login node. A quoted argv
 * is run locally through `sh -c` and `bash -c` (what a login node's shell does with it) behind
 * printf '%s\0', and the words that come back must be the original elements, byte for byte, with
 * nothing expanded or executed. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "slurm/slurm_ssh.h"

TestSuite(slurm_ssh_quote, .timeout = 60);

/* Runs `shell -c "printf '%s\0' QUOTED"` in folder dir and returns what it printed. */
static char *shell_reads(const char *shell, const char *dir, const char *const *argv, size_t *len)
{
    abuf line = {0};
    abuf_puts(&line, "printf '%s\\0' ");
    slurm_ssh_quote_argv(&line, argv);
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        if (chdir(dir) != 0)
            _exit(126);
        execl(shell, shell, "-c", line.p, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    abuf out = {0};
    char buf[4096];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0)
        abuf_append(&out, buf, (size_t)n);
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s -c failed on: %s", shell, line.p);
    abuf_free(&line);
    *len = out.len;
    return abuf_take(&out);
}

static void assert_words_come_back(const char *shell, const char *dir, const char *const *argv)
{
    size_t len = 0;
    char *got = shell_reads(shell, dir, argv, &len);
    size_t off = 0;
    for (size_t i = 0; argv[i]; i++) {
        size_t n = strlen(argv[i]);
        cr_assert_leq(off + n + 1, len, "%s: word %zu (%s) missing", shell, i, argv[i]);
        cr_assert_eq(memcmp(got + off, argv[i], n + 1), 0,
                     "%s: word %zu came back as '%s', not '%s'", shell, i, got + off, argv[i]);
        off += n + 1;
    }
    cr_assert_eq(off, len, "%s: more words came back than were sent", shell);
    free(got);
}

static char *temp_folder(void)
{
    char *dir = xstrdup("/tmp/aifb-ssh-quote-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    return dir;
}

static void remove_folder(char *dir)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
    free(dir);
}

Test(slurm_ssh_quote, hostile_argv_reaches_the_remote_shell_as_the_same_words)
{
    const char *argv[] = {"sbatch",
                          "--parsable",
                          "-J",
                          "it's a 'job'",
                          "\"double\"",
                          "back\\slash",
                          "$(touch pwned)",
                          "`touch pwned`",
                          "${HOME}",
                          "$HOME",
                          "; touch pwned",
                          "&& touch pwned",
                          "| touch pwned",
                          "a\nb",
                          "\ntouch pwned\n",
                          "* ? [a-z]",
                          "~",
                          "-n",
                          "--",
                          "",
                          "!!",
                          "%j",
                          "'",
                          "''",
                          "'\\''",
                          "\t\r",
                          "\xc3\xa9",
                          "#comment",
                          "> pwned",
                          "< /etc/passwd",
                          NULL};
    char *dir = temp_folder();
    char path[300]; /* a file for the glob "* ? [a-z]" to match, were it expanded */
    snprintf(path, sizeof path, "%s/a", dir);
    FILE *f = fopen(path, "w");
    fclose(f);
    assert_words_come_back("/bin/sh", dir, argv);
    assert_words_come_back("/bin/bash", dir, argv);
    snprintf(path, sizeof path, "%s/pwned", dir);
    cr_assert_neq(access(path, F_OK), 0, "a quoted element ran a command");
    remove_folder(dir);
}

Test(slurm_ssh_quote, every_byte_value_but_nul_survives_in_one_word)
{
    char all[256];
    for (int i = 1; i < 256; i++)
        all[i - 1] = (char)i;
    all[255] = '\0';
    const char *argv[] = {"x", all, NULL};
    char *dir = temp_folder();
    assert_words_come_back("/bin/sh", dir, argv);
    remove_folder(dir);
}

Test(slurm_ssh_quote, an_empty_element_stays_an_empty_word_and_quotes_close_the_line)
{
    abuf b = {0};
    const char *argv[] = {"echo", "", "x y", NULL};
    slurm_ssh_quote_argv(&b, argv);
    cr_assert_str_eq(b.p, "'echo' '' 'x y'");
    abuf_free(&b);
}
