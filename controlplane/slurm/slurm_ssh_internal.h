/* slurm_ssh_internal.h: what the slurm_ssh*.c files share about the session and nobody else
 * needs.
 *
 * Locking: s->mu guards every field below the line and every libssh2 call on s->sess or one of
 * its channels. A caller that must wait for the network unlocks, polls the socket for a short
 * slice (another thread may have read the packet it waits for into libssh2's buffers, so a long
 * poll could sleep through it), then locks and tries again. s->gen counts connections: a channel
 * opened under another generation belongs to a freed session and must not be touched. */
#ifndef AIFB_SLURM_SSH_INTERNAL_H
#define AIFB_SLURM_SSH_INTERNAL_H

#include <libssh2.h>
#include <pthread.h>

#include "slurm/slurm_ssh.h"

/* How long one wait for the socket lasts before trying libssh2 again. */
#define SLURM_SSH_SLICE_MS 20

struct slurm_ssh {
    char *host, *user, *key_path, *passphrase, *known_hosts;
    int port, keepalive_s, connect_timeout_ms, command_timeout_ms;

    pthread_mutex_t mu;
    pthread_cond_t wake;
    pthread_t thread;
    bool thread_started, stopping;
    /* ---- guarded by mu ---- */
    LIBSSH2_SESSION *sess;
    int sock;
    uint64_t gen;
    bool wanted;        /* someone asked for the session: the thread keeps it up */
    int64_t down_since; /* wall clock ms of the first failure, 0 while up or never tried */
    int64_t retry_at;   /* monotonic ms of the next connection attempt */
    int backoff_ms;
    aifb_code down_code; /* why it is down, for callers during the backoff */
    char down_why[AIFB_ERR_MSG_MAX];
    int64_t keepalive_at; /* monotonic ms of the next keepalive */
};

/* With s->mu held: AIFB_OK with s->sess connected, connecting first when the backoff allows;
 * otherwise the failure that keeps it down, as err. */
aifb_code slurm_ssh_ensure_locked(slurm_ssh *s, aifb_err *err);

/* With s->mu held: after libssh2 returned rc (< 0, not EAGAIN) on the session, decides whether
 * the connection is gone; if so tears it down and schedules a reconnection. Fills err with
 * AIFB_EUNAVAILABLE (connection lost) or AIFB_EINTERNAL (a failure of this one operation),
 * prefixed by what. Returns the code. */
aifb_code slurm_ssh_fail_locked(slurm_ssh *s, int rc, const char *what, aifb_err *err);

/* With s->mu held: AIFB_OK while the connection of generation gen is still up; otherwise
 * AIFB_EUNAVAILABLE (the connection a caller's channel belonged to is gone) as err. */
aifb_code slurm_ssh_check_gen_locked(slurm_ssh *s, uint64_t gen, aifb_err *err);

/* Unlocks s->mu, waits up to SLURM_SSH_SLICE_MS for the socket in the directions libssh2 is
 * blocked on, locks again. */
void slurm_ssh_wait_unlocked(slurm_ssh *s);

/* libssh2's last error message for the session ("" when none), with s->mu held. */
const char *slurm_ssh_errmsg_locked(slurm_ssh *s);

#endif
