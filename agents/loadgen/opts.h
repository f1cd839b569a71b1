/* opts.h: what aifb-loadgen is asked to do, as parsed and checked from its command line.
 *
 * opts_parse() refuses anything wrong before a request is sent, with a message naming the option
 * and the value; docs/loadgen.md is the user's reference for every option. */
#ifndef AIFB_LOADGEN_OPTS_H
#define AIFB_LOADGEN_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/err.h"
#include "loadgen/arrival.h"

typedef enum lg_workload {
    LG_WL_CHAT = 0,
    LG_WL_COMPLETIONS,
    LG_WL_EMBEDDINGS,
    LG_WL_HTTP,
    LG_WL_QDRANT,
} lg_workload;

typedef enum lg_len_dist {
    LG_LEN_FIXED = 0,
    LG_LEN_UNIFORM, /* uniform in [n - spread, n + spread] */
    LG_LEN_NORMAL,  /* normal, mean n, standard deviation spread, at least 1 */
} lg_len_dist;

typedef struct lg_len {
    int64_t n;
    lg_len_dist dist;
    double spread;
} lg_len;

/* A service-level objective on one metric, in milliseconds. */
typedef enum lg_slo_metric { LG_SLO_TTFT = 0, LG_SLO_TPOT, LG_SLO_E2EL } lg_slo_metric;
typedef struct lg_slo {
    lg_slo_metric metric;
    double ms;
} lg_slo;
#define LG_MAX_SLOS 3

typedef enum lg_progress_mode {
    LG_PROGRESS_AUTO = 0,
    LG_PROGRESS_ON,
    LG_PROGRESS_OFF
} lg_progress_mode;

typedef struct lg_opts {
    /* target */
    char *url; /* the server's base URL (the workload's path is appended); the whole URL for http */
    lg_workload workload;
    char *model; /* NULL: asked from GET /v1/models, else "default" */
    bool stream;
    char **headers;    /* "Name: value", NULL-terminated */
    char *method;      /* http: GET, POST, ... */
    char *body;        /* http: a body template ({{prompt}}, {{id}}, {{n}} filled in) */
    char *collection;  /* qdrant */
    int vector_dim;    /* qdrant and synthetic vectors */
    char *api_key_env; /* name of the variable holding a bearer token; the value is never printed */
    double timeout_s, connect_timeout_s;

    /* load */
    int concurrency; /* closed loop users, or the open loop's cap; 0 = no cap (open loop) */
    double rate;     /* requests/s; 0 = closed loop */
    arrival_kind arrival;
    double burstiness;
    int64_t requests;  /* measured requests; 0 = by duration */
    double duration_s; /* measured duration; 0 = by requests */
    double warmup_s, cooldown_s, ramp_s;
    int64_t warmup_requests;
    int64_t max_errors; /* stop after this many failures; 0 = never */
    double *sweep;      /* --sweep rate=... or concurrency=...: one measured phase per value */
    size_t nsweep;
    bool sweep_rates; /* the values are rates (open loop); else users or the open loop's cap */
    bool search;      /* search the highest rate meeting the SLOs in [search_lo, search_hi] */
    double search_lo, search_hi;
    int search_steps;
    double goodput_target; /* search: the fraction of requests that must meet the SLOs */

    /* data */
    char *dataset;        /* NULL: synthetic */
    char *dataset_format; /* "jsonl", "sharegpt" or NULL (by content) */
    lg_len input, output;
    uint64_t seed;
    bool ignore_eos;

    /* SLOs for goodput */
    lg_slo slos[LG_MAX_SLOS];
    size_t nslos;

    /* output */
    char *result_path;
    char *requests_path; /* per-request JSONL */
    bool print_result;   /* the result document as one line on stdout at the end */
    lg_progress_mode progress;
    bool quiet;
    int spin_us;        /* open loop: poll the last spin_us before each send instead of sleeping */
    char *remote_write; /* Prometheus remote write URL */
    char **labels;      /* "name=value" added to every pushed series */
    double push_interval_s;
    char *run_id;

    /* Slurm: this task's share when several tasks of one job run together */
    int task_id, ntasks;
    bool task_from_slurm; /* an srun step: task 0 merges every task's result (run.h) */
} lg_opts;

/* Parses argv (without the program name's subcommand handling: argv[0] is the program). On
 * success *o is filled with defaults for what was not given. AIFB_EINVAL with a message naming
 * the option otherwise. --help: AIFB_ECANCELLED after printing the usage to stdout. */
aifb_code opts_parse(int argc, char **argv, lg_opts *o, aifb_err *err);
void opts_free(lg_opts *o);
void opts_usage(FILE *out);

const char *lg_workload_name(lg_workload w);
const char *lg_slo_metric_name(lg_slo_metric m);
/* Whether the workload speaks an LLM API (tokens, TTFT, TPOT). */
bool lg_workload_is_llm(lg_workload w);

#endif
