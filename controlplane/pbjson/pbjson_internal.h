/* pbjson_internal.h: what the two directions of pbjson share: how protobuf-c lays out a field in
 * a message struct, how a map field is recognised, and base64. Not for use outside pbjson/. */
#ifndef AIFB_PBJSON_INTERNAL_H
#define AIFB_PBJSON_INTERNAL_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The address of a field's storage (or of its quantifier) inside a message struct. */
#define PBJSON_MEMBER(msg, off)  ((void *)((char *)(msg) + (off)))
#define PBJSON_CMEMBER(msg, off) ((const void *)((const char *)(msg) + (off)))

/* Bytes one value of this type occupies in a message struct or a repeated array. */
size_t pbjson_type_size(ProtobufCType type);

/* Whether f is a map: repeated, of a message type whose only fields are key = 1 and value = 2
 * (what protoc generates for map<K, V>; protobuf-c keeps no map flag). */
bool pbjson_field_is_map(const ProtobufCFieldDescriptor *f);

/* Characters base64 of n bytes takes, padding included, without the terminating NUL. */
size_t pbjson_base64_len(size_t n);
/* Standard base64 with padding into out (pbjson_base64_len(n) + 1 bytes, NUL-terminated). */
void pbjson_base64_encode(const uint8_t *data, size_t n, char *out);
/* Decodes standard or URL-safe base64, padded or not, into a malloc'd buffer (*out may be NULL
 * when *out_len is 0). Returns false on a character outside the alphabet or a bad length. */
bool pbjson_base64_decode(const char *s, uint8_t **out, size_t *out_len);

#endif
