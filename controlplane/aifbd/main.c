/* main.c: aifbd, the aifb control-plane daemon.
 *
 * Start-up: settings, logging, the state folder, the store (migrations), the recipes, the
 * executor, then the runs and services left unfinished by a previous aifbd are taken back, the
 * reconciler starts and the gRPC API opens. Shutdown on SIGTERM, SIGINT or SIGHUP: the API closes
 * (streams end), the reconciler stops, the executor stops every process it started, and the runs
 * and services still going are recorded as CANCELLED / STOPPED with the reason. A kill -9 skips
 * all of that on purpose: the processes survive and the next aifbd adopts them. */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aifbd/api.h"
#include "aifbd/daemon.h"
#include "aifbd/executors.h"
#include "common/log.h"
#include "common/util.h"

extern const uint8_t aifb_descriptor_set[];
extern const size_t aifb_descriptor_set_len;

static void fail(const char *what, const aifb_err *err)
{
    fprintf(stderr, "aifbd: %s: %s\n", what, err->msg);
}

static aifb_code open_state(aifbd *d, aifb_err *err)
{
    char path[PATH_MAX];
    if (aifb_mkdirs(d->cfg.state_dir, 0755, err))
        return err->code;
    snprintf(path, sizeof path, "%s/runs", d->cfg.state_dir);
    if (aifb_mkdirs(path, 0755, err))
        return err->code;
    snprintf(path, sizeof path, "%s/services", d->cfg.state_dir);
    if (aifb_mkdirs(path, 0755, err))
        return err->code;
    snprintf(path, sizeof path, "%s/aifb.db", d->cfg.state_dir);
    return store_open(path, &d->db, err);
}

static aifb_code load_recipes(aifbd *d, aifb_err *err)
{
    if (recipe_catalog_load(d->cfg.recipes_dir, &d->recipes, err)) {
        aifb_err_prefix(err, "recipes in %s", d->cfg.recipes_dir);
        return err->code;
    }
    for (size_t i = 0; i < recipe_catalog_warning_count(d->recipes); i++)
        log_error("recipe skipped: %s", recipe_catalog_warning(d->recipes, i));
    log_info("%zu recipes loaded from %s", recipe_catalog_count(d->recipes), d->cfg.recipes_dir);
    return AIFB_OK;
}

static aifb_code open_api(aifbd *d, aifb_err *err)
{
    rpc_server_config rc = {
        .listen = d->cfg.listen, .workers = d->cfg.workers, .bearer_token = d->cfg.token, .app = d};
    if (rpc_server_new(&rc, &d->rpc, err))
        return err->code;
    api_register(d, d->rpc);
    if (rpc_reflection_register(d->rpc, aifb_descriptor_set, aifb_descriptor_set_len, err))
        return err->code;
    return rpc_server_start(d->rpc, err);
}

int main(int argc, char **argv)
{
    static aifbd d;
    aifb_err err = {0};
    bool exit_now = false;
    if (config_load(&d.cfg, argc, argv, &exit_now, &err) != AIFB_OK ||
        (!exit_now && config_validate(&d.cfg, &err) != AIFB_OK)) {
        fail("configuration", &err);
        config_free(&d.cfg);
        return 2;
    }
    if (exit_now) {
        config_free(&d.cfg);
        return 0;
    }
    aifb_log_init(d.cfg.log_level, d.cfg.log_json);
    signal(SIGPIPE, SIG_IGN);
    rpc_init();

    pthread_mutex_init(&d.life_mu, NULL);
    d.started_at_ms = aifb_now_ms();
    d.started_mono_ms = aifb_mono_ms();
    char desc[2048];
    config_describe(&d.cfg, desc, sizeof desc);
    log_info("aifbd %s starting: %s", AIFB_VERSION, desc);

    int status = 1;
    if (open_state(&d, &err)) {
        fail("state", &err);
        goto out;
    }
    if (load_recipes(&d, &err)) {
        fail("recipes", &err);
        goto out;
    }
    if (aifbd_executor_new(&d.cfg, &d.exec, &err)) {
        fail("executor", &err);
        goto out;
    }
    reconciler_adopt_all(&d);
    if (reconciler_start(&d, &err)) {
        fail("reconciler", &err);
        goto out;
    }
    if (open_api(&d, &err)) {
        fail("listen", &err);
        goto out;
    }
    log_info("aifbd ready on %s (pid %d)", d.cfg.listen, (int)getpid());

    int sig = rpc_wait_signal();
    log_info("aifbd stopping (signal %d): closing the API, stopping every process it started", sig);
    status = 0;

out:
    if (d.rpc)
        rpc_server_stop(d.rpc, 2000);
    reconciler_stop(&d);
    if (d.exec)
        d.exec->ops->shutdown(d.exec);
    if (d.db) {
        runs_end_all(&d, "aifbd was stopped");
        services_end_all(&d, "aifbd was stopped");
    }
    if (d.rpc)
        rpc_server_free(d.rpc);
    if (d.exec)
        d.exec->ops->free(d.exec);
    if (d.recipes)
        recipe_catalog_free(d.recipes);
    if (d.db)
        store_close(d.db);
    rpc_shutdown();
    config_free(&d.cfg);
    pthread_mutex_destroy(&d.life_mu);
    if (status == 0)
        log_info("aifbd stopped");
    return status;
}
