"""aifb-monitor against a real Prometheus (Debian's, with its remote write receiver): the series
of a busy process, the node and two GPUs (a fake NVML built here from
tests/unit/fixtures/monitor/fake_nvml.c) arrive with the right names, labels and values, and the
CPU seconds match /proc within 5%; a process tree whose children fork and exit keeps a CPU counter
that never decreases and a process count that follows them; aifb-llmsim's /metrics are scraped and
relabelled with the run's labels; Prometheus stopped for 30 s and started again on the same port
and storage loses no sample, with the batches held in memory and, with a tiny --memory-buffer, in
the disk spool; the monitor ends with exit status 0 when its process ends, after --duration and on
SIGTERM, and its series end with it (stale markers); what it could not send at SIGTERM waits in
the spool for the next monitor, which sends it first; no NVML and a scrape target that does not
answer are no failure; the bearer token reaches the receiver and never the log; a bad option is
refused with exit status 2 naming it."""

import http.server
import json
import os
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import pytest

from aifbtest import BIN, ROOT, free_port
from promserver import PromServer

MONITOR = os.path.join(BIN, "aifb-monitor")
LLMSIM = os.path.join(BIN, "aifb-llmsim")
FAKE_NVML_SRC = os.path.join(ROOT, "tests", "unit", "fixtures", "monitor", "fake_nvml.c")
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")
HZ = os.sysconf("SC_CLK_TCK")

BURN = """
import time
t = time.process_time()
while time.process_time() - t < 1.5:
    pass
print("burnt", flush=True)
time.sleep(120)
"""

FORKER = """
import os, time
kids = []
for i in range(6):
    pid = os.fork()
    if pid == 0:
        t = time.process_time()
        while time.process_time() - t < 0.2:
            pass
        os._exit(0)
    kids.append(pid)
    time.sleep(0.4)
    if i % 2:
        os.waitpid(pid, 0)  # some are reaped at once, the others stay zombies for a while
time.sleep(0.6)
for pid in kids:
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass
print("done", flush=True)
time.sleep(120)
"""


class Monitor:
    """One aifb-monitor process; its stderr goes to a file."""

    def __init__(self, *args, env=None):
        self.log = tempfile.NamedTemporaryFile(prefix="aifb-monitor-", suffix=".log", delete=False)
        e = dict(os.environ)
        e.pop("SLURM_JOB_ID", None)
        e.pop("AIFB_PROM_TOKEN", None)
        e.update(env or {})
        self.proc = subprocess.Popen([MONITOR] + list(args), stdout=subprocess.DEVNULL,
                                     stderr=self.log, env=e)

    def wait(self, timeout=30):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("aifb-monitor did not end within %ss:\n%s"
                                 % (timeout, self.text()))

    def stop(self, timeout=30):
        self.proc.send_signal(signal.SIGTERM)
        return self.wait(timeout)

    def text(self):
        with open(self.log.name, errors="replace") as f:
            return f.read()

    def finish(self):
        """The log, after checking it holds no sanitizer report; removes the file."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        text = self.text()
        os.unlink(self.log.name)
        assert not any(m in text for m in SANITIZER_MARKS), text
        return text


def wait_until(check, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out after %ss waiting for %s" % (timeout, what))


def proc_cpu(pid):
    """utime + stime + cutime + cstime of a process, in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return sum(int(fields[i]) for i in (11, 12, 13, 14)) / HZ


def samples(prometheus, selector, window="5m"):
    """The raw samples of each series the selector matches, {labels: [(t, v)...]} (stale markers
    are not returned in range vectors)."""
    out = {}
    for s in prometheus.query("%s[%s]" % (selector, window)):
        key = tuple(sorted((k, v) for k, v in s["metric"].items() if k != "__name__"))
        out[(s["metric"]["__name__"], key)] = [(float(t), float(v)) for t, v in s["values"]]
    return out


def new_run_id():
    return "r-" + os.urandom(6).hex()


@pytest.fixture(scope="module")
def fake_nvml():
    d = tempfile.mkdtemp(prefix="aifb-fake-nvml-")
    lib = os.path.join(d, "libfake-nvml.so")
    subprocess.run(["cc", "-shared", "-fPIC", "-O1", "-o", lib, FAKE_NVML_SRC], check=True)
    yield lib
    os.unlink(lib)
    os.rmdir(d)


@pytest.fixture(scope="module")
def busy_run(prometheus, fake_nvml):
    """A process that burns 1.5 s of CPU then sleeps, watched every 250 ms until it is killed."""
    child = subprocess.Popen([sys.executable, "-c", BURN], stdout=subprocess.PIPE, text=True)
    run_id = new_run_id()
    mon = Monitor("--remote-write", prometheus.write_url, "--pid", str(child.pid), "--interval",
                  "250ms", "--label", "run_id=" + run_id, "--label", "role=service",
                  "--nvml-library", fake_nvml)
    try:
        assert child.stdout.readline().strip() == "burnt"
        time.sleep(1.5)  # samples of the idle process
        cpu = proc_cpu(child.pid)
    finally:
        child.kill()
        child.wait()
        child.stdout.close()
    rc = mon.wait(30)
    yield {"run_id": run_id, "pid": child.pid, "rc": rc, "cpu": cpu, "log": mon.finish(),
           "sel": '{run_id="%s"}' % run_id}


def test_cpu_seconds_of_a_busy_process_match_proc(prometheus, busy_run):
    series = samples(prometheus, "aifb_process_cpu_seconds_total" + busy_run["sel"])
    assert len(series) == 2, series  # mode user and system
    total = sum(max(v for _, v in values) for values in series.values())
    assert busy_run["cpu"] >= 1.5
    assert abs(total - busy_run["cpu"]) <= 0.05 * busy_run["cpu"], (total, busy_run["cpu"])
    for values in series.values():
        assert all(b[1] >= a[1] for a, b in zip(values, values[1:])), values


def test_series_carry_the_run_labels_and_never_a_pid(prometheus, busy_run):
    everything = prometheus.query("group by (__name__) (last_over_time(%s[5m]))"
                                  % busy_run["sel"])
    names = {s["metric"]["__name__"] for s in everything}
    for want in ("aifb_process_cpu_seconds_total", "aifb_process_resident_memory_bytes",
                 "aifb_process_virtual_memory_bytes", "aifb_process_threads",
                 "aifb_process_count", "aifb_process_open_fds", "aifb_node_cpu_seconds_total",
                 "aifb_node_memory_total_bytes", "aifb_node_load1", "aifb_gpu_utilization_ratio",
                 "aifb_monitor_samples_sent_total", "aifb_monitor_sent_bytes_total",
                 "aifb_monitor_buffered_bytes"):
        assert want in names, (want, sorted(names))
    for s in prometheus.query("last_over_time(%s[5m])" % busy_run["sel"]):
        labels = s["metric"]
        assert labels["role"] == "service" and labels["instance"], labels
        assert not {"pid", "ppid"} & set(labels), labels
        assert str(busy_run["pid"]) not in labels.values(), labels


def test_process_and_node_values(prometheus, busy_run):
    sel = busy_run["sel"]
    assert prometheus.query_value("max_over_time(aifb_process_count%s[5m])" % sel) == 1
    assert prometheus.query_value("max_over_time(aifb_process_threads%s[5m])" % sel) >= 1
    assert prometheus.query_value("max_over_time(aifb_process_resident_memory_bytes%s[5m])"
                                  % sel) > 1e6
    with open("/proc/meminfo") as f:
        total = int(f.readline().split()[1]) * 1024
    assert prometheus.query_value("last_over_time(aifb_node_memory_total_bytes%s[5m])" % sel) \
        == total
    modes = prometheus.query("last_over_time(aifb_node_cpu_seconds_total%s[5m])" % sel)
    assert {s["metric"]["mode"] for s in modes} == {
        "user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"}
    assert not prometheus.query("aifb_node_network_receive_bytes_total{device=\"lo\"}")


def test_gpu_series_from_nvml(prometheus, busy_run):
    sel = busy_run["sel"][:-1] + ',uuid="GPU-11111111-2222-3333-4444-555555555555"}'
    last = "last_over_time(%s%s[5m])"
    assert prometheus.query_value(last % ("aifb_gpu_utilization_ratio", sel)) == 0.37
    assert prometheus.query_value(last % ("aifb_gpu_memory_used_bytes", sel)) == 2 ** 30
    assert prometheus.query_value(last % ("aifb_gpu_memory_total_bytes", sel)) == 16 * 2 ** 30
    assert prometheus.query_value(last % ("aifb_gpu_power_watts", sel)) == 123.456
    assert prometheus.query_value(last % ("aifb_gpu_energy_joules_total", sel)) == 987654.321
    assert prometheus.query_value(last % ("aifb_gpu_temperature_celsius", sel)) == 55
    assert prometheus.query_value(last % ("aifb_gpu_sm_clock_hertz", sel)) == 1410e6
    gpus = prometheus.query("last_over_time(aifb_gpu_temperature_celsius%s[5m])"
                            % busy_run["sel"])
    assert {(s["metric"]["gpu"], s["value"][1]) for s in gpus} == {("0", "55"), ("1", "70")}
    # the second GPU cannot read its power: no series rather than a made-up value
    power = prometheus.query("last_over_time(aifb_gpu_power_watts%s[5m])" % busy_run["sel"])
    assert [s["metric"]["gpu"] for s in power] == ["0"]


def test_ends_when_the_process_ends_and_its_series_end_too(prometheus, busy_run):
    assert busy_run["rc"] == 0, busy_run["log"]
    assert "done (process %d has ended)" % busy_run["pid"] in busy_run["log"], busy_run["log"]
    assert "0 samples dropped" in busy_run["log"], busy_run["log"]
    # without stale markers the last samples would be returned for five more minutes
    assert prometheus.query("aifb_process_count" + busy_run["sel"]) == []
    assert prometheus.query("aifb_node_load1" + busy_run["sel"]) == []


def test_children_that_fork_and_exit(prometheus):
    parent = subprocess.Popen([sys.executable, "-c", FORKER], stdout=subprocess.PIPE, text=True)
    run_id = new_run_id()
    mon = Monitor("--remote-write", prometheus.write_url, "--pid", str(parent.pid), "--interval",
                  "100ms", "--label", "run_id=" + run_id, "--no-node", "--no-gpu")
    try:
        assert parent.stdout.readline().strip() == "done"
        time.sleep(0.5)
        cpu = proc_cpu(parent.pid)
    finally:
        parent.kill()
        parent.wait()
        parent.stdout.close()
    assert mon.wait(30) == 0
    mon.finish()
    sel = '{run_id="%s"}' % run_id
    counts = [v for _, v in samples(prometheus, "aifb_process_count" + sel).popitem()[1]]
    assert max(counts) >= 2 and counts[-2] == 1, counts  # the last one is after the end: 0
    for (name, _), values in samples(prometheus, "aifb_process_cpu_seconds_total" + sel).items():
        assert all(b[1] >= a[1] for a, b in zip(values, values[1:])), values
    total = prometheus.query_value("sum(max_over_time(aifb_process_cpu_seconds_total%s[5m]))" % sel)
    assert cpu >= 6 * 0.2
    assert abs(total - cpu) <= 0.05 * cpu, (total, cpu)


def test_scrapes_llmsim_and_relabels_its_series(prometheus):
    port = free_port()
    sim = subprocess.Popen([LLMSIM, "--listen", "127.0.0.1:%d" % port, "--output-tokens", "5",
                            "--log-level", "warn"], stderr=subprocess.PIPE, text=True)
    try:
        assert "listening on" in sim.stderr.readline()
        body = json.dumps({"model": "aifb-sim", "max_tokens": 5,
                           "messages": [{"role": "user", "content": "hello"}]}).encode()
        for _ in range(3):
            req = urllib.request.Request("http://127.0.0.1:%d/v1/chat/completions" % port, body,
                                         {"Content-Type": "application/json"})
            urllib.request.urlopen(req, timeout=10).read()
        run_id = new_run_id()
        mon = Monitor("--remote-write", prometheus.write_url, "--scrape",
                      "http://127.0.0.1:%d/metrics" % port, "--interval", "250ms", "--duration",
                      "2s", "--label", "run_id=" + run_id, "--label", "model_name=ours",
                      "--no-node", "--no-gpu")
        assert mon.wait(30) == 0
        log = mon.finish()
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10) as r:
            exposed = r.read().decode()
    finally:
        sim.terminate()
        sim.wait()
        sim.stderr.close()
    assert "done (--duration has passed)" in log, log
    sel = '{run_id="%s"}' % run_id
    tokens = prometheus.query("last_over_time(vllm:generation_tokens_total%s[5m])" % sel)
    assert len(tokens) == 1, tokens
    labels = tokens[0]["metric"]
    assert labels["model_name"] == "ours" and labels["exported_model_name"] == "aifb-sim", labels
    assert float(tokens[0]["value"][1]) == 15
    buckets = prometheus.query("last_over_time(vllm:time_to_first_token_seconds_bucket%s[5m])"
                               % sel)
    ttft_lines = [line for line in exposed.splitlines()
                  if line.startswith("vllm:time_to_first_token_seconds_bucket{")]
    assert len(buckets) == len(ttft_lines) > 2 and "+Inf" in {s["metric"]["le"] for s in buckets}
    assert prometheus.query_value("min_over_time(aifb_monitor_scrape_up%s[5m])" % sel) == 1
    assert prometheus.query_value("max_over_time(aifb_monitor_scrape_samples%s[5m])" % sel) > 100
    assert prometheus.query("vllm:generation_tokens_total" + sel) == []  # ended with the monitor


def test_sigterm_sends_a_last_sample_and_exits_zero(prometheus):
    sleeper = subprocess.Popen(["sleep", "60"])
    run_id = new_run_id()
    mon = Monitor("--remote-write", prometheus.write_url, "--pid", str(sleeper.pid), "--interval",
                  "1s", "--label", "run_id=" + run_id, "--no-gpu", "--nvml-library",
                  "/nonexistent/libnvidia-ml.so.1")
    try:
        time.sleep(1.5)
        stopped = time.time()
        assert mon.stop(15) == 0
    finally:
        sleeper.kill()
        sleeper.wait()
    log = mon.finish()
    assert "done (Terminated)" in log, log
    stamps = [t for t, _ in samples(prometheus, 'aifb_process_count{run_id="%s"}' % run_id)
              .popitem()[1]]
    assert len(stamps) >= 2 and stamps[-1] >= stopped - 0.05, (stamps, stopped)


def test_no_nvml_and_a_dead_scrape_target_are_no_failure(prometheus):
    run_id = new_run_id()
    dead = "http://127.0.0.1:%d/metrics" % free_port()
    mon = Monitor("--remote-write", prometheus.write_url, "--duration", "500ms", "--interval",
                  "100ms", "--label", "run_id=" + run_id, "--nvml-library",
                  "/nonexistent/libnvidia-ml.so.1", "--scrape", dead)
    assert mon.wait(30) == 0
    log = mon.finish()
    assert log.count("no GPU series") == 1, log
    assert log.count("scrape of %s failed" % dead) == 1, log
    assert prometheus.query_value('max_over_time(aifb_monitor_scrape_up{run_id="%s"}[5m])'
                                  % run_id) == 0
    assert prometheus.query('last_over_time({run_id="%s",__name__=~"aifb_gpu_.*"}[5m])'
                            % run_id) == []
    assert prometheus.query_value('count(last_over_time(aifb_node_load1{run_id="%s"}[5m]))'
                                  % run_id) == 1


def test_prometheus_down_for_30s_loses_no_sample():
    """Two monitors push to one Prometheus, which is stopped for 30 s and started again on the
    same port and storage: one keeps the batches in memory, the other (--memory-buffer 1) in the
    disk spool. Every 1 s interval of each must have its sample, resent in order."""
    prom = PromServer().start()
    spool = tempfile.mkdtemp(prefix="aifb-monitor-spool-")
    mem_id, disk_id = new_run_id(), new_run_id()
    common = ["--remote-write", prom.write_url, "--interval", "1s", "--no-gpu"]
    mons = {mem_id: Monitor(*common, "--label", "run_id=" + mem_id),
            disk_id: Monitor(*common, "--label", "run_id=" + disk_id, "--memory-buffer", "1",
                             "--spool", spool)}
    try:
        for run_id in mons:
            wait_until(lambda: (prom.query_value('count_over_time(aifb_node_load1{run_id="%s"}[1m])'
                                                 % run_id) or 0) >= 3, 20, "the first samples")
        prom.proc.send_signal(signal.SIGTERM)
        prom.proc.wait(30)
        down = time.time()
        spooled = wait_until(lambda: [f for f in os.listdir(spool) if f.endswith(".rec")], 10,
                             "batches in the spool")
        time.sleep(30 - (time.time() - down))
        assert len([f for f in os.listdir(spool) if f.endswith(".rec")]) > len(spooled)
        prom.start()
        up = time.time()
        for run_id in mons:
            wait_until(lambda: prom.query('aifb_node_load1{run_id="%s"}' % run_id, at=up + 1), 30,
                       "the samples of the outage")
        wait_until(lambda: not [f for f in os.listdir(spool) if f.endswith(".rec")], 30,
                   "the spool to drain")
        time.sleep(max(0, up + 3 - time.time()))  # a few samples after the outage
        logs = {}
        for run_id, mon in mons.items():
            assert mon.stop(30) == 0
            logs[run_id] = mon.finish()
        for run_id, log in logs.items():
            assert "0 samples dropped; 0 batches left in the spool" in log, log
            sel = '{run_id="%s"}' % run_id
            stamps = [t for t, _ in samples(prom, "aifb_node_load1" + sel, "3m").popitem()[1]]
            assert stamps[0] < down - 1 and stamps[-1] > up + 1, (stamps, down, up)
            gaps = [b - a for a, b in zip(stamps, stamps[1:])]
            # a late tick stretches one gap and shortens the next; a lost one doubles it
            assert max(gaps) < 1.9, "a gap of %.1f s in %s" % (max(gaps), stamps)
            in_outage = [t for t in stamps if down < t < up]
            assert len(in_outage) >= 28, len(in_outage)
        buffered = 'max_over_time(aifb_monitor_buffered_bytes{run_id="%s",where="%s"}[3m])'
        assert prom.query_value(buffered % (mem_id, "memory")) > 0
        assert prom.query_value(buffered % (mem_id, "disk")) == 0
        assert prom.query_value(buffered % (disk_id, "disk")) > 0
    finally:
        for mon in mons.values():
            if mon.proc.poll() is None:
                mon.proc.kill()
                mon.proc.wait()
        prom.stop()
        for f in os.listdir(spool):
            os.unlink(os.path.join(spool, f))
        os.rmdir(spool)


def test_what_sigterm_could_not_send_is_sent_by_the_next_monitor(prometheus, tmp_path):
    """Prometheus unreachable (nothing listens on the port): on SIGTERM the monitor waits
    --flush-timeout, leaves its batches in the spool and exits 0; the next monitor on the same
    spool sends them, oldest first, before its own."""
    spool = str(tmp_path / "spool")
    run_id = new_run_id()
    dead = "http://127.0.0.1:%d/api/v1/write" % free_port()
    common = ["--interval", "200ms", "--no-gpu", "--label", "run_id=" + run_id, "--spool", spool]
    first = Monitor("--remote-write", dead, "--flush-timeout", "1500ms", *common)
    time.sleep(1.5)
    started = time.monotonic()
    assert first.stop(15) == 0
    assert time.monotonic() - started >= 1.4  # it waited for Prometheus
    log = first.finish()
    left = len([f for f in os.listdir(spool) if f.endswith(".rec")])
    assert left >= 5 and ("%d batches left in the spool" % left) in log, log
    assert "0 samples dropped" in log, log
    second = Monitor("--remote-write", prometheus.write_url, "--duration", "1s", *common)
    assert second.wait(30) == 0
    log = second.finish()
    assert "0 samples dropped; 0 batches left in the spool" in log, log
    stamps = [t for t, _ in samples(prometheus, 'aifb_node_load1{run_id="%s"}' % run_id)
              .popitem()[1]]
    assert len(stamps) >= left + 4, stamps
    assert max(b - a for a, b in zip(stamps[:left], stamps[1:left])) < 0.4, stamps


class TokenReceiver(http.server.BaseHTTPRequestHandler):
    seen = []

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        TokenReceiver.seen.append(self.headers.get("Authorization"))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_the_bearer_token_reaches_the_receiver_and_never_the_log(tmp_path):
    server = http.server.HTTPServer(("127.0.0.1", 0), TokenReceiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = "http://127.0.0.1:%d/api/v1/write" % server.server_port
    token_file = tmp_path / "token"
    token_file.write_text("from-a-file-0123456789\n")
    try:
        for args, env, token in (
                (["--token-file", str(token_file)], None, "from-a-file-0123456789"),
                ([], {"AIFB_PROM_TOKEN": "from-the-environment-42"}, "from-the-environment-42")):
            TokenReceiver.seen.clear()
            mon = Monitor("--remote-write", url, "--duration", "300ms", "--interval", "100ms",
                          "--no-gpu", "--log-level", "debug", *args, env=env)
            assert mon.wait(30) == 0
            log = mon.finish()
            assert TokenReceiver.seen and set(TokenReceiver.seen) == {"Bearer " + token}
            assert token not in log and "token=(set)" in log, log
    finally:
        server.shutdown()
        server.server_close()


def libcurl_mapped(pid):
    with open("/proc/%d/maps" % pid) as f:
        return "libcurl" in f.read()


def test_https_goes_through_libcurl_loaded_on_demand_which_checks_the_certificate(tmp_path):
    """Plain http:// is spoken by the monitor itself (no libcurl in the process); https:// loads
    libcurl, which checks the server's certificate: a self-signed one is refused, nothing is
    sent, and the reason is in the log."""
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    TokenReceiver.seen.clear()
    server = http.server.HTTPServer(("127.0.0.1", 0), TokenReceiver)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(cert), str(key))
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    plain = Monitor("--remote-write", "http://127.0.0.1:%d/api/v1/write" % free_port(),
                    "--interval", "100ms", "--no-gpu")
    tls = Monitor("--remote-write", "https://127.0.0.1:%d/api/v1/write" % server.server_port,
                  "--interval", "100ms", "--no-gpu")
    try:
        wait_until(lambda: "unreachable" in plain.text() and "unreachable" in tls.text(), 30,
                   "both monitors' first failed push")
        assert not libcurl_mapped(plain.proc.pid)
        assert libcurl_mapped(tls.proc.pid)
        assert plain.stop() == 0 and tls.stop() == 0
        assert "Connection refused" in plain.finish()
        log = tls.finish()
        assert "certificate" in log, log
        assert TokenReceiver.seen == [], "nothing is sent to a server whose certificate fails"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("args,message", [
    (["--pid", "1"], "--remote-write URL is required"),
    (["--remote-write", "http://x/", "--interval", "0"], "--interval: 0 ms is not between"),
    (["--remote-write", "http://x/", "--label", "role"], "--label: 'role' is not NAME=VALUE"),
    (["--remote-write", "http://x/", "--memory-buffer", "lots"], "--memory-buffer: 'lots'"),
    (["--remote-write", "http://x/", "--pid", "4194303"], "process 4194303 does not exist"),
])
def test_bad_options_are_refused_naming_them(args, message):
    mon = Monitor(*args)
    rc = mon.wait(15)
    log = mon.finish()
    assert rc == (1 if "does not exist" in message else 2), log
    assert message in log, log
