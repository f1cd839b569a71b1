/* pbjson.h: protobuf-c messages to and from JSON (json-c), driven only by descriptors.
 *
 * The CLI prints API replies with `-o json` and the Grafana shim answers HTTP with JSON, so both
 * need one faithful, generic mapping. It follows the proto3 JSON mapping where that helps scripts
 * and departs from it where it would make them guess:
 *   - field names as written in the .proto (snake_case) on output; snake_case or lowerCamelCase
 *     accepted on input;
 *   - every field present on output, defaults included (proto3 would omit them); a sub-message
 *     that is not set is null;
 *   - enums as their value names ("RUN_STATE_RUNNING"); names or numbers accepted on input;
 *   - 64-bit integers as JSON numbers (not strings); numbers or decimal strings accepted on input;
 *   - bytes as standard base64 (URL-safe and unpadded accepted on input);
 *   - repeated fields as arrays; maps (repeated *Entry messages with key and value) as objects;
 *   - NaN and infinities as the strings "NaN", "Infinity", "-Infinity".
 * Input is strict: an unknown field, a value of the wrong type, an out-of-range number or an
 * unknown enum value is refused with a message naming the field by its path ("runs[0].state"). */
#ifndef AIFB_PBJSON_H
#define AIFB_PBJSON_H

#include <json-c/json.h>
#include <protobuf-c/protobuf-c.h>

#include "common/err.h"

/* A new JSON object holding every field of m (see above); the caller releases it with
 * json_object_put(). m NULL gives JSON null (NULL). Never fails otherwise. */
json_object *pbjson_from_message(const ProtobufCMessage *m);

/* Builds a message of type d from the JSON object j (NULL or JSON null: a message with every
 * field at its default). On AIFB_OK *out is a heap message the caller frees with
 * protobuf_c_message_free_unpacked(*out, NULL). Otherwise *out is NULL and err says which field
 * was wrong and why, with code AIFB_EINVAL. */
aifb_code pbjson_to_message(const ProtobufCMessageDescriptor *d, json_object *j,
                            ProtobufCMessage **out, aifb_err *err);

/* Convenience for printing: m as JSON text, pretty (indented) or on one line. The caller frees
 * the string. */
char *pbjson_format(const ProtobufCMessage *m, int pretty);

#endif
