"""aifb-llmsim seen from a plain Python client: OpenAI shapes streamed and not, the latencies it
is told (TTFT, inter-token gaps, queueing at --max-num-seqs), each injected fault, HTTP errors,
pipelining, /metrics in Prometheus text format, and a clean exit on SIGTERM (the tests run the
sanitizer build: no leak or error report may appear in its log)."""

import http.client
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import tempfile
import threading
import time

import pytest

from aifbtest import BIN

MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


class Sim:
    """One aifb-llmsim on 127.0.0.1, a free port, its stderr in a temporary file."""

    def __init__(self, *args):
        fd, self.log_path = tempfile.mkstemp(prefix="llmsim-", suffix=".log")
        self.stopped = False
        with os.fdopen(fd, "wb") as log:
            self.proc = subprocess.Popen(
                [os.path.join(BIN, "aifb-llmsim"), "--listen", "127.0.0.1:0", *args],
                stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            m = re.search(r"aifb-llmsim: listening on 127\.0\.0\.1:(\d+)", self.log())
            if m:
                self.port = int(m.group(1))
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        self.proc.kill()
        self.proc.wait()
        raise AssertionError("aifb-llmsim did not start:\n" + self.log())

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def stop(self):
        """SIGTERM: it must exit 0 with nothing from the sanitizers."""
        if self.stopped:
            return
        self.stopped = True
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("aifb-llmsim ignored SIGTERM:\n" + self.log())
        log = self.log()
        os.unlink(self.log_path)
        reports = [line for line in log.splitlines() if any(m in line for m in MARKS)]
        assert not reports, "sanitizer reports:\n" + log
        assert self.proc.returncode == 0, "exit %s:\n%s" % (self.proc.returncode, log)

    def conn(self):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def call(self, method, path, body=None, headers=None):
        c = self.conn()
        try:
            data = json.dumps(body) if isinstance(body, (dict, list)) else body
            h = {"Content-Type": "application/json"}
            h.update(headers or {})
            c.request(method, path, body=data, headers=h)
            r = c.getresponse()
            return r.status, dict(r.getheaders()), r.read()
        finally:
            c.close()

    def post(self, path, body):
        status, headers, data = self.call("POST", path, body)
        return status, headers, json.loads(data) if data else None

    def metrics(self):
        status, _, data = self.call("GET", "/metrics")
        assert status == 200
        return parse_prometheus(data.decode())


@pytest.fixture
def start_sim():
    """start_sim(*options) -> Sim; every one is stopped (and checked) after the test."""
    sims = []

    def start(*args):
        s = Sim(*args)
        sims.append(s)
        return s

    yield start
    for s in sims:
        s.stop()


@pytest.fixture(scope="module")
def sim():
    s = Sim("--model", "sim-model", "--embedding-dim", "16")
    yield s
    s.stop()


def parse_prometheus(text):
    """{(name, frozenset(labels)): value}; every line must be a comment or a sample."""
    samples = {}
    line_re = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? ([-+0-9.eE]+|\+Inf|NaN)$')
    for line in text.splitlines():
        if not line or line.startswith("#"):
            assert re.match(r"^(# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*)?$", line), line
            continue
        m = line_re.match(line)
        assert m, "not a Prometheus sample: %r" % line
        labels = dict(re.findall(r'([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
        samples[(m.group(1), frozenset(labels.items()))] = float(m.group(4))
    return samples


def value(samples, name, **labels):
    for (n, ls), v in samples.items():
        if n == name and all(dict(ls).get(k) == str(x) for k, x in labels.items()):
            return v
    raise KeyError(name)


def chat(max_tokens=8, stream=True, usage=False, content="one two three"):
    body = {"model": "x", "messages": [{"role": "user", "content": content}],
            "max_tokens": max_tokens, "stream": stream}
    if usage:
        body["stream_options"] = {"include_usage": True}
    return body


class Stream:
    """A raw-socket streamed request: each SSE event with the time it arrived (seconds since the
    request was sent), so timings are measured as close to the socket as Python gets."""

    def __init__(self, port, path, body, timeout=30):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        data = json.dumps(body).encode()
        req = ("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
               "Content-Length: %d\r\n\r\n" % (path, len(data))).encode() + data
        self.t0 = time.monotonic()
        self.sock.sendall(req)
        self.buf = b""
        self.events = []  # (seconds, data text)
        self.status = None
        self.headers = {}
        self.headers_at = None
        self.ended = False

    def _recv(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed")
        self.buf += chunk
        return time.monotonic() - self.t0

    def read_head(self):
        while b"\r\n\r\n" not in self.buf:
            self.headers_at = self._recv()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode().split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {k.lower(): v.strip() for k, v in (x.split(":", 1) for x in lines[1:])}
        return self

    def read_all(self):
        """Reads the chunked body to its end, splitting events as their bytes arrive."""
        if self.status is None:
            self.read_head()
        assert self.headers.get("transfer-encoding") == "chunked", self.headers
        sse, t = b"", time.monotonic() - self.t0
        while True:
            while b"\r\n" not in self.buf:
                t = self._recv()
            size_line, rest = self.buf.split(b"\r\n", 1)
            size = int(size_line, 16)
            while len(rest) < size + 2:
                t = self._recv()
                rest = self.buf.split(b"\r\n", 1)[1]
            assert rest[size:size + 2] == b"\r\n"
            self.buf = rest[size + 2:]
            if size == 0:
                self.ended = True
                break
            sse += rest[:size]
            while b"\n\n" in sse:
                event, sse = sse.split(b"\n\n", 1)
                assert event.startswith(b"data: "), event
                self.events.append((t, event[6:].decode()))
        self.sock.close()
        return self

    def json_events(self):
        return [json.loads(d) for _, d in self.events if d != "[DONE]"]


# ---- shapes ----------------------------------------------------------------------------------

def test_a_streamed_chat_request_gives_its_tokens_a_usage_chunk_and_done(sim):
    s = Stream(sim.port, "/v1/chat/completions", chat(8, usage=True)).read_all()
    assert s.status == 200
    assert s.headers["content-type"].startswith("text/event-stream")
    assert s.events[-1][1] == "[DONE]"
    chunks = s.json_events()
    content = [c for c in chunks if c["choices"]]
    text = "".join(c["choices"][0]["delta"]["content"] for c in content)
    assert text.split() == ["tok"] * 8
    assert content[0]["choices"][0]["delta"]["role"] == "assistant"
    assert [c["choices"][0]["finish_reason"] for c in content] == [None] * 7 + ["length"]
    for c in chunks:
        assert c["object"] == "chat.completion.chunk" and c["model"] == "sim-model"
        assert c["id"] == chunks[0]["id"] and isinstance(c["created"], int)
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"] == {"prompt_tokens": 3, "completion_tokens": 8, "total_tokens": 11}


def test_a_streamed_completion_without_usage(sim):
    s = Stream(sim.port, "/v1/completions",
               {"prompt": "a b", "max_tokens": 3, "stream": True}).read_all()
    chunks = s.json_events()
    assert [c["choices"][0]["text"] for c in chunks] == [" tok"] * 3
    assert all(c["object"] == "text_completion" for c in chunks)
    assert chunks[-1]["choices"][0]["finish_reason"] == "length"
    assert "usage" not in chunks[-1] and s.events[-1][1] == "[DONE]" and s.ended


def test_non_streamed_shapes_on_one_kept_alive_connection(sim):
    c = sim.conn()
    try:
        def call(method, path, body=None):
            c.request(method, path, body=json.dumps(body) if body else None,
                      headers={"Content-Type": "application/json"})
            r = c.getresponse()
            return r.status, r.read()

        st, data = call("POST", "/v1/chat/completions", chat(5, stream=False))
        r = json.loads(data)
        assert st == 200 and r["object"] == "chat.completion" and r["model"] == "sim-model"
        assert r["choices"][0]["message"] == {"role": "assistant", "content": " tok" * 5}
        assert r["choices"][0]["finish_reason"] == "length"
        assert r["usage"] == {"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8}

        st, data = call("POST", "/v1/completions", {"prompt": "x y z w", "max_tokens": 2})
        r = json.loads(data)
        assert r["object"] == "text_completion" and r["choices"][0]["text"] == " tok tok"
        assert r["usage"]["prompt_tokens"] == 4

        st, data = call("POST", "/v1/embeddings", {"input": ["hello world", "hi"]})
        r = json.loads(data)
        assert st == 200 and r["object"] == "list" and len(r["data"]) == 2
        vec = r["data"][0]["embedding"]
        assert len(vec) == 16 and abs(sum(v * v for v in vec) - 1) < 1e-3
        assert r["usage"] == {"prompt_tokens": 3, "total_tokens": 3}
        st, data = call("POST", "/v1/embeddings", {"input": "hello world"})
        assert json.loads(data)["data"][0]["embedding"] == vec, "the same text, the same vector"

        st, data = call("GET", "/v1/models")
        r = json.loads(data)
        assert r["object"] == "list" and r["data"][0]["id"] == "sim-model"
        assert r["data"][0]["object"] == "model"

        st, data = call("GET", "/health")
        assert st == 200
    finally:
        c.close()


def test_max_tokens_default_and_cap(start_sim):
    s = start_sim("--output-tokens", "6", "--max-output-tokens", "10")
    _, _, r = s.post("/v1/completions", {"prompt": "x"})
    assert r["usage"]["completion_tokens"] == 6
    _, _, r = s.post("/v1/chat/completions", chat(50, stream=False))
    assert r["usage"]["completion_tokens"] == 10


def test_tokens_per_chunk_groups_tokens_after_the_first(start_sim):
    s = start_sim("--tokens-per-chunk", "4")
    ev = Stream(s.port, "/v1/completions",
                {"prompt": "x", "max_tokens": 10, "stream": True}).read_all().json_events()
    assert [len(c["choices"][0]["text"].split()) for c in ev] == [1, 4, 4, 1]


def test_pipelined_requests_are_answered_in_order(sim):
    body = json.dumps({"prompt": "x", "max_tokens": 2}).encode()
    post = (b"POST /v1/completions HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n"
            % len(body)) + body
    stream_body = json.dumps({"prompt": "x", "max_tokens": 2, "stream": True}).encode()
    stream = (b"POST /v1/completions HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n"
              % len(stream_body)) + stream_body
    everything = (b"GET /health HTTP/1.1\r\nHost: a\r\n\r\n" + post + stream + post +
                  b"GET /v1/models HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    with socket.create_connection(("127.0.0.1", sim.port), timeout=10) as sock:
        sock.sendall(everything)
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    statuses = re.findall(rb"HTTP/1.1 (\d+) ", data)
    assert statuses == [b"200"] * 5, data
    # In order: health (empty), completion, stream, completion, models.
    assert data.index(b"text/event-stream") < data.rindex(b'"text_completion"')
    assert data.index(b"[DONE]") < data.index(b'"object":"list"')
    assert data.count(b'"text":" tok tok"') == 2


# ---- timing ----------------------------------------------------------------------------------

def test_ttft_and_inter_token_gaps_are_the_ones_given(start_sim):
    s = start_sim("--ttft-ms", "50", "--itl-ms", "20")
    ttfts, gaps = [], []
    for _ in range(5):
        st = Stream(s.port, "/v1/chat/completions", chat(10)).read_all()
        times = [t for t, d in st.events if d != "[DONE]"]
        assert len(times) == 10
        ttfts.append(times[0] * 1000)
        gaps += [(b - a) * 1000 for a, b in zip(times, times[1:])]
    assert abs(statistics.median(ttfts) - 50) < 5, ttfts
    assert abs(statistics.median(gaps) - 20) < 5, gaps
    assert min(ttfts) >= 49, "never early: %s" % ttfts
    # Not streamed: the answer comes when the last token is due, 50 + 9 * 20 ms.
    t0 = time.monotonic()
    status, _, r = s.post("/v1/completions", {"prompt": "x", "max_tokens": 10})
    took = (time.monotonic() - t0) * 1000
    assert status == 200 and 229 <= took < 260, took
    m = s.metrics()
    assert value(m, "vllm:time_to_first_token_seconds_count", model_name="aifb-sim") == 6
    assert value(m, "vllm:inter_token_latency_seconds_count", model_name="aifb-sim") == 6 * 9


def test_the_schedule_does_not_drift(start_sim):
    # 400 tokens 2 ms apart: each due time is absolute, so the last is due at 798 ms however
    # late any single wakeup was.
    s = start_sim("--itl-ms", "2")
    st = Stream(s.port, "/v1/completions",
                {"prompt": "x", "max_tokens": 400, "stream": True}).read_all()
    times = [t for t, d in st.events if d != "[DONE]"]
    assert len(times) == 400
    assert 0.798 <= times[-1] < 0.815, times[-1]  # seconds since the request was sent


def test_prefill_time_grows_ttft_with_the_prompt(start_sim):
    s = start_sim("--ttft-ms", "10", "--prefill-ms-per-token", "8")
    st = Stream(s.port, "/v1/chat/completions", chat(2, content="w " * 10)).read_all()
    assert 0.089 <= st.events[0][0] < 0.13, st.events[0][0]  # 10 + 10 words * 8 ms


def test_drawn_delays_are_reproducible_from_the_seed(start_sim):
    def ttft_sum(seed):
        s = start_sim("--ttft-ms", "20", "--ttft-dist", "normal", "--ttft-stddev-ms", "10",
                      "--itl-dist", "exponential", "--itl-ms", "1", "--seed", str(seed))
        for _ in range(4):
            s.post("/v1/completions", {"prompt": "x", "max_tokens": 3})
        m = s.metrics()
        return (value(m, "vllm:time_to_first_token_seconds_sum"),
                value(m, "vllm:inter_token_latency_seconds_sum"))

    a, b, c = ttft_sum(5), ttft_sum(5), ttft_sum(6)
    assert a == b, "the same seed draws the same delays"
    assert a != c


def test_with_two_slots_four_requests_queue_and_two_see_double_ttft(start_sim):
    s = start_sim("--ttft-ms", "300", "--max-num-seqs", "2")
    ttfts = []
    lock = threading.Lock()

    def one():
        st = Stream(s.port, "/v1/completions", {"prompt": "x", "max_tokens": 3, "stream": True})
        st.read_all()
        with lock:
            ttfts.append(st.events[0][0] * 1000)

    threads = [threading.Thread(target=one) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.15)
    m = s.metrics()
    waiting = value(m, "vllm:num_requests_waiting", model_name="aifb-sim")
    running = value(m, "vllm:num_requests_running", model_name="aifb-sim")
    for t in threads:
        t.join()
    assert waiting == 2 and running == 2, (waiting, running)
    ttfts.sort()
    assert all(290 <= t < 360 for t in ttfts[:2]), ttfts
    # Two TTFTs: the wait for a slot and its own (each client's clock starts when its thread
    # gets to send, a few ms apart on a busy machine).
    assert all(570 <= t < 680 for t in ttfts[2:]), ttfts
    m = s.metrics()
    assert value(m, "vllm:num_requests_waiting", model_name="aifb-sim") == 0
    queue_sum = value(m, "vllm:request_queue_time_seconds_sum", model_name="aifb-sim")
    assert 0.55 < queue_sum < 0.7, queue_sum  # two requests waited ~0.3 s each


# ---- error injection -------------------------------------------------------------------------

def fault_count(s, kind):
    return value(s.metrics(), "aifb_llmsim_injected_faults_total", kind=kind)


def test_injected_errors_answer_the_status_with_an_error_body(start_sim):
    s = start_sim("--error-rate", "1", "--error-status", "503")
    status, _, r = s.post("/v1/chat/completions", chat(4, stream=False))
    assert status == 503 and r["error"]["code"] == 503 and "injected" in r["error"]["message"]
    assert fault_count(s, "error") == 1


def test_injected_rate_limits_answer_429_with_retry_after(start_sim):
    s = start_sim("--rate-limit-rate", "1", "--retry-after-s", "3")
    status, headers, r = s.post("/v1/completions", {"prompt": "x", "stream": True})
    assert status == 429 and headers["Retry-After"] == "3"
    assert r["error"]["type"] == "rate_limit_error"
    assert fault_count(s, "rate_limit") == 1


def test_injected_resets_cut_a_stream_halfway(start_sim):
    s = start_sim("--reset-rate", "1", "--itl-ms", "5")
    st = Stream(s.port, "/v1/chat/completions", chat(20))
    with pytest.raises(ConnectionResetError):
        st.read_all()
    tokens = sum(len(json.loads(d)["choices"][0]["delta"]["content"].split())
                 for _, d in st.events)
    assert 5 <= tokens <= 15, tokens
    assert all(d != "[DONE]" for _, d in st.events)
    with pytest.raises((ConnectionResetError, http.client.RemoteDisconnected)):
        s.post("/v1/completions", {"prompt": "x", "max_tokens": 4})
    assert fault_count(s, "reset") == 2


def test_injected_malformed_lines_come_once_mid_stream(start_sim):
    s = start_sim("--malformed-rate", "1")
    st = Stream(s.port, "/v1/completions",
                {"prompt": "x", "max_tokens": 10, "stream": True}).read_all()
    bad, tokens = [], 0
    for i, (_, d) in enumerate(st.events[:-1]):
        try:
            tokens += len(json.loads(d)["choices"][0]["text"].split())
        except json.JSONDecodeError:
            bad.append(i)
    assert bad == [5], bad  # after half the tokens
    assert tokens == 10 and st.events[-1][1] == "[DONE]"
    status, _, data = s.call("POST", "/v1/completions", json.dumps({"prompt": "x"}))
    with pytest.raises(json.JSONDecodeError):
        json.loads(data)
    assert fault_count(s, "malformed") == 2


def test_injected_hangs_never_answer(start_sim):
    s = start_sim("--hang-rate", "1")
    with socket.create_connection(("127.0.0.1", s.port), timeout=0.5) as sock:
        body = json.dumps(chat(2)).encode()
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nContent-Length: %d\r\n\r\n%s"
                     % (len(body), body))
        with pytest.raises(socket.timeout):
            sock.recv(100)
        assert fault_count(s, "hang") == 1
        m = s.metrics()
        assert value(m, "vllm:num_requests_running", model_name="aifb-sim") == 0


def test_slow_headers_hold_the_answer(start_sim):
    s = start_sim("--slow-headers-ms", "300")
    st = Stream(s.port, "/v1/completions",
                {"prompt": "x", "max_tokens": 2, "stream": True}).read_head()
    assert st.status == 200 and 0.29 <= st.headers_at < 0.4, st.headers_at
    st.read_all()
    assert fault_count(s, "slow_headers") == 1


# ---- HTTP errors -----------------------------------------------------------------------------

def test_bad_requests_get_openai_error_bodies_naming_the_problem(sim):
    status, _, r = sim.post("/v1/chat/completions", "{not json")
    assert status == 400 and r["error"]["type"] == "invalid_request_error"
    assert "not valid JSON" in r["error"]["message"] and r["error"]["code"] == 400
    status, _, r = sim.post("/v1/chat/completions", {"model": "x"})
    assert status == 400 and "'messages' is required" in r["error"]["message"]
    status, _, r = sim.post("/v1/completions", {"prompt": "x", "max_tokens": -1})
    assert status == 400 and "max_tokens" in r["error"]["message"]
    status, _, data = sim.call("GET", "/v1/nothing")
    assert status == 404 and "/v1/nothing" in json.loads(data)["error"]["message"]
    status, headers, data = sim.call("GET", "/v1/chat/completions")
    assert status == 405 and headers["Allow"] == "POST"
    assert json.loads(data)["error"]["code"] == 405


def raw(port, request):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return data
            data += chunk


def test_oversized_chunked_and_malformed_requests(start_sim):
    s = start_sim("--max-body-bytes", "1024")
    data = raw(s.port, b"POST /v1/completions HTTP/1.1\r\nContent-Length: 2000\r\n\r\n" +
               b"x" * 2000)
    assert data.startswith(b"HTTP/1.1 413 ") and b"over the limit" in data
    data = raw(s.port, b"POST /v1/completions HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"2\r\n{}\r\n0\r\n\r\n")
    assert data.startswith(b"HTTP/1.1 411 ")
    data = raw(s.port, b"HELLO\r\n\r\n")
    assert data.startswith(b"HTTP/1.1 400 ") and b"Connection: close" in data


# ---- metrics ---------------------------------------------------------------------------------

def test_metrics_have_vllm_names_with_the_model_label(start_sim):
    s = start_sim("--model", "m-1")
    for _ in range(3):
        s.post("/v1/chat/completions", chat(4, stream=False))
    Stream(s.port, "/v1/completions", {"prompt": "a b", "max_tokens": 5, "stream": True}).read_all()
    status, headers, data = s.call("GET", "/metrics")
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4")
    m = parse_prometheus(data.decode())
    assert all(dict(labels).get("model_name") == "m-1" for _, labels in m)
    names = {n for n, _ in m}
    for h in ("vllm:time_to_first_token_seconds", "vllm:inter_token_latency_seconds",
              "vllm:time_per_output_token_seconds", "vllm:e2e_request_latency_seconds",
              "vllm:request_queue_time_seconds"):
        assert {h + "_bucket", h + "_sum", h + "_count"} <= names, h
        buckets = sorted((float(dict(ls)["le"]), v) for (n, ls), v in m.items()
                         if n == h + "_bucket")
        counts = [v for _, v in buckets]
        assert counts == sorted(counts) and buckets[-1][0] == float("inf")
        assert buckets[-1][1] == value(m, h + "_count")
    for g in ("vllm:num_requests_running", "vllm:num_requests_waiting"):
        assert value(m, g) == 0
    assert value(m, "vllm:request_success_total", model_name="m-1") == 4
    assert value(m, "vllm:generation_tokens_total") == 3 * 4 + 5
    assert value(m, "vllm:prompt_tokens_total") == 3 * 3 + 2
    assert value(m, "vllm:e2e_request_latency_seconds_count") == 4
    assert value(m, "vllm:inter_token_latency_seconds_count") == 3 * 3 + 4
    for kind in ("error", "rate_limit", "reset", "malformed", "hang", "slow_headers"):
        assert value(m, "aifb_llmsim_injected_faults_total", kind=kind) == 0


# ---- the process -----------------------------------------------------------------------------

def test_sigterm_mid_stream_exits_0_with_everything_freed(start_sim):
    s = start_sim("--itl-ms", "10")
    streams = [Stream(s.port, "/v1/chat/completions", chat(1000)).read_head() for _ in range(3)]
    held = socket.create_connection(("127.0.0.1", s.port))  # idle keep-alive connection
    time.sleep(0.1)
    s.stop()  # asserts exit 0 and no sanitizer report
    held.close()
    for st in streams:
        st.sock.close()


def test_bad_options_exit_2_naming_the_option(start_sim):
    r = subprocess.run([os.path.join(BIN, "aifb-llmsim"), "--ttft-ms", "soon"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "--ttft-ms: 'soon'" in r.stderr
    r = subprocess.run([os.path.join(BIN, "aifb-llmsim"), "--help"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and "--max-num-seqs" in r.stdout
