/* opts.c: aifb-monitor's options (see opts.h).
 *
 * One table names every option, its kind and where its value goes; the parser walks argv
 * against it, then checks what only the whole command line can tell (an option that needs
 * another, two that exclude each other) and fills the defaults that depend on the machine (the
 * host name, --job under Slurm). */
#include "monitor/opts.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "monitor/metrics.h"

typedef enum opt_kind {
    K_URL,      /* http:// or https:// */
    K_PID,      /* a process id */
    K_DURATION, /* milliseconds in an int64_t */
    K_BYTES,    /* uint64_t */
    K_LABEL,    /* name=value, repeatable */
    K_STR,      /* a non-empty string, kept as a pointer into argv */
    K_INSTANCE, /* the instance label */
    K_LEVEL,    /* log level */
    K_FLAG,     /* no value */
} opt_kind;

typedef struct opt_def {
    const char *name;
    opt_kind kind;
    size_t off;
} opt_def;

#define F(field) offsetof(mon_opts, field)
static const opt_def OPTS[] = {
    {"remote-write", K_URL, F(remote_write)},
    {"pid", K_PID, F(pid)},
    {"job", K_FLAG, F(job)},
    {"interval", K_DURATION, F(interval_ms)},
    {"duration", K_DURATION, F(duration_ms)},
    {"flush-timeout", K_DURATION, F(flush_timeout_ms)},
    {"label", K_LABEL, 0},
    {"scrape", K_URL, F(scrape_url)},
    {"no-node", K_FLAG, F(no_node)},
    {"no-gpu", K_FLAG, F(no_gpu)},
    {"memory-buffer", K_BYTES, F(memory_buffer)},
    {"spool", K_STR, F(spool_dir)},
    {"spool-max-bytes", K_BYTES, F(spool_max_bytes)},
    {"instance", K_INSTANCE, 0},
    {"token-file", K_STR, F(token_file)},
    {"root", K_STR, F(root)},
    {"nvml-library", K_STR, F(nvml_library)},
    {"log-level", K_LEVEL, F(log_level)},
    {"help", K_FLAG, F(help)},
    {"version", K_FLAG, F(version)},
};
#undef F

#define MIN_INTERVAL_MS 50
#define MAX_INTERVAL_MS 3600000
#define MAX_BYTES       (1ull << 50)

bool mon_parse_duration_ms(const char *s, int64_t *ms)
{
    char *end;
    errno = 0;
    if (!*s || isspace((unsigned char)*s))
        return false;
    double x = strtod(s, &end);
    if (errno || !isfinite(x) || x < 0 || end == s)
        return false;
    double scale;
    if (!*end || !strcmp(end, "s"))
        scale = 1000;
    else if (!strcmp(end, "ms"))
        scale = 1;
    else if (!strcmp(end, "m"))
        scale = 60000;
    else if (!strcmp(end, "h"))
        scale = 3600000;
    else
        return false;
    double v = x * scale;
    if (v > 1e15)
        return false;
    *ms = (int64_t)llround(v);
    return true;
}

bool mon_parse_bytes(const char *s, uint64_t *out)
{
    static const struct {
        const char *suffix;
        uint64_t mult;
    } units[] = {{"", 1},
                 {"B", 1},
                 {"k", 1ull << 10},
                 {"K", 1ull << 10},
                 {"Ki", 1ull << 10},
                 {"KiB", 1ull << 10},
                 {"KB", 1000},
                 {"M", 1ull << 20},
                 {"Mi", 1ull << 20},
                 {"MiB", 1ull << 20},
                 {"MB", 1000000},
                 {"G", 1ull << 30},
                 {"Gi", 1ull << 30},
                 {"GiB", 1ull << 30},
                 {"GB", 1000000000}};
    size_t digits = strspn(s, "0123456789");
    if (!digits || digits > 16)
        return false;
    unsigned long long n = strtoull(s, NULL, 10);
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (!strcmp(s + digits, units[i].suffix)) {
            if (n > MAX_BYTES / units[i].mult)
                return false;
            *out = n * units[i].mult;
            return true;
        }
    return false;
}

static aifb_code bad(aifb_err *err, const opt_def *d, const char *v, const char *why)
{
    return aifb_err_set(err, AIFB_EINVAL, "--%s: '%.200s' %s", d->name, v, why);
}

static bool label_name_ok(const char *s)
{
    if (!*s || !(isalpha((unsigned char)*s) || *s == '_'))
        return false;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_'))
            return false;
    return true;
}

static aifb_code add_label(mon_opts *o, const opt_def *d, const char *v, aifb_err *err)
{
    const char *eq = strchr(v, '=');
    if (!eq)
        return bad(err, d, v, "is not NAME=VALUE");
    char *name = xstrdup(v);
    name[eq - v] = '\0';
    const char *why = NULL;
    if (!label_name_ok(name))
        why = "has a name that is not [a-zA-Z_][a-zA-Z0-9_]*";
    else if (!strncmp(name, "__", 2))
        why = "has a name starting with __ (reserved to Prometheus)";
    else if (!strcmp(name, "instance"))
        why = "sets instance: use --instance";
    else if (!eq[1])
        why = "has an empty value (to Prometheus the same as no label)";
    else if (o->nlabels == MON_MAX_LABELS)
        why = "is one label too many (at most 32)";
    for (size_t i = 0; !why && MON_OWN_LABELS[i]; i++)
        if (!strcmp(name, MON_OWN_LABELS[i]))
            why = "uses a label name of the monitor's own series (mode, device, gpu, uuid, "
                  "where)";
    for (size_t i = 0; !why && i < o->nlabels; i++)
        if (!strcmp(name, o->labels[i].name))
            why = "names a label given before";
    if (why) {
        free(name);
        return bad(err, d, v, why);
    }
    o->labels[o->nlabels++] = (mon_label){name, xstrdup(eq + 1)};
    return AIFB_OK;
}

static aifb_code set_value(mon_opts *o, const opt_def *d, const char *v, aifb_err *err)
{
    void *field = (char *)o + d->off;
    switch (d->kind) {
    case K_URL:
        if (strncmp(v, "http://", 7) && strncmp(v, "https://", 8))
            return bad(err, d, v, "is not an http:// or https:// URL");
        *(const char **)field = v;
        return AIFB_OK;
    case K_PID: {
        size_t n = strspn(v, "0123456789");
        if (!n || v[n] || n > 7 || atol(v) < 1 || atol(v) > 4194304)
            return bad(err, d, v, "is not a process id (1 to 4194304)");
        *(int *)field = atoi(v);
        return AIFB_OK;
    }
    case K_DURATION:
        if (!mon_parse_duration_ms(v, field))
            return bad(err, d, v, "is not a duration such as 500ms, 1s, 2m or 1h");
        return AIFB_OK;
    case K_BYTES:
        if (!mon_parse_bytes(v, field))
            return bad(err, d, v, "is not a size such as 4096, 64KiB, 16MiB or 1GiB");
        return AIFB_OK;
    case K_LABEL:
        return add_label(o, d, v, err);
    case K_STR:
        if (!*v)
            return aifb_err_set(err, AIFB_EINVAL, "--%s: the value is empty", d->name);
        *(const char **)field = v;
        return AIFB_OK;
    case K_INSTANCE:
        if (!*v || strlen(v) >= sizeof o->instance)
            return bad(err, d, v, "must be 1 to 255 bytes");
        strcpy(o->instance, v);
        return AIFB_OK;
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

static void defaults(mon_opts *o)
{
    memset(o, 0, sizeof *o);
    o->interval_ms = 1000;
    o->flush_timeout_ms = 10000;
    o->memory_buffer = 16u << 20;
    o->root = "";
    o->nvml_library = "libnvidia-ml.so.1";
    o->log_level = AIFB_LOG_INFO;
}

/* What only the whole command line tells, and the defaults taken from the machine. */
static aifb_code finish(mon_opts *o, bool spool_max_given, aifb_err *err)
{
    if (o->help || o->version)
        return AIFB_OK;
    if (!o->remote_write)
        return aifb_err_set(err, AIFB_EINVAL, "--remote-write URL is required (see --help)");
    if (o->pid && o->job)
        return aifb_err_set(err, AIFB_EINVAL, "--pid and --job exclude each other");
    if (o->interval_ms < MIN_INTERVAL_MS || o->interval_ms > MAX_INTERVAL_MS)
        return aifb_err_set(err, AIFB_EINVAL, "--interval: %lld ms is not between 50ms and 1h",
                            (long long)o->interval_ms);
    if (spool_max_given && !o->spool_dir)
        return aifb_err_set(err, AIFB_EINVAL, "--spool-max-bytes needs --spool DIR");
    if (spool_max_given && o->spool_max_bytes < 4096)
        return aifb_err_set(err, AIFB_EINVAL, "--spool-max-bytes: %llu is below 4096",
                            (unsigned long long)o->spool_max_bytes);
    const char *job_id = getenv("SLURM_JOB_ID");
    if (job_id && *job_id) {
        o->job_id = job_id;
        if (!o->pid && !o->job)
            o->job = o->job_by_default = true;
    }
    if (!o->instance[0]) {
        if (gethostname(o->instance, sizeof o->instance - 1) || !o->instance[0])
            strcpy(o->instance, "localhost");
        o->instance[strcspn(o->instance, ".")] = '\0';
    }
    return AIFB_OK;
}

aifb_code mon_opts_parse(mon_opts *o, int argc, char **argv, aifb_err *err)
{
    defaults(o);
    bool spool_max_given = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) || !a[2]) {
            if (!strcmp(a, "-h")) {
                o->help = true;
                return AIFB_OK;
            }
            return aifb_err_set(err, AIFB_EINVAL, "unexpected argument '%.200s' (see --help)", a);
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t n = eq ? (size_t)(eq - name) : strlen(name);
        const opt_def *d = find_opt(name, n);
        if (!d)
            return aifb_err_set(err, AIFB_EINVAL, "unknown option '--%.*s' (see --help)",
                                (int)(n > 200 ? 200 : n), name);
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
        if (!strcmp(d->name, "spool-max-bytes"))
            spool_max_given = true;
    }
    return finish(o, spool_max_given, err);
}

void mon_opts_free(mon_opts *o)
{
    for (size_t i = 0; i < o->nlabels; i++) {
        free(o->labels[i].name);
        free(o->labels[i].value);
    }
    o->nlabels = 0;
}

void mon_opts_usage(FILE *f)
{
    fputs(
        "usage: aifb-monitor --remote-write URL [--pid PID | --job] [--interval 1s]\n"
        "                    [--label NAME=VALUE]... [--duration D] [options]\n"
        "Samples a process tree, the node and its GPUs, and a service's own /metrics, and pushes\n"
        "them to Prometheus by remote write every interval.\n"
        "\n"
        "What to watch:\n"
        "  --pid PID                 the process and all its descendants; the monitor ends\n"
        "                            (exit 0) once it is gone\n"
        "  --job                     the processes of the Slurm job it runs in (its cgroup);\n"
        "                            the default when SLURM_JOB_ID is set and --pid is not\n"
        "  --scrape URL              a Prometheus text /metrics to scrape every interval; its\n"
        "                            series get the run's labels (a clash keeps the service's\n"
        "                            value as exported_NAME)\n"
        "  --no-node                 no node series (CPU, memory, load, network, disks)\n"
        "  --no-gpu                  no GPU series (NVML is not even loaded)\n"
        "  --nvml-library PATH       the NVML library to dlopen (libnvidia-ml.so.1)\n"
        "  --root DIR                read DIR/proc and DIR/sys instead of /proc and /sys\n"
        "Where to:\n"
        "  --remote-write URL        Prometheus' /api/v1/write (required)\n"
        "  --label NAME=VALUE        a label of every series (repeatable: run_id, role...)\n"
        "  --instance NAME           the instance label (the short host name)\n"
        "  --token-file FILE         a bearer token for Prometheus; else $AIFB_PROM_TOKEN\n"
        "When:\n"
        "  --interval D              time between samples (1s; 50ms to 1h)\n"
        "  --duration D              stop after D (default: when the process is gone, or on\n"
        "                            SIGTERM or SIGINT)\n"
        "  --flush-timeout D         at the end, how long to try sending what is buffered (10s)\n"
        "Buffering while Prometheus is away (resent oldest first when it is back):\n"
        "  --memory-buffer BYTES     encoded batches kept in memory (16MiB)\n"
        "  --spool DIR               beyond that, on disk in DIR (kept across restarts)\n"
        "  --spool-max-bytes BYTES   bound of the spool, oldest dropped first (256MiB)\n"
        "\n"
        "  --log-level LEVEL         debug, info, warn or error (info)\n"
        "  --help, --version\n"
        "Durations: 500ms, 1s, 1.5s, 2m, 1h. Sizes: 4096, 64KiB, 16MiB, 1GiB (or 16MB: 10^6).\n"
        "Exit status: 0 done (the process ended, a signal, --duration); 1 could not start;\n"
        "2 bad options. docs/monitor.md has the details.\n",
        f);
}
