/* slurm_api_internal.h: what the data versions of slurm_api share; not for use outside
 * slurm_api*.c.
 *
 * slurm_api_json.c holds the JSON helpers (parse a reply with a message that names it, read a
 * string or a number whatever its version's encoding), the decoding of job states and exit codes
 * that every version maps onto slurm_job_info, and the checks of a slurm_job_spec that do not
 * depend on the version. slurm_api_v0038.c is the first data format; slurm_api_dp.c is the
 * data_parser format of v0.0.40 to v0.0.42, and slurm_api_v0040.c, _v0041.c, _v0042.c are its
 * three tables with the little that differs between them. */
#ifndef AIFB_SLURM_API_INTERNAL_H
#define AIFB_SLURM_API_INTERNAL_H

#include <json-c/json.h>

#include "slurm/slurm_api.h"

/* ---- JSON ------------------------------------------------------------------------------- */

/* Parses body as one JSON object; what names it in messages ("v0.0.40 jobs reply"). */
aifb_code slurm_api_json_parse(const char *what, const char *body, size_t len, json_object **out,
                               aifb_err *err);

/* The member key of o when o is an object and has it, else NULL. */
json_object *slurm_api_json_get(json_object *o, const char *key);

/* Copies the string member key of o into out (cut to fit); "" when absent or not a string. */
void slurm_api_json_str(json_object *o, const char *key, char *out, size_t outlen);

/* Reads a number in any of Slurm's encodings: a plain integer, a {set, infinite, number}
 * object with set true, or (data_parser "complex" mode) an integer beside null / "Infinity".
 * false when absent, unset, infinite or not a number. */
bool slurm_api_json_number(json_object *v, int64_t *out);

/* Like slurm_api_json_number for member key of o, with dflt when there is no number. */
int64_t slurm_api_json_number_or(json_object *o, const char *key, int64_t dflt);

/* Reads the job id member key of o (1 to 4294967295, in any number encoding); false when absent
 * or out of range. */
bool slurm_api_json_job_id(json_object *o, const char *key, uint32_t *id);

/* Writes into out the strings of an array joined by sep (upper: in upper case), cut to fit;
 * elements that are not strings are skipped. */
void slurm_api_json_join(json_object *arr, const char *sep, bool upper, char *out, size_t outlen);

/* The reply as compact JSON text, malloc'd. */
char *slurm_api_json_text(json_object *o);

/* When root carries a non-empty "errors" array: sets err to them as one sentence prefixed with
 * what, and returns AIFB_ENOTFOUND when one is "Invalid job id" (2017), else refusal_code.
 * AIFB_OK when there are none. */
aifb_code slurm_api_reply_errors(json_object *root, const char *what, aifb_code refusal_code,
                                 aifb_err *err);

/* The elements of a required array member key (for lists of jobs, nodes, partitions). */
aifb_code slurm_api_json_list(json_object *root, const char *what, const char *key,
                              json_object **arr, size_t *n, aifb_err *err);

/* Decodes one element of a list reply into the record at out; idx counts from 0. */
typedef aifb_code (*slurm_api_item_fn)(json_object *item, size_t idx, void *out, const char *what,
                                       aifb_err *err);

/* The frame of every list reply (jobs, nodes, partitions): parses body, fails with its Slurm
 * errors if it has any, finds the array member key and decodes each element with fn into a
 * malloc'd array of item_size records (NULL when empty). what names the reply in messages. */
aifb_code slurm_api_parse_list(const char *what, const char *body, size_t len, const char *key,
                               size_t item_size, slurm_api_item_fn fn, void **out, size_t *n,
                               aifb_err *err);

/* ---- job states and exit codes ------------------------------------------------------------ */

/* Maps one of Slurm's job state names (base states and flags) to an aifb state. *is_base tells
 * whether the name was a base state; *completing is set for the COMPLETING flag. */
slurm_job_state slurm_api_state_from_name(const char *name, bool *is_base, bool *completing);

/* Whether a job's exit code means something yet: it has ended, or is completing. */
bool slurm_api_state_has_exit(slurm_job_state s);

/* Sets has_exit false and the three exit fields to -1. */
void slurm_api_exit_clear(slurm_job_info *j);

/* Decodes a wait(2) status into the exit fields; false when it is not one. */
bool slurm_api_exit_from_wait(slurm_job_info *j, int64_t raw);

/* ---- job specs ---------------------------------------------------------------------------- */

/* Checks what every version requires of a spec (script, cwd, counts not negative, variable
 * names); version goes into the messages. */
aifb_code slurm_api_spec_check(const slurm_job_spec *spec, const char *version, aifb_err *err);

/* Whether s is set (neither NULL nor ""). */
bool slurm_api_str_set(const char *s);

/* The environment sent when a spec gives none: Slurm refuses a batch job without one. */
#define SLURM_API_DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"

/* Adds member key = s when s is set, key = n when n > 0 (helpers for submit bodies). */
void slurm_api_json_add_str(json_object *o, const char *key, const char *s);
void slurm_api_json_add_int(json_object *o, const char *key, int64_t n);

/* ---- data_parser versions (v0.0.40 and later) ---------------------------------------------- */

/* What differs between the data_parser versions aifb supports. */
typedef struct slurm_dp_version {
    const char *version;
    /* v0.0.40 and v0.0.41 submit replies also carry a "result" object with the job id. */
    bool submit_result_object;
} slurm_dp_version;

aifb_code slurm_dp_submit_body(const slurm_dp_version *v, const slurm_job_spec *spec, char **json,
                               aifb_err *err);
aifb_code slurm_dp_parse_submit(const slurm_dp_version *v, const char *body, size_t len,
                                uint32_t *job_id, aifb_err *err);
aifb_code slurm_dp_parse_jobs(const slurm_dp_version *v, const char *body, size_t len,
                              slurm_job_info **jobs, size_t *n, aifb_err *err);
aifb_code slurm_dp_parse_nodes(const slurm_dp_version *v, const char *body, size_t len,
                               slurm_node_info **nodes, size_t *n, aifb_err *err);
aifb_code slurm_dp_parse_partitions(const slurm_dp_version *v, const char *body, size_t len,
                                    slurm_partition_info **parts, size_t *n, aifb_err *err);

/* The tables, for the registry in slurm_api.c. */
extern const slurm_api slurm_api_v0038;
extern const slurm_api slurm_api_v0040;
extern const slurm_api slurm_api_v0041;
extern const slurm_api slurm_api_v0042;

#endif
