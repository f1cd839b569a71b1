"""What Grafana does with a backend plugin, for the tests that play Grafana against gpx_aifb.

Grafana (through hashicorp/go-plugin) sets the magic cookie and protocol environment, starts the
plugin, reads the handshake line from its stdout, connects with gRPC and calls pluginv2 on it.
Here an independent gRPC implementation (Debian's python3-grpcio, stubs generated at import time
from proto/grafana/pluginv2/backend.proto) does the same: Plugin starts gpx_aifb (the sanitizer
build under scripts/test.sh) with its stderr kept in a file, app_ctx() builds the PluginContext
Grafana sends for the app, call() is one CallResource as Grafana forwards
/api/plugins/<id>/resources/<path>."""

import atexit
import importlib
import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile

import grpc

from aifbtest import BIN, ROOT

_gen = tempfile.mkdtemp(prefix="aifb-plugin-stubs-")
atexit.register(shutil.rmtree, _gen, True)
subprocess.run([sys.executable, "-m", "grpc_tools.protoc", "-I", os.path.join(ROOT, "proto"),
                "--python_out=" + _gen, "--grpc_python_out=" + _gen,
                "grafana/pluginv2/backend.proto"], check=True)
sys.path.insert(0, _gen)
pv2 = importlib.import_module("grafana.pluginv2.backend_pb2")
pv2_grpc = importlib.import_module("grafana.pluginv2.backend_pb2_grpc")

APP_ID = "aifb-controlplane-app"
HANDSHAKE = re.compile(r"^1\|2\|tcp\|127\.0\.0\.1:(\d+)\|grpc\n$")
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


class Plugin:
    """gpx_aifb started the way Grafana starts it, with its stderr kept in a file."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="aifb-plugin-")
        self.stderr_path = os.path.join(self.dir, "stderr")
        env = dict(os.environ)
        env.update({
            "grafana_plugin_type": "datasource", "PLUGIN_PROTOCOL_VERSIONS": "2",
            "PLUGIN_MIN_PORT": "10000", "PLUGIN_MAX_PORT": "25000",
        })
        # The suite's sanitizer options when it sets them (scripts/test.sh), leaks checked anyway.
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
        env.setdefault("LSAN_OPTIONS", "suppressions=" + os.path.join(ROOT, "tests", "lsan.supp"))
        with open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen([os.path.join(BIN, "gpx_aifb")], stdout=subprocess.PIPE,
                                         stderr=err, env=env, start_new_session=True)
        ready, _, _ = select.select([self.proc.stdout], [], [], 30)
        assert ready, "no handshake line within 30 s:\n" + self.stderr()
        self.handshake = self.proc.stdout.readline().decode()
        m = HANDSHAKE.match(self.handshake)
        assert m, "handshake line %r\n%s" % (self.handshake, self.stderr())
        self.port = int(m.group(1))
        self.channel = grpc.insecure_channel("127.0.0.1:%d" % self.port)
        self.resource = pv2_grpc.ResourceStub(self.channel)

    def stderr(self):
        with open(self.stderr_path, errors="replace") as f:
            return f.read()

    def sanitizer_reports(self):
        return [l for l in self.stderr().splitlines() if any(m in l for m in SANITIZER_MARKS)]

    def shutdown(self):
        """GRPCController.Shutdown, as Grafana asks before it exits; returns the exit status."""
        shutdown = self.channel.unary_unary("/plugin.GRPCController/Shutdown",
                                            request_serializer=lambda _: b"",
                                            response_deserializer=lambda b: b)
        assert shutdown(None, timeout=10) == b""
        return self.proc.wait(timeout=30)

    def stop(self):
        self.channel.close()
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def app_ctx(address, role="Editor", token=None, login="ann"):
    """The PluginContext Grafana sends for the app: its jsonData and decrypted secrets."""
    secure = {"aifbdToken": token} if token else {}
    return pv2.PluginContext(
        orgId=1, pluginId=APP_ID, user=pv2.User(login=login, role=role),
        appInstanceSettings=pv2.AppInstanceSettings(
            jsonData=json.dumps({"aifbdAddress": address}).encode(),
            decryptedSecureJsonData=secure))


def call_raw(resource, ctx, method, path, body=b""):
    """One CallResource; path may carry a query string. Returns (code, headers, body bytes)."""
    req = pv2.CallResourceRequest(pluginContext=ctx, method=method, path=path.split("?")[0],
                                  url=path, body=body)
    replies = list(resource.CallResource(req, timeout=30))
    assert len(replies) == 1, replies
    r = replies[0]
    headers = {k: list(v.values) for k, v in r.headers.items()}
    return r.code, headers, r.body


def call(resource, ctx, method, path, body=None):
    """One CallResource with a JSON body and a JSON answer: (code, decoded body)."""
    code, headers, raw = call_raw(resource, ctx, method, path,
                                  json.dumps(body).encode() if body else b"")
    assert headers["Content-Type"] == ["application/json"]
    return code, json.loads(raw)
