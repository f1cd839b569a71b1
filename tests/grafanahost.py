"""A stand-in for the Grafana server in front of the aifb app, for the browser test.

It does, on a loopback port, what Grafana's HTTP server does for an app plugin's pages:
- serves the frontend shell (grafana-plugin/e2e/index.html with the signed-in user's boot data and
  the test host's bundle, e2e/dist/harness.js) for every /a/aifb-controlplane-app/ path;
- serves the built plugin (grafana-plugin/dist/) under /public/plugins/aifb-controlplane-app/,
  and Grafana's icons (from @grafana/ui) under /public/build/img/icons/;
- forwards /api/plugins/aifb-controlplane-app/resources/<path> to the real gpx_aifb through
  pluginv2 CallResource, with the app's settings (aifbdAddress, aifbdToken) and the session's
  user in the PluginContext, as Grafana's plugin proxy does.

The session's role comes from the cookie aifb_test_role (Editor when absent), as Grafana takes it
from the signed-in session; the cookie aifb_test_page_role, when set, makes the page believe
another role than the one the backend is told, to show that the backend decides."""

import json
import mimetypes
import os
import threading
import urllib.parse
from http import cookies
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aifbtest import ROOT
from pluginhost import APP_ID, app_ctx, call_raw

PLUGIN_DIR = os.path.join(ROOT, "grafana-plugin")
DIST = os.path.join(PLUGIN_DIR, "dist")
E2E = os.path.join(PLUGIN_DIR, "e2e")
# Grafana's own icons, which @grafana/ui asks for under public/build/img/icons/.
ICONS = os.path.join(PLUGIN_DIR, "node_modules", "@grafana", "ui", "dist", "public", "img", "icons")
RESOURCES = "/api/plugins/%s/resources/" % APP_ID
PUBLIC = "/public/plugins/%s/" % APP_ID


def _static(root, rel):
    """The file rel under root, or None: no way out of root."""
    path = os.path.realpath(os.path.join(root, rel))
    if not path.startswith(os.path.realpath(root) + os.sep) or not os.path.isfile(path):
        return None
    return path


class GrafanaHost:
    """The HTTP server, started on a free loopback port; forwards to plugin (a pluginhost.Plugin)."""

    def __init__(self, plugin, aifbd_address, token=None):
        self.plugin = plugin
        self.aifbd_address = aifbd_address
        self.token = token
        self.calls = []  # (role, method, path, code) of every forwarded call, for the test to read
        host = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_):
                pass

            def do_GET(self):
                host._handle(self)

            def do_POST(self):
                host._handle(self)

            def do_PUT(self):
                host._handle(self)

            def do_DELETE(self):
                host._handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def _roles(self, req):
        jar = cookies.SimpleCookie(req.headers.get("Cookie", ""))
        role = jar["aifb_test_role"].value if "aifb_test_role" in jar else "Editor"
        page = jar["aifb_test_page_role"].value if "aifb_test_page_role" in jar else role
        return role, page

    def _send(self, req, code, body, ctype, extra=()):
        req.send_response(code)
        req.send_header("Content-Type", ctype)
        req.send_header("Content-Length", str(len(body)))
        req.send_header("Cache-Control", "no-store")
        for k, v in extra:
            req.send_header(k, v)
        req.end_headers()
        if req.command != "HEAD":
            req.wfile.write(body)

    def _handle(self, req):
        url = urllib.parse.urlsplit(req.path)
        path = urllib.parse.unquote(url.path)
        if path.startswith(RESOURCES):
            return self._resource(req, url)
        if req.command != "GET":
            return self._send(req, 405, b'{"message":"method not allowed"}', "application/json")
        if path == "/" or path == "/a/" + APP_ID or path.startswith("/a/%s/" % APP_ID):
            return self._shell(req)
        for prefix, root in ((PUBLIC, DIST), ("/harness/", os.path.join(E2E, "dist")),
                             ("/public/build/img/icons/", ICONS)):
            if path.startswith(prefix):
                f = _static(root, path[len(prefix):])
                if f:
                    with open(f, "rb") as fh:
                        ctype = mimetypes.guess_type(f)[0] or "application/octet-stream"
                        return self._send(req, 200, fh.read(), ctype)
        return self._send(req, 404, b'{"message":"Not found"}', "application/json")

    def _shell(self, req):
        _, page_role = self._roles(req)
        boot = {
            "settings": {"appSubUrl": "", "appUrl": self.url + "/",
                         "buildInfo": {"version": "13.1.1", "env": "production"}},
            "user": {"login": "ann", "name": "Ann", "orgId": 1, "orgRole": page_role,
                     "isGrafanaAdmin": False, "isSignedIn": True, "theme": "light",
                     "timezone": "utc"},
            "navTree": [],
        }
        with open(os.path.join(E2E, "index.html")) as f:
            html = f.read().replace("/*BOOT_DATA*/ {}", json.dumps(boot))
        self._send(req, 200, html.encode(), "text/html; charset=utf-8")

    def _resource(self, req, url):
        role, _ = self._roles(req)
        n = int(req.headers.get("Content-Length") or 0)
        body = req.rfile.read(n) if n else b""
        rel = url.path[len(RESOURCES):]
        full = rel + ("?" + url.query if url.query else "")
        ctx = app_ctx(self.aifbd_address, role=role, token=self.token)
        try:
            code, headers, out = call_raw(self.plugin.resource, ctx, req.command, full, body)
        except Exception as e:  # what Grafana answers when the plugin does not
            self.calls.append((role, req.command, rel, 500))
            msg = json.dumps({"message": "Failed to call resource", "error": str(e)}).encode()
            return self._send(req, 500, msg, "application/json")
        self.calls.append((role, req.command, rel, code))
        ctype = (headers.get("Content-Type") or ["application/json"])[0]
        self._send(req, code, out, ctype)
