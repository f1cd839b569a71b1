"""A deliberately bad OpenAI-compatible server for aifb-loadgen's tests.

Each request's behaviour is picked by the path's first segment or, for /v1/... paths, by the
server's mode cycling through a list, so one run of the load client meets every kind of trouble:

  ok         a correct stream: 4 content chunks, a usage chunk, [DONE]
  malformed  a stream with a data line that is not JSON
  reset      a few chunks, then the connection is reset (RST)
  500 / 429  an HTTP error with an OpenAI-style body
  slow       headers only after `slow_s` seconds, then a correct stream
  hang       accepts, reads the request, never answers
  nodone     a stream that ends without data: [DONE]
  nousage    a correct stream without the usage chunk (as servers that ignore include_usage)

Raw sockets on purpose: an HTTP library would not let a test break the protocol this way.
"""

import json
import socket
import struct
import threading
import time


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def _event(obj) -> bytes:
    return _chunk(b"data: " + json.dumps(obj).encode() + b"\n\n")


class BadServer:
    def __init__(self, modes, slow_s=0.5, tokens=4):
        self.modes = list(modes)
        self.slow_s = slow_s
        self.tokens = tokens
        self.count = 0
        self.lock = threading.Lock()
        self.seen_ids = []
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(512)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.stopping = False
        self.hung = []
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self):
        self.stopping = True
        try:
            self.sock.close()
        except OSError:
            pass
        for c in self.hung:
            try:
                c.close()
            except OSError:
                pass

    def _accept(self):
        while not self.stopping:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _read_request(self, c, buf):
        while b"\r\n\r\n" not in buf:
            d = c.recv(65536)
            if not d:
                return None, b""
            buf += d
        head, rest = buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:] if ":" in l)}
        n = int(headers.get("content-length", "0"))
        while len(rest) < n:
            d = c.recv(65536)
            if not d:
                return None, b""
            rest += d
        return (lines[0], headers, rest[:n]), rest[n:]

    def _serve(self, c):
        buf = b""
        try:
            while True:
                req, buf = self._read_request(c, buf)
                if req is None:
                    break
                line, headers, body = req
                with self.lock:
                    mode = self.modes[self.count % len(self.modes)]
                    self.count += 1
                    self.seen_ids.append(headers.get("x-request-id"))
                if not self._answer(c, mode, line):
                    return
        except OSError:
            pass
        finally:
            if c not in self.hung:
                c.close()

    def _answer(self, c, mode, line):
        if line.startswith("GET /v1/models"):
            body = json.dumps({"object": "list", "data": [{"id": "bad-model", "object": "model"}]}).encode()
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
            return True
        if mode in ("500", "429"):
            body = json.dumps({"error": {"message": "injected", "type": "server_error"}}).encode()
            status = b"500 Internal Server Error" if mode == "500" else b"429 Too Many Requests"
            c.sendall(b"HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (status, len(body), body))
            return True
        if mode == "hang":
            self.hung.append(c)
            return False
        if mode == "slow":
            time.sleep(self.slow_s)
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
        for i in range(self.tokens):
            if mode == "malformed" and i == 1:
                c.sendall(_chunk(b"data: {not json\n\n"))
            c.sendall(_event({"id": "x", "object": "chat.completion.chunk",
                              "choices": [{"index": 0, "delta": {"content": " tok"}, "finish_reason": None}]}))
            if mode == "reset" and i == 1:
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                c.close()
                return False
        if mode != "nousage":
            c.sendall(_event({"id": "x", "object": "chat.completion.chunk", "choices": [],
                              "usage": {"prompt_tokens": 3, "completion_tokens": self.tokens,
                                        "total_tokens": 3 + self.tokens}}))
        if mode != "nodone":
            c.sendall(_chunk(b"data: [DONE]\n\n"))
        c.sendall(b"0\r\n\r\n")
        return True
