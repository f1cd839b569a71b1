/* config.c: see config.h. The file is YAML so it reads like the recipes; only scalar values and
 * one level of sections are meaningful, and an unknown key is an error (a typo must not silently
 * leave a default in place). */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "common/util.h"
#include "rpc/rpc.h"

/* Every setting aifbd knows: its key in the file ("section.key"), the environment variable that
 * sets it (NULL: none), what it is, and where it lives. One table, so the file, the environment
 * and the flags can never disagree on a name, and an unknown key is refused everywhere. */
typedef enum {
    SET_STR,
    SET_PATH, /* a path on this machine: a leading "~/" is the home folder, as in a shell */
    SET_SECRET,
    SET_INT,
    SET_BOOL,
    SET_CHOICE,
    SET_LOGLEVEL,
    SET_LOGFMT
} set_kind;

typedef struct setting {
    const char *key;
    const char *env;
    set_kind kind;
    size_t off;
    int lo, hi;          /* SET_INT */
    const char *choices; /* SET_CHOICE: "a|b|c" */
    bool env_only;       /* secrets that must not sit in a file */
} setting;

#define AT(field) offsetof(aifbd_config, field)
#define JOB(prefix, part, envp, envacct)                                                           \
    {prefix ".account", envacct, SET_STR, AT(slurm.part.account)},                                 \
        {prefix ".partition", envp, SET_STR, AT(slurm.part.partition)},                            \
        {prefix ".qos", NULL, SET_STR, AT(slurm.part.qos)},                                        \
        {prefix ".time_limit_min", NULL, SET_INT, AT(slurm.part.time_limit_min), 1, 525600},       \
        {prefix ".nodes", NULL, SET_INT, AT(slurm.part.nodes), 1, 100000},                         \
        {prefix ".tasks", NULL, SET_INT, AT(slurm.part.tasks), 1, 1000000},                        \
        {prefix ".cpus_per_task", NULL, SET_INT, AT(slurm.part.cpus_per_task), 1, 65534},          \
        {prefix ".memory_mb", NULL, SET_INT, AT(slurm.part.memory_mb), 1, 2000000000},             \
    {                                                                                              \
        prefix ".gpus", NULL, SET_INT, AT(slurm.part.gpus), 0, 1024                                \
    }

static const setting settings[] = {
    {"listen", "AIFB_LISTEN", SET_STR, AT(listen)},
    {"state_dir", "AIFB_STATE_DIR", SET_PATH, AT(state_dir)},
    {"recipes_dir", "AIFB_RECIPES_DIR", SET_PATH, AT(recipes_dir)},
    {"executor", "AIFB_EXECUTOR", SET_CHOICE, AT(executor), 0, 0, "local|slurm-rest|slurm-ssh"},
    {"token", "AIFB_TOKEN", SET_SECRET, AT(token)},
    {"workers", "AIFB_WORKERS", SET_INT, AT(workers), 1, 64},
    {"grace_ms", "AIFB_GRACE_MS", SET_INT, AT(grace_ms), 0, 600000},
    {"tick_ms", "AIFB_TICK_MS", SET_INT, AT(tick_ms), 10, 60000},
    {"log_level", "AIFB_LOG_LEVEL", SET_LOGLEVEL, AT(log_level)},
    {"log_format", "AIFB_LOG_FORMAT", SET_LOGFMT, AT(log_json)},
    JOB("slurm", job, "AIFB_SLURM_PARTITION", "AIFB_SLURM_ACCOUNT"),
    JOB("slurm_service", service, NULL, NULL),
    JOB("slurm_client", client, NULL, NULL),
    {"slurm.gpu_directive", NULL, SET_CHOICE, AT(slurm.gpu_directive), 0, 0, "gpus|gres"},
    {"slurm.remote_base", "REMOTE_BASE_PATH", SET_STR, AT(slurm.remote_base)},
    {"slurm.endpoint_timeout_s", NULL, SET_INT, AT(slurm.endpoint_timeout_s), 1, 604800},
    {"slurm.login_shell", NULL, SET_BOOL, AT(slurm.login_shell)},
    {"slurm.modules", NULL, SET_STR, AT(slurm.modules)},
    {"slurm.agents_dir", "AIFB_SLURM_AGENTS_DIR", SET_STR, AT(slurm.agents_dir)},
    {"slurm_rest.url", "AIFB_SLURM_REST_URL", SET_STR, AT(slurm.rest_url)},
    {"slurm_rest.user", "AIFB_SLURM_USER", SET_STR, AT(slurm.rest_user)},
    {"slurm_rest.version", "AIFB_SLURM_REST_VERSION", SET_CHOICE, AT(slurm.rest_version), 0, 0,
     "auto|v0.0.38|v0.0.40|v0.0.41|v0.0.42"},
    {"slurm_rest.jwt", "SLURM_JWT", SET_SECRET, AT(slurm.jwt), 0, 0, NULL, true},
    {"slurm_rest.jwt_key", "AIFB_SLURM_JWT_KEY", SET_PATH, AT(slurm.jwt_key_path)},
    {"slurm_rest.jwt_lifetime_s", NULL, SET_INT, AT(slurm.jwt_lifetime_s), 60, 31536000},
    {"ssh.host", "SSH_HOST", SET_STR, AT(slurm.ssh_host)},
    {"ssh.port", "SSH_PORT", SET_INT, AT(slurm.ssh_port), 1, 65535},
    {"ssh.user", "SSH_USER", SET_STR, AT(slurm.ssh_user)},
    {"ssh.key_path", "SSH_KEY_PATH", SET_PATH, AT(slurm.ssh_key_path)},
    {"ssh.known_hosts", "SSH_KNOWN_HOSTS", SET_PATH, AT(slurm.ssh_known_hosts)},
    {"ssh.mode", "AIFB_SSH_MODE", SET_CHOICE, AT(slurm.ssh_mode), 0, 0, "tunnel|cli"},
    {"prometheus.remote_write_url", "AIFB_PROMETHEUS_URL", SET_STR, AT(observe.prometheus_url)},
    {"loki.push_url", "AIFB_LOKI_URL", SET_STR, AT(observe.loki_url)},
    {"agents.interval_ms", NULL, SET_INT, AT(observe.interval_ms), 100, 3600000},
};
#define NSETTINGS (sizeof settings / sizeof settings[0])

static const setting *setting_find(const char *key)
{
    for (size_t i = 0; i < NSETTINGS; i++)
        if (!strcmp(settings[i].key, key))
            return &settings[i];
    return NULL;
}

static bool choice_ok(const char *choices, const char *v)
{
    size_t n = strlen(v);
    for (const char *c = choices; *c;) {
        const char *bar = strchr(c, '|');
        size_t len = bar ? (size_t)(bar - c) : strlen(c);
        if (len == n && !strncmp(c, v, n))
            return true;
        c += len + (bar ? 1 : 0);
    }
    return false;
}

/* Sets one setting from text; `source` names where the value came from, for messages (a secret's
 * value is never repeated in one). */
/* $HOME, else the passwd entry's home folder, else "/". */
static const char *home_dir(void)
{
    const char *h = getenv("HOME");
    if (h && *h)
        return h;
    struct passwd *pw = getpwuid(getuid());
    return pw && pw->pw_dir ? pw->pw_dir : "/";
}

static aifb_code setting_apply(aifbd_config *cfg, const setting *s, const char *v,
                               const char *source, aifb_err *err)
{
    void *slot = (char *)cfg + s->off;
    switch (s->kind) {
    case SET_STR:
    case SET_SECRET:
        free(*(char **)slot);
        *(char **)slot = xstrdup(v);
        return AIFB_OK;
    case SET_PATH: {
        if (v[0] != '~' || !v[1]) {
            free(*(char **)slot);
            *(char **)slot = xstrdup(v[0] == '~' ? home_dir() : v);
            return AIFB_OK;
        }
        if (v[1] != '/')
            return aifb_err_set(err, AIFB_EINVAL,
                                "%s %s: '%s': only ~/ (this user's home folder) is expanded",
                                source, s->key, v);
        abuf b = {0};
        abuf_printf(&b, "%s%s", home_dir(), v + 1);
        free(*(char **)slot);
        *(char **)slot = abuf_take(&b);
        return AIFB_OK;
    }
    case SET_CHOICE:
        if (!choice_ok(s->choices, v))
            return aifb_err_set(err, AIFB_EINVAL, "%s %s: '%s' is not one of %s", source, s->key, v,
                                s->choices);
        free(*(char **)slot);
        *(char **)slot = xstrdup(v);
        return AIFB_OK;
    case SET_INT: {
        char *end;
        errno = 0;
        long n = strtol(v, &end, 10);
        if (errno || end == v || *end || n < s->lo || n > s->hi)
            return aifb_err_set(err, AIFB_EINVAL, "%s %s: '%s' is not an integer in %d..%d", source,
                                s->key, v, s->lo, s->hi);
        *(int *)slot = (int)n;
        return AIFB_OK;
    }
    case SET_BOOL:
        if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "1"))
            *(bool *)slot = true;
        else if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "0"))
            *(bool *)slot = false;
        else
            return aifb_err_set(err, AIFB_EINVAL, "%s %s: '%s' is not true or false", source,
                                s->key, v);
        return AIFB_OK;
    case SET_LOGLEVEL:
        if (!aifb_log_level_parse(v, (aifb_log_level *)slot))
            return aifb_err_set(err, AIFB_EINVAL,
                                "%s %s: '%s' is not one of debug, info, warn, error", source,
                                s->key, v);
        return AIFB_OK;
    case SET_LOGFMT:
        if (strcmp(v, "json") && strcmp(v, "text"))
            return aifb_err_set(err, AIFB_EINVAL, "%s %s: '%s' is not one of text, json", source,
                                s->key, v);
        *(bool *)slot = !strcmp(v, "json");
        return AIFB_OK;
    }
    return AIFB_OK;
}

/* A setting by its key, from the file or a flag. */
static aifb_code config_set(aifbd_config *cfg, const char *key, const char *v, const char *source,
                            aifb_err *err)
{
    const setting *s = setting_find(key);
    if (!s)
        return aifb_err_set(err, AIFB_EINVAL, "%s %s: unknown setting", source, key);
    if (s->env_only)
        return aifb_err_set(err, AIFB_EINVAL,
                            "%s %s: a secret is not read from here; set %s in the environment",
                            source, key, s->env);
    return setting_apply(cfg, s, v, source, err);
}

static void set_defaults(aifbd_config *cfg)
{
    cfg->listen = xstrdup("127.0.0.1:50051");
    cfg->executor = xstrdup("local");
    cfg->workers = 4; /* handlers may wait on a cluster (a submission): more than the cores */
    cfg->grace_ms = 5000;
    cfg->tick_ms = 200;
    cfg->observe.interval_ms = 1000;
    cfg->log_level = AIFB_LOG_INFO;
    aifbd_slurm_job *jobs[] = {&cfg->slurm.job, &cfg->slurm.service, &cfg->slurm.client};
    for (size_t i = 0; i < 3; i++) {
        aifbd_slurm_job *j = jobs[i];
        j->time_limit_min = j->nodes = j->tasks = j->cpus_per_task = j->memory_mb = j->gpus = -1;
    }
    cfg->slurm.gpu_directive = xstrdup("gpus");
    cfg->slurm.endpoint_timeout_s = 1800;
    cfg->slurm.rest_version = xstrdup("auto");
    cfg->slurm.jwt_lifetime_s = 3600;
    cfg->slurm.ssh_port = 22;
    cfg->slurm.ssh_mode = xstrdup("cli");
}

static char *default_state_dir(void)
{
    char buf[PATH_MAX];
    const char *xdg = getenv("XDG_STATE_HOME");
    if (geteuid() == 0)
        return xstrdup("/var/lib/aifb"); /* a daemon's place, and traversable by service users */
    if (xdg && *xdg) {
        snprintf(buf, sizeof buf, "%s/aifb", xdg);
        return xstrdup(buf);
    }
    const char *home = getenv("HOME");
    if (!home || !*home) {
        struct passwd *pw = getpwuid(geteuid());
        home = pw ? pw->pw_dir : "/tmp";
    }
    snprintf(buf, sizeof buf, "%s/.local/state/aifb", home);
    return xstrdup(buf);
}

/* Recipes ship beside the binary when installed, or in the source tree when run from build/bin. */
static char *default_recipes_dir(void)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash)
            *slash = '\0';
        const char *candidates[] = {"/../share/aifb/recipes", "/../../recipes"};
        for (size_t i = 0; i < 2; i++) {
            char path[PATH_MAX + 64], real[PATH_MAX];
            snprintf(path, sizeof path, "%s%s", exe, candidates[i]);
            if (realpath(path, real) && access(real, R_OK | X_OK) == 0)
                return xstrdup(real);
        }
    }
    return xstrdup("/usr/share/aifb/recipes");
}

/* A section ("slurm:") whose scalar members become "slurm.key" settings. */
static aifb_code load_section(aifbd_config *cfg, yaml_document_t *doc, const char *section,
                              yaml_node_t *map, const char *src, aifb_err *err)
{
    for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top;
         pr++) {
        yaml_node_t *k = yaml_document_get_node(doc, pr->key);
        yaml_node_t *v = yaml_document_get_node(doc, pr->value);
        if (k->type != YAML_SCALAR_NODE || v->type != YAML_SCALAR_NODE)
            return aifb_err_set(err, AIFB_EINVAL, "%s section '%s' must hold single values", src,
                                section);
        char key[256];
        snprintf(key, sizeof key, "%s.%s", section, (const char *)k->data.scalar.value);
        aifb_code rc = config_set(cfg, key, (const char *)v->data.scalar.value, src, err);
        if (rc)
            return rc;
    }
    return AIFB_OK;
}

static aifb_code load_file(aifbd_config *cfg, const char *path, aifb_err *err)
{
    char *text = NULL;
    size_t len = 0;
    if (aifb_read_file(path, 1 << 20, &text, &len, err) != AIFB_OK)
        return err ? err->code : AIFB_EINTERNAL;
    yaml_parser_t p;
    yaml_document_t doc;
    yaml_parser_initialize(&p);
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    aifb_code rc = AIFB_OK;
    if (!yaml_parser_load(&p, &doc)) {
        rc = aifb_err_set(err, AIFB_EINVAL, "config %s: YAML error at line %zu: %s", path,
                          p.problem_mark.line + 1, p.problem ? p.problem : "?");
        yaml_parser_delete(&p);
        free(text);
        return rc;
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (root && root->type != YAML_MAPPING_NODE)
        rc = aifb_err_set(err, AIFB_EINVAL, "config %s: the top level must be a mapping", path);
    for (yaml_node_pair_t *pr = root && !rc ? root->data.mapping.pairs.start : NULL;
         pr && pr < root->data.mapping.pairs.top && !rc; pr++) {
        yaml_node_t *k = yaml_document_get_node(&doc, pr->key);
        yaml_node_t *v = yaml_document_get_node(&doc, pr->value);
        if (k->type != YAML_SCALAR_NODE) {
            rc = aifb_err_set(err, AIFB_EINVAL, "config %s: keys must be plain names", path);
            break;
        }
        const char *key = (const char *)k->data.scalar.value;
        char src[PATH_MAX + 16];
        snprintf(src, sizeof src, "config %s:", path);
        if (v->type == YAML_SCALAR_NODE)
            rc = config_set(cfg, key, (const char *)v->data.scalar.value, src, err);
        else if (v->type == YAML_MAPPING_NODE)
            rc = load_section(cfg, &doc, key, v, src, err);
        else
            rc = aifb_err_set(err, AIFB_EINVAL, "config %s: '%s' must be a value or a section",
                              path, key);
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&p);
    free(text);
    return rc;
}

static void usage(FILE *f)
{
    fprintf(
        f, "usage: aifbd [--listen ADDR] [--state-dir DIR] [--config FILE] [--recipes DIR]\n"
           "             [--executor local] [--log-level debug|info|warn|error] [--log-json]\n"
           "             [--version] [--help]\n"
           "\n"
           "The aifb control-plane daemon: recipes, runs and services over a gRPC API.\n"
           "\n"
           "  --listen ADDR     host:port or unix:PATH (default 127.0.0.1:50051). A listener\n"
           "                    that is not loopback or a unix socket needs a token.\n"
           "  --state-dir DIR   SQLite database and run folders (default ~/.local/state/aifb,\n"
           "                    or /var/lib/aifb as root)\n"
           "  --config FILE     YAML settings (keys: listen, state_dir, recipes_dir, executor,\n"
           "                    token, workers, grace_ms, tick_ms, log_level, log_format, and\n"
           "                    the sections slurm, slurm_service, slurm_client, slurm_rest, ssh:\n"
           "                    see docs/slurm.md and examples/aifbd-meluxina.yaml)\n"
           "  --recipes DIR     folder of recipe files (*.yaml)\n"
           "\n"
           "Environment: AIFB_CONFIG, AIFB_LISTEN, AIFB_STATE_DIR, AIFB_RECIPES_DIR,\n"
           "AIFB_EXECUTOR, AIFB_TOKEN (bearer token), AIFB_WORKERS, AIFB_GRACE_MS,\n"
           "AIFB_LOG_LEVEL, AIFB_LOG_FORMAT; for Slurm AIFB_SLURM_REST_URL, SLURM_JWT,\n"
           "AIFB_SLURM_USER, AIFB_SLURM_PARTITION, AIFB_SLURM_ACCOUNT, SSH_HOST, SSH_PORT,\n"
           "SSH_USER, SSH_KEY_PATH, SSH_KNOWN_HOSTS, REMOTE_BASE_PATH. Flags win over the\n"
           "environment, which wins over the config file.\n");
}

/* Flags that take a value, and the setting each one sets. */
static const struct {
    const char *flag, *key;
} flag_names[] = {
    {"--listen", "listen"},     {"--state-dir", "state_dir"}, {"--recipes", "recipes_dir"},
    {"--executor", "executor"}, {"--log-level", "log_level"}, {"--workers", "workers"},
};

aifb_code config_load(aifbd_config *cfg, int argc, char **argv, bool *exit_now, aifb_err *err)
{
    memset(cfg, 0, sizeof *cfg);
    *exit_now = false;
    set_defaults(cfg);

    /* The file comes first whatever the order of the flags. */
    const char *file = getenv("AIFB_CONFIG");
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            *exit_now = true;
            return AIFB_OK;
        }
        if (!strcmp(argv[i], "--version")) {
            printf("aifbd %s\n", AIFB_VERSION);
            *exit_now = true;
            return AIFB_OK;
        }
        if (!strcmp(argv[i], "--config")) {
            if (i + 1 >= argc)
                return aifb_err_set(err, AIFB_EINVAL, "--config needs a file");
            file = argv[++i];
        }
    }
    if (file && *file) {
        cfg->config_path = xstrdup(file);
        if (load_file(cfg, file, err) != AIFB_OK)
            return err ? err->code : AIFB_EINVAL;
    }
    for (size_t i = 0; i < NSETTINGS; i++) {
        const char *v = settings[i].env ? getenv(settings[i].env) : NULL;
        if (v && *v && setting_apply(cfg, &settings[i], v, settings[i].env, err) != AIFB_OK)
            return err ? err->code : AIFB_EINVAL;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--config")) {
            i++;
            continue;
        }
        if (!strcmp(a, "--log-json")) {
            cfg->log_json = true;
            continue;
        }
        size_t f = 0;
        for (; f < sizeof flag_names / sizeof flag_names[0]; f++)
            if (!strcmp(a, flag_names[f].flag))
                break;
        if (f == sizeof flag_names / sizeof flag_names[0])
            return aifb_err_set(err, AIFB_EINVAL, "unknown option '%s' (see aifbd --help)", a);
        if (i + 1 >= argc)
            return aifb_err_set(err, AIFB_EINVAL, "%s needs a value", a);
        if (config_set(cfg, flag_names[f].key, argv[++i], a, err) != AIFB_OK)
            return err ? err->code : AIFB_EINVAL;
    }
    if (!cfg->state_dir)
        cfg->state_dir = default_state_dir();
    if (!cfg->recipes_dir)
        cfg->recipes_dir = default_recipes_dir();
    return AIFB_OK;
}

/* A setting the chosen executor cannot do without: the message names the key and the
 * environment name, since either may be where the user keeps it. */
static aifb_code require(const char *value, const char *key, const char *env, const char *executor,
                         aifb_err *err)
{
    if (value && *value)
        return AIFB_OK;
    return aifb_err_set(err, AIFB_EINVAL, "executor %s needs %s: set %s or '%s' in the config file",
                        executor, key, env, key);
}

/* Where runs go, for either Slurm executor: required and absolute. */
static aifb_code validate_remote_base(const aifbd_slurm_config *s, const char *ex, aifb_err *err)
{
    aifb_code rc = require(s->remote_base, "slurm.remote_base", "REMOTE_BASE_PATH", ex, err);
    if (!rc && s->remote_base[0] != '/')
        rc = aifb_err_set(err, AIFB_EINVAL,
                          "slurm.remote_base (REMOTE_BASE_PATH) '%s' must be an absolute path "
                          "on the cluster",
                          s->remote_base);
    return rc;
}

/* slurm.agents_dir goes into the jobs' PATH and is matched as a folder name: absolute, and
 * without the PATH separator, glob characters or control characters. Optional. */
static aifb_code validate_agents_dir(const aifbd_slurm_config *s, aifb_err *err)
{
    const char *d = s->agents_dir;
    if (!d || !*d)
        return AIFB_OK;
    bool control = false;
    for (const char *p = d; *p; p++)
        control |= (unsigned char)*p < 0x20 || *p == 0x7f;
    if (d[0] != '/' || strpbrk(d, ":*?[") || control || strlen(d) >= 4096)
        return aifb_err_set(err, AIFB_EINVAL,
                            "slurm.agents_dir (AIFB_SLURM_AGENTS_DIR) '%.200s' must be an "
                            "absolute folder on the cluster, without ':', '*', '?', '[' or "
                            "control characters",
                            d);
    return AIFB_OK;
}

/* slurm-ssh in tunnel mode: slurmrestd's address as the login node sees it (plain http, since
 * the tunnel carries bytes, not TLS) and one way to a token, as slurm-rest over TCP. */
static aifb_code validate_slurm_tunnel(const aifbd_slurm_config *s, aifb_err *err)
{
    aifb_code rc = require(s->rest_url, "slurm_rest.url", "AIFB_SLURM_REST_URL",
                           "slurm-ssh in ssh.mode tunnel", err);
    if (rc)
        return rc;
    if (strncmp(s->rest_url, "http://", 7))
        return aifb_err_set(err, AIFB_EINVAL,
                            "slurm_rest.url (AIFB_SLURM_REST_URL) '%s' must be http://HOST:PORT "
                            "in ssh.mode tunnel: slurmrestd's address as the login node sees it",
                            s->rest_url);
    bool token = s->jwt && *s->jwt, key = s->jwt_key_path && *s->jwt_key_path;
    if (!token && !key)
        return aifb_err_set(err, AIFB_EINVAL,
                            "executor slurm-ssh in ssh.mode tunnel needs a token for slurmrestd "
                            "at %s: set SLURM_JWT, or AIFB_SLURM_JWT_KEY or 'slurm_rest.jwt_key' "
                            "in the config file (the cluster's JWT key)",
                            s->rest_url);
    if (token && key)
        return aifb_err_set(err, AIFB_EINVAL,
                            "executor slurm-ssh in ssh.mode tunnel: give either SLURM_JWT "
                            "(slurm_rest.jwt) or AIFB_SLURM_JWT_KEY (slurm_rest.jwt_key), "
                            "not both");
    return AIFB_OK;
}

/* slurm-ssh: the login node, who logs in, the key, and where runs go; in tunnel mode also
 * slurmrestd's address and token. */
static aifb_code validate_slurm_ssh(const aifbd_slurm_config *s, aifb_err *err)
{
    const char *ex = "slurm-ssh";
    aifb_code rc = require(s->ssh_host, "ssh.host", "SSH_HOST", ex, err);
    if (!rc)
        rc = require(s->ssh_user, "ssh.user", "SSH_USER", ex, err);
    if (!rc)
        rc = require(s->ssh_key_path, "ssh.key_path", "SSH_KEY_PATH", ex, err);
    if (!rc)
        rc = validate_remote_base(s, ex, err);
    if (!rc)
        rc = validate_agents_dir(s, err);
    if (!rc && !strcmp(s->ssh_mode, "tunnel"))
        rc = validate_slurm_tunnel(s, err);
    return rc;
}

/* slurm-rest: slurmrestd's address and, over TCP, one way to a token (a fixed one or the key to
 * mint them with, not both). A unix socket means local auth: no token is sent. */
static aifb_code validate_slurm_rest(const aifbd_slurm_config *s, aifb_err *err)
{
    const char *ex = "slurm-rest";
    aifb_code rc = require(s->rest_url, "slurm_rest.url", "AIFB_SLURM_REST_URL", ex, err);
    if (!rc)
        rc = validate_remote_base(s, ex, err);
    if (!rc)
        rc = validate_agents_dir(s, err);
    if (rc || !strncmp(s->rest_url, "unix:", 5))
        return rc;
    bool token = s->jwt && *s->jwt, key = s->jwt_key_path && *s->jwt_key_path;
    if (!token && !key)
        return aifb_err_set(err, AIFB_EINVAL,
                            "executor slurm-rest over TCP (slurm_rest.url %s) needs a token: set "
                            "SLURM_JWT, or AIFB_SLURM_JWT_KEY or 'slurm_rest.jwt_key' in the "
                            "config file (the cluster's JWT key), or use a unix: socket",
                            s->rest_url);
    if (token && key)
        return aifb_err_set(err, AIFB_EINVAL,
                            "executor slurm-rest: give either SLURM_JWT (slurm_rest.jwt) or "
                            "AIFB_SLURM_JWT_KEY (slurm_rest.jwt_key), not both");
    return AIFB_OK;
}

/* An agent's receiver reaches the agents' command lines, so it is checked like any value bound
 * for an argv: http(s), printable, no spaces, and no user:password@ (a credential would show in
 * `ps` and in the run's files). Optional. */
static aifb_code validate_receiver_url(const char *url, const char *key, const char *env,
                                       aifb_err *err)
{
    if (!url || !*url)
        return AIFB_OK;
    const char *rest = !strncmp(url, "http://", 7)    ? url + 7
                       : !strncmp(url, "https://", 8) ? url + 8
                                                      : NULL;
    bool bad_char = false;
    for (const char *p = url; *p; p++)
        bad_char |= (unsigned char)*p <= 0x20 || *p == 0x7f;
    if (!rest || !*rest || *rest == '/' || bad_char || strlen(url) > 2000)
        return aifb_err_set(err, AIFB_EINVAL,
                            "%s (%s) '%.200s' must be an http:// or https:// URL without spaces "
                            "or control characters",
                            key, env, url);
    const char *slash = strchr(rest, '/');
    const char *at = strchr(rest, '@');
    if (at && (!slash || at < slash))
        return aifb_err_set(err, AIFB_EINVAL,
                            "%s (%s): a user or password in the URL is refused (it would show in "
                            "the agents' command lines); give the token in the agent's "
                            "environment instead (docs/observe.md)",
                            key, env);
    return AIFB_OK;
}

aifb_code config_validate(const aifbd_config *cfg, aifb_err *err)
{
    if (validate_receiver_url(cfg->observe.prometheus_url, "prometheus.remote_write_url",
                              "AIFB_PROMETHEUS_URL", err) ||
        validate_receiver_url(cfg->observe.loki_url, "loki.push_url", "AIFB_LOKI_URL", err))
        return err->code;
    if (!strcmp(cfg->executor, "slurm-ssh")) {
        if (validate_slurm_ssh(&cfg->slurm, err))
            return err->code;
    } else if (!strcmp(cfg->executor, "slurm-rest")) {
        if (validate_slurm_rest(&cfg->slurm, err))
            return err->code;
    } else if (strcmp(cfg->executor, "local")) {
        return aifb_err_set(err, AIFB_EINVAL,
                            "executor '%s' is not available in this build (available: local, "
                            "slurm-ssh, slurm-rest)",
                            cfg->executor);
    }
    if (!rpc_listen_is_local(cfg->listen) && (!cfg->token || !*cfg->token))
        return aifb_err_set(err, AIFB_EINVAL,
                            "listening on %s (not loopback or a unix socket) needs a bearer token: "
                            "set AIFB_TOKEN or 'token:' in the config file",
                            cfg->listen);
    if (cfg->token && *cfg->token && strlen(cfg->token) < 16)
        return aifb_err_set(err, AIFB_EINVAL, "the token must be at least 16 characters long");
    return AIFB_OK;
}

void config_describe(const aifbd_config *cfg, char *out, size_t outlen)
{
    snprintf(out, outlen,
             "listen=%s state_dir=%s recipes_dir=%s executor=%s token=%s workers=%d config=%s "
             "prometheus=%s loki=%s",
             cfg->listen, cfg->state_dir, cfg->recipes_dir, cfg->executor,
             cfg->token && *cfg->token ? "(set)" : "(none)", cfg->workers,
             cfg->config_path ? cfg->config_path : "(none)",
             cfg->observe.prometheus_url && *cfg->observe.prometheus_url
                 ? cfg->observe.prometheus_url
                 : "(none)",
             cfg->observe.loki_url && *cfg->observe.loki_url ? cfg->observe.loki_url : "(none)");
}

void config_free(aifbd_config *cfg)
{
    for (size_t i = 0; i < NSETTINGS; i++) {
        if (settings[i].kind != SET_STR && settings[i].kind != SET_PATH &&
            settings[i].kind != SET_SECRET && settings[i].kind != SET_CHOICE)
            continue;
        char **slot = (char **)((char *)cfg + settings[i].off);
        if (*slot && settings[i].kind == SET_SECRET) {
            /* Do not leave a secret in freed memory. */
            volatile char *t = *slot;
            while (*t)
                *t++ = 0;
        }
        free(*slot);
        *slot = NULL;
    }
    free(cfg->config_path);
    memset(cfg, 0, sizeof *cfg);
}
