/* pbjson_in.c: JSON -> protobuf-c message (see pbjson.h for the mapping).
 *
 * message_from_json() allocates a message, initialises it with its defaults and sets one field
 * per JSON member; value_from_json() converts one JSON value into one field's storage, and only
 * writes the storage when the conversion succeeded, so a message half-filled when an error
 * strikes is always consistent enough for protobuf_c_message_free_unpacked(). A path
 * ("runs[0].params.clients") follows the descent so every refusal names the field. */
#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "pbjson.h"
#include "pbjson_internal.h"

/* The dotted path of the value being converted, for messages. */
typedef struct pbjson_path {
    char buf[256];
    size_t len;
} pbjson_path;

static size_t path_grew(pbjson_path *p, size_t old, int n)
{
    if (n > 0)
        p->len = old + (size_t)n < sizeof p->buf ? old + (size_t)n : sizeof p->buf - 1;
    return old;
}

/* Appends ".name" (or "name" at the top) and returns the length to pop back to. */
static size_t path_push_name(pbjson_path *p, const char *name)
{
    size_t old = p->len;
    return path_grew(p, old,
                     snprintf(p->buf + old, sizeof p->buf - old, "%s%s", old ? "." : "", name));
}

/* Appends "[i]". */
static size_t path_push_index(pbjson_path *p, size_t i)
{
    size_t old = p->len;
    return path_grew(p, old, snprintf(p->buf + old, sizeof p->buf - old, "[%zu]", i));
}

static void path_pop(pbjson_path *p, size_t old)
{
    p->len = old;
    p->buf[old] = '\0';
}

/* A short rendering of a JSON value for messages ("true", "\"abc\"", "{...}"). */
static const char *json_show(json_object *v, char *buf, size_t size)
{
    if (json_object_is_type(v, json_type_object))
        return "an object";
    if (json_object_is_type(v, json_type_array))
        return "an array";
    const char *s = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
    if (strlen(s) > 40)
        snprintf(buf, size, "%.37s...", s);
    else
        snprintf(buf, size, "%s", s);
    return buf;
}

static aifb_code wrong_type(const pbjson_path *p, const char *expected, json_object *v,
                            aifb_err *err)
{
    char shown[48];
    return aifb_err_set(err, AIFB_EINVAL, "field '%s': expected %s, got %s", p->buf, expected,
                        json_show(v, shown, sizeof shown));
}

/* ---- numbers ------------------------------------------------------------------------------ */

typedef enum { NUM_OK, NUM_WRONG_TYPE, NUM_OUT_OF_RANGE } num_status;

/* A decimal integer in a string, the whole string. */
static num_status integer_from_string(const char *s, bool is_unsigned, int64_t *si, uint64_t *ui)
{
    if (!(isdigit((unsigned char)s[0]) || (s[0] == '-' && isdigit((unsigned char)s[1]))))
        return NUM_WRONG_TYPE;
    if (is_unsigned && s[0] == '-')
        return NUM_OUT_OF_RANGE;
    char *end;
    errno = 0;
    if (is_unsigned)
        *ui = strtoull(s, &end, 10);
    else
        *si = strtoll(s, &end, 10);
    if (*end)
        return NUM_WRONG_TYPE;
    return errno == ERANGE ? NUM_OUT_OF_RANGE : NUM_OK;
}

/* A double that holds an integer value (12.0 or 1e3 written by a script). */
static num_status integer_from_double(double d, bool is_unsigned, int64_t *si, uint64_t *ui)
{
    if (!isfinite(d) || d != trunc(d))
        return NUM_WRONG_TYPE;
    if (is_unsigned) {
        if (d < 0 || d >= 18446744073709551616.0)
            return NUM_OUT_OF_RANGE;
        *ui = (uint64_t)d;
    } else {
        if (d < -9223372036854775808.0 || d >= 9223372036854775808.0)
            return NUM_OUT_OF_RANGE;
        *si = (int64_t)d;
    }
    return NUM_OK;
}

/* Any JSON integer, integral double or decimal string, as int64 or uint64. */
static num_status integer_from_json(json_object *v, bool is_unsigned, int64_t *si, uint64_t *ui)
{
    switch (json_object_get_type(v)) {
    case json_type_int: {
        int64_t i = json_object_get_int64(v);
        uint64_t u = json_object_get_uint64(v);
        if (is_unsigned) {
            if (i < 0)
                return NUM_OUT_OF_RANGE;
            *ui = u;
        } else {
            /* json-c keeps numbers above INT64_MAX as uint64; get_int64 clamps them. */
            if (i == INT64_MAX && u > (uint64_t)INT64_MAX)
                return NUM_OUT_OF_RANGE;
            *si = i;
        }
        return NUM_OK;
    }
    case json_type_double:
        return integer_from_double(json_object_get_double(v), is_unsigned, si, ui);
    case json_type_string:
        return integer_from_string(json_object_get_string(v), is_unsigned, si, ui);
    default:
        return NUM_WRONG_TYPE;
    }
}

static aifb_code integer_field(const ProtobufCFieldDescriptor *f, json_object *v, void *slot,
                               const pbjson_path *p, aifb_err *err)
{
    bool is_unsigned = f->type == PROTOBUF_C_TYPE_UINT32 || f->type == PROTOBUF_C_TYPE_FIXED32 ||
                       f->type == PROTOBUF_C_TYPE_UINT64 || f->type == PROTOBUF_C_TYPE_FIXED64;
    bool is_32 = pbjson_type_size(f->type) == 4;
    int64_t si = 0;
    uint64_t ui = 0;
    num_status st = integer_from_json(v, is_unsigned, &si, &ui);
    if (st == NUM_WRONG_TYPE)
        return wrong_type(p, "an integer", v, err);
    if (st == NUM_OK && is_32)
        st = is_unsigned ? (ui > UINT32_MAX ? NUM_OUT_OF_RANGE : NUM_OK)
                         : (si < INT32_MIN || si > INT32_MAX ? NUM_OUT_OF_RANGE : NUM_OK);
    if (st == NUM_OUT_OF_RANGE) {
        char shown[48];
        return aifb_err_set(err, AIFB_EINVAL, "field '%s': %s is out of range for %s%d", p->buf,
                            json_show(v, shown, sizeof shown), is_unsigned ? "uint" : "int",
                            is_32 ? 32 : 64);
    }
    if (is_32 && is_unsigned)
        *(uint32_t *)slot = (uint32_t)ui;
    else if (is_32)
        *(int32_t *)slot = (int32_t)si;
    else if (is_unsigned)
        *(uint64_t *)slot = ui;
    else
        *(int64_t *)slot = si;
    return AIFB_OK;
}

/* A JSON number, or a string holding a number or "NaN" / "Infinity" / "-Infinity". */
static bool double_from_json(json_object *v, double *out)
{
    json_type t = json_object_get_type(v);
    if (t == json_type_int) {
        int64_t i = json_object_get_int64(v);
        *out = i == INT64_MAX ? (double)json_object_get_uint64(v) : (double)i;
        return true;
    }
    if (t == json_type_double) {
        *out = json_object_get_double(v);
        return true;
    }
    if (t != json_type_string)
        return false;
    const char *s = json_object_get_string(v);
    if (strcmp(s, "NaN") == 0 || strcmp(s, "Infinity") == 0 || strcmp(s, "-Infinity") == 0) {
        *out = s[0] == 'N' ? NAN : s[0] == '-' ? -INFINITY : INFINITY;
        return true;
    }
    if (!s[0] || isspace((unsigned char)s[0]))
        return false;
    char *end;
    *out = strtod(s, &end);
    /* strtod also reads "nan", "inf" and hex; only plain decimal text is a JSON number. */
    return !*end && isfinite(*out) && !strpbrk(s, "xXnN");
}

static aifb_code float_field(const ProtobufCFieldDescriptor *f, json_object *v, void *slot,
                             const pbjson_path *p, aifb_err *err)
{
    double d;
    if (!double_from_json(v, &d))
        return wrong_type(p, "a number", v, err);
    if (f->type == PROTOBUF_C_TYPE_DOUBLE) {
        *(double *)slot = d;
        return AIFB_OK;
    }
    if (isfinite(d) && fabs(d) > FLT_MAX) {
        char shown[48];
        return aifb_err_set(err, AIFB_EINVAL, "field '%s': %s is out of range for float", p->buf,
                            json_show(v, shown, sizeof shown));
    }
    *(float *)slot = (float)d;
    return AIFB_OK;
}

/* ---- other scalars ------------------------------------------------------------------------ */

static aifb_code enum_field(const ProtobufCFieldDescriptor *f, json_object *v, void *slot,
                            const pbjson_path *p, aifb_err *err)
{
    const ProtobufCEnumDescriptor *ed = f->descriptor;
    const ProtobufCEnumValue *ev = NULL;
    char shown[48];
    if (json_object_is_type(v, json_type_string))
        ev = protobuf_c_enum_descriptor_get_value_by_name(ed, json_object_get_string(v));
    else if (json_object_is_type(v, json_type_int))
        ev = protobuf_c_enum_descriptor_get_value(ed, json_object_get_int(v));
    else
        return wrong_type(p, "an enum value name or number", v, err);
    if (!ev)
        return aifb_err_set(err, AIFB_EINVAL, "field '%s': %s is not a value of %s", p->buf,
                            json_show(v, shown, sizeof shown), ed->name);
    *(int *)slot = ev->value;
    return AIFB_OK;
}

static aifb_code string_field(json_object *v, void *slot, const pbjson_path *p, aifb_err *err)
{
    if (!json_object_is_type(v, json_type_string))
        return wrong_type(p, "a string", v, err);
    const char *s = json_object_get_string(v);
    /* protobuf-c strings end at the first NUL: an embedded one would silently cut the value. */
    if (strlen(s) != (size_t)json_object_get_string_len(v))
        return aifb_err_set(err, AIFB_EINVAL, "field '%s': the string contains a NUL character",
                            p->buf);
    *(char **)slot = xstrdup(s);
    return AIFB_OK;
}

static aifb_code bytes_field(json_object *v, void *slot, const pbjson_path *p, aifb_err *err)
{
    if (!json_object_is_type(v, json_type_string))
        return wrong_type(p, "a base64 string", v, err);
    ProtobufCBinaryData *b = slot;
    uint8_t *data;
    size_t len;
    if (!pbjson_base64_decode(json_object_get_string(v), &data, &len))
        return wrong_type(p, "a base64 string", v, err);
    b->data = data;
    b->len = len;
    return AIFB_OK;
}

static aifb_code message_from_json(const ProtobufCMessageDescriptor *d, json_object *j,
                                   ProtobufCMessage **out, pbjson_path *p, aifb_err *err);

/* One value of field f into slot (one element for repeated fields). */
static aifb_code value_from_json(const ProtobufCFieldDescriptor *f, json_object *v, void *slot,
                                 pbjson_path *p, aifb_err *err)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_FLOAT:
    case PROTOBUF_C_TYPE_DOUBLE:
        return float_field(f, v, slot, p, err);
    case PROTOBUF_C_TYPE_BOOL:
        if (!json_object_is_type(v, json_type_boolean))
            return wrong_type(p, "true or false", v, err);
        *(protobuf_c_boolean *)slot = json_object_get_boolean(v);
        return AIFB_OK;
    case PROTOBUF_C_TYPE_ENUM:
        return enum_field(f, v, slot, p, err);
    case PROTOBUF_C_TYPE_STRING:
        return string_field(v, slot, p, err);
    case PROTOBUF_C_TYPE_BYTES:
        return bytes_field(v, slot, p, err);
    case PROTOBUF_C_TYPE_MESSAGE:
        if (json_object_is_type(v, json_type_null)) {
            *(ProtobufCMessage **)slot = NULL;
            return AIFB_OK;
        }
        return message_from_json(f->descriptor, v, (ProtobufCMessage **)slot, p, err);
    default:
        return integer_field(f, v, slot, p, err);
    }
}

/* ---- repeated fields and maps --------------------------------------------------------------- */

static aifb_code array_field(const ProtobufCFieldDescriptor *f, json_object *v, ProtobufCMessage *m,
                             pbjson_path *p, aifb_err *err)
{
    if (!json_object_is_type(v, json_type_array))
        return wrong_type(p, "an array", v, err);
    size_t n = json_object_array_length(v), size = pbjson_type_size(f->type);
    if (n == 0)
        return AIFB_OK;
    size_t *count = PBJSON_MEMBER(m, f->quantifier_offset);
    char *arr = xcalloc(n, size);
    *(char **)PBJSON_MEMBER(m, f->offset) = arr;
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(v, i);
        size_t old = path_push_index(p, i);
        aifb_code rc = json_object_is_type(e, json_type_null)
                           ? wrong_type(p, "a value (null is not allowed in a list)", e, err)
                           : value_from_json(f, e, arr + i * size, p, err);
        if (rc != AIFB_OK)
            return rc;
        path_pop(p, old);
        *count = i + 1;
    }
    return AIFB_OK;
}

/* A map key comes as JSON object key text; the entry's key field may be any scalar type. */
static aifb_code map_key_from_text(const ProtobufCFieldDescriptor *kf, const char *key, void *slot,
                                   pbjson_path *p, aifb_err *err)
{
    json_object *k;
    if (kf->type == PROTOBUF_C_TYPE_BOOL && (!strcmp(key, "true") || !strcmp(key, "false")))
        k = json_object_new_boolean(key[0] == 't');
    else
        k = json_object_new_string(key);
    aifb_code rc = value_from_json(kf, k, slot, p, err);
    json_object_put(k);
    return rc;
}

static aifb_code map_entry_from_json(const ProtobufCMessageDescriptor *ed, const char *key,
                                     json_object *val, ProtobufCMessage **out, pbjson_path *p,
                                     aifb_err *err)
{
    ProtobufCMessage *e = xcalloc(1, ed->sizeof_message);
    ed->message_init(e);
    aifb_code rc =
        map_key_from_text(&ed->fields[0], key, PBJSON_MEMBER(e, ed->fields[0].offset), p, err);
    if (rc == AIFB_OK && json_object_is_type(val, json_type_null))
        rc = wrong_type(p, "a value (null is not allowed in a map)", val, err);
    if (rc == AIFB_OK)
        rc = value_from_json(&ed->fields[1], val, PBJSON_MEMBER(e, ed->fields[1].offset), p, err);
    if (rc != AIFB_OK) {
        protobuf_c_message_free_unpacked(e, NULL);
        return rc;
    }
    *out = e;
    return AIFB_OK;
}

static aifb_code map_field(const ProtobufCFieldDescriptor *f, json_object *v, ProtobufCMessage *m,
                           pbjson_path *p, aifb_err *err)
{
    if (!json_object_is_type(v, json_type_object))
        return wrong_type(p, "an object (a map)", v, err);
    size_t n = (size_t)json_object_object_length(v);
    if (n == 0)
        return AIFB_OK;
    size_t *count = PBJSON_MEMBER(m, f->quantifier_offset);
    ProtobufCMessage **arr = xcalloc(n, sizeof *arr);
    *(ProtobufCMessage ***)PBJSON_MEMBER(m, f->offset) = arr;
    json_object_object_foreach(v, key, val)
    {
        size_t old = path_push_name(p, key);
        aifb_code rc = map_entry_from_json(f->descriptor, key, val, &arr[*count], p, err);
        if (rc != AIFB_OK)
            return rc;
        path_pop(p, old);
        (*count)++;
    }
    return AIFB_OK;
}

/* ---- messages ------------------------------------------------------------------------------- */

/* Whether key is the lowerCamelCase spelling of the snake_case name ("page_size" "pageSize"). */
static bool camel_matches(const char *snake, const char *key)
{
    for (; *snake; snake++, key++) {
        if (*snake == '_' && snake[1]) {
            snake++;
            if (*key != toupper((unsigned char)*snake))
                return false;
        } else if (*key != *snake) {
            return false;
        }
    }
    return *key == '\0';
}

static const ProtobufCFieldDescriptor *field_by_json_name(const ProtobufCMessageDescriptor *d,
                                                          const char *key)
{
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(d, key);
    for (unsigned i = 0; !f && i < d->n_fields; i++)
        if (camel_matches(d->fields[i].name, key))
            f = &d->fields[i];
    return f;
}

/* Sets field f of m from v, which is not JSON null. */
static aifb_code field_from_json(const ProtobufCFieldDescriptor *f, json_object *v,
                                 ProtobufCMessage *m, pbjson_path *p, aifb_err *err)
{
    if (f->label == PROTOBUF_C_LABEL_REPEATED)
        return pbjson_field_is_map(f) ? map_field(f, v, m, p, err) : array_field(f, v, m, p, err);
    void *slot = PBJSON_MEMBER(m, f->offset);
    uint32_t *oneof_case = NULL;
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        oneof_case = PBJSON_MEMBER(m, f->quantifier_offset);
        if (*oneof_case != 0)
            return aifb_err_set(err, AIFB_EINVAL,
                                "field '%s': another member of its oneof is already set", p->buf);
    }
    aifb_code rc = value_from_json(f, v, slot, p, err);
    if (rc != AIFB_OK)
        return rc;
    if (oneof_case)
        *oneof_case = f->id;
    else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->type != PROTOBUF_C_TYPE_MESSAGE &&
             f->type != PROTOBUF_C_TYPE_STRING)
        *(protobuf_c_boolean *)PBJSON_MEMBER(m, f->quantifier_offset) = 1;
    return AIFB_OK;
}

/* Every member of the JSON object j into m; seen[] catches a field given under both names. */
static aifb_code fields_from_json(const ProtobufCMessageDescriptor *d, json_object *j,
                                  ProtobufCMessage *m, bool *seen, pbjson_path *p, aifb_err *err)
{
    json_object_object_foreach(j, key, val)
    {
        const ProtobufCFieldDescriptor *f = field_by_json_name(d, key);
        size_t old = path_push_name(p, f ? f->name : key);
        if (!f)
            return aifb_err_set(err, AIFB_EINVAL, "unknown field '%s' (%s has no field '%s')",
                                p->buf, d->name, key);
        if (seen[f - d->fields])
            return aifb_err_set(err, AIFB_EINVAL, "field '%s' is given twice", p->buf);
        seen[f - d->fields] = true;
        /* null means "the default", as in proto3 JSON. */
        if (!json_object_is_type(val, json_type_null)) {
            aifb_code rc = field_from_json(f, val, m, p, err);
            if (rc != AIFB_OK)
                return rc;
        }
        path_pop(p, old);
    }
    return AIFB_OK;
}

static aifb_code message_from_json(const ProtobufCMessageDescriptor *d, json_object *j,
                                   ProtobufCMessage **out, pbjson_path *p, aifb_err *err)
{
    if (!json_object_is_type(j, json_type_object)) {
        if (p->len)
            return wrong_type(p, "an object", j, err);
        char shown[48];
        return aifb_err_set(err, AIFB_EINVAL, "expected a JSON object for %s, got %s", d->name,
                            json_show(j, shown, sizeof shown));
    }
    ProtobufCMessage *m = xcalloc(1, d->sizeof_message);
    d->message_init(m);
    bool *seen = xcalloc(d->n_fields ? d->n_fields : 1, sizeof *seen);
    aifb_code rc = fields_from_json(d, j, m, seen, p, err);
    free(seen);
    if (rc != AIFB_OK) {
        protobuf_c_message_free_unpacked(m, NULL);
        return rc;
    }
    *out = m;
    return AIFB_OK;
}

aifb_code pbjson_to_message(const ProtobufCMessageDescriptor *d, json_object *j,
                            ProtobufCMessage **out, aifb_err *err)
{
    *out = NULL;
    pbjson_path p = {.len = 0};
    if (!j || json_object_is_type(j, json_type_null)) {
        ProtobufCMessage *m = xcalloc(1, d->sizeof_message);
        d->message_init(m);
        *out = m;
        return AIFB_OK;
    }
    return message_from_json(d, j, out, &p, err);
}
