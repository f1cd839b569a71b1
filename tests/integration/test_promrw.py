"""Remote write from the agents' sender to a real Prometheus: the test driver (tests/tools/
promrw_send.c, which uses agents/core/promrw) pushes a counter, a gauge and a histogram labelled
run_id and phase; instant queries through /api/v1/query must return those series with exactly
those labels and values, and histogram_quantile over the pushed buckets must land in the bucket
that holds the true quantile of the recorded latencies. A batch Prometheus refuses (an out of
order sample) is dropped after one request, with one log line quoting Prometheus."""

import json
import math
import os
import subprocess

from aifbtest import BIN

DRIVER = os.path.join(BIN, "promrw_send")
BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]
# Latencies in milliseconds; none is within 1% of a bound but those exactly on one (5, 10 ms), so
# the histogram's 0.2% precision cannot move a value across a bucket bound.
LATENCIES_MS = [0.8, 1.5, 2, 3, 4.2, 5, 6, 7.5, 9, 10, 12, 15, 18, 21, 30, 35, 40, 45, 60, 70, 80,
                90, 120, 150, 200, 230, 300, 400, 450, 600, 700, 800, 900, 1200, 1500, 2000, 2200,
                3000, 4000, 6000]
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


def send(url, run_id, phase, *extra):
    r = subprocess.run([DRIVER, "--url", url, "--run-id", run_id, "--phase", phase] + list(extra),
                       capture_output=True, text=True, timeout=60)
    assert not any(m in r.stderr for m in SANITIZER_MARKS), r.stderr
    assert r.returncode == 0, "promrw_send exited %d:\n%s%s" % (r.returncode, r.stdout, r.stderr)
    return json.loads(r.stdout), r.stderr


def ns(ms):
    return round(ms * 1e6)


def test_counter_gauge_and_histogram_reach_prometheus(prometheus):
    run_id = "r-" + os.urandom(6).hex()
    stats, _ = send(prometheus.write_url, run_id, "steady", "--counter", "1234", "--gauge", "7.5",
                    "--latencies-ms", ",".join("%g" % v for v in LATENCIES_MS),
                    "--bounds", ",".join("%g" % b for b in BOUNDS))
    nseries = 2 + len(BOUNDS) + 1 + 2
    assert stats["batches_sent"] == 1, stats
    assert stats["samples_sent"] == nseries, stats
    assert stats["batches_dropped"] == 0 and stats["retries"] == 0, stats
    assert stats["last_status"] // 100 == 2, stats
    at = stats["timestamp_ms"] / 1000.0
    sel = '{run_id="%s",phase="steady"}' % run_id

    everything = prometheus.query(sel, at)
    assert len(everything) == nseries, everything
    for s in everything:
        labels = set(s["metric"])
        want = {"__name__", "run_id", "phase"}
        if s["metric"]["__name__"].endswith("_bucket"):
            want.add("le")
        assert labels == want, s
        assert float(s["value"][0]) == at, s  # the sample's own timestamp

    assert prometheus.query_value("aifb_test_requests_total" + sel, at) == 1234
    assert prometheus.query_value("aifb_test_inflight" + sel, at) == 7.5

    buckets = {s["metric"]["le"]: float(s["value"][1])
               for s in prometheus.query("aifb_test_latency_seconds_bucket" + sel, at)}
    want = {("%g" % b): sum(1 for v in LATENCIES_MS if ns(v) <= round(b * 1e9)) for b in BOUNDS}
    want["+Inf"] = len(LATENCIES_MS)
    assert buckets == want
    assert prometheus.query_value("aifb_test_latency_seconds_count" + sel, at) == len(LATENCIES_MS)
    total = prometheus.query_value("aifb_test_latency_seconds_sum" + sel, at)
    assert math.isclose(total, sum(ns(v) for v in LATENCIES_MS) / 1e9, rel_tol=1e-12), total

    ordered = sorted(LATENCIES_MS)
    for q in (0.5, 0.9, 0.99):
        true = ordered[math.ceil(q * len(ordered)) - 1] / 1000.0
        hi = next(b for b in BOUNDS + [math.inf] if true <= b)
        lo = max([0] + [b for b in BOUNDS if b < hi])
        est = prometheus.query_value(
            "histogram_quantile(%g, aifb_test_latency_seconds_bucket%s)" % (q, sel), at)
        assert lo <= est <= hi, "p%g: Prometheus says %g, the recorded value %g is in (%g, %g]" % (
            q * 100, est, true, lo, hi)


def test_a_refused_batch_is_dropped_once_with_prometheus_answer(prometheus):
    run_id = "r-" + os.urandom(6).hex()
    first, _ = send(prometheus.write_url, run_id, "steady", "--counter", "5")
    assert first["batches_sent"] == 1, first
    # A sample older than the series' newest is out of order: Prometheus answers 400.
    stats, log = send(prometheus.write_url, run_id, "steady", "--counter", "6",
                      "--timestamp-ms", str(first["timestamp_ms"] - 60000))
    assert stats["batches_sent"] == 0, stats
    assert stats["batches_refused"] == 1 and stats["batches_dropped"] == 1, stats
    assert stats["retries"] == 0, stats
    assert stats["last_status"] == 400, stats
    assert stats["last_error"].startswith("HTTP 400 from %s: " % prometheus.write_url), stats
    assert len(stats["last_error"]) > len("HTTP 400 from %s: " % prometheus.write_url)
    refused = [line for line in log.splitlines() if "refused" in line]
    assert len(refused) == 1 and "HTTP 400" in refused[0], log
    sel = 'aifb_test_requests_total{run_id="%s"}' % run_id
    assert prometheus.query_value(sel, first["timestamp_ms"] / 1000.0) == 5
