/* main.c: aifb-monitor, process, node and GPU metrics to Prometheus by remote write
 * (docs/monitor.md).
 *
 * Blocks the stop signals before any thread starts (the loop takes them with sigtimedwait),
 * parses the command line (exit 2 on a bad option, naming it), reads the bearer token from
 * --token-file or $AIFB_PROM_TOKEN (never from the command line, never logged), and runs the
 * monitor (monitor.h), whose status it returns. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "monitor/monitor.h"
#include "monitor/opts.h"

/* The token, trimmed of surrounding blanks and newlines, malloc'd; NULL for none. -1 in *bad when
 * the file cannot be read or holds nothing. */
static char *read_token(const mon_opts *o, int *bad)
{
    *bad = 0;
    if (!o->token_file) {
        const char *env = getenv("AIFB_PROM_TOKEN");
        return env && *env ? xstrdup(env) : NULL;
    }
    char *text = NULL;
    size_t len = 0;
    aifb_err err = {0};
    if (aifb_read_file(o->token_file, 65536, &text, &len, &err) != AIFB_OK) {
        fprintf(stderr, "aifb-monitor: --token-file: %s\n", err.msg);
        *bad = -1;
        return NULL;
    }
    while (len && strchr(" \t\r\n", text[len - 1]))
        text[--len] = '\0';
    size_t lead = strspn(text, " \t\r\n");
    memmove(text, text + lead, len - lead + 1);
    if (!text[0]) {
        fprintf(stderr, "aifb-monitor: --token-file: %s holds no token\n", o->token_file);
        aifb_secret_free(text);
        *bad = -1;
        return NULL;
    }
    return text;
}

int main(int argc, char **argv)
{
    /* A signal ignored by the parent would be discarded, never seen by sigtimedwait. */
    sigset_t stop;
    sigemptyset(&stop);
    static const int stops[] = {SIGTERM, SIGINT, SIGHUP};
    for (size_t i = 0; i < sizeof stops / sizeof stops[0]; i++) {
        signal(stops[i], SIG_DFL);
        sigaddset(&stop, stops[i]);
    }
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    mon_opts o;
    aifb_err err = {0};
    if (mon_opts_parse(&o, argc, argv, &err) != AIFB_OK) {
        fprintf(stderr, "aifb-monitor: %s\n", err.msg);
        mon_opts_free(&o);
        return 2;
    }
    if (o.help || o.version) {
        if (o.help)
            mon_opts_usage(stdout);
        else
            printf("aifb-monitor %s\n", AIFB_VERSION);
        mon_opts_free(&o);
        return 0;
    }
    aifb_log_init(o.log_level, false);
    int bad;
    char *token = read_token(&o, &bad);
    if (bad) {
        mon_opts_free(&o);
        return 2;
    }
    int rc = monitor_run(&o, token);
    aifb_secret_free(token);
    mon_opts_free(&o);
    return rc;
}
