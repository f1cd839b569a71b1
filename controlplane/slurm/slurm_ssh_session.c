/* slurm_ssh_session.c: the one connection to the login node: TCP connect with a deadline, SSH
 * handshake, host key check against known_hosts (before anything of ours is sent), public key
 * login, keepalives, and reconnection with backoff.
 *
 * State lives in struct slurm_ssh (slurm_ssh_internal.h). A connection attempt runs with the
 * mutex held, so callers never see half a session; it is bounded by the connect timeout. A
 * failure records why and when, and schedules the next attempt 1 s later, doubling to 30 s;
 * until then callers get that failure at once. The background thread makes the next attempt
 * itself once a caller has wanted the session, and sends keepalives while it is up, which is
 * also how an idle session notices that the login node went away. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "slurm/slurm_ssh_internal.h"

#define SSH_BACKOFF_FIRST_MS 1000
#define SSH_BACKOFF_MAX_MS   30000
#define SSH_THREAD_TICK_MS   250

/* ---- small helpers ------------------------------------------------------------------------ */

const char *slurm_ssh_errmsg_locked(slurm_ssh *s)
{
    char *msg = NULL;
    if (!s->sess)
        return "";
    libssh2_session_last_error(s->sess, &msg, NULL, 0);
    return msg ? msg : "";
}

static void ssh_format_time(int64_t epoch_ms, char *out, size_t n)
{
    time_t t = (time_t)(epoch_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Unpadded base64, as OpenSSH prints SHA256 fingerprints. */
static void ssh_base64(const unsigned char *in, size_t n, char *out)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)in[i + 1] << 8;
        if (i + 2 < n)
            v |= in[i + 2];
        out[o++] = tab[(v >> 18) & 63];
        out[o++] = tab[(v >> 12) & 63];
        if (i + 1 < n)
            out[o++] = tab[(v >> 6) & 63];
        if (i + 2 < n)
            out[o++] = tab[v & 63];
    }
    out[o] = '\0';
}

/* Waits for the socket in the directions libssh2 needs, keeping the lock (used while
 * connecting, when nobody else may touch the session anyway). false once deadline passed. */
static bool ssh_wait_locked(slurm_ssh *s, int64_t deadline)
{
    int64_t left = deadline - aifb_mono_ms();
    if (left <= 0)
        return false;
    int dir = libssh2_session_block_directions(s->sess);
    struct pollfd p = {.fd = s->sock, .events = 0};
    if (dir & LIBSSH2_SESSION_BLOCK_INBOUND)
        p.events |= POLLIN;
    if (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND)
        p.events |= POLLOUT;
    poll(&p, 1, (int)(left < 100 ? left : 100));
    return true;
}

void slurm_ssh_wait_unlocked(slurm_ssh *s)
{
    struct pollfd p = {.fd = s->sock, .events = POLLIN};
    if (s->sess && (libssh2_session_block_directions(s->sess) & LIBSSH2_SESSION_BLOCK_OUTBOUND))
        p.events |= POLLOUT;
    pthread_mutex_unlock(&s->mu);
    if (p.fd >= 0)
        poll(&p, 1, SLURM_SSH_SLICE_MS);
    else
        usleep(SLURM_SSH_SLICE_MS * 1000);
    pthread_mutex_lock(&s->mu);
}

/* ---- going down and coming up ------------------------------------------------------------- */

static void ssh_teardown_locked(slurm_ssh *s)
{
    if (s->sess) {
        libssh2_session_disconnect(s->sess, "aifb closes the session");
        libssh2_session_free(s->sess);
        s->sess = NULL;
    }
    if (s->sock >= 0)
        close(s->sock);
    s->sock = -1;
}

/* Records a failure to connect (or a lost connection) and schedules the next attempt. */
static aifb_code ssh_mark_down_locked(slurm_ssh *s, aifb_code code, const char *why, aifb_err *err)
{
    bool was_up = s->sess != NULL;
    ssh_teardown_locked(s);
    if (!s->down_since)
        s->down_since = aifb_now_ms();
    s->down_code = code;
    snprintf(s->down_why, sizeof s->down_why, "%s", why);
    s->retry_at = aifb_mono_ms() + s->backoff_ms;
    if (was_up)
        log_warn("login node %s:%d: connection lost: %s", s->host, s->port, why);
    else
        log_warn("login node %s:%d: %s (next attempt in %d s)", s->host, s->port, why,
                 s->backoff_ms / 1000);
    s->backoff_ms = s->backoff_ms * 2 > SSH_BACKOFF_MAX_MS ? SSH_BACKOFF_MAX_MS : s->backoff_ms * 2;
    return aifb_err_set(err, code, "%s", why); /* the caller words it with ssh_down_error */
}

/* The error callers see while the session is down. */
static aifb_code ssh_down_error(slurm_ssh *s, aifb_err *err)
{
    if (s->down_code != AIFB_EUNAVAILABLE)
        return aifb_err_set(err, s->down_code, "%s", s->down_why);
    char when[40];
    ssh_format_time(s->down_since, when, sizeof when);
    return aifb_err_set(err, AIFB_EUNAVAILABLE, "login node %s:%d unreachable since %s: %s",
                        s->host, s->port, when, s->down_why);
}

static bool ssh_rc_is_fatal(int rc)
{
    switch (rc) {
    case LIBSSH2_ERROR_CHANNEL_FAILURE:
    case LIBSSH2_ERROR_CHANNEL_REQUEST_DENIED:
    case LIBSSH2_ERROR_CHANNEL_UNKNOWN:
    case LIBSSH2_ERROR_CHANNEL_WINDOW_EXCEEDED:
    case LIBSSH2_ERROR_CHANNEL_PACKET_EXCEEDED:
    case LIBSSH2_ERROR_CHANNEL_CLOSED:
    case LIBSSH2_ERROR_CHANNEL_EOF_SENT:
    case LIBSSH2_ERROR_ALLOC:
    case LIBSSH2_ERROR_BUFFER_TOO_SMALL:
    case LIBSSH2_ERROR_BAD_USE:
    case LIBSSH2_ERROR_INVAL:
        return false;
    default:
        return true;
    }
}

aifb_code slurm_ssh_fail_locked(slurm_ssh *s, int rc, const char *what, aifb_err *err)
{
    char why[AIFB_ERR_MSG_MAX];
    snprintf(why, sizeof why, "%s: %s (libssh2 error %d)", what, slurm_ssh_errmsg_locked(s), rc);
    if (!ssh_rc_is_fatal(rc))
        return aifb_err_set(err, AIFB_EINTERNAL, "login node %s:%d: %s", s->host, s->port, why);
    s->backoff_ms = SSH_BACKOFF_FIRST_MS;
    s->down_since = 0;
    ssh_mark_down_locked(s, AIFB_EUNAVAILABLE, why, NULL);
    return ssh_down_error(s, err);
}

aifb_code slurm_ssh_check_gen_locked(slurm_ssh *s, uint64_t gen, aifb_err *err)
{
    if (s->sess && s->gen == gen)
        return AIFB_OK;
    if (!s->sess && s->down_since)
        return ssh_down_error(s, err);
    return aifb_err_set(err, AIFB_EUNAVAILABLE,
                        "login node %s:%d: the connection was lost and made again meanwhile",
                        s->host, s->port);
}

/* ---- connecting --------------------------------------------------------------------------- */

/* A TCP connection to host:port within the deadline; -1 with why filled. */
static int ssh_tcp_connect(const slurm_ssh *s, int64_t deadline, char *why, size_t whylen)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    char port[16];
    snprintf(port, sizeof port, "%d", s->port);
    int rc = getaddrinfo(s->host, port, &hints, &res);
    if (rc != 0) {
        snprintf(why, whylen, "cannot resolve %s: %s", s->host, gai_strerror(rc));
        return -1;
    }
    int fd = -1;
    snprintf(why, whylen, "connect: no address");
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
        if (fd < 0)
            continue;
        int e = connect(fd, a->ai_addr, a->ai_addrlen) == 0 ? 0 : errno;
        if (e == EINPROGRESS) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            int64_t left = deadline - aifb_mono_ms();
            if (left > 0 && poll(&p, 1, (int)left) == 1) {
                socklen_t l = sizeof e;
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &l);
            } else {
                e = ETIMEDOUT;
            }
        }
        if (e != 0) {
            snprintf(why, whylen, "connect: %s", strerror(e));
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    return fd;
}

static int ssh_knownhost_keytype(int hostkey_type, const char **name)
{
    switch (hostkey_type) {
    case LIBSSH2_HOSTKEY_TYPE_RSA:
        *name = "ssh-rsa";
        return LIBSSH2_KNOWNHOST_KEY_SSHRSA;
    case LIBSSH2_HOSTKEY_TYPE_DSS:
        *name = "ssh-dss";
        return LIBSSH2_KNOWNHOST_KEY_SSHDSS;
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_256:
        *name = "ecdsa-sha2-nistp256";
        return LIBSSH2_KNOWNHOST_KEY_ECDSA_256;
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_384:
        *name = "ecdsa-sha2-nistp384";
        return LIBSSH2_KNOWNHOST_KEY_ECDSA_384;
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_521:
        *name = "ecdsa-sha2-nistp521";
        return LIBSSH2_KNOWNHOST_KEY_ECDSA_521;
    case LIBSSH2_HOSTKEY_TYPE_ED25519:
        *name = "ssh-ed25519";
        return LIBSSH2_KNOWNHOST_KEY_ED25519;
    default:
        *name = "unknown";
        return LIBSSH2_KNOWNHOST_KEY_UNKNOWN;
    }
}

/* AIFB_OK only when the server's key MATCHes an entry of known_hosts; why says otherwise. */
static aifb_code ssh_check_hostkey(slurm_ssh *s, char *why, size_t whylen)
{
    size_t len = 0;
    int type = 0;
    const char *key = libssh2_session_hostkey(s->sess, &len, &type);
    const unsigned char *sha =
        (const unsigned char *)libssh2_hostkey_hash(s->sess, LIBSSH2_HOSTKEY_HASH_SHA256);
    if (!key || !sha) {
        snprintf(why, whylen, "login node %s:%d sent no host key", s->host, s->port);
        return AIFB_EUNAUTHENTICATED;
    }
    const char *tname;
    int ktype = ssh_knownhost_keytype(type, &tname);
    char fp[64];
    ssh_base64(sha, 32, fp);
    LIBSSH2_KNOWNHOSTS *kh = libssh2_knownhost_init(s->sess);
    bool readable =
        kh && libssh2_knownhost_readfile(kh, s->known_hosts, LIBSSH2_KNOWNHOST_FILE_OPENSSH) >= 0;
    struct libssh2_knownhost *found = NULL;
    int check = !kh ? LIBSSH2_KNOWNHOST_CHECK_FAILURE
                    : libssh2_knownhost_checkp(kh, s->host, s->port, key, len,
                                               LIBSSH2_KNOWNHOST_TYPE_PLAIN |
                                                   LIBSSH2_KNOWNHOST_KEYENC_RAW | ktype,
                                               &found);
    if (kh)
        libssh2_knownhost_free(kh);
    if (check == LIBSSH2_KNOWNHOST_CHECK_MATCH)
        return AIFB_OK;
    if (check == LIBSSH2_KNOWNHOST_CHECK_MISMATCH) {
        snprintf(why, whylen,
                 "HOST KEY CHANGED: login node %s:%d presents %s SHA256:%s, not the key %s "
                 "records for it; someone may be intercepting the connection: refused. If the "
                 "change is expected, remove the old entry (ssh-keygen -R '[%s]:%d' -f %s) and "
                 "add the new one (ssh-keyscan -p %d %s >> %s)",
                 s->host, s->port, tname, fp, s->known_hosts, s->host, s->port, s->known_hosts,
                 s->port, s->host, s->known_hosts);
        return AIFB_EUNAUTHENTICATED;
    }
    snprintf(why, whylen,
             "login node %s:%d is not a known host: its %s key SHA256:%s is not in %s%s; once "
             "you have checked that fingerprint, trust it with: ssh-keyscan -p %d %s >> %s",
             s->host, s->port, tname, fp, s->known_hosts, readable ? "" : " (unreadable)", s->port,
             s->host, s->known_hosts);
    return AIFB_EUNAUTHENTICATED;
}

/* Handshake, host key, login, with the socket already connected. */
static aifb_code ssh_start_session(slurm_ssh *s, int64_t deadline, char *why, size_t whylen)
{
    int rc;
    while ((rc = libssh2_session_handshake(s->sess, s->sock)) == LIBSSH2_ERROR_EAGAIN)
        if (!ssh_wait_locked(s, deadline))
            break;
    if (rc != 0) {
        snprintf(why, whylen, "SSH handshake: %s",
                 rc == LIBSSH2_ERROR_EAGAIN ? "timed out" : slurm_ssh_errmsg_locked(s));
        return AIFB_EUNAVAILABLE;
    }
    aifb_code code = ssh_check_hostkey(s, why, whylen);
    if (code != AIFB_OK)
        return code;
    while ((rc = libssh2_userauth_publickey_fromfile_ex(s->sess, s->user, (unsigned)strlen(s->user),
                                                        NULL, s->key_path, s->passphrase)) ==
           LIBSSH2_ERROR_EAGAIN)
        if (!ssh_wait_locked(s, deadline))
            break;
    if (rc == LIBSSH2_ERROR_EAGAIN) {
        snprintf(why, whylen, "login timed out");
        return AIFB_EUNAVAILABLE;
    }
    if (rc != 0) {
        snprintf(why, whylen, "login node %s:%d refused user %s with key %s: %s", s->host, s->port,
                 s->user, s->key_path, slurm_ssh_errmsg_locked(s));
        return rc == LIBSSH2_ERROR_SOCKET_RECV || rc == LIBSSH2_ERROR_SOCKET_SEND
                   ? AIFB_EUNAVAILABLE
                   : AIFB_EPERM;
    }
    return AIFB_OK;
}

static aifb_code ssh_connect_locked(slurm_ssh *s, aifb_err *err)
{
    char why[AIFB_ERR_MSG_MAX] = "";
    int64_t deadline = aifb_mono_ms() + s->connect_timeout_ms;
    s->sock = ssh_tcp_connect(s, deadline, why, sizeof why);
    if (s->sock < 0) {
        ssh_mark_down_locked(s, AIFB_EUNAVAILABLE, why, NULL);
        return ssh_down_error(s, err);
    }
    s->sess = libssh2_session_init();
    if (!s->sess) {
        ssh_mark_down_locked(s, AIFB_EINTERNAL, "libssh2_session_init failed", NULL);
        return ssh_down_error(s, err);
    }
    libssh2_session_set_blocking(s->sess, 0);
    aifb_code code = ssh_start_session(s, deadline, why, sizeof why);
    if (code != AIFB_OK) {
        ssh_teardown_locked(s); /* never up: not reported as a lost connection */
        ssh_mark_down_locked(s, code, why, NULL);
        return ssh_down_error(s, err);
    }
    libssh2_keepalive_config(s->sess, 1, (unsigned)s->keepalive_s);
    s->keepalive_at = aifb_mono_ms() + s->keepalive_s * 1000LL;
    s->gen++;
    if (s->down_since)
        log_info("login node %s:%d: connected again", s->host, s->port);
    else
        log_info("login node %s:%d: connected as %s", s->host, s->port, s->user);
    s->down_since = 0;
    s->backoff_ms = SSH_BACKOFF_FIRST_MS;
    return AIFB_OK;
}

aifb_code slurm_ssh_ensure_locked(slurm_ssh *s, aifb_err *err)
{
    s->wanted = true;
    if (s->sess)
        return AIFB_OK;
    if (s->down_since && aifb_mono_ms() < s->retry_at)
        return ssh_down_error(s, err);
    return ssh_connect_locked(s, err);
}

aifb_code slurm_ssh_connect(slurm_ssh *s, aifb_err *err)
{
    pthread_mutex_lock(&s->mu);
    aifb_code code = slurm_ssh_ensure_locked(s, err);
    pthread_mutex_unlock(&s->mu);
    return code;
}

bool slurm_ssh_is_up(slurm_ssh *s)
{
    pthread_mutex_lock(&s->mu);
    bool up = s->sess != NULL;
    pthread_mutex_unlock(&s->mu);
    return up;
}

/* ---- the background thread ---------------------------------------------------------------- */

static void ssh_tick_locked(slurm_ssh *s)
{
    int64_t now = aifb_mono_ms();
    if (s->wanted && !s->sess && now >= s->retry_at) {
        ssh_connect_locked(s, NULL);
        return;
    }
    if (!s->sess || now < s->keepalive_at)
        return;
    int next = 0;
    int rc = libssh2_keepalive_send(s->sess, &next);
    if (rc < 0 && rc != LIBSSH2_ERROR_EAGAIN) {
        slurm_ssh_fail_locked(s, rc, "keepalive", NULL);
        return;
    }
    s->keepalive_at = now + (next > 0 ? next : s->keepalive_s) * 1000LL;
}

static void *ssh_thread_main(void *arg)
{
    slurm_ssh *s = arg;
    pthread_mutex_lock(&s->mu);
    while (!s->stopping) {
        ssh_tick_locked(s);
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += SSH_THREAD_TICK_MS * 1000000L;
        ts.tv_sec += ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&s->wake, &s->mu, &ts);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* ---- making and freeing ------------------------------------------------------------------- */

static char *ssh_default_known_hosts(void)
{
    const char *home = getenv("HOME");
    if (!home || !*home) {
        struct passwd *pw = getpwuid(getuid());
        home = pw ? pw->pw_dir : "/";
    }
    abuf b = {0};
    abuf_printf(&b, "%s/.ssh/known_hosts", home);
    return abuf_take(&b);
}

static aifb_code ssh_check_config(const slurm_ssh_config *cfg, aifb_err *err)
{
    if (!cfg || !cfg->host || !*cfg->host)
        return aifb_err_set(err, AIFB_EINVAL, "ssh: no login node host given (SSH_HOST)");
    if (!cfg->user || !*cfg->user)
        return aifb_err_set(err, AIFB_EINVAL, "ssh: no user given for %s (SSH_USER)", cfg->host);
    if (cfg->port < 0 || cfg->port > 65535)
        return aifb_err_set(err, AIFB_EINVAL, "ssh: port %d is outside 1..65535 (SSH_PORT)",
                            cfg->port);
    if (!cfg->key_path || !*cfg->key_path)
        return aifb_err_set(err, AIFB_EINVAL, "ssh: no private key given (SSH_KEY_PATH)");
    if (access(cfg->key_path, R_OK) != 0)
        return aifb_err_set(err, AIFB_EINVAL, "ssh: cannot read private key %s (SSH_KEY_PATH): %s",
                            cfg->key_path, strerror(errno));
    if (cfg->keepalive_s < 0 || cfg->connect_timeout_ms < 0 || cfg->command_timeout_ms < 0)
        return aifb_err_set(err, AIFB_EINVAL, "ssh: negative keepalive or timeout for %s",
                            cfg->host);
    return AIFB_OK;
}

static pthread_once_t ssh_lib_once = PTHREAD_ONCE_INIT;
static void ssh_lib_init(void)
{
    libssh2_init(0);
}

aifb_code slurm_ssh_new(const slurm_ssh_config *cfg, slurm_ssh **out, aifb_err *err)
{
    aifb_code code = ssh_check_config(cfg, err);
    if (code != AIFB_OK)
        return code;
    pthread_once(&ssh_lib_once, ssh_lib_init);
    slurm_ssh *s = xcalloc(1, sizeof *s);
    s->host = xstrdup(cfg->host);
    s->user = xstrdup(cfg->user);
    s->key_path = xstrdup(cfg->key_path);
    const char *pass = cfg->passphrase ? cfg->passphrase : getenv("SSH_KEY_PASSPHRASE");
    s->passphrase = xstrdup(pass ? pass : "");
    s->known_hosts = cfg->known_hosts && *cfg->known_hosts ? xstrdup(cfg->known_hosts)
                                                           : ssh_default_known_hosts();
    s->port = cfg->port ? cfg->port : 22;
    s->keepalive_s = cfg->keepalive_s ? cfg->keepalive_s : 30;
    s->connect_timeout_ms = cfg->connect_timeout_ms ? cfg->connect_timeout_ms : 10000;
    s->command_timeout_ms = cfg->command_timeout_ms ? cfg->command_timeout_ms : 120000;
    s->sock = -1;
    s->backoff_ms = SSH_BACKOFF_FIRST_MS;
    pthread_mutex_init(&s->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->wake, &ca);
    pthread_condattr_destroy(&ca);
    s->thread_started = pthread_create(&s->thread, NULL, ssh_thread_main, s) == 0;
    if (!s->thread_started) {
        slurm_ssh_free(s);
        return aifb_err_set(err, AIFB_EINTERNAL, "ssh: cannot start the keepalive thread");
    }
    *out = s;
    return AIFB_OK;
}

void slurm_ssh_free(slurm_ssh *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    bool started = s->thread_started;
    s->stopping = true;
    pthread_cond_broadcast(&s->wake);
    pthread_mutex_unlock(&s->mu);
    if (started)
        pthread_join(s->thread, NULL);
    ssh_teardown_locked(s);
    pthread_cond_destroy(&s->wake);
    pthread_mutex_destroy(&s->mu);
    explicit_bzero(s->passphrase, strlen(s->passphrase));
    free(s->passphrase);
    free(s->host);
    free(s->user);
    free(s->key_path);
    free(s->known_hosts);
    free(s);
}
