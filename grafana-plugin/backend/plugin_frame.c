/* plugin_frame.c: data frames, in the two encodings Grafana reads from QueryData.
 *
 * A frame is columns (fields) of one type each, every one nullable (a run not ended yet, a
 * metric one run lacks): strings, numbers (float64) and times (epoch milliseconds here).
 * plugin_frame_finish writes it as Grafana asked:
 *   - Arrow (DataFrameFormat ARROW, what Grafana asks for unless told otherwise): an Arrow IPC
 *     file with the SDK's metadata (plugin_arrow.c); times become nanosecond timestamps;
 *   - JSON (DataFrameFormat JSON): the SDK's JSON encoding, schema apart from values:
 *       {"schema": {"name": ..., "refId": ..., "fields": [{"name": "time", "type": "time",
 *                   "typeInfo": {"frame": "time.Time", "nullable": true}, "config": {...}}, ...]},
 *        "data": {"values": [[column 0...], [column 1...]]}}
 *     with times as epoch milliseconds and a missing value as null.
 * A column shorter than the longest is filled with nulls. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "plugin.h"
#include "plugin_arrow.h"

typedef struct column {
    char *name;
    frame_type type;
    char *unit;
    size_t n, cap;
    uint8_t *valid;
    double *num; /* FRAME_NUMBER */
    int64_t *ms; /* FRAME_TIME */
    char **str;  /* FRAME_STRING */
} column;

struct plugin_frame {
    char *name, *ref_id;
    column *cols;
    size_t ncols;
};

plugin_frame *plugin_frame_new(const char *name, const char *ref_id)
{
    plugin_frame *f = xcalloc(1, sizeof *f);
    f->name = xstrdup(name ? name : "");
    f->ref_id = xstrdup(ref_id ? ref_id : "");
    return f;
}

int plugin_frame_field(plugin_frame *f, const char *name, frame_type type, const char *unit)
{
    f->cols = xrealloc(f->cols, (f->ncols + 1) * sizeof *f->cols);
    column *c = &f->cols[f->ncols];
    memset(c, 0, sizeof *c);
    c->name = xstrdup(name);
    c->type = type;
    c->unit = unit && *unit ? xstrdup(unit) : NULL;
    return (int)f->ncols++;
}

/* Room for one more value in column field; returns its row. */
static size_t next_row(plugin_frame *f, int field)
{
    column *c = &f->cols[field];
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 16;
        c->valid = xrealloc(c->valid, c->cap);
        if (c->type == FRAME_NUMBER)
            c->num = xrealloc(c->num, c->cap * sizeof *c->num);
        else if (c->type == FRAME_TIME)
            c->ms = xrealloc(c->ms, c->cap * sizeof *c->ms);
        else
            c->str = xrealloc(c->str, c->cap * sizeof *c->str);
    }
    size_t r = c->n++;
    c->valid[r] = 0;
    if (c->type == FRAME_NUMBER)
        c->num[r] = 0;
    else if (c->type == FRAME_TIME)
        c->ms[r] = 0;
    else
        c->str[r] = NULL;
    return r;
}

void plugin_frame_str(plugin_frame *f, int field, const char *s)
{
    column *c = &f->cols[field];
    size_t r = next_row(f, field);
    if (s && c->type == FRAME_STRING) {
        c->str[r] = xstrdup(s);
        c->valid[r] = 1;
    }
}

void plugin_frame_num(plugin_frame *f, int field, double v)
{
    column *c = &f->cols[field];
    size_t r = next_row(f, field);
    if (isfinite(v) && c->type == FRAME_NUMBER) {
        c->num[r] = v;
        c->valid[r] = 1;
    }
}

void plugin_frame_time(plugin_frame *f, int field, int64_t epoch_ms)
{
    column *c = &f->cols[field];
    size_t r = next_row(f, field);
    if (c->type == FRAME_TIME) {
        c->ms[r] = epoch_ms;
        c->valid[r] = 1;
    }
}

void plugin_frame_null(plugin_frame *f, int field)
{
    next_row(f, field);
}

static size_t frame_rows(const plugin_frame *f)
{
    size_t rows = 0;
    for (size_t i = 0; i < f->ncols; i++)
        rows = f->cols[i].n > rows ? f->cols[i].n : rows;
    return rows;
}

static char *config_json(const column *c)
{
    if (!c->unit)
        return NULL;
    json_object *config = json_object_new_object();
    json_object_object_add(config, "unit", json_object_new_string(c->unit));
    char *s = xstrdup(json_object_to_json_string_ext(config, JSON_C_TO_STRING_PLAIN));
    json_object_put(config);
    return s;
}

static uint8_t *finish_json(const plugin_frame *f, size_t rows, size_t *len)
{
    static const char *const types[] = {"string", "number", "time"};
    static const char *const go_types[] = {"string", "float64", "time.Time"};
    json_object *schema = json_object_new_object();
    json_object_object_add(schema, "name", json_object_new_string(f->name));
    if (*f->ref_id)
        json_object_object_add(schema, "refId", json_object_new_string(f->ref_id));
    json_object *fields = json_object_new_array();
    json_object *values = json_object_new_array();
    for (size_t i = 0; i < f->ncols; i++) {
        const column *c = &f->cols[i];
        json_object *field = json_object_new_object();
        json_object_object_add(field, "name", json_object_new_string(c->name));
        json_object_object_add(field, "type", json_object_new_string(types[c->type]));
        json_object *info = json_object_new_object();
        json_object_object_add(info, "frame", json_object_new_string(go_types[c->type]));
        json_object_object_add(info, "nullable", json_object_new_boolean(1));
        json_object_object_add(field, "typeInfo", info);
        if (c->unit) {
            json_object *config = json_object_new_object();
            json_object_object_add(config, "unit", json_object_new_string(c->unit));
            json_object_object_add(field, "config", config);
        }
        json_object_array_add(fields, field);
        json_object *col = json_object_new_array();
        for (size_t r = 0; r < rows; r++) {
            json_object *v = NULL;
            if (r < c->n && c->valid[r])
                v = c->type == FRAME_NUMBER ? json_object_new_double(c->num[r])
                    : c->type == FRAME_TIME ? json_object_new_int64(c->ms[r])
                                            : json_object_new_string(c->str[r]);
            json_object_array_add(col, v);
        }
        json_object_array_add(values, col);
    }
    json_object_object_add(schema, "fields", fields);
    json_object *data = json_object_new_object();
    json_object_object_add(data, "values", values);
    json_object *frame = json_object_new_object();
    json_object_object_add(frame, "schema", schema);
    json_object_object_add(frame, "data", data);
    size_t n = 0;
    const char *text = json_object_to_json_string_length(frame, JSON_C_TO_STRING_PLAIN, &n);
    uint8_t *out = xmalloc(n + 1);
    memcpy(out, text, n + 1);
    json_object_put(frame);
    *len = n;
    return out;
}

static uint8_t *finish_arrow(const plugin_frame *f, size_t rows, size_t *len)
{
    static const arrow_type types[] = {ARROW_UTF8, ARROW_FLOAT64, ARROW_TIMESTAMP_NS};
    arrow_column *ac = xcalloc(f->ncols ? f->ncols : 1, sizeof *ac);
    for (size_t i = 0; i < f->ncols; i++) {
        const column *c = &f->cols[i];
        uint8_t *valid = xcalloc(rows ? rows : 1, 1);
        memcpy(valid, c->valid, c->n);
        ac[i] = (arrow_column){
            .name = c->name, .type = types[c->type], .valid = valid, .config_json = config_json(c)};
        if (c->type == FRAME_NUMBER) {
            double *v = xcalloc(rows ? rows : 1, sizeof *v);
            memcpy(v, c->num, c->n * sizeof *v);
            ac[i].f64 = v;
        } else if (c->type == FRAME_TIME) {
            int64_t *v = xcalloc(rows ? rows : 1, sizeof *v);
            for (size_t r = 0; r < c->n; r++)
                v[r] = c->ms[r] * 1000000;
            ac[i].i64 = v;
        } else {
            char **v = xcalloc(rows ? rows : 1, sizeof *v);
            memcpy(v, c->str, c->n * sizeof *v);
            ac[i].str = v;
        }
    }
    uint8_t *out = arrow_file_write(f->name, f->ref_id, ac, f->ncols, rows, len);
    for (size_t i = 0; i < f->ncols; i++) {
        free((void *)ac[i].valid);
        free((void *)ac[i].config_json);
        free((void *)ac[i].f64);
        free((void *)ac[i].i64);
        free((void *)ac[i].str);
    }
    free(ac);
    return out;
}

uint8_t *plugin_frame_finish(plugin_frame *f, frame_format format, size_t *len)
{
    size_t rows = frame_rows(f);
    uint8_t *out = format == FRAME_ARROW ? finish_arrow(f, rows, len) : finish_json(f, rows, len);
    for (size_t i = 0; i < f->ncols; i++) {
        column *c = &f->cols[i];
        if (c->str)
            for (size_t r = 0; r < c->n; r++)
                free(c->str[r]);
        free(c->name);
        free(c->unit);
        free(c->valid);
        free(c->num);
        free(c->ms);
        free(c->str);
    }
    free(f->cols);
    free(f->name);
    free(f->ref_id);
    free(f);
    return out;
}
