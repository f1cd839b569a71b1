/* recipe_internal.h: what the files of the recipe module share and nobody else needs.
 *
 *   ry_*            walking a libyaml document with positions in every message
 *                   (recipe_yaml.c), used by the top level (recipe_yaml.c) and the parameter
 *                   schema (recipe_schema.c);
 *   recipe_slurm_*  a role's Slurm settings (recipe_slurm.c), parsed with the ry_* helpers;
 *   recipe_tmpl_*   the placeholder grammar, one walker used both to check templates at load time
 *                   and to expand them (recipe_expand.c);
 *   number and text checks shared by the schema and by value validation (recipe_params.c). */
#ifndef AIFB_RECIPE_INTERNAL_H
#define AIFB_RECIPE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

#include "recipe/recipe.h"

/* ---- YAML walking (recipe_yaml.c) ------------------------------------------------------- */

typedef struct ry_ctx {
    yaml_document_t doc;
    const char *source; /* starts every message */
    aifb_err *err;
    recipe *r; /* being filled; its params are known before any template is checked */
} ry_ctx;

/* Sets c->err to "<source>:<line>:<col>: <message>" at node n (n may be NULL) and returns
 * AIFB_EINVAL. */
aifb_code ry_fail(ry_ctx *c, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Checks n is a mapping whose keys are distinct scalars from the NULL-terminated known list. */
aifb_code ry_check_keys(ry_ctx *c, const yaml_node_t *n, const char *where,
                        const char *const *known);
/* The value of key in mapping n (keys already checked), or NULL when absent. */
yaml_node_t *ry_get(ry_ctx *c, const yaml_node_t *n, const char *key);
/* The i-th item of sequence n. */
yaml_node_t *ry_item(ry_ctx *c, const yaml_node_t *n, size_t i);
/* Number of items of a sequence node (0 for other nodes). */
size_t ry_len(const yaml_node_t *n);
/* n must be a non-null scalar without NUL bytes: its text (owned by the document). */
aifb_code ry_text(ry_ctx *c, const yaml_node_t *n, const char *what, const char **out);
/* Same, copied with xstrdup. */
aifb_code ry_strdup(ry_ctx *c, const yaml_node_t *n, const char *what, char **out);
/* n must be a base-10 integer scalar within [lo, hi]. */
aifb_code ry_int(ry_ctx *c, const yaml_node_t *n, const char *what, int64_t lo, int64_t hi,
                 int64_t *out);
/* n must be a sequence (where names it in messages). */
aifb_code ry_expect_seq(ry_ctx *c, const yaml_node_t *n, const char *where);
/* Checks every placeholder of tmpl (the text of node n) names a parameter of c->r or a builtin. */
aifb_code ry_check_template(ry_ctx *c, const yaml_node_t *n, const char *where, const char *tmpl);

/* Parses the `params` list into c->r (recipe_schema.c). */
aifb_code recipe_schema_parse(ry_ctx *c, const yaml_node_t *params);
/* Frees one parameter's strings (not the struct). */
void recipe_param_clear(recipe_param *p);

/* Parses the service and client sections (either may be NULL) into c->r (recipe_roles.c). */
aifb_code recipe_roles_parse(ry_ctx *c, const yaml_node_t *service, const yaml_node_t *client);
void recipe_role_clear(recipe_role *role);
void recipe_probe_clear(recipe_probe *p);

/* Parses a role's `slurm:` mapping into s (recipe_slurm.c): only known keys, every value a
 * template naming known placeholders, and a value without placeholders checked now as a run
 * would check it (so `gpus: two` fails at load). role is "service" or "client". */
aifb_code recipe_slurm_parse(ry_ctx *c, const yaml_node_t *n, const char *role, recipe_slurm *s);
void recipe_slurm_clear(recipe_slurm *s);

/* ---- templates (recipe_expand.c) -------------------------------------------------------- */

/* Called for each piece of a template in order: literal text (is_name false; "$$" arrives as
 * "$") or a placeholder's name (is_name true, without "${" "}"). */
typedef aifb_code (*recipe_tmpl_visit)(void *ctx, bool is_name, const char *s, size_t len,
                                       aifb_err *err);
/* Splits tmpl into pieces; AIFB_EINVAL for a lone '$', an unterminated or malformed "${". */
aifb_code recipe_tmpl_walk(const char *tmpl, recipe_tmpl_visit visit, void *ctx, aifb_err *err);

/* ---- numbers and text (recipe_params.c) -------------------------------------------------- */

typedef enum { RECIPE_NUM_OK, RECIPE_NUM_SYNTAX, RECIPE_NUM_RANGE } recipe_num_result;

/* Strict base 10 with an optional sign, no spaces, within int64. */
recipe_num_result recipe_parse_int64(const char *s, int64_t *out);
/* A finite decimal number (no hex, inf or nan); RANGE for overflow and inf/nan spelled out. */
recipe_num_result recipe_parse_double(const char *s, double *out);
/* The shortest %g form that reads back as v ("0.1", "1e+20"); -0 becomes "0". */
void recipe_format_double(double v, char *buf, size_t size);
/* Whether s[0..len) is valid UTF-8 (no overlongs, surrogates or code points past U+10FFFF);
 * on failure *bad_at is the offset of the first bad byte. */
bool recipe_utf8_valid(const char *s, size_t len, size_t *bad_at);

void recipe_cmd_clear(recipe_cmd *c);

#endif
