/* convert.h: store records and recipes to aifb.v1 messages.
 *
 * Every message returned is built on the heap (strings, arrays, sub-messages) so the RPC module
 * can free it with protobuf_c_message_free_unpacked(msg, NULL) once sent. */
#ifndef AIFBD_CONVERT_H
#define AIFBD_CONVERT_H

#include "aifb/v1/controlplane.pb-c.h"
#include "recipe/recipe.h"
#include "store/store.h"

Aifb__V1__Run *convert_run(const run_rec *r);
Aifb__V1__Service *convert_service(const service_rec *s);
Aifb__V1__Event *convert_event(const event_rec *e);
Aifb__V1__RecipeSummary *convert_recipe_summary(const recipe *r);
Aifb__V1__Recipe *convert_recipe(const recipe *r);

/* The request's params map as kv pairs (strings borrowed from the request: do not free them,
 * only the array). */
kv *convert_params_in(Aifb__V1__StartRunRequest__ParamsEntry **entries, size_t n);

#endif
