"""The llm-sim recipe end to end through aifbd's local executor: aifb-llmsim as the service,
aifb-loadgen as the client, both found beside aifbd; the run's summary is what the load client
measured, and the simulator's configured latencies are what it measured."""

import json
import os

from aifbtest import wait_gone

QUICK = ["-p", "requests=40", "-p", "concurrency=4", "-p", "ttft_ms=30", "-p", "itl_ms=5",
         "-p", "output_tokens=8"]


def metrics(run):
    return {m["name"]: m["value"] for m in run["summary"]}


def test_the_llm_sim_recipe_succeeds_with_ttft_tpot_and_throughput_in_its_summary(aifbd):
    run = aifbd.cli_json("run", "start", "llm-sim", *QUICK, "--wait")
    assert run["state"] == "RUN_STATE_SUCCEEDED", run
    m = metrics(run)
    assert m["completed"] == 40 and m["failed"] == 0
    assert 29 < m["median_ttft_ms"] < 40, m
    assert 4.5 < m["median_tpot_ms"] < 7, m
    assert m["request_throughput"] > 0 and m["output_throughput"] > 0
    assert "request_goodput" not in m  # no SLOs were given
    assert "target_rate" not in m      # a closed loop
    # The client's own files are kept in its folder of the run.
    client_dir = os.path.join(run["run_dir"], "client")
    result = json.load(open(os.path.join(client_dir, "result.json")))
    assert result["completed"] == 40 and result["config"]["concurrency"] == 4
    lines = open(os.path.join(client_dir, "requests.jsonl")).read().splitlines()
    assert len(lines) == 40
    # `aifb run show` prints the same figures as text.
    shown = aifbd.cli("run", "show", run["id"]).stdout
    assert "median_ttft_ms" in shown and "output_throughput" in shown
    assert wait_gone(run["endpoint"]) == []


def test_an_open_loop_with_slos_reports_goodput_and_the_delivered_rate(aifbd):
    run = aifbd.cli_json("run", "start", "llm-sim", *QUICK, "-p", "rate=40", "-p",
                         "arrival=constant", "-p", "slo=ttft=1000,tpot=1000", "--wait")
    assert run["state"] == "RUN_STATE_SUCCEEDED", run
    m = metrics(run)
    assert m["request_goodput"] > 0
    assert m["target_rate"] == 40
    assert abs(m["achieved_rate"] - 40) < 1


def test_a_bad_slo_is_refused_before_anything_runs(aifbd):
    r = aifbd.cli("run", "start", "llm-sim", "-p", "slo=ttft=5;reboot", check=False)
    assert r.returncode != 0
    assert "parameter 'slo'" in r.stderr
