/* test_cli_support.h: what the CLI's unit tests share: a context that points at an aifbd nobody
 * runs (so a test that reaches the network would show it: ctx.client stops being NULL), and
 * capturing what the CLI writes to stdout or stderr into a string, by pointing the file
 * descriptor at a temporary file for the length of one call. */
#ifndef AIFB_TEST_CLI_SUPPORT_H
#define AIFB_TEST_CLI_SUPPORT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

/* A command group row, as main.c's top table would hand it to the group's function. */
static const struct cli_cmd test_cli_group_run = {"run", "COMMAND ...", "Benchmark runs.",
                                                  cli_cmd_run};
static const struct cli_cmd test_cli_group_service = {"service", "COMMAND ...",
                                                      "Long-lived services.", cli_cmd_service};

/* A context as main() makes it, for the group `group`, with no aifbd behind its address. */
static inline cli_ctx test_cli_ctx(const struct cli_cmd *group)
{
    cli_ctx ctx = {.server = "unix:/nonexistent/aifb-test/aifbd.sock", .output = CLI_OUT_TABLE};
    if (group) {
        snprintf(ctx.path, sizeof ctx.path, "%s", group->name);
        snprintf(ctx.what, sizeof ctx.what, "%s", group->name);
        ctx.cmd = group;
    }
    return ctx;
}

/* Where a capture is: the stream, its descriptor saved, and the file that collects it. */
typedef struct test_capture {
    FILE *stream;
    int fd, saved;
    FILE *file;
} test_capture;

static inline test_capture test_capture_begin(FILE *stream)
{
    test_capture c = {.stream = stream, .fd = fileno(stream)};
    fflush(stream);
    c.file = tmpfile();
    if (!c.file)
        abort();
    c.saved = dup(c.fd);
    dup2(fileno(c.file), c.fd);
    return c;
}

/* Everything written since test_capture_begin(), as a string to free(). */
static inline char *test_capture_end(test_capture *c)
{
    fflush(c->stream);
    dup2(c->saved, c->fd);
    close(c->saved);
    /* The bytes went through the descriptor, not c->file's buffer: ask the descriptor. */
    off_t n = lseek(fileno(c->file), 0, SEEK_END);
    if (n < 0)
        abort();
    rewind(c->file);
    char *text = calloc(1, (size_t)n + 1);
    if (!text || fread(text, 1, (size_t)n, c->file) != (size_t)n)
        abort();
    fclose(c->file);
    return text;
}

/* How many lines text holds (each ended by '\n'). */
static inline int test_line_count(const char *text)
{
    int n = 0;
    for (; *text; text++)
        n += *text == '\n';
    return n;
}

#endif
