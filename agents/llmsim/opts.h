/* opts.h: the command line of aifb-llmsim, parsed and checked.
 *
 * llmsim_opts_parse() fills every field with its default, then applies "--name value" and
 * "--name=value" arguments; a wrong one is refused with a message naming the option and the value.
 * docs/llmsim.md is the user's reference for each option. */
#ifndef AIFB_LLMSIM_OPTS_H
#define AIFB_LLMSIM_OPTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/err.h"
#include "common/log.h"

#define LLMSIM_MODEL_MAX 128

typedef enum llmsim_dist {
    LLMSIM_FIXED = 0,
    LLMSIM_NORMAL,
    LLMSIM_EXPONENTIAL,
    LLMSIM_LOGNORMAL,
} llmsim_dist;

/* A delay drawn per use: its mean, standard deviation (normal, lognormal) and distribution. */
typedef struct llmsim_delay {
    double ms;
    double stddev_ms;
    llmsim_dist dist;
} llmsim_delay;

typedef struct llmsim_opts {
    char host[256]; /* from --listen HOST:PORT, brackets of an IPv6 address removed */
    char port[8];
    char model[LLMSIM_MODEL_MAX + 1];
    llmsim_delay ttft, itl;
    double prefill_ms_per_token;
    /* Waking from a sleep costs a few hundred microseconds on an idle (virtual) machine: when the
     * next token is due within spin_us, the loop polls instead of sleeping on the timer. */
    uint64_t spin_us;
    char request_log[4096]; /* --request-log FILE, or "" */
    uint64_t output_tokens;
    uint64_t max_output_tokens;
    uint64_t tokens_per_chunk;
    uint64_t max_num_seqs;
    uint64_t max_queue;
    uint64_t embedding_dim;
    uint64_t seed;
    uint64_t max_body_bytes;
    /* error injection: each a probability decided per request */
    double error_rate;
    uint64_t error_status;
    double rate_limit_rate;
    uint64_t retry_after_s;
    double reset_rate;
    double malformed_rate;
    double hang_rate;
    double slow_headers_ms;
    double slow_headers_rate;
    bool strict_model;
    aifb_log_level log_level;
    bool help, version; /* asked for: print and exit 0 */
} llmsim_opts;

void llmsim_opts_default(llmsim_opts *o);
/* Defaults, then argv[1..argc). AIFB_EINVAL with the option and value named in err. */
aifb_code llmsim_opts_parse(llmsim_opts *o, int argc, char **argv, aifb_err *err);
void llmsim_opts_usage(FILE *f);
const char *llmsim_dist_name(llmsim_dist d);

#endif
