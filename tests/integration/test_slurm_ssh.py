"""The login-node transport (controlplane/slurm/slurm_ssh*) against a real cluster: a key-only
sshd and a single-node Slurm from tests/slurm/cluster.sh. The checks are the Criterion tests of
tests/unit/test_slurm_ssh_live.c (the C API is driven from C); each runs here on its own, with
AIFB_TEST_SLURM_ENV pointing at the cluster's env file, so a failure names the behaviour."""

import os
import subprocess

import pytest

from aifbtest import BIN
from slurmcluster import SlurmCluster

pytestmark = pytest.mark.skipif(os.geteuid() != 0,
                                reason="the test cluster runs slurmctld, munged and sshd as root")

LIVE = os.path.join(os.path.dirname(BIN), "tests", "test_slurm_ssh_live")

CHECKS = [
    "a_matching_host_key_logs_in_and_runs_sinfo",
    "stdin_stdout_stderr_and_exit_status_of_a_remote_command_come_back",
    "another_key_in_known_hosts_is_refused_loudly_and_nothing_runs",
    "an_empty_known_hosts_is_refused_with_the_ssh_keyscan_line",
    "sbatch_on_stdin_gives_a_job_id_squeue_shows_it_and_scancel_ends_it",
    "a_failing_sbatch_is_refused_with_slurms_message",
    "a_lost_login_node_fails_fast_and_the_session_comes_back_by_itself",
    "the_tunnel_carries_http_to_the_tcp_slurmrestd",
]


@pytest.fixture(scope="module")
def cluster():
    with SlurmCluster() as c:
        yield c


@pytest.mark.skipif(not os.path.exists(LIVE), reason="build test_slurm_ssh_live first")
@pytest.mark.parametrize("check", CHECKS)
def test_login_node_session(cluster, check):
    env = dict(os.environ, AIFB_TEST_SLURM_ENV=os.path.join(cluster.dir, "env"))
    r = subprocess.run([LIVE, "--jobs", "1", "--filter", "slurm_ssh_live/" + check],
                       capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Tested: 1 | Passing: 1" in r.stdout + r.stderr, r.stdout + r.stderr
