/* api_services.c: StartService, StopService, GetService, ListServices. */
#include <stdlib.h>

#include "aifbd/api.h"
#include "aifbd/convert.h"
#include "common/util.h"

static aifb_code reply_service(service_rec *s, ProtobufCMessage **reply)
{
    *reply = &convert_service(s)->base;
    service_rec_free(s);
    return AIFB_OK;
}

static aifb_code check_service_id(const char *id, aifb_err *err)
{
    if (!aifb_id_valid(id, 's'))
        return aifb_err_set(err, AIFB_EINVAL, "'%.40s' is not a service id (s- and 12 hex digits)",
                            id ? id : "");
    return AIFB_OK;
}

API_HANDLER(api_start_service)
{
    const Aifb__V1__StartServiceRequest *in = (const void *)req;
    /* The two map entry types have the same layout (string key, string value). */
    kv *params =
        convert_params_in((Aifb__V1__StartRunRequest__ParamsEntry **)in->params, in->n_params);
    service_rec s;
    aifb_code rc = services_start(api_daemon(ctx), in->recipe, params, in->n_params, &s, err);
    free(params);
    return rc ? rc : reply_service(&s, reply);
}

API_HANDLER(api_stop_service)
{
    const Aifb__V1__StopServiceRequest *in = (const void *)req;
    if (check_service_id(in->id, err))
        return err->code;
    service_rec s;
    aifb_code rc = services_stop(api_daemon(ctx), in->id, in->reason, &s, err);
    return rc ? rc : reply_service(&s, reply);
}

API_HANDLER(api_get_service)
{
    const Aifb__V1__GetServiceRequest *in = (const void *)req;
    if (check_service_id(in->id, err))
        return err->code;
    service_rec s;
    aifb_code rc = store_service_get(api_daemon(ctx)->db, in->id, &s, err);
    return rc ? rc : reply_service(&s, reply);
}

API_HANDLER(api_list_services)
{
    const Aifb__V1__ListServicesRequest *in = (const void *)req;
    service_rec *list = NULL;
    size_t n = 0;
    aifb_code rc = store_service_list(api_daemon(ctx)->db, in->include_ended, &list, &n, err);
    if (rc)
        return rc;
    Aifb__V1__ListServicesResponse *m = xmalloc(sizeof *m);
    aifb__v1__list_services_response__init(m);
    m->services = n ? xcalloc(n, sizeof *m->services) : NULL;
    for (size_t i = 0; i < n; i++)
        m->services[i] = convert_service(&list[i]);
    m->n_services = n;
    service_rec_array_free(list, n);
    *reply = &m->base;
    return AIFB_OK;
}
