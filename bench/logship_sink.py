"""The two Python halves of bench/logship.sh: a Loki push sink that times every line, and a
writer that stamps every line with the time it wrote it.

    logship_sink.py serve PORT
        POST /loki/api/v1/push (snappy protobuf or JSON) answered 204; each line's write time
        (the "W<19 digits>" stamp the writer put in it, nanoseconds since the epoch) is
        subtracted from the time the push arrived. GET /stats gives {"lines", "p50_s", "p99_s",
        "max_s"} over the lines since the last POST /reset.
    logship_sink.py write FILE... --lines N [--rate R] [--width W]
        Appends N lines spread over the files in turn, as fast as it can (no --rate) or R lines a
        second in 10 ms slices, each line stamped when its slice is written.

The sink finds the stamps with one regular expression over the decompressed body instead of
decoding the protobuf: it must keep up with the shipper without being measured itself."""

import json
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STAMP = re.compile(rb"W(\d{19})")


class Sink:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.latencies = []
            self.lines = 0

    def add(self, body, arrived_ns):
        stamps = STAMP.findall(body)
        lat = [(arrived_ns - int(s)) / 1e9 for s in stamps]
        with self.lock:
            self.lines += len(stamps)
            self.latencies += lat

    def stats(self):
        with self.lock:
            lat = sorted(self.latencies)
            n = self.lines

        def q(p):
            return lat[min(len(lat) - 1, int(p * len(lat)))] if lat else None

        return {"lines": n, "p50_s": q(0.5), "p99_s": q(0.99), "max_s": lat[-1] if lat else None}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body=b""):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        arrived = time.time_ns()
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/reset":
            self.server.sink.reset()
            return self.reply(204)
        if (self.headers.get("Content-Type") or "").startswith("application/x-protobuf"):
            import snappy
            raw = snappy.uncompress(raw)
        self.server.sink.add(raw, arrived)
        self.reply(204)

    def do_GET(self):
        self.reply(200, json.dumps(self.server.sink.stats()).encode())


def serve(port):
    srv = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    srv.daemon_threads = True
    srv.sink = Sink()
    srv.serve_forever()


def write(files, lines, rate, width):
    outs = [open(f, "a") for f in files]
    pad = "x" * max(0, width - 40)
    written = 0
    if not rate:
        chunk = 20000
        while written < lines:
            n = min(chunk, lines - written)
            stamp = "W%019d" % time.time_ns()
            text = "".join("bench %09d %s %s\n" % (written + i, stamp, pad) for i in range(n))
            outs[(written // chunk) % len(outs)].write(text)
            written += n
    else:
        per_slice = max(1, rate // 100)
        start = time.monotonic()
        k = 0
        while written < lines:
            due = start + k * 0.01
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            n = min(per_slice, lines - written)
            stamp = "W%019d" % time.time_ns()
            for j, f in enumerate(outs):
                part = range(written + j, written + n, len(outs))
                f.write("".join("bench %09d %s %s\n" % (i, stamp, pad) for i in part))
                f.flush()
            written += n
            k += 1
    for f in outs:
        f.close()


def main(argv):
    if argv[:1] == ["serve"]:
        serve(int(argv[1]))
    elif argv[:1] == ["write"]:
        files, lines, rate, width = [], 0, 0, 100
        it = iter(argv[1:])
        for a in it:
            if a == "--lines":
                lines = int(next(it))
            elif a == "--rate":
                rate = int(next(it))
            elif a == "--width":
                width = int(next(it))
            else:
                files.append(a)
        write(files, lines, rate, width)
    else:
        sys.exit("usage: logship_sink.py serve PORT | write FILE... --lines N [--rate R]")


if __name__ == "__main__":
    main(sys.argv[1:])
