/* main.c: aifb-logship, the job-log shipper to Grafana Loki (docs/logship.md).
 *
 * Parses the command line (exit 2 on a bad option, naming it) and runs the shipper until a
 * signal or the end of the followed process (exit 0), or until it cannot start (exit 1: a
 * damaged positions file, a spool folder in use, a URL libcurl refuses). */
#include <stdio.h>

#include "common/log.h"
#include "logship/opts.h"
#include "logship/ship.h"

int main(int argc, char **argv)
{
    logship_opts o;
    aifb_err err = {0};
    if (logship_opts_parse(&o, argc, argv, &err) != AIFB_OK) {
        fprintf(stderr, "aifb-logship: %s\n", err.msg);
        logship_opts_free(&o);
        return 2;
    }
    int rc = 0;
    if (o.help)
        logship_opts_usage(stdout);
    else if (o.version)
        printf("aifb-logship %s\n", AIFB_VERSION);
    else {
        aifb_log_init(o.log_level, false);
        rc = ship_run(&o);
    }
    logship_opts_free(&o);
    return rc;
}
