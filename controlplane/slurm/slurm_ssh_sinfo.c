/* slurm_ssh_sinfo.c: a cluster's nodes, partitions and release through sinfo on the login node
 * (the cli mode's answer to GetInfo), and the parsers of sinfo's output.
 *
 * sinfo is asked for '|'-separated fixed formats (SLURM_SSH_SINFO_NODES, ..._PARTITIONS). As
 * with squeue, lines of any other shape (a login banner) are skipped: a node line needs a
 * number of CPUs and of megabytes where they belong, a partition line a node count and the
 * "allocated/idle/other/total" CPU figures. sinfo writes states in lower case with a suffix
 * for flags ("idle*": not responding, "idle~": powered down); they are turned into the upper
 * case "BASE+FLAG" form slurmrestd uses, so GetInfo reads the same whichever way Slurm is
 * reached. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "slurm/slurm_ssh.h"

static bool si_number(const char *s, size_t n, long long *out)
{
    if (n == 0 || n > 18)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    *out = strtoll(s, NULL, 10);
    return true;
}

/* A name as Slurm allows it (letters, digits, "-_.[],"), copied into out. */
static bool si_name(const char *s, size_t n, char *out, size_t outlen)
{
    if (n == 0 || n >= outlen)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr("-_.[],", s[i]))
            return false;
    memcpy(out, s, n);
    out[n] = '\0';
    return true;
}

/* "idle*" -> "IDLE+NOT_RESPONDING", "mixed~" -> "MIXED+POWERED_DOWN", "drained" -> "DRAINED". */
static bool si_state(const char *s, size_t n, char *out, size_t outlen)
{
    static const struct {
        char c;
        const char *flag;
    } flags[] = {{'*', "NOT_RESPONDING"}, {'~', "POWERED_DOWN"}, {'#', "POWERING_UP"},
                 {'%', "POWERING_DOWN"},  {'$', "MAINTENANCE"},  {'@', "REBOOT_REQUESTED"},
                 {'!', "POWER_DOWN"},     {'-', "PLANNED"},      {'^', "REBOOT_ISSUED"}};
    const char *flag = NULL;
    if (n > 1) {
        for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
            if (s[n - 1] == flags[i].c) {
                flag = flags[i].flag;
                n--;
            }
    }
    if (n == 0 || n >= outlen)
        return false;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isalpha((unsigned char)s[i]) && s[i] != '_' && s[i] != '+')
            return false;
        out[k++] = (char)toupper((unsigned char)s[i]);
    }
    out[k] = '\0';
    if (flag)
        snprintf(out + k, outlen - k, "+%s", flag);
    return true;
}

/* Appends a partition name (without sinfo's '*' for the default) to a comma-separated list. */
static void si_add_partition(char *list, size_t cap, const char *p, size_t n)
{
    if (n && p[n - 1] == '*')
        n--;
    size_t len = strlen(list);
    if (n == 0 || len + n + 2 > cap)
        return;
    /* Already there? */
    for (const char *q = list; *q;) {
        const char *comma = strchr(q, ',');
        size_t qn = comma ? (size_t)(comma - q) : strlen(q);
        if (qn == n && !memcmp(q, p, n))
            return;
        q += qn + (comma ? 1 : 0);
    }
    snprintf(list + len, cap - len, "%s%.*s", len ? "," : "", (int)n, p);
}

aifb_code slurm_ssh_parse_sinfo_nodes(const char *text, slurm_node_info **nodes, size_t *n,
                                      aifb_err *err)
{
    (void)err;
    *nodes = NULL;
    *n = 0;
    for (const char *p = text; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        size_t used = len && p[len - 1] == '\r' ? len - 1 : len;
        const char *f[6];
        size_t fl[6];
        slurm_node_info node = {0};
        long long cpus, mem;
        if (slurm_ssh_split(p, used, '|', f, fl, 6) == 6 &&
            si_name(f[0], fl[0], node.name, sizeof node.name) &&
            si_state(f[1], fl[1], node.state, sizeof node.state) && si_number(f[2], fl[2], &cpus) &&
            si_number(f[3], fl[3], &mem)) {
            size_t i = 0;
            while (i < *n && strcmp((*nodes)[i].name, node.name))
                i++;
            if (i == *n) { /* a node in several partitions has one line per partition */
                node.cpus = (int)cpus;
                node.memory_mb = mem;
                bool none = fl[4] == 6 && !memcmp(f[4], "(null)", 6);
                snprintf(node.gres, sizeof node.gres, "%.*s", none ? 0 : (int)fl[4], f[4]);
                *nodes = xrealloc(*nodes, (*n + 1) * sizeof **nodes);
                (*nodes)[(*n)++] = node;
            }
            si_add_partition((*nodes)[i].partitions, sizeof(*nodes)[i].partitions, f[5], fl[5]);
        }
        p += len + (nl ? 1 : 0);
    }
    return AIFB_OK;
}

aifb_code slurm_ssh_parse_sinfo_partitions(const char *text, slurm_partition_info **parts,
                                           size_t *n, aifb_err *err)
{
    (void)err;
    *parts = NULL;
    *n = 0;
    for (const char *p = text; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        size_t used = len && p[len - 1] == '\r' ? len - 1 : len;
        const char *f[5], *c[4];
        size_t fl[5], cl[4];
        slurm_partition_info part = {.default_known = true};
        long long nodes, total;
        size_t namelen = 0;
        if (slurm_ssh_split(p, used, '|', f, fl, 5) == 5 && fl[0] > 0 &&
            (namelen = fl[0] - (f[0][fl[0] - 1] == '*')) > 0 &&
            si_name(f[0], namelen, part.name, sizeof part.name) &&
            si_state(f[1], fl[1], part.state, sizeof part.state) &&
            si_number(f[2], fl[2], &nodes) && slurm_ssh_split(f[3], fl[3], '/', c, cl, 4) == 4 &&
            si_number(c[3], cl[3], &total)) {
            part.is_default = namelen < fl[0];
            part.total_nodes = (int)nodes;
            part.total_cpus = (int)total;
            snprintf(part.nodes, sizeof part.nodes, "%.*s", (int)fl[4], f[4]);
            *parts = xrealloc(*parts, (*n + 1) * sizeof **parts);
            (*parts)[(*n)++] = part;
        }
        p += len + (nl ? 1 : 0);
    }
    return AIFB_OK;
}

/* Runs sinfo with args; its stdout in *out (malloc'd). */
static aifb_code si_run(slurm_ssh *s, const char *const *argv, char **out, aifb_err *err)
{
    slurm_ssh_result r;
    aifb_code rc = slurm_ssh_run(s, argv, NULL, 0, &r, err);
    if (!rc && r.exit_status != 0) {
        size_t len = strlen(r.err);
        while (len && isspace((unsigned char)r.err[len - 1]))
            len--;
        size_t start = len;
        while (start && r.err[start - 1] != '\n')
            start--;
        rc = aifb_err_set(err, AIFB_EUNAVAILABLE, "sinfo failed (exit %d): %.*s", r.exit_status,
                          (int)(len - start), r.err + start);
    }
    if (!rc) {
        *out = r.out;
        r.out = NULL;
    }
    slurm_ssh_result_free(&r);
    return rc;
}

aifb_code slurm_ssh_sinfo(slurm_ssh *s, slurm_node_info **nodes, size_t *nnodes,
                          slurm_partition_info **parts, size_t *nparts, char *release,
                          size_t releaselen, aifb_err *err)
{
    const char *nodes_argv[] = {"sinfo", "--noheader", "--Node", "--format=" SLURM_SSH_SINFO_NODES,
                                NULL};
    const char *parts_argv[] = {"sinfo", "--noheader", "--format=" SLURM_SSH_SINFO_PARTITIONS,
                                NULL};
    const char *version_argv[] = {"sinfo", "--version", NULL};
    char *text = NULL;
    *nodes = NULL;
    *parts = NULL;
    *nnodes = *nparts = 0;
    aifb_code rc = si_run(s, nodes_argv, &text, err);
    if (!rc)
        rc = slurm_ssh_parse_sinfo_nodes(text, nodes, nnodes, err);
    free(text);
    text = NULL;
    if (!rc)
        rc = si_run(s, parts_argv, &text, err);
    if (!rc)
        rc = slurm_ssh_parse_sinfo_partitions(text, parts, nparts, err);
    free(text);
    text = NULL;
    if (release && releaselen)
        release[0] = '\0';
    /* "slurm 23.11.4" or "slurm-wlm 22.05.8": the release is the last word. */
    if (!rc && release && si_run(s, version_argv, &text, NULL) == AIFB_OK) {
        size_t len = strcspn(text, "\r\n");
        size_t start = len;
        while (start && !isspace((unsigned char)text[start - 1]))
            start--;
        if (len > start && isdigit((unsigned char)text[start]))
            snprintf(release, releaselen, "%.*s", (int)(len - start), text + start);
    }
    free(text);
    if (rc) {
        free(*nodes);
        free(*parts);
        *nodes = NULL;
        *parts = NULL;
        *nnodes = *nparts = 0;
    }
    return rc;
}
