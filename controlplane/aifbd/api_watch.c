/* api_watch.c: the Watch server stream.
 *
 * A subscriber keeps a cursor (the last seq it was sent). When the store's last seq moves past
 * it, the next batch of events is read from SQLite and sent one by one; otherwise the stream
 * WAITs and the RPC module asks again shortly. Reading from the store (not an in-memory queue)
 * makes resuming after a reconnect, replay and fan-out the same code, and a slow subscriber can
 * never make aifbd hold memory for it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aifbd/api.h"
#include "aifbd/convert.h"
#include "common/util.h"

#define WATCH_BATCH 64

typedef struct watch_state {
    char subject[AIFB_ID_LEN + 1];
    uint64_t cursor;
    event_rec *batch;
    size_t nbatch, next;
} watch_state;

static aifb_code watch_open(rpc_ctx *ctx, const ProtobufCMessage *req, void **state, aifb_err *err)
{
    aifbd *d = api_daemon(ctx);
    const Aifb__V1__WatchRequest *in = (const void *)req;
    if (in->subject_id[0] && !aifb_id_valid(in->subject_id, 'r') &&
        !aifb_id_valid(in->subject_id, 's'))
        return aifb_err_set(err, AIFB_EINVAL, "subject_id '%.40s' is not a run or service id",
                            in->subject_id);
    if (in->replay && !in->subject_id[0])
        return aifb_err_set(err, AIFB_EINVAL, "replay needs a subject_id");
    uint64_t last = store_last_seq(d->db);
    if (in->after_seq > last)
        return aifb_err_set(err, AIFB_ERANGE, "after_seq %llu is past the last event %llu",
                            (unsigned long long)in->after_seq, (unsigned long long)last);
    watch_state *w = xcalloc(1, sizeof *w);
    snprintf(w->subject, sizeof w->subject, "%s", in->subject_id);
    w->cursor = in->after_seq ? in->after_seq : (in->replay ? 0 : last);
    *state = w;
    return AIFB_OK;
}

static rpc_next watch_next(rpc_ctx *ctx, void *state, ProtobufCMessage **msg, aifb_err *err)
{
    aifbd *d = api_daemon(ctx);
    watch_state *w = state;
    if (w->next == w->nbatch) {
        event_rec_array_free(w->batch, w->nbatch);
        w->batch = NULL;
        w->nbatch = w->next = 0;
        uint64_t last = store_last_seq(d->db);
        if (last <= w->cursor)
            return RPC_NEXT_WAIT;
        if (store_events_after(d->db, w->cursor, w->subject[0] ? w->subject : NULL, WATCH_BATCH,
                               &w->batch, &w->nbatch, err) != AIFB_OK)
            return RPC_NEXT_END;
        if (w->nbatch == 0) {
            /* Nothing of this subject up to `last`: skip ahead. */
            w->cursor = last;
            return RPC_NEXT_WAIT;
        }
    }
    event_rec *e = &w->batch[w->next++];
    w->cursor = e->seq;
    *msg = &convert_event(e)->base;
    return RPC_NEXT_MSG;
}

static void watch_close(rpc_ctx *ctx, void *state)
{
    (void)ctx;
    watch_state *w = state;
    event_rec_array_free(w->batch, w->nbatch);
    free(w);
}

const rpc_stream_ops api_watch_ops = {.open = watch_open, .next = watch_next, .close = watch_close};
