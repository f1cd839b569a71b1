/* recipe_catalog.c: reading one recipe file, and the catalog of every recipe in a folder.
 *
 * aifbd loads the catalog once at start. One broken file must not keep the daemon (and every
 * other recipe) down, so a file that fails is skipped and its error kept as a warning for the
 * log; only a folder that cannot be read at all is an error. Recipes are kept sorted by name,
 * which is also the order ListRecipes shows. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "recipe/recipe_internal.h"

/* No recipe comes near this; a bigger file is a mistake (or a hostile one). */
#define RECIPE_FILE_MAX (1024 * 1024)

struct recipe_catalog {
    recipe **recipes;
    size_t n;
    char **warnings;
    size_t nwarnings;
};

/* The length of the file name's stem when it ends in .yaml or .yml, else 0. */
static size_t yaml_stem_len(const char *file)
{
    size_t len = strlen(file);
    if (len > 5 && !strcmp(file + len - 5, ".yaml"))
        return len - 5;
    if (len > 4 && !strcmp(file + len - 4, ".yml"))
        return len - 4;
    return 0;
}

aifb_code recipe_load_file(const char *path, recipe **out, aifb_err *err)
{
    *out = NULL;
    char *text;
    size_t len;
    aifb_code rc = aifb_read_file(path, RECIPE_FILE_MAX, &text, &len, err);
    if (rc)
        return rc;
    recipe *r;
    rc = recipe_parse(text, len, path, &r, err);
    free(text);
    if (rc)
        return rc;
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    size_t stem = yaml_stem_len(base);
    if (stem && (strlen(r->name) != stem || strncmp(r->name, base, stem))) {
        aifb_err_set(err, AIFB_EINVAL,
                     "%s: the recipe's name '%s' differs from the file name "
                     "(rename the file to %s.yaml or the recipe to %.*s)",
                     path, r->name, r->name, (int)stem, base);
        recipe_free(r);
        return AIFB_EINVAL;
    }
    *out = r;
    return AIFB_OK;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.yaml and *.yml names in dir, sorted. */
static aifb_code list_yaml_files(const char *dir, char ***names, size_t *n, aifb_err *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return aifb_err_set(err, errno == ENOENT ? AIFB_ENOTFOUND : AIFB_EINTERNAL,
                            "cannot open the recipe folder %s: %s", dir, strerror(errno));
    char **list = NULL;
    size_t count = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || !yaml_stem_len(e->d_name))
            continue;
        list = xrealloc(list, (count + 1) * sizeof *list);
        list[count++] = xstrdup(e->d_name);
    }
    closedir(d);
    if (count)
        qsort(list, count, sizeof *list, compare_names);
    *names = list;
    *n = count;
    return AIFB_OK;
}

static void add_warning(recipe_catalog *c, const char *msg)
{
    c->warnings = xrealloc(c->warnings, (c->nwarnings + 1) * sizeof *c->warnings);
    c->warnings[c->nwarnings++] = xstrdup(msg);
}

static void add_file(recipe_catalog *c, const char *path)
{
    aifb_err err = {0};
    recipe *r;
    if (recipe_load_file(path, &r, &err)) {
        add_warning(c, err.msg);
        return;
    }
    const recipe *first = recipe_catalog_find(c, r->name);
    if (first) {
        char msg[AIFB_ERR_MSG_MAX];
        snprintf(msg, sizeof msg, "%.200s: skipped: recipe '%s' is already loaded from %.200s",
                 path, r->name, first->source_path);
        add_warning(c, msg);
        recipe_free(r);
        return;
    }
    c->recipes = xrealloc(c->recipes, (c->n + 1) * sizeof *c->recipes);
    c->recipes[c->n++] = r;
}

static int compare_recipes(const void *a, const void *b)
{
    return strcmp((*(recipe *const *)a)->name, (*(recipe *const *)b)->name);
}

aifb_code recipe_catalog_load(const char *dir, recipe_catalog **out, aifb_err *err)
{
    *out = NULL;
    char **names = NULL;
    size_t n = 0;
    aifb_code rc = list_yaml_files(dir, &names, &n, err);
    if (rc)
        return rc;
    recipe_catalog *c = xcalloc(1, sizeof *c);
    for (size_t i = 0; i < n; i++) {
        abuf path = {0};
        abuf_printf(&path, "%s/%s", dir, names[i]);
        add_file(c, path.p);
        abuf_free(&path);
        free(names[i]);
    }
    free(names);
    /* Files are read in name order ("a.yaml" before "a.yml"), recipes listed by recipe name. */
    if (c->n)
        qsort(c->recipes, c->n, sizeof *c->recipes, compare_recipes);
    *out = c;
    return AIFB_OK;
}

const recipe *recipe_catalog_find(const recipe_catalog *c, const char *name)
{
    for (size_t i = 0; c && name && i < c->n; i++)
        if (!strcmp(c->recipes[i]->name, name))
            return c->recipes[i];
    return NULL;
}

size_t recipe_catalog_count(const recipe_catalog *c)
{
    return c ? c->n : 0;
}

const recipe *recipe_catalog_at(const recipe_catalog *c, size_t i)
{
    return c && i < c->n ? c->recipes[i] : NULL;
}

size_t recipe_catalog_warning_count(const recipe_catalog *c)
{
    return c ? c->nwarnings : 0;
}

const char *recipe_catalog_warning(const recipe_catalog *c, size_t i)
{
    return c && i < c->nwarnings ? c->warnings[i] : NULL;
}

void recipe_catalog_free(recipe_catalog *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        recipe_free(c->recipes[i]);
    free(c->recipes);
    for (size_t i = 0; i < c->nwarnings; i++)
        free(c->warnings[i]);
    free(c->warnings);
    free(c);
}
