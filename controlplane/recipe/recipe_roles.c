/* recipe_roles.c: the `service` and `client` sections of a recipe.
 *
 * Both describe how to start processes (command, setup commands, env, user, search_path) and,
 * for Slurm, the job they want (slurm, in recipe_slurm.c); the service adds its port and
 * readiness probe, the client the parser of its output. Every string
 * that is a template (argv elements, env values, the probe's path and command) is checked here
 * against the recipe's parameters and the builtins, so a recipe that loads can always be
 * expanded. search_path and user are not templates: they pick which binary runs and as whom,
 * and must not depend on what a caller typed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "recipe/recipe_internal.h"

void recipe_cmd_clear(recipe_cmd *cmd)
{
    for (size_t i = 0; i < cmd->argc; i++)
        free(cmd->argv[i]);
    free(cmd->argv);
    cmd->argv = NULL;
    cmd->argc = 0;
}

void recipe_role_clear(recipe_role *role)
{
    recipe_cmd_clear(&role->command);
    for (size_t i = 0; i < role->nsetup; i++)
        recipe_cmd_clear(&role->setup[i]);
    free(role->setup);
    kv_array_free(role->env, role->nenv);
    free(role->user);
    for (size_t i = 0; i < role->nsearch_path; i++)
        free(role->search_path[i]);
    free(role->search_path);
    recipe_slurm_clear(&role->slurm);
    memset(role, 0, sizeof *role);
}

void recipe_probe_clear(recipe_probe *p)
{
    free(p->path);
    recipe_cmd_clear(&p->command);
    memset(p, 0, sizeof *p);
}

static aifb_code parse_cmd(ry_ctx *c, const yaml_node_t *n, const char *where, recipe_cmd *cmd)
{
    aifb_code rc = ry_expect_seq(c, n, where);
    if (rc)
        return rc;
    if (!ry_len(n))
        return ry_fail(c, n, "%s is an empty list: it needs at least the program", where);
    cmd->argv = xcalloc(ry_len(n), sizeof *cmd->argv);
    for (size_t i = 0; i < ry_len(n); i++) {
        char what[128];
        snprintf(what, sizeof what, "%s[%zu]", where, i);
        yaml_node_t *it = ry_item(c, n, i);
        if ((rc = ry_strdup(c, it, what, &cmd->argv[i])))
            return rc;
        cmd->argc++;
        if ((rc = ry_check_template(c, it, what, cmd->argv[i])))
            return rc;
    }
    if (!cmd->argv[0][0])
        return ry_fail(c, n, "%s: the program name is empty", where);
    return AIFB_OK;
}

static aifb_code parse_setup(ry_ctx *c, const yaml_node_t *n, const char *role, recipe_role *r)
{
    char where[96];
    snprintf(where, sizeof where, "%s.setup", role);
    aifb_code rc = ry_expect_seq(c, n, where);
    if (rc)
        return rc;
    r->setup = xcalloc(ry_len(n), sizeof *r->setup);
    for (size_t i = 0; i < ry_len(n); i++) {
        snprintf(where, sizeof where, "%s.setup[%zu]", role, i);
        r->nsetup++;
        if ((rc = parse_cmd(c, ry_item(c, n, i), where, &r->setup[i])))
            return rc;
    }
    return AIFB_OK;
}

static bool env_name_valid(const char *s)
{
    if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
        return false;
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '_'))
            return false;
    return true;
}

static aifb_code parse_env(ry_ctx *c, const yaml_node_t *n, const char *role, recipe_role *r)
{
    if (n->type != YAML_MAPPING_NODE)
        return ry_fail(c, n, "%s.env must be a mapping of NAME: value", role);
    size_t count = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
    r->env = xcalloc(count ? count : 1, sizeof *r->env);
    for (size_t i = 0; i < count; i++) {
        yaml_node_pair_t *pair = &n->data.mapping.pairs.start[i];
        yaml_node_t *k = yaml_document_get_node(&c->doc, pair->key);
        yaml_node_t *v = yaml_document_get_node(&c->doc, pair->value);
        kv *e = &r->env[r->nenv++];
        char where[160];
        aifb_code rc = ry_strdup(c, k, "an env name", &e->name);
        if (rc)
            return rc;
        if (!env_name_valid(e->name))
            return ry_fail(c, k, "%s.env: '%.64s' is not a variable name ([A-Za-z_][A-Za-z0-9_]*)",
                           role, e->name);
        for (size_t j = 0; j + 1 < r->nenv; j++)
            if (!strcmp(r->env[j].name, e->name))
                return ry_fail(c, k, "%s.env: %s is set twice", role, e->name);
        snprintf(where, sizeof where, "%s.env.%s", role, e->name);
        if ((rc = ry_strdup(c, v, where, &e->value)) ||
            (rc = ry_check_template(c, v, where, e->value)))
            return rc;
    }
    return AIFB_OK;
}

static bool user_name_valid(const char *s)
{
    if (!*s || *s == '-' || strlen(s) > 64)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-' || *s == '.'))
            return false;
    return true;
}

static aifb_code parse_search_path(ry_ctx *c, const yaml_node_t *n, const char *role,
                                   recipe_role *r)
{
    char where[96];
    snprintf(where, sizeof where, "%s.search_path", role);
    aifb_code rc = ry_expect_seq(c, n, where);
    if (rc)
        return rc;
    r->search_path = xcalloc(ry_len(n) ? ry_len(n) : 1, sizeof *r->search_path);
    for (size_t i = 0; i < ry_len(n); i++) {
        yaml_node_t *it = ry_item(c, n, i);
        char *dir;
        if ((rc = ry_strdup(c, it, where, &dir)))
            return rc;
        r->search_path[r->nsearch_path++] = dir;
        if (dir[0] != '/')
            return ry_fail(c, it, "%s: '%.80s' is not an absolute folder", where, dir);
        if (strchr(dir, '$'))
            return ry_fail(c, it, "%s: '%.80s' holds a '$': search paths are not templates", where,
                           dir);
    }
    return AIFB_OK;
}

/* The keys both roles have. */
static aifb_code parse_role(ry_ctx *c, const yaml_node_t *n, const char *role, recipe_role *r)
{
    yaml_node_t *cmd = ry_get(c, n, "command"), *setup = ry_get(c, n, "setup");
    yaml_node_t *env = ry_get(c, n, "env"), *user = ry_get(c, n, "user");
    yaml_node_t *sp = ry_get(c, n, "search_path"), *slurm = ry_get(c, n, "slurm");
    char where[64];
    aifb_code rc;
    r->present = true;
    if (!cmd)
        return ry_fail(c, n, "%s has no 'command'", role);
    snprintf(where, sizeof where, "%s.command", role);
    if ((rc = parse_cmd(c, cmd, where, &r->command)))
        return rc;
    if (setup && (rc = parse_setup(c, setup, role, r)))
        return rc;
    if (env && (rc = parse_env(c, env, role, r)))
        return rc;
    if (sp && (rc = parse_search_path(c, sp, role, r)))
        return rc;
    if (slurm && (rc = recipe_slurm_parse(c, slurm, role, &r->slurm)))
        return rc;
    if (user) {
        if ((rc = ry_strdup(c, user, "user", &r->user)))
            return rc;
        if (!user_name_valid(r->user))
            return ry_fail(c, user, "%s.user '%.64s' is not a user name", role, r->user);
    }
    return AIFB_OK;
}

static aifb_code parse_probe_type(ry_ctx *c, const yaml_node_t *n, recipe_probe *p)
{
    static const recipe_probe_type types[] = {RECIPE_PROBE_NONE, RECIPE_PROBE_TCP,
                                              RECIPE_PROBE_HTTP, RECIPE_PROBE_CMD};
    const char *s;
    aifb_code rc = ry_text(c, n, "service.probe.type", &s);
    if (rc)
        return rc;
    for (size_t i = 0; i < 4; i++) {
        if (!strcmp(s, recipe_probe_type_name(types[i]))) {
            p->type = types[i];
            return AIFB_OK;
        }
    }
    return ry_fail(c, n, "service.probe.type '%.64s' is not one of tcp, http, cmd, none", s);
}

/* path belongs to http probes and command to cmd probes, each required there. */
static aifb_code parse_probe_target(ry_ctx *c, const yaml_node_t *n, recipe_probe *p)
{
    yaml_node_t *path = ry_get(c, n, "path"), *cmd = ry_get(c, n, "command");
    aifb_code rc;
    if (path && p->type != RECIPE_PROBE_HTTP)
        return ry_fail(c, path, "service.probe.path is only for http probes");
    if (cmd && p->type != RECIPE_PROBE_CMD)
        return ry_fail(c, cmd, "service.probe.command is only for cmd probes");
    if (p->type == RECIPE_PROBE_HTTP) {
        if (!path)
            return ry_fail(c, n, "an http probe needs a 'path' (such as /health)");
        if ((rc = ry_strdup(c, path, "service.probe.path", &p->path)) ||
            (rc = ry_check_template(c, path, "service.probe.path", p->path)))
            return rc;
        if (p->path[0] != '/')
            return ry_fail(c, path, "service.probe.path '%.80s' must start with '/'", p->path);
    }
    if (p->type == RECIPE_PROBE_CMD) {
        if (!cmd)
            return ry_fail(c, n, "a cmd probe needs a 'command'");
        return parse_cmd(c, cmd, "service.probe.command", &p->command);
    }
    return AIFB_OK;
}

static aifb_code parse_probe(ry_ctx *c, const yaml_node_t *n, recipe_probe *p)
{
    static const char *const keys[] = {"type", "path", "command", "timeout_s", NULL};
    aifb_code rc = ry_check_keys(c, n, "service.probe", keys);
    if (rc)
        return rc;
    yaml_node_t *type = ry_get(c, n, "type"), *timeout = ry_get(c, n, "timeout_s");
    if (!type)
        return ry_fail(c, n, "service.probe has no 'type' (tcp, http, cmd or none)");
    if ((rc = parse_probe_type(c, type, p)) || (rc = parse_probe_target(c, n, p)))
        return rc;
    if (timeout) {
        int64_t v;
        if ((rc = ry_int(c, timeout, "service.probe.timeout_s", 1, 86400, &v)))
            return rc;
        p->timeout_s = (int)v;
    }
    return AIFB_OK;
}

static aifb_code parse_service(ry_ctx *c, const yaml_node_t *n, recipe_service *s)
{
    static const char *const keys[] = {"port", "user",  "search_path",  "setup", "command",
                                       "env",  "probe", "metrics_path", "slurm", NULL};
    aifb_code rc = ry_check_keys(c, n, "service", keys);
    if (rc || (rc = parse_role(c, n, "service", &s->role)))
        return rc;
    yaml_node_t *port = ry_get(c, n, "port"), *probe = ry_get(c, n, "probe");
    yaml_node_t *metrics = ry_get(c, n, "metrics_path");
    if (metrics) {
        if ((rc = ry_strdup(c, metrics, "service.metrics_path", &s->metrics_path)) ||
            (rc = ry_check_template(c, metrics, "service.metrics_path", s->metrics_path)))
            return rc;
        if (s->metrics_path[0] != '/')
            return ry_fail(c, metrics, "service.metrics_path '%.80s' must start with '/'",
                           s->metrics_path);
    }
    s->probe.type = RECIPE_PROBE_TCP;
    s->probe.timeout_s = RECIPE_PROBE_TIMEOUT_DEFAULT;
    if (probe && (rc = parse_probe(c, probe, &s->probe)))
        return rc;
    if (!port || (port->type == YAML_SCALAR_NODE &&
                  !strcmp((const char *)port->data.scalar.value, "auto"))) {
        s->port = 0;
        return AIFB_OK;
    }
    int64_t v;
    if ((rc = ry_int(c, port, "service.port (auto or a number)", 1, 65535, &v)))
        return rc;
    s->port = (int)v;
    return AIFB_OK;
}

static aifb_code parse_client(ry_ctx *c, const yaml_node_t *n, recipe_client *cl)
{
    static const char *const keys[] = {"user", "search_path", "setup", "command",
                                       "env",  "summary",     "slurm", NULL};
    aifb_code rc = ry_check_keys(c, n, "client", keys);
    if (rc || (rc = parse_role(c, n, "client", &cl->role)))
        return rc;
    yaml_node_t *summary = ry_get(c, n, "summary");
    if (!summary) {
        cl->summary = xstrdup("none");
        return AIFB_OK;
    }
    if ((rc = ry_strdup(c, summary, "client.summary", &cl->summary)))
        return rc;
    if (!summary_parser_known(cl->summary))
        return ry_fail(c, summary, "client.summary '%.64s' is not a known parser (known: %s)",
                       cl->summary, summary_parser_names());
    return AIFB_OK;
}

aifb_code recipe_roles_parse(ry_ctx *c, const yaml_node_t *service, const yaml_node_t *client)
{
    aifb_code rc;
    if (service && (rc = parse_service(c, service, &c->r->service)))
        return rc;
    if (client && (rc = parse_client(c, client, &c->r->client)))
        return rc;
    return AIFB_OK;
}

const char *recipe_probe_type_name(recipe_probe_type t)
{
    switch (t) {
    case RECIPE_PROBE_NONE:
        return "none";
    case RECIPE_PROBE_TCP:
        return "tcp";
    case RECIPE_PROBE_HTTP:
        return "http";
    case RECIPE_PROBE_CMD:
        return "cmd";
    }
    return "unknown";
}
