/* plugin_frame.c: data frames in the grafana-plugin-sdk-go's JSON encoding.
 *
 * A frame is columns (fields) of one type each; Grafana's JSON form keeps the schema apart from
 * the values:
 *   {"schema": {"name": ..., "refId": ..., "fields": [{"name": "time", "type": "time",
 *               "typeInfo": {"frame": "time.Time", "nullable": true}, "config": {...}}, ...]},
 *    "data": {"values": [[column 0...], [column 1...]]}}
 * Times are epoch milliseconds. Every field is declared nullable, so a missing value (a run not
 * ended yet, a metric one run lacks) is a JSON null. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "plugin.h"

struct plugin_frame {
    json_object *fields; /* schema.fields */
    json_object *values; /* data.values: one array per field */
    json_object *schema;
};

plugin_frame *plugin_frame_new(const char *name, const char *ref_id)
{
    plugin_frame *f = xcalloc(1, sizeof *f);
    f->schema = json_object_new_object();
    json_object_object_add(f->schema, "name", json_object_new_string(name ? name : ""));
    if (ref_id && *ref_id)
        json_object_object_add(f->schema, "refId", json_object_new_string(ref_id));
    f->fields = json_object_new_array();
    f->values = json_object_new_array();
    return f;
}

int plugin_frame_field(plugin_frame *f, const char *name, frame_type type, const char *unit)
{
    static const char *const types[] = {"string", "number", "time"};
    static const char *const go_types[] = {"string", "float64", "time.Time"};
    json_object *field = json_object_new_object();
    json_object_object_add(field, "name", json_object_new_string(name));
    json_object_object_add(field, "type", json_object_new_string(types[type]));
    json_object *info = json_object_new_object();
    json_object_object_add(info, "frame", json_object_new_string(go_types[type]));
    json_object_object_add(info, "nullable", json_object_new_boolean(1));
    json_object_object_add(field, "typeInfo", info);
    if (unit && *unit) {
        json_object *config = json_object_new_object();
        json_object_object_add(config, "unit", json_object_new_string(unit));
        json_object_object_add(field, "config", config);
    }
    json_object_array_add(f->fields, field);
    json_object_array_add(f->values, json_object_new_array());
    return (int)json_object_array_length(f->fields) - 1;
}

static void put(plugin_frame *f, int field, json_object *v)
{
    json_object_array_add(json_object_array_get_idx(f->values, (size_t)field), v);
}

void plugin_frame_str(plugin_frame *f, int field, const char *s)
{
    put(f, field, s ? json_object_new_string(s) : NULL);
}

void plugin_frame_num(plugin_frame *f, int field, double v)
{
    put(f, field, isfinite(v) ? json_object_new_double(v) : NULL);
}

void plugin_frame_time(plugin_frame *f, int field, int64_t epoch_ms)
{
    put(f, field, json_object_new_int64(epoch_ms));
}

void plugin_frame_null(plugin_frame *f, int field)
{
    put(f, field, NULL);
}

char *plugin_frame_finish(plugin_frame *f, size_t *len)
{
    json_object_object_add(f->schema, "fields", f->fields);
    json_object *data = json_object_new_object();
    json_object_object_add(data, "values", f->values);
    json_object *frame = json_object_new_object();
    json_object_object_add(frame, "schema", f->schema);
    json_object_object_add(frame, "data", data);
    size_t n = 0;
    const char *text = json_object_to_json_string_length(frame, JSON_C_TO_STRING_PLAIN, &n);
    char *out = xmalloc(n + 1);
    memcpy(out, text, n + 1);
    json_object_put(frame);
    free(f);
    if (len)
        *len = n;
    return out;
}
