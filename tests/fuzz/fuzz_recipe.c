/* fuzz_recipe.c: libFuzzer target for recipe files.
 *
 * The input is a recipe's YAML. Whatever it holds, recipe_parse() must either refuse it with a
 * message or return a recipe whose defaults resolve and whose every template (commands, setup
 * commands, env values, probe path and command) expands with those values and the builtins:
 * that is the promise the loader makes to aifbd. A refusal after a successful parse is a bug,
 * reported with abort() so libFuzzer keeps the input. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recipe/recipe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void expand_cmd(const recipe_cmd *cmd, const kv *vars, size_t nvars)
{
    char **argv;
    aifb_err err = {0};
    if (!cmd->argc)
        return;
    if (recipe_expand_argv((const char *const *)cmd->argv, cmd->argc, vars, nvars, &argv, &err)) {
        fprintf(stderr, "a loaded template failed to expand: %s\n", err.msg);
        abort();
    }
    recipe_strv_free(argv);
}

static void expand_role(const recipe_role *role, const kv *vars, size_t nvars)
{
    expand_cmd(&role->command, vars, nvars);
    for (size_t i = 0; i < role->nsetup; i++)
        expand_cmd(&role->setup[i], vars, nvars);
    char **env;
    aifb_err err = {0};
    if (recipe_expand_env(role->env, role->nenv, vars, nvars, &env, &err)) {
        fprintf(stderr, "a loaded env template failed to expand: %s\n", err.msg);
        abort();
    }
    recipe_strv_free(env);
}

static void expand_everything(const recipe *r, const kv *params, size_t nparams)
{
    static const char *const builtin_values[RECIPE_BUILTIN_COUNT] = {
        "r-0123456789ab", "/runs/r-0123456789ab", "/runs/r-0123456789ab/service", "127.0.0.1",
        "40000",          "127.0.0.1:40000"};
    kv *vars = calloc(nparams + RECIPE_BUILTIN_COUNT, sizeof *vars);
    if (nparams)
        memcpy(vars, params, nparams * sizeof *vars);
    for (size_t i = 0; i < RECIPE_BUILTIN_COUNT; i++) {
        vars[nparams + i].name = (char *)recipe_builtins[i];
        vars[nparams + i].value = (char *)builtin_values[i];
    }
    size_t nvars = nparams + RECIPE_BUILTIN_COUNT;
    expand_role(&r->service.role, vars, nvars);
    expand_role(&r->client.role, vars, nvars);
    expand_cmd(&r->service.probe.command, vars, nvars);
    if (r->service.probe.path) {
        char *path;
        if (recipe_expand_string(r->service.probe.path, vars, nvars, &path, NULL))
            abort();
        free(path);
    }
    free(vars);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    recipe *r;
    aifb_err err = {0};
    if (recipe_parse((const char *)data, size, "fuzz.yaml", &r, &err))
        return 0;
    kv *params;
    size_t n;
    /* Required parameters (no default) make this fail, which is a proper refusal. */
    if (!recipe_resolve_params(r, NULL, 0, &params, &n, &err)) {
        expand_everything(r, params, n);
        kv_array_free(params, n);
    }
    recipe_free(r);
    return 0;
}
