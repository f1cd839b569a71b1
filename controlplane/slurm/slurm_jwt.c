/* slurm_jwt.c: see slurm_jwt.h. SHA-256 first (FIPS 180-4, section 6.2), then HMAC, base64url,
 * the key file, and the tokens built from them. */
#include "slurm/slurm_jwt.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- SHA-256 -------------------------------------------------------------------------------- */

typedef struct sha256_ctx {
    uint32_t h[8];
    uint8_t block[64];
    size_t fill;    /* bytes waiting in block */
    uint64_t total; /* bytes hashed so far */
} sha256_ctx;

static const uint32_t sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror32(uint32_t x, unsigned n)
{
    return (x >> n) | (x << (32 - n));
}

static void sha256_init(sha256_ctx *c)
{
    static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(c->h, h0, sizeof h0);
    c->fill = 0;
    c->total = 0;
}

static void sha256_compress(uint32_t h[8], const uint8_t p[64])
{
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ror32(w[i - 15], 7) ^ ror32(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ror32(w[i - 2], 17) ^ ror32(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = hh + (ror32(e, 6) ^ ror32(e, 11) ^ ror32(e, 25)) + ((e & f) ^ (~e & g)) +
                      sha256_k[i] + w[i];
        uint32_t t2 = (ror32(a, 2) ^ ror32(a, 13) ^ ror32(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        hh = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
}

static void sha256_update(sha256_ctx *c, const void *data, size_t len)
{
    const uint8_t *p = data;
    c->total += len;
    while (len) {
        size_t take = 64 - c->fill < len ? 64 - c->fill : len;
        memcpy(c->block + c->fill, p, take);
        c->fill += take;
        p += take;
        len -= take;
        if (c->fill == 64) {
            sha256_compress(c->h, c->block);
            c->fill = 0;
        }
    }
}

static void sha256_final(sha256_ctx *c, uint8_t out[SLURM_SHA256_LEN])
{
    uint64_t bits = c->total * 8;
    uint8_t pad = 0x80, zero = 0, len_be[8];
    sha256_update(c, &pad, 1);
    while (c->fill != 56)
        sha256_update(c, &zero, 1);
    for (int i = 0; i < 8; i++)
        len_be[i] = (uint8_t)(bits >> (56 - 8 * i));
    sha256_update(c, len_be, 8);
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(c->h[i] >> 24);
        out[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(c->h[i] >> 8);
        out[4 * i + 3] = (uint8_t)c->h[i];
    }
}

void slurm_sha256(const void *data, size_t len, uint8_t out[SLURM_SHA256_LEN])
{
    sha256_ctx c;
    sha256_init(&c);
    sha256_update(&c, data, len);
    sha256_final(&c, out);
}

/* ---- HMAC-SHA256 ---------------------------------------------------------------------------- */

void slurm_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
                       uint8_t out[SLURM_SHA256_LEN])
{
    uint8_t k[64] = {0}, ipad[64], opad[64], inner[SLURM_SHA256_LEN];
    if (keylen > sizeof k)
        slurm_sha256(key, keylen, k);
    else if (keylen)
        memcpy(k, key, keylen);
    for (int i = 0; i < 64; i++) {
        ipad[i] = k[i] ^ 0x36;
        opad[i] = k[i] ^ 0x5c;
    }
    sha256_ctx c;
    sha256_init(&c);
    sha256_update(&c, ipad, sizeof ipad);
    sha256_update(&c, msg, msglen);
    sha256_final(&c, inner);
    sha256_init(&c);
    sha256_update(&c, opad, sizeof opad);
    sha256_update(&c, inner, sizeof inner);
    sha256_final(&c, out);
    /* The padded key is as secret as the key. */
    memset(k, 0, sizeof k);
    memset(ipad, 0, sizeof ipad);
    memset(opad, 0, sizeof opad);
    memset(&c, 0, sizeof c);
}

/* ---- base64url ------------------------------------------------------------------------------ */

static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void slurm_base64url(abuf *b, const void *data, size_t len)
{
    const uint8_t *p = data;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < len)
            v |= p[i + 2];
        abuf_putc(b, b64url_alphabet[(v >> 18) & 63]);
        abuf_putc(b, b64url_alphabet[(v >> 12) & 63]);
        if (i + 1 < len)
            abuf_putc(b, b64url_alphabet[(v >> 6) & 63]);
        if (i + 2 < len)
            abuf_putc(b, b64url_alphabet[v & 63]);
    }
}

static int b64url_value(char c)
{
    const char *at = c ? strchr(b64url_alphabet, c) : NULL;
    return at ? (int)(at - b64url_alphabet) : -1;
}

aifb_code slurm_base64url_decode(const char *text, size_t len, uint8_t **out, size_t *outlen,
                                 aifb_err *err)
{
    while (len && text[len - 1] == '=')
        len--;
    if (len % 4 == 1)
        return aifb_err_set(err, AIFB_EINVAL, "base64url text of %zu characters is cut short", len);
    uint8_t *buf = xmalloc(len * 3 / 4 + 1);
    size_t n = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64url_value(text[i]);
        if (v < 0) {
            free(buf);
            return aifb_err_set(err, AIFB_EINVAL,
                                "base64url text has a character outside the alphabet at %zu", i);
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[n++] = (uint8_t)(acc >> bits);
        }
    }
    buf[n] = 0;
    *out = buf;
    *outlen = n;
    return AIFB_OK;
}

/* ---- keys and tokens ------------------------------------------------------------------------ */

#define SLURM_JWT_KEY_MAX (64 * 1024)

aifb_code slurm_jwt_key_load(const char *path, uint8_t **key, size_t *keylen, aifb_err *err)
{
    char *data;
    size_t len;
    aifb_code rc = aifb_read_file(path, SLURM_JWT_KEY_MAX, &data, &len, err);
    if (rc == AIFB_ERESOURCE)
        return aifb_err_set(err, AIFB_EINVAL, "JWT key file %s is over %d bytes: not an HS256 key",
                            path, SLURM_JWT_KEY_MAX);
    if (rc) {
        aifb_err_prefix(err, "JWT key file");
        return rc;
    }
    if (len == 0) {
        free(data);
        return aifb_err_set(err, AIFB_EINVAL, "JWT key file %s is empty", path);
    }
    *key = (uint8_t *)data;
    *keylen = len;
    return AIFB_OK;
}

void slurm_jwt_key_free(uint8_t *key, size_t keylen)
{
    if (!key)
        return;
    /* volatile, so the compiler cannot drop a store to memory about to be freed. */
    volatile uint8_t *p = key;
    for (size_t i = 0; i < keylen; i++)
        p[i] = 0;
    free(key);
}

static bool jwt_user_ok(const char *user)
{
    if (!user || !*user || strlen(user) > 255)
        return false;
    for (const char *c = user; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '.' || *c == '_' || *c == '-'))
            return false;
    return true;
}

aifb_code slurm_jwt_mint(const uint8_t *key, size_t keylen, const char *user, int64_t iat,
                         int64_t exp, char **token, aifb_err *err)
{
    if (!jwt_user_ok(user))
        return aifb_err_set(err, AIFB_EINVAL,
                            "Slurm user name '%.64s' is not valid for a JWT (letters, digits, '.', "
                            "'_' and '-' only)",
                            user ? user : "");
    if (exp <= iat)
        return aifb_err_set(err, AIFB_EINVAL, "JWT expiry %lld is not after its issue time %lld",
                            (long long)exp, (long long)iat);
    static const char header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    char payload[400];
    int n = snprintf(payload, sizeof payload, "{\"exp\":%lld,\"iat\":%lld,\"sun\":\"%s\"}",
                     (long long)exp, (long long)iat, user);
    abuf b = {0};
    slurm_base64url(&b, header, strlen(header));
    abuf_putc(&b, '.');
    slurm_base64url(&b, payload, (size_t)n);
    uint8_t sig[SLURM_SHA256_LEN];
    slurm_hmac_sha256(key, keylen, b.p, b.len, sig);
    abuf_putc(&b, '.');
    slurm_base64url(&b, sig, sizeof sig);
    *token = abuf_take(&b);
    return AIFB_OK;
}

aifb_code slurm_jwt_claims(const char *token, char *user, size_t userlen, int64_t *exp,
                           aifb_err *err)
{
    const char *dot1 = token ? strchr(token, '.') : NULL;
    const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    if (!dot1 || !dot2 || strchr(dot2 + 1, '.') || dot1 == token || dot2 == dot1 + 1 || !dot2[1])
        return aifb_err_set(err, AIFB_EINVAL,
                            "the Slurm token is not a JWT (three base64url parts joined by '.')");
    uint8_t *raw;
    size_t rawlen;
    if (slurm_base64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), &raw, &rawlen, NULL))
        return aifb_err_set(err, AIFB_EINVAL, "the Slurm token's payload is not base64url");
    json_object *claims = json_tokener_parse((const char *)raw);
    free(raw);
    if (!claims || !json_object_is_type(claims, json_type_object)) {
        json_object_put(claims);
        return aifb_err_set(err, AIFB_EINVAL, "the Slurm token's payload is not a JSON object");
    }
    json_object *v;
    if (userlen)
        user[0] = '\0';
    if (json_object_object_get_ex(claims, "sun", &v) && json_object_is_type(v, json_type_string) &&
        userlen)
        snprintf(user, userlen, "%s", json_object_get_string(v));
    *exp = 0;
    if (json_object_object_get_ex(claims, "exp", &v) && json_object_is_type(v, json_type_int))
        *exp = json_object_get_int64(v);
    json_object_put(claims);
    return AIFB_OK;
}
