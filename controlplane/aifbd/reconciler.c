/* reconciler.c: the thread that keeps the store in step with reality.
 *
 * Every tick it lists the unfinished runs and services and advances each from what the executor
 * reports. Ticks are short (one poll per unfinished item, no waiting), so a hundred active runs
 * cost little; the executor does its own probing without blocking. At start-up, before the API
 * opens, every unfinished run and service is handed back to the executor (adopt) or ended with
 * the reason, so a restarted aifbd carries on where the last one stopped. */
#include <errno.h>
#include <time.h>

#include "aifbd/daemon.h"
#include "common/log.h"

static void reconcile_once(aifbd *d)
{
    aifb_err err;
    run_rec *runs = NULL;
    size_t n = 0;
    if (store_run_list_unfinished(d->db, &runs, &n, &err) == AIFB_OK) {
        for (size_t i = 0; i < n && !atomic_load(&d->stopping); i++)
            runs_advance(d, &runs[i]);
        run_rec_array_free(runs, n);
    } else {
        log_error("reconciler: %s", err.msg);
    }
    service_rec *svcs = NULL;
    if (store_service_list_unfinished(d->db, &svcs, &n, &err) == AIFB_OK) {
        for (size_t i = 0; i < n && !atomic_load(&d->stopping); i++)
            services_advance(d, &svcs[i]);
        service_rec_array_free(svcs, n);
    }
}

static void *reconciler_main(void *arg)
{
    aifbd *d = arg;
    struct timespec tick = {.tv_sec = d->cfg.tick_ms / 1000,
                            .tv_nsec = (long)(d->cfg.tick_ms % 1000) * 1000000L};
    while (!atomic_load(&d->stopping)) {
        reconcile_once(d);
        struct timespec left = tick;
        while (nanosleep(&left, &left) != 0 && errno == EINTR)
            ;
    }
    return NULL;
}

void reconciler_adopt_all(aifbd *d)
{
    aifb_err err;
    run_rec *runs = NULL;
    size_t n = 0;
    if (store_run_list_unfinished(d->db, &runs, &n, &err) == AIFB_OK) {
        for (size_t i = 0; i < n; i++)
            runs_adopt(d, &runs[i]);
        run_rec_array_free(runs, n);
    }
    service_rec *svcs = NULL;
    if (store_service_list_unfinished(d->db, &svcs, &n, &err) == AIFB_OK) {
        for (size_t i = 0; i < n; i++)
            services_adopt(d, &svcs[i]);
        service_rec_array_free(svcs, n);
    }
}

aifb_code reconciler_start(aifbd *d, aifb_err *err)
{
    int rc = pthread_create(&d->reconciler, NULL, reconciler_main, d);
    if (rc)
        return aifb_err_set(err, AIFB_EINTERNAL, "cannot start the reconciler thread: error %d",
                            rc);
    d->reconciler_started = true;
    return AIFB_OK;
}

void reconciler_stop(aifbd *d)
{
    atomic_store(&d->stopping, true);
    if (d->reconciler_started)
        pthread_join(d->reconciler, NULL);
    d->reconciler_started = false;
}
