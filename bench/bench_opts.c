/* bench_opts.c: the arguments of a subcommand: positional ones first, then "--name value" pairs.
 *
 * The whole command line is checked before anything is measured, so a typo in an option fails
 * at once with its name instead of silently running with a default for minutes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "common/util.h"

static bool bench_known(const char *const *known, const char *name)
{
    for (size_t i = 0; known && known[i]; i++)
        if (!strcmp(known[i], name))
            return true;
    return false;
}

static void bench_known_list(const char *const *known, abuf *b)
{
    for (size_t i = 0; known && known[i]; i++)
        abuf_printf(b, "%s%s", i ? ", " : "", known[i]);
    if (!known || !known[0])
        abuf_puts(b, "none");
}

aifb_code bench_args_check(bench_args *a, int argc, char **argv, int npos, const char *const *known,
                           aifb_err *err)
{
    a->argc = argc;
    a->argv = argv;
    a->npos = npos;
    a->known = known;
    for (int i = 1; i <= npos; i++)
        if (i >= argc || !strncmp(argv[i], "--", 2))
            return aifb_err_set(err, AIFB_EINVAL, "expected %d argument%s before the options", npos,
                                npos == 1 ? "" : "s");
    for (int i = npos + 1; i < argc; i += 2) {
        if (!bench_known(known, argv[i])) {
            abuf b = {0};
            bench_known_list(known, &b);
            aifb_err_set(err, AIFB_EINVAL, "unknown option '%s' (known: %s)", argv[i], b.p);
            abuf_free(&b);
            return AIFB_EINVAL;
        }
        if (i + 1 >= argc)
            return aifb_err_set(err, AIFB_EINVAL, "option %s needs a value", argv[i]);
    }
    return AIFB_OK;
}

const char *bench_arg_pos(const bench_args *a, int i)
{
    return a->argv[1 + i];
}

const char *bench_arg_str(const bench_args *a, const char *name, const char *def)
{
    const char *v = def;
    for (int i = a->npos + 1; i + 1 < a->argc; i += 2)
        if (!strcmp(a->argv[i], name))
            v = a->argv[i + 1]; /* the last one wins, as with most tools */
    return v;
}

aifb_code bench_parse_long(const char *text, const char *what, long lo, long hi, long *out,
                           aifb_err *err)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < lo || v > hi)
        return aifb_err_set(err, AIFB_EINVAL, "%s: '%s' is not an integer in %ld..%ld", what, text,
                            lo, hi);
    *out = v;
    return AIFB_OK;
}

aifb_code bench_arg_int(const bench_args *a, const char *name, long def, long lo, long hi,
                        long *out, aifb_err *err)
{
    const char *v = bench_arg_str(a, name, NULL);
    if (!v) {
        *out = def;
        return AIFB_OK;
    }
    return bench_parse_long(v, name, lo, hi, out, err);
}
