"""Python stubs of aifbd's gRPC API, generated from proto/ once per test process with Debian's
grpc_tools: an implementation of the API independent of the project's C code, for the contract
tests and for integration tests that need many calls in flight at once."""

import importlib
import importlib.util
import os
import subprocess
import sys
import tempfile

from aifbtest import ROOT

_gen = tempfile.mkdtemp(prefix="aifb-stubs-")
subprocess.run([sys.executable, "-m", "grpc_tools.protoc", "-I", os.path.join(ROOT, "proto"),
                "--python_out=" + _gen, "--grpc_python_out=" + _gen,
                "aifb/v1/controlplane.proto", "grpc/health/v1/health.proto",
                "grpc/reflection/v1alpha/reflection.proto"], check=True)
sys.path.insert(0, _gen)
pb = importlib.import_module("aifb.v1.controlplane_pb2")
pb_grpc = importlib.import_module("aifb.v1.controlplane_pb2_grpc")


def _load(relpath, name):
    # grpc.* modules generated here cannot be imported by package name: the installed grpc
    # package owns that namespace. Load them from their files instead.
    spec = importlib.util.spec_from_file_location(name, os.path.join(_gen, relpath))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


health_pb = _load("grpc/health/v1/health_pb2.py", "aifb_health_pb2")
refl_pb = _load("grpc/reflection/v1alpha/reflection_pb2.py", "aifb_reflection_pb2")
