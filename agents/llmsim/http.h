/* http.h: the HTTP/1.1 request parser of aifb-llmsim.
 *
 * Incremental and allocation-free: the connection keeps appending what it reads and calls
 * http_parse() on the unparsed bytes until it says DONE; however the bytes were split, the result
 * is the same. It remembers how far it has looked for the end of the head, so a head trickling in
 * a byte at a time costs linear time, and once the head is parsed it only waits for the body.
 * Bodies come by Content-Length only: a chunked request body is refused with 411, as the server
 * never needs one. Anything malformed ends in FAIL with the status to answer and a sentence naming
 * what was wrong; the connection is then closed, since its framing can no longer be trusted. */
#ifndef AIFB_LLMSIM_HTTP_H
#define AIFB_LLMSIM_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_MAX_HEAD   (64 * 1024) /* request line and headers; more is 431 */
#define HTTP_MAX_TARGET 2048        /* request target; more is 414 */

typedef struct http_request {
    char method[16];
    char path[HTTP_MAX_TARGET + 1]; /* the target without its query string */
    bool has_query;
    int minor;       /* HTTP/1.<minor>: 0 or 1 */
    bool keep_alive; /* what the client asked for, with the version's default */
    bool expect_continue;
    size_t content_length;
    size_t head_len; /* bytes before the body (leading blank lines included) */
    /* x-request-id, kept for --request-log: [A-Za-z0-9._:-] only, at most 63 bytes; "" when
     * absent or holding anything else. */
    char request_id[64];
} http_request;

typedef struct http_parser {
    size_t scanned; /* bytes known not to hold the end of the head */
    bool head_done;
    http_request req;
} http_parser;

typedef enum http_status { HTTP_FAIL = -1, HTTP_MORE = 0, HTTP_DONE = 1 } http_status;

typedef struct http_error {
    int status; /* the HTTP status to answer: 400, 405, 411, 413, 414, 431, 505 */
    char msg[256];
} http_error;

void http_parser_init(http_parser *p);
/* Parses the request at the start of buf[0..len). DONE: p->req is the request; it spans
 * p->req.head_len + p->req.content_length bytes and its body starts at buf + head_len; call
 * http_parser_init() before parsing the next. MORE: not all of it is there yet (p->head_done tells
 * whether only body bytes are missing). FAIL: err says why. Bodies over max_body bytes are 413. */
http_status http_parse(http_parser *p, const char *buf, size_t len, size_t max_body,
                       http_error *err);

/* The reason phrase of a status code ("Not Found"), "Unknown" for others. */
const char *http_reason(int status);

#endif
