/* rpc_fdset.h: an index over a serialized google.protobuf.FileDescriptorSet, for reflection.
 *
 * Reflection answers with whole serialized FileDescriptorProto messages, so the index keeps each
 * file's bytes as they are (pointers into the caller's set) and only reads what is needed to
 * find them: file name, dependencies, and the fully qualified symbols each file defines
 * (messages, nested messages, enums, services, methods). The wire format is read by hand with a
 * tiny varint/length-delimited reader: nothing else of protobuf's descriptor schema is needed. */
#ifndef AIFB_RPC_FDSET_H
#define AIFB_RPC_FDSET_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

typedef struct rpc_fd_file {
    const uint8_t *data; /* the FileDescriptorProto bytes, inside the set */
    size_t len;
    char *name;  /* "aifb/v1/controlplane.proto" */
    char **deps; /* names of the files it imports */
    size_t n_deps;
    char **services; /* fully qualified: "aifb.v1.ControlPlane" */
    size_t n_services;
} rpc_fd_file;

typedef struct rpc_fd_symbol {
    char *name;  /* "aifb.v1.Run", "aifb.v1.ControlPlane.GetRun" */
    size_t file; /* index into files */
} rpc_fd_symbol;

typedef struct rpc_fdset {
    rpc_fd_file *files;
    size_t n_files;
    rpc_fd_symbol *symbols; /* sorted by name */
    size_t n_symbols;
} rpc_fdset;

/* Indexes the set in buf (which must outlive the index). Fails with a message naming what did
 * not decode. */
aifb_code rpc_fdset_parse(const uint8_t *buf, size_t len, rpc_fdset *out, aifb_err *err);
void rpc_fdset_free(rpc_fdset *fs);

/* Index of the file with that name, or -1. */
long rpc_fdset_find_file(const rpc_fdset *fs, const char *name);
/* Index of the file that defines a fully qualified symbol, or -1. */
long rpc_fdset_find_symbol(const rpc_fdset *fs, const char *symbol);

#endif
