/* test_aifbd_gpu_recipes.c: the vLLM and Ollama recipes (read from recipes/) as the Slurm
 * executor turns them into jobs. aifbd's settings and the recipe's meet as documented: the
 * recipe's image and GPU count win, the site's slurm_service partition wins over the recipe's,
 * which wins over slurm.partition. The service job asks for the GPUs, runs the server under
 * `apptainer exec --nv IMAGE`, probes its HTTP health path with the long model-loading timeout;
 * the client job finds aifb-loadgen in slurm.agents_dir and gives it exactly the documented
 * command line. The scripts pass `bash -n` and are also run with bash on stand-ins (apptainer, a
 * server answering the probe, curl, aifb-loadgen). A model name with a quote or a space is
 * refused before any plan exists. */
#include "test_slurm_script_support.h"

#include "aifbd/daemon.h"
#include "test_aifbd_support.h"
#include "aifbd/executors.h"

TestSuite(gpu_recipes, .init = t_setup, .fini = t_teardown, .timeout = 60);

#define LLAMA "meta-llama/Llama-3.1-8B-Instruct"

/* A Slurm plan of r in the test's run folder: the host is the placeholder the job fills in. */
static exec_plan *slurm_plan(const recipe *r, const kv *given, size_t ngiven, int port)
{
    kv *params = NULL;
    size_t n = 0;
    aifb_err err = {0};
    cr_assert_eq(recipe_resolve_params(r, given, ngiven, &params, &n, &err), AIFB_OK, "%s",
                 err.msg);
    plan_input in = {.r = r,
                     .params = params,
                     .nparams = n,
                     .id = T_ID,
                     .dir = t_rundir,
                     .host = SLURM_HOST_TOKEN,
                     .port = port,
                     .with_service = true,
                     .with_client = true};
    exec_plan *p = NULL;
    cr_assert_eq(plan_build(&in, &p, &err), AIFB_OK, "%s", err.msg);
    kv_array_free(params, n);
    return p;
}

/* aifbd's Slurm settings: slurm.partition cpu, one GPU for the service by default. */
static aifbd_slurm_config site(void)
{
    aifbd_slurm_config sc = t_unset_slurm_config();
    sc.job.account = "p200000";
    sc.job.partition = "cpu";
    sc.job.time_limit_min = 60;
    sc.service.gpus = 1;
    sc.service.cpus_per_task = 32;
    sc.remote_base = t_base;
    return sc;
}

/* The role's job settings for plan p, as the Slurm executor gets them. */
static slurm_opts job_opts(aifbd_slurm_config *sc, const exec_plan *p, const char *role)
{
    slurm_opts o;
    aifbd_slurm_job_base(sc, !strcmp(role, "service"), NULL, &o);
    aifbd_slurm_run_opts(sc, p, role, &o);
    return o;
}

static char *script_of(aifbd_slurm_config *sc, const exec_plan *p, const char *role)
{
    slurm_opts o = job_opts(sc, p, role);
    o.endpoint_timeout_s = 20;
    char *script = NULL;
    aifb_err err = {0};
    aifb_code rc = !strcmp(role, "service") ? slurm_script_service(p, &o, &script, &err)
                                            : slurm_script_client(p, &o, &script, &err);
    cr_assert_eq(rc, AIFB_OK, "%s", err.msg);
    cr_assert(t_syntax_ok(script), "bash -n refuses the %s script:\n%s", role, script);
    return script;
}

static void assert_has(const char *script, const char *needle)
{
    cr_assert(strstr(script, needle), "the script lacks\n  %s\nin:\n%s", needle, script);
}

/* Writes service.endpoint as the service job would. */
static void publish(const char *endpoint)
{
    char path[1024], line[300];
    snprintf(path, sizeof path, "%s/service.endpoint", t_rundir);
    snprintf(line, sizeof line, "%s\n", endpoint);
    t_write(path, line, strlen(line), 0644);
}

/* Checks the NUL-separated argv a stand-in recorded against want (NULL-terminated). */
static void assert_argv(const char *rel, const char *const *want)
{
    size_t len = 0, at = 0;
    char *got = t_read(rel, &len);
    cr_assert_not_null(got, "%s was never written: the program did not run", rel);
    for (size_t i = 0; want[i]; i++) {
        cr_assert(at < len, "%s: argument %zu missing (want '%s')", rel, i, want[i]);
        cr_assert_str_eq(got + at, want[i], "%s: argument %zu", rel, i);
        at += strlen(got + at) + 1;
    }
    cr_assert_eq(at, len, "%s: more arguments than expected", rel);
    free(got);
}

static void loadgen_argv(const char *model, const char *host_port, const char **out, size_t cap)
{
    static char url[300], result[600];
    snprintf(url, sizeof url, "http://%s", host_port);
    snprintf(result, sizeof result, "%s/client/result.json", t_rundir);
    const char *argv[] = {"--url",      url,
                          "--workload", "chat",
                          "--model",    model,
                          "--stream",   "--rate",
                          "0",          "--concurrency",
                          "16",         "--requests",
                          "500",        "--input-tokens",
                          "512",        "--output-tokens",
                          "128",        "--seed",
                          "1",          "--result",
                          result,       "--print-result",
                          NULL};
    size_t n = sizeof argv / sizeof argv[0];
    cr_assert(n <= cap);
    memcpy(out, argv, n * sizeof *argv);
}

Test(gpu_recipes, the_recipe_brings_image_and_gpus_and_the_site_keeps_its_partition)
{
    recipe *r = t_load_recipe("vllm");
    kv given[] = {{"tensor_parallel_size", "2"}};
    exec_plan *p = slurm_plan(r, given, 1, 24567);
    aifbd_slurm_config sc = site();
    slurm_opts svc = job_opts(&sc, p, "service");
    cr_assert_str_eq(svc.image, "docker://vllm/vllm-openai:v0.6.3");
    cr_assert_eq(svc.gpus, 2, "tensor_parallel_size 2 over slurm_service.gpus 1");
    cr_assert_str_eq(svc.partition, "gpu", "the recipe's partition over slurm.partition");
    cr_assert_eq(svc.cpus_per_task, 32, "what the recipe leaves unset stays the site's");
    cr_assert_str_eq(svc.account, "p200000");
    cr_assert_eq(svc.time_limit_min, 60);

    sc.service.partition = "gpu-a100";
    svc = job_opts(&sc, p, "service");
    cr_assert_str_eq(svc.partition, "gpu-a100", "slurm_service.partition wins over the recipe");
    cr_assert_eq(svc.gpus, 2);

    slurm_opts cli = job_opts(&sc, p, "client");
    cr_assert_null(cli.image, "the load client runs outside any image");
    cr_assert_str_eq(cli.partition, "cpu");
    cr_assert_eq(cli.gpus, 0);
    plan_free(p);
    recipe_free(r);
}

Test(gpu_recipes, a_recipe_without_a_slurm_section_keeps_every_site_setting)
{
    recipe *r = t_load_recipe("redis");
    exec_plan *p = slurm_plan(r, NULL, 0, 24567);
    aifbd_slurm_config sc = site();
    slurm_opts svc = job_opts(&sc, p, "service");
    cr_assert_null(svc.image);
    cr_assert_eq(svc.gpus, 1);
    cr_assert_str_eq(svc.partition, "cpu");
    plan_free(p);
    recipe_free(r);
}

Test(gpu_recipes, the_vllm_service_job_asks_for_the_gpus_and_runs_vllm_in_the_image)
{
    recipe *r = t_load_recipe("vllm");
    kv given[] = {{"tensor_parallel_size", "2"}, {"model", LLAMA}, {"max_model_len", "8192"}};
    exec_plan *p = slurm_plan(r, given, 3, 24567);
    aifbd_slurm_config sc = site();
    char *script = script_of(&sc, p, "service");
    assert_has(script, "\n#SBATCH --gpus=2\n");
    assert_has(script, "\n#SBATCH --partition=gpu\n");
    assert_has(script,
               "apptainer exec --nv 'docker://vllm/vllm-openai:v0.6.3' 'vllm' 'serve' '" LLAMA
               "' '--host' \"$aifb_bind_host\" '--port' '24567' "
               "'--tensor-parallel-size' '2' '--max-model-len' '8192' "
               "'--gpu-memory-utilization' '0.9' )");
    assert_has(script, "curl -q -g -fsS -o /dev/null --max-time 5 'http://127.0.0.1:24567/health'");
    assert_has(script, "\naifb_probe_timeout_s=1800\n");
    free(script);
    plan_free(p);
    recipe_free(r);
}

/* A stand-in server: records its argv, answers 200 to GET /health on port until SIGTERM. */
static void http_server_standin(const char *name, int port, const char *path)
{
    char body[1500];
    snprintf(body, sizeof body,
             "exec python3 -c 'import http.server,signal,sys\n"
             "signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))\n"
             "class H(http.server.BaseHTTPRequestHandler):\n"
             "    def do_GET(self):\n"
             "        self.send_response(200 if self.path == \"%s\" else 404)\n"
             "        self.end_headers()\n"
             "    def log_message(self, *a): pass\n"
             "http.server.HTTPServer((\"127.0.0.1\", %d), H).serve_forever()'",
             path, port);
    t_standin(name, body);
}

Test(gpu_recipes, the_vllm_service_job_runs_on_stand_ins_and_publishes_once_health_answers)
{
    int port = t_free_port();
    t_standin_apptainer_module();
    http_server_standin("vllm", port, "/health");
    recipe *r = t_load_recipe("vllm");
    kv given[] = {{"tensor_parallel_size", "2"}, {"model", LLAMA}};
    exec_plan *p = slurm_plan(r, given, 2, port);
    aifbd_slurm_config sc = site();
    char *script = script_of(&sc, p, "service");
    pid_t job = t_start(script);
    cr_assert(t_await_file("base/runs/" T_ID "/service.endpoint"), "never published");
    char port_s[16];
    snprintf(port_s, sizeof port_s, "%d", port);
    const char *want[] = {"serve",
                          LLAMA,
                          "--host",
                          "0.0.0.0",
                          "--port",
                          port_s,
                          "--tensor-parallel-size",
                          "2",
                          "--max-model-len",
                          "4096",
                          "--gpu-memory-utilization",
                          "0.9",
                          NULL};
    assert_argv("log/vllm.argv", want);
    size_t len = 0;
    char *images = t_read("log/apptainer.images", &len);
    cr_assert(t_nul_list_has(images, len, "docker://vllm/vllm-openai:v0.6.3"));
    free(images);
    char *nv = t_read("log/apptainer.nv", NULL);
    cr_assert_str_eq(nv, "yes\n", "GPUs asked: apptainer gets --nv");
    free(nv);
    kill(job, SIGTERM);
    cr_assert_eq(t_wait(job), 0);
    free(script);
    plan_free(p);
    recipe_free(r);
}

Test(gpu_recipes, the_vllm_client_job_runs_aifb_loadgen_from_agents_dir_with_the_documented_line)
{
    char agents[400];
    snprintf(agents, sizeof agents, "%s/agents", t_dir);
    t_mkdir("agents");
    t_standin_in("agents", "aifb-loadgen", NULL);
    plan_set_agents_dir(agents);
    recipe *r = t_load_recipe("vllm");
    kv given[] = {{"model", LLAMA}};
    exec_plan *p = slurm_plan(r, given, 1, 24567);
    plan_set_agents_dir(NULL);
    aifbd_slurm_config sc = site();
    cr_assert_str_eq(r->client.summary, "aifb-loadgen", "the run keeps the load's figures");
    char *script = script_of(&sc, p, "client");
    assert_has(script, "( exec -- 'aifb-loadgen' '--url' 'http://'\"$AIFB_ENDPOINT_HOST\"':24567'");
    cr_assert_null(strstr(script, "apptainer"), "the client runs outside the image");
    publish("gpu7.cluster:24567");
    cr_assert_eq(t_run(script), 0);
    const char *want[24];
    loadgen_argv(LLAMA, "gpu7.cluster:24567", want, 24);
    assert_argv("log/aifb-loadgen.argv", want);
    free(script);
    plan_free(p);
    recipe_free(r);
}

Test(gpu_recipes, agents_dir_comes_after_the_roles_own_search_folders)
{
    plan_set_agents_dir("/project/aifb/bin");
    recipe *r = t_load_recipe("postgres-pgbench");
    exec_plan *p = slurm_plan(r, NULL, 0, 24567);
    plan_set_agents_dir(NULL);
    cr_assert_str_eq(p->service.search[0], "/usr/lib/postgresql/*/bin");
    cr_assert_str_eq(p->service.search[1], "/project/aifb/bin");
    cr_assert_null(p->service.search[2]);
    cr_assert_str_eq(p->client.search[1], "/project/aifb/bin");
    plan_free(p);
    recipe_free(r);

    r = t_load_recipe("redis");
    p = slurm_plan(r, NULL, 0, 24567);
    cr_assert_null(p->client.search, "without agents_dir (the local executor) nothing is added");
    plan_free(p);
    recipe_free(r);
}

Test(gpu_recipes, the_ollama_service_job_runs_ollama_serve_in_its_image_on_one_gpu)
{
    recipe *r = t_load_recipe("ollama");
    exec_plan *p = slurm_plan(r, NULL, 0, 24567);
    aifbd_slurm_config sc = site();
    char *script = script_of(&sc, p, "service");
    assert_has(script, "\n#SBATCH --gpus=1\n");
    assert_has(script, "( export OLLAMA_HOST=\"$aifb_bind_host\"':24567' OLLAMA_MODELS='' "
                       "OLLAMA_NUM_PARALLEL='4'; exec -- apptainer exec --nv "
                       "'docker://ollama/ollama:0.5.7' 'ollama' 'serve' )");
    assert_has(script, "'http://127.0.0.1:24567/api/version'");
    free(script);
    plan_free(p);
    recipe_free(r);

    r = t_load_recipe("ollama");
    kv cpu[] = {{"gpus", "0"}};
    p = slurm_plan(r, cpu, 1, 24567);
    script = script_of(&sc, p, "service");
    cr_assert_null(strstr(script, "--gpus"), "gpus 0 overrides slurm_service.gpus 1:\n%s", script);
    cr_assert_null(strstr(script, "--nv"));
    free(script);
    plan_free(p);
    recipe_free(r);
}

Test(gpu_recipes, the_ollama_service_job_runs_on_stand_ins_and_publishes_once_its_version_answers)
{
    int port = t_free_port();
    t_standin_apptainer_module();
    http_server_standin("ollama", port, "/api/version");
    recipe *r = t_load_recipe("ollama");
    kv given[] = {{"models_dir", "/project/scratch/p200000/ollama"}};
    exec_plan *p = slurm_plan(r, given, 1, port);
    aifbd_slurm_config sc = site();
    char *script = script_of(&sc, p, "service");
    pid_t job = t_start(script);
    cr_assert(t_await_file("base/runs/" T_ID "/service.endpoint"), "never published");
    const char *want[] = {"serve", NULL};
    assert_argv("log/ollama.argv", want);
    size_t len = 0;
    char *env = t_read("log/ollama.env", &len);
    char host[64];
    snprintf(host, sizeof host, "OLLAMA_HOST=0.0.0.0:%d", port);
    cr_assert(t_nul_list_has(env, len, host), "the server binds every interface of its node");
    cr_assert(t_nul_list_has(env, len, "OLLAMA_MODELS=/project/scratch/p200000/ollama"));
    free(env);
    kill(job, SIGTERM);
    cr_assert_eq(t_wait(job), 0);
    free(script);
    plan_free(p);
    recipe_free(r);
}

Test(gpu_recipes, the_ollama_client_job_pulls_the_model_then_runs_aifb_loadgen)
{
    char agents[400];
    snprintf(agents, sizeof agents, "%s/agents", t_dir);
    t_mkdir("agents");
    t_standin_in("agents", "aifb-loadgen", NULL);
    t_standin("curl", NULL);
    plan_set_agents_dir(agents);
    recipe *r = t_load_recipe("ollama");
    kv given[] = {{"model", "llama3.1:8b"}};
    exec_plan *p = slurm_plan(r, given, 1, 24567);
    plan_set_agents_dir(NULL);
    cr_assert_str_eq(r->client.summary, "aifb-loadgen");
    aifbd_slurm_config sc = site();
    char *script = script_of(&sc, p, "client");
    publish("gpu3.cluster:24567");
    cr_assert_eq(t_run(script), 0);
    const char *pull[] = {
        "-fsS", "--max-time",
        "7200", "-X",
        "POST", "http://gpu3.cluster:24567/api/pull",
        "-H",   "Content-Type: application/json",
        "-d",   "{\"model\":\"llama3.1:8b\",\"name\":\"llama3.1:8b\",\"stream\":false}",
        NULL};
    assert_argv("log/curl.argv", pull);
    const char *want[24];
    loadgen_argv("llama3.1:8b", "gpu3.cluster:24567", want, 24);
    assert_argv("log/aifb-loadgen.argv", want);
    free(script);
    plan_free(p);
    recipe_free(r);
}

Test(gpu_recipes, a_failed_pull_fails_the_client_job_before_the_load_starts)
{
    char agents[400];
    snprintf(agents, sizeof agents, "%s/agents", t_dir);
    t_mkdir("agents");
    t_standin_in("agents", "aifb-loadgen", NULL);
    t_standin("curl", "exit 22"); /* curl -f on an HTTP error */
    plan_set_agents_dir(agents);
    recipe *r = t_load_recipe("ollama");
    exec_plan *p = slurm_plan(r, NULL, 0, 24567);
    plan_set_agents_dir(NULL);
    aifbd_slurm_config sc = site();
    char *script = script_of(&sc, p, "client");
    publish("gpu3.cluster:24567");
    cr_assert_eq(t_run(script), 22);
    cr_assert_null(t_read("log/aifb-loadgen.argv", NULL), "no load without the model");
    free(script);
    plan_free(p);
    recipe_free(r);
}

/* The value is refused by the parameter's pattern, naming the parameter: no plan, no script. */
static void assert_model_refused(const char *recipe_name, const char *model)
{
    recipe *r = t_load_recipe(recipe_name);
    kv given[] = {{"model", (char *)model}};
    kv *params = NULL;
    size_t n = 0;
    aifb_err err = {0};
    cr_assert_eq(recipe_resolve_params(r, given, 1, &params, &n, &err), AIFB_EINVAL,
                 "%s accepted the model '%s'", recipe_name, model);
    cr_assert(strstr(err.msg, "parameter 'model'"), "%s", err.msg);
    cr_assert_null(params);
    recipe_free(r);
}

Test(gpu_recipes, a_model_name_with_a_quote_a_space_or_a_leading_dash_is_refused)
{
    const char *bad[] = {"meta-llama/Llama 3",  "x\"}],\"stream\":true", "it's", "a\\b",
                         "--trust-remote-code", "llama3;reboot",         "q\tx", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_model_refused("vllm", bad[i]);
        assert_model_refused("ollama", bad[i]);
    }
}

Test(gpu_recipes, a_tensor_parallel_size_beyond_a_node_is_refused_naming_the_parameter)
{
    recipe *r = t_load_recipe("vllm");
    kv given[] = {{"tensor_parallel_size", "9"}};
    kv *params = NULL;
    size_t n = 0;
    aifb_err err = {0};
    cr_assert_eq(recipe_resolve_params(r, given, 1, &params, &n, &err), AIFB_EINVAL);
    cr_assert(strstr(err.msg, "parameter 'tensor_parallel_size'"), "%s", err.msg);
    recipe_free(r);
}
