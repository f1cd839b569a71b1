/* exec_slurm_opts.c: the executor keeps its own copies of the job settings, so the caller's
 * configuration may go away after exec_slurm_new(). */
#include <stdlib.h>
#include <string.h>

#include "slurm/exec_slurm_internal.h"

static const char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

void sx_opts_copy(slurm_opts *dst, const slurm_opts *o, const char *remote_base)
{
    *dst = *o;
    dst->account = dup_or_null(o->account);
    dst->partition = dup_or_null(o->partition);
    dst->qos = dup_or_null(o->qos);
    dst->image = dup_or_null(o->image);
    dst->remote_base = dup_or_null(remote_base);
    dst->modules = NULL;
    if (o->modules) {
        size_t n = 0;
        while (o->modules[n])
            n++;
        const char **m = xcalloc(n + 1, sizeof *m);
        for (size_t i = 0; i < n; i++)
            m[i] = xstrdup(o->modules[i]);
        dst->modules = m;
    }
}

void sx_opts_free(slurm_opts *o)
{
    free((char *)o->account);
    free((char *)o->partition);
    free((char *)o->qos);
    free((char *)o->image);
    free((char *)o->remote_base);
    if (o->modules) {
        for (size_t i = 0; o->modules[i]; i++)
            free((char *)o->modules[i]);
        free((void *)o->modules);
    }
    memset(o, 0, sizeof *o);
}
