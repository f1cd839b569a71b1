/* test_slurm_api_submit.c: the job/submit bodies of every data version, read back with json-c:
 * exactly the expected fields in each version's shape, values that survive unchanged, and the
 * specs that are refused with a message naming the bad field. */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slurm/slurm_api.h"

static const char *const all_versions[] = {"v0.0.38", "v0.0.40", "v0.0.41", "v0.0.42"};
static const char *const dp_versions[] = {"v0.0.40", "v0.0.41", "v0.0.42"};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const kv full_env[] = {
    {"AIFB_RUN_ID", "r-3fa09c1d22be"},
    {"HF_HOME", "/scratch/hf"},
};

static slurm_job_spec full_spec(void)
{
    return (slurm_job_spec){
        .name = "aifb-r-3fa09c1d22be-service",
        .comment = "aifb run r-3fa09c1d22be",
        .account = "p200000",
        .partition = "gpu",
        .qos = "default",
        .time_limit_min = 90,
        .nodes = 2,
        .tasks = 8,
        .cpus_per_task = 4,
        .memory_mb = 16000,
        .gpus = 4,
        .cwd = "/project/aifb/runs/r-3fa09c1d22be",
        .stdout_path = "/project/aifb/runs/r-3fa09c1d22be/service.out",
        .stderr_path = "/project/aifb/runs/r-3fa09c1d22be/service.err",
        .env = full_env,
        .nenv = COUNT(full_env),
        .script = "#!/bin/bash\nexec redis-server --port 6379\n",
    };
}

static slurm_job_spec minimal_spec(void)
{
    return (slurm_job_spec){.cwd = "/tmp/run", .script = "#!/bin/sh\ntrue\n"};
}

/* Builds the body with the version's table and parses it back. */
static json_object *submit_json(const char *version, const slurm_job_spec *spec)
{
    const slurm_api *api = slurm_api_get(version);
    cr_assert_not_null(api, "%s is supported", version);
    char *text = NULL;
    aifb_err err = {0};
    cr_assert_eq(api->submit_body(spec, &text, &err), AIFB_OK, "%s: %s", version, err.msg);
    json_object *o = json_tokener_parse(text);
    cr_assert_not_null(o, "%s body is JSON: %s", version, text);
    free(text);
    return o;
}

static json_object *member(json_object *o, const char *key)
{
    json_object *v = NULL;
    cr_assert(json_object_object_get_ex(o, key, &v), "member %s in %s", key,
              json_object_to_json_string(o));
    return v;
}

/* o has exactly the keys listed (NULL-terminated), in any order. */
static void assert_keys(json_object *o, const char *const *keys)
{
    size_t n = 0;
    for (; keys[n]; n++)
        member(o, keys[n]);
    cr_assert_eq((size_t)json_object_object_length(o), n, "exactly %zu fields in %s", n,
                 json_object_to_json_string(o));
}

static void assert_str(json_object *o, const char *key, const char *want)
{
    cr_assert_str_eq(json_object_get_string(member(o, key)), want, "%s", key);
}

static void assert_int(json_object *o, const char *key, int64_t want)
{
    json_object *v = member(o, key);
    cr_assert(json_object_is_type(v, json_type_int), "%s is an integer", key);
    cr_assert_eq(json_object_get_int64(v), want, "%s", key);
}

/* {"set": true, "infinite": false, "number": want} */
static void assert_no_val(json_object *o, const char *key, int64_t want)
{
    json_object *v = member(o, key);
    assert_keys(v, (const char *const[]){"set", "infinite", "number", NULL});
    cr_assert(json_object_get_boolean(member(v, "set")), "%s.set", key);
    cr_assert(!json_object_get_boolean(member(v, "infinite")), "%s.infinite", key);
    assert_int(v, "number", want);
}

Test(slurm_api_submit, v0038_body_has_the_job_fields_and_the_script_beside_the_job)
{
    slurm_job_spec spec = full_spec();
    json_object *root = submit_json("v0.0.38", &spec);
    assert_keys(root, (const char *const[]){"job", "script", NULL});
    assert_str(root, "script", spec.script);
    json_object *job = member(root, "job");
    assert_keys(job,
                (const char *const[]){"name", "comment", "account", "partition", "qos",
                                      "time_limit", "nodes", "tasks", "cpus_per_task",
                                      "memory_per_node", "gres", "current_working_directory",
                                      "standard_output", "standard_error", "environment", NULL});
    assert_str(job, "name", spec.name);
    assert_str(job, "comment", spec.comment);
    assert_str(job, "account", "p200000");
    assert_str(job, "partition", "gpu");
    assert_str(job, "qos", "default");
    assert_int(job, "time_limit", 90);
    assert_int(job, "nodes", 2);
    assert_int(job, "tasks", 8);
    assert_int(job, "cpus_per_task", 4);
    assert_int(job, "memory_per_node", 16000);
    assert_str(job, "gres", "gpu:4");
    assert_str(job, "current_working_directory", spec.cwd);
    assert_str(job, "standard_output", spec.stdout_path);
    assert_str(job, "standard_error", spec.stderr_path);
    json_object *env = member(job, "environment");
    cr_assert(json_object_is_type(env, json_type_object), "v0.0.38 environment is an object");
    assert_keys(env, (const char *const[]){"AIFB_RUN_ID", "HF_HOME", NULL});
    assert_str(env, "AIFB_RUN_ID", "r-3fa09c1d22be");
    assert_str(env, "HF_HOME", "/scratch/hf");
    json_object_put(root);
}

Test(slurm_api_submit, data_parser_bodies_put_the_script_in_the_job_and_numbers_in_no_val_objects)
{
    slurm_job_spec spec = full_spec();
    for (size_t i = 0; i < COUNT(dp_versions); i++) {
        json_object *root = submit_json(dp_versions[i], &spec);
        assert_keys(root, (const char *const[]){"job", NULL});
        json_object *job = member(root, "job");
        assert_keys(job, (const char *const[]){
                             "name", "comment", "account", "partition", "qos", "time_limit",
                             "minimum_nodes", "maximum_nodes", "tasks", "cpus_per_task",
                             "memory_per_node", "tres_per_node", "current_working_directory",
                             "standard_output", "standard_error", "environment", "script", NULL});
        assert_str(job, "name", spec.name);
        assert_str(job, "comment", spec.comment);
        assert_str(job, "account", "p200000");
        assert_str(job, "partition", "gpu");
        assert_str(job, "qos", "default");
        assert_no_val(job, "time_limit", 90);
        assert_int(job, "minimum_nodes", 2);
        assert_int(job, "maximum_nodes", 2);
        assert_int(job, "tasks", 8);
        assert_int(job, "cpus_per_task", 4);
        assert_no_val(job, "memory_per_node", 16000);
        assert_str(job, "tres_per_node", "gres/gpu:4");
        assert_str(job, "current_working_directory", spec.cwd);
        assert_str(job, "standard_output", spec.stdout_path);
        assert_str(job, "standard_error", spec.stderr_path);
        assert_str(job, "script", spec.script);
        json_object *env = member(job, "environment");
        cr_assert(json_object_is_type(env, json_type_array), "%s environment is an array",
                  dp_versions[i]);
        cr_assert_eq(json_object_array_length(env), 2);
        cr_assert_str_eq(json_object_get_string(json_object_array_get_idx(env, 0)),
                         "AIFB_RUN_ID=r-3fa09c1d22be");
        cr_assert_str_eq(json_object_get_string(json_object_array_get_idx(env, 1)),
                         "HF_HOME=/scratch/hf");
        json_object_put(root);
    }
}

Test(slurm_api_submit, unset_fields_are_left_out_and_a_default_path_is_the_only_variable)
{
    slurm_job_spec spec = minimal_spec();
    spec.name = "";
    json_object *root = submit_json("v0.0.38", &spec);
    json_object *job = member(root, "job");
    assert_keys(job, (const char *const[]){"current_working_directory", "environment", NULL});
    json_object *env = member(job, "environment");
    assert_keys(env, (const char *const[]){"PATH", NULL});
    assert_str(env, "PATH", "/usr/local/bin:/usr/bin:/bin");
    json_object_put(root);
    for (size_t i = 0; i < COUNT(dp_versions); i++) {
        root = submit_json(dp_versions[i], &spec);
        job = member(root, "job");
        assert_keys(
            job, (const char *const[]){"current_working_directory", "environment", "script", NULL});
        env = member(job, "environment");
        cr_assert_eq(json_object_array_length(env), 1);
        cr_assert_str_eq(json_object_get_string(json_object_array_get_idx(env, 0)),
                         "PATH=/usr/local/bin:/usr/bin:/bin");
        json_object_put(root);
    }
}

Test(slurm_api_submit, quotes_newlines_and_shell_syntax_reach_slurm_unchanged)
{
    static const char script[] = "#!/bin/bash\necho \"it's $(whoami)\" `id` \\\\ \t; rm -rf / #\n"
                                 "printf '%s\\n' \"\xc3\xa9t\xc3\xa9\" </dev/null\n\x01\x1f";
    static const kv env[] = {{"ARGS", "--x=\"1\" 'two'\nthree=$(4)"}};
    slurm_job_spec spec = minimal_spec();
    spec.script = script;
    spec.name = "name with \"quotes\" and \\ backslash";
    spec.env = env;
    spec.nenv = 1;
    for (size_t i = 0; i < COUNT(all_versions); i++) {
        json_object *root = submit_json(all_versions[i], &spec);
        json_object *job = member(root, "job");
        bool old = i == 0;
        assert_str(old ? root : job, "script", script);
        assert_str(job, "name", spec.name);
        json_object *e = member(job, "environment");
        if (old)
            assert_str(e, "ARGS", env[0].value);
        else
            cr_assert_str_eq(json_object_get_string(json_object_array_get_idx(e, 0)),
                             "ARGS=--x=\"1\" 'two'\nthree=$(4)");
        json_object_put(root);
    }
}

/* The spec is refused by every version with AIFB_EINVAL, a message naming the version and
 * containing each of the words, and no body. */
static void assert_refused(const slurm_job_spec *spec, const char *word1, const char *word2)
{
    for (size_t i = 0; i < COUNT(all_versions); i++) {
        const slurm_api *api = slurm_api_get(all_versions[i]);
        char *text = (char *)"untouched";
        aifb_err err = {0};
        cr_assert_eq(api->submit_body(spec, &text, &err), AIFB_EINVAL, "%s refuses",
                     all_versions[i]);
        cr_assert_null(text, "no body on refusal");
        cr_assert(strstr(err.msg, all_versions[i]), "message names the version: %s", err.msg);
        cr_assert(strstr(err.msg, word1), "message names %s: %s", word1, err.msg);
        cr_assert(!word2 || strstr(err.msg, word2), "message names %s: %s", word2, err.msg);
    }
}

Test(slurm_api_submit, a_negative_count_is_refused_with_a_message_naming_it)
{
#define RUNNABLE .cwd = "/tmp/run", .script = "#!/bin/sh\ntrue\n"
    const struct {
        const char *field, *value;
        slurm_job_spec spec;
    } cases[] = {
        {"time_limit_min", "-5", {RUNNABLE, .time_limit_min = -5}},
        {"nodes", "-1", {RUNNABLE, .nodes = -1}},
        {"tasks", "-2", {RUNNABLE, .tasks = -2}},
        {"cpus_per_task", "-3", {RUNNABLE, .cpus_per_task = -3}},
        {"memory_mb", "-4", {RUNNABLE, .memory_mb = -4}},
        {"gpus", "-6", {RUNNABLE, .gpus = -6}},
    };
#undef RUNNABLE
    for (size_t i = 0; i < COUNT(cases); i++)
        assert_refused(&cases[i].spec, cases[i].field, cases[i].value);
}

Test(slurm_api_submit, more_cpus_per_task_than_slurm_stores_is_refused)
{
    slurm_job_spec spec = minimal_spec();
    spec.cpus_per_task = 70000;
    assert_refused(&spec, "cpus_per_task", "70000");
}

Test(slurm_api_submit, a_spec_without_script_or_working_directory_is_refused)
{
    slurm_job_spec spec = minimal_spec();
    spec.script = NULL;
    assert_refused(&spec, "script", NULL);
    spec = minimal_spec();
    spec.script = "";
    assert_refused(&spec, "script", NULL);
    spec = minimal_spec();
    spec.cwd = NULL;
    assert_refused(&spec, "cwd", NULL);
}

Test(slurm_api_submit, a_bad_environment_variable_is_refused_naming_it)
{
    static const kv bad_names[][1] = {{{"1ABC", "x"}}, {{"A-B", "x"}}, {{"", "x"}}, {{"A=B", "x"}}};
    for (size_t i = 0; i < COUNT(bad_names); i++) {
        slurm_job_spec spec = minimal_spec();
        spec.env = bad_names[i];
        spec.nenv = 1;
        assert_refused(&spec, "environment variable name", bad_names[i][0].name);
    }
    static const kv twice[] = {{"X", "1"}, {"Y", "2"}, {"X", "3"}};
    slurm_job_spec spec = minimal_spec();
    spec.env = twice;
    spec.nenv = 3;
    assert_refused(&spec, "'X'", "twice");
    static const kv no_value[] = {{"EMPTY", NULL}};
    spec.env = no_value;
    spec.nenv = 1;
    assert_refused(&spec, "'EMPTY'", "no value");
    spec.env = NULL;
    spec.nenv = 2;
    assert_refused(&spec, "nenv", NULL);
}
