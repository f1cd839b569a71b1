"""Contract tests of aifb-logship against Loki's push API, as Loki documents it.

Loki cannot be installed from the registries this project reaches, so the other side is
tests/lokiserver.py: a receiver that decodes snappy protobuf (by hand, from Loki's field numbers,
not from the project's proto file) and JSON, checks what Loki checks (labels, UTF-8, order within
a stream), drops exact duplicates as Loki does, and answers 204, or 400, 429 or 500 on demand, or
goes down (connection refused) and comes back. What these tests assert is what a user of Loki
would see: which lines are stored, once or twice, in which order, under which labels; and what
aifb-logship itself says (exit status, its counters line, its positions file).

aifb-logship comes from $AIFB_BIN_DIR (scripts/test.sh points it at the sanitizer build); a
sanitizer report in its output fails the test that ran it."""

import json
import os
import signal
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import pytest

from aifbtest import BIN, free_port
from lokiserver import LokiServer

LOGSHIP = os.path.join(BIN, "aifb-logship")
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


@pytest.fixture
def workdir():
    d = tempfile.mkdtemp(prefix="aifb-logship-", dir="/tmp")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def loki():
    server = LokiServer().start()
    yield server
    server.stop()


class Shipper:
    """One aifb-logship process, started as aifbd starts it beside a service."""

    def __init__(self, workdir, url, files=("service.out", "service.err"), spool=True,
                 extra=(), env=None):
        self.dir = workdir
        self.positions = os.path.join(workdir, "logship.positions")
        self.spool = os.path.join(workdir, "logship-spool")
        self.log_path = os.path.join(workdir, "logship.log")
        self.args = [LOGSHIP, "--loki-url", url]
        for f in files:
            self.args += ["--file", os.path.join(workdir, f)]
        self.args += ["--label", "run_id=r-contract", "--label", "role=service",
                      "--positions", self.positions]
        if spool:
            self.args += ["--spool", self.spool]
        self.args += list(extra)
        self.env = dict(os.environ)
        self.env.pop("AIFB_LOKI_TOKEN", None)
        self.env.pop("AIFB_RUN_ID", None)
        self.env.update(env or {})
        self.proc = None

    def start(self):
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.args, stdout=log, stderr=subprocess.STDOUT,
                                     env=self.env, start_new_session=True)
        log.close()
        return self

    def wait(self, timeout=60):
        """Waits for the process to end by itself; its exit status."""
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("aifb-logship did not exit within %ss:\n%s" % (
                timeout, self.log()))
        self.check_sanitizers()
        return rc

    def stop(self, sig=signal.SIGTERM, timeout=60):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.wait(timeout)

    def kill9(self):
        self.proc.kill()
        self.proc.wait()

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def check_sanitizers(self):
        bad = [ln for ln in self.log().splitlines() if any(m in ln for m in SANITIZER_MARKS)]
        assert not bad, "sanitizer reports:\n%s\n%s" % ("\n".join(bad), self.log()[-6000:])

    def stats(self):
        """The counters of the last "done:" line aifb-logship printed."""
        done = [ln for ln in self.log().splitlines() if "aifb-logship: done: " in ln]
        assert done, "no counters line in:\n" + self.log()[-4000:]
        return {k: float(v) if "." in v else int(v) for k, v in
                (kv.split("=") for kv in done[-1].split("done: ", 1)[1].split())}

    def saved(self):
        """path -> offset from the positions file ({} before it is first written)."""
        try:
            with open(self.positions) as f:
                return {e["path"]: e["offset"] for e in json.load(f)["files"]}
        except FileNotFoundError:
            return {}

    def cleanup(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def shippers():
    """Every Shipper a test makes is killed at the end if it still runs."""
    made = []
    yield made
    for s in made:
        s.cleanup()


def ship(shippers, *args, **kw):
    s = Shipper(*args, **kw)
    shippers.append(s)
    return s.start()


def numbered(prefix, start, n, width=40):
    """n lines "prefix 0000042 xxxx..." padded to width bytes (without the newline)."""
    pad = "x" * max(0, width - len(prefix) - 9)
    return ["%s %07d %s" % (prefix, i, pad) for i in range(start, start + n)]


def append(path, lines, mode="a"):
    with open(path, mode) as f:
        f.write("".join(ln + "\n" for ln in lines))


def wait_until(pred, timeout=30, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError("timed out after %ss waiting for %s" % (timeout, what))


def assert_strictly_increasing(stream):
    ts = stream.ts
    assert all(a < b for a, b in zip(ts, ts[1:])), "timestamps not strictly increasing"


# ---- volume and outages ------------------------------------------------------------------------

def test_a_million_lines_written_while_loki_is_down_arrive_once_and_in_order(workdir, shippers):
    """1,000,000 lines (half stdout, half stderr) written while the receiver is down for 10 s:
    the batches go to the spool, and once Loki is back every line is stored exactly once, in the
    order it was written, within its stream."""
    port = free_port()
    loki = LokiServer(port)  # not started: connections are refused
    s = ship(shippers, workdir, loki.url, extra=["--backoff-max", "1s"])
    down_at = time.monotonic()
    per = 500_000
    want = {"stdout": numbered("out", 0, per), "stderr": numbered("err", 0, per)}
    for i in range(0, per, 50_000):
        append(os.path.join(workdir, "service.out"), want["stdout"][i:i + 50_000])
        append(os.path.join(workdir, "service.err"), want["stderr"][i:i + 50_000])
    time.sleep(max(0, 10 - (time.monotonic() - down_at)))
    assert not loki.requests
    loki.up()
    try:
        got = loki.wait_lines(2 * per, timeout=90)
        assert got == 2 * per, "%d of %d lines arrived" % (got, 2 * per)
        assert s.stop() == 0
        for name in ("stdout", "stderr"):
            st = loki.stream(stream=name, run_id="r-contract", role="service", app="aifb")
            assert st.lines == want[name], "stream %s: lines missing, repeated or out of order" % name
            assert_strictly_increasing(st)
        assert loki.problems == [] and loki.duplicates == 0
        stats = s.stats()
        assert stats["lines_read"] == 2 * per and stats["lines_sent"] == 2 * per, stats
        assert stats["lines_spooled"] > 0 and stats["lines_dropped"] == 0, stats
        assert stats["retries"] > 0, stats
        assert stats["spool_records"] == 0, stats
    finally:
        loki.stop()


def test_kill_9_then_restart_loses_nothing_and_repeats_only_after_the_saved_position(
        workdir, shippers, loki):
    """aifb-logship killed with SIGKILL while lines are being written and shipped, then started
    again on the same positions file and spool: every line arrives, and a line arrives twice only
    if it lies after the offset the positions file held at the kill."""
    path = os.path.join(workdir, "service.out")
    lines = numbered("k", 0, 200_000)
    args = dict(files=("service.out",), extra=["--batch-bytes", "64KiB"])
    s = ship(shippers, workdir, loki.url, **args)
    append(path, lines[:100_000])
    loki.wait_lines(40_000, timeout=30)
    s.kill9()
    saved = s.saved().get(path, 0)
    assert 0 < saved <= 100_000 * 41
    append(path, lines[100_000:])
    s2 = ship(shippers, workdir, loki.url, **args)
    # Lines of a stream arrive in order: the last one means all of them.
    wait_until(lambda: loki.stream(stream="stdout").lines[-1:] == lines[-1:], 60,
               "every line after the restart")
    assert s2.stop() == 0
    got = loki.stream(stream="stdout").lines
    counts = {}
    for ln in got:
        counts[ln] = counts.get(ln, 0) + 1
    first_after = saved // 41  # every line is 41 bytes with its newline
    for i, ln in enumerate(lines):
        if i < first_after:
            assert counts[ln] == 1, "line %d (before the saved offset) arrived %d times" % (
                i, counts[ln])
        else:
            assert counts[ln] in (1, 2), "line %d arrived %d times" % (i, counts[ln])
    assert loki.problems == []


# ---- files that change under the shipper -------------------------------------------------------

class Writer(threading.Thread):
    """Writes numbered lines to a file as an application would, until told to stop; rotate()
    renames the file away and reopens the name after writing a few more lines to the old file
    (as a logger does once told of the rotation)."""

    def __init__(self, path, prefix):
        super().__init__(daemon=True)
        self.path, self.prefix = path, prefix
        self.written = []
        self.running = threading.Event()
        self.running.set()
        self.idle = threading.Event()  # set by the thread once it has seen running cleared
        self.done = threading.Event()
        self.action = None
        self.lock = threading.Lock()
        self.f = open(path, "a")

    def run(self):
        i = 0
        while not self.done.is_set():
            if not self.running.is_set():
                self.idle.set()
                time.sleep(0.01)
                continue
            self.idle.clear()
            with self.lock:
                batch = ["%s %07d" % (self.prefix, k) for k in range(i, i + 50)]
                self.f.write("".join(ln + "\n" for ln in batch))
                self.f.flush()
                self.written += batch
                i += 50
                if self.action:
                    self.action()
                    self.action = None
            time.sleep(0.002)
        self.f.close()

    def rotate_by_rename(self):
        done = threading.Event()

        def act():
            os.rename(self.path, self.path + ".1")
            for k in range(3):  # still going to the old file
                ln = "%s old-after-rename %d" % (self.prefix, k)
                self.f.write(ln + "\n")
                self.written.append(ln)
            self.f.close()
            self.f = open(self.path, "a")
            done.set()

        self.action = act
        done.wait(10)

    def pause(self):
        """Returns once the thread has stopped writing (until running is set again)."""
        self.idle.clear()
        self.running.clear()
        assert self.idle.wait(10)

    def stop(self):
        self.done.set()
        self.join(10)


@pytest.mark.parametrize("watch", ["inotify", "polling"])
def test_rotation_by_rename_while_writing_loses_and_repeats_nothing(workdir, shippers, loki,
                                                                    watch):
    path = os.path.join(workdir, "app.out")
    extra = ["--rotate-wait", "1s"] + (["--no-inotify", "--poll-interval", "100ms"]
                                       if watch == "polling" else [])
    s = ship(shippers, workdir, loki.url, files=("app.out",), extra=extra)
    w = Writer(path, "rot")
    w.start()
    time.sleep(0.5)
    w.rotate_by_rename()
    time.sleep(0.5)
    w.rotate_by_rename()  # app.out.1 is replaced: the first rotated file is gone by then
    time.sleep(0.5)
    w.stop()
    loki.wait_lines(len(w.written), timeout=30)
    assert s.stop() == 0
    st = loki.stream(stream="stdout")
    assert st.lines == w.written
    assert_strictly_increasing(st)
    assert s.stats()["rotations"] == 2


def pause_and_catch_up(w, loki):
    """Stops the writer and waits until everything it wrote has arrived."""
    w.pause()
    n = len(w.written)
    assert loki.wait_lines(n, timeout=30) == n


def test_copytruncate_and_truncation_while_writing(workdir, shippers, loki):
    """copytruncate (the file copied, then truncated in place while the writer goes on with
    O_APPEND) and a plain truncation: reading starts again at 0 and no line is lost or repeated.
    What is written between the copy and the truncation cannot be read by anyone, as with every
    copytruncate, so the writer pauses around those two steps."""
    path = os.path.join(workdir, "app.out")
    s = ship(shippers, workdir, loki.url, files=("app.out",))
    w = Writer(path, "ct")
    w.start()
    time.sleep(0.4)
    pause_and_catch_up(w, loki)
    shutil.copyfile(path, path + ".1")
    os.truncate(path, 0)
    w.running.set()
    time.sleep(0.4)
    pause_and_catch_up(w, loki)
    with open(path, "r+") as f:
        f.truncate(0)
    w.running.set()
    time.sleep(0.4)
    w.stop()
    loki.wait_lines(len(w.written), timeout=30)
    assert s.stop() == 0
    assert loki.stream(stream="stdout").lines == w.written
    assert s.stats()["truncations"] == 2


def test_a_deleted_file_is_read_to_its_end_and_forgotten(workdir, shippers, loki):
    path = os.path.join(workdir, "service.err")
    append(path, ["before delete 1", "before delete 2"])
    s = ship(shippers, workdir, loki.url, files=("service.err",),
             extra=["--rotate-wait", "300ms"])
    loki.wait_lines(2)
    with open(path, "a") as f:
        os.unlink(path)
        f.write("written after the unlink\n")  # the writer still holds it
    wait_until(lambda: path not in s.saved(), 10, "the deleted file to leave the positions")
    append(path, ["a new file under the old name"])
    loki.wait_lines(4)
    assert s.stop() == 0
    assert loki.stream(stream="stderr").lines == [
        "before delete 1", "before delete 2", "written after the unlink",
        "a new file under the old name"]
    assert s.stats()["deletions"] == 1


def test_a_file_that_does_not_exist_yet_is_waited_for(workdir, shippers, loki):
    s = ship(shippers, workdir, loki.url)
    time.sleep(0.5)
    append(os.path.join(workdir, "service.out"), ["late"])
    loki.wait_lines(1)
    assert s.stop() == 0
    assert loki.stream(stream="stdout").lines == ["late"]


def test_a_glob_follows_files_created_later(workdir, shippers, loki):
    logs = os.path.join(workdir, "logs")
    os.mkdir(logs)
    append(os.path.join(logs, "a.log"), ["a1"])
    s = ship(shippers, workdir, loki.url, files=(),
             extra=["--glob", os.path.join(logs, "*.log"), "--file-stream",
                    os.path.join(logs, "*.log") + "=app"])
    loki.wait_lines(1)
    append(os.path.join(logs, "b.log"), ["b1"])
    append(os.path.join(logs, "ignored.txt"), ["not matched"])
    append(os.path.join(logs, "a.log"), ["a2"])
    loki.wait_lines(3)
    time.sleep(0.3)
    assert s.stop() == 0
    assert sorted(loki.stream(stream="app").lines) == ["a1", "a2", "b1"]
    assert set(s.saved()) == {os.path.join(logs, "a.log"), os.path.join(logs, "b.log")}


# ---- what is in a line -------------------------------------------------------------------------

def test_a_1_mib_line_arrives_whole(workdir, shippers, loki):
    big = "".join(chr(ord("a") + i % 26) for i in range(1 << 20))
    append(os.path.join(workdir, "service.out"), ["small before", big, "small after"])
    s = ship(shippers, workdir, loki.url)
    loki.wait_lines(3)
    assert s.stop() == 0
    assert loki.stream(stream="stdout").lines == ["small before", big, "small after"]
    assert s.stats()["line_cuts"] == 0


def test_a_binary_line_arrives_as_valid_utf8(workdir, shippers, loki):
    raw = bytes(range(0, 10)) + bytes(range(11, 256)) + b"\xc3\xa9 \xe2\x82 \xf0\x9f\x98\x80"
    with open(os.path.join(workdir, "service.out"), "wb") as f:
        f.write(b"text\n" + raw + b"\r\nend\n")
    s = ship(shippers, workdir, loki.url)
    loki.wait_lines(3)
    assert s.stop() == 0
    assert loki.stream(stream="stdout").lines == [
        "text", raw.decode("utf-8", "replace"), "end"]
    assert s.stats()["lines_repaired"] == 1


# ---- Loki's answers ----------------------------------------------------------------------------

def test_429_and_500_are_retried_and_400_is_dropped_and_counted(workdir, shippers, loki):
    path = os.path.join(workdir, "service.out")
    loki.answers.extend([429, 500])
    s = ship(shippers, workdir, loki.url, spool=False,
             extra=["--backoff-min", "50ms", "--batch-wait", "200ms"])
    append(path, ["retried 1", "retried 2"])
    loki.wait_lines(2)
    assert [r["status"] for r in loki.requests] == [429, 500, 204]
    loki.answers.append(400)
    append(path, ["refused"])
    assert loki.wait_requests(lambda rs: len(rs) == 4)
    append(path, ["after the refusal"])
    loki.wait_lines(3)
    assert s.stop() == 0
    assert loki.stream(stream="stdout").lines == ["retried 1", "retried 2", "after the refusal"]
    stats = s.stats()
    assert stats["retries"] == 2 and stats["lines_refused"] == 1, stats
    assert stats["lines_dropped"] == 1 and stats["lines_sent"] == 3, stats
    assert s.log().count("answer 400 on demand") == 1  # Loki's answer, quoted once


def test_json_mode(workdir, shippers, loki):
    append(os.path.join(workdir, "service.out"), ['{"msg": "quoted \\"json\\""}', "tab\there"])
    s = ship(shippers, workdir, loki.url, extra=["--format", "json"])
    loki.wait_lines(2)
    assert s.stop() == 0
    assert {r["content_type"] for r in loki.requests} == {"application/json"}
    assert loki.stream(stream="stdout").lines == ['{"msg": "quoted \\"json\\""}', "tab\there"]


def test_the_receiver_refuses_a_numeric_json_timestamp(loki):
    """The receiver holds JSON pushes to Loki's rule, so json mode is tested against it."""
    import urllib.error
    import urllib.request
    body = json.dumps({"streams": [{"stream": {"app": "x"}, "values": [[123, "line"]]}]})
    req = urllib.request.Request(loki.url, body.encode(),
                                 {"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=5)
    assert e.value.code == 400 and loki.total_lines() == 0


def test_labels_tenant_and_token(workdir, shippers, loki):
    token_value = "tok-" + os.urandom(8).hex()
    append(os.path.join(workdir, "service.out"), ["o"])
    append(os.path.join(workdir, "service.err"), ["e"])
    s = ship(shippers, workdir, loki.url, extra=["--tenant", "team-a", "--label", "zone=z1"],
             env={"AIFB_LOKI_TOKEN": token_value})
    loki.wait_lines(2)
    assert s.stop() == 0
    node = os.uname().nodename.split(".")[0]
    keys = sorted(dict(k)["stream"] for k in loki.streams)
    assert keys == ["stderr", "stdout"]
    for k in loki.streams:
        labels = dict(k)
        assert set(labels) == {"app", "node", "role", "run_id", "stream", "zone"}, labels
        assert (labels["app"], labels["node"], labels["role"], labels["run_id"],
                labels["zone"]) == ("aifb", node, "service", "r-contract", "z1")
    assert {r["tenant"] for r in loki.requests} == {"team-a"}
    assert {r["auth"] for r in loki.requests} == {"Bearer " + token_value}
    assert token_value not in s.log()


def test_loki_going_down_and_coming_back_mid_stream(workdir, shippers, loki):
    """The listener and the kept-alive connection are closed while lines keep coming: the lines
    written meanwhile arrive once Loki is back, after the earlier ones."""
    path = os.path.join(workdir, "service.out")
    s = ship(shippers, workdir, loki.url, extra=["--backoff-max", "300ms",
                                                 "--batch-wait", "200ms"])
    append(path, numbered("up", 0, 100))
    loki.wait_lines(100)
    loki.down()
    append(path, numbered("down", 0, 100))
    time.sleep(1)
    loki.up()
    append(path, numbered("back", 0, 100))
    loki.wait_lines(300)
    assert s.stop() == 0
    assert loki.stream(stream="stdout").lines == (numbered("up", 0, 100) + numbered("down", 0, 100)
                                                  + numbered("back", 0, 100))
    assert s.stats()["retries"] >= 1


# ---- the spool ---------------------------------------------------------------------------------

def test_the_spool_bound_drops_the_oldest_batches_and_counts_them(workdir, shippers):
    """With Loki down and a 64 KiB spool, the oldest batches are dropped: what arrives once Loki
    is back is the newest lines, in order, and the counters say how many were lost."""
    path = os.path.join(workdir, "service.out")
    port = free_port()
    loki = LokiServer(port)
    lines = ["%07d %s" % (i, os.urandom(24).hex()) for i in range(20_000)]  # hard to compress
    s = ship(shippers, workdir, loki.url, files=("service.out",),
             extra=["--spool-max-bytes", "64KiB", "--batch-bytes", "8KiB", "--backoff-max",
                    "300ms"])
    append(path, lines)
    size = os.path.getsize(path)
    wait_until(lambda: s.saved().get(path) == size, 30, "every line in the spool")
    loki.up()
    try:
        wait_until(lambda: not [f for f in os.listdir(s.spool) if f.endswith(".rec")], 30,
                   "the spool to empty")
        assert s.stop() == 0
        got = loki.stream(stream="stdout").lines
        stats = s.stats()
        assert 0 < len(got) < len(lines)
        assert got == lines[len(lines) - len(got):], "not the newest lines, in order"
        assert stats["spool_dropped_lines"] == len(lines) - len(got), stats
        assert stats["lines_dropped"] == len(lines) - len(got), stats
    finally:
        loki.stop()


def test_sigterm_with_loki_down_spools_and_a_restart_sends_it(workdir, shippers):
    path = os.path.join(workdir, "service.out")
    loki = LokiServer(free_port())
    append(path, ["kept in the spool 1", "kept in the spool 2"])
    s = ship(shippers, workdir, loki.url, files=("service.out",))
    wait_until(lambda: s.saved().get(path) == os.path.getsize(path), 10, "the spool")
    t0 = time.monotonic()
    assert s.stop() == 0
    assert time.monotonic() - t0 < 5, "waited for a Loki that is down"
    assert s.stats()["spool_records"] >= 1
    loki.up()
    try:
        s2 = ship(shippers, workdir, loki.url, files=("service.out",))
        loki.wait_lines(2)
        assert s2.stop() == 0
        assert loki.stream(stream="stdout").lines == ["kept in the spool 1",
                                                      "kept in the spool 2"]
    finally:
        loki.stop()


# ---- the end of a job --------------------------------------------------------------------------

def test_sigterm_pushes_what_is_left_and_exits_0(workdir, shippers, loki):
    path = os.path.join(workdir, "service.out")
    stats_file = os.path.join(workdir, "stats.json")
    s = ship(shippers, workdir, loki.url, extra=["--batch-wait", "60s", "--stats-file",
                                                 stats_file])
    with open(path, "w") as f:
        f.write("complete\nno newline yet")
    wait_until(lambda: os.path.exists(s.positions), 10, "the start")
    time.sleep(0.5)
    assert loki.total_lines() == 0  # held by the 60 s batch wait
    t0 = time.monotonic()
    assert s.stop() == 0
    assert time.monotonic() - t0 < 10
    assert loki.stream(stream="stdout").lines == ["complete", "no newline yet"]
    assert s.saved()[path] == os.path.getsize(path)
    with open(stats_file) as f:
        assert json.load(f) == s.stats()  # the counters line, as JSON
    # A restart repeats nothing.
    s2 = ship(shippers, workdir, loki.url)
    time.sleep(1)
    assert s2.stop() == 0
    assert loki.total_lines() == 2


def test_follow_pid_ships_everything_and_exits_when_the_process_ends(workdir, shippers, loki):
    out = os.path.join(workdir, "service.out")
    job = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\n"
        "f = open(sys.argv[1], 'a')\n"
        "for i in range(500):\n"
        "    f.write('job line %d\\n' % i); f.flush()\n"
        "    time.sleep(0.002)\n"
        "f.write('last words without a newline'); f.close()\n"), out])
    s = ship(shippers, workdir, loki.url, extra=["--follow-pid", str(job.pid)])
    assert job.wait(30) == 0
    assert s.wait(30) == 0  # ends by itself once the job is gone
    want = ["job line %d" % i for i in range(500)] + ["last words without a newline"]
    assert loki.stream(stream="stdout").lines == want
    assert s.saved()[out] == os.path.getsize(out)


def test_follow_pid_of_a_process_already_gone(workdir, shippers, loki):
    append(os.path.join(workdir, "service.out"), ["from a job that already ended"])
    gone = subprocess.Popen(["true"])
    gone.wait()
    s = ship(shippers, workdir, loki.url, extra=["--follow-pid", str(gone.pid)])
    assert s.wait(30) == 0
    assert loki.stream(stream="stdout").lines == ["from a job that already ended"]


def test_a_damaged_positions_file_is_refused(workdir, shippers, loki):
    s = Shipper(workdir, loki.url)
    with open(s.positions, "w") as f:
        f.write("{not json")
    shippers.append(s.start())
    assert s.wait(10) == 1
    assert "damaged" in s.log() and s.positions in s.log()
    assert loki.requests == []
