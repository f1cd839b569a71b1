/* api.c: the ControlPlane method table. */
#include "aifbd/api.h"

#define CP "/aifb.v1.ControlPlane/"
#define UNARY(m, fn, in, out)                                                                      \
    {                                                                                              \
        .path = CP m, .kind = RPC_UNARY, .request = &in, .response = &out, .unary = fn             \
    }

static const rpc_method control_plane[] = {
    UNARY("GetInfo", api_get_info, aifb__v1__get_info_request__descriptor,
          aifb__v1__info__descriptor),
    UNARY("ListRecipes", api_list_recipes, aifb__v1__list_recipes_request__descriptor,
          aifb__v1__list_recipes_response__descriptor),
    UNARY("GetRecipe", api_get_recipe, aifb__v1__get_recipe_request__descriptor,
          aifb__v1__recipe__descriptor),
    UNARY("StartRun", api_start_run, aifb__v1__start_run_request__descriptor,
          aifb__v1__run__descriptor),
    UNARY("StopRun", api_stop_run, aifb__v1__stop_run_request__descriptor,
          aifb__v1__run__descriptor),
    UNARY("GetRun", api_get_run, aifb__v1__get_run_request__descriptor, aifb__v1__run__descriptor),
    UNARY("ListRuns", api_list_runs, aifb__v1__list_runs_request__descriptor,
          aifb__v1__list_runs_response__descriptor),
    UNARY("StartService", api_start_service, aifb__v1__start_service_request__descriptor,
          aifb__v1__service__descriptor),
    UNARY("StopService", api_stop_service, aifb__v1__stop_service_request__descriptor,
          aifb__v1__service__descriptor),
    UNARY("GetService", api_get_service, aifb__v1__get_service_request__descriptor,
          aifb__v1__service__descriptor),
    UNARY("ListServices", api_list_services, aifb__v1__list_services_request__descriptor,
          aifb__v1__list_services_response__descriptor),
    {.path = CP "Watch",
     .kind = RPC_SERVER_STREAM,
     .request = &aifb__v1__watch_request__descriptor,
     .response = &aifb__v1__event__descriptor,
     .stream = &api_watch_ops},
    {.path = CP "ReadLogs",
     .kind = RPC_SERVER_STREAM,
     .request = &aifb__v1__read_logs_request__descriptor,
     .response = &aifb__v1__log_chunk__descriptor,
     .stream = &api_read_logs_ops},
};

void api_register(aifbd *d, rpc_server *s)
{
    (void)d;
    rpc_server_add(s, control_plane, sizeof control_plane / sizeof control_plane[0]);
    rpc_health_register(s);
    rpc_health_set(s, "aifb.v1.ControlPlane", 1);
}
