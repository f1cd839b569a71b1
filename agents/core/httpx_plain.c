/* httpx_plain.c: http:// requests with aifb's own HTTP/1.1 client (see httpx.h).
 *
 * What it does: one request at a time on a kept connection (reopened once when the server had
 * closed it: a send that fails or an end of stream before any byte of the answer); answers with
 * Content-Length, chunked transfer coding or ending with the connection; interim 1xx answers
 * skipped; "Connection: close" and HTTP/1.0 honoured. Every wait is a poll() of at most 100 ms,
 * so that *stop is seen quickly, within the request's deadline (timeout_ms from its start;
 * connecting within connect_timeout_ms of that). No proxy, no redirects, no compression asked. */
#include "core/httpx_internal.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define HEAD_MAX (64 * 1024) /* bytes of an answer's status line and headers */
#define SLICE_MS 100

typedef enum { IO_OK, IO_TIMEOUT, IO_STOPPED, IO_ERROR, IO_EOF } io_status;

/* Empties the bytes received: nothing of an earlier answer is read again. */
static void drop_input(httpx *h)
{
    h->in.len = 0;
    if (h->in.p)
        h->in.p[0] = '\0';
}

void httpx_plain_close(httpx *h)
{
    if (h->fd >= 0)
        close(h->fd);
    h->fd = -1;
    drop_input(h);
}

static bool stopped(const httpx *h)
{
    return h->stop && atomic_load(h->stop);
}

/* Waits for ev on fd until deadline (monotonic ms), looking at *stop every SLICE_MS. */
static io_status wait_fd(httpx *h, int fd, short ev, int64_t deadline)
{
    for (;;) {
        if (stopped(h))
            return IO_STOPPED;
        int64_t left = deadline - aifb_mono_ms();
        if (left <= 0)
            return IO_TIMEOUT;
        struct pollfd p = {.fd = fd, .events = ev};
        int n = poll(&p, 1, (int)(left < SLICE_MS ? left : SLICE_MS));
        if (n > 0)
            return IO_OK;
        if (n < 0 && errno != EINTR) {
            h->err = errno;
            return IO_ERROR;
        }
    }
}

static void say(httpx_result *r, const char *fmt, const char *a, const char *b)
{
    snprintf(r->error, sizeof r->error, fmt, a, b);
}

static bool connect_to(httpx *h, int64_t deadline, httpx_result *r)
{
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    int gai = getaddrinfo(h->u.host, h->u.port, &hints, &ai);
    if (gai != 0) {
        say(r, "could not resolve host '%.200s': %s", h->u.host, gai_strerror(gai));
        return false;
    }
    int64_t cdeadline = aifb_mono_ms() + h->connect_timeout_ms;
    if (cdeadline > deadline)
        cdeadline = deadline;
    int last_errno = 0;
    bool timed_out = false;
    for (struct addrinfo *a = ai; a; a = a->ai_next) {
        int fd =
            socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            last_errno = errno;
            continue;
        }
        if (connect(fd, a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
            last_errno = errno;
            close(fd);
            continue;
        }
        io_status st = wait_fd(h, fd, POLLOUT, cdeadline);
        int soerr = 0;
        socklen_t sl = sizeof soerr;
        if (st == IO_OK && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0) {
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            h->fd = fd;
            freeaddrinfo(ai);
            return true;
        }
        close(fd);
        if (st == IO_STOPPED) {
            freeaddrinfo(ai);
            r->stopped = true;
            return false;
        }
        if (st == IO_TIMEOUT)
            timed_out = true;
        last_errno = soerr ? soerr : errno;
    }
    freeaddrinfo(ai);
    char port[16];
    snprintf(port, sizeof port, "%s", h->u.port);
    if (timed_out)
        snprintf(r->error, sizeof r->error, "could not connect to %.200s port %s within %d ms",
                 h->u.host, port, h->connect_timeout_ms);
    else
        snprintf(r->error, sizeof r->error, "could not connect to %.200s port %s: %s", h->u.host,
                 port, strerror(last_errno));
    return false;
}

static io_status send_all(httpx *h, const void *data, size_t len, int64_t deadline)
{
    const char *p = data;
    while (len) {
        ssize_t n = send(h->fd, p, len, MSG_NOSIGNAL);
        if (n > 0) {
            p += n, len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            io_status st = wait_fd(h, h->fd, POLLOUT, deadline);
            if (st != IO_OK)
                return st;
            continue;
        }
        h->err = n < 0 ? errno : EPIPE;
        return IO_ERROR;
    }
    return IO_OK;
}

/* Reads more bytes into h->in. */
static io_status read_more(httpx *h, int64_t deadline)
{
    for (;;) {
        abuf_reserve(&h->in, 16384);
        ssize_t n = recv(h->fd, h->in.p + h->in.len, 16384, 0);
        if (n > 0) {
            h->in.len += (size_t)n;
            h->in.p[h->in.len] = '\0';
            return IO_OK;
        }
        if (n == 0)
            return IO_EOF;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            h->err = errno;
            return IO_ERROR;
        }
        io_status st = wait_fd(h, h->fd, POLLIN, deadline);
        if (st != IO_OK)
            return st;
    }
}

/* Drops the first n bytes of h->in. */
static void consume(httpx *h, size_t n)
{
    if (n > h->in.len)
        n = h->in.len;
    memmove(h->in.p, h->in.p + n, h->in.len - n);
    h->in.len -= n;
    h->in.p[h->in.len] = '\0';
}

static void keep(const httpx_req *q, httpx_result *r, const char *data, size_t n)
{
    if (!q->answer)
        return;
    size_t room = q->answer->len < q->answer_max ? q->answer_max - q->answer->len : 0;
    if (n > room) {
        r->cut = true;
        n = room;
    }
    abuf_append(q->answer, data, n);
}

typedef struct head {
    int status, minor;
    long long length; /* -1: none given */
    bool chunked, close, keep_alive;
} head;

/* The value of header line l (after "Name:") when its name is name, else NULL. */
static const char *header_value(const char *l, size_t llen, const char *name)
{
    size_t n = strlen(name);
    if (llen <= n || strncasecmp(l, name, n) != 0 || l[n] != ':')
        return NULL;
    l += n + 1;
    while (*l == ' ' || *l == '\t')
        l++;
    return l;
}

static bool has_token(const char *v, size_t vlen, const char *token)
{
    size_t n = strlen(token);
    for (size_t i = 0; i + n <= vlen; i++)
        if (strncasecmp(v + i, token, n) == 0)
            return true;
    return false;
}

static bool parse_head(const char *s, size_t len, head *hd)
{
    memset(hd, 0, sizeof *hd);
    hd->length = -1;
    if (len < 12 || strncmp(s, "HTTP/1.", 7) != 0 || s[8] != ' ')
        return false;
    hd->minor = s[7] - '0';
    if (s[9] < '1' || s[9] > '5' || s[10] < '0' || s[10] > '9' || s[11] < '0' || s[11] > '9')
        return false;
    hd->status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
    const char *end = s + len;
    const char *l = memchr(s, '\n', len);
    while (l && ++l < end) {
        const char *nl = memchr(l, '\n', (size_t)(end - l));
        size_t llen = nl ? (size_t)(nl - l) : (size_t)(end - l);
        const char *v;
        if ((v = header_value(l, llen, "content-length")))
            hd->length = strtoll(v, NULL, 10);
        else if ((v = header_value(l, llen, "transfer-encoding")))
            hd->chunked = has_token(v, llen - (size_t)(v - l), "chunked");
        else if ((v = header_value(l, llen, "connection"))) {
            hd->close = has_token(v, llen - (size_t)(v - l), "close");
            hd->keep_alive = has_token(v, llen - (size_t)(v - l), "keep-alive");
        }
        l = nl;
    }
    return true;
}

/* The stream ended in the middle of an answer. */
static io_status ended(httpx *h)
{
    h->ended = true;
    return IO_ERROR;
}

/* size bytes of body, from h->in and the connection; an early end is an error. */
static io_status body_bytes(httpx *h, const httpx_req *q, httpx_result *r, unsigned long long size,
                            int64_t deadline)
{
    while (size) {
        if (h->in.len == 0) {
            io_status st = read_more(h, deadline);
            if (st != IO_OK)
                return st == IO_EOF ? ended(h) : st;
        }
        size_t n = h->in.len < size ? h->in.len : (size_t)size;
        keep(q, r, h->in.p, n);
        consume(h, n);
        size -= n;
    }
    return IO_OK;
}

/* Reads until h->in holds a whole line (ending with CRLF, at most HEAD_MAX bytes); *eol is its
 * CR. */
static io_status read_line(httpx *h, int64_t deadline, char **eol)
{
    while (!(*eol = strstr(h->in.p, "\r\n"))) {
        if (h->in.len > HEAD_MAX)
            return IO_ERROR;
        io_status st = read_more(h, deadline);
        if (st != IO_OK)
            return st == IO_EOF ? ended(h) : st;
    }
    return IO_OK;
}

/* The body of a chunked answer, from h->in and the connection. */
static io_status read_chunked(httpx *h, const httpx_req *q, httpx_result *r, int64_t deadline)
{
    for (;;) {
        char *eol;
        io_status st = read_line(h, deadline, &eol);
        if (st != IO_OK)
            return st;
        char *endp;
        if (!isxdigit((unsigned char)h->in.p[0]))
            return IO_ERROR;
        unsigned long long size = strtoull(h->in.p, &endp, 16);
        if (endp > eol || (*endp != ';' && *endp != ' ' && *endp != '\t' && endp != eol))
            return IO_ERROR;
        consume(h, (size_t)(eol + 2 - h->in.p));
        if (size == 0) { /* trailers, up to an empty line */
            for (;;) {
                if ((st = read_line(h, deadline, &eol)) != IO_OK)
                    return st;
                bool empty = eol == h->in.p;
                consume(h, (size_t)(eol + 2 - h->in.p));
                if (empty)
                    return IO_OK;
            }
        }
        st = body_bytes(h, q, r, size, deadline);
        while (st == IO_OK && h->in.len < 2)
            if ((st = read_more(h, deadline)) == IO_EOF)
                st = ended(h);
        if (st != IO_OK)
            return st;
        if (h->in.p[0] != '\r' || h->in.p[1] != '\n')
            return IO_ERROR;
        consume(h, 2); /* the chunk's CRLF */
    }
}

/* Reads one answer. *fresh_eof: the connection ended (or was reset) before any byte of it. */
static io_status read_answer(httpx *h, const httpx_req *q, httpx_result *r, int64_t deadline,
                             bool *fresh_eof, bool *keep_conn)
{
    *fresh_eof = false;
    head hd;
    size_t hlen;
    for (;;) { /* interim 1xx answers are skipped */
        char *end;
        while (!(end = strstr(h->in.p ? h->in.p : "", "\r\n\r\n"))) {
            if (h->in.len > HEAD_MAX)
                return IO_ERROR;
            bool none = h->in.len == 0;
            io_status st = read_more(h, deadline);
            if (none && (st == IO_EOF || (st == IO_ERROR && h->err == ECONNRESET)))
                *fresh_eof = true;
            if (st != IO_OK)
                return st == IO_EOF ? ended(h) : st;
        }
        hlen = (size_t)(end + 4 - h->in.p);
        if (!parse_head(h->in.p, hlen, &hd))
            return IO_ERROR;
        if (hd.status >= 200)
            break;
        consume(h, hlen);
    }
    consume(h, hlen);
    r->status = hd.status;
    *keep_conn = !hd.close && (hd.minor >= 1 || hd.keep_alive);
    bool no_body = strcmp(q->method, "HEAD") == 0 || hd.status == 204 || hd.status == 304;
    if (no_body)
        return IO_OK;
    if (hd.chunked)
        return read_chunked(h, q, r, deadline);
    if (hd.length >= 0)
        return body_bytes(h, q, r, (unsigned long long)hd.length, deadline);
    *keep_conn = false; /* the body ends with the connection */
    for (;;) {
        keep(q, r, h->in.p, h->in.len);
        consume(h, h->in.len);
        io_status st = read_more(h, deadline);
        if (st == IO_EOF)
            return IO_OK;
        if (st != IO_OK)
            return st;
    }
}

static void request_head(const httpx *h, const httpx_req *q, abuf *b)
{
    bool v6 = strchr(h->u.host, ':') != NULL;
    bool default_port = strcmp(h->u.port, "80") == 0;
    abuf_printf(b, "%s %s HTTP/1.1\r\nHost: %s%s%s%s%s\r\nUser-Agent: %s\r\n", q->method,
                h->u.target, v6 ? "[" : "", h->u.host, v6 ? "]" : "", default_port ? "" : ":",
                default_port ? "" : h->u.port, h->user_agent);
    if (q->body || strcmp(q->method, "POST") == 0 || strcmp(q->method, "PUT") == 0)
        abuf_printf(b, "Content-Length: %zu\r\n", q->len);
    for (size_t i = 0; i < q->nheaders; i++) {
        abuf_puts(b, q->headers[i]);
        abuf_puts(b, "\r\n");
    }
    abuf_puts(b, "\r\n");
}

bool httpx_plain_request(httpx *h, const httpx_req *q, httpx_result *r)
{
    int64_t deadline = aifb_mono_ms() + h->timeout_ms;
    abuf req = {0};
    request_head(h, q, &req);
    bool ok = false;
    for (int attempt = 0; attempt < 2; attempt++) {
        bool reused = h->fd >= 0;
        if (!reused && !connect_to(h, deadline, r))
            break;
        drop_input(h);
        h->err = 0;
        h->ended = false;
        io_status st = send_all(h, req.p, req.len, deadline);
        if (st == IO_OK && q->len)
            st = send_all(h, q->body, q->len, deadline);
        bool sent = st == IO_OK, fresh_eof = false, keep_conn = false;
        if (sent) {
            if (q->answer)
                q->answer->len = 0;
            st = read_answer(h, q, r, deadline, &fresh_eof, &keep_conn);
        }
        if (st == IO_OK) {
            if (!keep_conn)
                httpx_plain_close(h);
            ok = true;
            break;
        }
        httpx_plain_close(h);
        if (st == IO_STOPPED) {
            r->stopped = true;
            r->status = 0;
            break;
        }
        /* A kept connection the server had closed in the meantime (the request could not be
         * sent, or the connection ended before any byte of an answer): once more on a new one.
         * Nothing else is sent twice. */
        if (reused && attempt == 0 && ((!sent && st == IO_ERROR) || fresh_eof))
            continue;
        r->status = 0;
        if (st == IO_TIMEOUT)
            snprintf(r->error, sizeof r->error, "no answer within %d ms", h->timeout_ms);
        else if (!sent)
            snprintf(r->error, sizeof r->error, "could not send the request: %s",
                     strerror(h->err ? h->err : EPIPE));
        else if (fresh_eof)
            snprintf(r->error, sizeof r->error,
                     "the server closed the connection without an answer");
        else if (h->ended)
            snprintf(r->error, sizeof r->error, "the answer ended early");
        else if (h->err)
            snprintf(r->error, sizeof r->error, "the connection failed: %s", strerror(h->err));
        else
            snprintf(r->error, sizeof r->error, "a malformed answer");
        break;
    }
    abuf_free(&req);
    return ok;
}
