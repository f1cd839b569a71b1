/* slurm_jwt.h: HS256 JSON Web Tokens as Slurm's auth/jwt plugin reads them.
 *
 * slurmrestd over TCP authenticates each request with two headers, X-SLURM-USER-NAME and
 * X-SLURM-USER-TOKEN. The token is either given (SLURM_JWT, as `scontrol token` prints it) or
 * minted here from the cluster's HS256 key (the raw bytes of Slurm's jwt_hs256.key) with the
 * claims Slurm reads: {"exp", "iat", "sun": user}. Tokens are header.payload.signature, each part
 * base64url without padding, the signature HMAC-SHA256 over "header.payload".
 *
 * SHA-256 (FIPS 180-4) and HMAC (RFC 2104) are written here so that no crypto library is needed
 * for one hash; the unit tests check them against the published test vectors. Nothing here logs:
 * tokens and keys are secrets and must never reach a log line or an error message. */
#ifndef AIFB_SLURM_JWT_H
#define AIFB_SLURM_JWT_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/util.h"

#define SLURM_SHA256_LEN 32

/* The SHA-256 digest of len bytes at data. */
void slurm_sha256(const void *data, size_t len, uint8_t out[SLURM_SHA256_LEN]);

/* HMAC-SHA256 of msg under key (any length; keys over 64 bytes are hashed first, per RFC 2104). */
void slurm_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
                       uint8_t out[SLURM_SHA256_LEN]);

/* Appends len bytes as base64url (RFC 4648 section 5) without '=' padding. */
void slurm_base64url(abuf *b, const void *data, size_t len);

/* Decodes unpadded (or padded) base64url text of len characters into a malloc'd buffer (NUL
 * added after the *outlen bytes). AIFB_EINVAL when a character is outside the alphabet or the
 * length is impossible. */
aifb_code slurm_base64url_decode(const char *text, size_t len, uint8_t **out, size_t *outlen,
                                 aifb_err *err);

/* Reads an HS256 key file (raw bytes, as Slurm's jwt_hs256.key) into a malloc'd buffer; free it
 * with slurm_jwt_key_free. AIFB_ENOTFOUND when the file is missing, AIFB_EINVAL when it is empty
 * or over 64 KiB. Messages name the path, never the content. */
aifb_code slurm_jwt_key_load(const char *path, uint8_t **key, size_t *keylen, aifb_err *err);

/* Overwrites the key with zeros before freeing it, so it does not linger in freed memory. */
void slurm_jwt_key_free(uint8_t *key, size_t keylen);

/* A token for user, issued at iat and expiring at exp (Unix seconds), signed with key. *token is
 * malloc'd. AIFB_EINVAL when user is empty or has characters outside [A-Za-z0-9._-] (Slurm user
 * names; keeps the payload free of JSON escapes), or exp is not after iat. */
aifb_code slurm_jwt_mint(const uint8_t *key, size_t keylen, const char *user, int64_t iat,
                         int64_t exp, char **token, aifb_err *err);

/* The claims of a token aifb reads without checking its signature (it has no key for a token it
 * was given): the user ("sun", "" when absent, cut to fit) and the expiry ("exp", 0 when absent).
 * AIFB_EINVAL when the token is not three base64url parts or its payload is not a JSON object;
 * the message never quotes the token. */
aifb_code slurm_jwt_claims(const char *token, char *user, size_t userlen, int64_t *exp,
                           aifb_err *err);

#endif
