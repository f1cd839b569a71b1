"""Runs on a real Slurm cluster through slurmrestd reached from the login node: aifbd with the
slurm-ssh executor in ssh.mode tunnel against the single-node cluster, key-only sshd and JWT
slurmrestd of tests/slurm/cluster.sh. Jobs are submitted, listed and cancelled through
slurmrestd over a direct-tcpip channel of the SSH session; the run folder is made and read on
the login node.

What a user sees: the redis benchmark ends SUCCEEDED with its summary and readable logs; StopRun
cancels both jobs at once; when the SSH connection drops mid-run, the session comes back and
the run carries on to SUCCEEDED through a new channel, with nothing submitted twice; a tunnel setting that is not http://HOST:PORT or that has no token is
refused at start naming the setting."""

import os

import pytest

from aifbtest import Daemon
from slurmcluster import (SlurmCluster, check_info_cluster,
                          check_stop_cancels_a_redis_run, job_ids, jobs_with_comment,
                          recipe_folder)

pytestmark = pytest.mark.skipif(os.geteuid() != 0,
                                reason="the test cluster runs slurmctld, sshd and slurmrestd as "
                                       "root")

SSH_NAMES = ("SSH_HOST", "SSH_PORT", "SSH_USER", "SSH_KEY_PATH", "SSH_KNOWN_HOSTS",
             "REMOTE_BASE_PATH", "AIFB_SLURM_PARTITION")


@pytest.fixture(scope="module")
def cluster():
    with SlurmCluster(cpus=8) as c:
        yield c


@pytest.fixture(scope="module")
def recipes():
    with recipe_folder("recipes/redis.yaml", "tests/recipes/ticker.yaml") as d:
        yield d


def tunnel_env(cluster, **extra):
    """slurm-ssh in tunnel mode: the login node from the cluster, slurmrestd's TCP address (the
    same seen from the login node, which is this machine) and the cluster's fixed token."""
    env = {k: cluster.env[k] for k in SSH_NAMES}
    env.update({"AIFB_EXECUTOR": "slurm-ssh", "AIFB_SSH_MODE": "tunnel",
                "AIFB_SLURM_REST_URL": cluster.env["AIFB_TEST_SLURM_REST_TCP"],
                "SLURM_JWT": cluster.env["SLURM_JWT"], "AIFB_SLURM_JWT_KEY": ""})
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def aifbd(cluster, recipes):
    d = Daemon(env=tunnel_env(cluster), recipes=recipes).start()
    yield d
    d.cleanup()


def test_the_redis_benchmark_succeeds_through_the_tunnel_with_summary_and_logs(aifbd):
    run_id = aifbd.cli("run", "start", "redis", "-p", "requests=2000").stdout.strip()
    run = aifbd.wait_state(run_id, "RUN_STATE_SUCCEEDED", timeout=90)
    names = {m["name"] for m in run["summary"]}
    assert "set_rps" in names and "get_rps" in names, run
    assert run["executor"] == "slurm-ssh"
    assert all(job_ids(run)), run
    logs = aifbd.cli("run", "logs", run_id).stdout
    assert '"SET"' in logs and '"GET"' in logs, logs
    service_log = aifbd.cli("run", "logs", run_id, "--stream", "service.out").stdout
    assert "Ready to accept connections" in service_log, service_log


def test_stopping_a_run_cancels_both_jobs_within_two_seconds(aifbd, cluster):
    check_stop_cancels_a_redis_run(aifbd, cluster, look_for_redis=False)


def session_processes(cluster):
    """The per-connection children of the cluster's sshd (one per logged-in session)."""
    parent = cluster.pid("sshd")
    kids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == parent:
            kids.append(int(entry))
    return kids


def test_a_run_survives_a_dropped_ssh_connection_and_succeeds(aifbd, cluster):
    run_id = aifbd.cli("run", "start", "ticker", "-p", "ticks=15").stdout.strip()
    aifbd.wait_state(run_id, "RUN_STATE_RUNNING", timeout=60)
    kids = session_processes(cluster)
    assert kids, "aifbd holds a session on the login node"
    for pid in kids:
        os.kill(pid, 9)
    run = aifbd.wait_state(run_id, "RUN_STATE_SUCCEEDED", timeout=120)
    after = set(session_processes(cluster))
    assert after and not set(kids) & after, "a new session replaced the dropped one"
    assert "tick 15" in aifbd.cli("run", "logs", run_id).stdout, run
    assert len(jobs_with_comment(cluster, run_id)) == 2, "nothing was submitted again"


def start_refused(env):
    d = Daemon(env=env)
    try:
        with pytest.raises(RuntimeError) as e:
            d.start(timeout=10)
        return str(e.value)
    finally:
        d.cleanup()


def test_a_tunnel_without_a_token_is_refused_naming_the_settings(cluster):
    msg = start_refused(tunnel_env(cluster, SLURM_JWT=""))
    assert "SLURM_JWT" in msg and "AIFB_SLURM_JWT_KEY" in msg, msg


def test_a_tunnel_to_a_unix_socket_is_refused_naming_the_url(cluster):
    msg = start_refused(tunnel_env(cluster, AIFB_SLURM_REST_URL="unix:/run/slurmrestd.sock"))
    assert "unix:/run/slurmrestd.sock" in msg and "http://HOST:PORT" in msg, msg


def test_info_shows_the_clusters_node_and_default_partition_through_the_tunnel(aifbd, cluster):
    c = aifbd.cli_json("info")["cluster"]
    assert c["controller"].startswith("slurmrestd at http://"), c
    assert c["controller"].endswith(" through the login node root@127.0.0.1:%s" %
                                    cluster.env["SSH_PORT"]), c
    assert c["api_version"] == cluster.env["AIFB_TEST_SLURM_REST_VERSION"], c
    check_info_cluster(c, cluster)
