/* test_pbjson_refusals.c: JSON that does not fit the message is refused with INVALID_ARGUMENT and
 * a message naming the field (by its path for nested values), and nothing is returned. */
#include <criterion/criterion.h>
#include <string.h>

#include "aifb/v1/controlplane.pb-c.h"
#include "pbjson/pbjson.h"

/* Parses text as type d, expects a refusal, and checks the message contains every needle. */
static void assert_refused(const ProtobufCMessageDescriptor *d, const char *text,
                           const char *needle1, const char *needle2)
{
    json_object *j = json_tokener_parse(text);
    cr_assert_not_null(j, "test input is not JSON: %s", text);
    ProtobufCMessage *m = (ProtobufCMessage *)&m; /* must be reset to NULL */
    aifb_err err = {0};
    aifb_code rc = pbjson_to_message(d, j, &m, &err);
    cr_assert_eq(rc, AIFB_EINVAL, "%s was accepted (code %d)", text, rc);
    cr_assert_eq(err.code, AIFB_EINVAL);
    cr_assert_null(m);
    cr_assert(strstr(err.msg, needle1) != NULL, "'%s' not in: %s", needle1, err.msg);
    if (needle2)
        cr_assert(strstr(err.msg, needle2) != NULL, "'%s' not in: %s", needle2, err.msg);
    json_object_put(j);
}

Test(pbjson_refusals, an_unknown_field_is_refused_with_its_name)
{
    assert_refused(&aifb__v1__start_run_request__descriptor, "{\"recipe\":\"redis\",\"parms\":{}}",
                   "unknown field 'parms'", "aifb.v1.StartRunRequest");
}

Test(pbjson_refusals, an_unknown_field_deep_inside_is_named_by_its_path)
{
    assert_refused(&aifb__v1__list_runs_response__descriptor,
                   "{\"runs\":[{\"id\":\"r-1\"},{\"id\":\"r-2\",\"params\":[{\"name\":\"a\","
                   "\"valeu\":\"1\"}]}]}",
                   "'runs[1].params[0].valeu'", "aifb.v1.Param");
}

Test(pbjson_refusals, a_string_where_a_number_belongs_names_the_field_and_the_value)
{
    assert_refused(&aifb__v1__list_runs_request__descriptor, "{\"page_size\":\"ten\"}",
                   "field 'page_size'", "\"ten\"");
}

Test(pbjson_refusals, a_camel_case_name_is_reported_under_its_proto_name)
{
    assert_refused(&aifb__v1__list_runs_request__descriptor, "{\"pageSize\":true}",
                   "field 'page_size'", "expected an integer");
}

Test(pbjson_refusals, a_single_value_where_a_list_belongs_is_refused)
{
    assert_refused(&aifb__v1__list_runs_request__descriptor, "{\"states\":\"RUN_STATE_RUNNING\"}",
                   "field 'states'", "an array");
}

Test(pbjson_refusals, an_unknown_enum_name_or_number_is_refused)
{
    assert_refused(&aifb__v1__list_runs_request__descriptor, "{\"states\":[\"RUNNING\"]}",
                   "field 'states[0]'", "aifb.v1.RunState");
    assert_refused(&aifb__v1__run__descriptor, "{\"state\":99}", "field 'state'", "99");
}

Test(pbjson_refusals, a_parameter_value_that_is_not_a_string_is_named_in_the_map)
{
    assert_refused(&aifb__v1__start_run_request__descriptor,
                   "{\"recipe\":\"redis\",\"params\":{\"requests\":\"10\",\"clients\":4}}",
                   "field 'params.clients'", "a string");
    assert_refused(&aifb__v1__start_run_request__descriptor, "{\"params\":[\"a=b\"]}",
                   "field 'params'", "an object");
}

Test(pbjson_refusals, numbers_out_of_range_for_their_field_are_refused)
{
    assert_refused(&aifb__v1__list_runs_request__descriptor, "{\"page_size\":3000000000}",
                   "field 'page_size'", "out of range for int32");
    assert_refused(&aifb__v1__event__descriptor, "{\"seq\":-1}", "field 'seq'",
                   "out of range for uint64");
    assert_refused(&aifb__v1__event__descriptor, "{\"seq\":\"-1\"}", "field 'seq'", "out of range");
    assert_refused(&aifb__v1__event__descriptor, "{\"time_ms\":\"99999999999999999999\"}",
                   "field 'time_ms'", "out of range for int64");
    assert_refused(&aifb__v1__event__descriptor, "{\"time_ms\":1.5}", "field 'time_ms'",
                   "an integer");
}

Test(pbjson_refusals, a_boolean_must_be_true_or_false)
{
    assert_refused(&aifb__v1__list_services_request__descriptor, "{\"include_ended\":\"yes\"}",
                   "field 'include_ended'", "true or false");
}

Test(pbjson_refusals, a_field_given_under_both_spellings_is_refused)
{
    assert_refused(&aifb__v1__list_runs_request__descriptor, "{\"page_size\":1,\"pageSize\":2}",
                   "'page_size' is given twice", NULL);
}

Test(pbjson_refusals, text_that_is_not_an_object_is_refused_naming_the_message_type)
{
    assert_refused(&aifb__v1__run__descriptor, "[1,2]", "aifb.v1.Run", "an array");
    assert_refused(&aifb__v1__recipe__descriptor, "{\"summary\":\"redis\"}", "field 'summary'",
                   "an object");
}

Test(pbjson_refusals, bad_base64_and_embedded_nul_characters_are_refused)
{
    assert_refused(&aifb__v1__log_chunk__descriptor, "{\"data\":\"a$==\"}", "field 'data'",
                   "base64");
    assert_refused(&aifb__v1__log_chunk__descriptor, "{\"data\":\"abcde\"}", "field 'data'",
                   "base64");
    assert_refused(&aifb__v1__run__descriptor, "{\"id\":\"r-1\\u0000rm\"}", "field 'id'", "NUL");
}

Test(pbjson_refusals, a_null_inside_a_list_is_refused)
{
    assert_refused(&aifb__v1__run__descriptor, "{\"handles\":[\"a\",null]}", "field 'handles[1]'",
                   "null");
}
