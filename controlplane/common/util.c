/* util.c: see util.h. */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int64_t aifb_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t aifb_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void aifb_id_new(char prefix, char out[AIFB_ID_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char rnd[6];
    size_t got = 0;
    while (got < sizeof rnd) {
        ssize_t n = getrandom(rnd + got, sizeof rnd - got, 0);
        if (n > 0)
            got += (size_t)n;
        else if (errno != EINTR)
            abort(); /* the kernel's random source failing is not recoverable */
    }
    out[0] = prefix;
    out[1] = '-';
    for (size_t i = 0; i < sizeof rnd; i++) {
        out[2 + 2 * i] = hex[rnd[i] >> 4];
        out[3 + 2 * i] = hex[rnd[i] & 15];
    }
    out[AIFB_ID_LEN] = '\0';
}

bool aifb_id_valid(const char *s, char prefix)
{
    if (!s || strlen(s) != AIFB_ID_LEN || s[0] != prefix || s[1] != '-')
        return false;
    for (int i = 2; i < AIFB_ID_LEN; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        abort();
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        abort();
    return p;
}

void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        abort();
    return p;
}

char *xstrdup(const char *s)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        abort();
    return d;
}

void abuf_reserve(abuf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1)
        cap *= 2;
    b->p = xrealloc(b->p, cap);
    b->cap = cap;
}

void abuf_append(abuf *b, const void *data, size_t n)
{
    abuf_reserve(b, n);
    if (n)
        memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void abuf_puts(abuf *b, const char *s)
{
    abuf_append(b, s, strlen(s));
}

void abuf_putc(abuf *b, char c)
{
    abuf_append(b, &c, 1);
}

void abuf_printf(abuf *b, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n > 0) {
        abuf_reserve(b, (size_t)n);
        vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap2);
        b->len += (size_t)n;
    }
    va_end(ap2);
}

void abuf_json_str(abuf *b, const char *s)
{
    abuf_putc(b, '"');
    for (const unsigned char *c = (const unsigned char *)(s ? s : ""); *c; c++) {
        switch (*c) {
        case '"':
            abuf_puts(b, "\\\"");
            break;
        case '\\':
            abuf_puts(b, "\\\\");
            break;
        case '\n':
            abuf_puts(b, "\\n");
            break;
        case '\r':
            abuf_puts(b, "\\r");
            break;
        case '\t':
            abuf_puts(b, "\\t");
            break;
        default:
            if (*c < 0x20)
                abuf_printf(b, "\\u%04x", *c);
            else
                abuf_putc(b, (char)*c);
        }
    }
    abuf_putc(b, '"');
}

char *abuf_take(abuf *b)
{
    char *p = b->p ? b->p : xstrdup("");
    b->p = NULL;
    b->len = b->cap = 0;
    return p;
}

void abuf_free(abuf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

aifb_code aifb_mkdirs(const char *path, unsigned mode, aifb_err *err)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return aifb_err_set(err, AIFB_EINVAL, "path too long: %.64s...", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, mode) != 0 && errno != EEXIST)
            return aifb_err_set(err, AIFB_EINTERNAL, "cannot create folder %s: %s", buf,
                                strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, mode) != 0 && errno != EEXIST)
        return aifb_err_set(err, AIFB_EINTERNAL, "cannot create folder %s: %s", buf,
                            strerror(errno));
    return AIFB_OK;
}

aifb_code aifb_read_file(const char *path, size_t max, char **out, size_t *len, aifb_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return aifb_err_set(err, errno == ENOENT ? AIFB_ENOTFOUND : AIFB_EINTERNAL,
                            "cannot open %s: %s", path, strerror(errno));
    abuf b = {0};
    char chunk[8192];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            abuf_free(&b);
            return aifb_err_set(err, AIFB_EINTERNAL, "cannot read %s: %s", path, strerror(e));
        }
        if (n == 0)
            break;
        if (b.len + (size_t)n > max) {
            close(fd);
            abuf_free(&b);
            return aifb_err_set(err, AIFB_ERESOURCE, "%s is larger than %zu bytes", path, max);
        }
        abuf_append(&b, chunk, (size_t)n);
    }
    close(fd);
    if (len)
        *len = b.len;
    *out = abuf_take(&b);
    return AIFB_OK;
}

aifb_code aifb_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode,
                                 aifb_err *err)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return aifb_err_set(err, AIFB_EINTERNAL, "cannot create %s: %s", tmp, strerror(errno));
    const char *p = data;
    size_t left = len;
    while (left) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            unlink(tmp);
            return aifb_err_set(err, AIFB_EINTERNAL, "cannot write %s: %s", tmp, strerror(e));
        }
        p += n;
        left -= (size_t)n;
    }
    if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return aifb_err_set(err, AIFB_EINTERNAL, "cannot save %s: %s", path, strerror(e));
    }
    return AIFB_OK;
}

bool aifb_secret_equal(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char diff = (unsigned char)(la != lb);
    for (size_t i = 0; i < la; i++)
        diff |= (unsigned char)(a[i] ^ b[i % (lb ? lb : 1)]);
    return diff == 0 && la == lb;
}

void aifb_secret_free(char *s)
{
    if (!s)
        return;
    volatile char *p = s;
    while (*p)
        *p++ = '\0';
    free(s);
}

long aifb_raise_open_files_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl))
        return 1024;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    return rl.rlim_cur > (rlim_t)1 << 30 ? 1L << 30 : (long)rl.rlim_cur;
}
