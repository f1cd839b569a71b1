/* bench.h: what the subcommands of aifb-bench share.
 *
 * aifb-bench is the load client of the control-plane benchmark (bench/run.sh drives it). Each
 * subcommand lives in its own cmd_*.c file as one bench_cmd row (name, usage, run function),
 * collected in the table of aifb-bench.c. They share:
 *   - option parsing (bench_opts.c): positional arguments first, then "--name value" pairs, with
 *     every unknown option refused by name;
 *   - figures (bench_stats.c): latency samples and their quantiles, clocks, the CPU time of this
 *     process and of another one (the server under load), a process's resident memory;
 *   - the load engine (bench_load.c): T threads issuing blocking unary calls through the project's
 *     rpc client, for a time or a count, with every call's latency kept.
 *
 * Every subcommand prints one result line, "<name> key=value key=value ...", that run.sh reads,
 * and may print "note: ..." lines for people. Values never contain spaces. */
#ifndef AIFB_BENCH_H
#define AIFB_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aifb/v1/controlplane.pb-c.h"
#include "common/err.h"
#include "rpc/rpc.h"

#define BENCH_METHOD(name) "/aifb.v1.ControlPlane/" name

/* ---- subcommands ------------------------------------------------------------------------- */

typedef struct bench_cmd {
    const char *name;
    const char *usage;                 /* arguments after the name, for --help */
    const char *about;                 /* one line */
    int (*run)(int argc, char **argv); /* argv[0] is the subcommand's name; returns exit status */
} bench_cmd;

extern const bench_cmd bench_cmd_populate, bench_cmd_service, bench_cmd_getrun, bench_cmd_startrun,
    bench_cmd_listruns, bench_cmd_watch, bench_cmd_rss, bench_cmd_restsubmit;

/* Prints "aifb-bench <cmd>: <message>" to stderr and returns the exit status 1, so a subcommand
 * can end with `return bench_fail(cmd, &err);`. */
int bench_fail(const char *cmd, const aifb_err *err);

/* ---- options (bench_opts.c) -------------------------------------------------------------- */

/* A subcommand's arguments: npos positional ones, then option pairs from the known list. */
typedef struct bench_args {
    int argc;
    char **argv;
    int npos;
    const char *const *known; /* NULL-terminated option names ("--threads") */
} bench_args;

/* Checks argv[1..]: exactly npos positional arguments first, then "--name value" pairs whose
 * names are all in known. Refuses a missing argument, an unknown option (naming it and the known
 * ones) and an option without its value. */
aifb_code bench_args_check(bench_args *a, int argc, char **argv, int npos, const char *const *known,
                           aifb_err *err);
/* Positional argument i (0-based). */
const char *bench_arg_pos(const bench_args *a, int i);
/* The value of an option, or def when it is absent. */
const char *bench_arg_str(const bench_args *a, const char *name, const char *def);
/* An integer option in lo..hi; a value that is not one is refused with a message naming it. */
aifb_code bench_arg_int(const bench_args *a, const char *name, long def, long lo, long hi,
                        long *out, aifb_err *err);
/* A positional argument that must be an integer in lo..hi (what names it in the message). */
aifb_code bench_parse_long(const char *text, const char *what, long lo, long hi, long *out,
                           aifb_err *err);

/* ---- figures (bench_stats.c) ------------------------------------------------------------- */

/* A growing array of measurements (milliseconds, usually). */
typedef struct bench_samples {
    double *v;
    size_t n, cap;
} bench_samples;

void bench_samples_add(bench_samples *s, double v);
/* Appends every value of from to into. */
void bench_samples_merge(bench_samples *into, const bench_samples *from);
/* The q-quantile (0..1) by nearest rank; sorts the samples. 0 when there are none. */
double bench_samples_quantile(bench_samples *s, double q);
void bench_samples_free(bench_samples *s);

/* Seconds on CLOCK_MONOTONIC. */
double bench_now_s(void);
/* CPU seconds (user + system) used so far by this process, all threads. */
double bench_self_cpu_s(void);
/* CPU seconds used so far by process pid itself, and by its children it has reaped
 * (children_s may be NULL), from /proc/<pid>/stat. aifbd reaps the processes of its runs, so
 * their cost shows up in children_s once they have ended. */
aifb_code bench_proc_cpu_s(int pid, double *self_s, double *children_s, aifb_err *err);
/* CPU seconds this machine has spent busy (every core, every process) since it booted: the
 * difference over a load, minus the client's and the server's, is what other processes took. */
aifb_code bench_machine_cpu_s(double *busy_s, aifb_err *err);
/* Resident memory of process pid now, at its peak, and the part of it that is the process's own
 * (anonymous) rather than mapped files (VmRSS, VmHWM, RssAnon of /proc/<pid>/status), kB. */
aifb_code bench_proc_mem_kb(int pid, long *rss_kb, long *hwm_kb, long *anon_kb, aifb_err *err);

/* ---- load engine (bench_load.c) ---------------------------------------------------------- */

/* One call of the load; returns AIFB_OK or the call's error. thread is 0..threads-1 and i the
 * call's number within its process (unique there). */
typedef aifb_code (*bench_call_fn)(void *user, rpc_client *c, int thread, long i, aifb_err *err);

typedef struct bench_load {
    const char *target; /* each process makes its own client (its own connection) to it */
    int procs;          /* client processes; 1: this process, no fork */
    int threads;        /* per process: calls in flight = procs * threads */
    double seconds;     /* run for this long when count is 0 */
    long count;         /* > 0: exactly this many calls in all */
    bench_call_fn call;
    void *user;
    int server_pid; /* > 0: its CPU time is measured over the load */
} bench_load;

typedef struct bench_load_result {
    long calls;            /* calls that succeeded */
    double wall_s;         /* from the start to the last call answered (slowest process) */
    double client_cpu_s;   /* the load's processes over the load */
    double server_cpu_s;   /* the server over the load; -1 when not measured */
    double children_cpu_s; /* the server's reaped children (run processes) over the load */
    double machine_cpu_s;  /* every process of the machine over the load; -1 when unknown */
    bench_samples lat_ms;
    bool failed;
    aifb_err first_error; /* the first call that failed; the load stops there */
} bench_load_result;

/* Runs the load; every thread of a process stops at the first failed call of any of them. With
 * procs > 1 the processes are forked before any gRPC state exists in them, and start together.
 * Returns AIFB_OK with *r filled (r->failed tells whether a call failed), or the error of
 * setting the load up (no client, no fork). */
aifb_code bench_load_run(const bench_load *l, bench_load_result *r, aifb_err *err);
/* Prints the result line "<name> calls=... rate=... p50_ms=... p99_ms=... client_cpu=...
 * server_cpu=... children_cpu=... other_cpu=... cores=..." (CPU in cores: seconds of CPU per
 * second of wall time; children_cpu is the server's run processes, other_cpu what every other
 * process of the machine used meanwhile) and
 * notes when the load client used as much CPU as the server, or other processes competed. Returns
 * 0, or 1 after printing the error. */
int bench_load_report(const char *name, const bench_load_result *r);
void bench_load_result_free(bench_load_result *r);

/* ---- small calls shared by subcommands ---------------------------------------------------- */

/* GetInfo: the server's last event seq and how many runs are not final. */
aifb_code bench_get_info(rpc_client *c, uint64_t *last_seq, int *active_runs, aifb_err *err);
/* Polls GetInfo until no run is active, for at most timeout_s. */
aifb_code bench_wait_idle(rpc_client *c, double timeout_s, aifb_err *err);
/* StartRun of recipe (against service_id when not empty); *id (may be NULL) gets the run's id. */
aifb_code bench_start_run(rpc_client *c, const char *recipe, const char *service_id, char id[32],
                          aifb_err *err);

#endif
