/* test_logship_labels.c: the labels of aifb-logship's streams: names Loki accepts and those it
 * does not, the limits, values escaped in the selector string as PromQL reads them (quotes,
 * backslashes, newlines, control characters, UTF-8 as it is), the same label set always giving
 * the same string, the stream label from a file's name, and timestamps strictly increasing within
 * a stream whatever the clock says. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logship/labels.h"

Test(labels, names_must_be_prometheus_label_names_not_reserved)
{
    const char *good[] = {"app", "run_id", "_x", "A9", "role"};
    const char *bad[] = {"", "9a", "a-b", "a.b", "__name__", "__x", "é", "a b", "a=b"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        cr_assert(ls_label_name_valid(good[i]), "%s", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_assert_not(ls_label_name_valid(bad[i]), "%s", bad[i]);
    char longname[LS_LABEL_NAME_MAX + 2];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    cr_assert_not(ls_label_name_valid(longname));
}

Test(labels, set_adds_replaces_removes_and_refuses)
{
    ls_labels l = {0};
    aifb_err err;
    cr_assert_eq(ls_labels_set_arg(&l, "run_id=r-1", &err), AIFB_OK);
    cr_assert_eq(ls_labels_set_arg(&l, "role=service", &err), AIFB_OK);
    cr_assert_eq(ls_labels_set_arg(&l, "run_id=r-2", &err), AIFB_OK);
    cr_assert_eq(l.n, 2);
    cr_assert_str_eq(ls_labels_get(&l, "run_id"), "r-2");
    cr_assert_eq(ls_labels_set_arg(&l, "value=a=b", &err), AIFB_OK); /* the first = splits */
    cr_assert_str_eq(ls_labels_get(&l, "value"), "a=b");
    cr_assert_eq(ls_labels_set_arg(&l, "role=", &err), AIFB_OK); /* empty: removed */
    cr_assert_null(ls_labels_get(&l, "role"));

    cr_assert_eq(ls_labels_set_arg(&l, "no-equals", &err), AIFB_EINVAL);
    cr_assert(strstr(err.msg, "name=value"), "%s", err.msg);
    cr_assert_eq(ls_labels_set_arg(&l, "__name__=x", &err), AIFB_EINVAL);
    cr_assert(strstr(err.msg, "__name__"), "%s", err.msg);
    cr_assert_eq(ls_labels_set_arg(&l, "bad=\xff", &err), AIFB_EINVAL);
    cr_assert(strstr(err.msg, "UTF-8"), "%s", err.msg);
    char *big = malloc(LS_LABEL_VALUE_MAX + 8);
    memset(big, 'v', LS_LABEL_VALUE_MAX + 7);
    memcpy(big, "big=", 4);
    big[LS_LABEL_VALUE_MAX + 7] = '\0';
    cr_assert_eq(ls_labels_set_arg(&l, big, &err), AIFB_EINVAL);
    free(big);

    ls_labels many = {0};
    for (int i = 0; i < LS_LABELS_MAX; i++) {
        char kv[32];
        snprintf(kv, sizeof kv, "l%d=v", i);
        cr_assert_eq(ls_labels_set_arg(&many, kv, &err), AIFB_OK);
    }
    cr_assert_eq(ls_labels_set_arg(&many, "one_more=v", &err), AIFB_EINVAL);
    cr_assert(strstr(err.msg, "15"), "%s", err.msg);
    ls_labels_free(&many);
    ls_labels_free(&l);
}

Test(labels, selector_is_sorted_and_escaped_as_promql_reads_it)
{
    ls_labels l = {0};
    ls_labels_set(&l, "run_id", "r-1", NULL);
    ls_labels_set(&l, "app", "aifb", NULL);
    ls_labels_set(&l, "odd",
                  "a\"b\\c\nd\te\x01"
                  "f caf\xc3\xa9",
                  NULL);
    char *sel = ls_labels_selector(&l);
    cr_assert_str_eq(sel, "{app=\"aifb\", odd=\"a\\\"b\\\\c\\nd\\te\\x01f caf\xc3\xa9\", "
                          "run_id=\"r-1\"}");
    free(sel);
    abuf js = {0};
    ls_labels_json(&l, &js);
    cr_assert_str_eq(js.p, "{\"app\":\"aifb\",\"odd\":\"a\\\"b\\\\c\\nd\\te\\u0001f caf\xc3\xa9\","
                           "\"run_id\":\"r-1\"}");
    abuf_free(&js);
    ls_labels_free(&l);
}

Test(labels, stream_of_a_file_comes_from_its_suffix)
{
    cr_assert_str_eq(ls_stream_of_path("/runs/r-1/service.out"), "stdout");
    cr_assert_str_eq(ls_stream_of_path("client.err"), "stderr");
    cr_assert_str_eq(ls_stream_of_path("/var/log/aifbd.log"), "file");
    cr_assert_str_eq(ls_stream_of_path("out"), "file");
}

Test(labels, streams_share_one_selector_per_label_set)
{
    ls_labels base = {0};
    ls_labels_set(&base, "app", "aifb", NULL);
    ls_streams s;
    ls_streams_init(&s, &base);
    uint32_t out = ls_streams_get(&s, "stdout"), err = ls_streams_get(&s, "stderr");
    cr_assert_neq(out, err);
    cr_assert_eq(ls_streams_get(&s, "stdout"), out);
    cr_assert_str_eq(s.v[out].selector, "{app=\"aifb\", stream=\"stdout\"}");
    cr_assert_str_eq(s.v[err].json, "{\"app\":\"aifb\",\"stream\":\"stderr\"}");
    ls_streams_free(&s);

    /* --label stream=X puts every file in one stream. */
    ls_labels_set(&base, "app", "aifb", NULL);
    ls_labels_set(&base, "stream", "all", NULL);
    ls_streams_init(&s, &base);
    cr_assert_eq(ls_streams_get(&s, "stdout"), ls_streams_get(&s, "stderr"));
    cr_assert_str_eq(s.v[0].selector, "{app=\"aifb\", stream=\"all\"}");
    ls_streams_free(&s);
}

Test(labels, timestamps_strictly_increase_within_a_stream)
{
    ls_labels base = {0};
    ls_labels_set(&base, "app", "aifb", NULL);
    ls_streams s;
    ls_streams_init(&s, &base);
    uint32_t a = ls_streams_get(&s, "a"), b = ls_streams_get(&s, "b");
    cr_assert_eq(ls_streams_stamp(&s, a, 1000), 1000);
    cr_assert_eq(ls_streams_stamp(&s, a, 1000), 1001); /* the same clock reading */
    cr_assert_eq(ls_streams_stamp(&s, a, 900), 1002);  /* the clock went back */
    cr_assert_eq(ls_streams_stamp(&s, a, 5000), 5000);
    cr_assert_eq(ls_streams_stamp(&s, b, 1000), 1000); /* each stream on its own */
    ls_streams_free(&s);
}
