"""Runs on a real Slurm cluster through slurmrestd: aifbd with the slurm-rest executor against the
single-node cluster of tests/slurm/cluster.sh, through its unix socket (local auth) and its TCP
port (JWT, a fixed SLURM_JWT or tokens minted with the cluster's key). The run folder is on this
machine, which the node shares, as a REST-only site must.

What a user sees: the redis benchmark ends SUCCEEDED with its summary and readable logs through
either transport; StopRun cancels both jobs at once and leaves no process; an unknown partition
is refused at StartRun with Slurm's own message; while slurmrestd is away, a run keeps its state
with the reason "controller unreachable since ..." and succeeds once it is back, with nothing
submitted twice. `aifb info` shows the cluster's nodes and partitions, and while slurmrestd is
away it still answers at once, with the last ones and the reason."""

import os
import time

import pytest

from aifbtest import Daemon
from slurmcluster import (SlurmCluster, check_info_cluster,
                          check_stop_cancels_a_redis_run, job_ids, jobs_with_comment,
                          recipe_folder)

pytestmark = pytest.mark.skipif(os.geteuid() != 0,
                                reason="the test cluster runs slurmctld and slurmrestd as root")


@pytest.fixture(scope="module")
def cluster():
    with SlurmCluster(cpus=8) as c:
        yield c


@pytest.fixture(scope="module")
def recipes():
    with recipe_folder("recipes/redis.yaml", "tests/recipes/ticker.yaml") as d:
        yield d


def rest_env(cluster, transport="unix", auth="token", **extra):
    """aifbd's settings for slurmrestd on the unix socket, or on TCP with a fixed token ("token")
    or tokens minted with the cluster's key ("key")."""
    env = {"AIFB_EXECUTOR": "slurm-rest",
           "REMOTE_BASE_PATH": cluster.env["REMOTE_BASE_PATH"],
           "AIFB_SLURM_PARTITION": cluster.env["AIFB_SLURM_PARTITION"],
           "SLURM_JWT": "", "AIFB_SLURM_JWT_KEY": ""}
    if transport == "unix":
        env["AIFB_SLURM_REST_URL"] = cluster.env["AIFB_TEST_SLURM_REST_UNIX"]
    else:
        env["AIFB_SLURM_REST_URL"] = cluster.env["AIFB_TEST_SLURM_REST_TCP"]
        if auth == "key":
            env["AIFB_SLURM_JWT_KEY"] = cluster.env["AIFB_TEST_SLURM_JWT_KEY"]
        else:
            env["SLURM_JWT"] = cluster.env["SLURM_JWT"]
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def aifbd(cluster, recipes):
    d = Daemon(env=rest_env(cluster), recipes=recipes).start()
    yield d
    d.cleanup()


def check_redis_run(d, run_id):
    run = d.wait_state(run_id, "RUN_STATE_SUCCEEDED", timeout=90)
    names = {m["name"] for m in run["summary"]}
    assert "set_rps" in names and "get_rps" in names, run
    assert run["executor"] == "slurm-rest"
    assert all(job_ids(run)), run
    # The address the service job published, even when the run ended between two listings.
    assert "@" not in run["endpoint"] and run["endpoint"].rsplit(":", 1)[1].isdigit(), run
    logs = d.cli("run", "logs", run_id).stdout
    assert '"SET"' in logs and '"GET"' in logs, logs
    service_log = d.cli("run", "logs", run_id, "--stream", "service.out").stdout
    assert "Ready to accept connections" in service_log, service_log


def test_the_redis_benchmark_succeeds_through_the_unix_socket_with_summary_and_logs(aifbd):
    run_id = aifbd.cli("run", "start", "redis", "-p", "requests=2000").stdout.strip()
    check_redis_run(aifbd, run_id)


def test_the_redis_benchmark_succeeds_through_tcp_with_a_jwt(cluster, recipes):
    d = Daemon(env=rest_env(cluster, "tcp", "token"), recipes=recipes).start()
    try:
        run_id = d.cli("run", "start", "redis", "-p", "requests=2000").stdout.strip()
        check_redis_run(d, run_id)
    finally:
        d.cleanup()


def test_stopping_a_run_cancels_both_jobs_at_once_and_leaves_no_redis_process(aifbd, cluster):
    check_stop_cancels_a_redis_run(aifbd, cluster)


def test_an_unknown_partition_is_refused_at_start_run_with_slurms_message(cluster, recipes):
    env = rest_env(cluster, "tcp", "key", AIFB_SLURM_PARTITION="nosuchpartition")
    d = Daemon(env=env, recipes=recipes).start()
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


def test_while_slurmrestd_is_away_a_run_keeps_its_state_and_succeeds_once_it_is_back(aifbd,
                                                                                       cluster):
    run_id = aifbd.cli("run", "start", "ticker", "-p", "ticks=20").stdout.strip()
    aifbd.wait_state(run_id, "RUN_STATE_RUNNING", timeout=60)
    cluster.stop_daemon("restd-unix")
    try:
        deadline = time.monotonic() + 20
        run = aifbd.run(run_id)
        while time.monotonic() < deadline and "controller unreachable since" not in run["reason"]:
            time.sleep(0.3)
            run = aifbd.run(run_id)
        assert "controller unreachable since" in run["reason"], run
        assert run["state"] == "RUN_STATE_RUNNING", run
        time.sleep(2)
        assert aifbd.run(run_id)["state"] == "RUN_STATE_RUNNING"
    finally:
        cluster.start_daemon("restd-unix")
    run = aifbd.wait_state(run_id, "RUN_STATE_SUCCEEDED", timeout=90)
    assert "tick 20" in aifbd.cli("run", "logs", run_id).stdout
    assert len(jobs_with_comment(cluster, run_id)) == 2, "nothing was submitted again"


def test_info_shows_the_clusters_node_and_default_partition_through_slurmrestd(aifbd, cluster):
    info = aifbd.cli_json("info")
    c = info["cluster"]
    assert c["controller"] == "slurmrestd at " + cluster.env["AIFB_TEST_SLURM_REST_UNIX"], c
    assert c["api_version"] == cluster.env["AIFB_TEST_SLURM_REST_VERSION"], c
    check_info_cluster(c, cluster)
    node = cluster.env["AIFB_TEST_SLURM_NODE"]
    table = aifbd.cli("info").stdout
    assert "debug*" in table and node in table, table


def test_info_answers_at_once_with_the_reason_while_slurmrestd_is_away(cluster, recipes):
    d = Daemon(env=rest_env(cluster), recipes=recipes).start()
    try:
        assert d.cli_json("info")["cluster"]["nodes"], "known while slurmrestd answers"
        cluster.stop_daemon("restd-unix")
        try:
            time.sleep(0.2 + 5)  # past the few seconds GetInfo keeps an answer
            started = time.monotonic()
            c = d.cli_json("info")["cluster"]
            took = time.monotonic() - started
            assert "unreachable" in c["error"], c
            assert c["nodes"], "the last answer is still shown, with its time"
            assert c["fetched_at_ms"] > 0
            assert took < 10, "GetInfo waited %.1f s for an absent slurmrestd" % took
        finally:
            cluster.start_daemon("restd-unix")
    finally:
        d.cleanup()


def test_slurm_rest_over_tcp_without_a_token_is_refused_naming_the_settings():
    d = Daemon(env={"AIFB_EXECUTOR": "slurm-rest", "AIFB_SLURM_REST_URL": "http://127.0.0.1:1",
                    "SLURM_JWT": "", "AIFB_SLURM_JWT_KEY": "", "REMOTE_BASE_PATH": "/x"})
    try:
        with pytest.raises(RuntimeError) as e:
            d.start(timeout=10)
        assert "SLURM_JWT" in str(e.value) and "AIFB_SLURM_JWT_KEY" in str(e.value), str(e.value)
    finally:
        d.cleanup()
