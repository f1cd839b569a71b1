/* opts.c: aifb-llmsim's options (see opts.h).
 *
 * One table names every option, its kind, where its value goes and its bounds; the parser walks
 * argv against it, so a new option is one line here and one in the usage text. */
#include "llmsim/opts.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef enum opt_kind {
    K_LISTEN,
    K_MODEL,
    K_PATH,  /* a file path */
    K_MS,    /* milliseconds, >= 0 */
    K_RATE,  /* probability in [0, 1] */
    K_U64,   /* integer in [min, max] */
    K_DIST,  /* fixed|normal|exponential|lognormal */
    K_FLAG,  /* no value */
    K_LEVEL, /* log level */
} opt_kind;

typedef struct opt_def {
    const char *name;
    opt_kind kind;
    size_t off;
    uint64_t min, max;
} opt_def;

#define F(field) offsetof(llmsim_opts, field)
static const opt_def OPTS[] = {
    {"listen", K_LISTEN, 0, 0, 0},
    {"model", K_MODEL, F(model), 0, 0},
    {"ttft-ms", K_MS, F(ttft.ms), 0, 0},
    {"ttft-dist", K_DIST, F(ttft.dist), 0, 0},
    {"ttft-stddev-ms", K_MS, F(ttft.stddev_ms), 0, 0},
    {"itl-ms", K_MS, F(itl.ms), 0, 0},
    {"itl-dist", K_DIST, F(itl.dist), 0, 0},
    {"itl-stddev-ms", K_MS, F(itl.stddev_ms), 0, 0},
    {"prefill-ms-per-token", K_MS, F(prefill_ms_per_token), 0, 0},
    {"output-tokens", K_U64, F(output_tokens), 1, 100000000},
    {"max-output-tokens", K_U64, F(max_output_tokens), 1, 100000000},
    {"tokens-per-chunk", K_U64, F(tokens_per_chunk), 1, 4096},
    {"max-num-seqs", K_U64, F(max_num_seqs), 1, 10000000},
    {"max-queue", K_U64, F(max_queue), 0, 100000000},
    {"embedding-dim", K_U64, F(embedding_dim), 1, 65536},
    {"seed", K_U64, F(seed), 0, UINT64_MAX},
    {"max-body-bytes", K_U64, F(max_body_bytes), 1024, 1024u * 1024 * 1024},
    {"error-rate", K_RATE, F(error_rate), 0, 0},
    {"error-status", K_U64, F(error_status), 400, 599},
    {"rate-limit-rate", K_RATE, F(rate_limit_rate), 0, 0},
    {"retry-after-s", K_U64, F(retry_after_s), 0, 86400},
    {"reset-rate", K_RATE, F(reset_rate), 0, 0},
    {"malformed-rate", K_RATE, F(malformed_rate), 0, 0},
    {"hang-rate", K_RATE, F(hang_rate), 0, 0},
    {"slow-headers-ms", K_MS, F(slow_headers_ms), 0, 0},
    {"slow-headers-rate", K_RATE, F(slow_headers_rate), 0, 0},
    {"spin-us", K_U64, F(spin_us), 0, 10000},
    {"request-log", K_PATH, F(request_log), 0, 0},
    {"strict-model", K_FLAG, F(strict_model), 0, 0},
    {"log-level", K_LEVEL, F(log_level), 0, 0},
    {"help", K_FLAG, F(help), 0, 0},
    {"version", K_FLAG, F(version), 0, 0},
};
#undef F

/* A day: longer delays are certainly a mistake (and would overflow nothing, but hang a test). */
#define MAX_MS 86400000.0

static const char *const DIST_NAMES[] = {"fixed", "normal", "exponential", "lognormal"};

const char *llmsim_dist_name(llmsim_dist d)
{
    return (unsigned)d < 4 ? DIST_NAMES[d] : "?";
}

void llmsim_opts_default(llmsim_opts *o)
{
    memset(o, 0, sizeof *o);
    strcpy(o->host, "127.0.0.1");
    strcpy(o->port, "8000");
    o->spin_us = 200;
    strcpy(o->model, "aifb-sim");
    o->output_tokens = 128;
    o->max_output_tokens = 1000000;
    o->tokens_per_chunk = 1;
    o->max_num_seqs = 256;
    o->max_queue = 10000;
    o->embedding_dim = 384;
    o->seed = 1;
    o->max_body_bytes = 16u * 1024 * 1024;
    o->error_status = 500;
    o->retry_after_s = 1;
    o->slow_headers_rate = 1.0;
    o->log_level = AIFB_LOG_INFO;
}

static aifb_code bad(aifb_err *err, const opt_def *d, const char *v, const char *why)
{
    return aifb_err_set(err, AIFB_EINVAL, "--%s: '%s' %s", d->name, v, why);
}

static aifb_code set_listen(llmsim_opts *o, const opt_def *d, const char *v, aifb_err *err)
{
    const char *host = v, *colon;
    size_t hl;
    if (v[0] == '[') {
        const char *close = strchr(v, ']');
        if (!close || close[1] != ':')
            return bad(err, d, v, "is not [IPV6]:PORT");
        host = v + 1;
        hl = (size_t)(close - host);
        colon = close + 1;
    } else {
        colon = strrchr(v, ':');
        if (!colon)
            return bad(err, d, v, "is not HOST:PORT");
        hl = (size_t)(colon - v);
        if (memchr(v, ':', hl))
            return bad(err, d, v, "is not HOST:PORT (write an IPv6 address as [ADDR]:PORT)");
    }
    const char *port = colon + 1;
    size_t pl = strlen(port);
    if (!hl || hl >= sizeof o->host)
        return bad(err, d, v, "has no host or too long a host");
    if (!pl || pl > 5 || strspn(port, "0123456789") != pl || atol(port) > 65535)
        return bad(err, d, v, "has no port between 0 and 65535");
    memcpy(o->host, host, hl);
    o->host[hl] = '\0';
    memcpy(o->port, port, pl + 1);
    return AIFB_OK;
}

static aifb_code set_double(double *out, const opt_def *d, const char *v, double max,
                            const char *what, aifb_err *err)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (!*v || *end || errno || !isfinite(x))
        return bad(err, d, v, what);
    if (x < 0 || x > max)
        return bad(err, d, v, what);
    *out = x;
    return AIFB_OK;
}

static aifb_code set_u64(uint64_t *out, const opt_def *d, const char *v, aifb_err *err)
{
    char *end;
    errno = 0;
    if (!*v || strspn(v, "0123456789") != strlen(v))
        return bad(err, d, v, "is not a whole number");
    unsigned long long x = strtoull(v, &end, 10);
    if (errno || x < d->min || x > d->max)
        return aifb_err_set(err, AIFB_EINVAL, "--%s: '%s' is not between %llu and %llu", d->name, v,
                            (unsigned long long)d->min, (unsigned long long)d->max);
    *out = x;
    return AIFB_OK;
}

static aifb_code set_value(llmsim_opts *o, const opt_def *d, const char *v, aifb_err *err)
{
    void *field = (char *)o + d->off;
    switch (d->kind) {
    case K_LISTEN:
        return set_listen(o, d, v, err);
    case K_MODEL:
        if (!*v || strlen(v) > LLMSIM_MODEL_MAX)
            return aifb_err_set(err, AIFB_EINVAL, "--%s: '%s' must be 1 to %d bytes", d->name, v,
                                LLMSIM_MODEL_MAX);
        strcpy(o->model, v);
        return AIFB_OK;
    case K_PATH:
        if (!*v || strlen(v) >= sizeof o->request_log)
            return aifb_err_set(err, AIFB_EINVAL, "--%s: '%.64s' must be 1 to %zu bytes", d->name,
                                v, sizeof o->request_log - 1);
        strcpy((char *)field, v);
        return AIFB_OK;
    case K_MS:
        return set_double(field, d, v, MAX_MS, "is not a number of milliseconds from 0 to 86400000",
                          err);
    case K_RATE:
        return set_double(field, d, v, 1.0, "is not a probability from 0 to 1", err);
    case K_U64:
        return set_u64(field, d, v, err);
    case K_DIST:
        for (int i = 0; i < 4; i++)
            if (!strcmp(v, DIST_NAMES[i])) {
                *(llmsim_dist *)field = (llmsim_dist)i;
                return AIFB_OK;
            }
        return bad(err, d, v, "is not one of fixed, normal, exponential, lognormal");
    case K_LEVEL:
        if (!aifb_log_level_parse(v, field))
            return bad(err, d, v, "is not one of debug, info, warn, error");
        return AIFB_OK;
    case K_FLAG:
        *(bool *)field = true;
        return AIFB_OK;
    }
    return AIFB_OK;
}

static const opt_def *find_opt(const char *name, size_t n)
{
    for (size_t i = 0; i < sizeof OPTS / sizeof OPTS[0]; i++)
        if (strlen(OPTS[i].name) == n && !strncmp(OPTS[i].name, name, n))
            return &OPTS[i];
    return NULL;
}

aifb_code llmsim_opts_parse(llmsim_opts *o, int argc, char **argv, aifb_err *err)
{
    llmsim_opts_default(o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) || !a[2]) {
            if (!strcmp(a, "-h")) {
                o->help = true;
                return AIFB_OK;
            }
            return aifb_err_set(err, AIFB_EINVAL, "unexpected argument '%s' (see --help)", a);
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t n = eq ? (size_t)(eq - name) : strlen(name);
        const opt_def *d = find_opt(name, n);
        if (!d)
            return aifb_err_set(err, AIFB_EINVAL, "unknown option '--%.*s' (see --help)", (int)n,
                                name);
        const char *v = eq ? eq + 1 : NULL;
        if (d->kind == K_FLAG) {
            if (v)
                return aifb_err_set(err, AIFB_EINVAL, "--%s takes no value", d->name);
            v = "";
        } else if (!v) {
            if (i + 1 >= argc)
                return aifb_err_set(err, AIFB_EINVAL, "--%s needs a value", d->name);
            v = argv[++i];
        }
        aifb_code c = set_value(o, d, v, err);
        if (c != AIFB_OK)
            return c;
    }
    if (o->max_output_tokens < o->output_tokens)
        o->output_tokens = o->max_output_tokens;
    return AIFB_OK;
}

void llmsim_opts_usage(FILE *f)
{
    fputs(
        "usage: aifb-llmsim [options]\n"
        "A simulated OpenAI-compatible LLM server whose latencies are exactly the ones it is "
        "given.\n"
        "\n"
        "Serving:\n"
        "  --listen HOST:PORT          where to listen (127.0.0.1:8000; port 0 picks a free port)\n"
        "  --model NAME                the served model name (aifb-sim)\n"
        "  --strict-model              answer 404 to a request naming another model\n"
        "  --max-body-bytes N          largest request body (16777216); more is 413\n"
        "  --log-level LEVEL           debug, info, warn or error (info)\n"
        "Timing (milliseconds; each drawn per request for TTFT, per token for ITL):\n"
        "  --ttft-ms X                 time from admission to the first token (0)\n"
        "  --ttft-dist D               fixed, normal, exponential or lognormal (fixed)\n"
        "  --ttft-stddev-ms X          standard deviation for normal and lognormal (0)\n"
        "  --itl-ms X                  time between tokens (0)\n"
        "  --itl-dist D                as --ttft-dist (fixed)\n"
        "  --itl-stddev-ms X           as --ttft-stddev-ms (0)\n"
        "  --prefill-ms-per-token X    added to TTFT per prompt token (0)\n"
        "  --request-log FILE          one JSON line per answered request: the client's\n"
        "                              x-request-id, tokens, ttft_ms and e2e_ms as served\n"
        "  --spin-us N                 poll instead of sleeping when a token is due within N us\n"
        "                              (200; 0: always sleep on the timer)\n"
        "  --seed N                    seed of every draw (1)\n"
        "Generation:\n"
        "  --output-tokens N           tokens when a request gives no max_tokens (128)\n"
        "  --max-output-tokens N       cap on any request's tokens (1000000)\n"
        "  --tokens-per-chunk K        tokens per streamed chunk after the first (1)\n"
        "  --max-num-seqs N            requests generating at once; more wait in a queue (256)\n"
        "  --max-queue N               requests waiting at most; more are answered 503 (10000)\n"
        "  --embedding-dim N           length of /v1/embeddings vectors (384)\n"
        "Error injection (P: probability per request, 0 to 1):\n"
        "  --error-rate P              answer --error-status with an error body (0)\n"
        "  --error-status S            status of injected errors, 400 to 599 (500)\n"
        "  --rate-limit-rate P         answer 429 with Retry-After (0)\n"
        "  --retry-after-s N           the Retry-After of injected 429s (1)\n"
        "  --reset-rate P              reset the connection after about half the tokens (0)\n"
        "  --malformed-rate P          send one data: line that is not JSON mid-stream (0)\n"
        "  --hang-rate P               never answer; keep the connection open (0)\n"
        "  --slow-headers-ms X         hold requests this long before they are queued and\n"
        "                              their headers sent (0)\n"
        "  --slow-headers-rate P       which requests --slow-headers-ms holds (1)\n"
        "\n"
        "  --help, --version\n"
        "Prints 'aifb-llmsim: listening on HOST:PORT' on stderr once it accepts connections;\n"
        "SIGTERM or SIGINT stops it (exit 0). docs/llmsim.md has the details.\n",
        f);
}
