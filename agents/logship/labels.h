/* labels.h: the labels aifb-logship puts on its streams, and the streams themselves.
 *
 * Every line is shipped under a small, fixed label set: app (default "aifb"), node (the short
 * host name), run_id and role when given, and stream (stdout for a .out file, stderr for .err,
 * "file" otherwise), plus whatever --label adds. Nothing unbounded ever becomes a label (not a
 * path, not a line): Loki indexes labels, and every distinct set is a stream of its own.
 *
 * Names must be valid Prometheus label names ([a-zA-Z_][a-zA-Z0-9_]*, not starting with "__",
 * which Loki reserves), values valid UTF-8; at most LS_LABELS_MAX labels and Loki's default
 * length limits. A stream's labels are sent as a selector string, {app="aifb", run_id="r-1"},
 * sorted by name and escaped as Loki's (PromQL's) parser reads a double-quoted string; in JSON
 * mode as an object.
 *
 * ls_streams keeps every label set lines have been shipped under, each with the timestamp of its
 * last line, so that timestamps are strictly increasing within a stream (Loki keeps two lines
 * with the same timestamp and text only once). */
#ifndef AIFB_LOGSHIP_LABELS_H
#define AIFB_LOGSHIP_LABELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/util.h"

#define LS_LABELS_MAX      15   /* Loki's default max_label_names_per_series */
#define LS_LABEL_NAME_MAX  1024 /* Loki's default max_label_name_length */
#define LS_LABEL_VALUE_MAX 2048 /* Loki's default max_label_value_length */

typedef struct ls_label {
    char *name, *value;
} ls_label;

typedef struct ls_labels {
    ls_label *v;
    size_t n;
} ls_labels;

/* Whether name is a label name Loki accepts from a client. */
bool ls_label_name_valid(const char *name);

/* Sets name to value (adding it or replacing the value it had); an empty value removes the
 * label. AIFB_EINVAL naming the problem: an invalid name, a value that is not UTF-8 or too long,
 * more than LS_LABELS_MAX labels. */
aifb_code ls_labels_set(ls_labels *l, const char *name, const char *value, aifb_err *err);
/* ls_labels_set from "name=value" (as --label gives it). */
aifb_code ls_labels_set_arg(ls_labels *l, const char *arg, aifb_err *err);
/* The value of name, or NULL. */
const char *ls_labels_get(const ls_labels *l, const char *name);
void ls_labels_free(ls_labels *l);

/* The selector string of the labels, sorted by name: {a="x", b="y \"quoted\""}. malloc'd. */
char *ls_labels_selector(const ls_labels *l);
/* Appends the labels as a JSON object, sorted by name: {"a":"x","b":"y"}. */
void ls_labels_json(const ls_labels *l, abuf *out);

/* The stream label of a file from its name: "stdout" for *.out, "stderr" for *.err, else
 * "file". A static string. */
const char *ls_stream_of_path(const char *path);

/* ---- streams --------------------------------------------------------------------------------- */

typedef struct ls_stream {
    char *name;     /* the value of its stream label */
    char *selector; /* its labels for protobuf */
    char *json;     /* its labels for JSON */
    int64_t last_ts;
} ls_stream;

typedef struct ls_streams {
    ls_labels base; /* every label but stream */
    ls_stream *v;
    size_t n, cap;
} ls_streams;

/* Streams made from base (taken: the streams own it from now on). */
void ls_streams_init(ls_streams *s, ls_labels *base);
void ls_streams_free(ls_streams *s);

/* The stream whose stream label is name (created the first time), as an index into s->v. When
 * the base labels hold a stream label of their own (--label stream=X), that one wins. */
uint32_t ls_streams_get(ls_streams *s, const char *name);

/* A timestamp for the next line of stream id read at now_ns: now_ns, or one nanosecond after the
 * stream's last line when the clock has not moved past it. */
static inline int64_t ls_streams_stamp(ls_streams *s, uint32_t id, int64_t now_ns)
{
    ls_stream *st = &s->v[id];
    int64_t ts = now_ns > st->last_ts ? now_ns : st->last_ts + 1;
    st->last_ts = ts;
    return ts;
}

#endif
