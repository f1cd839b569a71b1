/* opts.c: aifb-loadgen's command line (see opts.h; docs/loadgen.md is the reference).
 *
 * Every value is checked here, before anything is sent: numbers in range, one load model, a URL
 * that libcurl will not reinterpret (http or https only), files that exist. */
#include "loadgen/opts.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/util.h"

enum {
    O_URL = 256,
    O_WORKLOAD,
    O_MODEL,
    O_STREAM,
    O_HEADER,
    O_METHOD,
    O_BODY,
    O_COLLECTION,
    O_VECTOR_DIM,
    O_API_KEY_ENV,
    O_TIMEOUT,
    O_CONNECT_TIMEOUT,
    O_CONCURRENCY,
    O_RATE,
    O_ARRIVAL,
    O_BURSTINESS,
    O_REQUESTS,
    O_DURATION,
    O_WARMUP,
    O_WARMUP_REQUESTS,
    O_COOLDOWN,
    O_RAMP,
    O_MAX_ERRORS,
    O_SWEEP,
    O_SEARCH,
    O_SEARCH_STEPS,
    O_GOODPUT_TARGET,
    O_DATASET,
    O_DATASET_FORMAT,
    O_INPUT_TOKENS,
    O_INPUT_DIST,
    O_INPUT_SPREAD,
    O_OUTPUT_TOKENS,
    O_OUTPUT_DIST,
    O_OUTPUT_SPREAD,
    O_SEED,
    O_IGNORE_EOS,
    O_SLO,
    O_RESULT,
    O_REQUESTS_JSONL,
    O_PRINT_RESULT,
    O_PROGRESS,
    O_QUIET,
    O_REMOTE_WRITE,
    O_LABEL,
    O_PUSH_INTERVAL,
    O_SPIN_US,
    O_RUN_ID,
    O_TASK,
    O_HELP,
};

static const struct option long_opts[] = {
    {"url", required_argument, 0, O_URL},
    {"workload", required_argument, 0, O_WORKLOAD},
    {"model", required_argument, 0, O_MODEL},
    {"stream", no_argument, 0, O_STREAM},
    {"header", required_argument, 0, O_HEADER},
    {"method", required_argument, 0, O_METHOD},
    {"body", required_argument, 0, O_BODY},
    {"collection", required_argument, 0, O_COLLECTION},
    {"vector-dim", required_argument, 0, O_VECTOR_DIM},
    {"api-key-env", required_argument, 0, O_API_KEY_ENV},
    {"timeout", required_argument, 0, O_TIMEOUT},
    {"connect-timeout", required_argument, 0, O_CONNECT_TIMEOUT},
    {"concurrency", required_argument, 0, O_CONCURRENCY},
    {"max-concurrency", required_argument, 0, O_CONCURRENCY},
    {"rate", required_argument, 0, O_RATE},
    {"arrival", required_argument, 0, O_ARRIVAL},
    {"burstiness", required_argument, 0, O_BURSTINESS},
    {"requests", required_argument, 0, O_REQUESTS},
    {"duration", required_argument, 0, O_DURATION},
    {"warmup", required_argument, 0, O_WARMUP},
    {"warmup-requests", required_argument, 0, O_WARMUP_REQUESTS},
    {"cooldown", required_argument, 0, O_COOLDOWN},
    {"ramp", required_argument, 0, O_RAMP},
    {"max-errors", required_argument, 0, O_MAX_ERRORS},
    {"sweep", required_argument, 0, O_SWEEP},
    {"search-rate", required_argument, 0, O_SEARCH},
    {"search-steps", required_argument, 0, O_SEARCH_STEPS},
    {"goodput-target", required_argument, 0, O_GOODPUT_TARGET},
    {"dataset", required_argument, 0, O_DATASET},
    {"dataset-format", required_argument, 0, O_DATASET_FORMAT},
    {"input-tokens", required_argument, 0, O_INPUT_TOKENS},
    {"input-dist", required_argument, 0, O_INPUT_DIST},
    {"input-spread", required_argument, 0, O_INPUT_SPREAD},
    {"output-tokens", required_argument, 0, O_OUTPUT_TOKENS},
    {"output-dist", required_argument, 0, O_OUTPUT_DIST},
    {"output-spread", required_argument, 0, O_OUTPUT_SPREAD},
    {"seed", required_argument, 0, O_SEED},
    {"ignore-eos", no_argument, 0, O_IGNORE_EOS},
    {"slo", required_argument, 0, O_SLO},
    {"result", required_argument, 0, O_RESULT},
    {"requests-jsonl", required_argument, 0, O_REQUESTS_JSONL},
    {"print-result", no_argument, 0, O_PRINT_RESULT},
    {"progress", required_argument, 0, O_PROGRESS},
    {"quiet", no_argument, 0, O_QUIET},
    {"remote-write", required_argument, 0, O_REMOTE_WRITE},
    {"label", required_argument, 0, O_LABEL},
    {"push-interval", required_argument, 0, O_PUSH_INTERVAL},
    {"spin-us", required_argument, 0, O_SPIN_US},
    {"run-id", required_argument, 0, O_RUN_ID},
    {"task", required_argument, 0, O_TASK},
    {"help", no_argument, 0, O_HELP},
    {0, 0, 0, 0},
};

void opts_usage(FILE *out)
{
    fputs("usage: aifb-loadgen --url URL --workload chat|completions|embeddings|http|qdrant "
          "[--stream]\n"
          "                    (--concurrency N | --rate R [--arrival constant|poisson|gamma])\n"
          "                    (--requests N | --duration S) [--output-tokens N] [--result FILE]\n"
          "       aifb-loadgen merge --result FILE PART.json...\n"
          "\n"
          "target:   --url URL  --workload W  --model NAME  --stream  --header 'Name: value'\n"
          "          --method M --body TEMPLATE (http)  --collection C --vector-dim N (qdrant)\n"
          "          --api-key-env VAR (default OPENAI_API_KEY)  --timeout S (600)  "
          "--connect-timeout S (10)\n"
          "load:     --concurrency N (closed loop; with --rate: the cap on requests in flight)\n"
          "          --rate R (open loop, requests/s; 0 = closed loop)  --arrival "
          "constant|poisson|gamma\n"
          "          --burstiness K (gamma shape, 1 = poisson)  --requests N  --duration S\n"
          "          --warmup S  --warmup-requests N  --cooldown S  --ramp S  --max-errors N\n"
          "          --sweep rate=R1,R2,... | concurrency=C1,C2,...  (one measured phase each)\n"
          "          --search-rate LO:HI [--search-steps N] [--goodput-target F]  (needs --slo)\n"
          "data:     --dataset FILE [--dataset-format jsonl|sharegpt]  --seed N\n"
          "          --input-tokens N  --input-dist fixed|uniform|normal  --input-spread X\n"
          "          --output-tokens N --output-dist fixed|uniform|normal --output-spread X  "
          "--ignore-eos\n"
          "slo:      --slo ttft=MS[,tpot=MS,e2el=MS]  (goodput counts requests meeting all)\n"
          "output:   --result FILE  --requests-jsonl FILE  --print-result  --progress auto|on|off\n"
          "          --quiet  --remote-write URL  --label name=value  --push-interval S (5)\n"
          "pacing:   --spin-us N  (poll the last N us before each send instead of sleeping: "
          "exact sends\n"
          "          on a machine slow to wake, at the cost of CPU; default 0)\n"
          "          --run-id ID (default $AIFB_RUN_ID)  --task I/N (default: the srun step's)\n"
          "Durations take a unit: 500ms, 30s, 2m, 1h (plain numbers are seconds).\n"
          "Every option is described in docs/loadgen.md.\n",
          out);
}

const char *lg_workload_name(lg_workload w)
{
    static const char *const names[] = {"chat", "completions", "embeddings", "http", "qdrant"};
    return names[w];
}

const char *lg_slo_metric_name(lg_slo_metric m)
{
    static const char *const names[] = {"ttft", "tpot", "e2el"};
    return names[m];
}

bool lg_workload_is_llm(lg_workload w)
{
    return w == LG_WL_CHAT || w == LG_WL_COMPLETIONS;
}

static aifb_code bad(aifb_err *err, const char *opt, const char *value, const char *why)
{
    return aifb_err_set(err, AIFB_EINVAL, "--%s '%.200s': %s", opt, value, why);
}

static bool parse_double(const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !isfinite(v))
        return false;
    *out = v;
    return true;
}

static bool parse_i64(const char *s, int64_t *out)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end)
        return false;
    *out = v;
    return true;
}

/* "30", "30s", "500ms", "2m", "1h" -> seconds. */
static bool parse_duration(const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || !isfinite(v) || v < 0)
        return false;
    double mult = 1;
    if (!strcmp(end, "ms"))
        mult = 0.001;
    else if (!strcmp(end, "m") || !strcmp(end, "min"))
        mult = 60;
    else if (!strcmp(end, "h"))
        mult = 3600;
    else if (*end && strcmp(end, "s"))
        return false;
    *out = v * mult;
    return true;
}

static aifb_code num_opt(const char *opt, const char *v, double lo, double hi, double *out,
                         aifb_err *err)
{
    if (!parse_double(v, out))
        return bad(err, opt, v, "not a number");
    if (*out < lo || *out > hi) {
        char why[128];
        snprintf(why, sizeof why, "out of range [%g, %g]", lo, hi);
        return bad(err, opt, v, why);
    }
    return AIFB_OK;
}

static aifb_code int_opt(const char *opt, const char *v, int64_t lo, int64_t hi, int64_t *out,
                         aifb_err *err)
{
    if (!parse_i64(v, out))
        return bad(err, opt, v, "not a whole number");
    if (*out < lo || *out > hi) {
        char why[128];
        snprintf(why, sizeof why, "out of range [%lld, %lld]", (long long)lo, (long long)hi);
        return bad(err, opt, v, why);
    }
    return AIFB_OK;
}

static aifb_code dur_opt(const char *opt, const char *v, double *out, aifb_err *err)
{
    if (!parse_duration(v, out))
        return bad(err, opt, v, "not a duration (examples: 500ms, 30, 30s, 2m, 1h)");
    return AIFB_OK;
}

static bool parse_dist(const char *s, lg_len_dist *d)
{
    if (!strcmp(s, "fixed"))
        *d = LG_LEN_FIXED;
    else if (!strcmp(s, "uniform"))
        *d = LG_LEN_UNIFORM;
    else if (!strcmp(s, "normal"))
        *d = LG_LEN_NORMAL;
    else
        return false;
    return true;
}

static void strv_push(char ***v, const char *s)
{
    size_t n = 0;
    while (*v && (*v)[n])
        n++;
    *v = xrealloc(*v, (n + 2) * sizeof **v);
    (*v)[n] = xstrdup(s);
    (*v)[n + 1] = NULL;
}

static void strv_free(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

/* "ttft=200,tpot=50" (':' also accepted for '='). */
static aifb_code parse_slos(const char *v, lg_opts *o, aifb_err *err)
{
    char *copy = xstrdup(v), *save = NULL;
    aifb_code rc = AIFB_OK;
    for (char *tok = strtok_r(copy, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strpbrk(tok, "=:");
        double ms;
        if (!eq || !parse_double(eq + 1, &ms) || ms <= 0) {
            rc = bad(err, "slo", v, "expected metric=milliseconds pairs, e.g. ttft=200,tpot=50");
            break;
        }
        *eq = '\0';
        lg_slo_metric m;
        if (!strcmp(tok, "ttft"))
            m = LG_SLO_TTFT;
        else if (!strcmp(tok, "tpot"))
            m = LG_SLO_TPOT;
        else if (!strcmp(tok, "e2el"))
            m = LG_SLO_E2EL;
        else {
            rc = bad(err, "slo", v, "unknown metric (known: ttft, tpot, e2el)");
            break;
        }
        size_t i = 0;
        while (i < o->nslos && o->slos[i].metric != m)
            i++;
        if (i == o->nslos) {
            if (o->nslos == LG_MAX_SLOS) {
                rc = bad(err, "slo", v, "too many objectives");
                break;
            }
            o->nslos++;
        }
        o->slos[i].metric = m;
        o->slos[i].ms = ms;
    }
    free(copy);
    return rc;
}

static aifb_code parse_sweep(const char *v, lg_opts *o, aifb_err *err)
{
    const char *list;
    if (!strncmp(v, "rate=", 5)) {
        o->sweep_rates = true;
        list = v + 5;
    } else if (!strncmp(v, "concurrency=", 12)) {
        o->sweep_rates = false;
        list = v + 12;
    } else {
        return bad(err, "sweep", v, "expected rate=R1,R2,... or concurrency=C1,C2,...");
    }
    o->nsweep = 0;
    char *copy = xstrdup(list), *save = NULL;
    aifb_code rc = AIFB_OK;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        double x;
        if (!parse_double(tok, &x) || x <= 0 || (!o->sweep_rates && x != floor(x))) {
            rc = bad(err, "sweep", v,
                     "expected positive numbers separated by commas (whole numbers of users)");
            break;
        }
        o->sweep = xrealloc(o->sweep, (o->nsweep + 1) * sizeof *o->sweep);
        o->sweep[o->nsweep++] = x;
    }
    free(copy);
    if (!rc && !o->nsweep)
        rc = bad(err, "sweep", v, "empty list");
    return rc;
}

static bool valid_header(const char *h)
{
    const char *colon = strchr(h, ':');
    if (!colon || colon == h)
        return false;
    for (const char *p = h; *p; p++)
        if ((unsigned char)*p < 0x20 && *p != '\t')
            return false;
    for (const char *p = h; p < colon; p++)
        if (*p == ' ' || *p == '\t')
            return false;
    return true;
}

static bool valid_label(const char *l)
{
    const char *eq = strchr(l, '=');
    if (!eq || eq == l)
        return false;
    for (const char *p = l; p < eq; p++) {
        bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' ||
                  (p > l && *p >= '0' && *p <= '9');
        if (!ok)
            return false;
    }
    return !(eq - l >= 2 && l[0] == '_' && l[1] == '_');
}

static void set_str(char **dst, const char *v)
{
    free(*dst);
    *dst = xstrdup(v);
}

/* Defaults, and the task split Slurm's srun announces. */
static void defaults(lg_opts *o)
{
    memset(o, 0, sizeof *o);
    o->workload = LG_WL_CHAT;
    o->timeout_s = 600;
    o->connect_timeout_s = 10;
    o->arrival = ARRIVAL_POISSON;
    o->burstiness = 1.0;
    o->input = (lg_len){.n = 128, .dist = LG_LEN_FIXED};
    o->output = (lg_len){.n = 128, .dist = LG_LEN_FIXED};
    o->seed = 1;
    o->vector_dim = 384;
    o->push_interval_s = 5;
    o->search_steps = 6;
    o->goodput_target = 0.9;
    o->api_key_env = xstrdup("OPENAI_API_KEY");
    o->method = xstrdup("POST");
    const char *run = getenv("AIFB_RUN_ID");
    if (run && *run)
        o->run_id = xstrdup(run);
    /* aifbd names its Prometheus receiver here for every role; --remote-write wins. */
    const char *rw = getenv("AIFB_REMOTE_WRITE_URL");
    if (rw && (!strncasecmp(rw, "http://", 7) || !strncasecmp(rw, "https://", 8)))
        o->remote_write = xstrdup(rw);
    /* Inside an srun step (not the batch script itself, which has SLURM_NTASKS too). */
    const char *pid = getenv("SLURM_PROCID"), *nt = getenv("SLURM_STEP_NUM_TASKS");
    int64_t a, b;
    o->ntasks = 1;
    if (pid && nt && parse_i64(pid, &a) && parse_i64(nt, &b) && b >= 1 && a >= 0 && a < b) {
        o->task_id = (int)a;
        o->ntasks = (int)b;
        o->task_from_slurm = b > 1;
    }
}

/* "%t" in an output path becomes the task's number, so the tasks of one srun write apart. */
static void expand_task(char **path, int task)
{
    if (!*path || !strstr(*path, "%t"))
        return;
    abuf b = {0};
    for (const char *p = *path; *p; p++) {
        if (p[0] == '%' && p[1] == 't') {
            abuf_printf(&b, "%d", task);
            p++;
        } else {
            abuf_putc(&b, *p);
        }
    }
    free(*path);
    *path = abuf_take(&b);
}

static aifb_code check(lg_opts *o, bool have_conc, bool have_rate, aifb_err *err)
{
    expand_task(&o->result_path, o->task_id);
    expand_task(&o->requests_path, o->task_id);
    if (!o->url)
        return aifb_err_set(err, AIFB_EINVAL,
                            "--url is required (the server, e.g. http://127.0.0.1:8000)");
    if (strncasecmp(o->url, "http://", 7) && strncasecmp(o->url, "https://", 8))
        return bad(err, "url", o->url, "only http:// and https:// URLs are accepted");
    for (const char *p = o->url; *p; p++)
        if ((unsigned char)*p <= 0x20 || *p == 0x7f)
            return bad(err, "url", o->url, "spaces and control characters are not allowed");
    if (!have_conc && !have_rate && !o->nsweep && !o->search)
        return aifb_err_set(err, AIFB_EINVAL,
                            "give a load: --concurrency N (closed loop) or --rate R (open loop)");
    if (o->nsweep && !o->sweep_rates && !have_rate)
        o->concurrency = 1; /* a closed loop whose users the sweep sets */
    if (o->rate == 0 && have_rate && !have_conc && !(o->nsweep && !o->sweep_rates))
        return aifb_err_set(err, AIFB_EINVAL,
                            "--rate 0 means a closed loop: give --concurrency N as well");
    if (!o->requests && !o->duration_s && !o->search)
        return aifb_err_set(err, AIFB_EINVAL, "give a limit: --requests N or --duration S");
    if (o->search && !o->nslos)
        return aifb_err_set(err, AIFB_EINVAL,
                            "--search-rate needs at least one --slo (what goodput means)");
    if (o->search && o->nsweep)
        return aifb_err_set(err, AIFB_EINVAL, "--search-rate and --sweep cannot be combined");
    if (o->search && !o->requests && !o->duration_s)
        o->duration_s = 10;
    if (o->workload == LG_WL_QDRANT && !o->collection)
        return aifb_err_set(err, AIFB_EINVAL, "--workload qdrant needs --collection NAME");
    if (o->stream && !lg_workload_is_llm(o->workload))
        return aifb_err_set(err, AIFB_EINVAL,
                            "--stream applies to the chat and completions workloads only");
    if (o->ntasks > 1 && o->requests && o->requests < o->ntasks)
        return aifb_err_set(err, AIFB_EINVAL,
                            "--requests %lld is fewer than the %d tasks sharing it",
                            (long long)o->requests, o->ntasks);
    if (o->dataset && access(o->dataset, R_OK))
        return bad(err, "dataset", o->dataset, "cannot be read");
    return AIFB_OK;
}

static aifb_code parse_len(int id, const char *v, lg_opts *o, aifb_err *err)
{
    lg_len *l = (id == O_INPUT_TOKENS || id == O_INPUT_DIST || id == O_INPUT_SPREAD) ? &o->input
                                                                                     : &o->output;
    const char *name = l == &o->input ? "input" : "output";
    char opt[32];
    int64_t n;
    double x;
    switch (id) {
    case O_INPUT_TOKENS:
    case O_OUTPUT_TOKENS:
        snprintf(opt, sizeof opt, "%s-tokens", name);
        if (int_opt(opt, v, 1, 10000000, &n, err))
            return AIFB_EINVAL;
        l->n = n;
        return AIFB_OK;
    case O_INPUT_DIST:
    case O_OUTPUT_DIST:
        snprintf(opt, sizeof opt, "%s-dist", name);
        return parse_dist(v, &l->dist) ? AIFB_OK
                                       : bad(err, opt, v, "expected fixed, uniform or normal");
    default:
        snprintf(opt, sizeof opt, "%s-spread", name);
        if (num_opt(opt, v, 0, 10000000, &x, err))
            return AIFB_EINVAL;
        l->spread = x;
        return AIFB_OK;
    }
}

static aifb_code parse_one(int c, const char *v, lg_opts *o, bool *have_conc, bool *have_rate,
                           aifb_err *err)
{
    int64_t n;
    double x;
    switch (c) {
    case O_URL:
        set_str(&o->url, v);
        return AIFB_OK;
    case O_WORKLOAD:
        for (int w = LG_WL_CHAT; w <= LG_WL_QDRANT; w++)
            if (!strcmp(v, lg_workload_name((lg_workload)w))) {
                o->workload = (lg_workload)w;
                return AIFB_OK;
            }
        return bad(err, "workload", v, "expected chat, completions, embeddings, http or qdrant");
    case O_MODEL:
        set_str(&o->model, v);
        return AIFB_OK;
    case O_STREAM:
        o->stream = true;
        return AIFB_OK;
    case O_HEADER:
        if (!valid_header(v))
            return bad(err, "header", v, "expected 'Name: value' without control characters");
        strv_push(&o->headers, v);
        return AIFB_OK;
    case O_METHOD:
        for (const char *p = v; *p; p++)
            if (*p < 'A' || *p > 'Z')
                return bad(err, "method", v,
                           "expected an HTTP method in capitals (GET, POST, ...)");
        if (!*v)
            return bad(err, "method", v, "empty");
        set_str(&o->method, v);
        return AIFB_OK;
    case O_BODY:
        set_str(&o->body, v);
        return AIFB_OK;
    case O_COLLECTION:
        for (const char *p = v; *p; p++)
            if (!(*p == '-' || *p == '_' || *p == '.' || (*p >= '0' && *p <= '9') ||
                  (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
                return bad(err, "collection", v, "letters, digits, '-', '_' and '.' only");
        set_str(&o->collection, v);
        return AIFB_OK;
    case O_VECTOR_DIM:
        if (int_opt("vector-dim", v, 1, 65536, &n, err))
            return AIFB_EINVAL;
        o->vector_dim = (int)n;
        return AIFB_OK;
    case O_API_KEY_ENV:
        set_str(&o->api_key_env, v);
        return AIFB_OK;
    case O_TIMEOUT:
        return dur_opt("timeout", v, &o->timeout_s, err);
    case O_CONNECT_TIMEOUT:
        return dur_opt("connect-timeout", v, &o->connect_timeout_s, err);
    case O_CONCURRENCY:
        if (int_opt("concurrency", v, 1, 1000000, &n, err))
            return AIFB_EINVAL;
        o->concurrency = (int)n;
        *have_conc = true;
        return AIFB_OK;
    case O_RATE:
        if (num_opt("rate", v, 0, 10000000, &o->rate, err))
            return AIFB_EINVAL;
        *have_rate = true;
        return AIFB_OK;
    case O_ARRIVAL:
        return arrival_kind_parse(v, &o->arrival)
                   ? AIFB_OK
                   : bad(err, "arrival", v, "expected constant, poisson or gamma");
    case O_BURSTINESS:
        return num_opt("burstiness", v, 0.01, 1000, &o->burstiness, err);
    case O_REQUESTS:
        if (int_opt("requests", v, 1, INT64_C(1) << 40, &o->requests, err))
            return AIFB_EINVAL;
        return AIFB_OK;
    case O_DURATION:
        return dur_opt("duration", v, &o->duration_s, err);
    case O_WARMUP:
        return dur_opt("warmup", v, &o->warmup_s, err);
    case O_WARMUP_REQUESTS:
        return int_opt("warmup-requests", v, 0, INT64_C(1) << 40, &o->warmup_requests, err);
    case O_COOLDOWN:
        return dur_opt("cooldown", v, &o->cooldown_s, err);
    case O_RAMP:
        return dur_opt("ramp", v, &o->ramp_s, err);
    case O_MAX_ERRORS:
        return int_opt("max-errors", v, 0, INT64_C(1) << 40, &o->max_errors, err);
    case O_SWEEP:
        return parse_sweep(v, o, err);
    case O_SEARCH: {
        const char *colon = strchr(v, ':');
        char lo[64];
        if (!colon || (size_t)(colon - v) >= sizeof lo)
            return bad(err, "search-rate", v, "expected LO:HI in requests/s, e.g. 1:100");
        memcpy(lo, v, (size_t)(colon - v));
        lo[colon - v] = '\0';
        if (!parse_double(lo, &o->search_lo) || !parse_double(colon + 1, &o->search_hi) ||
            o->search_lo <= 0 || o->search_hi <= o->search_lo)
            return bad(err, "search-rate", v, "expected 0 < LO < HI, e.g. 1:100");
        o->search = true;
        return AIFB_OK;
    }
    case O_SEARCH_STEPS:
        if (int_opt("search-steps", v, 1, 30, &n, err))
            return AIFB_EINVAL;
        o->search_steps = (int)n;
        return AIFB_OK;
    case O_GOODPUT_TARGET:
        return num_opt("goodput-target", v, 0.01, 1, &o->goodput_target, err);
    case O_DATASET:
        set_str(&o->dataset, v);
        return AIFB_OK;
    case O_DATASET_FORMAT:
        if (strcmp(v, "jsonl") && strcmp(v, "sharegpt"))
            return bad(err, "dataset-format", v, "expected jsonl or sharegpt");
        set_str(&o->dataset_format, v);
        return AIFB_OK;
    case O_INPUT_TOKENS:
    case O_INPUT_DIST:
    case O_INPUT_SPREAD:
    case O_OUTPUT_TOKENS:
    case O_OUTPUT_DIST:
    case O_OUTPUT_SPREAD:
        return parse_len(c, v, o, err);
    case O_SEED:
        if (int_opt("seed", v, 0, INT64_MAX, &n, err))
            return AIFB_EINVAL;
        o->seed = (uint64_t)n;
        return AIFB_OK;
    case O_IGNORE_EOS:
        o->ignore_eos = true;
        return AIFB_OK;
    case O_SLO:
        return parse_slos(v, o, err);
    case O_RESULT:
        set_str(&o->result_path, v);
        return AIFB_OK;
    case O_REQUESTS_JSONL:
        set_str(&o->requests_path, v);
        return AIFB_OK;
    case O_PRINT_RESULT:
        o->print_result = true;
        return AIFB_OK;
    case O_PROGRESS:
        if (!strcmp(v, "auto"))
            o->progress = LG_PROGRESS_AUTO;
        else if (!strcmp(v, "on"))
            o->progress = LG_PROGRESS_ON;
        else if (!strcmp(v, "off"))
            o->progress = LG_PROGRESS_OFF;
        else
            return bad(err, "progress", v, "expected auto, on or off");
        return AIFB_OK;
    case O_QUIET:
        o->quiet = true;
        return AIFB_OK;
    case O_REMOTE_WRITE:
        if (strncasecmp(v, "http://", 7) && strncasecmp(v, "https://", 8))
            return bad(err, "remote-write", v, "expected an http:// or https:// URL");
        set_str(&o->remote_write, v);
        return AIFB_OK;
    case O_LABEL:
        if (!valid_label(v))
            return bad(err, "label", v, "expected name=value with a Prometheus label name");
        strv_push(&o->labels, v);
        return AIFB_OK;
    case O_PUSH_INTERVAL:
        if (dur_opt("push-interval", v, &x, err))
            return AIFB_EINVAL;
        if (x < 0.1)
            return bad(err, "push-interval", v, "at least 100ms");
        o->push_interval_s = x;
        return AIFB_OK;
    case O_SPIN_US:
        if (int_opt("spin-us", v, 0, 10000, &n, err))
            return AIFB_EINVAL;
        o->spin_us = (int)n;
        return AIFB_OK;
    case O_RUN_ID:
        set_str(&o->run_id, v);
        return AIFB_OK;
    case O_TASK: {
        int a, b;
        char tail;
        if (sscanf(v, "%d/%d%c", &a, &b, &tail) != 2 || b < 1 || a < 0 || a >= b)
            return bad(err, "task", v, "expected I/N with 0 <= I < N");
        o->task_id = a;
        o->ntasks = b;
        o->task_from_slurm = false;
        return AIFB_OK;
    }
    default:
        return AIFB_EINVAL;
    }
}

aifb_code opts_parse(int argc, char **argv, lg_opts *o, aifb_err *err)
{
    defaults(o);
    bool have_conc = false, have_rate = false;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", long_opts, NULL)) != -1) {
        if (c == 'h' || c == O_HELP) {
            opts_usage(stdout);
            return aifb_err_set(err, AIFB_ECANCELLED, "help");
        }
        if (c == '?')
            return aifb_err_set(err, AIFB_EINVAL, "unknown option '%s' (see --help)",
                                argv[optind - 1]);
        if (c == ':')
            return aifb_err_set(err, AIFB_EINVAL, "option '%s' needs a value", argv[optind - 1]);
        aifb_code rc = parse_one(c, optarg, o, &have_conc, &have_rate, err);
        if (rc)
            return rc;
    }
    if (optind < argc)
        return aifb_err_set(err, AIFB_EINVAL, "unexpected argument '%s' (see --help)",
                            argv[optind]);
    return check(o, have_conc, have_rate, err);
}

void opts_free(lg_opts *o)
{
    free(o->url);
    free(o->model);
    strv_free(o->headers);
    free(o->method);
    free(o->body);
    free(o->collection);
    free(o->api_key_env);
    free(o->sweep);
    free(o->dataset);
    free(o->dataset_format);
    free(o->result_path);
    free(o->requests_path);
    free(o->remote_write);
    strv_free(o->labels);
    free(o->run_id);
    memset(o, 0, sizeof *o);
}
