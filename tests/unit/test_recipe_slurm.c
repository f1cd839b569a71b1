/* test_recipe_slurm.c: a role's `slurm:` section. It reads back as written (templates kept),
 * expands with a run's parameters into checked numbers and texts, treats a value that expands to
 * nothing as not set, and refuses, with a message naming the key and the value, a setting that
 * is not a whole number in range, an image that starts with '-', a partition with characters an
 * #SBATCH line cannot hold, an unknown key and a placeholder naming nothing. Values without
 * placeholders are checked when the recipe loads. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recipe/recipe.h"

#define HEAD                                                                                       \
    "name: gpu\n"                                                                                  \
    "kind: benchmark\n"                                                                            \
    "params:\n"                                                                                    \
    "  - {name: tp, type: int, default: 1, min: -5, max: 5000}\n"                                  \
    "  - {name: img, type: string, default: 'docker://vllm/vllm-openai:v0.6.3'}\n"                 \
    "  - {name: part, type: string, default: gpu}\n"
#define CLIENT                                                                                     \
    "client:\n"                                                                                    \
    "  command: [cli, '${endpoint}']\n"

static recipe *parse_ok(const char *yaml)
{
    recipe *r = NULL;
    aifb_err err = {0};
    cr_assert_eq(recipe_parse(yaml, strlen(yaml), "recipes/gpu.yaml", &r, &err), AIFB_OK, "%s",
                 err.msg);
    return r;
}

static void refused(const char *yaml, const char *const *needles)
{
    recipe *r = NULL;
    aifb_err err = {0};
    cr_assert_eq(recipe_parse(yaml, strlen(yaml), "recipes/gpu.yaml", &r, &err), AIFB_EINVAL,
                 "expected a refusal of:\n%s", yaml);
    cr_assert_null(r);
    cr_assert(strstr(err.msg, "recipes/gpu.yaml:") == err.msg, "names the file: %s", err.msg);
    for (size_t i = 0; needles[i]; i++)
        cr_assert(strstr(err.msg, needles[i]), "message '%s' lacks '%s'", err.msg, needles[i]);
}
#define REFUSED(yaml, ...) refused(yaml, (const char *const[]){__VA_ARGS__, NULL})

/* The service of a recipe with the given slurm section (indented lines under `slurm:`). */
static char *service_with(const char *slurm_lines)
{
    static char yaml[4096];
    snprintf(yaml, sizeof yaml,
             HEAD "service:\n"
                  "  command: [srv, '${port}']\n"
                  "  slurm:\n%s" CLIENT,
             slurm_lines);
    return yaml;
}

/* Expands the service's slurm section with the given parameter values. */
static aifb_code expand(const recipe *r, const char *tp, const char *img, const char *part,
                        recipe_slurm_values *out, aifb_err *err)
{
    kv given[] = {{"tp", (char *)tp}, {"img", (char *)img}, {"part", (char *)part}};
    kv *params = NULL;
    size_t n = 0;
    cr_assert_eq(recipe_resolve_params(r, given, 3, &params, &n, err), AIFB_OK, "%s", err->msg);
    aifb_code rc = recipe_slurm_expand(&r->service.role.slurm, "service", params, n, out, err);
    kv_array_free(params, n);
    return rc;
}

Test(recipe_slurm, a_slurm_section_reads_back_as_written_in_both_roles)
{
    recipe *r = parse_ok(HEAD "service:\n"
                              "  command: [srv]\n"
                              "  slurm:\n"
                              "    image: '${img}'\n"
                              "    gpus: '${tp}'\n"
                              "    nodes: 1\n"
                              "    tasks: 2\n"
                              "    cpus_per_task: 16\n"
                              "    memory_mb: 65536\n"
                              "    time_limit_min: 90\n"
                              "    partition: '${part}'\n"
                              "client:\n"
                              "  command: [cli]\n"
                              "  slurm: {partition: cpu, cpus_per_task: 4}\n");
    const recipe_slurm *s = &r->service.role.slurm;
    cr_assert_str_eq(s->image, "${img}");
    cr_assert_str_eq(s->gpus, "${tp}");
    cr_assert_str_eq(s->nodes, "1");
    cr_assert_str_eq(s->tasks, "2");
    cr_assert_str_eq(s->cpus_per_task, "16");
    cr_assert_str_eq(s->memory_mb, "65536");
    cr_assert_str_eq(s->time_limit_min, "90");
    cr_assert_str_eq(s->partition, "${part}");
    cr_assert_str_eq(r->client.role.slurm.partition, "cpu");
    cr_assert_str_eq(r->client.role.slurm.cpus_per_task, "4");
    cr_assert_null(r->client.role.slurm.image);
    recipe_free(r);
}

Test(recipe_slurm, a_recipe_without_the_section_asks_nothing_of_slurm)
{
    recipe *r = parse_ok(HEAD "service:\n  command: [srv]\n" CLIENT);
    recipe_slurm_values v;
    aifb_err err = {0};
    cr_assert_eq(expand(r, "2", "x.sif", "gpu", &v, &err), AIFB_OK, "%s", err.msg);
    cr_assert_null(v.image);
    cr_assert_null(v.partition);
    cr_assert_eq(v.gpus, -1);
    cr_assert_eq(v.nodes, -1);
    cr_assert_eq(v.tasks, -1);
    cr_assert_eq(v.cpus_per_task, -1);
    cr_assert_eq(v.memory_mb, -1);
    cr_assert_eq(v.time_limit_min, -1);
    recipe_slurm_values_free(&v);
    recipe_free(r);
}

Test(recipe_slurm, templates_expand_with_the_run_parameters_into_checked_values)
{
    recipe *r = parse_ok(service_with("    image: '${img}'\n"
                                      "    gpus: '${tp}'\n"
                                      "    memory_mb: '${tp}000'\n"
                                      "    partition: '${part}-a100'\n"
                                      "    time_limit_min: 45\n"));
    recipe_slurm_values v;
    aifb_err err = {0};
    cr_assert_eq(expand(r, "4", "/project/images/vllm.sif", "gpu", &v, &err), AIFB_OK, "%s",
                 err.msg);
    cr_assert_str_eq(v.image, "/project/images/vllm.sif");
    cr_assert_eq(v.gpus, 4);
    cr_assert_eq(v.memory_mb, 4000);
    cr_assert_str_eq(v.partition, "gpu-a100");
    cr_assert_eq(v.time_limit_min, 45);
    cr_assert_eq(v.nodes, -1, "not in the section: not set");
    recipe_slurm_values_free(&v);
    recipe_free(r);
}

Test(recipe_slurm, a_setting_that_expands_to_nothing_is_left_to_the_configuration)
{
    recipe *r = parse_ok(service_with("    image: '${img}'\n    partition: '${part}'\n"));
    recipe_slurm_values v;
    aifb_err err = {0};
    cr_assert_eq(expand(r, "1", "", "", &v, &err), AIFB_OK, "%s", err.msg);
    cr_assert_null(v.image, "an empty image: no container");
    cr_assert_null(v.partition);
    recipe_slurm_values_free(&v);
    recipe_free(r);
}

Test(recipe_slurm, a_gpu_count_out_of_range_from_a_parameter_is_refused_naming_key_and_value)
{
    recipe *r = parse_ok(service_with("    gpus: '${tp}'\n"));
    recipe_slurm_values v;
    aifb_err err = {0};
    cr_assert_eq(expand(r, "2000", "x", "gpu", &v, &err), AIFB_EINVAL);
    cr_assert_str_eq(err.msg,
                     "service.slurm.gpus: '2000' (from '${tp}') is not a whole number from 0 to "
                     "1024");
    cr_assert_eq(expand(r, "-1", "x", "gpu", &v, &err), AIFB_EINVAL);
    cr_assert(strstr(err.msg, "'-1'"), "%s", err.msg);
    cr_assert_eq(expand(r, "0", "x", "gpu", &v, &err), AIFB_OK, "0 GPUs is a CPU job: %s", err.msg);
    cr_assert_eq(v.gpus, 0);
    recipe_slurm_values_free(&v);
    recipe_free(r);
}

Test(recipe_slurm, a_number_that_is_not_whole_is_refused_when_a_run_expands_it)
{
    recipe *r = parse_ok(service_with("    nodes: '${img}'\n"));
    recipe_slurm_values v;
    aifb_err err = {0};
    cr_assert_eq(expand(r, "1", "2.5", "gpu", &v, &err), AIFB_EINVAL);
    cr_assert(strstr(err.msg, "service.slurm.nodes: '2.5' (from '${img}')"), "%s", err.msg);
    cr_assert(strstr(err.msg, "from 1 to 100000"), "%s", err.msg);
    recipe_free(r);
}

Test(recipe_slurm, an_image_that_would_be_read_as_an_option_is_refused)
{
    recipe *r = parse_ok(service_with("    image: '${img}'\n"));
    recipe_slurm_values v;
    aifb_err err = {0};
    cr_assert_eq(expand(r, "1", "--bind=/:/host", "gpu", &v, &err), AIFB_EINVAL);
    cr_assert(strstr(err.msg, "service.slurm.image: '--bind=/:/host'"), "%s", err.msg);
    cr_assert(strstr(err.msg, "must not start with '-'"), "%s", err.msg);
    recipe_free(r);
}

Test(recipe_slurm, a_partition_an_sbatch_line_cannot_hold_is_refused)
{
    recipe *r = parse_ok(service_with("    partition: '${part}'\n"));
    recipe_slurm_values v;
    aifb_err err = {0};
    const char *bad[] = {"gpu large", "gpu;rm", "-p", "gpu'x", "a%b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(expand(r, "1", "x", bad[i], &v, &err), AIFB_EINVAL, "%s", bad[i]);
        cr_assert(strstr(err.msg, "service.slurm.partition:"), "%s", err.msg);
        cr_assert(strstr(err.msg, bad[i]), "names the value: %s", err.msg);
    }
    cr_assert_eq(expand(r, "1", "x", "gpu,gpu-large", &v, &err), AIFB_OK, "%s", err.msg);
    cr_assert_str_eq(v.partition, "gpu,gpu-large");
    recipe_slurm_values_free(&v);
    recipe_free(r);
}

Test(recipe_slurm, a_bad_literal_value_is_refused_when_the_recipe_loads)
{
    REFUSED(service_with("    gpus: two\n"), "service.slurm.gpus: 'two'",
            "not a whole number from 0 to 1024", "gpu.yaml:10:");
    REFUSED(service_with("    nodes: 0\n"), "service.slurm.nodes: '0'", "from 1 to 100000");
    REFUSED(service_with("    memory_mb: 3000000000\n"), "service.slurm.memory_mb");
    REFUSED(service_with("    time_limit_min: 600000\n"), "service.slurm.time_limit_min");
    REFUSED(service_with("    image: -x.sif\n"), "service.slurm.image: '-x.sif'");
    REFUSED(service_with("    partition: 'a b'\n"), "service.slurm.partition: 'a b'");
}

Test(recipe_slurm, an_unknown_key_or_a_placeholder_naming_nothing_is_refused)
{
    REFUSED(service_with("    gpu: 1\n"), "unknown key 'gpu' in service.slurm",
            "known: image, gpus");
    REFUSED(service_with("    gpus: '${tensor_parallel}'\n"), "service.slurm.gpus",
            "${tensor_parallel}", "names neither a parameter nor a builtin");
    REFUSED(HEAD "service:\n  command: [srv]\n  slurm: [gpus]\n" CLIENT,
            "service.slurm must be a mapping");
    REFUSED(HEAD "service:\n  command: [srv]\n" CLIENT "  slurm: {account: p1}\n",
            "unknown key 'account' in client.slurm");
}
