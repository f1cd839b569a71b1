/* fuzz_request.c: libFuzzer target for the API's request messages.
 *
 * The input is a request body as it arrives on the wire. It is unpacked as every request type
 * of aifb.v1.ControlPlane (taken from the service descriptor, so a new method is fuzzed without
 * a change here), as the server does before any handler runs. StartRun and StartService
 * requests then have their parameters resolved against the shipped redis recipe and, when they
 * pass, expanded into the client's command: the path a caller's values take towards an argv. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aifb/v1/controlplane.pb-c.h"
#include "recipe/recipe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static recipe *redis_recipe(void)
{
    static recipe *r;
    if (!r) {
        aifb_err err = {0};
        if (recipe_load_file(AIFB_SOURCE_DIR "/recipes/redis.yaml", &r, &err)) {
            fprintf(stderr, "%s\n", err.msg);
            abort();
        }
    }
    return r;
}

/* given[] borrows the request's strings. */
static void resolve_and_expand(const kv *given, size_t n)
{
    const recipe *r = redis_recipe();
    kv *params;
    size_t np;
    aifb_err err = {0};
    if (recipe_resolve_params(r, given, n, &params, &np, &err))
        return;
    char **argv;
    const recipe_cmd *cmd = &r->client.role.command;
    /* The builtins are left out: the refusal naming the first one is part of what runs here. */
    if (!recipe_expand_argv((const char *const *)cmd->argv, cmd->argc, params, np, &argv, &err))
        recipe_strv_free(argv);
    kv_array_free(params, np);
}

static void fuzz_start_run(const Aifb__V1__StartRunRequest *req)
{
    kv *given = calloc(req->n_params + 1, sizeof *given);
    for (size_t i = 0; i < req->n_params; i++) {
        given[i].name = req->params[i]->key;
        given[i].value = req->params[i]->value;
    }
    resolve_and_expand(given, req->n_params);
    free(given);
}

static void fuzz_start_service(const Aifb__V1__StartServiceRequest *req)
{
    kv *given = calloc(req->n_params + 1, sizeof *given);
    for (size_t i = 0; i < req->n_params; i++) {
        given[i].name = req->params[i]->key;
        given[i].value = req->params[i]->value;
    }
    resolve_and_expand(given, req->n_params);
    free(given);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const ProtobufCServiceDescriptor *svc = &aifb__v1__control_plane__descriptor;
    for (unsigned i = 0; i < svc->n_methods; i++) {
        const ProtobufCMessageDescriptor *desc = svc->methods[i].input;
        ProtobufCMessage *msg = protobuf_c_message_unpack(desc, NULL, size, data);
        if (!msg)
            continue;
        if (desc == &aifb__v1__start_run_request__descriptor)
            fuzz_start_run((const Aifb__V1__StartRunRequest *)msg);
        else if (desc == &aifb__v1__start_service_request__descriptor)
            fuzz_start_service((const Aifb__V1__StartServiceRequest *)msg);
        protobuf_c_message_free_unpacked(msg, NULL);
    }
    return 0;
}
