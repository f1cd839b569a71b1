/* main.c: aifb-llmsim, a simulated OpenAI-compatible LLM server (docs/llmsim.md).
 *
 * Parses the command line (exit 2 on a bad option, naming it), opens the server, prints
 * "aifb-llmsim: listening on HOST:PORT" on stderr for the scripts and tests that wait for it, and
 * serves until SIGTERM or SIGINT, after which everything is closed and freed and it exits 0. */
#include <stdio.h>

#include "common/log.h"
#include "llmsim/opts.h"
#include "llmsim/server.h"

int main(int argc, char **argv)
{
    llmsim_opts o;
    aifb_err err = {0};
    if (llmsim_opts_parse(&o, argc, argv, &err) != AIFB_OK) {
        fprintf(stderr, "aifb-llmsim: %s\n", err.msg);
        return 2;
    }
    if (o.help) {
        llmsim_opts_usage(stdout);
        return 0;
    }
    if (o.version) {
        printf("aifb-llmsim %s\n", AIFB_VERSION);
        return 0;
    }
    aifb_log_init(o.log_level, false);
    llmsim_server *s = llmsim_server_new(&o, &err);
    if (!s) {
        fprintf(stderr, "aifb-llmsim: %s\n", err.msg);
        return 1;
    }
    fprintf(stderr, "aifb-llmsim: listening on %s\n", llmsim_server_address(s));
    fflush(stderr);
    log_info("aifb-llmsim: model %s, ttft %g ms (%s), itl %g ms (%s), %llu output tokens, "
             "max-num-seqs %llu",
             o.model, o.ttft.ms, llmsim_dist_name(o.ttft.dist), o.itl.ms,
             llmsim_dist_name(o.itl.dist), (unsigned long long)o.output_tokens,
             (unsigned long long)o.max_num_seqs);
    int rc = llmsim_server_run(s);
    llmsim_server_free(s);
    return rc;
}
