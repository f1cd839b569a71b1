"""Shared helpers of the integration and contract tests: start and stop aifbd on a temporary state
folder, run the aifb CLI, wait for a run to reach a state, and find processes left behind.

Binaries come from $AIFB_BIN_DIR (scripts/test.sh points it at the sanitizer build), else build/bin.
Every aifbd started here listens on a unix socket in its own temporary folder (or a TCP port given
by the test) and is stopped, with everything it started, when the test or the suite ends."""

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("AIFB_BIN_DIR") or os.path.join(ROOT, "build", "bin")
RECIPES = os.path.join(ROOT, "recipes")
FINAL = {"RUN_STATE_SUCCEEDED", "RUN_STATE_FAILED", "RUN_STATE_CANCELLED"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Daemon:
    """One aifbd process with its own state folder."""

    def __init__(self, state_dir=None, listen=None, env=None, extra_args=(), recipes=RECIPES):
        self.own_state = state_dir is None
        self.recipes = recipes  # the recipe folder given with --recipes (default: recipes/)
        # Service users (postgres) must be able to reach run folders: no 0700 parent.
        self.state_dir = state_dir or tempfile.mkdtemp(prefix="aifb-test-", dir="/tmp")
        os.chmod(self.state_dir, 0o755)
        self.listen = listen or "unix:" + os.path.join(self.state_dir, "aifbd.sock")
        self.env = dict(os.environ)
        self.env.pop("AIFB_TOKEN", None)
        self.env.update(env or {})
        self.extra_args = list(extra_args)
        self.proc = None
        self.log_path = os.path.join(self.state_dir, "aifbd.log")

    @property
    def address(self):
        if self.listen.startswith("0.0.0.0:"):
            return "127.0.0.1:" + self.listen.split(":", 1)[1]
        return self.listen

    def start(self, timeout=30):
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [os.path.join(BIN, "aifbd"), "--listen", self.listen, "--state-dir", self.state_dir,
             "--recipes", self.recipes, "--log-level", "debug"] + self.extra_args,
            stdout=log, stderr=subprocess.STDOUT, env=self.env, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("aifbd exited at start:\n" + self.log())
            r = self.cli("info", check=False)
            if r.returncode == 0:
                return self
            time.sleep(0.1)
        raise RuntimeError("aifbd did not answer within %ss:\n%s" % (timeout, self.log()))

    def stop(self, sig=signal.SIGTERM, timeout=60):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise RuntimeError("aifbd did not stop within %ss:\n%s" % (timeout, self.log()))
        return self.proc.returncode if self.proc else None

    def kill9(self):
        self.proc.kill()
        self.proc.wait()

    def sanitizer_reports(self):
        """What AddressSanitizer, LeakSanitizer or UBSan said in aifbd's log (tests run the
        sanitizer build): a report fails the test that owns this aifbd."""
        text = self.log_all()
        marks = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")
        return [line for line in text.splitlines() if any(m in line for m in marks)]

    def cleanup(self):
        self.stop()
        reports = self.sanitizer_reports()
        log = self.log()
        if self.own_state:
            shutil.rmtree(self.state_dir, ignore_errors=True)
        if reports:
            raise AssertionError("sanitizer reports in aifbd's log:\n%s\n%s" % (
                "\n".join(reports), log))

    def log_all(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-6000:]
        except OSError:
            return ""

    def cli(self, *args, check=True, timeout=300, env=None):
        e = dict(self.env)
        e.update(env or {})
        r = subprocess.run([os.path.join(BIN, "aifb"), "--server", self.address] + list(args),
                           capture_output=True, text=True, timeout=timeout, env=e)
        if check and r.returncode != 0:
            raise AssertionError("aifb %s exited %d:\nstdout: %s\nstderr: %s\naifbd log:\n%s" % (
                " ".join(args), r.returncode, r.stdout, r.stderr, self.log()))
        return r

    def cli_json(self, *args, **kw):
        r = self.cli(*args, "-o", "json", **kw)
        return json.loads(r.stdout)

    def run(self, run_id):
        return self.cli_json("run", "show", run_id)

    def wait_state(self, run_id, states, timeout=120):
        """Waits until the run is in one of states (names like RUN_STATE_RUNNING)."""
        states = {states} if isinstance(states, str) else set(states)
        deadline = time.monotonic() + timeout
        run = None
        while time.monotonic() < deadline:
            run = self.run(run_id)
            if run["state"] in states:
                return run
            if run["state"] in FINAL:
                raise AssertionError("run %s ended %s (%s) while waiting for %s\n%s" % (
                    run_id, run["state"], run.get("reason"), states, self.log()))
            time.sleep(0.2)
        raise AssertionError("run %s still %s after %ss (waiting for %s)\n%s" % (
            run_id, run and run["state"], timeout, states, self.log()))


def processes_with(needle):
    """PIDs whose command line contains needle (a port, a folder), excluding this test."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
            with open("/proc/%s/stat" % pid) as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    continue  # a zombie is not a process left running
        except OSError:
            continue
        if needle in cmd:
            found.append((int(pid), cmd))
    return found


def wait_gone(needle, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = processes_with(needle)
        if not left:
            return []
        time.sleep(0.1)
    return processes_with(needle)
