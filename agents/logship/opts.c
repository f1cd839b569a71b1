/* opts.c: parsing aifb-logship's command line (see opts.h).
 *
 * getopt_long walks argv; each option's value is checked where it is read, so the error names
 * the option. What depends on several options (a --file-stream naming a --file, the label count
 * with stream added) is checked once every option is in. */
#include "logship/opts.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/util.h"

#define TOKEN_FILE_MAX 16384

enum {
    O_URL = 256,
    O_FILE,
    O_GLOB,
    O_FILE_STREAM,
    O_LABEL,
    O_POSITIONS,
    O_FORMAT,
    O_BATCH_WAIT,
    O_BATCH_BYTES,
    O_SPOOL,
    O_SPOOL_MAX,
    O_TENANT,
    O_TOKEN_FILE,
    O_FOLLOW_PID,
    O_MAX_RETRIES,
    O_BACKOFF_MIN,
    O_BACKOFF_MAX,
    O_TIMEOUT,
    O_CONNECT_TIMEOUT,
    O_POLL,
    O_ROTATE_WAIT,
    O_FLUSH_TIMEOUT,
    O_MAX_LINE,
    O_NO_INOTIFY,
    O_STATS_FILE,
    O_LOG_LEVEL,
    O_HELP,
    O_VERSION,
};

static const struct option long_opts[] = {
    {"loki-url", required_argument, 0, O_URL},
    {"file", required_argument, 0, O_FILE},
    {"glob", required_argument, 0, O_GLOB},
    {"file-stream", required_argument, 0, O_FILE_STREAM},
    {"label", required_argument, 0, O_LABEL},
    {"positions", required_argument, 0, O_POSITIONS},
    {"format", required_argument, 0, O_FORMAT},
    {"batch-wait", required_argument, 0, O_BATCH_WAIT},
    {"batch-bytes", required_argument, 0, O_BATCH_BYTES},
    {"spool", required_argument, 0, O_SPOOL},
    {"spool-max-bytes", required_argument, 0, O_SPOOL_MAX},
    {"tenant", required_argument, 0, O_TENANT},
    {"token-file", required_argument, 0, O_TOKEN_FILE},
    {"follow-pid", required_argument, 0, O_FOLLOW_PID},
    {"max-retries", required_argument, 0, O_MAX_RETRIES},
    {"backoff-min", required_argument, 0, O_BACKOFF_MIN},
    {"backoff-max", required_argument, 0, O_BACKOFF_MAX},
    {"timeout", required_argument, 0, O_TIMEOUT},
    {"connect-timeout", required_argument, 0, O_CONNECT_TIMEOUT},
    {"poll-interval", required_argument, 0, O_POLL},
    {"rotate-wait", required_argument, 0, O_ROTATE_WAIT},
    {"flush-timeout", required_argument, 0, O_FLUSH_TIMEOUT},
    {"max-line-bytes", required_argument, 0, O_MAX_LINE},
    {"no-inotify", no_argument, 0, O_NO_INOTIFY},
    {"stats-file", required_argument, 0, O_STATS_FILE},
    {"log-level", required_argument, 0, O_LOG_LEVEL},
    {"help", no_argument, 0, O_HELP},
    {"version", no_argument, 0, O_VERSION},
    {0, 0, 0, 0},
};

void logship_opts_usage(FILE *out)
{
    fputs("usage: aifb-logship --loki-url URL (--file PATH | --glob PATTERN)... --positions FILE\n"
          "                    [--label NAME=VALUE]... [options]\n"
          "Ships the lines of files to Grafana Loki's push API (docs/logship.md).\n"
          "  --loki-url URL          http(s)://HOST:PORT/loki/api/v1/push\n"
          "  --file PATH             a file to follow (may not exist yet); repeatable\n"
          "  --glob PATTERN          files matching now and later; repeatable\n"
          "  --file-stream P=NAME    stream label of the --file or --glob P (default: stdout for\n"
          "                          .out, stderr for .err, file otherwise)\n"
          "  --label NAME=VALUE      add or override a label (defaults app=aifb, node=<host>,\n"
          "                          run_id=$AIFB_RUN_ID); an empty value removes it\n"
          "  --positions FILE        where each file's shipped offset is kept\n"
          "  --format F              protobuf (snappy, default) or json\n"
          "  --batch-wait D          push at least this often (1s)\n"
          "  --batch-bytes N         push when a batch holds this much text (1MiB)\n"
          "  --spool DIR             keep batches on disk while Loki is down\n"
          "  --spool-max-bytes N     the spool's bound, oldest dropped first (256MiB)\n"
          "  --tenant ID             X-Scope-OrgID\n"
          "  --token-file FILE       bearer token (else $AIFB_LOKI_TOKEN)\n"
          "  --follow-pid PID        when PID is gone: ship what is left and exit 0 (a signal\n"
          "                          waits for PID to end first, half the flush timeout)\n"
          "  --max-retries N         retries of a batch without a spool, -1: no end (10)\n"
          "  --backoff-min D         first wait before a retry, doubled each time (500ms)\n"
          "  --backoff-max D         longest wait between retries (5s)\n"
          "  --timeout D             one push request (10s); --connect-timeout D (5s)\n"
          "  --poll-interval D       check names and read files at least this often (250ms)\n"
          "  --rotate-wait D         follow a rotated or deleted file after its end (5s)\n"
          "  --flush-timeout D       at exit, time to push what is left (10s)\n"
          "  --max-line-bytes N      longer lines are shipped in pieces (4MiB)\n"
          "  --no-inotify            poll only\n"
          "  --stats-file FILE       the counters as JSON at exit\n"
          "  --log-level L           debug, info, warn, error (info)\n"
          "  --help, --version\n"
          "Durations: 500ms, 1s, 2m; sizes: 65536, 64KiB, 1MiB, 1G.\n",
          out);
}

bool logship_parse_duration(const char *s, int64_t *ms)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno || !isfinite(v) || v < 0)
        return false;
    double mult = 1000;
    if (!strcmp(end, "ms"))
        mult = 1;
    else if (!strcmp(end, "m") || !strcmp(end, "min"))
        mult = 60000;
    else if (!strcmp(end, "h"))
        mult = 3600000;
    else if (*end && strcmp(end, "s"))
        return false;
    if (v * mult > 86400000.0 * 365)
        return false;
    *ms = (int64_t)llround(v * mult);
    return true;
}

bool logship_parse_size(const char *s, uint64_t *bytes)
{
    if (!isdigit((unsigned char)*s))
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno)
        return false;
    unsigned shift = 0;
    if (*end) {
        switch (tolower((unsigned char)*end)) {
        case 'k':
            shift = 10;
            break;
        case 'm':
            shift = 20;
            break;
        case 'g':
            shift = 30;
            break;
        default:
            return false;
        }
        end++;
        if (strcasecmp(end, "") && strcasecmp(end, "b") && strcasecmp(end, "ib"))
            return false;
    } else if (end == s) {
        return false;
    }
    if (v > (UINT64_MAX >> shift))
        return false;
    *bytes = (uint64_t)v << shift;
    return true;
}

static aifb_code bad(aifb_err *err, const char *opt, const char *v, const char *why)
{
    return aifb_err_set(err, AIFB_EINVAL, "--%s: '%.200s' %s", opt, v, why);
}

static aifb_code duration(const char *opt, const char *v, int64_t lo, int64_t *out, aifb_err *err)
{
    if (!logship_parse_duration(v, out))
        return bad(err, opt, v, "is not a duration (examples: 250ms, 1s, 2m)");
    if (*out < lo)
        return aifb_err_set(err, AIFB_EINVAL, "--%s: '%s' is below %lld ms", opt, v, (long long)lo);
    return AIFB_OK;
}

static aifb_code size(const char *opt, const char *v, uint64_t lo, uint64_t hi, uint64_t *out,
                      aifb_err *err)
{
    if (!logship_parse_size(v, out))
        return bad(err, opt, v, "is not a size (examples: 65536, 64KiB, 1MiB)");
    if (*out < lo || *out > hi)
        return aifb_err_set(err, AIFB_EINVAL, "--%s: '%s' is not between %llu and %llu bytes", opt,
                            v, (unsigned long long)lo, (unsigned long long)hi);
    return AIFB_OK;
}

static aifb_code integer(const char *opt, const char *v, long long lo, long long hi, long long *out,
                         aifb_err *err)
{
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (!*v || *end || errno || x < lo || x > hi)
        return aifb_err_set(err, AIFB_EINVAL,
                            "--%s: '%.64s' is not a whole number from %lld to "
                            "%lld",
                            opt, v, lo, hi);
    *out = x;
    return AIFB_OK;
}

static void add_source(logship_opts *o, const char *pattern, bool glob)
{
    o->sources = xrealloc(o->sources, (o->nsources + 1) * sizeof *o->sources);
    o->sources[o->nsources++] = (tail_source){pattern, NULL, glob};
}

/* --file-stream PATTERN=NAME: the last '=' separates them (a path may hold '='). */
static aifb_code file_stream(logship_opts *o, const char *v, aifb_err *err)
{
    const char *eq = strrchr(v, '=');
    if (!eq || eq == v || !eq[1])
        return bad(err, "file-stream", v, "is not PATH=NAME");
    ls_labels check = {0};
    aifb_code rc = ls_labels_set(&check, "stream", eq + 1, err);
    ls_labels_free(&check);
    if (rc != AIFB_OK)
        return rc;
    size_t n = (size_t)(eq - v);
    for (size_t i = 0; i < o->nsources; i++)
        if (strlen(o->sources[i].pattern) == n && !strncmp(o->sources[i].pattern, v, n)) {
            o->sources[i].stream = eq + 1;
            return AIFB_OK;
        }
    return bad(err, "file-stream", v, "names no --file or --glob given before it");
}

static aifb_code read_token(logship_opts *o, const char *file, aifb_err *err)
{
    char *text;
    size_t len;
    aifb_code rc = aifb_read_file(file, TOKEN_FILE_MAX, &text, &len, err);
    if (rc != AIFB_OK)
        return aifb_err_set(err, AIFB_EINVAL, "--token-file: cannot read %s", file);
    while (len && isspace((unsigned char)text[len - 1]))
        text[--len] = '\0';
    if (!len || strlen(text) != len || strpbrk(text, "\r\n")) {
        aifb_secret_free(text);
        return aifb_err_set(err, AIFB_EINVAL, "--token-file: %s must hold one token on one line",
                            file);
    }
    aifb_secret_free(o->token);
    o->token = text;
    return AIFB_OK;
}

static void defaults(logship_opts *o)
{
    memset(o, 0, sizeof *o);
    o->format = LS_FORMAT_PROTOBUF;
    o->batch_wait_ms = 1000;
    o->batch_bytes = 1u << 20;
    o->spool_max_bytes = 256u << 20;
    o->max_retries = 10;
    o->backoff_min_ms = 500;
    o->backoff_max_ms = 5000;
    o->timeout_ms = 10000;
    o->connect_timeout_ms = 5000;
    o->poll_interval_ms = 250;
    o->rotate_wait_ms = 5000;
    o->flush_timeout_ms = 10000;
    o->max_line_bytes = 4u << 20;
    o->log_level = AIFB_LOG_INFO;
    ls_labels_set(&o->labels, "app", "aifb", NULL);
    char host[256] = "";
    if (gethostname(host, sizeof host - 1) == 0 && host[0]) {
        host[strcspn(host, ".")] = '\0';
        ls_labels_set(&o->labels, "node", host, NULL);
    }
    const char *run = getenv("AIFB_RUN_ID");
    if (run && *run)
        ls_labels_set(&o->labels, "run_id", run, NULL);
}

static aifb_code one(logship_opts *o, int c, const char *v, aifb_err *err)
{
    uint64_t u = 0;
    long long ll = 0;
    aifb_code rc = AIFB_OK;
    switch (c) {
    case O_URL:
        o->loki_url = v;
        break;
    case O_FILE:
    case O_GLOB:
        if (!*v)
            return bad(err, c == O_FILE ? "file" : "glob", v, "is empty");
        add_source(o, v, c == O_GLOB);
        break;
    case O_FILE_STREAM:
        return file_stream(o, v, err);
    case O_LABEL:
        rc = ls_labels_set_arg(&o->labels, v, err);
        if (rc != AIFB_OK)
            aifb_err_prefix(err, "--label");
        return rc;
    case O_POSITIONS:
        o->positions = v;
        break;
    case O_FORMAT:
        if (!strcmp(v, "protobuf"))
            o->format = LS_FORMAT_PROTOBUF;
        else if (!strcmp(v, "json"))
            o->format = LS_FORMAT_JSON;
        else
            return bad(err, "format", v, "is not protobuf or json");
        break;
    case O_BATCH_WAIT:
        return duration("batch-wait", v, 1, &o->batch_wait_ms, err);
    case O_BATCH_BYTES:
        rc = size("batch-bytes", v, 1, 1u << 30, &u, err);
        o->batch_bytes = (size_t)u;
        return rc;
    case O_SPOOL:
        o->spool_dir = v;
        break;
    case O_SPOOL_MAX:
        return size("spool-max-bytes", v, 4096, UINT64_MAX, &o->spool_max_bytes, err);
    case O_TENANT:
        o->tenant = v;
        break;
    case O_TOKEN_FILE:
        return read_token(o, v, err);
    case O_FOLLOW_PID:
        rc = integer("follow-pid", v, 1, 0x7fffffff, &ll, err);
        o->follow_pid = (pid_t)ll;
        return rc;
    case O_MAX_RETRIES:
        rc = integer("max-retries", v, -1, 1000000, &ll, err);
        o->max_retries = (int)ll;
        return rc;
    case O_BACKOFF_MIN:
        return duration("backoff-min", v, 1, &o->backoff_min_ms, err);
    case O_BACKOFF_MAX:
        return duration("backoff-max", v, 1, &o->backoff_max_ms, err);
    case O_TIMEOUT:
        return duration("timeout", v, 1, &o->timeout_ms, err);
    case O_CONNECT_TIMEOUT:
        return duration("connect-timeout", v, 1, &o->connect_timeout_ms, err);
    case O_POLL:
        return duration("poll-interval", v, 10, &o->poll_interval_ms, err);
    case O_ROTATE_WAIT:
        return duration("rotate-wait", v, 0, &o->rotate_wait_ms, err);
    case O_FLUSH_TIMEOUT:
        return duration("flush-timeout", v, 0, &o->flush_timeout_ms, err);
    case O_MAX_LINE:
        rc = size("max-line-bytes", v, 1024, 1u << 30, &u, err);
        o->max_line_bytes = (size_t)u;
        return rc;
    case O_NO_INOTIFY:
        o->no_inotify = true;
        break;
    case O_STATS_FILE:
        o->stats_file = v;
        break;
    case O_LOG_LEVEL:
        if (!aifb_log_level_parse(v, &o->log_level))
            return bad(err, "log-level", v, "is not debug, info, warn or error");
        break;
    case O_HELP:
        o->help = true;
        break;
    case O_VERSION:
        o->version = true;
        break;
    }
    return rc;
}

/* What needs every option: the required ones, the token from the environment, the label room. */
static aifb_code finish(logship_opts *o, aifb_err *err)
{
    if (!o->loki_url)
        return aifb_err_set(err, AIFB_EINVAL, "--loki-url is required");
    if (strncmp(o->loki_url, "http://", 7) && strncmp(o->loki_url, "https://", 8))
        return aifb_err_set(err, AIFB_EINVAL, "--loki-url: '%.200s' is not http:// or https://",
                            o->loki_url);
    if (!o->nsources)
        return aifb_err_set(err, AIFB_EINVAL, "give at least one --file or --glob");
    if (!o->positions || !*o->positions)
        return aifb_err_set(err, AIFB_EINVAL, "--positions is required");
    if (o->spool_dir && !*o->spool_dir)
        return aifb_err_set(err, AIFB_EINVAL, "--spool: the folder name is empty");
    if (!o->labels.n)
        return aifb_err_set(err, AIFB_EINVAL, "every label was removed: a stream needs one");
    if (!ls_labels_get(&o->labels, "stream") && o->labels.n >= LS_LABELS_MAX)
        return aifb_err_set(err, AIFB_EINVAL,
                            "%zu labels leave no room for the stream label (Loki's limit is %d)",
                            o->labels.n, LS_LABELS_MAX);
    if (!o->token) {
        const char *env = getenv("AIFB_LOKI_TOKEN");
        if (env && *env) {
            if (strpbrk(env, "\r\n"))
                return aifb_err_set(err, AIFB_EINVAL, "AIFB_LOKI_TOKEN holds a line break");
            o->token = xstrdup(env);
        }
    }
    if (o->backoff_max_ms < o->backoff_min_ms)
        o->backoff_max_ms = o->backoff_min_ms;
    return AIFB_OK;
}

aifb_code logship_opts_parse(logship_opts *o, int argc, char **argv, aifb_err *err)
{
    defaults(o);
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":", long_opts, NULL)) != -1) {
        if (c == '?' || c == ':') {
            const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
            return aifb_err_set(err, AIFB_EINVAL, "%s '%s' (see --help)",
                                c == ':' ? "a value is missing after" : "unknown option", arg);
        }
        aifb_code rc = one(o, c, optarg, err);
        if (rc != AIFB_OK)
            return rc;
    }
    if (optind < argc)
        return aifb_err_set(err, AIFB_EINVAL, "unexpected argument '%s' (see --help)",
                            argv[optind]);
    if (o->help || o->version)
        return AIFB_OK;
    return finish(o, err);
}

void logship_opts_free(logship_opts *o)
{
    free(o->sources);
    ls_labels_free(&o->labels);
    aifb_secret_free(o->token);
    memset(o, 0, sizeof *o);
}
