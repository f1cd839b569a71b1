/* test_slurm_script_inert.c: hostile values sent through every parameter of a job script leave
 * it inert. Each generated script passes `bash -n`, then really runs with bash on a fake PATH
 * where apptainer, module and the role's programs are stand-ins that record what they receive:
 * every argv element, environment value, folder, image and module name arrives byte for byte,
 * and the marker file an injection would create never exists. */
#include <regex.h>

#include "test_slurm_script_support.h"

/* Shell metacharacters, quotes, backslashes, expansions, globs, ~, leading dashes, control
 * characters and non-ASCII; the ones naming the marker are filled in by hostile_init(). */
static const char *const hostile_fixed[] = {"a b",
                                            "'",
                                            "''",
                                            "\"",
                                            "\\",
                                            "\\'",
                                            "'\\''",
                                            "$HOME",
                                            "${IFS}",
                                            "$(id)",
                                            "`id`",
                                            ";",
                                            "&&",
                                            "|",
                                            "||",
                                            "&",
                                            "*",
                                            "?",
                                            "[a-z]*",
                                            "~",
                                            "~root",
                                            "-",
                                            "-rf",
                                            "--help",
                                            "#comment",
                                            ">",
                                            "<",
                                            "!!",
                                            "{a,b}",
                                            "%j",
                                            "\n",
                                            "line1\nline2",
                                            "\r\n",
                                            "\t",
                                            "\x01\x1f\x7f",
                                            "\xc3\xa9 \xe2\x9c\x93 \xe6\x97\xa5",
                                            "\xff\xfe",
                                            "",
                                            " ",
                                            "=",
                                            "a=b",
                                            "$'\\n'",
                                            "#SBATCH --partition=evil"};

#define NHOSTILE_MARKER 10
#define NHOSTILE        (sizeof hostile_fixed / sizeof hostile_fixed[0] + NHOSTILE_MARKER)

static char marker_bufs[NHOSTILE_MARKER][600];
static const char *hostile[NHOSTILE];

static void hostile_init(void)
{
    const char *forms[NHOSTILE_MARKER] = {"$(touch %s)",      "`touch %s`",   "; touch %s",
                                          "&& touch %s",      "| touch %s",   "'; touch %s; '",
                                          "\"; touch %s; \"", "\ntouch %s\n", "\\$(touch %s)\\",
                                          "'\"$(touch %s)\"'"};
    size_t n = 0;
    for (size_t i = 0; i < sizeof hostile_fixed / sizeof hostile_fixed[0]; i++)
        hostile[n++] = hostile_fixed[i];
    for (int i = 0; i < NHOSTILE_MARKER; i++) {
        snprintf(marker_bufs[i], sizeof marker_bufs[i], forms[i], t_marker);
        hostile[n++] = marker_bufs[i];
    }
}

static void setup(void)
{
    t_setup();
    hostile_init();
    t_standin_apptainer_module();
}

TestSuite(slurm_inert, .init = setup, .fini = t_teardown, .timeout = 60);

/* argv: program, then every hostile value; NULL-terminated, freed by argv_free. */
static char **argv_of(const char *program)
{
    char **v = calloc(NHOSTILE + 2, sizeof *v);
    v[0] = strdup(program);
    for (size_t i = 0; i < NHOSTILE; i++)
        v[i + 1] = strdup(hostile[i]);
    return v;
}

/* env: AIFB_T<i>=<hostile i>. */
static char **env_of(void)
{
    char **v = calloc(NHOSTILE + 1, sizeof *v);
    for (size_t i = 0; i < NHOSTILE; i++) {
        size_t len = strlen(hostile[i]) + 32;
        v[i] = malloc(len);
        snprintf(v[i], len, "AIFB_T%zu=%s", i, hostile[i]);
    }
    return v;
}

static void argv_free(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

/* The record a stand-in writes for argv_of(): every hostile value, NUL after each. */
static char *expected_argv(size_t *len)
{
    abuf b = {0};
    for (size_t i = 0; i < NHOSTILE; i++)
        abuf_append(&b, hostile[i], strlen(hostile[i]) + 1);
    *len = b.len;
    return abuf_take(&b);
}

static void assert_argv_arrived(const char *name)
{
    char rel[128];
    snprintf(rel, sizeof rel, "log/%s.argv", name);
    size_t got_len = 0, want_len = 0;
    char *got = t_read(rel, &got_len);
    cr_assert_not_null(got, "%s never ran", name);
    char *want = expected_argv(&want_len);
    cr_assert_eq(got_len, want_len, "%s: argv record of %zu bytes, expected %zu", name, got_len,
                 want_len);
    cr_assert(memcmp(got, want, want_len) == 0, "%s: argv differs", name);
    free(got);
    free(want);
}

static void assert_env_arrived(const char *name)
{
    char rel[128];
    snprintf(rel, sizeof rel, "log/%s.env", name);
    size_t len = 0;
    char *env = t_read(rel, &len);
    cr_assert_not_null(env, "%s never ran", name);
    char **want = env_of();
    for (size_t i = 0; want[i]; i++)
        cr_assert(t_nul_list_has(env, len, want[i]), "%s: AIFB_T%zu did not arrive intact", name,
                  i);
    argv_free(want);
    free(env);
}

/* Every #SBATCH line is a known option with a value from the safe set, and the script is one
 * command per line: no carriage return or other control character anywhere. */
static void assert_script_shape(const char *script)
{
    regex_t re;
    cr_assert_eq(regcomp(&re, "^#SBATCH --[a-z-]+=[A-Za-z0-9._+,:@/-]+$", REG_EXTENDED), 0);
    const char *line = script;
    while (*line) {
        const char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) : strlen(line);
        char buf[4096];
        snprintf(buf, sizeof buf, "%.*s", (int)(n < sizeof buf ? n : sizeof buf - 1), line);
        if (!strncmp(buf, "#SBATCH", 7))
            cr_assert_eq(regexec(&re, buf, 0, NULL, 0), 0, "unsafe directive line: %s", buf);
        line += n + (nl ? 1 : 0);
    }
    regfree(&re);
    for (const unsigned char *c = (const unsigned char *)script; *c; c++)
        cr_assert(*c == '\n' || (*c >= 0x20 && *c != 0x7f), "control byte 0x%02x in the script",
                  *c);
}

/* A folder name without '/' that would create the marker (through $AIFB_MARK, which the
 * script's environment holds) if it were ever evaluated. */
static char *hostile_folder(const char *prefix)
{
    static char buf[1024];
    snprintf(buf, sizeof buf,
             "%s/%s $(touch \"$AIFB_MARK\") `touch $AIFB_MARK`; ' \" \\ \n \xc3\xa9 & |", t_dir,
             prefix);
    return buf;
}

Test(slurm_inert, every_hostile_value_reaches_the_service_jobs_programs_byte_for_byte)
{
    /* The service program lives only in a search folder whose name is hostile too. */
    char search_dir[1024], search_glob[1100], workdir[1024];
    snprintf(search_dir, sizeof search_dir, "%s", hostile_folder("search"));
    cr_assert_eq(mkdir(search_dir, 0755), 0);
    /* The setup program lives only in a folder found by a glob. */
    char globbed[1024];
    snprintf(globbed, sizeof globbed, "%s", hostile_folder("globbed"));
    cr_assert_eq(mkdir(globbed, 0755), 0);
    snprintf(search_glob, sizeof search_glob, "%s/glob*", t_dir);
    snprintf(workdir, sizeof workdir, "%s", hostile_folder("work"));
    t_standin_in(search_dir + strlen(t_dir) + 1, "svc", "sleep 1");
    t_standin_in(globbed + strlen(t_dir) + 1, "setup1", NULL);
    t_standin("probe", NULL);
    t_standin("agent", "trap 'echo stopped > \"$log.stopped\"; kill $! 2>/dev/null; exit 0' TERM\n"
                       "sleep 30 &\nwait");

    char **svc = argv_of("svc"), **setup = argv_of("setup1"), **probe = argv_of("probe"),
         **agent = argv_of("agent"), **env = env_of();
    exec_cmd setups[] = {{setup, env}};
    exec_agent agents[] = {{.name = "logship", .cmd = {agent, env}}};
    const char *search[] = {"/nonexistent/*", search_dir, search_glob, NULL};
    char host[700];
    snprintf(host, sizeof host, "h$(touch %s)'\"`x`;|& \n\xc3\xa9", t_marker);
    exec_plan p = {.id = T_ID,
                   .dir = t_rundir,
                   .has_service = true,
                   .service = {.setup = setups,
                               .nsetup = 1,
                               .main = {svc, env},
                               .search = search,
                               .workdir = workdir,
                               .agents = agents,
                               .nagents = 1},
                   .probe = {.kind = EXEC_PROBE_CMD,
                             .host = host,
                             .port = 4321,
                             .cmd = {probe, env},
                             .timeout_ms = 10000}};
    char image[700];
    snprintf(image, sizeof image, "img $(touch %s) `touch %s` ' \" ; | & \n \xc3\xa9.sif", t_marker,
             t_marker);
    const char *modules[] = {hostile[NHOSTILE - 1], "'", "\n", NULL};
    slurm_opts o = t_opts();
    o.image = image;
    o.gpus = 1;
    o.modules = modules;

    char *script = NULL;
    aifb_err err = {0};
    cr_assert_eq(slurm_script_service(&p, &o, &script, &err), AIFB_OK, "%s", err.msg);
    assert_script_shape(script);
    cr_assert(t_syntax_ok(script), "bash -n refused the script");
    int status = t_run(script);
    char *errs = t_read("log/script.err", NULL);
    cr_assert_eq(status, 0, "the service job exited %d: %s", status, errs);
    free(errs);

    assert_argv_arrived("setup1");
    assert_argv_arrived("svc");
    assert_argv_arrived("probe");
    assert_argv_arrived("agent");
    assert_env_arrived("setup1");
    assert_env_arrived("svc");
    assert_env_arrived("probe");
    assert_env_arrived("agent");
    char *pwd = t_read("log/svc.pwd", NULL);
    cr_assert_str_eq(pwd, workdir);
    free(pwd);
    cr_assert(t_await_file("log/agent.stopped"), "the agent was not stopped after the service");

    size_t len = 0;
    char *images = t_read("log/apptainer.images", &len);
    cr_assert_not_null(images);
    size_t calls = 0;
    for (size_t i = 0; i < len; i += strlen(images + i) + 1, calls++)
        cr_assert_str_eq(images + i, image);
    cr_assert_eq(calls, 3, "setup, probe and service run in the image (%zu calls)", calls);
    free(images);
    char *nv = t_read("log/apptainer.nv", NULL);
    cr_assert_str_eq(nv, "yes\nyes\nyes\n");
    free(nv);

    char *mods = t_read("log/module.argv", &len);
    abuf want = {0};
    for (int i = 0; modules[i]; i++) {
        abuf_append(&want, "load", 5);
        abuf_append(&want, modules[i], strlen(modules[i]) + 1);
    }
    cr_assert_eq(len, want.len);
    cr_assert(memcmp(mods, want.p, len) == 0, "module names differ");
    abuf_free(&want);
    free(mods);

    char *endpoint = t_read("base/runs/" T_ID "/service.endpoint", NULL);
    char want_ep[800];
    snprintf(want_ep, sizeof want_ep, "%s:4321\n", host);
    cr_assert_str_eq(endpoint, want_ep);
    free(endpoint);
    cr_assert(!t_exists(t_marker), "an injection ran");
    free(script);
    argv_free(svc);
    argv_free(setup);
    argv_free(probe);
    argv_free(agent);
    argv_free(env);
}

static void write_endpoint(const char *content)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/service.endpoint", t_rundir);
    t_write(path, content, strlen(content), 0644);
}

Test(slurm_inert, a_hostile_endpoint_and_host_placeholders_reach_the_client_byte_for_byte)
{
    char host[700], endpoint[800];
    snprintf(host, sizeof host, "h $(touch %s) `touch %s` ' \" ;|&* \xc3\xa9", t_marker, t_marker);
    snprintf(endpoint, sizeof endpoint, "%s:4321", host);
    char line[820];
    snprintf(line, sizeof line, "%s\n", endpoint);
    write_endpoint(line);
    t_standin("client", "exit 7");
    t_standin("setup1", NULL);

    char **client = argv_of("client"), **setup = argv_of("setup1"), **env = env_of();
    /* One more argument and variable with the host placeholder inside hostile text. */
    size_t n = NHOSTILE + 1;
    client = realloc(client, (n + 2) * sizeof *client);
    client[n] = strdup("'$(x)" SLURM_HOST_TOKEN "`y`" SLURM_HOST_TOKEN);
    client[n + 1] = NULL;
    env = realloc(env, (NHOSTILE + 2) * sizeof *env);
    env[NHOSTILE] = strdup("AIFB_HOSTED=" SLURM_HOST_TOKEN ":\n$(z)");
    env[NHOSTILE + 1] = NULL;
    exec_cmd setups[] = {{setup, env}};
    exec_plan p = {.id = T_ID,
                   .has_service = true,
                   .has_client = true,
                   .client = {.setup = setups, .nsetup = 1, .main = {client, env}},
                   .endpoint = SLURM_HOST_TOKEN ":4321"};
    slurm_opts o = t_opts();
    o.endpoint_timeout_s = 5;
    char *script = NULL;
    aifb_err err = {0};
    cr_assert_eq(slurm_script_client(&p, &o, &script, &err), AIFB_OK, "%s", err.msg);
    assert_script_shape(script);
    cr_assert(t_syntax_ok(script));
    int status = t_run(script);
    cr_assert_eq(status, 7, "the job's status is the client's (got %d)", status);

    size_t len = 0;
    char *got = t_read("log/client.argv", &len);
    size_t want_len = 0;
    char *want = expected_argv(&want_len);
    cr_assert(len > want_len && memcmp(got, want, want_len) == 0, "client argv differs");
    char last[2000];
    snprintf(last, sizeof last, "'$(x)%s`y`%s", host, host);
    cr_assert_str_eq(got + want_len, last);
    free(got);
    free(want);
    assert_argv_arrived("setup1");
    assert_env_arrived("client");

    char *envs = t_read("log/client.env", &len);
    char entry[2000];
    snprintf(entry, sizeof entry, "AIFB_ENDPOINT=%s", endpoint);
    cr_assert(t_nul_list_has(envs, len, entry), "AIFB_ENDPOINT did not arrive intact");
    snprintf(entry, sizeof entry, "AIFB_ENDPOINT_HOST=%s", host);
    cr_assert(t_nul_list_has(envs, len, entry), "AIFB_ENDPOINT_HOST did not arrive intact");
    cr_assert(t_nul_list_has(envs, len, "AIFB_ENDPOINT_PORT=4321"));
    snprintf(entry, sizeof entry, "AIFB_HOSTED=%s:\n$(z)", host);
    cr_assert(t_nul_list_has(envs, len, entry), "the placeholder in a value was not replaced");
    free(envs);
    cr_assert(!t_exists(t_marker), "an injection ran");
    free(script);
    argv_free(client);
    argv_free(setup);
    argv_free(env);
}

Test(slurm_inert, a_hostile_endpoint_of_an_existing_service_is_exported_as_it_is)
{
    char endpoint[700];
    snprintf(endpoint, sizeof endpoint, "e $(touch %s)\n`touch %s`:99", t_marker, t_marker);
    t_standin("client", NULL);
    char *argv[] = {"client", NULL};
    exec_plan p = {
        .id = T_ID, .has_client = true, .client = {.main = {argv, NULL}}, .endpoint = endpoint};
    slurm_opts o = t_opts();
    char *script = NULL;
    cr_assert_eq(slurm_script_client(&p, &o, &script, NULL), AIFB_OK);
    cr_assert(t_syntax_ok(script));
    cr_assert_eq(t_run(script), 0);
    size_t len = 0;
    char *envs = t_read("log/client.env", &len);
    char entry[800];
    snprintf(entry, sizeof entry, "AIFB_ENDPOINT=%s", endpoint);
    cr_assert(t_nul_list_has(envs, len, entry));
    cr_assert(t_nul_list_has(envs, len, "AIFB_ENDPOINT_PORT=99"));
    free(envs);
    cr_assert(!t_exists(t_marker), "an injection ran");
    free(script);
}

/* Runs a service whose probe can never pass (within 1 s) and checks nothing was injected. */
static void run_failing_probe(exec_probe probe)
{
    char *argv[] = {"sleep", "30", NULL};
    exec_plan p = {
        .id = T_ID, .has_service = true, .service = {.main = {argv, NULL}}, .probe = probe};
    slurm_opts o = t_opts();
    char *script = NULL;
    aifb_err err = {0};
    cr_assert_eq(slurm_script_service(&p, &o, &script, &err), AIFB_OK, "%s", err.msg);
    assert_script_shape(script);
    cr_assert(t_syntax_ok(script));
    cr_assert_eq(t_run(script), 3);
    cr_assert(!t_exists(t_marker), "an injection ran");
    free(script);
}

Test(slurm_inert, a_hostile_http_probe_path_and_tcp_probe_host_are_only_data)
{
    char path[700];
    snprintf(path, sizeof path, "/$(touch %s)`touch %s`[a]{b,c}\n'\" ;|&", t_marker, t_marker);
    run_failing_probe((exec_probe){.kind = EXEC_PROBE_HTTP,
                                   .host = "127.0.0.1",
                                   .port = t_free_port(),
                                   .path = path,
                                   .timeout_ms = 1000});
    char host[700];
    snprintf(host, sizeof host, "$(touch %s)/`touch %s`;|& '\"", t_marker, t_marker);
    run_failing_probe((exec_probe){
        .kind = EXEC_PROBE_TCP, .host = host, .port = t_free_port(), .timeout_ms = 1000});
}

Test(slurm_inert, a_program_name_with_a_command_substitution_is_not_found_rather_than_run)
{
    char name[600];
    snprintf(name, sizeof name, "$(touch %s)", t_marker);
    char *argv[] = {name, NULL};
    exec_plan p = {.id = T_ID,
                   .has_client = true,
                   .client = {.main = {argv, NULL}},
                   .endpoint = "127.0.0.1:1"};
    slurm_opts o = t_opts();
    char *script = NULL;
    cr_assert_eq(slurm_script_client(&p, &o, &script, NULL), AIFB_OK);
    cr_assert_eq(t_run(script), 127);
    cr_assert(!t_exists(t_marker), "an injection ran");
    free(script);
}
