/* slurm_ssh_cli.c: the cli mode of the login-node transport: sbatch, squeue, sacct and scancel
 * run through slurm_ssh_run(), and the parsers of their output.
 *
 * A login shell may print banners or a message of the day on stdout around a command's output,
 * so the parsers keep only lines of the exact expected shape (a job id of digits, a state of
 * capitals, a number where a number belongs) and skip everything else. squeue is asked for a
 * '|'-separated format with the free-text comment last, so a '|' inside it does not shift the
 * other fields. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "slurm/slurm_ssh.h"

void slurm_ssh_jobs_free(slurm_ssh_job *jobs, size_t n)
{
    for (size_t i = 0; jobs && i < n; i++) {
        free(jobs[i].name);
        free(jobs[i].state);
        free(jobs[i].reason);
        free(jobs[i].comment);
    }
    free(jobs);
}

/* ---- parsing ------------------------------------------------------------------------------ */

static bool cli_all_digits(const char *s, size_t n)
{
    if (n == 0 || n > 18)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

static bool cli_is_state(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isupper((unsigned char)s[i]) && s[i] != '_')
            return false;
    return true;
}

size_t slurm_ssh_split(const char *line, size_t len, char sep, const char **f, size_t *flen,
                       size_t max)
{
    size_t n = 0;
    const char *p = line, *end = line + len;
    while (n + 1 < max) {
        const char *bar = memchr(p, sep, (size_t)(end - p));
        if (!bar)
            break;
        f[n] = p;
        flen[n++] = (size_t)(bar - p);
        p = bar + 1;
    }
    f[n] = p;
    flen[n++] = (size_t)(end - p);
    return n;
}

static char *cli_dup(const char *s, size_t n)
{
    char *d = xmalloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static void cli_push(slurm_ssh_job **jobs, size_t *n, const slurm_ssh_job *j)
{
    *jobs = xrealloc(*jobs, (*n + 1) * sizeof **jobs);
    (*jobs)[(*n)++] = *j;
}

/* Calls line_fn for every line of text (without its newline or a trailing \r). */
static void cli_lines(const char *text, void (*line_fn)(const char *, size_t, void *), void *ctx)
{
    for (const char *p = text; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        size_t used = len;
        if (len && p[len - 1] == '\r')
            used--;
        line_fn(p, used, ctx);
        p += len + (nl ? 1 : 0);
    }
}

typedef struct cli_list {
    slurm_ssh_job *jobs;
    size_t n;
} cli_list;

static void squeue_line(const char *line, size_t len, void *ctx)
{
    const char *f[6];
    size_t fl[6];
    if (slurm_ssh_split(line, len, '|', f, fl, 6) != 6 || !cli_all_digits(f[0], fl[0]) ||
        !cli_is_state(f[1], fl[1]) || !cli_all_digits(f[3], fl[3]))
        return;
    slurm_ssh_job j = {.job_id = strtoll(f[0], NULL, 10)};
    int status = (int)strtol(f[3], NULL, 10);
    j.exit_signal = status & 0x7f;
    j.exit_code = j.exit_signal ? 0 : (status >> 8) & 0xff;
    j.state = cli_dup(f[1], fl[1]);
    j.reason = cli_dup(f[2], fl[2]);
    j.name = cli_dup(f[4], fl[4]);
    bool none = fl[5] == 6 && memcmp(f[5], "(null)", 6) == 0;
    j.comment = cli_dup(f[5], none ? 0 : fl[5]);
    cli_push(&((cli_list *)ctx)->jobs, &((cli_list *)ctx)->n, &j);
}

aifb_code slurm_ssh_parse_squeue(const char *text, slurm_ssh_job **jobs, size_t *n, aifb_err *err)
{
    (void)err;
    cli_list l = {0};
    cli_lines(text, squeue_line, &l);
    *jobs = l.jobs;
    *n = l.n;
    return AIFB_OK;
}

/* sacct's ExitCode is "code:signal". */
static bool sacct_exit(const char *s, size_t n, int *code, int *sig)
{
    const char *colon = memchr(s, ':', n);
    if (!colon || !cli_all_digits(s, (size_t)(colon - s)) ||
        !cli_all_digits(colon + 1, n - (size_t)(colon - s) - 1))
        return false;
    *code = atoi(s);
    *sig = atoi(colon + 1);
    return true;
}

static void sacct_line(const char *line, size_t len, void *ctx)
{
    const char *f[5];
    size_t fl[5];
    if (slurm_ssh_split(line, len, '|', f, fl, 5) != 5 || !cli_all_digits(f[0], fl[0]))
        return;
    size_t slen = 0; /* "CANCELLED by 0": the state is the first word */
    while (slen < fl[1] && f[1][slen] != ' ')
        slen++;
    slurm_ssh_job j = {.job_id = strtoll(f[0], NULL, 10)};
    if (!cli_is_state(f[1], slen) || !sacct_exit(f[2], fl[2], &j.exit_code, &j.exit_signal))
        return;
    j.state = cli_dup(f[1], slen);
    j.reason = cli_dup("", 0);
    j.name = cli_dup(f[3], fl[3]);
    j.comment = cli_dup(f[4], fl[4]);
    cli_push(&((cli_list *)ctx)->jobs, &((cli_list *)ctx)->n, &j);
}

aifb_code slurm_ssh_parse_sacct(const char *text, slurm_ssh_job **jobs, size_t *n, aifb_err *err)
{
    (void)err;
    cli_list l = {0};
    cli_lines(text, sacct_line, &l);
    *jobs = l.jobs;
    *n = l.n;
    return AIFB_OK;
}

/* ---- the commands ------------------------------------------------------------------------- */

/* The last line of s (trimmed) for an error message; banners come first, errors last. */
static void cli_tail(const char *s, char *out, size_t outlen)
{
    size_t len = strlen(s);
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    size_t start = len;
    while (start && s[start - 1] != '\n')
        start--;
    snprintf(out, outlen, "%.*s", (int)(len - start), s + start);
}

aifb_code slurm_ssh_sbatch(slurm_ssh *s, const char *script, const char *const *args,
                           int64_t *job_id, aifb_err *err)
{
    size_t nargs = 0;
    while (args && args[nargs])
        nargs++;
    const char **argv = xcalloc(nargs + 3, sizeof *argv);
    argv[0] = "sbatch";
    argv[1] = "--parsable";
    for (size_t i = 0; i < nargs; i++)
        argv[2 + i] = args[i];
    slurm_ssh_result r;
    aifb_code code = slurm_ssh_run(s, argv, script, script ? strlen(script) : 0, &r, err);
    free(argv);
    if (code != AIFB_OK) {
        slurm_ssh_result_free(&r);
        return code;
    }
    char last[400];
    cli_tail(r.err, last, sizeof last);
    if (r.exit_status != 0) {
        code = aifb_err_set(err, AIFB_EINVAL, "sbatch refused the job (exit %d%s%s): %s",
                            r.exit_status, *r.signal ? ", signal " : "", r.signal, last);
        slurm_ssh_result_free(&r);
        return code;
    }
    int64_t found = 0;
    for (const char *p = r.out; p && *p;) { /* the last "ID" or "ID;cluster" line */
        size_t len = strcspn(p, "\r\n"), digits = strspn(p, "0123456789");
        if (digits && digits <= 18 && (digits == len || p[digits] == ';'))
            found = strtoll(p, NULL, 10);
        p += len;
        p += strspn(p, "\r\n");
    }
    if (found > 0)
        *job_id = found;
    else
        code =
            aifb_err_set(err, AIFB_EINTERNAL, "sbatch printed no job id (stdout: %.200s)", r.out);
    slurm_ssh_result_free(&r);
    return code;
}

/* Runs a listing command; a failing one is reported with its last stderr line. */
static aifb_code cli_list_run(slurm_ssh *s, const char *const *argv, slurm_ssh_result *r,
                              aifb_err *err)
{
    aifb_code code = slurm_ssh_run(s, argv, NULL, 0, r, err);
    if (code != AIFB_OK || r->exit_status == 0)
        return code;
    char last[400];
    cli_tail(r->err, last, sizeof last);
    if (strstr(r->err, "accounting storage is disabled"))
        return aifb_err_set(err, AIFB_EUNIMPLEMENTED, "%s: this cluster keeps no accounting: %s",
                            argv[0], last);
    return aifb_err_set(err, AIFB_EUNAVAILABLE, "%s failed (exit %d): %s", argv[0], r->exit_status,
                        last);
}

aifb_code slurm_ssh_squeue(slurm_ssh *s, const char *user, slurm_ssh_job **jobs, size_t *n,
                           aifb_err *err)
{
    abuf u = {0};
    if (user)
        abuf_printf(&u, "--user=%s", user);
    const char *argv[] = {"squeue",          "--noheader",
                          "--states=all",    "--Format=" SLURM_SSH_SQUEUE_FORMAT,
                          user ? u.p : NULL, NULL};
    slurm_ssh_result r;
    aifb_code code = cli_list_run(s, argv, &r, err);
    abuf_free(&u);
    if (code == AIFB_OK)
        code = slurm_ssh_parse_squeue(r.out, jobs, n, err);
    slurm_ssh_result_free(&r);
    return code;
}

aifb_code slurm_ssh_sacct(slurm_ssh *s, int64_t since_epoch, slurm_ssh_job **jobs, size_t *n,
                          aifb_err *err)
{
    char since[64] = "";
    if (since_epoch > 0) {
        int64_t ago = (int64_t)time(NULL) - since_epoch;
        snprintf(since, sizeof since, "--starttime=now-%" PRId64, ago > 0 ? ago : 0);
    }
    const char *argv[] = {"sacct",
                          "--noheader",
                          "--parsable2",
                          "--allocations",
                          "--format=" SLURM_SSH_SACCT_FIELDS,
                          since_epoch > 0 ? since : NULL,
                          NULL};
    slurm_ssh_result r;
    aifb_code code = cli_list_run(s, argv, &r, err);
    if (code == AIFB_OK)
        code = slurm_ssh_parse_sacct(r.out, jobs, n, err);
    slurm_ssh_result_free(&r);
    return code;
}

aifb_code slurm_ssh_scancel(slurm_ssh *s, int64_t job_id, aifb_err *err)
{
    char id[32];
    snprintf(id, sizeof id, "%" PRId64, job_id);
    const char *argv[] = {"scancel", id, NULL};
    slurm_ssh_result r;
    aifb_code code = slurm_ssh_run(s, argv, NULL, 0, &r, err);
    if (code == AIFB_OK && r.exit_status != 0) {
        char last[400];
        cli_tail(r.err, last, sizeof last);
        code = aifb_err_set(err, strstr(r.err, "Invalid job id") ? AIFB_ENOTFOUND : AIFB_EINTERNAL,
                            "scancel %s failed (exit %d): %s", id, r.exit_status, last);
    }
    slurm_ssh_result_free(&r);
    return code;
}
