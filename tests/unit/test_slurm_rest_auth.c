/* test_slurm_rest_auth.c: how the slurmrestd client authenticates and what configurations it
 * refuses: tokens minted from a key file (signed, with Slurm's claims, renewed before expiry), a
 * given token (its user taken from it, refused once expired without a request), and the messages
 * of bad URLs and token settings, which never quote a token. */
#include <criterion/criterion.h>
#include <string.h>
#include <time.h>

#include "slurm/slurm_jwt.h"
#include "slurm/slurm_rest.h"
#include "test_slurm_rest_server.h"

static const uint8_t key[32] = "0123456789abcdef0123456789abcdef";
static char key_path[64];

static void write_key(void)
{
    snprintf(key_path, sizeof key_path, "/tmp/aifb-jwt-key-XXXXXX");
    int fd = mkstemp(key_path);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, key, sizeof key), (ssize_t)sizeof key);
    close(fd);
}

static void setup(void)
{
    t_start_tcp();
    write_key();
}

static void teardown(void)
{
    unlink(key_path);
}

TestSuite(slurm_rest_auth, .init = setup, .fini = teardown);

/* The X-SLURM-USER-TOKEN value of the i-th request. */
static void token_of(size_t i, char *out, size_t outlen)
{
    char req[8192];
    t_request(i, req, sizeof req);
    const char *h = strstr(req, "\r\nX-SLURM-USER-TOKEN: ");
    cr_assert_not_null(h, "%s", req);
    h += 22;
    size_t n = strcspn(h, "\r");
    cr_assert(n < outlen);
    memcpy(out, h, n);
    out[n] = '\0';
}

static slurm_rest *minting_client(int lifetime_s)
{
    slurm_rest_config cfg = {.url = t_url,
                             .user = "minteduser",
                             .jwt_key_path = key_path,
                             .jwt_lifetime_s = lifetime_s,
                             .version = "v0.0.38"};
    slurm_rest *r;
    aifb_err err = {0};
    cr_assert_eq(slurm_rest_new(&cfg, &r, &err), AIFB_OK, "%s", err.msg);
    return r;
}

Test(slurm_rest_auth, a_minted_token_is_signed_with_the_key_and_carries_user_and_lifetime)
{
    t_reply(200, t_fixture("v0.0.38/nodes.json"));
    slurm_rest *r = minting_client(600);
    int64_t before = (int64_t)time(NULL);
    cr_assert_eq(slurm_rest_ping(r, NULL, 0, NULL), AIFB_OK);
    char tok[512];
    token_of(0, tok, sizeof tok);
    char user[64];
    int64_t exp;
    cr_assert_eq(slurm_jwt_claims(tok, user, sizeof user, &exp, NULL), AIFB_OK);
    cr_assert_str_eq(user, "minteduser");
    cr_assert(exp >= before + 600 && exp <= (int64_t)time(NULL) + 600);
    /* The signature is HMAC-SHA256 of "header.payload" under the key file's bytes. */
    char *dot = strrchr(tok, '.');
    uint8_t mac[32];
    slurm_hmac_sha256(key, sizeof key, tok, (size_t)(dot - tok), mac);
    abuf sig = {0};
    slurm_base64url(&sig, mac, sizeof mac);
    cr_assert_str_eq(dot + 1, sig.p);
    abuf_free(&sig);
    slurm_rest_free(r);
}

Test(slurm_rest_auth, a_minted_token_is_reused_while_young_and_replaced_after_80_percent)
{
    t_reply(200, t_fixture("v0.0.38/nodes.json"));
    slurm_rest *young = minting_client(3600);
    cr_assert_eq(slurm_rest_ping(young, NULL, 0, NULL), AIFB_OK);
    cr_assert_eq(slurm_rest_ping(young, NULL, 0, NULL), AIFB_OK);
    char a[512], b[512];
    token_of(0, a, sizeof a);
    token_of(1, b, sizeof b);
    cr_assert_str_eq(a, b);
    slurm_rest_free(young);

    /* 80% of 2 s is 1 s: after a second the next request carries a new token. */
    slurm_rest *old = minting_client(2);
    cr_assert_eq(slurm_rest_ping(old, NULL, 0, NULL), AIFB_OK);
    struct timespec ts = {.tv_sec = 1, .tv_nsec = 100 * 1000 * 1000};
    nanosleep(&ts, NULL);
    cr_assert_eq(slurm_rest_ping(old, NULL, 0, NULL), AIFB_OK);
    token_of(2, a, sizeof a);
    token_of(3, b, sizeof b);
    cr_assert_str_neq(a, b);
    slurm_rest_free(old);
}

Test(slurm_rest_auth, a_given_token_names_the_user_when_none_is_configured)
{
    t_reply(200, t_fixture("v0.0.38/nodes.json"));
    char *tok;
    int64_t now = (int64_t)time(NULL);
    cr_assert_eq(slurm_jwt_mint(key, sizeof key, "tokenuser", now, now + 60, &tok, NULL), AIFB_OK);
    slurm_rest_config cfg = {.url = t_url, .token = tok, .version = "v0.0.38"};
    slurm_rest *r;
    cr_assert_eq(slurm_rest_new(&cfg, &r, NULL), AIFB_OK);
    cr_assert_eq(slurm_rest_ping(r, NULL, 0, NULL), AIFB_OK);
    char req[8192];
    t_request(0, req, sizeof req);
    cr_assert_not_null(strstr(req, "\r\nX-SLURM-USER-NAME: tokenuser\r\n"), "%s", req);
    slurm_rest_free(r);
    free(tok);
}

Test(slurm_rest_auth, an_expired_given_token_is_refused_without_a_request_and_not_quoted)
{
    t_reply(200, t_fixture("v0.0.38/nodes.json"));
    char *tok;
    int64_t now = (int64_t)time(NULL);
    cr_assert_eq(slurm_jwt_mint(key, sizeof key, "tokenuser", now - 120, now - 60, &tok, NULL),
                 AIFB_OK);
    slurm_rest_config cfg = {.url = t_url, .token = tok, .version = "v0.0.38"};
    slurm_rest *r;
    aifb_err err = {0};
    cr_assert_eq(slurm_rest_new(&cfg, &r, &err), AIFB_OK, "%s", err.msg);
    cr_assert_eq(slurm_rest_ping(r, NULL, 0, &err), AIFB_EUNAUTHENTICATED);
    cr_assert_not_null(strstr(err.msg, "of user tokenuser expired at"), "%s", err.msg);
    cr_assert_null(strstr(err.msg, tok));
    cr_assert_eq(t_nrequests, 0);
    slurm_rest_free(r);
    free(tok);
}

/* slurm_rest_new's verdict on cfg: the code, with the message in msg. */
static aifb_code try_config(slurm_rest_config cfg, char *msg, size_t msglen)
{
    slurm_rest *r = NULL;
    aifb_err err = {0};
    aifb_code rc = slurm_rest_new(&cfg, &r, &err);
    snprintf(msg, msglen, "%s", err.msg);
    slurm_rest_free(r);
    return rc;
}

Test(slurm_rest_auth, a_url_that_is_neither_http_nor_unix_is_refused_naming_it)
{
    char msg[AIFB_ERR_MSG_MAX];
    cr_assert_eq(
        try_config((slurm_rest_config){.url = "ftp://x:1", .token = "a.b.c"}, msg, sizeof msg),
        AIFB_EINVAL);
    cr_assert_not_null(strstr(msg, "'ftp://x:1'"), "%s", msg);
    cr_assert_eq(try_config((slurm_rest_config){.url = "unix:relative.sock"}, msg, sizeof msg),
                 AIFB_EINVAL);
    cr_assert_not_null(strstr(msg, "absolute"), "%s", msg);
    cr_assert_eq(try_config((slurm_rest_config){.url = ""}, msg, sizeof msg), AIFB_EINVAL);
}

Test(slurm_rest_auth, credentials_inside_the_url_are_refused_without_quoting_them)
{
    char msg[AIFB_ERR_MSG_MAX];
    slurm_rest_config cfg = {
        .url = "http://root:hunter2@host:6820", .user = "u", .jwt_key_path = key_path};
    cr_assert_eq(try_config(cfg, msg, sizeof msg), AIFB_EINVAL);
    cr_assert_null(strstr(msg, "hunter2"), "%s", msg);
}

Test(slurm_rest_auth, tcp_without_a_token_or_with_both_token_and_key_is_refused)
{
    char msg[AIFB_ERR_MSG_MAX];
    cr_assert_eq(try_config((slurm_rest_config){.url = "http://h:6820"}, msg, sizeof msg),
                 AIFB_EINVAL);
    cr_assert_not_null(strstr(msg, "SLURM_JWT"), "%s", msg);
    cr_assert_eq(
        try_config(
            (slurm_rest_config){.url = "http://h:6820", .token = "a.b.c", .jwt_key_path = key_path},
            msg, sizeof msg),
        AIFB_EINVAL);
    cr_assert_not_null(strstr(msg, "not both"), "%s", msg);
    cr_assert_eq(try_config((slurm_rest_config){.url = "http://h:6820", .jwt_key_path = key_path},
                            msg, sizeof msg),
                 AIFB_EINVAL);
    cr_assert_not_null(strstr(msg, "AIFB_SLURM_USER"), "%s", msg);
}

Test(slurm_rest_auth, a_token_that_is_not_a_jwt_is_refused_without_quoting_it)
{
    char msg[AIFB_ERR_MSG_MAX];
    slurm_rest_config cfg = {.url = "http://h:6820", .user = "u", .token = "s3cr3t-not-a-jwt"};
    cr_assert_eq(try_config(cfg, msg, sizeof msg), AIFB_EINVAL);
    cr_assert_not_null(strstr(msg, "not a JWT"), "%s", msg);
    cr_assert_null(strstr(msg, "s3cr3t"), "%s", msg);
}

Test(slurm_rest_auth, a_missing_key_file_is_not_found_naming_the_path)
{
    char msg[AIFB_ERR_MSG_MAX];
    slurm_rest_config cfg = {
        .url = "http://h:6820", .user = "u", .jwt_key_path = "/nonexistent/jwt_hs256.key"};
    cr_assert_eq(try_config(cfg, msg, sizeof msg), AIFB_ENOTFOUND);
    cr_assert_not_null(strstr(msg, "/nonexistent/jwt_hs256.key"), "%s", msg);
}

Test(slurm_rest_auth, an_unsupported_version_is_refused_listing_the_supported_ones)
{
    char msg[AIFB_ERR_MSG_MAX];
    slurm_rest_config cfg = {.url = "unix:/run/slurmrestd.sock", .version = "v0.0.36"};
    cr_assert_eq(try_config(cfg, msg, sizeof msg), AIFB_EINVAL);
    cr_assert_not_null(strstr(msg, "v0.0.36"), "%s", msg);
    cr_assert_not_null(strstr(msg, "v0.0.38"), "%s", msg);
}

Test(slurm_rest_auth, a_unix_socket_needs_no_token)
{
    char msg[AIFB_ERR_MSG_MAX];
    cr_assert_eq(
        try_config((slurm_rest_config){.url = "unix:/run/slurmrestd.sock"}, msg, sizeof msg),
        AIFB_OK, "%s", msg);
}
