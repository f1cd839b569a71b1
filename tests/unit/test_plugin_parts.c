/* test_plugin_parts.c: the pieces of gpx_aifb that need no Grafana and no aifbd: resource paths
 * and query strings, the settings read from a PluginContext, the role rule, the HTTP status of
 * each aifbd code, the JSON data frames, the log line Grafana parses, the handshake line. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plugin.h"

Test(plugin_parts, paths_split_into_segments_without_slashes_or_query)
{
    char seg[3][96];
    cr_assert_eq(plugin_path_split("/runs/r-0123456789ab/stop/?x=1", seg, 3), 3);
    cr_assert_str_eq(seg[0], "runs");
    cr_assert_str_eq(seg[1], "r-0123456789ab");
    cr_assert_str_eq(seg[2], "stop");
    cr_assert_eq(plugin_path_split("", seg, 3), 0);
    cr_assert_eq(plugin_path_split("a/b/c/d", seg, 3), -1, "more segments than room");
}

Test(plugin_parts, query_parameters_are_found_and_percent_decoded)
{
    const char *url = "runs?state=RUNNING&recipe=llm%2Dsim+x&empty=&flag";
    char *v = plugin_query_param(url, "recipe");
    cr_assert_str_eq(v, "llm-sim x");
    free(v);
    v = plugin_query_param(url, "state");
    cr_assert_str_eq(v, "RUNNING");
    free(v);
    v = plugin_query_param(url, "empty");
    cr_assert_str_eq(v, "");
    free(v);
    cr_assert_null(plugin_query_param(url, "stat"), "a prefix is not a match");
    cr_assert_null(plugin_query_param("runs", "state"));
}

static Pluginv2__PluginContext *app_context(const char *json_data, const char *token)
{
    static Pluginv2__PluginContext ctx;
    static Pluginv2__AppInstanceSettings app;
    static Pluginv2__User user;
    static Pluginv2__AppInstanceSettings__DecryptedSecureJsonDataEntry entry, *entries[1];
    pluginv2__plugin_context__init(&ctx);
    pluginv2__app_instance_settings__init(&app);
    pluginv2__user__init(&user);
    pluginv2__app_instance_settings__decrypted_secure_json_data_entry__init(&entry);
    user.login = "ann";
    user.role = "Viewer";
    ctx.user = &user;
    app.jsondata.data = (uint8_t *)json_data;
    app.jsondata.len = strlen(json_data);
    if (token) {
        entry.key = "aifbdToken";
        entry.value = (char *)token;
        entries[0] = &entry;
        app.n_decryptedsecurejsondata = 1;
        app.decryptedsecurejsondata = entries;
    }
    ctx.appinstancesettings = &app;
    return &ctx;
}

Test(plugin_parts, settings_come_from_the_app_with_defaults)
{
    plugin_target t;
    aifb_err err = {0};
    cr_assert_eq(
        plugin_target_from(
            app_context("{\"aifbdAddress\":\"unix:/run/a.sock\"}", "0123456789abcdef"), &t, &err),
        AIFB_OK);
    cr_assert_str_eq(t.address, "unix:/run/a.sock");
    cr_assert_str_eq(t.token, "0123456789abcdef");
    cr_assert_str_eq(t.role, "Viewer");
    cr_assert_str_eq(t.login, "ann");
    plugin_target_free(&t);

    cr_assert_eq(plugin_target_from(app_context("{}", NULL), &t, &err), AIFB_OK);
    cr_assert_str_eq(t.address, PLUGIN_DEFAULT_AIFBD);
    cr_assert_null(t.token);
    plugin_target_free(&t);

    cr_assert_eq(plugin_target_from(NULL, &t, &err), AIFB_OK);
    cr_assert_str_eq(t.address, PLUGIN_DEFAULT_AIFBD);
    cr_assert_str_eq(t.role, "");
    plugin_target_free(&t);

    cr_assert_eq(plugin_target_from(app_context("[1]", NULL), &t, &err), AIFB_EINVAL);
    cr_assert(strstr(err.msg, "jsonData") != NULL, "%s", err.msg);
}

Test(plugin_parts, only_editors_and_admins_may_start_and_stop)
{
    cr_assert(plugin_role_can_edit("Editor"));
    cr_assert(plugin_role_can_edit("Admin"));
    cr_assert_not(plugin_role_can_edit("Viewer"));
    cr_assert_not(plugin_role_can_edit("None"));
    cr_assert_not(plugin_role_can_edit(""));
    cr_assert_not(plugin_role_can_edit("editor"), "Grafana's role names are capitalised");
}

Test(plugin_parts, aifbd_codes_map_to_http_statuses)
{
    cr_assert_eq(plugin_http_status(AIFB_EINVAL), 400);
    cr_assert_eq(plugin_http_status(AIFB_ENOTFOUND), 404);
    cr_assert_eq(plugin_http_status(AIFB_EPRECONDITION), 409);
    cr_assert_eq(plugin_http_status(AIFB_EUNAVAILABLE), 503);
    cr_assert_eq(plugin_http_status(AIFB_EUNAUTHENTICATED), 500);
    cr_assert_eq(plugin_http_status(AIFB_EINTERNAL), 500);
}

Test(plugin_parts, a_frame_is_the_sdks_json_with_nulls_for_missing_values)
{
    plugin_frame *f = plugin_frame_new("runs", "A");
    int t = plugin_frame_field(f, "time", FRAME_TIME, NULL);
    int v = plugin_frame_field(f, "ttft_p50_ms", FRAME_NUMBER, "ms");
    int s = plugin_frame_field(f, "id", FRAME_STRING, NULL);
    plugin_frame_time(f, t, 1700000000000);
    plugin_frame_num(f, v, 12.5);
    plugin_frame_str(f, s, "r-0123456789ab");
    plugin_frame_time(f, t, 1700000001000);
    plugin_frame_num(f, v, NAN);
    plugin_frame_null(f, s);
    size_t len = 0;
    char *text = (char *)plugin_frame_finish(f, FRAME_JSON, &len);
    cr_assert_eq(len, strlen(text));
    json_object *j = json_tokener_parse(text);
    cr_assert_not_null(j, "not JSON: %s", text);
    json_object *schema, *fields, *data, *values;
    cr_assert(json_object_object_get_ex(j, "schema", &schema));
    cr_assert(json_object_object_get_ex(schema, "fields", &fields));
    cr_assert_eq(json_object_array_length(fields), 3);
    json_object *f0 = json_object_array_get_idx(fields, 0), *type, *info, *frame;
    json_object_object_get_ex(f0, "type", &type);
    cr_assert_str_eq(json_object_get_string(type), "time");
    json_object_object_get_ex(f0, "typeInfo", &info);
    json_object_object_get_ex(info, "frame", &frame);
    cr_assert_str_eq(json_object_get_string(frame), "time.Time");
    cr_assert(json_object_object_get_ex(j, "data", &data));
    cr_assert(json_object_object_get_ex(data, "values", &values));
    json_object *times = json_object_array_get_idx(values, 0);
    cr_assert_eq(json_object_get_int64(json_object_array_get_idx(times, 1)), 1700000001000);
    json_object *nums = json_object_array_get_idx(values, 1);
    cr_assert_float_eq(json_object_get_double(json_object_array_get_idx(nums, 0)), 12.5, 1e-9);
    cr_assert_null(json_object_array_get_idx(nums, 1), "NaN is not JSON: it must be null");
    cr_assert_null(json_object_array_get_idx(json_object_array_get_idx(values, 2), 1));
    json_object_put(j);
    free(text);
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The file's framing; its content is read by apache-arrow in the plugin's contract test. */
Test(plugin_parts, an_arrow_frame_is_an_ipc_file_of_two_messages_and_a_footer)
{
    plugin_frame *f = plugin_frame_new("runs", "A");
    int t = plugin_frame_field(f, "time", FRAME_TIME, NULL);
    int s = plugin_frame_field(f, "id", FRAME_STRING, NULL);
    for (int i = 0; i < 100; i++) {
        plugin_frame_time(f, t, 1700000000000 + i);
        plugin_frame_str(f, s, i % 3 ? "r-0123456789ab" : NULL);
    }
    size_t len = 0;
    uint8_t *b = plugin_frame_finish(f, FRAME_ARROW, &len);
    cr_assert_gt(len, 64);
    cr_assert_eq(memcmp(b, "ARROW1\0\0", 8), 0);
    cr_assert_eq(memcmp(b + len - 6, "ARROW1", 6), 0);
    uint32_t footer = le32(b + len - 10);
    cr_assert_lt(footer, len - 10 - 8);
    cr_assert_eq((len - 10 - footer) % 8, 0, "the footer starts 8-aligned");
    /* Schema message, record batch message, end-of-stream marker, then the footer. */
    size_t at = 8;
    for (int m = 0; m < 2; m++) {
        cr_assert_eq(le32(b + at), 0xFFFFFFFFu, "message %d has no continuation marker", m);
        uint32_t meta = le32(b + at + 4);
        cr_assert_eq((meta + 8) % 8, 0);
        at += 8 + meta;
        if (m == 1) /* the body, each buffer padded to 8: 100 int64, the id's validity
                     * bitmap (13 bytes), 101 int32 offsets, 66 ids of 14 bytes */
            at += 800 + 16 + 408 + 928;
    }
    cr_assert_eq(le32(b + at), 0xFFFFFFFFu);
    cr_assert_eq(le32(b + at + 4), 0);
    cr_assert_eq(at + 8, len - 10 - footer);
    free(b);
}

Test(plugin_parts, log_lines_have_the_keys_grafana_parses)
{
    char *line = plugin_log_line(PLOG_WARN, "a \"quoted\" word", 1700000000123456LL);
    json_object *j = json_tokener_parse(line);
    cr_assert_not_null(j, "not JSON: %s", line);
    json_object *v;
    cr_assert(json_object_object_get_ex(j, "@level", &v));
    cr_assert_str_eq(json_object_get_string(v), "warn");
    cr_assert(json_object_object_get_ex(j, "@message", &v));
    cr_assert_str_eq(json_object_get_string(v), "a \"quoted\" word");
    cr_assert(json_object_object_get_ex(j, "@timestamp", &v));
    cr_assert_str_eq(json_object_get_string(v), "2023-11-14T22:13:20.123456Z");
    json_object_put(j);
    free(line);
}

Test(plugin_parts, the_handshake_line_and_the_environment_grafana_sets)
{
    char line[64];
    plugin_handshake_line(43210, line, sizeof line);
    cr_assert_str_eq(line, "1|2|tcp|127.0.0.1:43210|grpc");
    aifb_err err = {0};
    unsetenv("grafana_plugin_type");
    cr_assert_eq(plugin_check_env(&err), AIFB_EPRECONDITION);
    cr_assert(strstr(err.msg, "grafana_plugin_type") != NULL, "%s", err.msg);
    setenv("grafana_plugin_type", "datasource", 1);
    setenv("PLUGIN_PROTOCOL_VERSIONS", "1", 1);
    cr_assert_eq(plugin_check_env(&err), AIFB_EPRECONDITION);
    setenv("PLUGIN_PROTOCOL_VERSIONS", "1,2", 1);
    cr_assert_eq(plugin_check_env(&err), AIFB_OK);
}
