"""Runs end to end through the aifb CLI against a real aifbd, redis-server and PostgreSQL."""

import json
import os
import signal

from aifbtest import processes_with, wait_gone

QUICK_REDIS = ["-p", "requests=2000", "-p", "clients=4"]
LONG_REDIS = ["-p", "requests=100000000", "-p", "clients=2"]


def metrics(run):
    return {m["name"]: m["value"] for m in run["summary"]}


def test_the_redis_recipe_reaches_succeeded_through_the_cli_with_a_summary(aifbd):
    run = aifbd.cli_json("run", "start", "redis", *QUICK_REDIS, "--wait")
    assert run["state"] == "RUN_STATE_SUCCEEDED", run
    assert run["id"].startswith("r-")
    m = metrics(run)
    assert m["set_rps"] > 0 and m["get_rps"] > 0, m
    assert m["get_p99_latency_ms"] >= m["get_p50_latency_ms"] > 0
    # The raw output is kept as the result artifact and GetRun shows the same summary.
    assert os.path.getsize(run["result_path"]) > 0
    shown = aifbd.run(run["id"])
    assert metrics(shown) == m
    params = {p["name"]: p["value"] for p in shown["params"]}
    assert params["requests"] == "2000" and params["clients"] == "4" and params["pipeline"] == "1"
    # Nothing of the run keeps running.
    assert wait_gone(run["endpoint"]) == [] and wait_gone(run["run_dir"]) == []


def test_the_run_records_every_transition_as_an_event(aifbd):
    run = aifbd.cli_json("run", "start", "redis", *QUICK_REDIS, "--wait")
    r = aifbd.cli("run", "watch", run["id"], "--from", "0", "-o", "json")
    events = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
    states = [e["to_state"] for e in events if e["subject_id"] == run["id"]]
    assert states[0] == "PENDING" and states[-1] == "SUCCEEDED", states
    assert "SUBMITTED" in states and "RUNNING" in states
    seqs = [int(e["seq"]) for e in events]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)


def test_stopping_a_long_run_ends_cancelled_and_leaves_no_redis_process(aifbd):
    run = aifbd.cli_json("run", "start", "redis", *LONG_REDIS)
    run = aifbd.wait_state(run["id"], "RUN_STATE_RUNNING")
    endpoint = run["endpoint"]
    assert any("redis-server" in c for _, c in processes_with(endpoint)), "service not running?"
    aifbd.cli("run", "stop", run["id"])
    run = aifbd.wait_state(run["id"], "RUN_STATE_CANCELLED", timeout=30)
    assert wait_gone(endpoint) == []
    assert not any("redis-benchmark" in c and endpoint.split(":")[1] in c
                   for _, c in processes_with("redis-benchmark"))


def test_a_bad_parameter_is_refused_naming_it_and_nothing_runs(aifbd):
    before = aifbd.cli_json("run", "list", "--all")
    r = aifbd.cli("run", "start", "redis", "-p", "clients=0", check=False)
    assert r.returncode != 0
    assert "clients" in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    r = aifbd.cli("run", "start", "redis", "-p", "clinets=3", check=False)
    assert r.returncode != 0 and "clinets" in r.stderr
    r = aifbd.cli("run", "start", "no-such-recipe", check=False)
    assert r.returncode != 0 and "no-such-recipe" in r.stderr
    after = aifbd.cli_json("run", "list", "--all")
    assert len(after["runs"]) == len(before["runs"])


def test_hostile_parameter_values_are_refused_before_anything_runs(aifbd):
    for value in ["set;touch /tmp/aifb-pwned", "$(touch /tmp/aifb-pwned)", "`id`", "set get"]:
        r = aifbd.cli("run", "start", "redis", "-p", "tests=" + value, check=False)
        assert r.returncode != 0 and "tests" in r.stderr, (value, r.stderr)
    assert not os.path.exists("/tmp/aifb-pwned")


def test_the_postgres_pgbench_recipe_succeeds(aifbd):
    run = aifbd.cli_json("run", "start", "postgres-pgbench", "-p", "duration=3", "-p", "scale=1",
                         "-p", "clients=2", "--wait", timeout=240)
    assert run["state"] == "RUN_STATE_SUCCEEDED", (run, aifbd.log())
    m = metrics(run)
    assert m["tps"] > 0 and m["transactions"] > 0, m
    assert wait_gone(run["run_dir"]) == []


def test_a_run_against_a_long_lived_service_uses_its_endpoint(aifbd):
    svc = aifbd.cli_json("service", "start", "redis", "--wait")
    assert svc["state"] == "SERVICE_STATE_READY", svc
    run = aifbd.cli_json("run", "start", "redis", *QUICK_REDIS, "--service", svc["id"], "--wait")
    assert run["state"] == "RUN_STATE_SUCCEEDED"
    assert run["endpoint"] == svc["endpoint"] and run["service_id"] == svc["id"]
    # The service outlives the run, then stops on request with nothing left.
    assert aifbd.cli_json("service", "show", svc["id"])["state"] == "SERVICE_STATE_READY"
    aifbd.cli("service", "stop", svc["id"], "--wait")
    assert aifbd.cli_json("service", "show", svc["id"])["state"] == "SERVICE_STATE_STOPPED"
    assert wait_gone(svc["endpoint"]) == []


def test_a_run_killed_with_aifbd_down_is_still_tracked_after_a_restart(fresh_aifbd):
    d = fresh_aifbd.start()
    run = d.cli_json("run", "start", "redis", "-p", "requests=400000", "-p", "clients=2")
    d.wait_state(run["id"], "RUN_STATE_RUNNING")
    d.kill9()
    # The run's processes survive aifbd's death.
    assert any("redis-server" in c for _, c in processes_with(run["endpoint"]))
    d.start()
    again = d.run(run["id"])
    assert again["state"] not in ("RUN_STATE_FAILED", "RUN_STATE_CANCELLED"), again
    done = d.wait_state(run["id"], "RUN_STATE_SUCCEEDED", timeout=180)
    assert metrics(done)["set_rps"] > 0
    assert wait_gone(run["endpoint"]) == []


def test_a_run_whose_processes_died_while_aifbd_was_down_ends_failed(fresh_aifbd):
    d = fresh_aifbd.start()
    run = d.cli_json("run", "start", "redis", *LONG_REDIS)
    run = d.wait_state(run["id"], "RUN_STATE_RUNNING")
    d.kill9()
    # Everything of the run dies at once (as when the OOM killer or a reboot takes it): each
    # role's whole process group, its supervisor included, so no exit status is recorded.
    for role in ("service", "client"):
        with open(os.path.join(run["run_dir"], role + ".pid")) as f:
            pgid = int(f.read().split()[0])
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    assert wait_gone(run["endpoint"]) == []
    d.start()
    ended = d.wait_state(run["id"], "RUN_STATE_FAILED", timeout=30)
    assert "restart" in ended["reason"] or "gone" in ended["reason"], ended["reason"]


def test_stopping_aifbd_stops_every_process_it_started(fresh_aifbd):
    d = fresh_aifbd.start()
    run = d.cli_json("run", "start", "redis", *LONG_REDIS)
    run = d.wait_state(run["id"], "RUN_STATE_RUNNING")
    assert d.stop() == 0
    assert wait_gone(run["endpoint"]) == []
    d.start()
    assert d.run(run["id"])["state"] == "RUN_STATE_CANCELLED"
