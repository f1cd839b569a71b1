/* chunkscan.c: the scanner of stream events (see chunkscan.h).
 *
 * Recursive descent over the text with a context saying where the value sits (the root, the
 * choices array, its first element, its delta, usage); values elsewhere are only validated. */
#include "loadgen/chunkscan.h"

#include <stdlib.h>
#include <string.h>

typedef enum ctx { C_OTHER = 0, C_ROOT, C_CHOICES, C_CHOICE0, C_DELTA, C_USAGE } ctx;

typedef struct scanner {
    const char *p, *end;
    int depth;
    chunk_scan *out;
} scanner;

#define MAX_DEPTH 64

static void skip_ws(scanner *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static bool hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* A string; *start and *len give its raw contents (escapes not decoded). */
static bool scan_string(scanner *s, const char **start, size_t *len)
{
    if (s->p >= s->end || *s->p != '"')
        return false;
    const char *b = ++s->p;
    while (s->p < s->end) {
        unsigned char c = (unsigned char)*s->p;
        if (c == '"') {
            *start = b;
            *len = (size_t)(s->p - b);
            s->p++;
            return true;
        }
        if (c < 0x20)
            return false;
        if (c == '\\') {
            if (++s->p >= s->end)
                return false;
            char e = *s->p;
            if (e == 'u') {
                if (s->end - s->p < 5 || !hex(s->p[1]) || !hex(s->p[2]) || !hex(s->p[3]) ||
                    !hex(s->p[4]))
                    return false;
                s->p += 4;
            } else if (!strchr("\"\\/bfnrt", e) || !e) {
                return false;
            }
        }
        s->p++;
    }
    return false;
}

static bool digits(scanner *s)
{
    const char *b = s->p;
    while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
        s->p++;
    return s->p > b;
}

/* A number; *is_int and *ival when it is a whole number that fits. */
static bool scan_number(scanner *s, bool *is_int, int64_t *ival)
{
    const char *b = s->p;
    *is_int = true;
    if (s->p < s->end && *s->p == '-')
        s->p++;
    if (s->p < s->end && *s->p == '0')
        s->p++;
    else if (!digits(s))
        return false;
    if (s->p < s->end && *s->p == '.') {
        s->p++;
        *is_int = false;
        if (!digits(s))
            return false;
    }
    if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
        s->p++;
        *is_int = false;
        if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
            s->p++;
        if (!digits(s))
            return false;
    }
    if (*is_int) {
        size_t n = (size_t)(s->p - b);
        if (n > 18) {
            *is_int = false; /* too long for int64 without checking: not a token count */
        } else {
            char buf[24];
            memcpy(buf, b, n);
            buf[n] = '\0';
            *ival = strtoll(buf, NULL, 10);
        }
    }
    return true;
}

static bool literal(scanner *s, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n))
        return false;
    s->p += n;
    return true;
}

static bool scan_value(scanner *s, ctx c);

static bool key_is(const char *k, size_t n, const char *want)
{
    return strlen(want) == n && !memcmp(k, want, n);
}

/* The context of a member's value, and what a string or number there means. */
static ctx member_ctx(ctx parent, const char *k, size_t n)
{
    if (parent == C_ROOT && key_is(k, n, "choices"))
        return C_CHOICES;
    if (parent == C_ROOT && key_is(k, n, "usage"))
        return C_USAGE;
    if (parent == C_CHOICE0 && (key_is(k, n, "delta") || key_is(k, n, "message")))
        return C_DELTA; /* a streamed delta, or a whole answer's message */
    return C_OTHER;
}

static bool content_key(ctx parent, const char *k, size_t n)
{
    if (parent == C_DELTA)
        return key_is(k, n, "content") || key_is(k, n, "reasoning_content") ||
               key_is(k, n, "reasoning");
    return parent == C_CHOICE0 && key_is(k, n, "text");
}

static bool scan_member_value(scanner *s, ctx parent, const char *k, size_t n)
{
    chunk_scan *o = s->out;
    skip_ws(s);
    if (s->p >= s->end)
        return false;
    if (parent == C_ROOT && key_is(k, n, "usage"))
        o->has_usage = true;
    if (*s->p == '"' && content_key(parent, k, n)) {
        const char *v;
        size_t vl;
        if (!scan_string(s, &v, &vl))
            return false;
        o->content = o->content || vl > 0;
        return true;
    }
    if (parent == C_USAGE && (*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))) {
        bool is_int;
        int64_t v = 0;
        if (!scan_number(s, &is_int, &v))
            return false;
        if (is_int && key_is(k, n, "completion_tokens")) {
            o->completion_tokens = v;
            o->completion_tokens_set = true;
        } else if (is_int && key_is(k, n, "prompt_tokens")) {
            o->prompt_tokens = v;
            o->prompt_tokens_set = true;
        }
        return true;
    }
    if (parent == C_ROOT && key_is(k, n, "error")) {
        if (literal(s, "null"))
            return true;
        o->error = true;
    }
    return scan_value(s, member_ctx(parent, k, n));
}

static bool scan_object(scanner *s, ctx c)
{
    s->p++; /* '{' */
    skip_ws(s);
    if (s->p < s->end && *s->p == '}') {
        s->p++;
        return true;
    }
    for (;;) {
        const char *k;
        size_t kl;
        skip_ws(s);
        if (!scan_string(s, &k, &kl))
            return false;
        skip_ws(s);
        if (s->p >= s->end || *s->p != ':')
            return false;
        s->p++;
        if (!scan_member_value(s, c, k, kl))
            return false;
        skip_ws(s);
        if (s->p >= s->end)
            return false;
        if (*s->p == '}') {
            s->p++;
            return true;
        }
        if (*s->p++ != ',')
            return false;
    }
}

static bool scan_array(scanner *s, ctx c)
{
    s->p++; /* '[' */
    skip_ws(s);
    if (s->p < s->end && *s->p == ']') {
        s->p++;
        return true;
    }
    for (size_t i = 0;; i++) {
        if (c == C_CHOICES && i == 0)
            s->out->has_choices = true;
        if (!scan_value(s, c == C_CHOICES && i == 0 ? C_CHOICE0 : C_OTHER))
            return false;
        skip_ws(s);
        if (s->p >= s->end)
            return false;
        if (*s->p == ']') {
            s->p++;
            return true;
        }
        if (*s->p++ != ',')
            return false;
    }
}

static bool scan_value(scanner *s, ctx c)
{
    skip_ws(s);
    if (s->p >= s->end)
        return false;
    bool ok;
    switch (*s->p) {
    case '{':
        if (++s->depth > MAX_DEPTH)
            return false;
        ok = scan_object(
            s, c == C_CHOICE0 || c == C_DELTA || c == C_USAGE || c == C_ROOT ? c : C_OTHER);
        s->depth--;
        return ok;
    case '[':
        if (++s->depth > MAX_DEPTH)
            return false;
        ok = scan_array(s, c == C_CHOICES ? c : C_OTHER);
        s->depth--;
        return ok;
    case '"': {
        const char *v;
        size_t vl;
        return scan_string(s, &v, &vl);
    }
    case 't':
        return literal(s, "true");
    case 'f':
        return literal(s, "false");
    case 'n':
        return literal(s, "null");
    default: {
        bool is_int;
        int64_t v;
        return scan_number(s, &is_int, &v);
    }
    }
}

void chunk_scan_event(const char *data, size_t len, chunk_scan *out)
{
    memset(out, 0, sizeof *out);
    scanner s = {.p = data, .end = data + len, .out = out};
    skip_ws(&s);
    if (s.p >= s.end || *s.p != '{') {
        out->valid = false;
        return;
    }
    bool ok = scan_value(&s, C_ROOT);
    skip_ws(&s);
    if (!ok || s.p != s.end)
        memset(out, 0, sizeof *out); /* nothing of a broken event counts */
    else
        out->valid = true;
}
