/* err.c: see err.h. */
#include "err.h"

#include <stdio.h>
#include <string.h>

aifb_code aifb_err_vset(aifb_err *err, aifb_code code, const char *fmt, va_list ap)
{
    if (err) {
        err->code = code;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    }
    return code;
}

aifb_code aifb_err_set(aifb_err *err, aifb_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    aifb_err_vset(err, code, fmt, ap);
    va_end(ap);
    return code;
}

void aifb_err_prefix(aifb_err *err, const char *fmt, ...)
{
    if (!err)
        return;
    char prefix[AIFB_ERR_MSG_MAX], old[AIFB_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    /* Truncation is fine here: the start of a message says the most. */
    int n = snprintf(err->msg, sizeof err->msg, "%.200s: ", prefix);
    if (n > 0 && (size_t)n < sizeof err->msg) {
        size_t room = sizeof err->msg - (size_t)n - 1, len = strnlen(old, sizeof old - 1);
        memcpy(err->msg + n, old, len < room ? len : room);
        err->msg[n + (len < room ? len : room)] = '\0';
    }
}

void aifb_err_clear(aifb_err *err)
{
    if (err) {
        err->code = AIFB_OK;
        err->msg[0] = '\0';
    }
}

const char *aifb_code_name(aifb_code code)
{
    static const char *const names[] = {
        "OK",
        "CANCELLED",
        "UNKNOWN",
        "INVALID_ARGUMENT",
        "DEADLINE_EXCEEDED",
        "NOT_FOUND",
        "ALREADY_EXISTS",
        "PERMISSION_DENIED",
        "RESOURCE_EXHAUSTED",
        "FAILED_PRECONDITION",
        "ABORTED",
        "OUT_OF_RANGE",
        "UNIMPLEMENTED",
        "INTERNAL",
        "UNAVAILABLE",
        "DATA_LOSS",
        "UNAUTHENTICATED",
    };
    if ((unsigned)code < sizeof names / sizeof names[0])
        return names[code];
    return "UNKNOWN";
}
