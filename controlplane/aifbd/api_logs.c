/* api_logs.c: the ReadLogs server stream: a run's or a service's output files, in chunks, and with
 * follow what is appended until the run or service has ended and the file is read to its end.
 * Files are read through the executor, which knows where they live (this machine, or a cluster
 * reached over ssh). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aifbd/api.h"
#include "common/util.h"

#define LOG_CHUNK (64 * 1024)

static const char *const log_streams[] = {"client.out", "client.err", "service.out", "service.err"};

typedef struct logs_state {
    char id[AIFB_ID_LEN + 1];
    char stream[16];
    char *dir;
    int64_t offset;
    bool follow;
} logs_state;

static bool subject_ended(aifbd *d, const char *id)
{
    aifb_err e;
    if (id[0] == 'r') {
        run_rec r;
        if (store_run_get(d->db, id, &r, &e))
            return true;
        bool done = run_state_is_final(r.state);
        run_rec_free(&r);
        return done;
    }
    service_rec s;
    if (store_service_get(d->db, id, &s, &e))
        return true;
    bool done = service_state_is_final(s.state);
    service_rec_free(&s);
    return done;
}

/* The folder of a run or service as stored (NULL when unknown). */
static char *subject_dir(aifbd *d, const char *id, aifb_err *err)
{
    char *dir = NULL;
    if (id[0] == 'r') {
        run_rec r;
        if (store_run_get(d->db, id, &r, err) == AIFB_OK) {
            dir = xstrdup(r.run_dir);
            run_rec_free(&r);
        }
    } else {
        service_rec s;
        if (store_service_get(d->db, id, &s, err) == AIFB_OK) {
            dir = xstrdup(s.service_dir);
            service_rec_free(&s);
        }
    }
    return dir;
}

/* The size of the file (for negative offsets), reading through the executor. */
static int64_t file_size(aifbd *d, const char *dir, const char *name)
{
    char *buf = xmalloc(LOG_CHUNK);
    int64_t size = 0;
    size_t n;
    aifb_err e;
    while (d->exec->ops->read_file(d->exec, dir, name, size, buf, LOG_CHUNK, &n, &e) == AIFB_OK &&
           n > 0)
        size += (int64_t)n;
    free(buf);
    return size;
}

static aifb_code logs_open(rpc_ctx *ctx, const ProtobufCMessage *req, void **state, aifb_err *err)
{
    aifbd *d = api_daemon(ctx);
    const Aifb__V1__ReadLogsRequest *in = (const void *)req;
    if (!aifb_id_valid(in->id, 'r') && !aifb_id_valid(in->id, 's'))
        return aifb_err_set(err, AIFB_EINVAL, "'%.40s' is not a run or service id", in->id);
    const char *stream = in->stream[0] ? in->stream : "client.out";
    size_t i = 0;
    for (; i < sizeof log_streams / sizeof log_streams[0]; i++)
        if (!strcmp(stream, log_streams[i]))
            break;
    if (i == sizeof log_streams / sizeof log_streams[0])
        return aifb_err_set(err, AIFB_EINVAL,
                            "stream '%.40s' is not one of client.out, client.err, service.out, "
                            "service.err",
                            stream);
    char *dir = subject_dir(d, in->id, err);
    if (!dir)
        return err->code;
    char probe[1];
    size_t n;
    aifb_err rerr = {0};
    if (d->exec->ops->read_file(d->exec, dir, stream, 0, probe, 0, &n, &rerr) &&
        !(rerr.code == AIFB_ENOTFOUND && in->follow)) {
        free(dir);
        if (rerr.code == AIFB_ENOTFOUND)
            return aifb_err_set(err, AIFB_ENOTFOUND, "%s of %s: no such output (yet)", stream,
                                in->id);
        return aifb_err_set(err, rerr.code, "%s of %s: %s", stream, in->id, rerr.msg);
    }
    logs_state *l = xcalloc(1, sizeof *l);
    snprintf(l->id, sizeof l->id, "%s", in->id);
    snprintf(l->stream, sizeof l->stream, "%s", stream);
    l->dir = dir;
    l->follow = in->follow;
    if (in->offset < 0) {
        int64_t size = file_size(d, dir, stream);
        l->offset = size + in->offset > 0 ? size + in->offset : 0;
    } else {
        l->offset = in->offset;
    }
    *state = l;
    return AIFB_OK;
}

static rpc_next logs_next(rpc_ctx *ctx, void *state, ProtobufCMessage **msg, aifb_err *err)
{
    aifbd *d = api_daemon(ctx);
    logs_state *l = state;
    /* Decide "ended" before reading, so bytes written just before the end are still sent. */
    bool ended = !l->follow || subject_ended(d, l->id);
    char *buf = xmalloc(LOG_CHUNK);
    size_t n = 0;
    aifb_err rerr = {0};
    aifb_code rc =
        d->exec->ops->read_file(d->exec, l->dir, l->stream, l->offset, buf, LOG_CHUNK, &n, &rerr);
    if (rc || n == 0) {
        free(buf);
        if (rc && rc != AIFB_ENOTFOUND) {
            aifb_err_set(err, rc, "reading %s: %s", l->stream, rerr.msg);
            return RPC_NEXT_END;
        }
        return ended ? RPC_NEXT_END : RPC_NEXT_WAIT;
    }
    Aifb__V1__LogChunk *c = xmalloc(sizeof *c);
    aifb__v1__log_chunk__init(c);
    c->stream = xstrdup(l->stream);
    c->offset = l->offset;
    c->data.data = (uint8_t *)buf;
    c->data.len = n;
    l->offset += (int64_t)n;
    *msg = &c->base;
    return RPC_NEXT_MSG;
}

static void logs_close(rpc_ctx *ctx, void *state)
{
    (void)ctx;
    logs_state *l = state;
    free(l->dir);
    free(l);
}

const rpc_stream_ops api_read_logs_ops = {
    .open = logs_open, .next = logs_next, .close = logs_close};
