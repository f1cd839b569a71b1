/* scrape.h: the service's own metrics (--scrape URL), fetched every tick and added to the batch.
 *
 * A scrape is one GET on a kept libcurl handle (one connection for the whole run) asking for
 * the text format, parsed by expo.h twice: once to check the whole answer (a malformed line or
 * more than SCRAPE_MAX_SAMPLES samples fails the scrape and adds nothing, as Prometheus does),
 * once to add every sample to the batch at the tick's time. The service's own timestamps are
 * not used (the tick's time keeps each series in time order across batches, which Prometheus
 * demands). Every series gets the batch's constant labels (the run's); a scraped label with the
 * name of one of them is kept as exported_<name> (exported_exported_<name> if that is taken
 * too), as Prometheus does for a target's labels. */
#ifndef AIFB_MONITOR_SCRAPE_H
#define AIFB_MONITOR_SCRAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/promrw.h"

#define SCRAPE_MAX_SAMPLES 50000
#define SCRAPE_MAX_BYTES   (64u << 20)

typedef struct mon_scrape mon_scrape;

typedef struct scrape_result {
    bool up;           /* the answer was a 200 in the text format and added */
    double duration_s; /* of the GET */
    size_t samples;
} scrape_result;

/* A scraper of url; taken lists the names of the batch's constant labels (the scraped ones
 * that clash are renamed), copied. NULL with err set when libcurl cannot make a handle. */
mon_scrape *scrape_new(const char *url, const char *const *taken, size_t ntaken, aifb_err *err);
/* Scrapes (timeout_ms for the whole GET) and adds the samples to b at ts_ms. A failure is
 * logged when it starts and when it ends, not at every tick. */
void scrape_collect(mon_scrape *s, promrw_batch *b, int64_t ts_ms, int timeout_ms,
                    scrape_result *r);
/* Adds Prometheus' stale marker at ts_ms for every series of the last good scrape (those the
 * batch holds already at ts_ms or later are left alone): at the end, so that the service's
 * series end with the monitor even when the last scrape failed. */
void scrape_stale(mon_scrape *s, promrw_batch *b, int64_t ts_ms);
void scrape_free(mon_scrape *s);

/* Relabels one scraped sample for a batch whose constant labels are taken: out receives the
 * labels with clashing names prefixed (names in names, which the caller frees with free() for
 * each non-NULL entry). Exposed for the unit tests. */
void scrape_relabel(const promrw_label *in, size_t n, const char *const *taken, size_t ntaken,
                    promrw_label *out, char **names);

#endif
