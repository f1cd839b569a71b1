/* test_llmsim_opts.c: aifb-llmsim's command line: the defaults the brief fixes, every form of a
 * value, and refusals that name the option and the value. */
#include <criterion/criterion.h>
#include <string.h>

#include "llmsim/opts.h"

static aifb_code parse(llmsim_opts *o, aifb_err *err, int argc, const char **argv)
{
    return llmsim_opts_parse(o, argc, (char **)argv, err);
}

Test(llmsim_opts, defaults)
{
    llmsim_opts o;
    aifb_err err = {0};
    const char *argv[] = {"aifb-llmsim"};
    cr_assert_eq(parse(&o, &err, 1, argv), AIFB_OK);
    cr_assert_str_eq(o.host, "127.0.0.1");
    cr_assert_str_eq(o.port, "8000");
    cr_assert_str_eq(o.model, "aifb-sim");
    cr_assert_eq(o.ttft.ms, 0);
    cr_assert_eq(o.itl.ms, 0);
    cr_assert_eq(o.output_tokens, 128);
    cr_assert_eq(o.max_output_tokens, 1000000);
    cr_assert_eq(o.tokens_per_chunk, 1);
    cr_assert_eq(o.max_num_seqs, 256);
    cr_assert_eq(o.max_queue, 10000);
    cr_assert_eq(o.embedding_dim, 384);
    cr_assert_eq(o.seed, 1);
    cr_assert_eq(o.error_status, 500);
    cr_assert_eq(o.ttft.dist, LLMSIM_FIXED);
}

Test(llmsim_opts, values_in_both_forms)
{
    llmsim_opts o;
    aifb_err err = {0};
    const char *argv[] = {"aifb-llmsim",        "--listen",  "[::1]:0",
                          "--ttft-ms=12.5",     "--itl-ms",  "3",
                          "--itl-dist",         "lognormal", "--itl-stddev-ms=1",
                          "--output-tokens",    "7",         "--error-rate=0.25",
                          "--strict-model",     "--model",   "llama",
                          "--tokens-per-chunk", "4"};
    cr_assert_eq(parse(&o, &err, (int)(sizeof argv / sizeof argv[0]), argv), AIFB_OK, "%s",
                 err.msg);
    cr_assert_str_eq(o.host, "::1");
    cr_assert_str_eq(o.port, "0");
    cr_assert_float_eq(o.ttft.ms, 12.5, 1e-12);
    cr_assert_eq(o.itl.dist, LLMSIM_LOGNORMAL);
    cr_assert_float_eq(o.itl.stddev_ms, 1.0, 1e-12);
    cr_assert_eq(o.output_tokens, 7);
    cr_assert_float_eq(o.error_rate, 0.25, 1e-12);
    cr_assert(o.strict_model);
    cr_assert_str_eq(o.model, "llama");
    cr_assert_eq(o.tokens_per_chunk, 4);
}

Test(llmsim_opts, refusals_name_the_option_and_the_value)
{
    struct {
        const char *a, *b, *words;
    } cases[] = {
        {"--ttft-ms", "abc", "--ttft-ms: 'abc'"},
        {"--ttft-ms", "-5", "--ttft-ms: '-5'"},
        {"--error-rate", "1.5", "--error-rate: '1.5' is not a probability"},
        {"--max-num-seqs", "0", "--max-num-seqs: '0' is not between 1"},
        {"--output-tokens", "12x", "--output-tokens: '12x' is not a whole number"},
        {"--itl-dist", "gauss", "--itl-dist: 'gauss' is not one of"},
        {"--listen", "8000", "--listen: '8000' is not HOST:PORT"},
        {"--listen", "localhost:99999", "--listen: 'localhost:99999'"},
        {"--error-status", "200", "--error-status: '200'"},
        {"--bogus", "1", "unknown option '--bogus'"},
        {"--seed", NULL, "--seed needs a value"},
        {"stray", NULL, "unexpected argument 'stray'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        llmsim_opts o;
        aifb_err err = {0};
        const char *argv[] = {"aifb-llmsim", cases[i].a, cases[i].b};
        cr_assert_eq(parse(&o, &err, cases[i].b ? 3 : 2, argv), AIFB_EINVAL, "%s %s", cases[i].a,
                     cases[i].b ? cases[i].b : "");
        cr_assert(strstr(err.msg, cases[i].words), "'%s' lacks '%s'", err.msg, cases[i].words);
    }
}

Test(llmsim_opts, help_is_asked_for)
{
    llmsim_opts o;
    aifb_err err = {0};
    const char *argv[] = {"aifb-llmsim", "--help"};
    cr_assert_eq(parse(&o, &err, 2, argv), AIFB_OK);
    cr_assert(o.help);
}
