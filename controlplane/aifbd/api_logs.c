/* api_logs.c: the ReadLogs server stream: a run's or a service's output files, in chunks, and with
 * follow what is appended until the run or service has ended and the file is read to its end. */
#include <stdio.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aifbd/api.h"
#include "common/util.h"

#define LOG_CHUNK (64 * 1024)

static const char *const log_streams[] = {"client.out", "client.err", "service.out", "service.err"};

typedef struct logs_state {
    char id[AIFB_ID_LEN + 1];
    char stream[16];
    int fd;
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
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, stream);
    free(dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && !(errno == ENOENT && in->follow))
        return aifb_err_set(err, errno == ENOENT ? AIFB_ENOTFOUND : AIFB_EINTERNAL, "%s of %s: %s",
                            stream, in->id,
                            errno == ENOENT ? "no such output (yet)" : strerror(errno));
    logs_state *l = xcalloc(1, sizeof *l);
    snprintf(l->id, sizeof l->id, "%s", in->id);
    snprintf(l->stream, sizeof l->stream, "%s", stream);
    l->fd = fd;
    l->follow = in->follow;
    if (in->offset < 0 && fd >= 0) {
        struct stat st;
        fstat(fd, &st);
        l->offset = st.st_size + in->offset > 0 ? st.st_size + in->offset : 0;
    } else {
        l->offset = in->offset > 0 ? in->offset : 0;
    }
    *state = l;
    return AIFB_OK;
}

static rpc_next logs_next(rpc_ctx *ctx, void *state, ProtobufCMessage **msg, aifb_err *err)
{
    aifbd *d = api_daemon(ctx);
    logs_state *l = state;
    if (l->fd < 0) {
        /* Following a file that did not exist yet. */
        char *dir = subject_dir(d, l->id, err);
        if (!dir)
            return RPC_NEXT_END;
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", dir, l->stream);
        free(dir);
        l->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (l->fd < 0)
            return subject_ended(d, l->id) ? RPC_NEXT_END : RPC_NEXT_WAIT;
    }
    /* Decide "ended" before reading, so bytes written just before the end are still sent. */
    bool ended = !l->follow || subject_ended(d, l->id);
    char *buf = xmalloc(LOG_CHUNK);
    ssize_t n = pread(l->fd, buf, LOG_CHUNK, l->offset);
    if (n <= 0) {
        free(buf);
        if (n < 0) {
            aifb_err_set(err, AIFB_EINTERNAL, "reading %s: %s", l->stream, strerror(errno));
            return RPC_NEXT_END;
        }
        return ended ? RPC_NEXT_END : RPC_NEXT_WAIT;
    }
    Aifb__V1__LogChunk *c = xmalloc(sizeof *c);
    aifb__v1__log_chunk__init(c);
    c->stream = xstrdup(l->stream);
    c->offset = l->offset;
    c->data.data = (uint8_t *)buf;
    c->data.len = (size_t)n;
    l->offset += n;
    *msg = &c->base;
    return RPC_NEXT_MSG;
}

static void logs_close(rpc_ctx *ctx, void *state)
{
    (void)ctx;
    logs_state *l = state;
    if (l->fd >= 0)
        close(l->fd);
    free(l);
}

const rpc_stream_ops api_read_logs_ops = {
    .open = logs_open, .next = logs_next, .close = logs_close};
