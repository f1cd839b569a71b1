/* positions.c: reading and saving the positions file (see positions.h). */
#include "logship/positions.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"

#define POSITIONS_MAX_BYTES (64u << 20)

void ls_positions_add(ls_positions *p, const char *path, uint64_t dev, uint64_t ino,
                      uint64_t offset)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 8;
        p->v = xrealloc(p->v, p->cap * sizeof *p->v);
    }
    p->v[p->n++] = (ls_pos){xstrdup(path), dev, ino, offset};
}

void ls_positions_clear(ls_positions *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->v[i].path);
    p->n = 0;
}

void ls_positions_free(ls_positions *p)
{
    ls_positions_clear(p);
    free(p->v);
    p->v = NULL;
    p->cap = 0;
}

void ls_positions_move(ls_positions *dst, ls_positions *src)
{
    ls_positions_free(dst);
    *dst = *src;
    *src = (ls_positions){0};
}

ls_pos *ls_positions_find(const ls_positions *p, uint64_t dev, uint64_t ino)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->v[i].dev == dev && p->v[i].ino == ino)
            return &p->v[i];
    return NULL;
}

/* A non-negative integer member of o; json-c keeps integers past INT64_MAX as unsigned, and
 * then reads INT64_MAX as their int64 value. */
static bool get_u64(json_object *o, const char *key, uint64_t *out)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
        return false;
    int64_t i = json_object_get_int64(v);
    if (i < 0)
        return false;
    *out = i == INT64_MAX ? json_object_get_uint64(v) : (uint64_t)i;
    return true;
}

static aifb_code damaged(const char *file, const char *why, aifb_err *err)
{
    return aifb_err_set(err, AIFB_EDATALOSS,
                        "positions file %s is damaged (%s); aifb-logship will not guess where "
                        "to resume: restore it, or remove it to ship every followed file again "
                        "from its start",
                        file, why);
}

static aifb_code parse(const char *file, const char *text, ls_positions *out, aifb_err *err)
{
    json_object *root = json_tokener_parse(text);
    if (!root)
        return damaged(file, "not JSON", err);
    aifb_code rc = AIFB_OK;
    json_object *files, *version;
    if (!json_object_is_type(root, json_type_object) ||
        !json_object_object_get_ex(root, "version", &version) ||
        json_object_get_int(version) != 1 || !json_object_object_get_ex(root, "files", &files) ||
        !json_object_is_type(files, json_type_array)) {
        rc = damaged(file, "not a version 1 positions object with a files array", err);
        goto out;
    }
    for (size_t i = 0; i < json_object_array_length(files); i++) {
        json_object *f = json_object_array_get_idx(files, i), *path;
        uint64_t dev, ino, off;
        if (!json_object_is_type(f, json_type_object) ||
            !json_object_object_get_ex(f, "path", &path) ||
            !json_object_is_type(path, json_type_string) || !get_u64(f, "device", &dev) ||
            !get_u64(f, "inode", &ino) || !get_u64(f, "offset", &off)) {
            char why[96];
            snprintf(why, sizeof why, "entry %zu lacks a path, device, inode or offset", i);
            rc = damaged(file, why, err);
            goto out;
        }
        ls_positions_add(out, json_object_get_string(path), dev, ino, off);
    }
out:
    json_object_put(root);
    if (rc != AIFB_OK)
        ls_positions_clear(out);
    return rc;
}

aifb_code ls_positions_load(const char *file, ls_positions *out, aifb_err *err)
{
    ls_positions_clear(out);
    char *text;
    size_t len;
    if (access(file, F_OK) != 0 && errno == ENOENT)
        return AIFB_OK;
    aifb_code rc = aifb_read_file(file, POSITIONS_MAX_BYTES, &text, &len, err);
    if (rc != AIFB_OK)
        return rc;
    if (strlen(text) != len)
        rc = damaged(file, "it holds NUL bytes", err);
    else
        rc = parse(file, text, out, err);
    free(text);
    return rc;
}

/* fsyncs the folder holding file, so that a rename into it survives a power cut. */
static aifb_code sync_folder(const char *file, aifb_err *err)
{
    char *copy = xstrdup(file);
    const char *dir = dirname(copy);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    aifb_code rc = AIFB_OK;
    if (fd < 0 || fsync(fd) != 0)
        rc = aifb_err_set(err, AIFB_EINTERNAL, "cannot fsync folder %s: %s", dir, strerror(errno));
    if (fd >= 0)
        close(fd);
    free(copy);
    return rc;
}

aifb_code ls_positions_save(const char *file, const ls_positions *p, aifb_err *err)
{
    abuf b = {0};
    abuf_puts(&b, "{\"version\":1,\"files\":[");
    for (size_t i = 0; i < p->n; i++) {
        abuf_puts(&b, i ? ",\n  {\"path\":" : "\n  {\"path\":");
        abuf_json_str(&b, p->v[i].path);
        abuf_printf(&b, ",\"device\":%llu,\"inode\":%llu,\"offset\":%llu}",
                    (unsigned long long)p->v[i].dev, (unsigned long long)p->v[i].ino,
                    (unsigned long long)p->v[i].offset);
    }
    abuf_puts(&b, "]}\n");
    aifb_code rc = aifb_write_file_atomic(file, b.p, b.len, 0644, err);
    abuf_free(&b);
    if (rc == AIFB_OK)
        rc = sync_folder(file, err);
    return rc;
}
