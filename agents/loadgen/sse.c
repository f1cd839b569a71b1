/* sse.c: the Server-Sent Events parser (see sse.h).
 *
 * Bytes are copied into the current line until a line end; each complete line is then handled as
 * the specification says (field name, optional colon, value). The only state that crosses reads
 * is the partial line, the partial event and whether the last byte was a CR. */
#include "loadgen/sse.h"

#include <string.h>

void sse_init(sse_parser *p, size_t max_line)
{
    memset(p, 0, sizeof *p);
    p->max_line = max_line ? max_line : (size_t)1 << 20;
}

void sse_reset(sse_parser *p)
{
    p->line.len = p->data.len = p->event.len = 0;
    if (p->line.p)
        p->line.p[0] = '\0';
    if (p->data.p)
        p->data.p[0] = '\0';
    if (p->event.p)
        p->event.p[0] = '\0';
    p->has_data = p->after_cr = false;
}

void sse_free(sse_parser *p)
{
    abuf_free(&p->line);
    abuf_free(&p->data);
    abuf_free(&p->event);
}

bool sse_pending(const sse_parser *p)
{
    return p->line.len > 0 || p->has_data;
}

/* A blank line: hand over the event, if it has data, and start the next one. */
static bool dispatch(sse_parser *p, sse_event_fn fn, void *ud)
{
    bool go_on = true;
    if (p->has_data) {
        if (p->data.len && p->data.p[p->data.len - 1] == '\n')
            p->data.p[--p->data.len] = '\0';
        go_on =
            fn(ud, p->event.len ? p->event.p : "message", p->data.p ? p->data.p : "", p->data.len);
    }
    p->data.len = p->event.len = 0;
    if (p->data.p)
        p->data.p[0] = '\0';
    if (p->event.p)
        p->event.p[0] = '\0';
    p->has_data = false;
    return go_on;
}

static bool handle_line(sse_parser *p, sse_event_fn fn, void *ud)
{
    const char *s = p->line.p ? p->line.p : "";
    size_t n = p->line.len;
    if (n == 0)
        return dispatch(p, fn, ud);
    if (s[0] == ':') {
        p->comments++;
        return true;
    }
    const char *colon = memchr(s, ':', n);
    size_t name_len = colon ? (size_t)(colon - s) : n;
    const char *value = colon ? colon + 1 : s + n;
    size_t value_len = (size_t)(s + n - value);
    if (value_len && value[0] == ' ') {
        value++;
        value_len--;
    }
    if (name_len == 4 && !memcmp(s, "data", 4)) {
        abuf_append(&p->data, value, value_len);
        abuf_putc(&p->data, '\n');
        p->has_data = true;
    } else if (name_len == 5 && !memcmp(s, "event", 5)) {
        p->event.len = 0;
        abuf_append(&p->event, value, value_len);
    }
    /* id and retry matter to a browser reconnecting, not to a load client: ignored. */
    return true;
}

sse_status sse_feed(sse_parser *p, const char *buf, size_t n, sse_event_fn fn, void *ud)
{
    size_t i = 0;
    while (i < n) {
        char c = buf[i];
        if (p->after_cr) {
            p->after_cr = false;
            if (c == '\n') {
                i++;
                continue;
            }
        }
        if (c == '\n' || c == '\r') {
            p->after_cr = c == '\r';
            i++;
            bool go_on = handle_line(p, fn, ud);
            p->line.len = 0;
            if (p->line.p)
                p->line.p[0] = '\0';
            if (!go_on)
                return SSE_STOPPED;
            continue;
        }
        /* Copy the run of ordinary bytes up to the next line end at once. */
        size_t j = i;
        while (j < n && buf[j] != '\n' && buf[j] != '\r')
            j++;
        if (p->line.len + (j - i) > p->max_line)
            return SSE_TOO_LONG;
        abuf_append(&p->line, buf + i, j - i);
        i = j;
    }
    return SSE_OK;
}
