/* rpc_fdset.c: reads a serialized FileDescriptorSet into the index of rpc_fdset.h.
 *
 * The reader (pb_*) walks fields of one message: key varint, then a value by wire type. Only
 * length-delimited fields matter here (names, nested messages); varints and fixed-size values
 * are skipped; groups (deprecated, never in descriptors) are refused. Field numbers are those of
 * google/protobuf/descriptor.proto. */
#include "rpc/rpc_fdset.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

enum {
    FDSET_FILE = 1,
    FILE_NAME = 1,
    FILE_PACKAGE = 2,
    FILE_DEPENDENCY = 3,
    FILE_MESSAGE = 4,
    FILE_ENUM = 5,
    FILE_SERVICE = 6,
    MESSAGE_NAME = 1,
    MESSAGE_NESTED = 3,
    MESSAGE_ENUM = 4,
    ENUM_NAME = 1,
    SERVICE_NAME = 1,
    SERVICE_METHOD = 2,
    METHOD_NAME = 1,
};

typedef struct pb_reader {
    const uint8_t *p, *end;
} pb_reader;

typedef struct pb_field {
    uint32_t number;
    const uint8_t *data; /* length-delimited fields only, else NULL */
    size_t len;
} pb_field;

static bool pb_varint(pb_reader *r, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64 && r->p < r->end; shift += 7) {
        uint8_t b = *r->p++;
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return true;
    }
    return false;
}

static bool pb_skip(pb_reader *r, size_t n)
{
    if ((size_t)(r->end - r->p) < n)
        return false;
    r->p += n;
    return true;
}

/* 1: a field was read; 0: end of message; -1: malformed. */
static int pb_next(pb_reader *r, pb_field *f)
{
    if (r->p >= r->end)
        return 0;
    uint64_t key, v;
    if (!pb_varint(r, &key) || (key >> 3) == 0 || (key >> 3) > UINT32_MAX)
        return -1;
    f->number = (uint32_t)(key >> 3);
    f->data = NULL;
    f->len = 0;
    switch (key & 7) {
    case 0:
        return pb_varint(r, &v) ? 1 : -1;
    case 1:
        return pb_skip(r, 8) ? 1 : -1;
    case 2:
        if (!pb_varint(r, &v) || v > (uint64_t)(r->end - r->p))
            return -1;
        f->data = r->p;
        f->len = (size_t)v;
        r->p += v;
        return 1;
    case 5:
        return pb_skip(r, 4) ? 1 : -1;
    default:
        return -1;
    }
}

static char *field_string(const pb_field *f)
{
    char *s = xmalloc(f->len + 1);
    memcpy(s, f->data, f->len);
    s[f->len] = '\0';
    return s;
}

/* The first length-delimited field `number` of a message as a string ("" when absent). */
static char *message_string(const uint8_t *data, size_t len, uint32_t number)
{
    pb_reader r = {data, data + len};
    pb_field f;
    while (pb_next(&r, &f) == 1)
        if (f.number == number && f.data)
            return field_string(&f);
    return xstrdup("");
}

static char *qualify(const char *scope, const char *name)
{
    abuf b = {0};
    if (scope[0])
        abuf_printf(&b, "%s.", scope);
    abuf_puts(&b, name);
    return abuf_take(&b);
}

typedef struct fdset_builder {
    rpc_fdset *fs;
    size_t sym_cap;
    size_t file; /* index of the file being read */
    bool bad;
} fdset_builder;

static void add_symbol(fdset_builder *b, char *name)
{
    rpc_fdset *fs = b->fs;
    if (fs->n_symbols == b->sym_cap) {
        b->sym_cap = b->sym_cap ? 2 * b->sym_cap : 64;
        fs->symbols = xrealloc(fs->symbols, b->sym_cap * sizeof *fs->symbols);
    }
    fs->symbols[fs->n_symbols++] = (rpc_fd_symbol){name, b->file};
}

/* Adds scope.Name for a named descriptor and returns that qualified name (owned by the index). */
static const char *add_named(fdset_builder *b, const char *scope, const pb_field *f,
                             uint32_t name_field)
{
    char *name = message_string(f->data, f->len, name_field);
    char *full = qualify(scope, name);
    free(name);
    add_symbol(b, full);
    return full;
}

static void read_message_type(fdset_builder *b, const char *scope, const pb_field *msg)
{
    const char *full = add_named(b, scope, msg, MESSAGE_NAME);
    pb_reader r = {msg->data, msg->data + msg->len};
    pb_field f;
    int rc;
    while ((rc = pb_next(&r, &f)) == 1) {
        if (f.number == MESSAGE_NESTED && f.data)
            read_message_type(b, full, &f);
        else if (f.number == MESSAGE_ENUM && f.data)
            add_named(b, full, &f, ENUM_NAME);
    }
    if (rc < 0)
        b->bad = true;
}

static void read_service(fdset_builder *b, rpc_fd_file *file, const char *scope,
                         const pb_field *svc)
{
    const char *full = add_named(b, scope, svc, SERVICE_NAME);
    file->services = xrealloc(file->services, (file->n_services + 1) * sizeof *file->services);
    file->services[file->n_services++] = xstrdup(full);
    pb_reader r = {svc->data, svc->data + svc->len};
    pb_field f;
    int rc;
    while ((rc = pb_next(&r, &f)) == 1)
        if (f.number == SERVICE_METHOD && f.data)
            add_named(b, full, &f, METHOD_NAME);
    if (rc < 0)
        b->bad = true;
}

/* Reads one FileDescriptorProto: its name and dependencies, then the symbols it defines (which
 * need the package, so they come in a second pass). */
static void read_file(fdset_builder *b, rpc_fd_file *file)
{
    pb_reader r = {file->data, file->data + file->len};
    pb_field f;
    int rc;
    char *package = message_string(file->data, file->len, FILE_PACKAGE);
    file->name = message_string(file->data, file->len, FILE_NAME);
    while ((rc = pb_next(&r, &f)) == 1) {
        if (!f.data)
            continue;
        if (f.number == FILE_DEPENDENCY) {
            file->deps = xrealloc(file->deps, (file->n_deps + 1) * sizeof *file->deps);
            file->deps[file->n_deps++] = field_string(&f);
        } else if (f.number == FILE_MESSAGE) {
            read_message_type(b, package, &f);
        } else if (f.number == FILE_ENUM) {
            add_named(b, package, &f, ENUM_NAME);
        } else if (f.number == FILE_SERVICE) {
            read_service(b, file, package, &f);
        }
    }
    if (rc < 0)
        b->bad = true;
    free(package);
}

static int symbol_cmp(const void *a, const void *b)
{
    return strcmp(((const rpc_fd_symbol *)a)->name, ((const rpc_fd_symbol *)b)->name);
}

aifb_code rpc_fdset_parse(const uint8_t *buf, size_t len, rpc_fdset *out, aifb_err *err)
{
    memset(out, 0, sizeof *out);
    fdset_builder b = {.fs = out};
    pb_reader r = {buf, buf + len};
    pb_field f;
    int rc;
    while ((rc = pb_next(&r, &f)) == 1) {
        if (f.number != FDSET_FILE || !f.data)
            continue;
        out->files = xrealloc(out->files, (out->n_files + 1) * sizeof *out->files);
        rpc_fd_file *file = &out->files[out->n_files++];
        memset(file, 0, sizeof *file);
        file->data = f.data;
        file->len = f.len;
        b.file = out->n_files - 1;
        read_file(&b, file);
    }
    if (rc < 0 || b.bad) {
        size_t at = out->n_files;
        rpc_fdset_free(out);
        return aifb_err_set(err, AIFB_EINVAL,
                            "the descriptor set (%zu bytes) is not a valid FileDescriptorSet "
                            "(malformed at or before file %zu)",
                            len, at);
    }
    if (out->n_symbols)
        qsort(out->symbols, out->n_symbols, sizeof *out->symbols, symbol_cmp);
    return AIFB_OK;
}

void rpc_fdset_free(rpc_fdset *fs)
{
    for (size_t i = 0; i < fs->n_files; i++) {
        rpc_fd_file *file = &fs->files[i];
        free(file->name);
        for (size_t k = 0; k < file->n_deps; k++)
            free(file->deps[k]);
        free(file->deps);
        for (size_t k = 0; k < file->n_services; k++)
            free(file->services[k]);
        free(file->services);
    }
    free(fs->files);
    for (size_t i = 0; i < fs->n_symbols; i++)
        free(fs->symbols[i].name);
    free(fs->symbols);
    memset(fs, 0, sizeof *fs);
}

long rpc_fdset_find_file(const rpc_fdset *fs, const char *name)
{
    for (size_t i = 0; i < fs->n_files; i++)
        if (strcmp(fs->files[i].name, name) == 0)
            return (long)i;
    return -1;
}

long rpc_fdset_find_symbol(const rpc_fdset *fs, const char *symbol)
{
    rpc_fd_symbol key = {(char *)symbol, 0};
    const rpc_fd_symbol *hit =
        bsearch(&key, fs->symbols, fs->n_symbols, sizeof *fs->symbols, symbol_cmp);
    return hit ? (long)hit->file : -1;
}
