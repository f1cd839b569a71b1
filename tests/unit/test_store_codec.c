/* test_store_codec.c: the JSON text that holds a run's params and summary: any valid spelling of
 * its shape reads back, anything else is refused as damaged data naming the record, and a
 * damaged row in a real database is reported rather than read as empty. */
#include "test_store_fixture.h"

#include <criterion/criterion.h>
#include <math.h>
#include <sqlite3.h>
#include <string.h>

#include "store/store_internal.h"

Test(store_codec, params_written_by_hand_with_every_json_escape_read_back)
{
    const char *json = " [ [ \"a\\/b\" , \"\\b\\f\\n\\r\\t\\\"\\\\\" ] ,\n"
                       "[\"\\u00e9\\u20AC\", \"\\ud83d\\ude80 rocket\"] ] ";
    kv *p = NULL;
    size_t n = 0;
    aifb_err err = {0};
    cr_assert_eq(store_params_decode(json, "run", "r-1", &p, &n, &err), AIFB_OK, "%s", err.msg);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(p[0].name, "a/b");
    cr_assert_str_eq(p[0].value, "\b\f\n\r\t\"\\");
    cr_assert_str_eq(p[1].name, "\xc3\xa9\xe2\x82\xac");
    cr_assert_str_eq(p[1].value, "\xf0\x9f\x9a\x80 rocket");
    kv_array_free(p, n);
}

Test(store_codec, numbers_in_every_json_form_and_the_three_special_values_read_back)
{
    const char *json = "[[\"a\",1,\"\"],[\"b\",-2.5e3,\"\"],[\"c\",0.1,\"\"],[\"d\",-0,\"\"],"
                       "[\"e\",\"NaN\",\"\"],[\"f\",\"Infinity\",\"\"],[\"g\",\"-Infinity\",\"\"],"
                       "[\"h\",1E+2,\"\"]]";
    metric *m = NULL;
    size_t n = 0;
    aifb_err err = {0};
    cr_assert_eq(store_summary_decode(json, "run", "r-1", &m, &n, &err), AIFB_OK, "%s", err.msg);
    cr_assert_eq(n, 8);
    cr_assert_eq(m[0].value, 1.0);
    cr_assert_eq(m[1].value, -2500.0);
    cr_assert_eq(m[2].value, 0.1);
    cr_assert(m[3].value == 0 && signbit(m[3].value), "-0 lost its sign");
    cr_assert(isnan(m[4].value));
    cr_assert(isinf(m[5].value) && m[5].value > 0);
    cr_assert(isinf(m[6].value) && m[6].value < 0);
    cr_assert_eq(m[7].value, 100.0);
    metric_array_free(m, n);
}

Test(store_codec, damaged_params_text_is_refused_as_data_loss_naming_the_record)
{
    const char *bad[] = {
        "",
        "[",
        "{}",
        "[[\"a\"]]",
        "[[\"a\",\"b\",\"c\"]]",
        "[[\"a\",\"b\"],]",
        "[[\"a\",\"b\"]] trailing",
        "[[\"a\",1]]",
        "[[\"a\",\"b]]",
        "[[\"a\",\"\\x\"]]",
        "[[\"a\",\"\\ud800\"]]",
        "[[\"a\",\"\\udc00\"]]",
        "[[\"a\",\"\\u0000\"]]",
        "[[\"a\",\"\\u12\"]]",
        "[[\"a\",\"raw\ttab\"]]",
        "[] []",
        "[[\"a\",\"b\"]\"c\"]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        kv *p = (kv *)1;
        size_t n = 9;
        aifb_err err = {0};
        cr_assert_eq(store_params_decode(bad[i], "run", "r-0123456789ab", &p, &n, &err),
                     AIFB_EDATALOSS, "accepted: %s", bad[i]);
        cr_assert_str_eq(err.msg, "run r-0123456789ab: stored parameters are not valid");
        cr_assert_null(p);
        cr_assert_eq(n, 0);
    }
}

Test(store_codec, a_summary_value_that_is_not_a_json_number_is_refused)
{
    const char *bad[] = {"[[\"a\",inf,\"\"]]",    "[[\"a\",nan,\"\"]]",   "[[\"a\",0x10,\"\"]]",
                         "[[\"a\",\"12\",\"\"]]", "[[\"a\",1.2.3,\"\"]]", "[[\"a\",,\"\"]]",
                         "[[\"a\",-inf,\"\"]]",   "[[\"a\",1]]"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        metric *m = NULL;
        size_t n = 0;
        aifb_err err = {0};
        cr_assert_eq(store_summary_decode(bad[i], "run", "r-0123456789ab", &m, &n, &err),
                     AIFB_EDATALOSS, "accepted: %s", bad[i]);
        cr_assert(strstr(err.msg, "r-0123456789ab"), "message: %s", err.msg);
    }
}

Test(store_codec, what_the_encoders_write_the_decoders_read_unchanged)
{
    kv params[] = {{"q\"uote", "\x01\x02\x7f \\ / \xe2\x82\xac"}, {"", ""}};
    char *json = store_params_encode(params, 2);
    kv *p = NULL;
    size_t n = 0;
    cr_assert_eq(store_params_decode(json, "run", "r", &p, &n, NULL), AIFB_OK, "%s", json);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(p[0].name, params[0].name);
    cr_assert_str_eq(p[0].value, params[0].value);
    cr_assert_str_eq(p[1].name, "");
    kv_array_free(p, n);
    free(json);
    json = store_params_encode(NULL, 0);
    cr_assert_str_eq(json, "[]");
    free(json);
}

Test(store_codec, a_damaged_row_in_the_database_is_reported_not_read_as_empty,
     .init = store_fixture_setup, .fini = store_fixture_teardown)
{
    char id[AIFB_ID_LEN + 1];
    store_fixture_insert_run("redis-bench", id);
    store_close(fx_store); /* the store holds the file exclusively while open */
    fx_store = NULL;
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open(fx_db, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db, "UPDATE runs SET summary = '[[\"x\",' ", NULL, NULL, NULL),
                 SQLITE_OK);
    sqlite3_close(db);
    store_fixture_open();
    run_rec r;
    aifb_err err = {0};
    cr_assert_eq(store_run_get(fx_store, id, &r, &err), AIFB_EDATALOSS);
    cr_assert(strstr(err.msg, id), "message: %s", err.msg);
    cr_assert(strstr(err.msg, "summary"), "message: %s", err.msg);
    run_rec *runs = NULL;
    size_t n = 0;
    char *next = NULL;
    cr_assert_eq(store_run_list(fx_store, NULL, &runs, &n, &next, &err), AIFB_EDATALOSS);
    cr_assert_null(runs);
}
