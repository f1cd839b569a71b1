/* plugin_arrow.h: one data frame as an Apache Arrow IPC file, the encoding Grafana reads from a
 * backend plugin's QueryData (DataFrameFormat ARROW, what every Grafana version asks for).
 *
 * The grafana-plugin-sdk-go's layout: the schema's metadata carries the frame's "name" and
 * "refId"; each field's metadata its "name" and, when set, its "config" (field config as JSON).
 * Columns are nullable Utf8, Float64 or Timestamp(nanosecond, "UTC"); one record batch. */
#ifndef AIFB_PLUGIN_ARROW_H
#define AIFB_PLUGIN_ARROW_H

#include <stddef.h>
#include <stdint.h>

typedef enum { ARROW_UTF8, ARROW_FLOAT64, ARROW_TIMESTAMP_NS } arrow_type;

typedef struct arrow_column {
    const char *name;
    arrow_type type;
    const char *config_json; /* the field's config as JSON, or NULL */
    const uint8_t *valid;    /* one flag per row: 0 is null */
    const double *f64;       /* ARROW_FLOAT64 values */
    const int64_t *i64;      /* ARROW_TIMESTAMP_NS values, nanoseconds since the epoch */
    char *const *str;        /* ARROW_UTF8 values (NULL where not valid) */
} arrow_column;

/* The Arrow IPC file ("ARROW1", schema, one record batch of rows rows, footer) of the columns;
 * *len its size. The caller frees it. */
uint8_t *arrow_file_write(const char *frame_name, const char *ref_id, const arrow_column *cols,
                          size_t ncols, size_t rows, size_t *len);

#endif
