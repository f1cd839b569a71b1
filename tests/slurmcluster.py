"""A real single-node Slurm cluster for pytest: a thin wrapper around tests/slurm/cluster.sh.

SlurmCluster starts munged, slurmctld, slurmd, two slurmrestd (unix socket with local auth; TCP on
127.0.0.1 with JWT) and a key-only sshd in a temporary folder, and exposes what clients need as
`env` (the KEY=value lines cluster.sh wrote: SLURM_CONF, AIFB_TEST_SLURM_REST_UNIX,
AIFB_TEST_SLURM_REST_TCP, SLURM_JWT, SSH_HOST, SSH_PORT, SSH_KEY_PATH, SSH_KNOWN_HOSTS, ...).
Starting costs a few seconds, so share one cluster per module or per session:

    @pytest.fixture(scope="session")
    def slurm_cluster():
        with SlurmCluster() as cluster:
            yield cluster

Helpers for tests: run() for Slurm client commands, rest() for slurmrestd through curl, ssh_argv()
for the login node, mint_jwt() for tokens signed with the cluster's key (or another), job_state()
and wait_job() to follow a job, stop_daemon()/start_daemon() for fault tests, and processes() to
find anything of the cluster still running (an independent look at /proc, not cluster.sh's)."""

import atexit
import base64
import contextlib
import hashlib
import hmac
import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import time

from aifbtest import processes_with

HERE = os.path.dirname(os.path.abspath(__file__))
CLUSTER_SH = os.path.join(HERE, "slurm", "cluster.sh")
DAEMONS = ("munged", "slurmctld", "slurmd", "restd-unix", "restd-tcp", "sshd")
FINISHED = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY",
            "PREEMPTED", "BOOT_FAIL", "DEADLINE"}


class SlurmCluster:
    """One cluster in its own folder (a fresh temporary one unless `directory` is given)."""

    def __init__(self, directory=None, keep=False, cpus=None):
        """cpus: CPUs declared on the node (more than the machine has lets many small jobs run
        side by side); None: AIFB_TEST_SLURM_CPUS or the machine's."""
        self.own_dir = directory is None
        self.dir = directory
        self.keep = keep
        self.cpus = cpus
        self.env = {}
        self.started = False

    # --- lifecycle -------------------------------------------------------------------------

    def start(self, timeout=120):
        """Brings the cluster up and fills env; raises RuntimeError with the failing daemon's log
        tail (cluster.sh has then already stopped whatever it had started)."""
        if self.dir is None:
            self.dir = tempfile.mkdtemp(prefix="aifb-slurm-", dir="/tmp")
        try:
            r = self._cluster_sh("start", timeout=timeout)
        except subprocess.TimeoutExpired:
            # cluster.sh was killed before its own cleanup could run: stop what it recorded.
            self._cluster_sh("stop")
            self._remove_dir()
            raise RuntimeError("cluster.sh start %s took longer than %ss" % (self.dir, timeout))
        if r.returncode != 0:
            self._remove_dir()
            raise RuntimeError("cluster.sh start %s failed (exit %d):\n%s%s" % (
                self.dir, r.returncode, r.stdout, r.stderr))
        self.started = True
        atexit.register(self.stop)
        self.env = self._read_env()
        return self

    def stop(self, timeout=120):
        """Cancels every job, stops the daemons and ends anything of the cluster still running;
        removes the folder when this object made it. Safe to call twice."""
        if not self.started:
            return
        atexit.unregister(self.stop)
        self.started = False
        r = self._cluster_sh("stop", timeout=timeout)
        if r.returncode != 0:
            raise RuntimeError("cluster.sh stop %s failed (exit %d), folder kept:\n%s%s" % (
                self.dir, r.returncode, r.stdout, r.stderr))
        self._remove_dir()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    def status(self):
        return self._cluster_sh("status").stdout

    def stop_daemon(self, name):
        """Stops one daemon (one of DAEMONS), e.g. a slurmrestd or the sshd for a fault test."""
        self._check(self._cluster_sh("stop-daemon", name), "stop-daemon " + name)

    def start_daemon(self, name):
        """Starts a stopped daemon again on its former port and waits until it answers."""
        self._check(self._cluster_sh("start-daemon", name, timeout=60), "start-daemon " + name)

    def pid(self, name):
        """The recorded pid of a running daemon, or None."""
        try:
            with open(os.path.join(self.dir, "pids", name + ".pid")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def log(self, name, chars=4000):
        """The end of a daemon's logs (NAME.out, and NAME.log for slurmctld and slurmd)."""
        text = ""
        for suffix in (".out", ".log"):
            try:
                with open(os.path.join(self.dir, "logs", name + suffix), errors="replace") as f:
                    text += f.read()[-chars:]
            except OSError:
                pass
        return text

    # --- clients ---------------------------------------------------------------------------

    def client_env(self, **extra):
        """The caller's environment without its own SLURM_* settings, plus the cluster's env."""
        e = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}
        e.update(self.env)
        e.update(extra)
        return e

    def run(self, *argv, input=None, check=True, timeout=60):
        """Runs a Slurm client command (sbatch, squeue, scontrol, ...) against this cluster.
        SLURM_JWT is left out so that the clients authenticate with munge."""
        env = self.client_env()
        env.pop("SLURM_JWT", None)
        r = subprocess.run(list(argv), input=input, capture_output=True, text=True,
                           timeout=timeout, env=env)
        if check and r.returncode != 0:
            raise AssertionError("%s exited %d:\n%s%s" % (" ".join(argv), r.returncode,
                                                          r.stdout, r.stderr))
        return r

    def rest(self, method, path, body=None, transport="unix", token=None, user="root",
             timeout=30):
        """One slurmrestd request through curl. transport "unix" uses the local-auth socket;
        "tcp" sends X-SLURM-USER-NAME and X-SLURM-USER-TOKEN (the cluster's SLURM_JWT unless
        token is given). Returns (HTTP status, parsed JSON body or None)."""
        argv = ["curl", "-sS", "--max-time", str(timeout), "-X", method,
                "-H", "Content-Type: application/json", "-w", "\n%{http_code}"]
        if transport == "unix":
            argv += ["--unix-socket", self.env["AIFB_TEST_SLURM_REST_UNIX"][len("unix:"):],
                     "http://localhost" + path]
        elif transport == "tcp":
            argv += ["-H", "X-SLURM-USER-NAME: " + user,
                     "-H", "X-SLURM-USER-TOKEN: " + (token or self.env["SLURM_JWT"]),
                     self.env["AIFB_TEST_SLURM_REST_TCP"] + path]
        else:
            raise ValueError("transport must be unix or tcp, got %r" % transport)
        data = None
        if body is not None:
            argv += ["--data-binary", "@-"]
            data = json.dumps(body)
        r = subprocess.run(argv, input=data, capture_output=True, text=True, timeout=timeout + 5)
        text, _, code = r.stdout.rpartition("\n")
        if r.returncode != 0 or not code.isdigit():
            raise ConnectionError("curl %s %s failed (exit %d): %s" % (method, path, r.returncode,
                                                                      r.stderr.strip()))
        try:
            doc = json.loads(text) if text.strip() else None
        except ValueError:
            doc = None
        return int(code), doc

    def mint_jwt(self, user="root", lifespan=3600, key=None):
        """An HS256 token for user, signed with the cluster's JWT key (or the bytes `key`), with
        the claims Slurm reads: exp, iat, sun."""
        if key is None:
            with open(self.env["AIFB_TEST_SLURM_JWT_KEY"], "rb") as f:
                key = f.read()
        now = int(time.time())

        def part(obj):
            raw = json.dumps(obj, separators=(",", ":")).encode()
            return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

        signing = part({"alg": "HS256", "typ": "JWT"}) + "." + part(
            {"exp": now + lifespan, "iat": now, "sun": user})
        sig = hmac.new(key, signing.encode(), hashlib.sha256).digest()
        return signing + "." + base64.urlsafe_b64encode(sig).rstrip(b"=").decode()

    def ssh_argv(self, *remote, known_hosts=None, strict=True):
        """An ssh command line for the login node with the client key; known_hosts replaces the
        cluster's file (to show that a different host key is refused)."""
        kh = known_hosts or self.env["SSH_KNOWN_HOSTS"]
        return ["ssh", "-F", "/dev/null", "-p", self.env["SSH_PORT"],
                "-i", self.env["SSH_KEY_PATH"], "-o", "IdentitiesOnly=yes",
                "-o", "BatchMode=yes", "-o", "UserKnownHostsFile=" + kh,
                "-o", "GlobalKnownHostsFile=/dev/null",
                "-o", "StrictHostKeyChecking=" + ("yes" if strict else "no"),
                "-o", "ConnectTimeout=5", "-o", "LogLevel=ERROR",
                "%s@%s" % (self.env["SSH_USER"], self.env["SSH_HOST"])] + list(remote)

    def job_state(self, job_id):
        """JobState of a job from scontrol (finished jobs stay visible for MinJobAge, 300 s),
        with ExitCode, as a dict of scontrol's fields."""
        r = self.run("scontrol", "-o", "show", "job", str(job_id))
        fields = {}
        for item in r.stdout.split():
            k, _, v = item.partition("=")
            fields[k] = v
        return fields

    def wait_job(self, job_id, states=FINISHED, timeout=60):
        """Waits until the job's JobState is one of states; returns scontrol's fields."""
        states = {states} if isinstance(states, str) else set(states)
        deadline = time.monotonic() + timeout
        fields = {}
        while time.monotonic() < deadline:
            fields = self.job_state(job_id)
            if fields.get("JobState") in states:
                return fields
            time.sleep(0.1)
        raise AssertionError("job %s still %s after %ss (waiting for %s)\nslurmctld:\n%s" % (
            job_id, fields.get("JobState"), timeout, sorted(states), self.log("slurmctld")))

    def processes(self):
        """(pid, command line) of every live process of this cluster: its command line names the
        folder, a file or working folder it holds is in the folder (slurmstepd), or its
        environment names the cluster. Zombies do not count: PID 1 here reaps slowly."""
        marks = ("AIFB_TEST_SLURM_DIR=" + self.dir,
                 "SLURM_CLUSTER_NAME=" + self.env.get("AIFB_TEST_SLURM_CLUSTER", "\0"))
        found = []
        for pid in os.listdir("/proc"):
            if not pid.isdigit() or int(pid) == os.getpid():
                continue
            try:
                if _proc_state(pid) in ("Z", "X"):
                    continue
                with open("/proc/%s/cmdline" % pid, "rb") as f:
                    cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
                if not cmd:
                    continue  # a kernel thread
                if self.dir + "/" in cmd or _holds_file_in(pid, self.dir) or _env_has(pid, marks):
                    found.append((int(pid), cmd))
            except OSError:
                continue
        return found

    # --- internals -------------------------------------------------------------------------

    def _cluster_sh(self, *args, timeout=120):
        command, rest = args[0], list(args[1:])
        env = dict(os.environ)
        if self.cpus is not None:
            env["AIFB_TEST_SLURM_CPUS"] = str(self.cpus)
        return subprocess.run([CLUSTER_SH, command, self.dir] + rest, capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL, env=env)

    def _check(self, r, what):
        if r.returncode != 0:
            raise RuntimeError("cluster.sh %s failed (exit %d):\n%s%s" % (
                what, r.returncode, r.stdout, r.stderr))

    def _read_env(self):
        env = {}
        with open(os.path.join(self.dir, "env")) as f:
            for line in f:
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                key, _, value = line.partition("=")
                words = shlex.split(value)
                env[key] = words[0] if words else ""
        return env

    def _remove_dir(self):
        if self.own_dir and not self.keep and self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)


def _proc_state(pid):
    with open("/proc/%s/stat" % pid) as f:
        return f.read().rsplit(")", 1)[1].split()[0]


def _holds_file_in(pid, folder):
    links = ["/proc/%s/cwd" % pid]
    try:
        links += ["/proc/%s/fd/%s" % (pid, fd) for fd in os.listdir("/proc/%s/fd" % pid)]
    except OSError:
        return False
    for link in links:
        try:
            if os.readlink(link).startswith(folder + "/") or os.readlink(link) == folder:
                return True
        except OSError:
            continue
    return False


def _env_has(pid, marks):
    with open("/proc/%s/environ" % pid, "rb") as f:
        env = f.read().decode(errors="replace").split("\0")
    return any(m in env for m in marks)


# ---- what the executor tests read back from Slurm -------------------------------------------

def job_ids(run):
    """The (service, client) job ids from a run's handles, as `aifb run show -o json` gives it."""
    text = " ".join(run.get("handles") or [])
    svc = re.search(r"service job (\d+)", text)
    cli = re.search(r"client job (\d+)", text)
    return (svc and svc.group(1)), (cli and cli.group(1))


def active_jobs(cluster):
    """Job ids squeue shows by default (pending, running, completing)."""
    out = cluster.run("squeue", "--noheader", "--format=%i").stdout
    return set(out.split())


def jobs_with_comment(cluster, run_id):
    """The comments ("aifb:<run>:<role>") of every job Slurm knows for a run, sorted."""
    out = cluster.run("squeue", "--noheader", "--states=all", "--format=%i|%k").stdout
    return sorted(line.split("|", 1)[1] for line in out.splitlines()
                  if "|" in line and line.split("|", 1)[1].startswith("aifb:" + run_id + ":"))


def check_info_cluster(c, cluster):
    """What GetInfo's cluster must show of the test cluster whatever the way to it: Slurm's
    release, the one node in the one partition, debug, up and the default, and no error."""
    assert re.match(r"^\d+\.\d+\.\d+", c["release"]), c
    node = cluster.env["AIFB_TEST_SLURM_NODE"]
    assert [(n["name"], n["partitions"]) for n in c["nodes"]] == [(node, ["debug"])], c
    assert c["nodes"][0]["cpus"] >= 1 and c["nodes"][0]["memory_mb"] > 0, c
    assert [(p["name"], p["state"], p["nodes"], p["is_default"]) for p in c["partitions"]] == [
        ("debug", "UP", node, True)], c
    assert not c.get("error"), c


@contextlib.contextmanager
def recipe_folder(*paths):
    """A temporary recipes folder holding copies of the given files (paths from the project's
    root), removed afterwards."""
    d = tempfile.mkdtemp(prefix="aifb-slurm-recipes-")
    try:
        for path in paths:
            shutil.copy(os.path.join(HERE, "..", path), d)
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


def check_stop_cancels_a_redis_run(d, cluster, look_for_redis=True):
    """StopRun on a long redis run of aifbd d: both jobs gone from squeue within 2 s, the run
    CANCELLED, and (when redis runs on this machine) no redis process left within 10 s."""
    run_id = d.cli("run", "start", "redis", "-p", "requests=100000000").stdout.strip()
    run = d.wait_state(run_id, "RUN_STATE_RUNNING", timeout=60)
    svc, cli = job_ids(run)
    assert svc in active_jobs(cluster) and cli in active_jobs(cluster)
    port = run["endpoint"].rsplit(":", 1)[1]
    if look_for_redis:
        redis = [p for p in processes_with(":" + port) if "redis-server" in p[1]]
        assert redis, "redis-server listens on the run's port"
    d.cli("run", "stop", run_id)
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline and active_jobs(cluster) & {svc, cli}:
        time.sleep(0.05)
    assert not active_jobs(cluster) & {svc, cli}, "jobs still in squeue 2 s after StopRun"
    d.wait_state(run_id, "RUN_STATE_CANCELLED", timeout=30)
    if not look_for_redis:
        return

    def redis_left():
        return [p for p in processes_with(":" + port) if "redis" in p[1]]

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and redis_left():
        time.sleep(0.1)
    assert not redis_left(), "a redis process is left"

