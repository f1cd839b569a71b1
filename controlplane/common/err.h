/* err.h: errors as values with names and a human sentence.
 *
 * Every fallible function of aifb takes an `aifb_err *` (may be NULL) and returns an aifb_code.
 * The codes are numbered like gRPC status codes so the API layer maps them one to one, and so a
 * message written deep in the recipe validator ("parameter 'clients': 0 is below the minimum 1")
 * reaches the user unchanged. */
#ifndef AIFB_ERR_H
#define AIFB_ERR_H

#include <stdarg.h>

typedef enum aifb_code {
    AIFB_OK = 0,
    AIFB_ECANCELLED = 1,
    AIFB_EUNKNOWN = 2,
    AIFB_EINVAL = 3,        /* INVALID_ARGUMENT: the caller's input is wrong */
    AIFB_ETIMEOUT = 4,      /* DEADLINE_EXCEEDED */
    AIFB_ENOTFOUND = 5,     /* NOT_FOUND */
    AIFB_EEXIST = 6,        /* ALREADY_EXISTS */
    AIFB_EPERM = 7,         /* PERMISSION_DENIED */
    AIFB_ERESOURCE = 8,     /* RESOURCE_EXHAUSTED */
    AIFB_EPRECONDITION = 9, /* FAILED_PRECONDITION: not allowed in the current state */
    AIFB_EABORTED = 10,
    AIFB_ERANGE = 11, /* OUT_OF_RANGE */
    AIFB_EUNIMPLEMENTED = 12,
    AIFB_EINTERNAL = 13,    /* a bug or an I/O failure on our side */
    AIFB_EUNAVAILABLE = 14, /* a peer (slurmrestd, the daemon) cannot be reached */
    AIFB_EDATALOSS = 15,
    AIFB_EUNAUTHENTICATED = 16,
} aifb_code;

#define AIFB_ERR_MSG_MAX 1024

typedef struct aifb_err {
    aifb_code code;
    char msg[AIFB_ERR_MSG_MAX];
} aifb_err;

/* Sets *err (when err is not NULL) and returns code, so callers can `return aifb_err_set(...)`. */
aifb_code aifb_err_set(aifb_err *err, aifb_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
aifb_code aifb_err_vset(aifb_err *err, aifb_code code, const char *fmt, va_list ap);

/* Prefixes the message already in err with more context: "loading recipes/x.yaml: <old>". */
void aifb_err_prefix(aifb_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Clears err to AIFB_OK with an empty message. */
void aifb_err_clear(aifb_err *err);

/* The name of a code as gRPC spells it ("INVALID_ARGUMENT"). */
const char *aifb_code_name(aifb_code code);

#endif
