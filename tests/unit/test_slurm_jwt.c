/* test_slurm_jwt.c: the HS256 tokens for slurmrestd and what they are made of: SHA-256 against
 * the FIPS 180-4 examples, HMAC-SHA256 against RFC 4231's test cases, base64url against RFC 4648,
 * a token equal byte for byte to one the Slurm test harness mints (and slurmctld accepts), the
 * claims read back, and the refusals of bad users, bad tokens and bad key files. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "slurm/slurm_jwt.h"

static void hex(const uint8_t *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

static void check_sha256(const void *data, size_t len, const char *want)
{
    uint8_t md[32];
    char got[65];
    slurm_sha256(data, len, md);
    hex(md, 32, got);
    cr_assert_str_eq(got, want, "SHA-256 of %zu bytes", len);
}

Test(slurm_jwt, sha256_matches_the_fips_180_4_examples)
{
    check_sha256("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    check_sha256("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    check_sha256(m448, strlen(m448),
                 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    const char *m896 =
        "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklm"
        "nopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    check_sha256(m896, strlen(m896),
                 "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
    char *million = malloc(1000000);
    memset(million, 'a', 1000000);
    check_sha256(million, 1000000,
                 "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(million);
}

static void check_hmac(const uint8_t *key, size_t keylen, const char *data, size_t datalen,
                       const char *want)
{
    uint8_t mac[32];
    char got[65];
    slurm_hmac_sha256(key, keylen, data, datalen, mac);
    hex(mac, 32, got);
    cr_assert(strncmp(got, want, strlen(want)) == 0, "HMAC: got %s, want %s", got, want);
}

Test(slurm_jwt, hmac_sha256_matches_rfc_4231_test_cases_1_to_7)
{
    uint8_t k[131];
    char d[64];
    memset(k, 0x0b, 20);
    check_hmac(k, 20, "Hi There", 8,
               "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    check_hmac((const uint8_t *)"Jefe", 4, "what do ya want for nothing?", 28,
               "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    memset(k, 0xaa, 20);
    memset(d, 0xdd, 50);
    check_hmac(k, 20, d, 50, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
    for (int i = 0; i < 25; i++)
        k[i] = (uint8_t)(i + 1);
    memset(d, 0xcd, 50);
    check_hmac(k, 25, d, 50, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
    memset(k, 0x0c, 20);
    check_hmac(k, 20, "Test With Truncation", 20, "a3b6167473100ee06e0c796c2955552b");
    memset(k, 0xaa, 131);
    const char *t6 = "Test Using Larger Than Block-Size Key - Hash Key First";
    check_hmac(k, 131, t6, strlen(t6),
               "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    const char *t7 = "This is a test using a larger than block-size key and a larger than "
                     "block-size data. The key needs to be hashed before being used by the HMAC "
                     "algorithm.";
    check_hmac(k, 131, t7, strlen(t7),
               "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

Test(slurm_jwt, base64url_has_no_padding_and_uses_dash_and_underscore)
{
    static const char *const in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const out[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
    for (size_t i = 0; i < 7; i++) {
        abuf b = {0};
        slurm_base64url(&b, in[i], strlen(in[i]));
        cr_assert_str_eq(b.p ? b.p : "", out[i]);
        abuf_free(&b);
        uint8_t *dec;
        size_t n;
        cr_assert_eq(slurm_base64url_decode(out[i], strlen(out[i]), &dec, &n, NULL), AIFB_OK);
        cr_assert(n == strlen(in[i]) && memcmp(dec, in[i], n) == 0);
        free(dec);
    }
    abuf b = {0};
    slurm_base64url(&b, "\xfb\xff", 2);
    cr_assert_str_eq(b.p, "-_8");
    abuf_free(&b);
}

Test(slurm_jwt, base64url_text_outside_the_alphabet_is_refused)
{
    uint8_t *dec;
    size_t n;
    aifb_err err = {0};
    cr_assert_eq(slurm_base64url_decode("ab+/", 4, &dec, &n, &err), AIFB_EINVAL);
    cr_assert_eq(slurm_base64url_decode("abcde", 5, &dec, &n, &err), AIFB_EINVAL);
}

static const uint8_t key32[] = "0123456789abcdef0123456789abcdef";

Test(slurm_jwt, a_minted_token_equals_the_one_the_slurm_test_harness_signs)
{
    char *tok;
    cr_assert_eq(slurm_jwt_mint(key32, 32, "root", 1700000000, 1700003600, &tok, NULL), AIFB_OK);
    cr_assert_str_eq(tok, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
                          "eyJleHAiOjE3MDAwMDM2MDAsImlhdCI6MTcwMDAwMDAwMCwic3VuIjoicm9vdCJ9."
                          "wOM4678L9hrdhp3cmgF7LlgdUDe0e4EilVpNFRZVl0I");
    char user[32];
    int64_t exp;
    cr_assert_eq(slurm_jwt_claims(tok, user, sizeof user, &exp, NULL), AIFB_OK);
    cr_assert_str_eq(user, "root");
    cr_assert_eq(exp, 1700003600);
    free(tok);
}

Test(slurm_jwt, a_user_name_that_would_need_escaping_or_a_past_expiry_is_refused)
{
    char *tok = NULL;
    aifb_err err = {0};
    cr_assert_eq(slurm_jwt_mint(key32, 32, "ro\"ot", 1, 2, &tok, &err), AIFB_EINVAL);
    cr_assert_not_null(strstr(err.msg, "ro\"ot"), "%s", err.msg);
    cr_assert_eq(slurm_jwt_mint(key32, 32, "", 1, 2, &tok, &err), AIFB_EINVAL);
    cr_assert_eq(slurm_jwt_mint(key32, 32, "root", 5, 5, &tok, &err), AIFB_EINVAL);
    cr_assert_null(tok);
}

Test(slurm_jwt, claims_of_something_that_is_not_a_jwt_are_refused_without_quoting_it)
{
    char user[32];
    int64_t exp;
    aifb_err err = {0};
    static const char *const bad[] = {"secretvalue", "a.b",    "a.b.c.d",        ".x.y",
                                      "x..y",        "x.@@.y", "x.bm90IGpzb24.y"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(slurm_jwt_claims(bad[i], user, sizeof user, &exp, &err), AIFB_EINVAL, "%s",
                     bad[i]);
        cr_assert_null(strstr(err.msg, bad[i]), "%s", err.msg);
    }
}

Test(slurm_jwt, a_key_file_is_read_as_raw_bytes_and_an_empty_one_is_refused)
{
    char path[] = "/tmp/aifb-jwt-key-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    uint8_t *key;
    size_t len;
    aifb_err err = {0};
    cr_assert_eq(slurm_jwt_key_load(path, &key, &len, &err), AIFB_EINVAL);
    cr_assert_not_null(strstr(err.msg, path), "%s", err.msg);
    cr_assert_eq(write(fd, "\0\x01\xffz", 4), 4);
    close(fd);
    cr_assert_eq(slurm_jwt_key_load(path, &key, &len, &err), AIFB_OK, "%s", err.msg);
    cr_assert(len == 4 && memcmp(key, "\0\x01\xffz", 4) == 0);
    slurm_jwt_key_free(key, len);
    unlink(path);
    cr_assert_eq(slurm_jwt_key_load(path, &key, &len, &err), AIFB_ENOTFOUND);
}
