"""The Grafana app's pages in headless Chromium, clicked against the real gpx_aifb and aifbd.

Grafana itself cannot run here, so tests/grafanahost.py stands in for its server: it serves the
built plugin (grafana-plugin/dist, as `npm run build` wrote it) inside a host page that provides
what @grafana/runtime needs (grafana-plugin/e2e/harness.tsx, built here), and forwards the
pages' resource calls to gpx_aifb (the sanitizer build) over pluginv2, which calls a real aifbd
with the local executor. grafana-plugin/e2e/app.e2e.mjs drives Debian's Chromium with
playwright-core: Start on llm-sim (after a refused value), RUNNING, Stop with its confirmation,
CANCELLED, a Viewer without Start, a Viewer refused by the backend. This test then checks from the
other side that the clicks did what the pages said: the run exists in aifbd, was started with
the form's values and cancelled; the Viewer's Start reached the shim and was answered 403 without
a run. Screenshots of every step are kept in $AIFB_TEST_OUTPUT/browser (default:
build-asan/test-output/browser)."""

import json
import os
import shutil
import subprocess

import pytest

from aifbtest import ROOT, Daemon, free_port
from grafanahost import GrafanaHost
from pluginhost import Plugin

PLUGIN_DIR = os.path.join(ROOT, "grafana-plugin")
OUT = os.path.join(os.environ.get("AIFB_TEST_OUTPUT") or os.path.join(ROOT, "build-asan", "test-output"),
                   "browser")
TOKEN = "browser-test-token-0123456789abcdef"
RUN_REQUESTS = 3000  # 150 s at the recipe's 20 req/s: it is still running when Stop is clicked


def npx(*args):
    r = subprocess.run(["npx", "--no-install", *args], cwd=PLUGIN_DIR, capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, "npx %s failed:\n%s%s" % (" ".join(args), r.stdout[-3000:],
                                                        r.stderr[-3000:])


@pytest.fixture(scope="module")
def built():
    """The plugin as `npm run build` makes it, and the host page's bundle."""
    assert shutil.which("npx"), "Node.js (npx) is needed: scripts/install-deps.sh --test installs it"
    assert os.path.isdir(os.path.join(PLUGIN_DIR, "node_modules")), \
        "grafana-plugin/node_modules is missing: run grafana-plugin/run-tests.sh (or npm ci) first"
    npx("webpack", "-c", "./webpack.config.js", "--env", "production")
    npx("webpack", "-c", "./e2e/webpack.config.js")


@pytest.fixture(scope="module")
def stack(built):
    d = Daemon(listen="127.0.0.1:%d" % free_port(), env={"AIFB_TOKEN": TOKEN}).start()
    plugin = Plugin()
    host = GrafanaHost(plugin, d.address, token=TOKEN)
    yield d, plugin, host
    host.stop()
    plugin.stop()
    d.cleanup()


def test_start_watch_and_stop_a_run_by_clicking_the_apps_pages(stack):
    d, plugin, host = stack
    shutil.rmtree(OUT, ignore_errors=True)
    r = subprocess.run(["node", os.path.join(PLUGIN_DIR, "e2e", "app.e2e.mjs"), "--url", host.url,
                        "--out", OUT, "--run-requests", str(RUN_REQUESTS)],
                       cwd=PLUGIN_DIR, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, "the browser's steps:\n%s\n%s\nshim log:\n%s" % (
        r.stdout, r.stderr, plugin.stderr()[-4000:])
    result = json.loads(r.stdout.strip().splitlines()[-1])
    steps = [l[3:] for l in r.stdout.splitlines() if l.startswith("ok ")]
    assert steps == ["recipes", "form-checks-range", "aifbd-refusal-beside-field", "run-started",
                     "run-running", "runs-table", "stop-confirmed", "viewer-has-no-start",
                     "viewer-refused-by-backend"]

    # Every step left a screenshot, a real PNG of the page.
    assert len(result["screenshots"]) == len(steps)
    for f in result["screenshots"]:
        with open(f, "rb") as fh:
            head = fh.read(8)
        assert head == b"\x89PNG\r\n\x1a\n" and os.path.getsize(f) > 10_000, f

    # The run the pages started and stopped, as aifbd has it: one run, the form's values, cancelled.
    run_id = result["run_id"]
    runs = d.cli_json("run", "list")["runs"]
    assert [x["id"] for x in runs] == [run_id], runs
    run = d.run(run_id)
    assert run["state"] == "RUN_STATE_CANCELLED", run
    params = {p["name"]: p["value"] for p in run.get("params", [])}
    assert params.get("requests") == str(RUN_REQUESTS), params
    assert params.get("rate") == "20", params

    # What went through the shim: the Editor's starts (the refused one answered 400, the good one
    # 200) and stop, and the Viewer's start answered 403 by the shim itself.
    posts = [(role, path, code) for role, method, path, code in host.calls if method == "POST"]
    assert ("Editor", "runs", 400) in posts, posts
    assert ("Editor", "runs", 200) in posts, posts
    assert ("Editor", "runs/%s/stop" % run_id, 200) in posts, posts
    assert posts[-1] == ("Viewer", "runs", 403), posts
    assert not plugin.sanitizer_reports(), plugin.stderr()
