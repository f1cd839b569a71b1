"""Runs on a real Slurm cluster through a login node: aifbd with the slurm-ssh executor (cli mode:
sbatch, squeue and scancel over one SSH session) against the single-node cluster and key-only
sshd of tests/slurm/cluster.sh.

What a user sees: the redis benchmark ends SUCCEEDED with its summary and readable logs; StopRun
cancels both jobs at once and leaves no process; a failing client ends FAILED with its exit
status; a client over its time limit ends FAILED with TIMEOUT; an unknown partition is refused
at StartRun with Slurm's own message; an aifbd killed with -9 finds its runs again by their jobs'
comments and submits nothing twice; while slurmctld is down, runs keep their states with the
reason "controller unreachable since ..." and carry on once it is back.

The node declares 8 CPUs so the one-minute time-limit run, started first, goes on beside the
other tests instead of holding the node; it is checked last."""

import json
import os
import re
import shutil
import tempfile
import time

import pytest

from aifbtest import BIN, Daemon
from lokiserver import LokiServer
from slurmcluster import (SlurmCluster, active_jobs, check_info_cluster,
                          check_stop_cancels_a_redis_run, job_ids, jobs_with_comment,
                          recipe_folder)

pytestmark = pytest.mark.skipif(os.geteuid() != 0,
                                reason="the test cluster runs slurmctld, munged and sshd as root")

ENV_NAMES = ("SSH_HOST", "SSH_PORT", "SSH_USER", "SSH_KEY_PATH", "SSH_KNOWN_HOSTS",
             "REMOTE_BASE_PATH", "AIFB_SLURM_PARTITION")


@pytest.fixture(scope="module")
def cluster():
    with SlurmCluster(cpus=8) as c:
        yield c


@pytest.fixture(scope="module")
def recipes():
    with recipe_folder("recipes/redis.yaml", "recipes/llm-sim.yaml", "tests/recipes/failing.yaml",
                       "tests/recipes/ticker.yaml") as d:
        yield d


def slurm_env(cluster, **extra):
    env = {k: cluster.env[k] for k in ENV_NAMES}
    env["AIFB_EXECUTOR"] = "slurm-ssh"
    env["AIFB_SLURM_AGENTS_DIR"] = BIN  # aifb-llmsim and aifb-loadgen on the "cluster"
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def timeout_run(cluster, recipes):
    """A ticker run whose client job may last one minute, started before every other test."""
    state = tempfile.mkdtemp(prefix="aifb-slurm-timeout-")
    conf = os.path.join(state, "aifbd.yaml")
    with open(conf, "w") as f:
        f.write("slurm_client:\n  time_limit_min: 1\n")
    d = Daemon(env=slurm_env(cluster), recipes=recipes, extra_args=["--config", conf]).start()
    run_id = d.cli("run", "start", "ticker", "-p", "ticks=600").stdout.strip()
    yield d, run_id
    d.cleanup()
    shutil.rmtree(state, ignore_errors=True)


@pytest.fixture(scope="module")
def aifbd(cluster, recipes, timeout_run):
    d = Daemon(env=slurm_env(cluster), recipes=recipes).start()
    yield d
    d.cleanup()


def test_the_redis_benchmark_succeeds_on_slurm_with_its_summary_stored_and_logs_readable(aifbd):
    run_id = aifbd.cli("run", "start", "redis", "-p", "requests=2000").stdout.strip()
    run = aifbd.wait_state(run_id, "RUN_STATE_SUCCEEDED", timeout=90)
    names = {m["name"] for m in run["summary"]}
    assert "set_rps" in names and "get_rps" in names, run
    assert run["executor"] == "slurm-ssh"
    assert "@aifb" not in run["endpoint"] and re.match(r".+:\d+$", run["endpoint"]), run
    assert all(job_ids(run)), run
    logs = aifbd.cli("run", "logs", run_id).stdout
    assert '"SET"' in logs and '"GET"' in logs, logs
    service_log = aifbd.cli("run", "logs", run_id, "--stream", "service.out").stdout
    assert "Ready to accept connections" in service_log, service_log


def test_a_load_client_of_two_tasks_is_one_srun_step_with_one_merged_result(aifbd):
    run_id = aifbd.cli("run", "start", "llm-sim", "-p", "client_tasks=2", "-p", "requests=40",
                       "-p", "concurrency=4", "-p", "ttft_ms=20", "-p", "itl_ms=2",
                       "-p", "output_tokens=4").stdout.strip()
    run = aifbd.wait_state(run_id, "RUN_STATE_SUCCEEDED", timeout=120)
    m = {x["name"]: x["value"] for x in run["summary"]}
    assert m["completed"] == 40 and m["failed"] == 0, m
    assert 19 < m["median_ttft_ms"] < 30, m
    result = json.load(open(os.path.join(run["run_dir"], "client", "result.json")))
    assert result["merged_from"] == 2 and result["config"]["tasks"] == 2
    parts = [json.load(open(os.path.join(run["run_dir"], "client", "result.json.part%d" % t)))
             for t in range(2)]
    assert sorted(p["completed"] for p in parts) == [20, 20]


def test_a_run_observed_on_slurm_sends_its_logs_and_metrics_from_the_jobs(cluster, recipes,
                                                                          prometheus):
    """The agents hook of the job scripts: aifb-monitor and aifb-logship start beside each role
    in its job, ship the role's output and the node's and the service's series, and stop with
    the job. (The test cluster tracks processes without cgroups, so there are no process-tree
    series: the monitor says so in its log and carries on.)"""
    with LokiServer() as loki:
        d = Daemon(env=slurm_env(cluster, AIFB_PROMETHEUS_URL=prometheus.write_url,
                                 AIFB_LOKI_URL=loki.url), recipes=recipes).start()
        try:
            run_id = d.cli("run", "start", "llm-sim", "-p", "requests=30", "-p", "concurrency=2",
                           "-p", "ttft_ms=20", "-p", "itl_ms=5", "-p", "output_tokens=4",
                           "-p", "rate=10").stdout.strip()
            run = d.wait_state(run_id, "RUN_STATE_SUCCEEDED", timeout=120)
            with open(os.path.join(run["run_dir"], "client.out"), errors="replace") as f:
                written = f.read().splitlines()
            assert loki.wait_requests(lambda reqs: any(
                dict(k).get("run_id") == run_id and dict(k).get("role") == "client"
                for k in loki.streams), timeout=30)
            assert loki.stream(run_id=run_id, role="client", stream="stdout").lines == written
            for role in ("service", "client"):
                assert os.path.exists(os.path.join(run["run_dir"], role + ".monitor.log")), role
                got = prometheus.query('last_over_time(aifb_node_load1{run_id="%s",role="%s"}[10m])'
                                       % (run_id, role))
                assert got, "no node series from the %s job" % role
            scraped = prometheus.query(
                'last_over_time(vllm:request_success_total{run_id="%s"}[10m])' % run_id)
            assert scraped, "the service job's monitor did not scrape aifb-llmsim"
        finally:
            d.cleanup()


def test_stopping_a_run_cancels_both_jobs_at_once_and_leaves_no_redis_process(aifbd, cluster):
    check_stop_cancels_a_redis_run(aifbd, cluster)


def test_a_client_exiting_non_zero_ends_failed_with_its_exit_code(aifbd):
    run_id = aifbd.cli("run", "start", "failing").stdout.strip()
    run = aifbd.wait_state(run_id, "RUN_STATE_FAILED", timeout=60)
    assert run["exit_code"] == 3, run
    assert "exited with status 3" in run["reason"], run["reason"]
    err = aifbd.cli("run", "logs", run_id, "--stream", "client.err").stdout
    assert "boom" in err, err


def test_an_unknown_partition_is_refused_at_start_run_with_slurms_message(cluster, recipes):
    d = Daemon(env=slurm_env(cluster, AIFB_SLURM_PARTITION="nosuchpartition"),
               recipes=recipes).start()
    try:
        r = d.cli("run", "start", "ticker", check=False)
        assert r.returncode != 0, r.stdout
        assert "Invalid partition name" in r.stderr, r.stderr
        listed = d.cli_json("run", "list")
        runs = listed.get("runs", []) if isinstance(listed, dict) else listed
        assert runs and all(run["state"] == "RUN_STATE_FAILED" for run in runs), runs
        assert all(jobs_with_comment(cluster, run["id"]) == [] for run in runs)
    finally:
        d.cleanup()


def test_an_aifbd_killed_mid_run_finds_its_jobs_again_and_submits_nothing_twice(cluster, recipes):
    state = tempfile.mkdtemp(prefix="aifb-slurm-restart-")
    os.chmod(state, 0o755)
    first = Daemon(state_dir=state, env=slurm_env(cluster), recipes=recipes).start()
    second = None
    try:
        run_id = first.cli("run", "start", "ticker", "-p", "ticks=6").stdout.strip()
        first.wait_state(run_id, "RUN_STATE_RUNNING", timeout=60)
        first.kill9()
        second = Daemon(state_dir=state, env=slurm_env(cluster), recipes=recipes).start()
        run = second.wait_state(run_id, "RUN_STATE_SUCCEEDED", timeout=60)
        assert "tick 6" in second.cli("run", "logs", run_id).stdout
        assert jobs_with_comment(cluster, run_id) == ["aifb:%s:client" % run_id,
                                                      "aifb:%s:service" % run_id], run
        assert "taken back" in second.log_all()
    finally:
        first.cleanup()
        if second:
            second.cleanup()
        shutil.rmtree(state, ignore_errors=True)


def test_a_service_on_slurm_publishes_its_node_endpoint_and_a_run_against_it_succeeds(aifbd,
                                                                                        cluster):
    svc = aifbd.cli_json("service", "start", "redis", "--wait", timeout=120)
    assert svc["state"] == "SERVICE_STATE_READY", svc
    assert "@aifb" not in svc["endpoint"] and re.match(r".+:\d+$", svc["endpoint"]), svc
    run = aifbd.cli_json("run", "start", "redis", "-p", "requests=2000", "--service", svc["id"],
                         "--wait", timeout=120)
    assert run["state"] == "RUN_STATE_SUCCEEDED", run
    assert run["endpoint"] == svc["endpoint"], (run, svc)
    assert aifbd.cli_json("service", "show", svc["id"])["state"] == "SERVICE_STATE_READY"
    aifbd.cli("service", "stop", svc["id"], "--wait", timeout=60)
    assert aifbd.cli_json("service", "show", svc["id"])["state"] == "SERVICE_STATE_STOPPED"
    assert jobs_with_comment(cluster, svc["id"]) == ["aifb:%s:service" % svc["id"]]
    assert not active_jobs(cluster) & set(job_ids(svc)[:1])


def test_while_slurmctld_is_down_runs_keep_their_state_and_resume_when_it_is_back(aifbd, cluster):
    run_id = aifbd.cli("run", "start", "ticker", "-p", "ticks=25").stdout.strip()
    aifbd.wait_state(run_id, "RUN_STATE_RUNNING", timeout=60)
    cluster.stop_daemon("slurmctld")
    try:
        deadline = time.monotonic() + 30
        run = aifbd.run(run_id)
        while time.monotonic() < deadline and "controller unreachable since" not in run["reason"]:
            time.sleep(0.3)
            run = aifbd.run(run_id)
        assert "controller unreachable since" in run["reason"], run
        assert run["state"] == "RUN_STATE_RUNNING", run
    finally:
        cluster.start_daemon("slurmctld")
    run = aifbd.wait_state(run_id, "RUN_STATE_SUCCEEDED", timeout=90)
    assert "tick 25" in aifbd.cli("run", "logs", run_id).stdout
    assert len(jobs_with_comment(cluster, run_id)) == 2, "nothing was submitted again"


def test_a_client_over_its_time_limit_ends_failed_with_timeout(timeout_run):
    d, run_id = timeout_run
    run = d.wait_state(run_id, "RUN_STATE_FAILED", timeout=150)
    assert "TIMEOUT (time limit)" in run["reason"], run["reason"]


def test_slurm_ssh_without_a_login_node_is_refused_naming_the_setting(tmp_path):
    d = Daemon(env={"AIFB_EXECUTOR": "slurm-ssh", "SSH_HOST": "", "REMOTE_BASE_PATH": "/x"})
    try:
        with pytest.raises(RuntimeError) as e:
            d.start(timeout=10)
        assert "SSH_HOST" in str(e.value), str(e.value)
    finally:
        d.cleanup()


def test_info_shows_the_clusters_node_and_default_partition_through_sinfo_on_the_login_node(
        aifbd, cluster):
    c = aifbd.cli_json("info")["cluster"]
    assert c["controller"] == "login node root@127.0.0.1:%s (sinfo)" % cluster.env["SSH_PORT"], c
    assert not c["api_version"], "no slurmrestd in cli mode"
    check_info_cluster(c, cluster)
