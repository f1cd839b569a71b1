/* test_recipe_params.c: a run's parameter values checked against a recipe's schema: every type
 * accepted in its forms and returned canonical, defaults filled in schema order, and every kind
 * of refusal with the message a user sees. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "recipe/recipe.h"

static const char schema_yaml[] =
    "name: demo\n"
    "kind: client\n"
    "params:\n"
    "  - {name: requests, type: int, default: 100, min: 1, max: 1000000}\n"
    "  - {name: clients, type: int, default: 50, min: 1, max: 1000}\n"
    "  - {name: offset, type: int, default: -5}\n"
    "  - {name: ratio, type: float, default: 0.5, min: 0.1, max: 2.5}\n"
    "  - {name: verbose, type: bool, default: 'no'}\n"
    "  - {name: mode, type: enum, choices: [tpcb-like, simple-update, select-only], "
    "default: tpcb-like}\n"
    "  - {name: tests, type: string, pattern: '^[a-z]+(,[a-z]+)*$', max_length: 32}\n"
    "  - {name: label, type: string, default: ''}\n"
    "client:\n"
    "  command: [cli, '${requests}', '${tests}']\n";

static recipe *schema;

static void load_schema(void)
{
    aifb_err err = {0};
    cr_assert_eq(recipe_parse(schema_yaml, strlen(schema_yaml), "demo.yaml", &schema, &err),
                 AIFB_OK, "%s", err.msg);
}

static void free_schema(void)
{
    recipe_free(schema);
}

/* Resolves the given name=value pairs (NULL-terminated) with tests=set unless given. */
static aifb_code resolve(const char *const *pairs, kv **out, size_t *n, aifb_err *err)
{
    kv given[16];
    size_t ng = 0;
    bool has_tests = false;
    for (; pairs[2 * ng]; ng++) {
        given[ng].name = (char *)pairs[2 * ng];
        given[ng].value = (char *)pairs[2 * ng + 1];
        has_tests |= !strcmp(pairs[2 * ng], "tests");
    }
    if (!has_tests) {
        given[ng].name = "tests";
        given[ng].value = "set";
        ng++;
    }
    return recipe_resolve_params(schema, given, ng, out, n, err);
}

static const char *value_of(const kv *v, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i].name, name))
            return v[i].value;
    return NULL;
}

/* The canonical value of one parameter given as value. */
static void canonical(const char *name, const char *value, const char *want)
{
    kv *out;
    size_t n;
    aifb_err err = {0};
    const char *pairs[] = {name, value, NULL};
    cr_assert_eq(resolve(pairs, &out, &n, &err), AIFB_OK, "%s=%s: %s", name, value, err.msg);
    cr_assert_str_eq(value_of(out, n, name), want, "%s=%s", name, value);
    kv_array_free(out, n);
}

static void refused(const char *name, const char *value, const char *want_msg)
{
    kv *out = (kv *)1;
    size_t n = 99;
    aifb_err err = {0};
    const char *pairs[] = {name, value, NULL};
    cr_assert_eq(resolve(pairs, &out, &n, &err), AIFB_EINVAL, "%s=%s accepted", name, value);
    cr_assert_null(out);
    cr_assert_eq(n, 0);
    cr_assert_str_eq(err.msg, want_msg);
}

TestSuite(recipe_params, .init = load_schema, .fini = free_schema);

Test(recipe_params, every_parameter_comes_back_in_schema_order_with_defaults_filled)
{
    kv *out;
    size_t n;
    aifb_err err = {0};
    const char *pairs[] = {"clients", "8", NULL};
    cr_assert_eq(resolve(pairs, &out, &n, &err), AIFB_OK, "%s", err.msg);
    const char *want[][2] = {{"requests", "100"}, {"clients", "8"},     {"offset", "-5"},
                             {"ratio", "0.5"},    {"verbose", "false"}, {"mode", "tpcb-like"},
                             {"tests", "set"},    {"label", ""}};
    cr_assert_eq(n, 8);
    for (size_t i = 0; i < n; i++) {
        cr_assert_str_eq(out[i].name, want[i][0]);
        cr_assert_str_eq(out[i].value, want[i][1], "%s", want[i][0]);
    }
    kv_array_free(out, n);
}

Test(recipe_params, integers_are_accepted_with_a_sign_and_zeros_and_made_canonical)
{
    canonical("requests", "007", "7");
    canonical("requests", "+42", "42");
    canonical("offset", "-0", "0");
    canonical("offset", "-9223372036854775808", "-9223372036854775808");
    canonical("requests", "1000000", "1000000");
}

Test(recipe_params, a_non_integer_is_refused_naming_the_parameter_and_value)
{
    refused("requests", "abc", "parameter 'requests': 'abc' is not an integer");
    refused("requests", "", "parameter 'requests': '' is not an integer");
    refused("requests", " 5", "parameter 'requests': ' 5' is not an integer");
    refused("requests", "5 ", "parameter 'requests': '5 ' is not an integer");
    refused("requests", "1.5", "parameter 'requests': '1.5' is not an integer");
    refused("requests", "0x10", "parameter 'requests': '0x10' is not an integer");
    refused("requests", "-", "parameter 'requests': '-' is not an integer");
}

Test(recipe_params, integers_outside_int64_or_the_bounds_are_refused)
{
    refused("clients", "0", "parameter 'clients': 0 is below the minimum 1");
    refused("clients", "1001", "parameter 'clients': 1001 is above the maximum 1000");
    refused("offset", "9223372036854775808",
            "parameter 'offset': 9223372036854775808 is outside the 64-bit integer range");
}

Test(recipe_params, floats_are_accepted_in_decimal_forms_and_made_canonical)
{
    canonical("ratio", "0.10", "0.1");
    canonical("ratio", "1", "1");
    canonical("ratio", "2.5e0", "2.5");
    canonical("ratio", "+.25", "0.25");
    canonical("ratio", "0.3333333333333333", "0.3333333333333333");
}

Test(recipe_params, bad_or_infinite_floats_and_floats_out_of_bounds_are_refused)
{
    refused("ratio", "x", "parameter 'ratio': 'x' is not a number");
    refused("ratio", "0x1p1", "parameter 'ratio': '0x1p1' is not a number");
    refused("ratio", "inf", "parameter 'ratio': 'inf' is not a finite number");
    refused("ratio", "-NaN", "parameter 'ratio': '-NaN' is not a finite number");
    refused("ratio", "1e999", "parameter 'ratio': '1e999' is not a finite number");
    refused("ratio", "0.05", "parameter 'ratio': 0.05 is below the minimum 0.1");
    refused("ratio", "3", "parameter 'ratio': 3 is above the maximum 2.5");
}

Test(recipe_params, booleans_accept_every_usual_spelling)
{
    const char *yes[] = {"true", "1", "yes", "on", "TRUE", "Yes"};
    const char *no[] = {"false", "0", "no", "off", "False", "OFF"};
    for (size_t i = 0; i < 6; i++) {
        canonical("verbose", yes[i], "true");
        canonical("verbose", no[i], "false");
    }
    refused("verbose", "maybe",
            "parameter 'verbose': 'maybe' is not a boolean (true/false, yes/no, on/off, 1/0)");
}

Test(recipe_params, an_enum_takes_exactly_one_of_its_choices)
{
    canonical("mode", "select-only", "select-only");
    refused("mode", "x",
            "parameter 'mode': 'x' is not one of tpcb-like, simple-update, select-only");
    refused("mode", "Select-Only",
            "parameter 'mode': 'Select-Only' is not one of tpcb-like, simple-update, select-only");
}

Test(recipe_params, a_string_must_match_its_whole_pattern)
{
    canonical("tests", "set,get,incr", "set,get,incr");
    refused("tests", "set,,get",
            "parameter 'tests': 'set,,get' does not match the pattern ^[a-z]+(,[a-z]+)*$");
    refused("tests", "set;rm",
            "parameter 'tests': 'set;rm' does not match the pattern "
            "^[a-z]+(,[a-z]+)*$");
}

Test(recipe_params, a_pattern_with_alternatives_is_anchored_as_a_whole)
{
    const char *yaml = "name: alt\nkind: client\nparams:\n"
                       "  - {name: s, type: string, pattern: 'ab|cd'}\n"
                       "client:\n  command: [c, '${s}']\n";
    recipe *r;
    aifb_err err = {0};
    cr_assert_eq(recipe_parse(yaml, strlen(yaml), "alt.yaml", &r, &err), AIFB_OK, "%s", err.msg);
    kv given = {"s", "abX"}, *out;
    size_t n;
    cr_assert_eq(recipe_resolve_params(r, &given, 1, &out, &n, &err), AIFB_EINVAL,
                 "'abX' must not pass 'ab|cd' by matching only its start");
    given.value = "cd";
    cr_assert_eq(recipe_resolve_params(r, &given, 1, &out, &n, &err), AIFB_OK, "%s", err.msg);
    kv_array_free(out, n);
    recipe_free(r);
}

Test(recipe_params, strings_with_control_characters_are_refused)
{
    refused("label", "a\nb", "parameter 'label': control character 0x0a at byte 1 is not allowed");
    refused("label", "\t", "parameter 'label': control character 0x09 at byte 0 is not allowed");
    refused("label", "x\x7f", "parameter 'label': control character 0x7f at byte 1 is not allowed");
}

Test(recipe_params, strings_longer_than_max_length_are_refused)
{
    canonical("label", "Grüße, 世界", "Grüße, 世界");
    char *big = malloc(1024 * 1024 + 1);
    memset(big, 'a', 1024 * 1024);
    big[1024 * 1024] = '\0';
    refused("label", big,
            "parameter 'label': the value is 1048576 bytes long, more than the maximum 4096");
    refused("tests", "abcdefghijklmnopqrstuvwxyzabcdefg",
            "parameter 'tests': the value is 33 bytes long, more than the maximum 32");
    free(big);
}

Test(recipe_params, strings_that_are_not_utf8_are_refused)
{
    refused("label", "ok\xff", "parameter 'label': not valid UTF-8 (at byte 2)");
    refused("label", "\xc0\xaf", "parameter 'label': not valid UTF-8 (at byte 0)"); /* overlong */
    refused("label", "\xed\xa0\x80",
            "parameter 'label': not valid UTF-8 (at byte 0)"); /* surrogate */
    refused("label", "\xf4\x90\x80\x80", "parameter 'label': not valid UTF-8 (at byte 0)");
    refused("label", "a\xe2\x82", "parameter 'label': not valid UTF-8 (at byte 1)"); /* cut short */
}

Test(recipe_params, an_unknown_parameter_is_refused_listing_the_known_ones)
{
    refused("clinets", "5",
            "unknown parameter 'clinets' for recipe demo (known: requests, clients, offset, "
            "ratio, verbose, mode, tests, label)");
}

Test(recipe_params, a_missing_required_parameter_is_refused)
{
    kv *out;
    size_t n;
    aifb_err err = {0};
    cr_assert_eq(recipe_resolve_params(schema, NULL, 0, &out, &n, &err), AIFB_EINVAL);
    cr_assert_str_eq(err.msg, "parameter 'tests' is required");
}

Test(recipe_params, a_parameter_given_twice_is_refused)
{
    kv given[] = {{"tests", "set"}, {"clients", "1"}, {"clients", "2"}};
    kv *out;
    size_t n;
    aifb_err err = {0};
    cr_assert_eq(recipe_resolve_params(schema, given, 3, &out, &n, &err), AIFB_EINVAL);
    cr_assert_str_eq(err.msg, "parameter 'clients' is given more than once");
}

Test(recipe_params, a_huge_bad_value_is_quoted_only_in_part)
{
    char *big = malloc(100001);
    memset(big, '9', 99999);
    big[99999] = 'x';
    big[100000] = '\0';
    kv *out;
    size_t n;
    aifb_err err = {0};
    const char *pairs[] = {"requests", big, NULL};
    cr_assert_eq(resolve(pairs, &out, &n, &err), AIFB_EINVAL);
    cr_assert(strstr(err.msg, "parameter 'requests': '9999"), "%s", err.msg);
    cr_assert(strstr(err.msg, "...' is not an integer"), "%s", err.msg);
    cr_assert_lt(strlen(err.msg), 200);
    free(big);
}

Test(recipe_params, a_recipe_without_parameters_resolves_to_nothing)
{
    const char *yaml = "name: bare\nkind: client\nclient:\n  command: [true]\n";
    recipe *r;
    aifb_err err = {0};
    cr_assert_eq(recipe_parse(yaml, strlen(yaml), "bare.yaml", &r, &err), AIFB_OK, "%s", err.msg);
    kv *out = (kv *)1;
    size_t n = 5;
    cr_assert_eq(recipe_resolve_params(r, NULL, 0, &out, &n, &err), AIFB_OK);
    cr_assert_eq(n, 0);
    cr_assert_null(out);
    kv given = {"x", "1"};
    cr_assert_eq(recipe_resolve_params(r, &given, 1, &out, &n, &err), AIFB_EINVAL);
    cr_assert_str_eq(err.msg, "unknown parameter 'x' for recipe bare (known: none)");
    recipe_free(r);
}
