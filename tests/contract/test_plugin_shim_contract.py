"""Contract test of gpx_aifb, the Grafana backend plugin, with a host that does what Grafana does.

Grafana (through hashicorp/go-plugin) sets the magic cookie and protocol environment, starts the
plugin, reads the handshake line from its stdout, connects with gRPC and calls pluginv2 on it.
Here an independent gRPC implementation (Debian's python3-grpcio, stubs generated at test time
from proto/grafana/pluginv2/backend.proto, tests/pluginhost.py) plays Grafana against the sanitizer build of gpx_aifb
and a real aifbd with the local executor on a loopback TCP port: Health, CheckHealth, every
CallResource route, QueryData, a run of llm-sim started, seen RUNNING and stopped through the
plugin, a Viewer refused, a wrong aifbd address, then Shutdown."""

import json
import os
import subprocess
import tempfile
import time

import grpc
import pytest

from aifbtest import BIN, ROOT, Daemon, free_port
from grpcstubs import health_pb
from pluginhost import Plugin, app_ctx, call, pv2, pv2_grpc

SMALL_RUN = {"requests": 200, "rate": 20}  # about ten seconds of load: long enough to stop
TOKEN = "plugin-contract-token-0123456789"


@pytest.fixture(scope="module")
def aifbd():
    d = Daemon(listen="127.0.0.1:%d" % free_port()).start()
    yield d
    d.cleanup()


@pytest.fixture(scope="module")
def plugin():
    p = Plugin()
    yield p
    p.stop()


@pytest.fixture(scope="module")
def resource(plugin):
    return plugin.resource


@pytest.fixture(scope="module")
def data(plugin):
    return pv2_grpc.DataStub(plugin.channel)


@pytest.fixture(scope="module")
def diagnostics(plugin):
    return pv2_grpc.DiagnosticsStub(plugin.channel)


def ds_ctx(address):
    return pv2.PluginContext(
        orgId=1, pluginId="aifb-controlplane-datasource", user=pv2.User(login="ann", role="Viewer"),
        dataSourceInstanceSettings=pv2.DataSourceInstanceSettings(
            uid="aifb", name="aifb", jsonData=json.dumps({"aifbdAddress": address}).encode()))


def query(data, ctx, query_type, model=None, refid="A", span_ms=3600_000, fmt=None):
    """One query; frames in the SDK's JSON encoding unless fmt says otherwise (pv2.ARROW is also
    what a request that names no format gets)."""
    now = int(time.time() * 1000)
    q = pv2.DataQuery(refId=refid, queryType=query_type, json=json.dumps(model or {}).encode(),
                      timeRange=pv2.TimeRange(fromEpochMS=now - span_ms, toEpochMS=now + 60_000))
    req = pv2.QueryDataRequest(pluginContext=ctx, queries=[q],
                               format=pv2.JSON if fmt is None else fmt)
    resp = data.QueryData(req, timeout=30)
    return resp.responses[refid]


PLUGIN_DIR = os.path.join(ROOT, "grafana-plugin")


@pytest.fixture(scope="module")
def arrow_reader():
    """apache-arrow from the plugin's npm dependencies (installed here when this suite runs
    before the frontend's). Node.js 20 is what the plugin's toolchain needs; without it the
    frontend suite is skipped too, and so is this check."""
    try:
        major = int(subprocess.run(["node", "-p", "process.versions.node.split('.')[0]"],
                                   capture_output=True, text=True).stdout.strip() or 0)
    except OSError:
        major = 0
    if major < 20:
        pytest.skip("Node.js 20 or later is needed to read Arrow with apache-arrow")
    if not os.path.isdir(os.path.join(PLUGIN_DIR, "node_modules", "apache-arrow")):
        r = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=PLUGIN_DIR,
                           capture_output=True, text=True, timeout=900)
        assert r.returncode == 0, "npm ci failed:\n" + r.stdout[-2000:] + r.stderr[-2000:]


def arrow_frames(frames):
    """Frames in the Arrow IPC file encoding, as apache-arrow reads them
    (grafana-plugin/tools/read-arrow-frames.mjs): a dict per frame."""
    with tempfile.TemporaryDirectory() as d:
        paths = []
        for i, b in enumerate(frames):
            paths.append(os.path.join(d, "%d.arrow" % i))
            with open(paths[-1], "wb") as f:
                f.write(b)
        r = subprocess.run(["node", os.path.join("tools", "read-arrow-frames.mjs")] + paths,
                           cwd=PLUGIN_DIR, capture_output=True,
                           text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return [json.loads(line) for line in r.stdout.splitlines()]


def frame_rows(response):
    """The single JSON frame of a data response, as a list of {field: value} rows."""
    assert response.format == pv2.JSON and not response.error, response.error
    assert len(response.frames) == 1
    frame = json.loads(response.frames[0])
    names = [f["name"] for f in frame["schema"]["fields"]]
    cols = frame["data"]["values"]
    assert len(cols) == len(names)
    return frame, [dict(zip(names, row)) for row in zip(*cols)] if cols else []


def test_plugin_json_files_name_the_executable_built_here():
    src = os.path.join(ROOT, "grafana-plugin", "src")
    with open(os.path.join(src, "plugin.json")) as f:
        app = json.load(f)
    with open(os.path.join(src, "datasource", "plugin.json")) as f:
        ds = json.load(f)
    assert (app["type"], app["id"]) == ("app", "aifb-controlplane-app")
    assert (ds["type"], ds["id"]) == ("datasource", "aifb-controlplane-datasource")
    # Grafana runs <plugin folder>/<executable>_linux_amd64; the data source's folder is nested.
    assert app["backend"] and app["executable"] == "gpx_aifb"
    assert ds["backend"] and os.path.normpath(os.path.join("datasource", ds["executable"])) == \
        "gpx_aifb"
    assert os.path.isfile(os.path.join(BIN, app["executable"]))


def test_started_by_hand_it_says_grafana_starts_it():
    env = {k: v for k, v in os.environ.items() if k != "grafana_plugin_type"}
    r = subprocess.run([os.path.join(BIN, "gpx_aifb")], capture_output=True, text=True, env=env,
                       timeout=30)
    assert r.returncode == 1 and r.stdout == "" and "Grafana starts it" in r.stderr
    env.update({"grafana_plugin_type": "datasource", "PLUGIN_PROTOCOL_VERSIONS": "1"})
    r = subprocess.run([os.path.join(BIN, "gpx_aifb")], capture_output=True, text=True, env=env,
                       timeout=30)
    assert r.returncode == 1 and r.stdout == "" and "speaks 2" in r.stderr


def test_handshake_is_alone_on_stdout_and_health_says_serving(plugin):
    assert 10000 <= plugin.port <= 25000
    health = grpc.insecure_channel("127.0.0.1:%d" % plugin.port)
    check = health.unary_unary("/grpc.health.v1.Health/Check",
                               request_serializer=health_pb.HealthCheckRequest.SerializeToString,
                               response_deserializer=health_pb.HealthCheckResponse.FromString)
    assert check(health_pb.HealthCheckRequest(service="plugin"), timeout=10).status == \
        health_pb.HealthCheckResponse.SERVING
    health.close()


def test_methods_it_does_not_serve_are_unimplemented(plugin, diagnostics):
    with pytest.raises(grpc.RpcError) as e:
        diagnostics.CollectMetrics(pv2.CollectMetricsRequest(), timeout=10)
    assert e.value.code() == grpc.StatusCode.UNIMPLEMENTED
    for path in ("/plugin.GRPCStdio/StreamStdio", "/pluginv2.Stream/RunStream"):
        stream = plugin.channel.unary_stream(path, request_serializer=lambda _: b"",
                                             response_deserializer=lambda b: b)
        with pytest.raises(grpc.RpcError) as e:
            list(stream(None, timeout=10))
        assert e.value.code() == grpc.StatusCode.UNIMPLEMENTED, path


def test_check_health_names_the_address_and_aifbd_version(aifbd, diagnostics):
    version = aifbd.cli_json("info")["version"]
    for ctx in (app_ctx(aifbd.address), ds_ctx(aifbd.address)):
        r = diagnostics.CheckHealth(pv2.CheckHealthRequest(pluginContext=ctx), timeout=30)
        assert r.status == pv2.CheckHealthResponse.OK, r.message
        assert aifbd.address in r.message and version in r.message
        assert json.loads(r.jsonDetails)["version"] == version


def test_a_wrong_address_is_a_health_error_and_a_503(diagnostics, resource, data):
    wrong = "127.0.0.1:%d" % free_port()
    r = diagnostics.CheckHealth(pv2.CheckHealthRequest(pluginContext=app_ctx(wrong)), timeout=30)
    assert r.status == pv2.CheckHealthResponse.ERROR and wrong in r.message
    code, body = call(resource, app_ctx(wrong), "GET", "runs")
    assert code == 503 and body["code"] == "UNAVAILABLE" and wrong in body["error"]
    resp = query(data, ds_ctx(wrong), "runs")
    assert resp.status == 503 and wrong in resp.error and not resp.frames
    _, rows = frame_rows(query(data, ds_ctx(wrong), "health", {"section": "daemon"}))
    assert rows[0]["up"] == 0 and wrong in rows[0]["error"] and rows[0]["version"] is None


def test_health_queries_describe_aifbd_and_its_absent_slurm(aifbd, data):
    ds = ds_ctx(aifbd.address)
    _, rows = frame_rows(query(data, ds, "health", {"section": "daemon"}))
    info = aifbd.cli_json("info")
    assert rows[0]["up"] == 1 and rows[0]["version"] == info["version"]
    assert rows[0]["executor"] == "local" and rows[0]["recipe_count"] == info["recipe_count"]
    _, rows = frame_rows(query(data, ds, "health", {"section": "slurm"}))
    assert rows[0]["reachable"] is None and "local" in rows[0]["error"]
    _, rows = frame_rows(query(data, ds, "health", {"section": "slurm_nodes"}))
    assert rows == []


def test_the_token_goes_to_aifbd_and_a_wrong_one_is_refused(diagnostics, resource):
    d = Daemon(listen="127.0.0.1:%d" % free_port(), env={"AIFB_TOKEN": TOKEN}).start()
    try:
        r = diagnostics.CheckHealth(pv2.CheckHealthRequest(pluginContext=app_ctx(d.address,
                                                                                 token=TOKEN)),
                                    timeout=30)
        assert r.status == pv2.CheckHealthResponse.OK, r.message
        r = diagnostics.CheckHealth(pv2.CheckHealthRequest(pluginContext=app_ctx(d.address,
                                                                                 token="x" * 20)),
                                    timeout=30)
        assert r.status == pv2.CheckHealthResponse.ERROR
        assert json.loads(r.jsonDetails)["code"] == "UNAUTHENTICATED"
        code, body = call(resource, app_ctx(d.address, token=TOKEN), "GET", "recipes")
        assert code == 200 and body["recipes"]
        code, body = call(resource, app_ctx(d.address), "GET", "recipes")
        assert code == 500 and body["code"] == "UNAUTHENTICATED"
    finally:
        d.cleanup()


def test_recipes_routes(aifbd, resource):
    ctx = app_ctx(aifbd.address, role="Viewer")
    code, body = call(resource, ctx, "GET", "recipes")
    assert code == 200 and "llm-sim" in [r["name"] for r in body["recipes"]]
    code, body = call(resource, ctx, "GET", "recipes/llm-sim")
    assert code == 200 and {"requests", "rate"} <= {p["name"] for p in body["params"]}
    code, body = call(resource, ctx, "GET", "recipes/no-such-recipe")
    assert code == 404 and body["code"] == "NOT_FOUND" and "no-such-recipe" in body["error"]


def test_unknown_routes_and_methods(aifbd, resource):
    ctx = app_ctx(aifbd.address)
    code, body = call(resource, ctx, "GET", "nothing/here")
    assert code == 404 and body["code"] == "NOT_FOUND"
    code, body = call(resource, ctx, "DELETE", "runs")
    assert code == 405 and body["error"]


def test_invalid_parameters_are_a_400_with_aifbds_message(aifbd, resource):
    code, body = call(resource, app_ctx(aifbd.address), "POST", "runs",
                      {"recipe": "llm-sim", "params": {"requests": 0}})
    assert code == 400 and body["code"] == "INVALID_ARGUMENT" and "requests" in body["error"]
    code, body = call(resource, app_ctx(aifbd.address), "POST", "runs", {"recipe": "llm-sim",
                                                                          "colour": "red"})
    assert code == 400 and "colour" in body["error"]


def test_a_viewer_cannot_start_or_stop_and_nothing_reaches_aifbd(aifbd, resource):
    before = aifbd.cli_json("run", "list")
    viewer = app_ctx(aifbd.address, role="Viewer")
    for method, path, body in (("POST", "runs", {"recipe": "llm-sim"}),
                               ("POST", "runs/start", {"recipe": "llm-sim"}),
                               ("POST", "services", {"recipe": "llm-sim"}),
                               ("POST", "runs/r-000000000000/stop", None),
                               ("POST", "services/s-000000000000/stop", None)):
        code, reply = call(resource, viewer, method, path, body)
        assert code == 403 and reply["code"] == "PERMISSION_DENIED", (path, reply)
    assert aifbd.cli_json("run", "list") == before


def wait_run(resource, ctx, run_id, states, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code, run = call(resource, ctx, "GET", "runs/" + run_id)
        assert code == 200
        if run["state"] in states:
            return run
        time.sleep(0.2)
    raise AssertionError("run %s still %s" % (run_id, run["state"]))


def test_a_run_started_seen_running_and_stopped_through_the_plugin(aifbd, resource, data):
    editor = app_ctx(aifbd.address)
    code, run = call(resource, editor, "POST", "runs", {"recipe": "llm-sim", "params": SMALL_RUN})
    assert code == 200 and run["id"].startswith("r-"), run
    params = {p["name"]: p["value"] for p in run["params"]}
    assert params["requests"] == "200" and params["rate"] == "20"

    # Seen RUNNING through the data source, as a dashboard's runs table shows it.
    deadline = time.monotonic() + 60
    while True:
        _, rows = frame_rows(query(data, ds_ctx(aifbd.address), "runs", {"recipe": "llm-sim"}))
        mine = [r for r in rows if r["id"] == run["id"]]
        if mine and mine[0]["state"] == "RUNNING":
            break
        assert time.monotonic() < deadline, rows
        time.sleep(0.2)
    assert mine[0]["recipe"] == "llm-sim" and mine[0]["ended"] is None
    code, listed = call(resource, editor, "GET", "runs?state=RUNNING&recipe=llm-sim")
    assert code == 200 and run["id"] in [r["id"] for r in listed["runs"]]

    # A Viewer's stop is refused and the run goes on.
    code, _ = call(resource, app_ctx(aifbd.address, role="Viewer"), "POST",
                   "runs/%s/stop" % run["id"])
    assert code == 403 and aifbd.run(run["id"])["state"] == "RUN_STATE_RUNNING"

    code, stopped = call(resource, editor, "POST", "runs/%s/stop" % run["id"])
    assert code == 200 and stopped["id"] == run["id"]
    final = wait_run(resource, editor, run["id"], {"RUN_STATE_CANCELLED"})
    assert "ann" in final["reason"]

    code, body = call(resource, editor, "GET", "runs/%s/events" % run["id"])
    states = [e["to_state"] for e in body["events"]]
    assert code == 200 and states[0] == "PENDING" and "RUNNING" in states
    assert states[-1] == "CANCELLED", states
    code, body = call(resource, editor, "GET", "runs/r-000000000000/events")
    assert code == 404

    # The same history as annotations (time, title, text), and the run alone as a table row.
    ds = ds_ctx(aifbd.address)
    _, rows = frame_rows(query(data, ds, "events", {"runId": run["id"]}))
    assert [r["to_state"] for r in rows] == states and rows[-1]["title"] == "CANCELLED"
    assert rows[-1]["text"].startswith(states[-2] + " -> CANCELLED") and rows[0]["time"] > 0
    _, rows = frame_rows(query(data, ds, "runs", {"runId": run["id"]}))
    assert [(r["id"], r["state"]) for r in rows] == [(run["id"], "CANCELLED")]
    assert rows[0]["ended"] >= rows[0]["created"]


def finished_run(aifbd, resource):
    """A short llm-sim run started through the plugin, once it has succeeded."""
    editor = app_ctx(aifbd.address)
    code, run = call(resource, editor, "POST", "runs/start",
                     {"recipe": "llm-sim", "params": {"requests": 20, "concurrency": 4}})
    assert code == 200, run
    return wait_run(resource, editor, run["id"], {"RUN_STATE_SUCCEEDED"})


def test_a_finished_runs_result_and_its_recipes_results_as_frames(aifbd, resource, data):
    run = finished_run(aifbd, resource)
    ds = ds_ctx(aifbd.address)
    frame, rows = frame_rows(query(data, ds, "run_result", {"runId": run["id"]}))
    metrics = {r["metric"]: r["value"] for r in rows}
    assert frame["schema"]["name"] == run["id"] and metrics, rows
    frame, rows = frame_rows(query(data, ds, "recipe_results",
                                   {"recipe": "llm-sim", "params": ["{concurrency,arrival}"]}))
    assert run["id"] in [r["run_id"] for r in rows]
    mine = [r for r in rows if r["run_id"] == run["id"]][0]
    some = sorted(metrics)[0]
    assert mine[some] == metrics[some] and mine["time"] > 0
    assert mine["concurrency"] == 4 and mine["arrival"] == "poisson"
    types = {f["name"]: f["type"] for f in frame["schema"]["fields"]}
    assert types["concurrency"] == "number" and types["arrival"] == "string"
    _, rows = frame_rows(query(data, ds, "recipe_results", {"recipe": "llm-sim", "metric": some}))
    assert set(rows[0]) == {"time", "run_id", some}
    # A query's own error does not spoil the request.
    resp = query(data, ds, "run_result", {"runId": "r-000000000000"})
    assert resp.status == 404 and resp.error
    resp = query(data, ds, "something_else")
    assert resp.status == 400 and "queryType" in resp.error
    resp = query(data, ds, "events", {"runId": "r-000000000000"})
    assert resp.status == 404


ARROW_TYPES = {"string": "Utf8", "number": "Float64", "time": "Timestamp<NANOSECOND, UTC>"}


def test_frames_are_arrow_unless_grafana_asks_for_json_and_both_say_the_same(aifbd, resource,
                                                                              data, arrow_reader):
    run = finished_run(aifbd, resource)
    ds = ds_ctx(aifbd.address)
    for kind, model in (("runs", {"runId": run["id"]}), ("run_result", {"runId": run["id"]}),
                        ("recipe_results", {"recipe": "llm-sim",
                                            "params": ["concurrency", "arrival"]}),
                        ("events", {"runId": run["id"]}), ("health", {})):
        arrow = query(data, ds, kind, model, fmt=pv2.ARROW)
        assert arrow.status == 200 and not arrow.error, (kind, arrow.error)
        assert arrow.format == pv2.ARROW and len(arrow.frames) == 1, kind
        assert arrow.frames[0][:6] == b"ARROW1", kind
        frame, _ = frame_rows(query(data, ds, kind, model))
        [got] = arrow_frames(arrow.frames)
        assert got["metadata"] == {"name": frame["schema"]["name"], "refId": "A"}, kind
        fields, values = frame["schema"]["fields"], frame["data"]["values"]
        assert [f["name"] for f in got["fields"]] == [f["name"] for f in fields], kind
        assert got["rows"] == (len(values[0]) if values else 0) and got["rows"] > 0, kind
        for af, jf, jv in zip(got["fields"], fields, values):
            what = (kind, jf["name"])
            assert af["nullable"] and af["type"] == ARROW_TYPES[jf["type"]], what
            assert af["metadata"]["name"] == jf["name"], what
            if "config" in jf:
                assert json.loads(af["metadata"]["config"]) == jf["config"], what
            else:
                assert "config" not in af["metadata"], what
            if jf["name"] == "uptime_s":
                continue  # it moves between the two queries
            if jf["type"] == "time":
                jv = [None if v is None else str(v * 1_000_000) for v in jv]
            assert af["values"] == jv, what


def test_services_routes(aifbd, resource):
    editor = app_ctx(aifbd.address)
    code, service = call(resource, editor, "POST", "services", {"recipe": "llm-sim"})
    assert code == 200 and service["id"].startswith("s-"), service
    code, listed = call(resource, editor, "GET", "services")
    assert code == 200 and service["id"] in [s["id"] for s in listed["services"]]
    code, one = call(resource, editor, "GET", "services/" + service["id"])
    assert code == 200 and one["recipe"] == "llm-sim"
    code, stopped = call(resource, editor, "POST", "services/%s/stop" % service["id"],
                         {"reason": "done with it"})
    assert code == 200 and stopped["id"] == service["id"]
    code, _ = call(resource, editor, "GET", "services/s-000000000000")
    assert code == 404


def test_shutdown_exits_0_with_json_logs_and_no_sanitizer_report(plugin):
    assert plugin.shutdown() == 0
    assert plugin.proc.stdout.read() == b"", "stdout has more than the handshake line"
    text = plugin.stderr()
    assert not plugin.sanitizer_reports(), text
    lines = [json.loads(l) for l in text.splitlines()]
    assert lines and all({"@level", "@message", "@timestamp"} <= set(l) for l in lines)
    assert "ann" in text and TOKEN not in text
