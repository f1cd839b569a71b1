/* test_pbjson_roundtrip.c: what a script sees in `aifb -o json` output, and that reading that
 * JSON back gives the very same message (compared through the protobuf wire encoding, which
 * covers every field). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aifb/v1/controlplane.pb-c.h"
#include "pbjson/pbjson.h"

/* The wire encoding of m, for deep comparison. */
static uint8_t *packed(const ProtobufCMessage *m, size_t *len)
{
    *len = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(*len ? *len : 1);
    protobuf_c_message_pack(m, buf);
    return buf;
}

/* m -> JSON text -> parsed JSON -> message; asserts the result encodes exactly as m. */
static void assert_round_trip(const ProtobufCMessage *m)
{
    char *text = pbjson_format(m, 0);
    json_object *j = json_tokener_parse(text);
    cr_assert_not_null(j, "output is not JSON: %s", text);
    ProtobufCMessage *back = NULL;
    aifb_err err = {0};
    cr_assert_eq(pbjson_to_message(m->descriptor, j, &back, &err), AIFB_OK, "%s", err.msg);
    size_t la, lb;
    uint8_t *a = packed(m, &la), *b = packed(back, &lb);
    cr_assert_eq(la, lb, "sizes differ after a round trip of %s", text);
    cr_assert(memcmp(a, b, la) == 0, "content differs after a round trip of %s", text);
    free(a);
    free(b);
    free(text);
    json_object_put(j);
    protobuf_c_message_free_unpacked(back, NULL);
}

static json_object *field(json_object *obj, const char *name)
{
    json_object *v = NULL;
    cr_assert(json_object_object_get_ex(obj, name, &v), "field %s is missing", name);
    return v;
}

/* A run in the middle of its life, with parameters, a summary and handles. */
static void fill_run(Aifb__V1__Run *r, const char *id, Aifb__V1__Param **params, size_t n_params,
                     Aifb__V1__Metric **metrics, size_t n_metrics, char **handles)
{
    r->id = (char *)id;
    r->recipe = "redis";
    r->state = AIFB__V1__RUN_STATE__RUN_STATE_RUNNING;
    r->n_params = n_params;
    r->params = params;
    r->created_at_ms = 1764334956123;
    r->updated_at_ms = 1764334966123;
    r->executor = "local";
    r->run_dir = "/var/lib/aifb/runs/x";
    r->n_summary = n_metrics;
    r->summary = metrics;
    r->exit_code = -1;
    r->n_handles = 1;
    r->handles = handles;
    r->endpoint = "127.0.0.1:36712";
    r->reason = "client started";
}

Test(pbjson_roundtrip, a_run_prints_every_field_with_enum_names_and_numbers_and_reads_back)
{
    Aifb__V1__Param p1 = AIFB__V1__PARAM__INIT, p2 = AIFB__V1__PARAM__INIT;
    p1.name = "clients", p1.value = "4";
    p2.name = "command", p2.value = "a=b c";
    Aifb__V1__Metric m1 = AIFB__V1__METRIC__INIT, m2 = AIFB__V1__METRIC__INIT;
    m1.name = "set_rps", m1.value = 81234.5, m1.unit = "ops/s";
    m2.name = "p99_latency_ms", m2.value = 0.25, m2.unit = "ms";
    Aifb__V1__Param *params[] = {&p1, &p2};
    Aifb__V1__Metric *metrics[] = {&m1, &m2};
    char *handles[] = {"pgid:4242"};
    Aifb__V1__Run run = AIFB__V1__RUN__INIT;
    fill_run(&run, "r-3fa09c1d22be", params, 2, metrics, 2, handles);

    json_object *j = pbjson_from_message(&run.base);
    cr_assert_str_eq(json_object_get_string(field(j, "state")), "RUN_STATE_RUNNING");
    cr_assert(json_object_is_type(field(j, "created_at_ms"), json_type_int));
    cr_assert_eq(json_object_get_int64(field(j, "created_at_ms")), 1764334956123);
    cr_assert_eq(json_object_get_int(field(j, "exit_code")), -1);
    cr_assert_eq(json_object_get_int64(field(j, "ended_at_ms")), 0, "defaults are printed too");
    json_object *ps = field(j, "params");
    cr_assert_eq(json_object_array_length(ps), 2);
    cr_assert_str_eq(json_object_get_string(field(json_object_array_get_idx(ps, 1), "value")),
                     "a=b c");
    json_object *sum = json_object_array_get_idx(field(j, "summary"), 0);
    cr_assert_float_eq(json_object_get_double(field(sum, "value")), 81234.5, 1e-9);
    json_object_put(j);
    assert_round_trip(&run.base);
}

Test(pbjson_roundtrip, an_empty_run_still_has_every_field_at_its_default)
{
    Aifb__V1__Run run = AIFB__V1__RUN__INIT;
    json_object *j = pbjson_from_message(&run.base);
    cr_assert_eq(json_object_object_length(j), (int)aifb__v1__run__descriptor.n_fields);
    cr_assert_str_eq(json_object_get_string(field(j, "id")), "");
    cr_assert_str_eq(json_object_get_string(field(j, "state")), "RUN_STATE_UNSPECIFIED");
    cr_assert(json_object_is_type(field(j, "params"), json_type_array));
    cr_assert_eq(json_object_array_length(field(j, "handles")), 0);
    json_object_put(j);
    assert_round_trip(&run.base);
}

Test(pbjson_roundtrip, a_recipe_without_summary_shows_it_as_null)
{
    Aifb__V1__Recipe r = AIFB__V1__RECIPE__INIT;
    json_object *j = pbjson_from_message(&r.base);
    cr_assert(json_object_is_type(field(j, "summary"), json_type_null));
    json_object_put(j);
    assert_round_trip(&r.base);
}

Test(pbjson_roundtrip, a_list_of_runs_with_a_page_token_reads_back)
{
    Aifb__V1__Param p = AIFB__V1__PARAM__INIT;
    p.name = "requests", p.value = "100000";
    Aifb__V1__Metric m = AIFB__V1__METRIC__INIT;
    m.name = "get_rps", m.value = 1e6, m.unit = "ops/s";
    Aifb__V1__Param *params[] = {&p};
    Aifb__V1__Metric *metrics[] = {&m};
    char *handles[] = {"slurm:123"};
    Aifb__V1__Run a = AIFB__V1__RUN__INIT, b = AIFB__V1__RUN__INIT;
    fill_run(&a, "r-000000000001", params, 1, metrics, 1, handles);
    fill_run(&b, "r-000000000002", params, 1, metrics, 1, handles);
    b.state = AIFB__V1__RUN_STATE__RUN_STATE_FAILED;
    b.ended_at_ms = 1764334999999;
    Aifb__V1__Run *runs[] = {&a, &b};
    Aifb__V1__ListRunsResponse resp = AIFB__V1__LIST_RUNS_RESPONSE__INIT;
    resp.n_runs = 2;
    resp.runs = runs;
    resp.next_page_token = "r-000000000002";

    json_object *j = pbjson_from_message(&resp.base);
    json_object *second = json_object_array_get_idx(field(j, "runs"), 1);
    cr_assert_str_eq(json_object_get_string(field(second, "state")), "RUN_STATE_FAILED");
    cr_assert_str_eq(json_object_get_string(field(j, "next_page_token")), "r-000000000002");
    json_object_put(j);
    assert_round_trip(&resp.base);
}

Test(pbjson_roundtrip, start_run_params_are_a_json_object_keyed_by_parameter_name)
{
    Aifb__V1__StartRunRequest__ParamsEntry e1 = AIFB__V1__START_RUN_REQUEST__PARAMS_ENTRY__INIT,
                                           e2 = AIFB__V1__START_RUN_REQUEST__PARAMS_ENTRY__INIT;
    e1.key = "clients", e1.value = "8";
    e2.key = "extra", e2.value = "x=y=z";
    Aifb__V1__StartRunRequest__ParamsEntry *entries[] = {&e1, &e2};
    Aifb__V1__StartRunRequest req = AIFB__V1__START_RUN_REQUEST__INIT;
    req.recipe = "redis";
    req.n_params = 2;
    req.params = entries;

    json_object *j = pbjson_from_message(&req.base);
    json_object *params = field(j, "params");
    cr_assert(json_object_is_type(params, json_type_object));
    cr_assert_str_eq(json_object_get_string(field(params, "clients")), "8");
    cr_assert_str_eq(json_object_get_string(field(params, "extra")), "x=y=z");
    cr_assert_str_eq(json_object_get_string(field(j, "service_id")), "");
    json_object_put(j);
    assert_round_trip(&req.base);
}

Test(pbjson_roundtrip, a_map_written_by_hand_becomes_entries)
{
    json_object *j = json_tokener_parse(
        "{\"recipe\":\"redis\",\"params\":{\"clients\":\"2\",\"ratio\":\"1:10\"}}");
    ProtobufCMessage *m = NULL;
    aifb_err err = {0};
    cr_assert_eq(pbjson_to_message(&aifb__v1__start_run_request__descriptor, j, &m, &err), AIFB_OK,
                 "%s", err.msg);
    Aifb__V1__StartRunRequest *req = (Aifb__V1__StartRunRequest *)m;
    cr_assert_eq(req->n_params, 2);
    bool saw_ratio = false;
    for (size_t i = 0; i < req->n_params; i++)
        if (strcmp(req->params[i]->key, "ratio") == 0)
            saw_ratio = strcmp(req->params[i]->value, "1:10") == 0;
    cr_assert(saw_ratio);
    json_object_put(j);
    protobuf_c_message_free_unpacked(m, NULL);
}

Test(pbjson_roundtrip, an_event_with_the_largest_sequence_number_keeps_it_exactly)
{
    Aifb__V1__Event ev = AIFB__V1__EVENT__INIT;
    ev.seq = UINT64_MAX;
    ev.time_ms = 1764334956123;
    ev.kind = AIFB__V1__EVENT_KIND__EVENT_KIND_RUN_STATE;
    ev.subject_id = "r-3fa09c1d22be";
    ev.from_state = "STARTING";
    ev.to_state = "RUNNING";
    ev.reason = "service ready";
    ev.recipe = "redis";
    json_object *j = pbjson_from_message(&ev.base);
    cr_assert_eq(json_object_get_uint64(field(j, "seq")), UINT64_MAX);
    cr_assert_str_eq(json_object_get_string(field(j, "kind")), "EVENT_KIND_RUN_STATE");
    json_object_put(j);
    assert_round_trip(&ev.base);
}

Test(pbjson_roundtrip, log_bytes_travel_as_base64_of_any_length)
{
    static const uint8_t data[] = {'h', 0, 0xff, '\n', 0x80, 'z'};
    for (size_t n = 0; n <= sizeof data; n++) {
        Aifb__V1__LogChunk c = AIFB__V1__LOG_CHUNK__INIT;
        c.stream = "client.out";
        c.offset = 7;
        c.data.data = (uint8_t *)data;
        c.data.len = n;
        assert_round_trip(&c.base);
    }
    Aifb__V1__LogChunk c = AIFB__V1__LOG_CHUNK__INIT;
    c.data.data = (uint8_t *)"hi\n";
    c.data.len = 3;
    json_object *j = pbjson_from_message(&c.base);
    cr_assert_str_eq(json_object_get_string(field(j, "data")), "aGkK");
    json_object_put(j);
}

Test(pbjson_roundtrip, camel_case_names_enum_numbers_and_numeric_strings_are_accepted)
{
    json_object *j = json_tokener_parse("{\"pageSize\":\"25\",\"page_token\":\"t\","
                                        "\"states\":[\"RUN_STATE_RUNNING\",7]}");
    ProtobufCMessage *m = NULL;
    aifb_err err = {0};
    cr_assert_eq(pbjson_to_message(&aifb__v1__list_runs_request__descriptor, j, &m, &err), AIFB_OK,
                 "%s", err.msg);
    Aifb__V1__ListRunsRequest *req = (Aifb__V1__ListRunsRequest *)m;
    cr_assert_eq(req->page_size, 25);
    cr_assert_str_eq(req->page_token, "t");
    cr_assert_eq(req->n_states, 2);
    cr_assert_eq(req->states[0], AIFB__V1__RUN_STATE__RUN_STATE_RUNNING);
    cr_assert_eq(req->states[1], AIFB__V1__RUN_STATE__RUN_STATE_FAILED);
    json_object_put(j);
    protobuf_c_message_free_unpacked(m, NULL);
}

Test(pbjson_roundtrip, sixty_four_bit_values_given_as_strings_are_exact)
{
    json_object *j = json_tokener_parse(
        "{\"seq\":\"18446744073709551615\",\"timeMs\":\"-9223372036854775808\"}");
    ProtobufCMessage *m = NULL;
    aifb_err err = {0};
    cr_assert_eq(pbjson_to_message(&aifb__v1__event__descriptor, j, &m, &err), AIFB_OK, "%s",
                 err.msg);
    Aifb__V1__Event *ev = (Aifb__V1__Event *)m;
    cr_assert_eq(ev->seq, UINT64_MAX);
    cr_assert_eq(ev->time_ms, INT64_MIN);
    json_object_put(j);
    protobuf_c_message_free_unpacked(m, NULL);
}

Test(pbjson_roundtrip, not_a_number_and_infinities_are_spelled_as_strings)
{
    Aifb__V1__Metric m = AIFB__V1__METRIC__INIT;
    m.name = "ratio";
    m.value = INFINITY;
    json_object *j = pbjson_from_message(&m.base);
    cr_assert_str_eq(json_object_get_string(field(j, "value")), "Infinity");
    json_object_put(j);
    assert_round_trip(&m.base);
    m.value = NAN;
    char *text = pbjson_format(&m.base, 0);
    cr_assert(strstr(text, "\"value\":\"NaN\"") != NULL, "%s", text);
    free(text);
}

Test(pbjson_roundtrip, null_or_no_json_gives_a_message_with_defaults)
{
    ProtobufCMessage *m = NULL;
    aifb_err err = {0};
    cr_assert_eq(pbjson_to_message(&aifb__v1__run__descriptor, NULL, &m, &err), AIFB_OK);
    cr_assert_str_eq(((Aifb__V1__Run *)m)->id, "");
    protobuf_c_message_free_unpacked(m, NULL);
    json_object *j = json_tokener_parse("{\"id\":null,\"params\":null,\"recipe\":\"x\"}");
    cr_assert_eq(pbjson_to_message(&aifb__v1__run__descriptor, j, &m, &err), AIFB_OK, "%s",
                 err.msg);
    cr_assert_str_eq(((Aifb__V1__Run *)m)->recipe, "x");
    cr_assert_eq(((Aifb__V1__Run *)m)->n_params, 0);
    json_object_put(j);
    protobuf_c_message_free_unpacked(m, NULL);
}
