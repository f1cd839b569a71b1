"""A receiver of Grafana Loki's push API, for the contract tests of aifb-logship (Loki itself
cannot be installed from the registries the project reaches).

It serves POST /loki/api/v1/push on a free loopback port from a thread of its own (one more
thread per connection) and decodes the two bodies Loki takes, as Loki documents them:

- Content-Type application/x-protobuf: a snappy-compressed (block format) logproto.PushRequest.
  The protobuf wire format is decoded here by hand from the field numbers of Loki's
  pkg/push/push.proto (PushRequest.streams = 1; StreamAdapter.labels = 1, entries = 2, hash = 3;
  EntryAdapter.timestamp = 1, line = 2, structuredMetadata = 3; Timestamp.seconds = 1,
  nanos = 2), not from generated code, so that the test does not share the sender's reading of
  the proto file.
- Content-Type application/json: {"streams": [{"stream": {labels}, "values": [["<ns>", "<line>"]
  ...]}]} with each timestamp a string of digits (a number is refused with 400, as Loki does).

It checks what Loki checks before it keeps anything: the labels parse as a selector
({name="value", ...}: valid names, none reserved ("__"), none twice, at least one, at most 15),
lines are valid UTF-8, and the entries of a stream come in time order (an entry older than the
last one kept for its stream is refused: what Loki did before it accepted out-of-order writes,
and what the sender promises anyway). A request with any such problem is answered 400 with the
reason, nothing of it is kept, and the reason is added to `problems`. An entry equal to the last
one kept for its stream (same timestamp, same line) is dropped silently and counted in
`duplicates`, as Loki does. Otherwise the request is answered 204 and every entry kept.

On demand: `answers` (a list of statuses for the next requests, 204 once empty), `mode` (a
status for every request while set), `down()` (the listener and every open connection closed:
connections are refused) and `up()` (listening again on the same port).

    with LokiServer() as loki:
        loki.url                       # http://127.0.0.1:PORT/loki/api/v1/push
        loki.answers.extend([429, 500])
        loki.wait_lines(1000)
        loki.stream(stream="stdout")   # the entries of the one stream with those labels
"""

import json
import socket
import socketserver
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import snappy

MAX_LABELS = 15
PUSH_PATH = "/loki/api/v1/push"


class Refused(Exception):
    """A request Loki would answer with 400; the message is the answer."""


# ---- the protobuf wire format, by hand -----------------------------------------------------------

def _varint(buf, i):
    result = shift = 0
    while True:
        if i >= len(buf):
            raise Refused("truncated varint")
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, i
        shift += 7
        if shift > 63:
            raise Refused("varint longer than 10 bytes")


def _fields(buf):
    """(field number, wire type, value) of each field of a message; value is an int for
    varints, a memoryview for length-delimited fields."""
    i, n = 0, len(buf)
    while i < n:
        key, i = _varint(buf, i)
        field, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _varint(buf, i)
        elif wt == 2:
            ln, i = _varint(buf, i)
            if i + ln > n:
                raise Refused("length-delimited field past the end of its message")
            v = buf[i:i + ln]
            i += ln
        elif wt == 1:
            v, i = buf[i:i + 8], i + 8
        elif wt == 5:
            v, i = buf[i:i + 4], i + 4
        else:
            raise Refused("unknown wire type %d" % wt)
        yield field, wt, v


def _timestamp(buf):
    sec = nanos = 0
    for f, wt, v in _fields(buf):
        if f == 1 and wt == 0:
            sec = v - (1 << 64) if v >= 1 << 63 else v
        elif f == 2 and wt == 0:
            nanos = v
    return sec * 1_000_000_000 + nanos


def _utf8(b, what):
    try:
        return bytes(b).decode("utf-8")
    except UnicodeDecodeError as e:
        raise Refused("%s is not valid UTF-8: %s" % (what, e))


def decode_protobuf(raw):
    """[(labels string, [(ts_ns, line)...])] of a PushRequest."""
    streams = []
    for f, wt, sv in _fields(memoryview(raw)):
        if f != 1 or wt != 2:
            continue
        labels, entries = None, []
        for g, gwt, v in _fields(sv):
            if g == 1 and gwt == 2:
                labels = _utf8(v, "labels")
            elif g == 2 and gwt == 2:
                ts, line = 0, ""
                for h, hwt, ev in _fields(v):
                    if h == 1 and hwt == 2:
                        ts = _timestamp(ev)
                    elif h == 2 and hwt == 2:
                        line = _utf8(ev, "a line")
                entries.append((ts, line))
        if labels is None:
            raise Refused("a stream without labels")
        streams.append((labels, entries))
    return streams


def decode_json(raw):
    try:
        doc = json.loads(raw)
    except ValueError as e:
        raise Refused("not JSON: %s" % e)
    if not isinstance(doc, dict) or not isinstance(doc.get("streams"), list):
        raise Refused("no streams array")
    streams = []
    for s in doc["streams"]:
        labels = s.get("stream") if isinstance(s, dict) else None
        if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
            raise Refused("a stream without a stream object of strings")
        entries = []
        for v in s.get("values") or []:
            if not isinstance(v, list) or len(v) not in (2, 3):
                raise Refused("a value that is not [timestamp, line] or [timestamp, line, {...}]")
            ts, line = v[0], v[1]
            if not isinstance(ts, str) or not ts.isdigit():
                raise Refused("timestamp %r is not a string of nanoseconds" % (ts,))
            if not isinstance(line, str):
                raise Refused("a line that is not a string")
            entries.append((int(ts), line))
        streams.append((labels, entries))
    return streams


# ---- labels ----------------------------------------------------------------------------------------

_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\", '"': '"', "'": "'", "a": "\a",
            "b": "\b", "f": "\f", "v": "\v"}


def _valid_name(name):
    if not name or name.startswith("__") or not (name[0].isascii() and (name[0].isalpha() or
                                                                          name[0] == "_")):
        return False
    return all(c.isascii() and (c.isalnum() or c == "_") for c in name)


def parse_selector(text):
    """The label pairs of {a="x", b="y"} (PromQL's double-quoted strings), sorted by name."""
    i, n = 0, len(text)

    def skip():
        nonlocal i
        while i < n and text[i] in " \t":
            i += 1

    skip()
    if i >= n or text[i] != "{":
        raise Refused("labels %r do not start with {" % text)
    i += 1
    pairs = {}
    skip()
    if i < n and text[i] == "}":
        i += 1
    else:
        while True:
            skip()
            start = i
            while i < n and (text[i].isalnum() or text[i] == "_"):
                i += 1
            name = text[start:i]
            skip()
            if i >= n or text[i] != "=" or not name:
                raise Refused("labels %r: expected name=" % text)
            i += 1
            skip()
            if i >= n or text[i] != '"':
                raise Refused("labels %r: a value is not quoted" % text)
            i += 1
            out = bytearray()
            while True:
                if i >= n or text[i] == "\n":
                    raise Refused("labels %r: an unterminated string" % text)
                c = text[i]
                if c == '"':
                    i += 1
                    break
                if c == "\\":
                    e = text[i + 1:i + 2]
                    if e in _ESCAPES:
                        out += _ESCAPES[e].encode()
                        i += 2
                    elif e == "x":
                        out.append(int(text[i + 2:i + 4], 16))
                        i += 4
                    elif e in ("u", "U"):
                        k = 4 if e == "u" else 8
                        out += chr(int(text[i + 2:i + 2 + k], 16)).encode()
                        i += 2 + k
                    else:
                        raise Refused("labels %r: unknown escape \\%s" % (text, e))
                    continue
                out += c.encode()
                i += 1
            if name in pairs:
                raise Refused("labels %r: %s given twice" % (text, name))
            pairs[name] = _utf8(out, "a label value")
            skip()
            if i < n and text[i] == ",":
                i += 1
                continue
            if i < n and text[i] == "}":
                i += 1
                break
            raise Refused("labels %r: expected , or }" % text)
    skip()
    if i != n:
        raise Refused("labels %r: text after }" % text)
    return check_labels(pairs)


def check_labels(pairs):
    if not pairs:
        raise Refused("at least one label pair is required per stream")
    if len(pairs) > MAX_LABELS:
        raise Refused("%d labels, more than %d" % (len(pairs), MAX_LABELS))
    for name in pairs:
        if not _valid_name(name):
            raise Refused("label name %r is not valid" % name)
    return tuple(sorted(pairs.items()))


# ---- the server ------------------------------------------------------------------------------------

class Stream:
    """The entries kept for one label set: parallel lists of timestamps and lines."""

    def __init__(self):
        self.ts = []
        self.lines = []

    def __len__(self):
        return len(self.lines)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Loki's clients use it

    def log_message(self, fmt, *args):  # quiet
        pass

    def _answer(self, status, text=""):
        body = text.encode()
        self.send_response(status)
        if body:
            self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def do_POST(self):
        loki = self.server.loki
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if loki.is_down:
            self.close_connection = True
            return
        if self.path != PUSH_PATH:
            self._answer(404, "404 page not found\n")
            return
        status, text = loki.handle(self.headers, raw)
        self._answer(status, text)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, loki):
        self.loki = loki
        super().__init__(addr, _Handler)

    def process_request(self, request, client_address):
        with self.loki.lock:
            self.loki.conns.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self.loki.lock:
            self.loki.conns.discard(request)
        super().shutdown_request(request)


class LokiServer:
    def __init__(self, port=0):
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        self.conns = set()
        self.answers = []  # statuses for the next requests
        self.mode = None  # a status for every request while set
        self.streams = {}  # label pairs -> Stream
        self.problems = []  # reasons of 400s this receiver chose (not those asked for)
        self.requests = []  # one dict per request: status, content_type, lines, tenant, auth
        self.duplicates = 0
        self.is_down = False
        self.port = port
        self._srv = None
        self._thread = None

    # life
    def start(self):
        self._srv = _Server(("127.0.0.1", self.port), self)
        self.port = self._srv.server_address[1]
        self.is_down = False
        self._thread = threading.Thread(target=self._srv.serve_forever, kwargs={
            "poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self.down()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def down(self):
        """Closes the listener and every open connection: connections are refused."""
        self.is_down = True
        if self._srv:
            self._srv.shutdown()
            self._srv.server_close()
            self._srv = None
        with self.lock:
            conns = list(self.conns)
            self.conns.clear()
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def up(self):
        """Listens again on the same port."""
        deadline = time.monotonic() + 10
        while True:
            try:
                return self.start()
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    @property
    def url(self):
        return "http://127.0.0.1:%d%s" % (self.port, PUSH_PATH)

    # requests
    def handle(self, headers, raw):
        ctype = (headers.get("Content-Type") or "").split(";")[0].strip()
        info = {"content_type": ctype, "tenant": headers.get("X-Scope-OrgID"),
                "auth": headers.get("Authorization"), "bytes": len(raw), "lines": 0,
                "at": time.time()}
        with self.lock:
            forced = self.answers.pop(0) if self.answers else self.mode
        if forced is not None and forced // 100 != 2:
            info["status"] = forced
            self._log_request(info)
            return forced, "answer %d on demand\n" % forced
        try:
            if ctype == "application/x-protobuf":
                try:
                    body = snappy.uncompress(raw)
                except Exception as e:  # snappy raises its own types
                    raise Refused("the body is not snappy-compressed: %s" % e)
                streams = decode_protobuf(body)
            elif ctype == "application/json":
                streams = decode_json(raw)
            else:
                info["status"] = 415
                self._log_request(info)
                return 415, "unsupported Content-Type %r\n" % ctype
            with self.lock:
                kept = self._keep(streams)
        except Refused as e:
            with self.lock:
                self.problems.append(str(e))
            info["status"] = 400
            self._log_request(info)
            return 400, str(e) + "\n"
        info["status"] = 204
        info["lines"] = kept
        self._log_request(info)
        return 204, ""

    def _log_request(self, info):
        with self.lock:
            self.requests.append(info)
            self.changed.notify_all()

    def _keep(self, streams):
        """Checks every stream of a request, then keeps its entries (all or nothing). Called
        with the lock held."""
        checked = []
        for labels, entries in streams:
            key = parse_selector(labels) if isinstance(labels, str) else check_labels(labels)
            st = self.streams.get(key)
            last = (st.ts[-1], st.lines[-1]) if st and len(st) else None
            for ts, line in entries:
                if last and ts < last[0]:
                    raise Refused("entry out of order for stream %s: %d is before %d" % (
                        dict(key), ts, last[0]))
                last = (ts, line)
            checked.append((key, entries))
        kept = 0
        for key, entries in checked:
            st = self.streams.setdefault(key, Stream())
            for ts, line in entries:
                if len(st) and st.ts[-1] == ts and st.lines[-1] == line:
                    self.duplicates += 1
                    continue
                st.ts.append(ts)
                st.lines.append(line)
                kept += 1
        return kept

    # what tests look at
    def total_lines(self):
        with self.lock:
            return sum(len(s) for s in self.streams.values())

    def wait_lines(self, n, timeout=30):
        """Waits until at least n entries are kept; returns how many are."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                total = sum(len(s) for s in self.streams.values())
                left = deadline - time.monotonic()
                if total >= n or left <= 0:
                    return total
                self.changed.wait(min(left, 0.2))

    def wait_requests(self, pred, timeout=30):
        """Waits until pred(list of request dicts) is true; returns it."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while not pred(self.requests):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.changed.wait(min(left, 0.2))
            return pred(self.requests)

    def stream(self, **labels):
        """The one stream whose labels include the given ones (AssertionError otherwise)."""
        with self.lock:
            found = [s for k, s in self.streams.items()
                     if all(dict(k).get(n) == v for n, v in labels.items())]
        assert len(found) == 1, "%d streams have labels %s: %s" % (
            len(found), labels, list(self.streams))
        return found[0]
