/* merge.c: `aifb-loadgen merge --result OUT PART.json...`: the results of the tasks of one Slurm
 * job (srun runs one aifb-loadgen per task, each with its share of the load) made into one.
 *
 * Counters add up, histograms merge exactly (same buckets), so the merged percentiles are those of
 * one client that had sent every request; durations are the longest task's (the tasks ran side by
 * side), rates add up. The parts must come from one run: same phases in the same order. */
#include "loadgen/run.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

typedef struct part_phase {
    char name[48];
    char role[16], load_model[8];
    double target_rate, achieved_rate;
    int concurrency;
    int64_t max_backlog;
    lg_stats st;
} part_phase;

static double jdbl(json_object *o, const char *k)
{
    json_object *v;
    return json_object_object_get_ex(o, k, &v) ? json_object_get_double(v) : 0;
}

static const char *jstr(json_object *o, const char *k)
{
    json_object *v;
    return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string)
               ? json_object_get_string(v)
               : "";
}

static int fail(const char *path, const char *why)
{
    fprintf(stderr, "aifb-loadgen merge: %s: %s\n", path, why);
    return 2;
}

static int merge_phases(const char *path, json_object *root, part_phase **ph, size_t *nph,
                        bool first)
{
    json_object *arr;
    const char *why = NULL;
    if (!json_object_object_get_ex(root, "phases", &arr) ||
        !json_object_is_type(arr, json_type_array))
        return fail(path, "no phases");
    size_t n = json_object_array_length(arr);
    if (!first && n != *nph)
        return fail(path, "its phases differ from the first part's (not the same run?)");
    if (first) {
        *ph = xcalloc(n ? n : 1, sizeof **ph);
        *nph = n;
    }
    for (size_t i = 0; i < n; i++) {
        json_object *p = json_object_array_get_idx(arr, i), *raw;
        part_phase *d = &(*ph)[i];
        if (first) {
            snprintf(d->name, sizeof d->name, "%s", jstr(p, "name"));
            snprintf(d->role, sizeof d->role, "%s", jstr(p, "role"));
            snprintf(d->load_model, sizeof d->load_model, "%s", jstr(p, "load_model"));
        } else if (strcmp(d->name, jstr(p, "name"))) {
            return fail(path, "its phases differ from the first part's (not the same run?)");
        }
        d->target_rate += jdbl(p, "target_rate");
        d->achieved_rate += jdbl(p, "achieved_rate");
        d->concurrency += (int)jdbl(p, "concurrency");
        d->max_backlog += (int64_t)jdbl(p, "max_backlog");
        lg_stats s;
        if (!json_object_object_get_ex(p, "raw", &raw) || !stats_from_raw(&s, raw, &why))
            return fail(path, why ? why : "a phase without raw figures");
        stats_merge(&d->st, &s);
        stats_free(&s);
    }
    return 0;
}

static char *merged_doc(json_object *first, const lg_stats *total, part_phase *ph, size_t nph,
                        size_t nparts, json_object *warnings)
{
    abuf b = {0};
    abuf_puts(&b, "{\"schema\":\"aifb-loadgen-result/1\",");
    stats_json(total, &b);
    double target = 0, achieved = 0;
    for (size_t i = 0; i < nph; i++)
        if (!strcmp(ph[i].role, "measure") && !strcmp(ph[i].load_model, "open")) {
            target = ph[i].target_rate;
            achieved = ph[i].achieved_rate;
        }
    abuf_printf(&b, ",\"target_rate\":%g,\"achieved_rate\":%.6g,\"merged_from\":%zu", target,
                achieved, nparts);
    const char *keep[] = {"started_at", "wall_s", "aborted", "stopped", "note", "search"};
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++) {
        json_object *v;
        if (json_object_object_get_ex(first, keep[i], &v))
            abuf_printf(&b, ",\"%s\":%s", keep[i],
                        json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
    }
    abuf_printf(&b, ",\"warnings\":%s",
                json_object_to_json_string_ext(warnings, JSON_C_TO_STRING_PLAIN));
    json_object *cfg;
    if (json_object_object_get_ex(first, "config", &cfg)) {
        json_object_object_add(cfg, "tasks", json_object_new_int((int)nparts));
        abuf_printf(&b, ",\"config\":%s",
                    json_object_to_json_string_ext(cfg, JSON_C_TO_STRING_PLAIN));
    }
    abuf_puts(&b, ",\"phases\":[");
    for (size_t i = 0; i < nph; i++) {
        abuf_puts(&b, i ? ",{\"name\":" : "{\"name\":");
        abuf_json_str(&b, ph[i].name);
        abuf_printf(&b,
                    ",\"role\":\"%s\",\"load_model\":\"%s\",\"target_rate\":%g,"
                    "\"concurrency\":%d,\"achieved_rate\":%.6g,\"max_backlog\":%lld,",
                    ph[i].role, ph[i].load_model, ph[i].target_rate, ph[i].concurrency,
                    ph[i].achieved_rate, (long long)ph[i].max_backlog);
        stats_json(&ph[i].st, &b);
        abuf_puts(&b, ",\"raw\":");
        stats_raw_json(&ph[i].st, &b);
        abuf_puts(&b, "}");
    }
    abuf_puts(&b, "],\"raw\":");
    stats_raw_json(total, &b);
    abuf_puts(&b, "}\n");
    return abuf_take(&b);
}

int merge_main(int argc, char **argv)
{
    const char *out = NULL;
    bool print = false;
    int first_part = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--result") && i + 1 < argc) {
            out = argv[++i];
        } else if (!strcmp(argv[i], "--print-result")) {
            print = true;
        } else if (argv[i][0] == '-') {
            fprintf(stderr,
                    "aifb-loadgen merge: unknown option '%s'\n"
                    "usage: aifb-loadgen merge --result OUT [--print-result] PART.json...\n",
                    argv[i]);
            return 2;
        } else if (!first_part) {
            first_part = i;
        }
    }
    if (!out || !first_part) {
        fputs("usage: aifb-loadgen merge --result OUT [--print-result] PART.json...\n", stderr);
        return 2;
    }
    lg_stats total = {0};
    part_phase *ph = NULL;
    size_t nph = 0, nparts = 0;
    json_object *first = NULL, *warnings = json_object_new_array();
    int rc = 0;
    for (int i = first_part; i < argc && !rc; i++) {
        if (argv[i][0] == '-') {
            i += !strcmp(argv[i], "--result");
            continue;
        }
        json_object *root = json_object_from_file(argv[i]), *raw, *w;
        const char *why = NULL;
        lg_stats s;
        if (!root || strcmp(jstr(root, "schema"), "aifb-loadgen-result/1")) {
            rc = fail(argv[i], "not an aifb-loadgen result (schema aifb-loadgen-result/1)");
        } else if (!json_object_object_get_ex(root, "raw", &raw) ||
                   !stats_from_raw(&s, raw, &why)) {
            rc = fail(argv[i], why ? why : "no raw figures");
        } else {
            stats_merge(&total, &s);
            stats_free(&s);
            rc = merge_phases(argv[i], root, &ph, &nph, nparts == 0);
            if (json_object_object_get_ex(root, "warnings", &w))
                for (size_t k = 0; k < json_object_array_length(w); k++)
                    json_object_array_add(warnings,
                                          json_object_get(json_object_array_get_idx(w, k)));
            nparts++;
        }
        if (!first && !rc)
            first = root;
        else
            json_object_put(root);
    }
    if (!rc) {
        char *doc = merged_doc(first, &total, ph, nph, nparts, warnings);
        aifb_err err = {0};
        if (result_write(out, doc, &err)) {
            fprintf(stderr, "aifb-loadgen merge: %s: %s\n", out, err.msg);
            rc = 1;
        } else {
            fprintf(stderr, "aifb-loadgen merge: %zu parts -> %s (%lld completed, %lld failed)\n",
                    nparts, out, (long long)total.completed, (long long)total.failed);
            if (print) {
                for (char *p = doc; *p; p++)
                    if (*p == '\n')
                        *p = ' ';
                printf("%s\n", doc);
            }
        }
        free(doc);
    }
    for (size_t i = 0; i < nph; i++)
        stats_free(&ph[i].st);
    free(ph);
    stats_free(&total);
    json_object_put(first);
    json_object_put(warnings);
    return rc;
}
