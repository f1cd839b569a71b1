#!/usr/bin/python3
"""peer_controlplane.py: the peer of the control-plane benchmark.

A plain Python grpcio server of the same aifb.v1.ControlPlane API, written the way one would
write it without trying hard: GetRun answers from a dict of Run messages, ListRuns pages
newest-first with the same keyset paging as aifbd ("k<key>" tokens) over Python's sqlite3
(in memory, one table, indexes on (state, key), (recipe, state, key) and (recipe, key)),
each row holding the serialized Run. The benchmark measures it with the same load client, in the
same run, on the same machine, so aifbd's figures come with a ratio against something real.

It serves the same 100,000 runs as aifbd: at start it reads every run from aifbd itself
(--seed-from, ListRuns pages of 1000), then listens and prints "ready pid=<pid> runs=<n>".
Stubs are generated at start from the repository's proto/ folder into a temporary folder, with
grpc_tools (Debian's python3-grpc-tools). Other methods answer UNIMPLEMENTED.

usage: peer_controlplane.py --listen unix:PATH --seed-from unix:PATH [--workers 8]
"""
import argparse
import concurrent.futures
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_stubs():
    """Generates the aifb.v1 stubs into a temporary folder and imports them."""
    out = tempfile.mkdtemp(prefix="aifb-peer-")
    proto = os.path.join(ROOT, "proto")
    subprocess.run([sys.executable, "-m", "grpc_tools.protoc", "-I", proto,
                    "--python_out", out, "--grpc_python_out", out,
                    "aifb/v1/controlplane.proto"], check=True)
    sys.path.insert(0, out)
    from aifb.v1 import controlplane_pb2, controlplane_pb2_grpc  # noqa: E402
    return out, controlplane_pb2, controlplane_pb2_grpc


def fetch_runs(grpc, pb, pb_grpc, target):
    """Every run aifbd holds, newest first."""
    runs = []
    with grpc.insecure_channel(target) as ch:
        stub = pb_grpc.ControlPlaneStub(ch)
        token = ""
        while True:
            page = stub.ListRuns(pb.ListRunsRequest(page_size=1000, page_token=token),
                                 timeout=60)
            runs.extend(page.runs)
            token = page.next_page_token
            if not token:
                return runs


class RunTable:
    """The runs in sqlite3 (for ListRuns) and in a dict (for GetRun)."""

    def __init__(self, runs):
        self.by_id = {r.id: r for r in runs}
        self.lock = threading.Lock()
        self.db = sqlite3.connect(":memory:", check_same_thread=False)
        self.db.execute("CREATE TABLE runs (k INTEGER PRIMARY KEY, id TEXT UNIQUE, "
                        "recipe TEXT, state INTEGER, msg BLOB)")
        n = len(runs)
        self.db.executemany("INSERT INTO runs VALUES (?, ?, ?, ?, ?)",
                            ((n - i, r.id, r.recipe, r.state, r.SerializeToString())
                             for i, r in enumerate(runs)))
        self.db.execute("CREATE INDEX runs_state ON runs (state, k)")
        self.db.execute("CREATE INDEX runs_recipe_state ON runs (recipe, state, k)")
        self.db.execute("CREATE INDEX runs_recipe ON runs (recipe, k)")
        self.db.commit()

    def page(self, states, recipe, size, before):
        sql = "SELECT k, msg FROM runs WHERE k < ?"
        args = [before]
        if states:
            sql += " AND state IN (%s)" % ",".join("?" * len(states))
            args.extend(states)
        if recipe:
            sql += " AND recipe = ?"
            args.append(recipe)
        sql += " ORDER BY k DESC LIMIT ?"
        args.append(size + 1)
        with self.lock:
            return self.db.execute(sql, args).fetchall()


def make_servicer(grpc, pb, pb_grpc, table):
    class Peer(pb_grpc.ControlPlaneServicer):
        def GetRun(self, request, context):
            run = table.by_id.get(request.id)
            if run is None:
                context.abort(grpc.StatusCode.NOT_FOUND, "run %s not found" % request.id)
            return run

        def ListRuns(self, request, context):
            size = request.page_size or 50
            if size < 0 or size > 1000:
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, "page_size out of range")
            before = 2 ** 62
            token = request.page_token
            if token:
                if not (token.startswith("k") and token[1:].isdigit()):
                    context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                                  "invalid page_token %r" % token[:40])
                before = int(token[1:])
            rows = table.page(list(request.states), request.recipe, size, before)
            resp = pb.ListRunsResponse()
            for _, blob in rows[:size]:
                resp.runs.append(pb.Run.FromString(blob))
            if len(rows) > size:
                resp.next_page_token = "k%d" % rows[size - 1][0]
            return resp

    return Peer()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--listen", required=True)
    ap.add_argument("--seed-from", required=True)
    ap.add_argument("--workers", type=int, default=8)
    args = ap.parse_args()
    out, pb, pb_grpc = load_stubs()
    try:
        import grpc
        table = RunTable(fetch_runs(grpc, pb, pb_grpc, args.seed_from))
        server = grpc.server(concurrent.futures.ThreadPoolExecutor(max_workers=args.workers))
        pb_grpc.add_ControlPlaneServicer_to_server(make_servicer(grpc, pb, pb_grpc, table),
                                                   server)
        if not server.add_insecure_port(args.listen):
            sys.exit("peer: cannot listen on %s" % args.listen)
        server.start()
        # SIGTERM (run.sh stopping it) ends the wait below, so the stubs folder is removed.
        signal.signal(signal.SIGTERM, lambda *_: server.stop(0))
        print("ready pid=%d runs=%d" % (os.getpid(), len(table.by_id)), flush=True)
        server.wait_for_termination()
    finally:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
