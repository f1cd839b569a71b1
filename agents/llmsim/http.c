/* http.c: the incremental HTTP/1.1 request parser (see http.h).
 *
 * Two steps: find the blank line that ends the head (CRLF or bare LF line ends, leading blank
 * lines skipped as RFC 9112 allows), then read the head line by line into http_request. Only the
 * headers the server acts on are kept: Content-Length, Transfer-Encoding, Connection and Expect. */
#include "llmsim/http.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>

static http_status fail(http_error *err, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static http_status fail(http_error *err, int status, const char *fmt, ...)
{
    err->status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return HTTP_FAIL;
}

void http_parser_init(http_parser *p)
{
    memset(p, 0, sizeof *p);
}

static bool is_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Where the head ends (just past its blank line), or 0 when it has not all arrived; *scanned
 * moves past the bytes that cannot start the end. */
static size_t find_head_end(const char *buf, size_t len, size_t from, size_t *scanned)
{
    for (size_t i = from; i < len; i++) {
        if (buf[i] != '\n')
            continue;
        if (i + 1 >= len || (buf[i + 1] == '\r' && i + 2 >= len)) {
            *scanned = i; /* undecided until more bytes come */
            return 0;
        }
        if (buf[i + 1] == '\n')
            return i + 2;
        if (buf[i + 1] == '\r' && buf[i + 2] == '\n')
            return i + 3;
    }
    *scanned = len;
    return 0;
}

/* The next line of [*at, end) without its line end; false at the end. */
static bool next_line(const char **at, const char *end, const char **line, size_t *n)
{
    if (*at >= end)
        return false;
    const char *nl = memchr(*at, '\n', (size_t)(end - *at));
    const char *stop = nl ? nl : end;
    *line = *at;
    *n = (size_t)(stop - *at);
    if (*n && (*line)[*n - 1] == '\r')
        (*n)--;
    *at = nl ? nl + 1 : end;
    return true;
}

static http_status parse_version(const char *v, size_t n, http_request *r, http_error *err)
{
    if (n == 8 && !memcmp(v, "HTTP/1.", 7) && (v[7] == '0' || v[7] == '1')) {
        r->minor = v[7] - '0';
        r->keep_alive = r->minor == 1;
        return HTTP_DONE;
    }
    if (n == 8 && !memcmp(v, "HTTP/", 5) && v[5] >= '0' && v[5] <= '9' && v[6] == '.' &&
        v[7] >= '0' && v[7] <= '9')
        return fail(err, 505, "HTTP version %.8s is not supported (HTTP/1.0 and HTTP/1.1 are)", v);
    return fail(err, 400, "malformed request line: '%.*s' is not an HTTP version",
                (int)(n > 40 ? 40 : n), v);
}

static http_status parse_request_line(const char *l, size_t n, http_request *r, http_error *err)
{
    const char *sp1 = memchr(l, ' ', n);
    if (!sp1 || sp1 == l)
        return fail(err, 400, "malformed request line: expected 'METHOD /path HTTP/1.1'");
    size_t mlen = (size_t)(sp1 - l);
    if (mlen >= sizeof r->method)
        return fail(err, 400, "malformed request line: method of %zu characters", mlen);
    for (size_t i = 0; i < mlen; i++)
        if (!is_tchar((unsigned char)l[i]))
            return fail(err, 400, "malformed request line: bad character in the method");
    memcpy(r->method, l, mlen);
    r->method[mlen] = '\0';
    const char *target = sp1 + 1, *end = l + n;
    const char *sp2 = memchr(target, ' ', (size_t)(end - target));
    if (!sp2 || sp2 == target)
        return fail(err, 400, "malformed request line: expected 'METHOD /path HTTP/1.1'");
    size_t tlen = (size_t)(sp2 - target);
    if (tlen > HTTP_MAX_TARGET)
        return fail(err, 414, "request target of %zu bytes is over the limit of %d", tlen,
                    HTTP_MAX_TARGET);
    if (target[0] != '/')
        return fail(err, 400, "request target '%.*s' does not start with '/'",
                    (int)(tlen > 60 ? 60 : tlen), target);
    for (size_t i = 0; i < tlen; i++)
        if ((unsigned char)target[i] <= 0x20 || target[i] == 0x7f)
            return fail(err, 400, "malformed request line: control character in the target");
    const char *q = memchr(target, '?', tlen);
    size_t plen = q ? (size_t)(q - target) : tlen;
    memcpy(r->path, target, plen);
    r->path[plen] = '\0';
    r->has_query = q != NULL;
    return parse_version(sp2 + 1, (size_t)(end - sp2 - 1), r, err);
}

static bool token_in_list(const char *v, size_t n, const char *token)
{
    size_t tl = strlen(token);
    for (size_t i = 0; i < n;) {
        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
            i++;
        size_t s = i;
        while (i < n && v[i] != ',' && v[i] != ' ' && v[i] != '\t')
            i++;
        if (i - s == tl && !strncasecmp(v + s, token, tl))
            return true;
    }
    return false;
}

typedef struct head_state {
    bool has_length, chunked, conn_close, conn_keep;
} head_state;

static http_status parse_length(const char *v, size_t n, http_request *r, head_state *hs,
                                http_error *err)
{
    uint64_t x = 0;
    if (!n)
        return fail(err, 400, "empty Content-Length");
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return fail(err, 400, "Content-Length '%.*s' is not a number", (int)(n > 30 ? 30 : n),
                        v);
        if (x > (UINT64_MAX - 9) / 10)
            return fail(err, 413, "Content-Length '%.*s' is too large", (int)(n > 30 ? 30 : n), v);
        x = x * 10 + (uint64_t)(v[i] - '0');
    }
    if (hs->has_length && x != r->content_length)
        return fail(err, 400, "two different Content-Length headers");
    hs->has_length = true;
    r->content_length = (size_t)x;
    return HTTP_DONE;
}

/* Only ids that are safe to write into a log line unquoted are kept. */
static void keep_request_id(http_request *r, const char *v, size_t n)
{
    r->request_id[0] = '\0';
    if (n == 0 || n >= sizeof r->request_id)
        return;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)v[i]) && !strchr("._:-", v[i]))
            return;
    memcpy(r->request_id, v, n);
    r->request_id[n] = '\0';
}

static http_status parse_header(const char *l, size_t n, http_request *r, head_state *hs,
                                http_error *err)
{
    if (l[0] == ' ' || l[0] == '\t')
        return fail(err, 400, "obsolete header line folding is not accepted");
    const char *colon = memchr(l, ':', n);
    if (!colon || colon == l)
        return fail(err, 400, "malformed header line '%.*s' (no name before ':')",
                    (int)(n > 60 ? 60 : n), l);
    size_t nl = (size_t)(colon - l);
    for (size_t i = 0; i < nl; i++)
        if (!is_tchar((unsigned char)l[i]))
            return fail(err, 400, "malformed header name '%.*s'", (int)(nl > 60 ? 60 : nl), l);
    const char *v = colon + 1, *end = l + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    size_t vl = (size_t)(end - v);
    for (size_t i = 0; i < vl; i++)
        if (((unsigned char)v[i] < 0x20 && v[i] != '\t') || v[i] == 0x7f)
            return fail(err, 400, "control character in header '%.*s'", (int)nl, l);
    if (nl == 14 && !strncasecmp(l, "content-length", nl))
        return parse_length(v, vl, r, hs, err);
    if (nl == 12 && !strncasecmp(l, "x-request-id", nl)) {
        keep_request_id(r, v, vl);
        return HTTP_DONE;
    }
    if (nl == 17 && !strncasecmp(l, "transfer-encoding", nl))
        hs->chunked = true;
    else if (nl == 10 && !strncasecmp(l, "connection", nl)) {
        hs->conn_close |= token_in_list(v, vl, "close");
        hs->conn_keep |= token_in_list(v, vl, "keep-alive");
    } else if (nl == 6 && !strncasecmp(l, "expect", nl))
        r->expect_continue = token_in_list(v, vl, "100-continue");
    return HTTP_DONE;
}

static http_status parse_head(const char *h, size_t n, size_t max_body, http_request *r,
                              http_error *err)
{
    const char *at = h, *end = h + n, *line = h;
    size_t ln = 0;
    next_line(&at, end, &line, &ln);
    http_status st = parse_request_line(line, ln, r, err);
    if (st != HTTP_DONE)
        return st;
    head_state hs = {0};
    while (next_line(&at, end, &line, &ln) && ln > 0) {
        if ((st = parse_header(line, ln, r, &hs, err)) != HTTP_DONE)
            return st;
    }
    if (hs.chunked)
        return fail(err, 411,
                    "request bodies with Transfer-Encoding are not accepted: send Content-Length");
    if (r->content_length > max_body)
        return fail(err, 413, "request body of %zu bytes is over the limit of %zu bytes",
                    r->content_length, max_body);
    if (hs.conn_close)
        r->keep_alive = false;
    else if (hs.conn_keep)
        r->keep_alive = true;
    return HTTP_DONE;
}

http_status http_parse(http_parser *p, const char *buf, size_t len, size_t max_body,
                       http_error *err)
{
    if (!p->head_done) {
        size_t start = 0;
        while (start < len && (buf[start] == '\r' || buf[start] == '\n'))
            start++;
        size_t from = p->scanned > start ? p->scanned : start;
        size_t end = find_head_end(buf, len, from, &p->scanned);
        if (!end) {
            if (len > HTTP_MAX_HEAD)
                return fail(err, 431, "request head is over the limit of %d bytes", HTTP_MAX_HEAD);
            return HTTP_MORE;
        }
        if (end > HTTP_MAX_HEAD)
            return fail(err, 431, "request head is over the limit of %d bytes", HTTP_MAX_HEAD);
        memset(&p->req, 0, sizeof p->req);
        http_status st = parse_head(buf + start, end - start, max_body, &p->req, err);
        if (st != HTTP_DONE)
            return st;
        p->req.head_len = end;
        p->head_done = true;
    }
    if (len - p->req.head_len < p->req.content_length)
        return HTTP_MORE;
    return HTTP_DONE;
}

const char *http_reason(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 411:
        return "Length Required";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 422:
        return "Unprocessable Content";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Unknown";
    }
}
