/* test_agent_promrw.h: what the remote write tests share: reading a request body back the way a
 * receiver does (snappy block format, then protobuf-c), and finding a series in it by its
 * labels. Included by test_agent_promrw_*.c only. */
#ifndef AIFB_TEST_AGENT_PROMRW_H
#define AIFB_TEST_AGENT_PROMRW_H

#include <criterion/criterion.h>
#include <snappy-c.h>
#include <stdlib.h>
#include <string.h>

#include "core/promrw.h"
#include "prometheus/remote.pb-c.h"

/* Uncompresses and unpacks a request body; free with prometheus__write_request__free_unpacked. */
static inline Prometheus__WriteRequest *t_decode(const void *body, size_t len)
{
    size_t plen = 0;
    cr_assert_eq(snappy_uncompressed_length(body, len, &plen), SNAPPY_OK, "not snappy block data");
    char *packed = malloc(plen + 1);
    cr_assert_eq(snappy_uncompress(body, len, packed, &plen), SNAPPY_OK);
    Prometheus__WriteRequest *req =
        prometheus__write_request__unpack(NULL, plen, (const uint8_t *)packed);
    free(packed);
    cr_assert_not_null(req, "not a prometheus.WriteRequest");
    return req;
}

/* Encodes the batch and reads it back. */
static inline Prometheus__WriteRequest *t_roundtrip(const promrw_batch *b)
{
    void *body = NULL;
    size_t len = 0;
    aifb_err err = {0};
    cr_assert_eq(promrw_batch_encode(b, &body, &len, &err), AIFB_OK, "%s", err.msg);
    Prometheus__WriteRequest *req = t_decode(body, len);
    free(body);
    return req;
}

/* The value of a label of the series, or NULL. */
static inline const char *t_label(const Prometheus__TimeSeries *ts, const char *name)
{
    for (size_t i = 0; i < ts->n_labels; i++)
        if (strcmp(ts->labels[i]->name, name) == 0)
            return ts->labels[i]->value;
    return NULL;
}

/* The series named name whose label key has the value want (key NULL: any), or NULL. */
static inline const Prometheus__TimeSeries *
t_series(const Prometheus__WriteRequest *req, const char *name, const char *key, const char *want)
{
    for (size_t i = 0; i < req->n_timeseries; i++) {
        const Prometheus__TimeSeries *ts = req->timeseries[i];
        const char *n = t_label(ts, "__name__");
        const char *v = key ? t_label(ts, key) : NULL;
        if (n && strcmp(n, name) == 0 && (!key || (v && strcmp(v, want) == 0)))
            return ts;
    }
    return NULL;
}

#endif
