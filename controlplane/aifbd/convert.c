/* convert.c: see convert.h. */
#include "aifbd/convert.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"

static char *dup0(const char *s)
{
    return xstrdup(s ? s : "");
}

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

Aifb__V1__RecipeSummary *convert_recipe_summary(const recipe *r)
{
    Aifb__V1__RecipeSummary *m = xmalloc(sizeof *m);
    aifb__v1__recipe_summary__init(m);
    m->name = dup0(r->name);
    m->description = dup0(r->description);
    m->kind = dup0(recipe_kind_name(r->kind));
    m->has_service = r->service.role.present;
    m->has_client = r->client.role.present;
    return m;
}

static Aifb__V1__ParamSpec *convert_param(const recipe_param *p)
{
    Aifb__V1__ParamSpec *m = xmalloc(sizeof *m);
    aifb__v1__param_spec__init(m);
    m->name = dup0(p->name);
    m->type = (Aifb__V1__ParamType)p->type;
    m->default_value = dup0(p->default_value);
    m->required = p->default_value == NULL;
    m->has_min = p->has_min;
    m->min = p->min;
    m->has_max = p->has_max;
    m->max = p->max;
    if (p->nchoices) {
        m->choices = xcalloc(p->nchoices, sizeof *m->choices);
        for (size_t i = 0; i < p->nchoices; i++)
            m->choices[i] = dup0(p->choices[i]);
        m->n_choices = p->nchoices;
    }
    m->description = dup0(p->description);
    m->unit = dup0(p->unit);
    return m;
}

static char **argv_copy(const recipe_cmd *c, size_t *n)
{
    *n = c->argc;
    if (!c->argc)
        return NULL;
    char **v = xcalloc(c->argc, sizeof *v);
    for (size_t i = 0; i < c->argc; i++)
        v[i] = dup0(c->argv[i]);
    return v;
}

/* A role's `slurm:` section as written, or NULL when it has none. */
static Aifb__V1__RoleSlurm *convert_role_slurm(const recipe_slurm *s)
{
    const char *v[] = {s->image,         s->gpus,      s->nodes,          s->tasks,
                       s->cpus_per_task, s->memory_mb, s->time_limit_min, s->partition};
    bool any = false;
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        any = any || v[i];
    if (!any)
        return NULL;
    Aifb__V1__RoleSlurm *m = xmalloc(sizeof *m);
    aifb__v1__role_slurm__init(m);
    m->image = dup0(s->image);
    m->gpus = dup0(s->gpus);
    m->nodes = dup0(s->nodes);
    m->tasks = dup0(s->tasks);
    m->cpus_per_task = dup0(s->cpus_per_task);
    m->memory_mb = dup0(s->memory_mb);
    m->time_limit_min = dup0(s->time_limit_min);
    m->partition = dup0(s->partition);
    return m;
}

Aifb__V1__Recipe *convert_recipe(const recipe *r)
{
    Aifb__V1__Recipe *m = xmalloc(sizeof *m);
    aifb__v1__recipe__init(m);
    m->summary = convert_recipe_summary(r);
    if (r->nparams) {
        m->params = xcalloc(r->nparams, sizeof *m->params);
        for (size_t i = 0; i < r->nparams; i++)
            m->params[i] = convert_param(&r->params[i]);
        m->n_params = r->nparams;
    }
    m->source_path = dup0(r->source_path);
    if (r->service.role.present)
        m->service_command = argv_copy(&r->service.role.command, &m->n_service_command);
    if (r->client.role.present)
        m->client_command = argv_copy(&r->client.role.command, &m->n_client_command);
    if (r->service.role.present)
        m->service_slurm = convert_role_slurm(&r->service.role.slurm);
    if (r->client.role.present)
        m->client_slurm = convert_role_slurm(&r->client.role.slurm);
    const recipe_probe *p = &r->service.probe;
    if (!r->service.role.present || p->type == RECIPE_PROBE_NONE) {
        m->readiness = xstrdup("none");
    } else if (p->type == RECIPE_PROBE_HTTP) {
        abuf b = {0};
        abuf_printf(&b, "http:%s", p->path ? p->path : "/");
        m->readiness = abuf_take(&b);
    } else {
        m->readiness = xstrdup(recipe_probe_type_name(p->type));
    }
    return m;
}
