/* exec_slurm_tunnel.c: the tunnel backend of the Slurm executor ("slurm-ssh", mode tunnel).
 *
 * For a site whose slurmrestd is reachable only from the login node. One slurm_ssh session
 * carries everything:
 *
 *   submit, list_jobs, cancel   an exec_slurm_rest backend (exec_slurm_rest.c) whose client
 *                               speaks to the local socket of a slurm_ssh tunnel; each of its
 *                               connections is a direct-tcpip channel to slurm_rest.url's
 *                               host:port as the login node sees it, and the JWT headers go
 *                               over the socket (token_over_unix) as they would over TCP
 *   mkdir_p, read_file          remote commands on the login node, as in cli mode, since the
 *                               run folder lives on the cluster's filesystem, not here
 *
 * When the session drops, the ssh layer reconnects in the background and the tunnel's listener
 * stays: connections made after that get channels of the new session. The REST side follows by
 * making sure the session is up before each request (so a down login node is named as such,
 * at once) and by asking once more when a request failed on a connection of the old session. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slurm/exec_slurm.h"
#include "slurm/exec_slurm_internal.h"

/* Exit status of the read snippet when the file does not exist. */

typedef struct tunnel_backend {
    slurm_ssh *ssh;
    slurm_ssh_tunnel *tunnel;
    exec_slurm_backend *rest; /* speaks to the tunnel's socket */
    char *target;             /* slurm_rest.url as given, for messages */
    char login[300];          /* user@host:port of the login node, for GetInfo */
} tunnel_backend;

/* ---- slurmrestd through the tunnel ------------------------------------------------------ */

/* AIFB_OK when the session is up (connecting it if needed); else its error, which names the
 * login node, instead of a REST error naming a local socket path. */
static aifb_code tn_session_up(tunnel_backend *t, aifb_err *err)
{
    if (slurm_ssh_is_up(t->ssh))
        return AIFB_OK;
    return slurm_ssh_connect(t->ssh, err);
}

/* REST messages start "slurmrestd at <url>": name what the user configured and the way there
 * instead of the tunnel's temporary socket. */
static aifb_code tn_rename(tunnel_backend *t, aifb_code rc, aifb_err *err)
{
    if (rc == AIFB_OK)
        return rc;
    const char *url = slurm_ssh_tunnel_url(t->tunnel);
    char *at = strstr(err->msg, url);
    if (!at)
        return rc;
    char msg[sizeof err->msg];
    snprintf(msg, sizeof msg, "%.*s%s (through the login node)%s", (int)(at - err->msg), err->msg,
             t->target, at + strlen(url));
    snprintf(err->msg, sizeof err->msg, "%s", msg);
    return rc;
}

/* Whether a request that failed as unreachable is worth one more try: the session is up again,
 * so the failure was a connection of the session before (now gone with it). */
static bool tn_retry_after(tunnel_backend *t, aifb_code rc)
{
    aifb_err ignored = {0};
    return rc == AIFB_EUNAVAILABLE && tn_session_up(t, &ignored) == AIFB_OK;
}

static aifb_code tn_submit(exec_slurm_backend *b, const exec_slurm_submission *s, int64_t *job_id,
                           aifb_err *err)
{
    tunnel_backend *t = b->impl;
    if (tn_session_up(t, err))
        return err->code;
    /* No second try here: the REST backend already looks a lost submission up by comment. */
    return tn_rename(t, t->rest->ops->submit(t->rest, s, job_id, err), err);
}

static aifb_code tn_list_jobs(exec_slurm_backend *b, exec_slurm_job **jobs, size_t *n,
                              aifb_err *err)
{
    tunnel_backend *t = b->impl;
    if (tn_session_up(t, err))
        return err->code;
    aifb_code rc = t->rest->ops->list_jobs(t->rest, jobs, n, err);
    if (tn_retry_after(t, rc))
        rc = t->rest->ops->list_jobs(t->rest, jobs, n, err);
    return tn_rename(t, rc, err);
}

static aifb_code tn_cancel(exec_slurm_backend *b, int64_t job_id, aifb_err *err)
{
    tunnel_backend *t = b->impl;
    if (tn_session_up(t, err))
        return err->code;
    aifb_code rc = t->rest->ops->cancel(t->rest, job_id, err);
    if (tn_retry_after(t, rc))
        rc = t->rest->ops->cancel(t->rest, job_id, err);
    return tn_rename(t, rc, err);
}

static aifb_code tn_cluster(exec_slurm_backend *b, exec_slurm_cluster *out, aifb_err *err)
{
    tunnel_backend *t = b->impl;
    aifb_code rc = tn_session_up(t, err);
    if (!rc) {
        rc = t->rest->ops->cluster(t->rest, out, err);
        if (tn_retry_after(t, rc)) {
            exec_slurm_cluster_free(out);
            rc = t->rest->ops->cluster(t->rest, out, err);
        }
    }
    snprintf(out->controller, sizeof out->controller, "slurmrestd at %s through the login node %s",
             t->target, t->login);
    return tn_rename(t, rc, err);
}

/* ---- the run folder, on the login node -------------------------------------------------- */

static aifb_code tn_mkdir_p(exec_slurm_backend *b, const char *path, aifb_err *err)
{
    tunnel_backend *t = b->impl;
    return sx_ssh_mkdir_p(t->ssh, path, err);
}

static aifb_code tn_read_file(exec_slurm_backend *b, const char *path, int64_t offset, char *buf,
                              size_t cap, size_t *n, aifb_err *err)
{
    tunnel_backend *t = b->impl;
    return sx_ssh_read_file(t->ssh, path, offset, buf, cap, n, err);
}

/* ---- making and freeing ----------------------------------------------------------------- */

/* "http://HOST:PORT" (HOST may be "[v6]"; PORT 80 when left out; an ending "/" allowed) into
 * host and port. https is refused: TLS would have to be spoken over the local socket. */
static aifb_code tn_parse_target(const char *url, char *host, size_t hostlen, int *port,
                                 aifb_err *err)
{
    const char *how = "slurm_rest.url (AIFB_SLURM_REST_URL) '%.200s' must be http://HOST:PORT, "
                      "slurmrestd's address as the login node sees it, in ssh.mode tunnel";
    if (!url || strncmp(url, "http://", 7))
        return aifb_err_set(err, AIFB_EINVAL, how, url ? url : "");
    const char *h = url + 7, *end;
    if (*h == '[') {
        end = strchr(h, ']');
        if (!end)
            return aifb_err_set(err, AIFB_EINVAL, how, url);
        h++;
    } else {
        end = h + strcspn(h, ":/");
    }
    size_t len = (size_t)(end - h);
    if (len == 0 || len >= hostlen || memchr(h, '@', len))
        return aifb_err_set(err, AIFB_EINVAL, how, url);
    memcpy(host, h, len);
    host[len] = '\0';
    const char *rest = end + (*end == ']');
    long p = 80;
    if (*rest == ':') {
        char *stop = NULL;
        p = strtol(rest + 1, &stop, 10);
        if (stop == rest + 1 || p < 1 || p > 65535)
            return aifb_err_set(err, AIFB_EINVAL, how, url);
        rest = stop;
    }
    if (*rest && strcmp(rest, "/"))
        return aifb_err_set(err, AIFB_EINVAL, how, url);
    *port = (int)p;
    return AIFB_OK;
}

static void tn_free(exec_slurm_backend *b)
{
    if (!b)
        return;
    tunnel_backend *t = b->impl;
    /* The REST client's connections end before the tunnel, the tunnel before the session. */
    if (t->rest)
        t->rest->ops->free(t->rest);
    slurm_ssh_tunnel_close(t->tunnel);
    slurm_ssh_free(t->ssh);
    free(t->target);
    free(t);
    free(b);
}

static const exec_slurm_backend_ops tunnel_ops = {
    .name = "tunnel",
    .submit = tn_submit,
    .list_jobs = tn_list_jobs,
    .cancel = tn_cancel,
    .mkdir_p = tn_mkdir_p,
    .read_file = tn_read_file,
    .cluster = tn_cluster,
    .free = tn_free,
};

aifb_code exec_slurm_tunnel_new(const slurm_ssh_config *ssh, const slurm_rest_config *rest,
                                exec_slurm_backend **out, aifb_err *err)
{
    char host[256];
    int port = 0;
    if (tn_parse_target(rest->url, host, sizeof host, &port, err))
        return err->code;
    tunnel_backend *t = xcalloc(1, sizeof *t);
    exec_slurm_backend *b = xcalloc(1, sizeof *b);
    b->ops = &tunnel_ops;
    b->impl = t;
    t->target = xstrdup(rest->url);
    snprintf(t->login, sizeof t->login, "%s@%s:%d", ssh->user ? ssh->user : "?",
             ssh->host ? ssh->host : "?", ssh->port ? ssh->port : 22);
    aifb_code rc = slurm_ssh_new(ssh, &t->ssh, err);
    if (!rc)
        rc = slurm_ssh_tunnel_open(t->ssh, host, port, &t->tunnel, err);
    if (!rc) {
        slurm_rest_config through = *rest;
        through.url = slurm_ssh_tunnel_url(t->tunnel);
        through.token_over_unix = true;
        rc = tn_rename(t, exec_slurm_rest_new(&through, &t->rest, err), err);
    }
    if (rc) {
        tn_free(b);
        return rc;
    }
    *out = b;
    return AIFB_OK;
}
