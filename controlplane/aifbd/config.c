/* config.c: see config.h. The file is YAML so it reads like the recipes; only scalar values and
 * one level of sections are meaningful, and an unknown key is an error (a typo must not silently
 * leave a default in place). */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "common/util.h"
#include "rpc/rpc.h"

static void set_str(char **slot, const char *v)
{
    free(*slot);
    *slot = xstrdup(v);
}

static aifb_code parse_int(const char *what, const char *v, int lo, int hi, int *out, aifb_err *err)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < lo || n > hi)
        return aifb_err_set(err, AIFB_EINVAL, "%s: '%s' is not an integer in %d..%d", what, v, lo,
                            hi);
    *out = (int)n;
    return AIFB_OK;
}

/* One setting by its name, whichever source it came from. */
static aifb_code config_set(aifbd_config *cfg, const char *key, const char *v, const char *source,
                            aifb_err *err)
{
    char what[160];
    snprintf(what, sizeof what, "%s %s", source, key);
    if (!strcmp(key, "listen"))
        set_str(&cfg->listen, v);
    else if (!strcmp(key, "state_dir"))
        set_str(&cfg->state_dir, v);
    else if (!strcmp(key, "recipes_dir"))
        set_str(&cfg->recipes_dir, v);
    else if (!strcmp(key, "executor"))
        set_str(&cfg->executor, v);
    else if (!strcmp(key, "token"))
        set_str(&cfg->token, v);
    else if (!strcmp(key, "workers"))
        return parse_int(what, v, 1, 64, &cfg->workers, err);
    else if (!strcmp(key, "grace_ms"))
        return parse_int(what, v, 0, 600000, &cfg->grace_ms, err);
    else if (!strcmp(key, "tick_ms"))
        return parse_int(what, v, 10, 60000, &cfg->tick_ms, err);
    else if (!strcmp(key, "log_level")) {
        if (!aifb_log_level_parse(v, &cfg->log_level))
            return aifb_err_set(err, AIFB_EINVAL, "%s: '%s' is not one of debug, info, warn, error",
                                what, v);
    } else if (!strcmp(key, "log_format")) {
        if (strcmp(v, "json") && strcmp(v, "text"))
            return aifb_err_set(err, AIFB_EINVAL, "%s: '%s' is not one of text, json", what, v);
        cfg->log_json = !strcmp(v, "json");
    } else
        return aifb_err_set(err, AIFB_EINVAL, "%s: unknown setting", what);
    return AIFB_OK;
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
        if (v->type == YAML_SCALAR_NODE) {
            char src[PATH_MAX + 16];
            snprintf(src, sizeof src, "config %s:", path);
            rc = config_set(cfg, key, (const char *)v->data.scalar.value, src, err);
        } else {
            rc =
                aifb_err_set(err, AIFB_EINVAL, "config %s: '%s' must be a single value", path, key);
        }
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&p);
    free(text);
    return rc;
}

static const struct {
    const char *env, *key;
} env_names[] = {
    {"AIFB_LISTEN", "listen"},
    {"AIFB_STATE_DIR", "state_dir"},
    {"AIFB_RECIPES_DIR", "recipes_dir"},
    {"AIFB_EXECUTOR", "executor"},
    {"AIFB_TOKEN", "token"},
    {"AIFB_WORKERS", "workers"},
    {"AIFB_GRACE_MS", "grace_ms"},
    {"AIFB_LOG_LEVEL", "log_level"},
    {"AIFB_LOG_FORMAT", "log_format"},
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: aifbd [--listen ADDR] [--state-dir DIR] [--config FILE] [--recipes DIR]\n"
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
            "                    token, workers, grace_ms, tick_ms, log_level, log_format)\n"
            "  --recipes DIR     folder of recipe files (*.yaml)\n"
            "\n"
            "Environment: AIFB_CONFIG, AIFB_LISTEN, AIFB_STATE_DIR, AIFB_RECIPES_DIR,\n"
            "AIFB_EXECUTOR, AIFB_TOKEN (bearer token), AIFB_WORKERS, AIFB_GRACE_MS,\n"
            "AIFB_LOG_LEVEL, AIFB_LOG_FORMAT. Flags win over the environment, which wins\n"
            "over the config file.\n");
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
    cfg->listen = xstrdup("127.0.0.1:50051");
    cfg->executor = xstrdup("local");
    cfg->workers = 2;
    cfg->grace_ms = 5000;
    cfg->tick_ms = 200;
    cfg->log_level = AIFB_LOG_INFO;

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
    for (size_t i = 0; i < sizeof env_names / sizeof env_names[0]; i++) {
        const char *v = getenv(env_names[i].env);
        if (v && *v && config_set(cfg, env_names[i].key, v, env_names[i].env, err) != AIFB_OK)
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

aifb_code config_validate(const aifbd_config *cfg, aifb_err *err)
{
    if (strcmp(cfg->executor, "local"))
        return aifb_err_set(err, AIFB_EINVAL,
                            "executor '%s' is not available in this build (known: local)",
                            cfg->executor);
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
             "listen=%s state_dir=%s recipes_dir=%s executor=%s token=%s workers=%d config=%s",
             cfg->listen, cfg->state_dir, cfg->recipes_dir, cfg->executor,
             cfg->token && *cfg->token ? "(set)" : "(none)", cfg->workers,
             cfg->config_path ? cfg->config_path : "(none)");
}

void config_free(aifbd_config *cfg)
{
    free(cfg->listen);
    free(cfg->state_dir);
    free(cfg->recipes_dir);
    free(cfg->executor);
    if (cfg->token) {
        /* Do not leave the secret in freed memory. */
        volatile char *t = cfg->token;
        while (*t)
            *t++ = 0;
        free(cfg->token);
    }
    free(cfg->config_path);
    memset(cfg, 0, sizeof *cfg);
}
