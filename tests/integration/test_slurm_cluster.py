"""Smoke tests of the Slurm test harness itself (tests/slurm/cluster.sh through SlurmCluster): a real
munge + slurmctld + slurmd, two slurmrestd (unix socket with local auth; TCP with JWT) and a
key-only sshd on 127.0.0.1. If these fail, the Slurm executor tests cannot mean anything.
One cluster serves the module; the test of stop() brings up a cluster of its own."""

import os
import subprocess
import time
import uuid

import pytest

from aifbtest import processes_with
from slurmcluster import SlurmCluster

pytestmark = pytest.mark.skipif(os.geteuid() != 0,
                                reason="the test cluster runs slurmctld, munged and sshd as root")

REST = "/slurm/v0.0.38"


@pytest.fixture(scope="module")
def cluster():
    with SlurmCluster() as c:
        yield c


def workdir(cluster, name):
    d = os.path.join(cluster.env["REMOTE_BASE_PATH"], "%s-%s" % (name, uuid.uuid4().hex[:8]))
    os.makedirs(d)
    return d


def read(path):
    with open(path) as f:
        return f.read()


def rest_job(work, name, script):
    """A v0.0.38 job/submit body: an explicit working folder and literal output paths, as
    slurmrestd would otherwise use its own folder and return %j patterns unexpanded."""
    return {"job": {"name": name, "partition": "debug", "tasks": 1, "cpus_per_task": 1,
                    "time_limit": 2, "current_working_directory": work,
                    "standard_output": os.path.join(work, "out"),
                    "standard_error": os.path.join(work, "err"),
                    "environment": {"PATH": "/usr/bin:/bin"}},
            "script": script}


def wait_rest_job(cluster, job_id, transport, timeout=60):
    deadline = time.monotonic() + timeout
    job = None
    while time.monotonic() < deadline:
        status, doc = cluster.rest("GET", "%s/job/%d" % (REST, job_id), transport=transport)
        assert status == 200, doc
        job = doc["jobs"][0]
        if job["job_state"] not in ("PENDING", "RUNNING", "CONFIGURING", "COMPLETING"):
            return job
        time.sleep(0.1)
    raise AssertionError("job %d still %s after %ss" % (job_id, job and job["job_state"], timeout))


def submit_and_check_over_rest(cluster, transport):
    work = workdir(cluster, "rest-" + transport)
    body = rest_job(work, "smoke-" + transport, "#!/bin/bash\necho \"job $SLURM_JOB_ID in $PWD\"\n")
    status, doc = cluster.rest("POST", REST + "/job/submit", body, transport=transport)
    assert status == 200 and doc["errors"] == [], doc
    job_id = doc["job_id"]
    assert job_id > 0 and doc["meta"]["Slurm"]["release"].startswith("22.05"), doc
    job = wait_rest_job(cluster, job_id, transport)
    assert job["job_state"] == "COMPLETED" and job["exit_code"] == 0, job
    assert job["standard_output"] == os.path.join(work, "out")
    assert read(os.path.join(work, "out")) == "job %d in %s\n" % (job_id, work)


def test_a_batch_job_submitted_with_sbatch_runs_and_completes(cluster):
    work = workdir(cluster, "sbatch")
    r = cluster.run("sbatch", "--parsable", "--chdir", work, "-o", os.path.join(work, "out"),
                    input="#!/bin/bash\necho \"hello from $SLURM_JOB_ID on $SLURM_JOB_PARTITION\"\n")
    job_id = r.stdout.strip().split(";")[0]
    fields = cluster.wait_job(job_id)
    assert fields["JobState"] == "COMPLETED" and fields["ExitCode"] == "0:0", fields
    assert read(os.path.join(work, "out")) == "hello from %s on debug\n" % job_id


def test_a_job_submitted_through_the_unix_socket_slurmrestd_completes_with_exit_code_0(cluster):
    submit_and_check_over_rest(cluster, "unix")


def test_a_job_submitted_through_the_tcp_slurmrestd_with_the_jwt_completes_with_exit_code_0(
        cluster):
    submit_and_check_over_rest(cluster, "tcp")


def test_a_token_minted_with_the_clusters_jwt_key_is_accepted_over_tcp(cluster):
    status, doc = cluster.rest("GET", REST + "/ping", transport="tcp",
                               token=cluster.mint_jwt(lifespan=60))
    assert status == 200 and doc["pings"][0]["ping"] == "UP", doc


@pytest.mark.parametrize("kind", ["signed with another key", "expired", "not a token"])
def test_a_wrong_jwt_is_refused_by_the_tcp_slurmrestd_and_submits_nothing(cluster, kind):
    token = {"signed with another key": cluster.mint_jwt(key=os.urandom(32)),
             "expired": cluster.mint_jwt(lifespan=-60),
             "not a token": "garbage"}[kind]
    work = workdir(cluster, "badjwt")
    name = "refused-" + uuid.uuid4().hex[:8]
    body = rest_job(work, name, "#!/bin/bash\ntouch %s/ran\n" % work)
    status, doc = cluster.rest("POST", REST + "/job/submit", body, transport="tcp",
                               token=token)
    # slurmrestd 22.05 answers a refused token with HTTP 500 and an error, never a job id.
    assert status != 200 and doc["errors"] and "job_id" not in doc, (status, doc)
    listed = cluster.run("squeue", "-h", "-t", "all", "-n", name, "-o", "%i").stdout
    assert listed.strip() == ""
    assert not os.path.exists(os.path.join(work, "ran"))


def test_ssh_with_the_client_key_runs_sbatch_parsable_with_the_script_on_stdin(cluster):
    work = workdir(cluster, "ssh")
    out = os.path.join(work, "out")
    r = subprocess.run(cluster.ssh_argv("sbatch", "--parsable", "--chdir", work, "-o", out),
                       input="#!/bin/bash\necho \"over ssh: $SLURM_JOB_ID\"\n",
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    job_id = r.stdout.strip().split(";")[0]
    assert job_id.isdigit(), r.stdout
    fields = cluster.wait_job(job_id)
    assert fields["JobState"] == "COMPLETED", fields
    assert read(out) == "over ssh: %s\n" % job_id


@pytest.mark.parametrize("known", ["another key for the same address", "an empty known_hosts"])
def test_ssh_refuses_the_login_node_when_its_host_key_is_not_the_known_one(cluster, tmp_path, known):
    kh = tmp_path / "known_hosts"
    if known == "an empty known_hosts":
        kh.write_text("")
    else:
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "k")],
                       check=True)
        pub = (tmp_path / "k.pub").read_text().split()
        kh.write_text("[127.0.0.1]:%s %s %s\n" % (cluster.env["SSH_PORT"], pub[0], pub[1]))
    marker = os.path.join(workdir(cluster, "hostkey"), "ran")
    r = subprocess.run(cluster.ssh_argv("touch", marker, known_hosts=str(kh), strict=True),
                       capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert r.returncode == 255, (r.stdout, r.stderr)
    assert "Host key verification failed" in r.stderr, r.stderr
    assert not os.path.exists(marker)


def test_a_stopped_slurmrestd_refuses_connections_and_answers_again_after_start_daemon(cluster):
    cluster.stop_daemon("restd-tcp")
    with pytest.raises(ConnectionError, match="refused|connect"):
        cluster.rest("GET", REST + "/ping", transport="tcp", timeout=5)
    cluster.start_daemon("restd-tcp")
    status, doc = cluster.rest("GET", REST + "/ping", transport="tcp")
    assert status == 200 and doc["pings"][0]["ping"] == "UP", doc


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def test_after_stop_no_daemon_or_job_process_of_the_cluster_is_left():
    c = SlurmCluster().start()
    try:
        work = workdir(c, "stop")
        pids_file = os.path.join(work, "pids")
        # A foreground service, a process that escaped the job with setsid, and a pending job.
        script = ("#!/bin/bash\nsetsid sleep 301 </dev/null >/dev/null 2>&1 &\n"
                  "sleep 302 & echo \"$$ $! $(pgrep -nf 'sleep 301')\" > %s\nwait $!\n" % pids_file)
        running = c.run("sbatch", "--parsable", "--chdir", work, "-o", "/dev/null",
                        input=script).stdout.strip()
        c.wait_job(running, "RUNNING")
        deadline = time.monotonic() + 30
        while not (os.path.exists(pids_file) and len(read(pids_file).split()) == 3):
            assert time.monotonic() < deadline, "the job never wrote its pids"
            time.sleep(0.1)
        job_pids = [int(p) for p in read(pids_file).split()]
        node_cpus = c.run("sinfo", "-h", "-o", "%c").stdout.strip()
        pending = c.run("sbatch", "--parsable", "-o", "/dev/null", "-c", node_cpus,
                        "--wrap", "sleep 303").stdout.strip()
        assert c.job_state(pending)["JobState"] == "PENDING"
        daemon_pids = [c.pid(n) for n in ("munged", "slurmctld", "slurmd", "restd-unix",
                                          "restd-tcp", "sshd")]
        assert all(daemon_pids) and all(alive(p) for p in daemon_pids + job_pids)
        folder = c.dir
    except BaseException:
        c.stop()
        raise
    c.stop()
    left = [p for p in daemon_pids + job_pids if alive(p)]
    assert left == [], "still running after stop(): %s" % left
    assert c.processes() == []  # by folder, open files and the cluster's name
    assert processes_with(folder) == []
    assert not os.path.exists(folder)
