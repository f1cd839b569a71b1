"""The slurmrestd client (controlplane/slurm/slurm_rest*.c) against a REAL single-node Slurm: starts
the cluster of tests/slurm/cluster.sh once for the module and runs the Criterion binary
tests/test_slurm_rest_cluster (built beside the programs) with AIFB_TEST_SLURM_ENV pointing at
the cluster's env file. Without that variable the binary skips every test, so a plain ctest run
stays offline; here each of its tests must pass."""

import os
import subprocess

import pytest

from aifbtest import BIN
from slurmcluster import SlurmCluster

BINARY = os.path.join(os.path.dirname(BIN), "tests", "test_slurm_rest_cluster")

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0,
                       reason="the test cluster runs slurmctld, munged and sshd as root"),
    pytest.mark.skipif(not os.access(BINARY, os.X_OK),
                       reason="build the test_slurm_rest_cluster target first"),
]


@pytest.fixture(scope="module")
def cluster():
    with SlurmCluster() as c:
        yield c


def test_the_rest_client_passes_every_check_against_the_real_cluster(cluster):
    env = dict(os.environ, AIFB_TEST_SLURM_ENV=os.path.join(cluster.dir, "env"))
    env.pop("SLURM_JWT", None)
    # One test at a time: one of them stops the TCP slurmrestd for a moment.
    r = subprocess.run([BINARY, "--jobs", "1", "--verbose"], env=env, capture_output=True,
                       text=True, timeout=120)
    report = r.stdout + r.stderr
    assert r.returncode == 0, report
    assert "Skipping" not in report and "Failing: 0" in report, report
    assert "Passing: 11" in report, report
