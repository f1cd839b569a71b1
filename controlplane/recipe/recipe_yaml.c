/* recipe_yaml.c: from YAML text to a `recipe`, the top level of the file, and recipe_free().
 *
 * libyaml's document API gives a node graph with a position on every node; the ry_* helpers walk
 * it with the schema in hand so that every refusal names the file, line and column, and the key
 * at fault. The walk is strict on purpose: unknown keys, duplicate keys, YAML aliases (which
 * would let one node appear in two places) and a second document are all refused, so a typo in a
 * recipe is an error at load time and not a setting that silently does nothing. The parameter
 * schema is in recipe_schema.c, the service and client parts in recipe_roles.c. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "recipe/recipe_internal.h"

/* Keys and values are quoted in messages up to this length. */
#define RY_QUOTE_MAX 64

const char *const recipe_builtins[RECIPE_BUILTIN_COUNT] = {"run_id", "run_dir", "workdir",
                                                           "host",   "port",    "endpoint"};

aifb_code ry_fail(ry_ctx *c, const yaml_node_t *n, const char *fmt, ...)
{
    char msg[AIFB_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n)
        return aifb_err_set(c->err, AIFB_EINVAL, "%s:%zu:%zu: %s", c->source,
                            n->start_mark.line + 1, n->start_mark.column + 1, msg);
    return aifb_err_set(c->err, AIFB_EINVAL, "%s: %s", c->source, msg);
}

static const char *node_kind_name(const yaml_node_t *n)
{
    switch (n->type) {
    case YAML_SCALAR_NODE:
        return "a single value";
    case YAML_SEQUENCE_NODE:
        return "a list";
    case YAML_MAPPING_NODE:
        return "a mapping";
    default:
        return "nothing";
    }
}

/* Whether a scalar's text is the key's own text (a scalar may hold NUL bytes via escapes). */
static bool scalar_is_c_string(const yaml_node_t *n)
{
    return strlen((const char *)n->data.scalar.value) == n->data.scalar.length;
}

static const char *key_text(ry_ctx *c, const yaml_node_pair_t *pair)
{
    yaml_node_t *k = yaml_document_get_node(&c->doc, pair->key);
    if (!k || k->type != YAML_SCALAR_NODE || !scalar_is_c_string(k))
        return NULL;
    return (const char *)k->data.scalar.value;
}

static void list_known(abuf *b, const char *const *known)
{
    for (size_t i = 0; known[i]; i++)
        abuf_printf(b, "%s%s", i ? ", " : "", known[i]);
}

aifb_code ry_check_keys(ry_ctx *c, const yaml_node_t *n, const char *where,
                        const char *const *known)
{
    if (n->type != YAML_MAPPING_NODE)
        return ry_fail(c, n, "%s must be a mapping of keys, not %s", where, node_kind_name(n));
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *knode = yaml_document_get_node(&c->doc, p->key);
        const char *key = key_text(c, p);
        if (!key)
            return ry_fail(c, knode, "%s: keys must be plain names", where);
        size_t i = 0;
        while (known[i] && strcmp(known[i], key))
            i++;
        if (!known[i]) {
            abuf list = {0};
            list_known(&list, known);
            ry_fail(c, knode, "unknown key '%.*s' in %s (known: %s)", RY_QUOTE_MAX, key, where,
                    list.p);
            abuf_free(&list);
            return AIFB_EINVAL;
        }
        for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < p; q++)
            if (!strcmp(key_text(c, q), key))
                return ry_fail(c, knode, "key '%s' appears twice in %s", key, where);
    }
    return AIFB_OK;
}

yaml_node_t *ry_get(ry_ctx *c, const yaml_node_t *n, const char *key)
{
    if (n->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        const char *k = key_text(c, p);
        if (k && !strcmp(k, key))
            return yaml_document_get_node(&c->doc, p->value);
    }
    return NULL;
}

size_t ry_len(const yaml_node_t *n)
{
    if (n->type != YAML_SEQUENCE_NODE)
        return 0;
    return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

yaml_node_t *ry_item(ry_ctx *c, const yaml_node_t *n, size_t i)
{
    return yaml_document_get_node(&c->doc, n->data.sequence.items.start[i]);
}

aifb_code ry_expect_seq(ry_ctx *c, const yaml_node_t *n, const char *where)
{
    if (n->type != YAML_SEQUENCE_NODE)
        return ry_fail(c, n, "%s must be a list, not %s", where, node_kind_name(n));
    return AIFB_OK;
}

/* YAML's spellings of null; only a plain (unquoted) scalar can be one. */
static bool scalar_is_null(const yaml_node_t *n)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
    if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++)
        if (!strcmp((const char *)n->data.scalar.value, nulls[i]))
            return true;
    return false;
}

aifb_code ry_text(ry_ctx *c, const yaml_node_t *n, const char *what, const char **out)
{
    if (n->type != YAML_SCALAR_NODE)
        return ry_fail(c, n, "%s must be a single value, not %s", what, node_kind_name(n));
    if (scalar_is_null(n))
        return ry_fail(c, n, "%s has no value (write \"\" for an empty text)", what);
    if (!scalar_is_c_string(n))
        return ry_fail(c, n, "%s contains a NUL byte", what);
    *out = (const char *)n->data.scalar.value;
    return AIFB_OK;
}

aifb_code ry_strdup(ry_ctx *c, const yaml_node_t *n, const char *what, char **out)
{
    const char *s = NULL;
    aifb_code rc = ry_text(c, n, what, &s);
    if (!rc)
        *out = xstrdup(s);
    return rc;
}

aifb_code ry_int(ry_ctx *c, const yaml_node_t *n, const char *what, int64_t lo, int64_t hi,
                 int64_t *out)
{
    const char *s = NULL;
    aifb_code rc = ry_text(c, n, what, &s);
    if (rc)
        return rc;
    int64_t v;
    if (recipe_parse_int64(s, &v) != RECIPE_NUM_OK || v < lo || v > hi)
        return ry_fail(c, n, "%s must be an integer from %lld to %lld, not '%.*s'", what,
                       (long long)lo, (long long)hi, RY_QUOTE_MAX, s);
    *out = v;
    return AIFB_OK;
}

typedef struct tmpl_check {
    const recipe *r;
    char unknown[80]; /* the name that matched nothing, for the message */
} tmpl_check;

static aifb_code tmpl_check_name(void *vctx, bool is_name, const char *s, size_t len, aifb_err *err)
{
    tmpl_check *t = vctx;
    if (!is_name)
        return AIFB_OK;
    for (size_t i = 0; i < RECIPE_BUILTIN_COUNT; i++)
        if (strlen(recipe_builtins[i]) == len && !memcmp(recipe_builtins[i], s, len))
            return AIFB_OK;
    for (size_t i = 0; i < t->r->nparams; i++)
        if (strlen(t->r->params[i].name) == len && !memcmp(t->r->params[i].name, s, len))
            return AIFB_OK;
    snprintf(t->unknown, sizeof t->unknown, "%.*s", (int)len, s);
    return aifb_err_set(err, AIFB_EINVAL, "unknown placeholder");
}

aifb_code ry_check_template(ry_ctx *c, const yaml_node_t *n, const char *where, const char *tmpl)
{
    tmpl_check t = {.r = c->r};
    aifb_err werr = {0};
    if (!recipe_tmpl_walk(tmpl, tmpl_check_name, &t, &werr))
        return AIFB_OK;
    if (!t.unknown[0])
        return ry_fail(c, n, "%s: %s", where, werr.msg);
    abuf params = {0};
    for (size_t i = 0; i < c->r->nparams; i++)
        abuf_printf(&params, "%s%s", i ? ", " : "", c->r->params[i].name);
    ry_fail(c, n,
            "%s: placeholder ${%s} names neither a parameter nor a builtin (parameters: %s; "
            "builtins: run_id, run_dir, workdir, host, port, endpoint)",
            where, t.unknown, params.p ? params.p : "none");
    abuf_free(&params);
    return AIFB_EINVAL;
}

/* The state of ry_check_tree's walk. */
typedef struct tree_walk {
    unsigned char *seen; /* by node id (1-based) */
    int *stack;
    size_t depth;
} tree_walk;

static aifb_code tree_push(ry_ctx *c, tree_walk *w, int id)
{
    if (w->seen[id])
        return ry_fail(c, yaml_document_get_node(&c->doc, id),
                       "YAML aliases (*name) are not supported in recipes");
    w->seen[id] = 1;
    w->stack[w->depth++] = id;
    return AIFB_OK;
}

/* Refuses a graph in which a node is reachable twice (YAML aliases): the schema walk then never
 * meets a node twice, and a "billion laughs" document cannot make it work exponentially. */
static aifb_code ry_check_tree(ry_ctx *c, yaml_node_t *root)
{
    size_t nnodes = (size_t)(c->doc.nodes.top - c->doc.nodes.start);
    /* Marked when pushed: in a tree every node is pushed once, so the stack fits in nnodes. */
    tree_walk w = {xcalloc(nnodes + 1, 1), xmalloc((nnodes + 1) * sizeof(int)), 0};
    aifb_code rc = tree_push(c, &w, (int)(root - c->doc.nodes.start) + 1);
    while (w.depth && !rc) {
        yaml_node_t *n = yaml_document_get_node(&c->doc, w.stack[--w.depth]);
        if (n->type == YAML_SEQUENCE_NODE) {
            for (yaml_node_item_t *it = n->data.sequence.items.start;
                 !rc && it < n->data.sequence.items.top; it++)
                rc = tree_push(c, &w, *it);
        } else if (n->type == YAML_MAPPING_NODE) {
            for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
                 !rc && p < n->data.mapping.pairs.top; p++)
                if (!(rc = tree_push(c, &w, p->key)))
                    rc = tree_push(c, &w, p->value);
        }
    }
    free(w.seen);
    free(w.stack);
    return rc;
}

static bool recipe_name_valid(const char *s)
{
    if (!(*s >= 'a' && *s <= 'z') || strlen(s) > 64)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
            return false;
    return true;
}

static aifb_code parse_kind(ry_ctx *c, const yaml_node_t *n)
{
    static const recipe_kind kinds[] = {RECIPE_KIND_BENCHMARK, RECIPE_KIND_SERVICE,
                                        RECIPE_KIND_CLIENT};
    const char *s;
    aifb_code rc = ry_text(c, n, "kind", &s);
    if (rc)
        return rc;
    for (size_t i = 0; i < 3; i++) {
        if (!strcmp(s, recipe_kind_name(kinds[i]))) {
            c->r->kind = kinds[i];
            return AIFB_OK;
        }
    }
    return ry_fail(c, n, "kind '%.*s' is not one of benchmark, service, client", RY_QUOTE_MAX, s);
}

/* A benchmark has both parts, a service recipe only a service, a client recipe only a client. */
static aifb_code check_kind_parts(ry_ctx *c, const yaml_node_t *root)
{
    const recipe *r = c->r;
    bool want_service = r->kind != RECIPE_KIND_CLIENT, want_client = r->kind != RECIPE_KIND_SERVICE;
    const char *kind = recipe_kind_name(r->kind);
    if (want_service && !r->service.role.present)
        return ry_fail(c, root, "kind %s needs a 'service' section", kind);
    if (want_client && !r->client.role.present)
        return ry_fail(c, root, "kind %s needs a 'client' section", kind);
    if (!want_service && r->service.role.present)
        return ry_fail(c, ry_get(c, root, "service"),
                       "kind %s has no service: remove the 'service' section or use kind "
                       "benchmark",
                       kind);
    if (!want_client && r->client.role.present)
        return ry_fail(c, ry_get(c, root, "client"),
                       "kind %s has no client: remove the 'client' section or use kind benchmark",
                       kind);
    return AIFB_OK;
}

static aifb_code parse_top(ry_ctx *c, const yaml_node_t *root)
{
    static const char *const keys[] = {"name",    "description", "kind", "params",
                                       "service", "client",      NULL};
    aifb_code rc = ry_check_keys(c, root, "the recipe", keys);
    if (rc)
        return rc;
    yaml_node_t *name = ry_get(c, root, "name"), *kind = ry_get(c, root, "kind");
    yaml_node_t *desc = ry_get(c, root, "description"), *params = ry_get(c, root, "params");
    if (!name)
        return ry_fail(c, root, "the recipe has no 'name'");
    if ((rc = ry_strdup(c, name, "name", &c->r->name)))
        return rc;
    if (!recipe_name_valid(c->r->name))
        return ry_fail(c, name,
                       "name '%.*s' must start with a lowercase letter and hold only lowercase "
                       "letters, digits and '-' (at most 64)",
                       RY_QUOTE_MAX, c->r->name);
    if (!kind)
        return ry_fail(c, root, "the recipe has no 'kind' (benchmark, service or client)");
    if ((rc = parse_kind(c, kind)))
        return rc;
    if (desc && (rc = ry_strdup(c, desc, "description", &c->r->description)))
        return rc;
    if (!c->r->description)
        c->r->description = xstrdup("");
    if (params && (rc = recipe_schema_parse(c, params)))
        return rc;
    if ((rc = recipe_roles_parse(c, ry_get(c, root, "service"), ry_get(c, root, "client"))))
        return rc;
    return check_kind_parts(c, root);
}

static aifb_code yaml_syntax_error(ry_ctx *c, const yaml_parser_t *p)
{
    return aifb_err_set(c->err, AIFB_EINVAL, "%s:%zu:%zu: YAML syntax error: %s%s%s", c->source,
                        p->problem_mark.line + 1, p->problem_mark.column + 1,
                        p->problem ? p->problem : "unreadable", p->context ? " " : "",
                        p->context ? p->context : "");
}

/* Loads the one document of the text into c->doc; a second document is refused. */
static aifb_code load_document(ry_ctx *c, const char *yaml, size_t len)
{
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p))
        return aifb_err_set(c->err, AIFB_EINTERNAL, "%s: cannot start the YAML parser", c->source);
    yaml_parser_set_input_string(&p, (const unsigned char *)yaml, len);
    aifb_code rc = AIFB_OK;
    if (!yaml_parser_load(&p, &c->doc)) {
        rc = yaml_syntax_error(c, &p);
        yaml_parser_delete(&p);
        return rc;
    }
    yaml_document_t next;
    if (!yaml_parser_load(&p, &next)) {
        rc = yaml_syntax_error(c, &p);
    } else {
        yaml_node_t *extra = yaml_document_get_root_node(&next);
        if (extra)
            rc = ry_fail(c, extra, "the file holds more than one YAML document");
        yaml_document_delete(&next);
    }
    yaml_parser_delete(&p);
    if (rc)
        yaml_document_delete(&c->doc);
    return rc;
}

aifb_code recipe_parse(const char *yaml, size_t len, const char *source_name, recipe **out,
                       aifb_err *err)
{
    *out = NULL;
    ry_ctx c = {.source = source_name ? source_name : "<recipe>", .err = err};
    aifb_code rc = load_document(&c, yaml ? yaml : "", yaml ? len : 0);
    if (rc)
        return rc;
    yaml_node_t *root = yaml_document_get_root_node(&c.doc);
    if (!root)
        rc = ry_fail(&c, NULL, "the file is empty");
    else
        rc = ry_check_tree(&c, root);
    if (!rc) {
        c.r = xcalloc(1, sizeof *c.r);
        c.r->source_path = xstrdup(c.source);
        rc = parse_top(&c, root);
    }
    yaml_document_delete(&c.doc);
    if (rc) {
        recipe_free(c.r);
        return rc;
    }
    *out = c.r;
    return AIFB_OK;
}

void recipe_free(recipe *r)
{
    if (!r)
        return;
    free(r->name);
    free(r->description);
    free(r->source_path);
    for (size_t i = 0; i < r->nparams; i++)
        recipe_param_clear(&r->params[i]);
    free(r->params);
    recipe_role_clear(&r->service.role);
    recipe_probe_clear(&r->service.probe);
    free(r->service.metrics_path);
    recipe_role_clear(&r->client.role);
    free(r->client.summary);
    free(r);
}

const char *recipe_kind_name(recipe_kind k)
{
    switch (k) {
    case RECIPE_KIND_BENCHMARK:
        return "benchmark";
    case RECIPE_KIND_SERVICE:
        return "service";
    case RECIPE_KIND_CLIENT:
        return "client";
    }
    return "unknown";
}
