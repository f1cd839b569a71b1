/* test_monitor_names.c: every series aifb-monitor can emit of its own follows Prometheus' naming
 * conventions (prometheus/docs practices/naming.md): the aifb_ prefix, snake case, base units
 * (seconds, bytes, ratio, celsius, joules, hertz, watts) as the last word before _total, _total
 * on every counter and on nothing else, no unit word a base unit replaces (milliseconds, kb,
 * percent...), label names that are valid, not reserved, and never a pid or other unbounded
 * value. The table is what the collectors emit from (they name metrics by index only); the last
 * test runs the collectors on captured files and checks that each sample fits its table entry. */
#include <criterion/criterion.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "monitor/metrics.h"
#include "monitor/procfs.h"
#include "monitor/ptree.h"

#define FIXTURES AIFB_SOURCE_DIR "/tests/unit/fixtures/monitor/"

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

/* The words of a name (split at _), in out; their count. */
static int words(const char *name, char out[16][32])
{
    int n = 0;
    for (const char *p = name; *p && n < 16;) {
        size_t len = strcspn(p, "_");
        snprintf(out[n++], 32, "%.*s", (int)len, p);
        p += len + (p[len] == '_');
    }
    return n;
}

static bool in(const char *w, const char *const *list)
{
    for (; *list; list++)
        if (!strcmp(w, *list))
            return true;
    return false;
}

static const char *const BASE_UNITS[] = {"seconds", "bytes", "ratio", "celsius",
                                         "joules",  "hertz", "watts", NULL};
static const char *const NOT_BASE[] = {"milliseconds",
                                       "ms",
                                       "microseconds",
                                       "us",
                                       "ns",
                                       "nanoseconds",
                                       "minutes",
                                       "hours",
                                       "kb",
                                       "mb",
                                       "gb",
                                       "kib",
                                       "mib",
                                       "gib",
                                       "kilobytes",
                                       "megabytes",
                                       "percent",
                                       "pct",
                                       "mhz",
                                       "khz",
                                       "mw",
                                       "milliwatts",
                                       "mj",
                                       "millijoules",
                                       "fahrenheit",
                                       "kelvin",
                                       "sectors",
                                       "pages",
                                       "ticks",
                                       "jiffies",
                                       NULL};
static const char *const UNBOUNDED[] = {"pid", "tid", "ppid", "cmdline", "comm", "path", NULL};

Test(monitor_names, every_name_follows_the_conventions)
{
    for (int m = 0; m < M_COUNT; m++) {
        const mon_metric_def *d = mon_metric_get((mon_metric)m);
        const char *n = d->name;
        cr_assert_not_null(n, "metric %d has no name", m);
        cr_assert(!strncmp(n, "aifb_", 5), "%s: no aifb_ prefix", n);
        for (const char *p = n; *p; p++)
            cr_assert(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_',
                      "%s: not snake case", n);
        cr_assert(!strstr(n, "__") && !ends_with(n, "_"), "%s", n);
        cr_assert_eq(d->type == MON_COUNTER, ends_with(n, "_total"),
                     "%s: _total must end exactly the counters", n);
        char w[16][32];
        int nw = words(n, w);
        int last = nw - 1 - (d->type == MON_COUNTER); /* the word before _total */
        for (int i = 0; i < nw; i++) {
            cr_assert_not(in(w[i], NOT_BASE), "%s: '%s' is not a base unit", n, w[i]);
            if (in(w[i], BASE_UNITS))
                cr_assert_eq(i, last, "%s: the unit '%s' must be the last word", n, w[i]);
        }
        cr_assert(d->help && strlen(d->help) > 10, "%s: no help", n);
    }
}

Test(monitor_names, names_are_unique_and_labels_bounded)
{
    for (int m = 0; m < M_COUNT; m++) {
        const mon_metric_def *d = mon_metric_get((mon_metric)m);
        for (int k = m + 1; k < M_COUNT; k++)
            cr_assert_str_neq(d->name, mon_metric_get((mon_metric)k)->name);
        for (int i = 0; i < 2 && d->labels[i]; i++) {
            const char *l = d->labels[i];
            cr_assert(isalpha((unsigned char)l[0]) && strncmp(l, "__", 2), "%s: %s", d->name, l);
            cr_assert_not(in(l, UNBOUNDED), "%s: '%s' is unbounded", d->name, l);
            cr_assert(in(l, (const char *const *)MON_OWN_LABELS),
                      "%s: '%s' is not in MON_OWN_LABELS, which --label may not take", d->name, l);
            cr_assert_str_neq(l, "le");
            cr_assert_str_neq(l, "quantile");
        }
    }
}

Test(monitor_names, the_ratios_are_fractions)
{
    for (int m = 0; m < M_COUNT; m++)
        if (ends_with(mon_metric_get((mon_metric)m)->name, "_ratio"))
            cr_assert_eq(mon_metric_get((mon_metric)m)->type, MON_GAUGE);
}

Test(monitor_names, emitted_samples_fit_their_table_entry)
{
    mon_samples s = {0};
    mon_node *n = node_new(FIXTURES "node");
    node_collect(n, &s);
    node_free(n);
    mon_ptree *t = ptree_new_cgroup(FIXTURES "cgroup-v2",
                                    "/sys/fs/cgroup/system.slice/slurmstepd.scope/job_42", 0);
    ptree_collect(t, &s);
    ptree_free(t);
    cr_assert_gt(s.n, 40);
    for (size_t i = 0; i < s.n; i++) {
        const mon_metric_def *d = mon_metric_get(s.v[i].metric);
        for (int k = 0; k < 2; k++)
            cr_assert_eq(d->labels[k] != NULL, s.v[i].lv[k][0] != '\0', "%s: label %d", d->name, k);
        if (d->type == MON_COUNTER)
            cr_assert_geq(s.v[i].value, 0, "%s", d->name);
    }
    mon_samples_free(&s);
}
