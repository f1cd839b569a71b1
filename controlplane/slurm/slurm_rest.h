/* slurm_rest.h: a client of slurmrestd over HTTP (libcurl), on TCP with a JWT or on a unix socket.
 *
 * One slurm_rest is one slurmrestd: its address, how to authenticate, which data version to speak.
 * Each call is one HTTP request on one reused libcurl handle (so the connection is kept between
 * calls), serialised by a mutex: the reconciler and the API threads may share a client. The
 * bodies and replies are built and read by slurm_api (one table per data version); this module
 * moves them and turns what can go wrong on the way into aifb errors:
 *
 *   AIFB_EUNAVAILABLE      "slurmrestd at URL unreachable: <libcurl's reason>": the connection
 *                          failed, dropped or timed out, or a proxy answered 502/503/504. Also
 *                          "slurmrestd at URL cannot reach slurmctld" (Slurm errors 1000-1004,
 *                          1800-1804, 5004), and a GET that 22.05 fails with error -1 alone
 *                          (what it says both when slurmctld is down and when slurmctld refused
 *                          the token: the message names both). Nothing is known about the
 *                          request's effect: the caller keeps its runs' states and retries later
 *                          (a submit may have happened: find the job by name).
 *   AIFB_EUNAUTHENTICATED  HTTP 401/403, a given token that has expired, or slurmrestd 22.05's
 *                          HTTP 500 "Zero Bytes were transmitted or received" (error 5005), which
 *                          is how slurmctld's refusal of a bad token comes back.
 *   AIFB_EINVAL            a refused submission, with Slurm's message ("Invalid partition name
 *                          specified (error 2000)").
 *   AIFB_ENOTFOUND         an unknown job id (error 2017).
 *   AIFB_EABORTED          any other Slurm error, with Slurm's message.
 * Every message starts with "slurmrestd at URL"; none carries a token or a key.
 *
 * slurm_rest.c holds the configuration, the tokens and the HTTP exchange; slurm_rest_calls.c the
 * calls below, one per endpoint, and the data version detection. */
#ifndef AIFB_SLURM_REST_H
#define AIFB_SLURM_REST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "slurm/slurm_api.h"

/* How to reach and authenticate to slurmrestd. Strings are copied by slurm_rest_new. */
typedef struct slurm_rest_config {
    /* "http://host:port" (or https://) for a slurmrestd with rest_auth/jwt, or
     * "unix:/path/to.sock" for one with rest_auth/local (it knows the caller by its uid, so no
     * auth header is sent). No user:password@ part: credentials go in the fields below. */
    const char *url;
    /* X-SLURM-USER-NAME. Over TCP, required when minting; with a fixed token, NULL or "" takes
     * the token's own "sun" claim. */
    const char *user;
    /* A fixed token (SLURM_JWT, as `scontrol token` prints it, without "SLURM_JWT="). */
    const char *token;
    /* Or the cluster's HS256 key file (Slurm's jwt_hs256.key) to mint tokens with: each lives
     * jwt_lifetime_s (0: 3600) and is renewed once 80% of its life has passed. */
    const char *jwt_key_path;
    int jwt_lifetime_s;
    /* Send the token headers over a unix socket too: for a local socket that forwards to a JWT
     * slurmrestd (an SSH tunnel). Off: a unix socket means rest_auth/local. */
    bool token_over_unix;
    /* "v0.0.38", ..., or NULL / "auto": read GET /openapi/v3 once (at the first call) and take
     * the newest version both sides know (slurm_api_detect). */
    const char *version;
    int connect_timeout_ms; /* 0: 5000 */
    int timeout_ms;         /* whole request; 0: 20000 */
} slurm_rest_config;

typedef struct slurm_rest slurm_rest;

/* Checks cfg and makes a client; no request is sent yet, so this works while slurmrestd is down.
 * AIFB_EINVAL naming the bad value: a URL that is neither http(s):// nor unix:/absolute, one
 * with credentials in it, TCP without a token source, both a token and a key file, a token that
 * is not a JWT (never quoted), an unsupported version; AIFB_ENOTFOUND for a missing key file. */
aifb_code slurm_rest_new(const slurm_rest_config *cfg, slurm_rest **out, aifb_err *err);

/* Frees the client (wiping its token and key). NULL is fine. */
void slurm_rest_free(slurm_rest *r);

/* The URL the client was made with, as given (it holds no secret). */
const char *slurm_rest_url(const slurm_rest *r);

/* The data version in use: the configured one, or detected now (one GET /openapi/v3) if not yet
 * done. Errors as for any request, or those of slurm_api_detect. */
aifb_code slurm_rest_api(slurm_rest *r, const slurm_api **api, aifb_err *err);

/* POST job/submit: *job_id is Slurm's id for the new job. */
aifb_code slurm_rest_submit(slurm_rest *r, const slurm_job_spec *spec, uint32_t *job_id,
                            aifb_err *err);

/* GET jobs: every job slurmctld knows, in one request (the reconciler's one call per tick).
 * update_time 0 asks for everything. Given an update_time, Slurm sends every job when anything
 * changed since then and nothing when nothing did: *changed is then false, *jobs NULL and *n 0
 * (HTTP 304 in v0.0.38, an empty list in later versions), and the caller keeps what it knew.
 * *changed is always true for update_time 0. *jobs is malloc'd; the caller frees it. */
aifb_code slurm_rest_jobs(slurm_rest *r, int64_t update_time, slurm_job_info **jobs, size_t *n,
                          bool *changed, aifb_err *err);

/* GET job/{id}. AIFB_ENOTFOUND when Slurm does not know the job (or has forgotten it). */
aifb_code slurm_rest_job(slurm_rest *r, uint32_t job_id, slurm_job_info *job, aifb_err *err);

/* DELETE job/{id}: signal 0 lets Slurm cancel the job (SIGKILL after KillWait); another number
 * sends that signal (e.g. SIGTERM) to the job. AIFB_ENOTFOUND for an unknown job. */
aifb_code slurm_rest_cancel(slurm_rest *r, uint32_t job_id, int signal, aifb_err *err);

/* GET nodes and GET partitions (for GetInfo); the arrays are malloc'd, the caller frees them. */
aifb_code slurm_rest_nodes(slurm_rest *r, slurm_node_info **nodes, size_t *n, aifb_err *err);
aifb_code slurm_rest_partitions(slurm_rest *r, slurm_partition_info **parts, size_t *n,
                                aifb_err *err);

/* GET ping: AIFB_OK when slurmrestd answers and reaches slurmctld; release (may be NULL) gets
 * the Slurm release its reply names ("22.05.8", "" when none). */
aifb_code slurm_rest_ping(slurm_rest *r, char *release, size_t releaselen, aifb_err *err);

#endif
