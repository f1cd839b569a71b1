/* result.c: the result document, result.json (its schema is documented in docs/loadgen.md).
 *
 * The top level carries vLLM's field names for the measured requests (every measured phase
 * merged; for a search, the best passing step), so results can be compared with vLLM's bench;
 * "config" says what was asked, "phases" has each phase's own figures, and "raw" objects keep the
 * histograms and counters from which `aifb-loadgen merge` rebuilds one result from several tasks.
 */
#include "loadgen/run.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void str_field(abuf *b, const char *name, const char *v)
{
    abuf_printf(b, ",\"%s\":", name);
    if (v)
        abuf_json_str(b, v);
    else
        abuf_puts(b, "null");
}

static void len_json(abuf *b, const char *name, const lg_len *l)
{
    static const char *const dists[] = {"fixed", "uniform", "normal"};
    abuf_printf(b, ",\"%s\":{\"tokens\":%lld,\"dist\":\"%s\",\"spread\":%g}", name, (long long)l->n,
                dists[l->dist], l->spread);
}

static void config_json(const lg_run *run, abuf *b)
{
    const lg_opts *o = run->o;
    abuf_puts(b, "{\"tool\":\"aifb-loadgen\",\"version\":\"" AIFB_VERSION "\"");
    str_field(b, "workload", lg_workload_name(o->workload));
    str_field(b, "url", o->url);
    str_field(b, "model", run->model);
    abuf_printf(b, ",\"stream\":%s", o->stream ? "true" : "false");
    bool open = o->rate > 0 || o->search || (o->nsweep && o->sweep_rates);
    str_field(b, "load_model", open ? "open" : "closed");
    abuf_printf(b, ",\"rate\":%g,\"concurrency\":%d", o->rate, o->concurrency);
    str_field(b, "arrival", open ? arrival_kind_name(o->arrival) : NULL);
    abuf_printf(b, ",\"burstiness\":%g,\"requests\":%lld,\"duration_s\":%g", o->burstiness,
                (long long)o->requests, o->duration_s);
    abuf_printf(b, ",\"warmup_s\":%g,\"warmup_requests\":%lld,\"cooldown_s\":%g,\"ramp_s\":%g",
                o->warmup_s, (long long)o->warmup_requests, o->cooldown_s, o->ramp_s);
    abuf_printf(b, ",\"spin_us\":%d", o->spin_us);
    abuf_puts(b, ",\"sweep\":[");
    for (size_t i = 0; i < o->nsweep; i++)
        abuf_printf(b, "%s%g", i ? "," : "", o->sweep[i]);
    abuf_printf(b, "],\"sweep_of\":%s",
                o->nsweep ? (o->sweep_rates ? "\"rate\"" : "\"concurrency\"") : "null");
    str_field(b, "dataset", o->dataset ? o->dataset : "synthetic");
    len_json(b, "input", &o->input);
    len_json(b, "output", &o->output);
    abuf_printf(b, ",\"seed\":%llu,\"timeout_s\":%g", (unsigned long long)o->seed, o->timeout_s);
    abuf_puts(b, ",\"slo_ms\":{");
    for (size_t i = 0; i < o->nslos; i++)
        abuf_printf(b, "%s\"%s\":%g", i ? "," : "", lg_slo_metric_name(o->slos[i].metric),
                    o->slos[i].ms);
    abuf_puts(b, "}");
    str_field(b, "run_id", o->run_id);
    abuf_printf(b, ",\"tasks\":%d}", o->ntasks);
}

static void phase_json(const lg_phase *p, abuf *b)
{
    static const char *const roles[] = {"warmup", "measure", "cooldown"};
    abuf_puts(b, "{\"name\":");
    abuf_json_str(b, p->name);
    abuf_printf(b,
                ",\"role\":\"%s\",\"load_model\":\"%s\",\"target_rate\":%g,"
                "\"concurrency\":%d,\"achieved_rate\":%.6g,\"max_backlog\":%lld,",
                roles[p->role], p->open ? "open" : "closed", p->open ? p->rate : 0, p->concurrency,
                phase_achieved_rate(p), (long long)p->backlog_max);
    stats_json(&p->st, b);
    abuf_puts(b, ",\"raw\":");
    stats_raw_json(&p->st, b);
    abuf_puts(b, "}");
}

char *result_json(const lg_run *run)
{
    abuf b = {0};
    abuf_puts(&b, "{\"schema\":\"aifb-loadgen-result/1\",");
    stats_json(&run->total, &b);
    double target = 0, achieved = 0;
    for (size_t i = 0; i < run->nphases; i++) {
        const lg_phase *p = &run->phases[i];
        if (p->role == LG_MEASURE && p->open) {
            target = p->rate * run->o->ntasks;
            achieved = phase_achieved_rate(p) * run->o->ntasks;
        }
    }
    abuf_printf(&b, ",\"target_rate\":%g,\"achieved_rate\":%.6g", target, achieved);
    str_field(&b, "started_at", run->started_at);
    abuf_printf(&b, ",\"wall_s\":%.6g,\"aborted\":%lld", run->wall_s, (long long)run->aborted);
    str_field(&b, "stopped", run->stopped);
    str_field(&b, "note", run->note);
    abuf_puts(&b, ",\"warnings\":[");
    for (size_t i = 0; i < run->nwarnings; i++) {
        abuf_puts(&b, i ? "," : "");
        abuf_json_str(&b, run->warnings[i]);
    }
    abuf_puts(&b, "],\"config\":");
    config_json(run, &b);
    if (run->o->search) {
        abuf_printf(&b,
                    ",\"search\":{\"goodput_target\":%g,\"max_rate_meeting_slo\":%g,\"steps\":[",
                    run->o->goodput_target, run->best_rate);
        for (size_t i = 0; i < run->nsteps; i++)
            abuf_printf(&b, "%s{\"rate\":%g,\"goodput_fraction\":%.6g,\"ok\":%s}", i ? "," : "",
                        run->steps[i].rate, run->steps[i].goodput_fraction,
                        run->steps[i].ok ? "true" : "false");
        abuf_puts(&b, "]}");
    }
    abuf_puts(&b, ",\"phases\":[");
    for (size_t i = 0; i < run->nphases; i++) {
        abuf_puts(&b, i ? "," : "");
        phase_json(&run->phases[i], &b);
    }
    abuf_puts(&b, "],\"raw\":");
    stats_raw_json(&run->total, &b);
    abuf_puts(&b, "}\n");
    return abuf_take(&b);
}

aifb_code result_write(const char *path, const char *text, aifb_err *err)
{
    return aifb_write_file_atomic(path, text, strlen(text), 0644, err);
}
