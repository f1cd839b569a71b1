/* convert.c: see convert.h. */
#include "aifbd/convert.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"

static char *dup0(const char *s) { return xstrdup(s ? s : ""); }

static Aifb__V1__Param **params_out(const kv *p, size_t n)
{
    if (!n)
        return NULL;
    Aifb__V1__Param **out = xcalloc(n, sizeof *out);
    for (size_t i = 0; i < n; i++) {
        out[i] = xmalloc(sizeof **out);
        aifb__v1__param__init(out[i]);
        out[i]->name = dup0(p[i].name);
        out[i]->value = dup0(p[i].value);
    }
    return out;
}

static char **handles_out(const char *handles, size_t *n)
{
    *n = 0;
    if (!handles || !*handles)
        return NULL;
    char **out = xcalloc(1, sizeof *out);
    out[0] = xstrdup(handles);
    *n = 1;
    return out;
}

Aifb__V1__Run *convert_run(const run_rec *r)
{
    Aifb__V1__Run *m = xmalloc(sizeof *m);
    aifb__v1__run__init(m);
    m->id = dup0(r->id);
    m->recipe = dup0(r->recipe);
    m->state = (Aifb__V1__RunState)r->state;
    m->n_params = r->nparams;
    m->params = params_out(r->params, r->nparams);
    m->service_id = dup0(r->service_id);
    m->reason = dup0(r->reason);
    m->created_at_ms = r->created_at_ms;
    m->updated_at_ms = r->updated_at_ms;
    m->ended_at_ms = r->ended_at_ms;
    m->executor = dup0(r->executor);
    m->run_dir = dup0(r->run_dir);
    if (r->nsummary) {
        m->summary = xcalloc(r->nsummary, sizeof *m->summary);
        m->n_summary = r->nsummary;
        for (size_t i = 0; i < r->nsummary; i++) {
            Aifb__V1__Metric *x = xmalloc(sizeof *x);
            aifb__v1__metric__init(x);
            x->name = dup0(r->summary[i].name);
            x->value = r->summary[i].value;
            x->unit = dup0(r->summary[i].unit);
            m->summary[i] = x;
        }
    }
    m->exit_code = r->exit_code;
    m->result_path = dup0(r->result_path);
    m->handles = handles_out(r->handles, &m->n_handles);
    m->endpoint = dup0(r->endpoint);
    return m;
}

Aifb__V1__Service *convert_service(const service_rec *s)
{
    Aifb__V1__Service *m = xmalloc(sizeof *m);
    aifb__v1__service__init(m);
    m->id = dup0(s->id);
    m->recipe = dup0(s->recipe);
    m->state = (Aifb__V1__ServiceState)s->state;
    m->n_params = s->nparams;
    m->params = params_out(s->params, s->nparams);
    m->endpoint = dup0(s->endpoint);
    m->reason = dup0(s->reason);
    m->created_at_ms = s->created_at_ms;
    m->updated_at_ms = s->updated_at_ms;
    m->ended_at_ms = s->ended_at_ms;
    m->executor = dup0(s->executor);
    m->service_dir = dup0(s->service_dir);
    m->handles = handles_out(s->handles, &m->n_handles);
    return m;
}

Aifb__V1__Event *convert_event(const event_rec *e)
{
    Aifb__V1__Event *m = xmalloc(sizeof *m);
    aifb__v1__event__init(m);
    m->seq = e->seq;
    m->time_ms = e->time_ms;
    m->kind = (Aifb__V1__EventKind)e->kind;
    m->subject_id = dup0(e->subject_id);
    m->from_state = dup0(e->from_state);
    m->to_state = dup0(e->to_state);
    m->reason = dup0(e->reason);
    m->recipe = dup0(e->recipe);
    return m;
}

kv *convert_params_in(Aifb__V1__StartRunRequest__ParamsEntry **entries, size_t n)
{
    if (!n)
        return NULL;
    kv *p = xcalloc(n, sizeof *p);
    for (size_t i = 0; i < n; i++) {
        p[i].name = entries[i]->key;
        p[i].value = entries[i]->value;
    }
    return p;
}
