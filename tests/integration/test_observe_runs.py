"""A run observed end to end: aifbd configured with a Prometheus receiver (Debian's prometheus,
with the project's configuration) and a Loki receiver (tests/lokiserver.py, Loki's documented push
API) runs the llm-sim recipe locally; aifb-monitor and aifb-logship go beside the service and the
client, and afterwards Prometheus holds the run's process, node, scraped-service and load-client
series, all labelled with the run, and the receiver holds both roles' output, line for line."""

import json
import os

import pytest

from aifbtest import Daemon, processes_with
from lokiserver import LokiServer

QUICK = ["-p", "requests=60", "-p", "concurrency=4", "-p", "ttft_ms=20", "-p", "itl_ms=5",
         "-p", "output_tokens=8"]


@pytest.fixture(scope="module")
def loki():
    with LokiServer() as server:
        yield server


@pytest.fixture(scope="module")
def observed(prometheus, loki):
    d = Daemon(env={"AIFB_PROMETHEUS_URL": prometheus.write_url, "AIFB_LOKI_URL": loki.url})
    d.start()
    yield d
    d.cleanup()


@pytest.fixture(scope="module")
def run(observed):
    """One llm-sim run, ended."""
    r = observed.cli_json("run", "start", "llm-sim", *QUICK, "--wait")
    assert r["state"] == "RUN_STATE_SUCCEEDED", (r, observed.log())
    return r


def series(prometheus, expr):
    """Every series expr had over the last 10 minutes (the agents end their series with stale
    markers, so an instant query after the run returns nothing)."""
    return prometheus.query("last_over_time(%s[10m])" % expr)


def test_the_daemon_names_its_receivers_at_start(observed, prometheus):
    assert "prometheus=" + prometheus.write_url in observed.log_all()


def test_both_roles_process_trees_reach_prometheus_labelled_with_the_run(run, prometheus):
    for role in ("service", "client"):
        sel = 'aifb_process_cpu_seconds_total{run_id="%s",role="%s",recipe="llm-sim"}' % (
            run["id"], role)
        got = series(prometheus, sel)
        assert {s["metric"]["mode"] for s in got} >= {"user", "system"}, (role, got)
        assert sum(float(s["value"][1]) for s in got) > 0, (role, got)
    nodes = series(prometheus, 'aifb_node_memory_total_bytes{run_id="%s"}' % run["id"])
    assert nodes and float(nodes[0]["value"][1]) > 0


def test_the_services_own_metrics_are_scraped_and_relabelled(run, prometheus):
    got = series(prometheus, 'vllm:request_success_total{run_id="%s",role="service"}' % run["id"])
    assert got, "aifb-llmsim's /metrics never reached Prometheus"
    # Scraped every second while the run lasted: some of its 60 requests, never more than
    # the service served.
    assert 0 < sum(float(s["value"][1]) for s in got) <= 60, got
    assert all(s["metric"]["model_name"] == "aifb-sim" for s in got), "the service's own labels stay"


def test_the_load_clients_histograms_count_every_measured_request(run, prometheus):
    got = series(prometheus, 'aifb_loadgen_ttft_seconds_count{run_id="%s",phase="measure",'
                 'recipe="llm-sim"}' % run["id"])
    assert got, "aifb-loadgen did not find the receiver in AIFB_REMOTE_WRITE_URL"
    assert sum(float(s["value"][1]) for s in got) == 60, got


def test_both_roles_output_reaches_loki_line_for_line(run, loki):
    client_out = os.path.join(run["run_dir"], "client.out")
    with open(client_out, encoding="utf-8", errors="replace") as f:
        written = f.read().splitlines()
    assert written, "the client wrote nothing"
    st = loki.stream(run_id=run["id"], role="client", stream="stdout")
    assert st.lines == written
    result = json.loads([line for line in st.lines if line.startswith("{")][-1])
    assert result["completed"] == 60
    # The service's log (aifb-llmsim writes to stderr) is its own stream.
    svc = loki.stream(run_id=run["id"], role="service", stream="stderr")
    with open(os.path.join(run["run_dir"], "service.err"), errors="replace") as f:
        assert svc.lines == f.read().splitlines()
    assert loki.problems == [], loki.problems


def test_the_agents_log_apart_and_leave_nothing_behind(run):
    for name in ("service.monitor.log", "service.logship.log", "client.monitor.log",
                 "client.logship.log"):
        assert os.path.exists(os.path.join(run["run_dir"], name)), name
    with open(os.path.join(run["run_dir"], "client.out")) as f:
        assert "aifb-monitor" not in f.read(), "an agent wrote into the role's output"
    assert processes_with(run["run_dir"]) == []
