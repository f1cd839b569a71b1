"""A real Prometheus for the tests of the agents' metric pushing: Debian's prometheus with the
project's provisioning/prometheus configuration, started once per test session on a free loopback
port with a temporary storage folder, its remote write receiver on (POST /api/v1/write), and
stopped at the end.

tests/conftest.py makes the fixture known to every test module (one Prometheus per session):

    def test_x(prometheus):
        prometheus.write_url          # http://127.0.0.1:PORT/api/v1/write
        prometheus.query('up')        # the result list of an instant query

scripts/install-deps.sh --test installs prometheus; without it the fixture fails, saying so."""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from aifbtest import free_port

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"

# The project's own configuration (provisioning/prometheus), as the docker compose file runs it;
# only its own address differs here, since the test server listens on a free port.
CONFIG_SOURCE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                             "provisioning", "prometheus", "prometheus.yml")


class PromServer:
    """One prometheus process with its own folder (configuration, storage, log)."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="aifb-prom-", dir="/tmp")
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.write_url = self.base + "/api/v1/write"
        self.log_path = os.path.join(self.dir, "prometheus.log")
        self.proc = None

    def start(self, timeout=30):
        config = os.path.join(self.dir, "prometheus.yml")
        with open(CONFIG_SOURCE) as f:
            text = f.read().replace("localhost:9090", "127.0.0.1:%d" % self.port)
        with open(config, "w") as f:
            f.write(text)
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [PROMETHEUS, "--config.file=" + config,
             "--storage.tsdb.path=" + os.path.join(self.dir, "data"),
             "--web.listen-address=127.0.0.1:%d" % self.port,
             "--web.enable-remote-write-receiver", "--log.level=warn"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("prometheus exited at start:\n" + self.log())
            try:
                with urllib.request.urlopen(self.base + "/-/ready", timeout=2) as r:
                    if r.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("prometheus was not ready within %ss:\n%s" % (timeout, self.log()))

    def stop(self, timeout=20):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def query(self, expr, at=None):
        """The result of an instant query (a list of {"metric": {...}, "value": [t, "v"]}), at
        `at` (Unix seconds) or now. Raises with Prometheus' error on a bad query."""
        params = {"query": expr}
        if at is not None:
            params["time"] = "%.3f" % at
        url = self.base + "/api/v1/query?" + urllib.parse.urlencode(params)
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                body = json.load(r)
        except urllib.error.HTTPError as e:
            raise AssertionError("query %r: HTTP %d: %s" % (expr, e.code, e.read().decode()))
        assert body["status"] == "success", body
        return body["data"]["result"]

    def query_value(self, expr, at=None):
        """The single value an instant query returns, as a float (None when it returns nothing)."""
        result = self.query(expr, at)
        if not result:
            return None
        assert len(result) == 1, "query %r returned %d series: %s" % (expr, len(result), result)
        return float(result[0]["value"][1])


@pytest.fixture(scope="session")
def prometheus():
    """Debian's prometheus with its remote write receiver, for the whole test session."""
    if not os.access(PROMETHEUS, os.X_OK):
        pytest.fail("prometheus is not installed (run scripts/install-deps.sh --test)")
    server = PromServer().start()
    yield server
    server.stop()
