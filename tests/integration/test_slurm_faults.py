"""Faults and load for the Slurm executors, on the real single-node cluster of tests/slurm/cluster.sh
(one per module, with more CPUs declared than the machine has so that many small jobs run side by
side).

What a user sees: an aifbd killed with -9 while five runs are in flight finds all five again and
they succeed, each with exactly its two jobs; while slurmrestd is away for 20 s the runs keep their
states with "controller unreachable since ...", aifbd answers at once, and the runs finish once
it is back; a login node whose sshd went away and came back is reconnected to by itself; a login
node whose host key is not the one in SSH_KNOWN_HOSTS is refused with the ssh-keyscan line and
nothing reaches Slurm; and many runs started at once are all accepted and finish while aifbd
asks slurmrestd for the job list once per listing interval, not once per run.

The load test's run count is AIFB_TEST_SLURM_LOAD_RUNS (default 200). Its requests are counted
by slurmctld: every GET jobs that slurmrestd serves is one REQUEST_JOB_INFO RPC, which sdiag
counts; nothing else asks for job information while the test measures."""

import os
import re
import shutil
import subprocess
import tempfile
import time

import grpc
import pytest

from aifbtest import Daemon
from grpcstubs import pb, pb_grpc
from slurmcluster import SlurmCluster, recipe_folder

pytestmark = pytest.mark.skipif(os.geteuid() != 0,
                                reason="the test cluster runs slurmctld, munged and sshd as root")

SSH_ENV_NAMES = ("SSH_HOST", "SSH_PORT", "SSH_USER", "SSH_KEY_PATH", "SSH_KNOWN_HOSTS",
                 "REMOTE_BASE_PATH", "AIFB_SLURM_PARTITION")
LOAD_RUNS = int(os.environ.get("AIFB_TEST_SLURM_LOAD_RUNS", "200"))
START_DEADLINE_S = 30  # the aifb CLI's deadline for a StartRun
# The shortest interval between two listings aifbd takes (the larger of 500 ms and its tick).
LISTING_INTERVAL_S = 0.5


@pytest.fixture(scope="module")
def cluster():
    with SlurmCluster(cpus=32) as c:
        yield c


@pytest.fixture(scope="module")
def recipes():
    with recipe_folder("tests/recipes/ticker.yaml") as d:
        yield d


def ssh_env(cluster, **extra):
    env = {k: cluster.env[k] for k in SSH_ENV_NAMES}
    env["AIFB_EXECUTOR"] = "slurm-ssh"
    env.update(extra)
    return env


def rest_env(cluster):
    """slurmrestd on its unix socket (local auth, no token)."""
    return {"AIFB_EXECUTOR": "slurm-rest",
            "AIFB_SLURM_REST_URL": cluster.env["AIFB_TEST_SLURM_REST_UNIX"],
            "REMOTE_BASE_PATH": cluster.env["REMOTE_BASE_PATH"],
            "AIFB_SLURM_PARTITION": cluster.env["AIFB_SLURM_PARTITION"],
            "SLURM_JWT": "", "AIFB_SLURM_JWT_KEY": ""}


def comments_by_run(cluster):
    """{run id: sorted job comments} of every aifb job squeue knows, ended ones too."""
    out = cluster.run("squeue", "--noheader", "--states=all", "--format=%i|%k").stdout
    found = {}
    for line in out.splitlines():
        comment = line.partition("|")[2]
        m = re.match(r"aifb:([^:]+):", comment)
        if m:
            found.setdefault(m.group(1), []).append(comment)
    return {k: sorted(v) for k, v in found.items()}


def assert_two_jobs_each(cluster, run_ids):
    """Each run has exactly its service and its client job: none was submitted twice."""
    seen = comments_by_run(cluster)
    for run_id in run_ids:
        assert seen.get(run_id) == ["aifb:%s:client" % run_id, "aifb:%s:service" % run_id], (
            run_id, seen.get(run_id))


def wait_reason(d, run_id, text, timeout):
    deadline = time.monotonic() + timeout
    run = d.run(run_id)
    while time.monotonic() < deadline and text not in run["reason"]:
        time.sleep(0.3)
        run = d.run(run_id)
    return run


def timed_cli(d, *args, limit):
    """Runs the CLI and says how long it took; a call that hangs past limit fails the test."""
    started = time.monotonic()
    try:
        r = d.cli(*args, timeout=limit)
    except subprocess.TimeoutExpired:
        raise AssertionError("aifb %s did not answer within %ss" % (" ".join(args), limit))
    return r, time.monotonic() - started


def children_of(pid):
    kids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                    kids.append(int(entry))
        except (OSError, ValueError, IndexError):
            continue
    return kids


def job_info_rpcs(cluster):
    """How many REQUEST_JOB_INFO RPCs slurmctld has served since it started (sdiag)."""
    out = cluster.run("sdiag").stdout
    m = re.search(r"REQUEST_JOB_INFO\s+\(\s*\d+\)\s+count:(\d+)", out)
    return int(m.group(1)) if m else 0


def test_five_runs_in_flight_survive_a_kill_9_of_aifbd_and_each_keeps_exactly_two_jobs(
        cluster, recipes):
    state = tempfile.mkdtemp(prefix="aifb-slurm-kill9-")
    os.chmod(state, 0o755)
    first = Daemon(state_dir=state, env=ssh_env(cluster), recipes=recipes).start()
    second = None
    try:
        runs = [first.cli("run", "start", "ticker", "-p", "ticks=12").stdout.strip()
                for _ in range(5)]
        # In flight: some may still be starting, all have both jobs submitted.
        first.wait_state(runs[0], "RUN_STATE_RUNNING", timeout=60)
        first.kill9()
        second = Daemon(state_dir=state, env=ssh_env(cluster), recipes=recipes).start()
        for run_id in runs:
            run = second.wait_state(run_id, "RUN_STATE_SUCCEEDED", timeout=90)
            assert run["executor"] == "slurm-ssh", run
        for run_id in runs:
            assert "tick 12" in second.cli("run", "logs", run_id).stdout, run_id
        assert_two_jobs_each(cluster, runs)
        taken = set(re.findall(r"slurm-ssh: run (\S+) taken back", second.log_all()))
        assert taken == set(runs), second.log()
    finally:
        first.cleanup()
        if second:
            second.cleanup()
        shutil.rmtree(state, ignore_errors=True)


def test_while_slurmrestd_is_away_20_s_runs_wait_aifbd_answers_at_once_and_runs_finish(
        cluster, recipes):
    d = Daemon(env=rest_env(cluster), recipes=recipes).start()
    try:
        runs = [d.cli("run", "start", "ticker", "-p", "ticks=25").stdout.strip()
                for _ in range(3)]
        for run_id in runs:
            d.wait_state(run_id, "RUN_STATE_RUNNING", timeout=60)
        cluster.stop_daemon("restd-unix")
        try:
            away_until = time.monotonic() + 20
            for run_id in runs:
                run = wait_reason(d, run_id, "controller unreachable since", timeout=15)
                assert "controller unreachable since" in run["reason"], run
                assert run["state"] == "RUN_STATE_RUNNING", run
            while time.monotonic() < away_until:
                timed_cli(d, "info", limit=1)
                listed, _ = timed_cli(d, "run", "list", limit=1)
                assert all(run_id in listed.stdout for run_id in runs), listed.stdout
                assert all(d.run(run_id)["state"] == "RUN_STATE_RUNNING" for run_id in runs)
                time.sleep(0.5)
        finally:
            cluster.start_daemon("restd-unix")
        for run_id in runs:
            d.wait_state(run_id, "RUN_STATE_SUCCEEDED", timeout=90)
            assert "tick 25" in d.cli("run", "logs", run_id).stdout
        assert_two_jobs_each(cluster, runs)
    finally:
        d.cleanup()


def test_after_the_login_nodes_sshd_stops_and_starts_the_ssh_executor_reconnects_by_itself(
        cluster, recipes):
    d = Daemon(env=ssh_env(cluster), recipes=recipes).start()
    try:
        run_id = d.cli("run", "start", "ticker", "-p", "ticks=20").stdout.strip()
        d.wait_state(run_id, "RUN_STATE_RUNNING", timeout=60)
        # The login node goes away: the listening sshd and the session it serves aifbd.
        sessions = children_of(cluster.pid("sshd"))
        assert sessions, "no sshd session serves aifbd"
        cluster.stop_daemon("sshd")
        try:
            for pid in sessions:
                try:
                    os.kill(pid, 15)
                except ProcessLookupError:
                    pass
            run = wait_reason(d, run_id, "unreachable since", timeout=20)
            assert "unreachable since" in run["reason"], run
            assert run["state"] == "RUN_STATE_RUNNING", run
        finally:
            cluster.start_daemon("sshd")
        run = d.wait_state(run_id, "RUN_STATE_SUCCEEDED", timeout=90)
        assert "unreachable" not in run["reason"], run
        assert "tick 20" in d.cli("run", "logs", run_id).stdout
        assert_two_jobs_each(cluster, [run_id])
    finally:
        d.cleanup()


@pytest.fixture
def wrong_host_key_refusal(cluster, recipes, tmp_path):
    """StartRun against a login node whose key is not the one SSH_KNOWN_HOSTS records for it (a
    fresh key under the host's name): (the CLI's result, squeue's aifb jobs before, after)."""
    other = tmp_path / "other_host_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    kind, blob = (tmp_path / "other_host_key.pub").read_text().split()[:2]
    known = tmp_path / "known_hosts"
    known.write_text("[%s]:%s %s %s\n" % (cluster.env["SSH_HOST"], cluster.env["SSH_PORT"],
                                          kind, blob))
    before = comments_by_run(cluster)
    d = Daemon(env=ssh_env(cluster, SSH_KNOWN_HOSTS=str(known)), recipes=recipes).start()
    try:
        r = d.cli("run", "start", "ticker", check=False)
        time.sleep(2)  # a job submitted anyway would be listed by now
        yield r, before, comments_by_run(cluster)
    finally:
        d.cleanup()


def test_a_login_node_with_another_host_key_is_refused_and_nothing_is_submitted(
        wrong_host_key_refusal):
    r, before, after = wrong_host_key_refusal
    assert r.returncode != 0, r.stdout
    assert "HOST KEY CHANGED" in r.stderr, r.stderr
    assert after == before, "a job reached Slurm"


def test_the_refusal_of_another_host_key_names_the_fix_with_ssh_keyscan(wrong_host_key_refusal):
    r, _, _ = wrong_host_key_refusal
    assert "ssh-keyscan" in r.stderr, r.stderr
    # aifbd's setup is at fault, not the caller's token: no hint about AIFB_TOKEN.
    assert "FAILED_PRECONDITION" in r.stderr and "AIFB_TOKEN" not in r.stderr, r.stderr


def test_many_runs_started_at_once_are_all_accepted_and_finish_with_one_job_listing_per_interval(
        cluster, recipes):
    d = Daemon(env=rest_env(cluster), recipes=recipes).start()
    try:
        rpcs_before = job_info_rpcs(cluster)
        started = time.monotonic()
        # Every call in flight at once on one connection, as a script with a thread pool or the
        # Grafana shim would send them; each may take as long as the CLI allows a StartRun.
        with grpc.insecure_channel(d.address) as ch:
            cp = pb_grpc.ControlPlaneStub(ch)
            calls = [cp.StartRun.future(
                pb.StartRunRequest(recipe="ticker", params={"ticks": "1"}),
                timeout=START_DEADLINE_S) for _ in range(LOAD_RUNS)]
            runs, refused = [], []
            for c in calls:
                try:
                    runs.append(c.result().id)
                except grpc.RpcError as e:
                    refused.append("%s: %s" % (e.code(), e.details()))
        accepted_in = time.monotonic() - started
        print("load: %d StartRun calls answered in %.1f s" % (LOAD_RUNS, accepted_in))
        assert not refused, (len(refused), refused[:5])
        assert len(set(runs)) == LOAD_RUNS
        deadline = time.monotonic() + 240
        states = {}
        while time.monotonic() < deadline:
            listed = d.cli_json("run", "list", "--all")
            listed = listed.get("runs", []) if isinstance(listed, dict) else listed
            states = {r["id"]: r["state"] for r in listed}
            if all(states.get(r) in ("RUN_STATE_SUCCEEDED", "RUN_STATE_FAILED",
                                     "RUN_STATE_CANCELLED") for r in runs):
                break
            time.sleep(2)
        elapsed = time.monotonic() - started
        rpcs = job_info_rpcs(cluster) - rpcs_before
        bad = {r: states.get(r) for r in runs if states.get(r) != "RUN_STATE_SUCCEEDED"}
        assert not bad, (len(bad), list(bad.items())[:5])
        # One listing per interval over the whole test, whatever the number of runs; listing per
        # run would be LOAD_RUNS times as many.
        most = elapsed / LISTING_INTERVAL_S + 10
        print("load: %d runs in %.1f s, %d job listings (at most %.0f allowed)" % (
            LOAD_RUNS, elapsed, rpcs, most))
        assert 0 < rpcs <= most, (rpcs, elapsed)
    finally:
        d.cleanup()
