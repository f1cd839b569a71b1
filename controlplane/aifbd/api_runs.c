/* api_runs.c: StartRun, StopRun, GetRun, ListRuns. The lifecycle itself is in runs.c; these
 * translate requests and replies. */
#include <stdlib.h>
#include <string.h>

#include "aifbd/api.h"
#include "aifbd/convert.h"
#include "common/util.h"

static aifb_code reply_run(run_rec *r, ProtobufCMessage **reply)
{
    *reply = &convert_run(r)->base;
    run_rec_free(r);
    return AIFB_OK;
}

API_HANDLER(api_start_run)
{
    const Aifb__V1__StartRunRequest *in = (const void *)req;
    kv *params = convert_params_in(in->params, in->n_params);
    run_rec r;
    aifb_code rc =
        runs_start(api_daemon(ctx), in->recipe, params, in->n_params, in->service_id, &r, err);
    free(params);
    return rc ? rc : reply_run(&r, reply);
}

/* Run ids go into paths and SQL parameters: only the shape aifbd makes is accepted. */
static aifb_code check_run_id(const char *id, aifb_err *err)
{
    if (!aifb_id_valid(id, 'r'))
        return aifb_err_set(err, AIFB_EINVAL, "'%.40s' is not a run id (r- and 12 hex digits)",
                            id ? id : "");
    return AIFB_OK;
}

API_HANDLER(api_stop_run)
{
    const Aifb__V1__StopRunRequest *in = (const void *)req;
    if (check_run_id(in->id, err))
        return err->code;
    run_rec r;
    aifb_code rc = runs_stop(api_daemon(ctx), in->id, in->reason, &r, err);
    return rc ? rc : reply_run(&r, reply);
}

API_HANDLER(api_get_run)
{
    const Aifb__V1__GetRunRequest *in = (const void *)req;
    if (check_run_id(in->id, err))
        return err->code;
    run_rec r;
    aifb_code rc = store_run_get(api_daemon(ctx)->db, in->id, &r, err);
    return rc ? rc : reply_run(&r, reply);
}

API_HANDLER(api_list_runs)
{
    const Aifb__V1__ListRunsRequest *in = (const void *)req;
    run_state states[16];
    if (in->n_states > sizeof states / sizeof states[0])
        return aifb_err_set(err, AIFB_EINVAL, "states: at most 16 values");
    for (size_t i = 0; i < in->n_states; i++) {
        if (in->states[i] < AIFB__V1__RUN_STATE__RUN_STATE_PENDING ||
            in->states[i] > AIFB__V1__RUN_STATE__RUN_STATE_CANCELLED)
            return aifb_err_set(err, AIFB_EINVAL, "states: %d is not a run state",
                                (int)in->states[i]);
        states[i] = (run_state)in->states[i];
    }
    if (in->page_size < 0 || in->page_size > 1000)
        return aifb_err_set(err, AIFB_EINVAL, "page_size: %d is not in 0..1000", in->page_size);
    run_filter f = {.states = states,
                    .nstates = in->n_states,
                    .recipe = in->recipe,
                    .page_size = in->page_size,
                    .page_token = in->page_token};
    run_rec *runs = NULL;
    size_t n = 0;
    char *next = NULL;
    aifb_code rc = store_run_list(api_daemon(ctx)->db, &f, &runs, &n, &next, err);
    if (rc)
        return rc;
    Aifb__V1__ListRunsResponse *m = xmalloc(sizeof *m);
    aifb__v1__list_runs_response__init(m);
    m->runs = n ? xcalloc(n, sizeof *m->runs) : NULL;
    for (size_t i = 0; i < n; i++)
        m->runs[i] = convert_run(&runs[i]);
    m->n_runs = n;
    m->next_page_token = next ? next : xstrdup("");
    run_rec_array_free(runs, n);
    *reply = &m->base;
    return AIFB_OK;
}
