/* recipe.h: recipes, the YAML files under recipes/ that say how to start a service and a client
 * (the load tool) and which typed parameters a run may set.
 *
 * The parts, in the order aifbd uses them:
 *   recipe_catalog_load()    reads every recipe file of a folder at start (recipe_catalog.c);
 *   recipe_parse()           turns one file's YAML into a `recipe` and refuses anything
 *                            doubtful at load time: unknown keys, placeholders naming nothing,
 *                            defaults that break their own schema (recipe_yaml.c, the
 *                            parameters in recipe_schema.c, service and client in recipe_roles.c);
 *   recipe_resolve_params()  checks a run's values against the schema BEFORE anything runs and
 *                            returns every parameter in canonical text form (recipe_params.c);
 *   recipe_expand_argv()     substitutes ${name} placeholders into argv elements and env values,
 *                            one element in, one element out: no shell ever sees a value
 *                            (recipe_expand.c);
 *   recipe_slurm_expand()    turns a role's `slurm:` settings (an Apptainer image, GPUs, ...)
 *                            into checked values for one run (recipe_slurm.c); only the Slurm
 *                            executors use them;
 *   summary_parse()          turns the client's stdout into metrics (summary*.c, summary.h).
 *
 * Everything a recipe holds is plain data (arrays and counts) owned by the recipe and freed by
 * recipe_free(). Templates are kept exactly as written in the file; only the expand functions
 * substitute placeholders. */
#ifndef AIFB_RECIPE_H
#define AIFB_RECIPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/records.h"
#include "recipe/summary.h"

/* Numbered as aifb.v1.ParamType so the API layer copies the number. */
typedef enum recipe_param_type {
    RECIPE_PARAM_STRING = 1,
    RECIPE_PARAM_INT = 2,
    RECIPE_PARAM_FLOAT = 3,
    RECIPE_PARAM_BOOL = 4,
    RECIPE_PARAM_ENUM = 5,
} recipe_param_type;

typedef enum recipe_kind {
    RECIPE_KIND_BENCHMARK = 1, /* a service and a client */
    RECIPE_KIND_SERVICE = 2,   /* only a service */
    RECIPE_KIND_CLIENT = 3,    /* only a client, run against an existing service */
} recipe_kind;

typedef enum recipe_probe_type {
    RECIPE_PROBE_NONE = 0, /* ready as soon as the process started */
    RECIPE_PROBE_TCP = 1,  /* ready when host:port accepts a connection */
    RECIPE_PROBE_HTTP = 2, /* ready when GET http://host:port<path> answers 2xx */
    RECIPE_PROBE_CMD = 3,  /* ready when the probe command exits 0 */
} recipe_probe_type;

/* Default and upper bound of a string parameter's max_length. The bound is Linux's limit on
 * one argv or environment string (MAX_ARG_STRLEN), since every value may end up in one. */
#define RECIPE_STRING_MAX_DEFAULT 4096
#define RECIPE_STRING_MAX_LIMIT   131072
/* Default readiness timeout in seconds. */
#define RECIPE_PROBE_TIMEOUT_DEFAULT 60

typedef struct recipe_param {
    char *name; /* [a-z][a-z0-9_]*, unique in the recipe, not a builtin's name */
    recipe_param_type type;
    char *default_value;      /* canonical text form; NULL means the caller must give a value */
    bool has_min, has_max;    /* int and float only; inclusive */
    double min, max;          /* the bounds as numbers (what the API shows) */
    int64_t min_int, max_int; /* int parameters: the same bounds without rounding */
    char **choices;           /* enum only: the allowed values, in file order */
    size_t nchoices;
    char *pattern;     /* string only: POSIX extended regex the whole value matches; or NULL */
    size_t max_length; /* string only: in bytes (RECIPE_STRING_MAX_DEFAULT when not given) */
    char *description; /* never NULL ("" when not given) */
    char *unit;        /* never NULL ("" when not given) */
} recipe_param;

/* One command: argv templates, each element one argument whatever its placeholders expand to. */
typedef struct recipe_cmd {
    char **argv;
    size_t argc; /* at least 1 */
} recipe_cmd;

/* A role's Slurm job settings, the `slurm:` mapping of service or client: templates exactly as
 * written (any may hold ${name} placeholders), NULL when not given. Only the Slurm executors use
 * them; the local executor ignores the section. */
typedef struct recipe_slurm {
    char *image; /* an Apptainer image: a .sif path or a docker:// address */
    char *gpus, *nodes, *tasks, *cpus_per_task, *memory_mb, *time_limit_min;
    char *partition;
} recipe_slurm;

/* The same settings for one run: expanded and checked (recipe_slurm_expand). */
typedef struct recipe_slurm_values {
    char *image;                                           /* NULL: no image from the recipe */
    char *partition;                                       /* NULL: none from the recipe */
    int gpus, nodes, tasks, cpus_per_task, time_limit_min; /* -1: not set by the recipe */
    int64_t memory_mb;                                     /* -1: not set by the recipe */
} recipe_slurm_values;

/* What the service and the client have in common: how to start a process. */
typedef struct recipe_role {
    bool present; /* false: the recipe has no such part (all else empty) */
    recipe_cmd command;
    recipe_cmd *setup; /* run in order before command, each must exit 0 */
    size_t nsetup;
    kv *env; /* name = variable name, value = template; file order */
    size_t nenv;
    char *user;         /* run as this user when aifbd runs as root; NULL: unchanged */
    char **search_path; /* absolute folders (may hold globs) searched before PATH */
    size_t nsearch_path;
    recipe_slurm slurm; /* the role's Slurm job settings (all NULL without a `slurm:` section) */
} recipe_role;

typedef struct recipe_probe {
    recipe_probe_type type;
    char *path;         /* http only: a template starting with '/'; else NULL */
    recipe_cmd command; /* cmd only; else argc 0 */
    int timeout_s;      /* > 0 */
} recipe_probe;

typedef struct recipe_service {
    recipe_role role;
    int port;           /* 0: aifbd picks a free port ("auto"); else 1..65535 */
    recipe_probe probe; /* tcp with the default timeout when the file says nothing */
    /* The service's own Prometheus metrics: a path template starting with '/' ("/metrics"),
     * scraped on the service's port by aifb-monitor and relabelled with the run's labels.
     * NULL: the service exposes none. */
    char *metrics_path;
} recipe_service;

typedef struct recipe_client {
    recipe_role role;
    char *summary; /* a summary_parse() parser name; "none" when not given */
} recipe_client;

typedef struct recipe {
    char *name;        /* [a-z][a-z0-9-]*; equals the file name without .yaml */
    char *description; /* never NULL */
    recipe_kind kind;
    char *source_path;    /* the file it came from (recipe_parse: the source_name given) */
    recipe_param *params; /* schema order = file order = form order in the UI */
    size_t nparams;
    recipe_service service; /* service.role.present for kinds benchmark and service */
    recipe_client client;   /* client.role.present for kinds benchmark and client */
} recipe;

typedef struct recipe_catalog recipe_catalog;

/* The names every template may use besides the recipe's parameters, and their meaning:
 * run_id, run_dir, workdir (the role's own folder: run_dir/service or run_dir/client), host,
 * port, endpoint (host:port). RECIPE_BUILTIN_COUNT entries. */
#define RECIPE_BUILTIN_COUNT 6
extern const char *const recipe_builtins[RECIPE_BUILTIN_COUNT];

/* Parses one recipe from YAML text (yaml need not be NUL-terminated). source_name starts every
 * error message ("recipes/redis.yaml:12:5: ...") and becomes r->source_path. AIFB_EINVAL for any
 * problem, naming the key, parameter or placeholder at fault and where it is. */
aifb_code recipe_parse(const char *yaml, size_t len, const char *source_name, recipe **out,
                       aifb_err *err);

/* Reads and parses a file (at most 1 MiB), and checks the recipe's name equals the file's name
 * without .yaml/.yml. AIFB_ENOTFOUND when the file does not exist. */
aifb_code recipe_load_file(const char *path, recipe **out, aifb_err *err);

/* Frees a recipe and everything it holds; NULL is fine. */
void recipe_free(recipe *r);

/* Loads every *.yaml / *.yml in dir, sorted by name. A file that fails to load is skipped and its
 * error kept as a warning (the daemon logs them); of two recipes with one name the second is
 * skipped with a warning. A missing or unreadable dir is an error (AIFB_ENOTFOUND / EINTERNAL). */
aifb_code recipe_catalog_load(const char *dir, recipe_catalog **out, aifb_err *err);
/* The recipe with that name, or NULL. */
const recipe *recipe_catalog_find(const recipe_catalog *c, const char *name);
size_t recipe_catalog_count(const recipe_catalog *c);
/* The i-th recipe in name order (i < recipe_catalog_count()). */
const recipe *recipe_catalog_at(const recipe_catalog *c, size_t i);
size_t recipe_catalog_warning_count(const recipe_catalog *c);
/* The i-th warning, a sentence naming the file and the problem. */
const char *recipe_catalog_warning(const recipe_catalog *c, size_t i);
void recipe_catalog_free(recipe_catalog *c);

/* Validates given values (any order) against r's schema and returns every parameter in schema
 * order, defaults filled in, values in canonical form ("007" -> "7", "yes" -> "true", floats in
 * the shortest form that reads back the same). *out is malloc'd (kv_array_free; NULL when the
 * recipe has no parameters). AIFB_EINVAL on the first problem, the message starting with the
 * parameter: "parameter 'clients': 0 is below the minimum 1", "unknown parameter 'clinets' for
 * recipe redis (known: requests, clients, ...)", "parameter 'tests' is required", ...
 * Strings: no control characters, at most max_length bytes, valid UTF-8, matching the pattern.
 * Int: base 10, optional sign, within int64 and min/max. Float: finite decimal. Bool:
 * true/false/1/0/yes/no/on/off (any case). Enum: one of the choices exactly. */
aifb_code recipe_resolve_params(const recipe *r, const kv *given, size_t ngiven, kv **out,
                                size_t *nout, aifb_err *err);

/* Checks one value against one parameter and returns its canonical form in *canonical
 * (malloc'd). Same rules and messages as recipe_resolve_params(). */
aifb_code recipe_param_check(const recipe_param *p, const char *value, char **canonical,
                             aifb_err *err);

/* The parameter of r with that name, or NULL. */
const recipe_param *recipe_find_param(const recipe *r, const char *name);

/* Expands n argv templates: vars are the resolved parameters plus the builtins. Each template
 * gives exactly one element whatever the values hold. "$$" is a literal '$'. *argv_out is a
 * NULL-terminated malloc'd vector (recipe_strv_free). A placeholder missing from vars, or a '$'
 * followed by neither '{' nor '$': AIFB_EINVAL naming it. */
aifb_code recipe_expand_argv(const char *const *tmpl, size_t n, const kv *vars, size_t nvars,
                             char ***argv_out, aifb_err *err);
/* Expands one template (an env value, a probe path) into a malloc'd string. */
aifb_code recipe_expand_string(const char *tmpl, const kv *vars, size_t nvars, char **out,
                               aifb_err *err);
/* Expands a role's env templates into a NULL-terminated "NAME=value" vector (recipe_strv_free),
 * ready to append to an execve() environment. */
aifb_code recipe_expand_env(const kv *env, size_t nenv, const kv *vars, size_t nvars,
                            char ***env_out, aifb_err *err);
/* Frees a NULL-terminated vector and its strings; NULL is fine. */
void recipe_strv_free(char **v);

/* Expands a role's Slurm settings with vars (as recipe_expand_argv) and checks the results:
 * gpus 0..1024, nodes 1..100000, tasks 1..1000000, cpus_per_task 1..65534, memory_mb
 * 1..2000000000, time_limit_min 1..525600 (whole numbers); an image must not start with '-' nor
 * hold control characters; a partition holds only letters, digits and . _ - + , : @ / and does
 * not start with '-'. A setting that expands to "" counts as not set. AIFB_EINVAL names the
 * role ("service", "client"), the key, the value and its template: "service.slurm.gpus: 'x'
 * (from '${n}') is not a whole number from 0 to 1024". *out is filled on success only; free it
 * with recipe_slurm_values_free. */
aifb_code recipe_slurm_expand(const recipe_slurm *s, const char *role, const kv *vars, size_t nvars,
                              recipe_slurm_values *out, aifb_err *err);
void recipe_slurm_values_free(recipe_slurm_values *v);

/* Names for display and for the API ("benchmark", "tcp", "int"). */
const char *recipe_kind_name(recipe_kind k);
const char *recipe_probe_type_name(recipe_probe_type t);
const char *recipe_param_type_name(recipe_param_type t);

#endif
