/* pbjson_out.c: protobuf-c message -> JSON (see pbjson.h for the mapping).
 *
 * pbjson_from_message() walks the descriptor's fields in declaration order; value_to_json()
 * turns one stored value into JSON, and map fields become objects keyed by their entries' keys. */
#include <math.h>
#include <stdlib.h>

#include "common/util.h"
#include "pbjson.h"
#include "pbjson_internal.h"

static json_object *double_to_json(double v)
{
    /* JSON has no NaN or infinities; proto3 JSON spells them as these strings. */
    if (isnan(v))
        return json_object_new_string("NaN");
    if (isinf(v))
        return json_object_new_string(v > 0 ? "Infinity" : "-Infinity");
    return json_object_new_double(v);
}

static json_object *enum_to_json(const ProtobufCEnumDescriptor *ed, int v)
{
    const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(ed, v);
    /* A number this build does not know (a newer server) stays visible as the number. */
    return ev ? json_object_new_string(ev->name) : json_object_new_int(v);
}

static json_object *bytes_to_json(const ProtobufCBinaryData *b)
{
    char *s = xmalloc(pbjson_base64_len(b->len) + 1);
    pbjson_base64_encode(b->data, b->len, s);
    json_object *j = json_object_new_string(s);
    free(s);
    return j;
}

/* One value of field f stored at p. */
static json_object *value_to_json(const ProtobufCFieldDescriptor *f, const void *p)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        return json_object_new_int(*(const int32_t *)p);
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        return json_object_new_int64(*(const uint32_t *)p);
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        return json_object_new_int64(*(const int64_t *)p);
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return json_object_new_uint64(*(const uint64_t *)p);
    case PROTOBUF_C_TYPE_FLOAT:
        return double_to_json(*(const float *)p);
    case PROTOBUF_C_TYPE_DOUBLE:
        return double_to_json(*(const double *)p);
    case PROTOBUF_C_TYPE_BOOL:
        return json_object_new_boolean(*(const protobuf_c_boolean *)p);
    case PROTOBUF_C_TYPE_ENUM:
        return enum_to_json(f->descriptor, *(const int *)p);
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(char *const *)p;
        return json_object_new_string(s ? s : "");
    }
    case PROTOBUF_C_TYPE_BYTES:
        return bytes_to_json(p);
    case PROTOBUF_C_TYPE_MESSAGE:
        return pbjson_from_message(*(ProtobufCMessage *const *)p);
    }
    return NULL;
}

/* A map key as JSON object keys must be: text. */
static char *map_key_text(const ProtobufCFieldDescriptor *kf, const void *p)
{
    if (kf->type == PROTOBUF_C_TYPE_STRING) {
        const char *s = *(char *const *)p;
        return xstrdup(s ? s : "");
    }
    json_object *j = value_to_json(kf, p);
    char *s = xstrdup(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
    json_object_put(j);
    return s;
}

static json_object *map_to_json(const ProtobufCFieldDescriptor *f, const ProtobufCMessage *m)
{
    size_t n = *(const size_t *)PBJSON_CMEMBER(m, f->quantifier_offset);
    ProtobufCMessage *const *entries =
        *(ProtobufCMessage *const *const *)PBJSON_CMEMBER(m, f->offset);
    const ProtobufCMessageDescriptor *ed = f->descriptor;
    json_object *obj = json_object_new_object();
    for (size_t i = 0; i < n; i++) {
        char *key = map_key_text(&ed->fields[0], PBJSON_CMEMBER(entries[i], ed->fields[0].offset));
        json_object_object_add(
            obj, key,
            value_to_json(&ed->fields[1], PBJSON_CMEMBER(entries[i], ed->fields[1].offset)));
        free(key);
    }
    return obj;
}

static json_object *repeated_to_json(const ProtobufCFieldDescriptor *f, const ProtobufCMessage *m)
{
    if (pbjson_field_is_map(f))
        return map_to_json(f, m);
    size_t n = *(const size_t *)PBJSON_CMEMBER(m, f->quantifier_offset);
    const char *arr = *(const char *const *)PBJSON_CMEMBER(m, f->offset);
    size_t size = pbjson_type_size(f->type);
    json_object *a = json_object_new_array_ext((int)n);
    for (size_t i = 0; i < n; i++)
        json_object_array_add(a, value_to_json(f, arr + i * size));
    return a;
}

/* Whether a field with explicit presence (proto2 optional, proto3 `optional`) is set. */
static bool optional_is_set(const ProtobufCFieldDescriptor *f, const ProtobufCMessage *m)
{
    if (f->type == PROTOBUF_C_TYPE_MESSAGE || f->type == PROTOBUF_C_TYPE_STRING)
        return *(const void *const *)PBJSON_CMEMBER(m, f->offset) != NULL;
    return *(const protobuf_c_boolean *)PBJSON_CMEMBER(m, f->quantifier_offset);
}

json_object *pbjson_from_message(const ProtobufCMessage *m)
{
    if (!m)
        return NULL;
    const ProtobufCMessageDescriptor *d = m->descriptor;
    json_object *obj = json_object_new_object();
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        json_object *v;
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            /* Only the member the oneof holds; the others are not "defaults", they are absent. */
            if (*(const uint32_t *)PBJSON_CMEMBER(m, f->quantifier_offset) != f->id)
                continue;
            v = value_to_json(f, PBJSON_CMEMBER(m, f->offset));
        } else if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            v = repeated_to_json(f, m);
        } else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && !optional_is_set(f, m)) {
            v = NULL;
        } else {
            v = value_to_json(f, PBJSON_CMEMBER(m, f->offset));
        }
        json_object_object_add(obj, f->name, v);
    }
    return obj;
}

char *pbjson_format(const ProtobufCMessage *m, int pretty)
{
    json_object *j = pbjson_from_message(m);
    int flags = pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED : JSON_C_TO_STRING_PLAIN;
    char *s = xstrdup(json_object_to_json_string_ext(j, flags | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(j);
    return s;
}
