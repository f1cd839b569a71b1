"""The provisioned Grafana dashboards (dashboards/*.json) against what really reaches Prometheus and
Loki: an llm-sim run made by aifbd with its agents (as in test_observe_runs.py) feeds the session's
Prometheus and a receiver of Loki's push API (tests/lokiserver.py), then every query of every
dashboard is checked as Grafana would send it.

- Each dashboard parses, has its fixed uid, panel ids unique within it.
- Every data source a panel, a query, a variable or an annotation names is one that
  provisioning/grafana provisions, with the same type.
- Every PromQL expression, with the dashboard's variables substituted ($run_id and
  $compare_run_id: the run; $role: its "All" value; $__rate_interval: 1m; $__interval: 15s;
  $__range: 1h), is evaluated by Prometheus over the run's time span and returns data with a
  number in it. The few that a CPU-only llm-sim run cannot feed (GPUs, vLLM's KV cache) are listed
  in NOT_FED_HERE: those must be valid PromQL, Prometheus answering them without an error.
- Every LogQL expression parses in the subset this test reads (Grafana's own LogQL parser,
  @grafana/lezer-logql, is a JavaScript package the suite does not install): a stream selector
  whose matchers go through tests/lokiserver.py's selector parser, then line filters (|= != |~ !~),
  optionally inside one range aggregation (count_over_time, rate, bytes_over_time, bytes_rate)
  and one vector aggregation (sum, count, max, min, avg, with by (...)). The selector and its
  filters are then applied to the lines the receiver got from the run: they must select some.
- Every variable resolves: Prometheus' label_values for the run include the run and its roles;
  custom lists name recipes, parameters and result metrics that exist.
- Every query to the aifb data source has a queryType and keys, and every panel of it names
  fields, that docs/deploy.md documents and docs/grafana-plugin.md (the backend's) serves.
- Every link to a dashboard names an existing uid, variables it has and, for the logs, a logs
  panel of it, and carries the time range; every table of runs links each run to its live view,
  its post-mortem and its logs."""

import glob
import json
import os
import re
import urllib.parse
import urllib.request

import pytest
import yaml

from aifbtest import Daemon, ROOT
from lokiserver import LokiServer, Refused, parse_selector

DASHBOARDS = os.path.join(ROOT, "dashboards")
PROVISIONING = os.path.join(ROOT, "provisioning", "grafana")
FIXED_UIDS = {"live.json": "aifb-live", "postmortem.json": "aifb-postmortem",
              "trends.json": "aifb-trends", "controlplane.json": "aifb-controlplane"}

# Metrics an llm-sim run on a machine without GPUs cannot produce: NVML's, and vLLM's KV cache
# (aifb-llmsim has no cache). An expression is excused from returning data only when every metric
# it reads is here.
NOT_FED_HERE = {
    "aifb_gpu_utilization_ratio", "aifb_gpu_memory_used_bytes", "aifb_gpu_power_watts",
    "aifb_gpu_temperature_celsius", "vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc",
}

# About 6 s at 40 requests/s: aifb-loadgen pushes at its start, after 5 s and at its end, so every
# counter has the two samples rate() needs. The SLO makes the result carry its goodput.
RUN_PARAMS = ["-p", "rate=40", "-p", "requests=240", "-p", "concurrency=8", "-p", "ttft_ms=20",
              "-p", "itl_ms=5", "-p", "output_tokens=8", "-p", "slo=ttft=1000"]

BUILTIN_VARS = {"__rate_interval": "1m", "__interval": "15s", "__range": "1h"}
LINK_VARS = ("__url_time_range", "__value.raw", "__field.labels.", "__data.fields.")


# ---- the files -------------------------------------------------------------------------------------

def load_dashboards():
    out = {}
    for path in sorted(glob.glob(os.path.join(DASHBOARDS, "*.json"))):
        with open(path, encoding="utf-8") as f:
            out[os.path.basename(path)] = json.load(f)
    return out


def provisioned_datasources():
    found = {}
    for path in glob.glob(os.path.join(PROVISIONING, "datasources", "*.yaml")):
        with open(path) as f:
            for ds in yaml.safe_load(f).get("datasources", []):
                found[ds["uid"]] = ds["type"]
    return found


def all_panels(dash):
    for p in dash.get("panels", []):
        yield p
        yield from p.get("panels", [])  # a collapsed row keeps its panels inside


def all_targets(dash):
    """(where, target, datasource) of every query: panels, annotations."""
    for p in all_panels(dash):
        for t in p.get("targets", []):
            yield "panel %r" % p.get("title"), t, t.get("datasource") or p.get("datasource")
    for a in dash.get("annotations", {}).get("list", []):
        if a.get("builtIn"):
            continue
        yield "annotation %r" % a["name"], a.get("target", {}), a.get("datasource")


def variables(dash):
    return {v["name"]: v for v in dash.get("templating", {}).get("list", [])}


def var_refs(text):
    """The variable names $name, ${name} and ${name:format} in text."""
    return [m.group(1) or m.group(2)
            for m in re.finditer(r"\$\{([^}:]+)(?::[^}]*)?\}|\$(\w+)", text)]


def substitute(text, values):
    def one(m):
        name = m.group(1) or m.group(2)
        return values[name] if name in values else m.group(0)
    return re.sub(r"\$\{([^}:]+)(?::[^}]*)?\}|\$(\w+)", one, text)


def exprs(dashboards, ds_type):
    """(dashboard, where, expr) of every query of one data source type."""
    for name, dash in dashboards.items():
        for where, t, ds in all_targets(dash):
            if ds and ds.get("type") == ds_type and t.get("expr"):
                yield name, where, t["expr"]


def prom_var_query(v):
    q = v.get("query")
    return q.get("query") if isinstance(q, dict) else q


def documented_query_model(doc="deploy.md"):
    """queryType -> the keys a doc's query table documents for it (its second column)."""
    with open(os.path.join(ROOT, "docs", doc)) as f:
        text = f.read()
    model = {}
    for line in text.splitlines():
        m = re.match(r"\|\s*`(\w+)`\s*\|([^|]*)\|", line)
        if m:
            model.setdefault(m.group(1), set()).update(re.findall(r"`(\w+)`", m.group(2)))
    return model


# ---- the run ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def loki():
    with LokiServer() as server:
        yield server


@pytest.fixture(scope="module")
def run(prometheus, loki):
    """One llm-sim run with the agents, ended, and its values for the dashboards' variables."""
    d = Daemon(env={"AIFB_PROMETHEUS_URL": prometheus.write_url, "AIFB_LOKI_URL": loki.url})
    d.start()
    try:
        r = d.cli_json("run", "start", "llm-sim", *RUN_PARAMS, "--wait")
        assert r["state"] == "RUN_STATE_SUCCEEDED", (r, d.log())
    finally:
        d.cleanup()
    return r


def variable_values(run):
    values = dict(BUILTIN_VARS)
    values.update(run_id=run["id"], compare_run_id=run["id"], role=".+", search="")
    return values


def query_range(prometheus, expr, start, end):
    params = urllib.parse.urlencode({"query": expr, "start": "%.3f" % start, "end": "%.3f" % end,
                                     "step": "1"})
    try:
        with urllib.request.urlopen(prometheus.base + "/api/v1/query_range?" + params,
                                    timeout=10) as r:
            body = json.load(r)
    except urllib.error.HTTPError as e:
        raise AssertionError("%s: HTTP %d: %s" % (expr, e.code, e.read().decode()))
    assert body["status"] == "success", (expr, body)
    return body["data"]["result"]


def label_values(prometheus, label, match, start, end):
    params = [("start", "%.3f" % start), ("end", "%.3f" % end)]
    if match:
        params.append(("match[]", match))
    url = "%s/api/v1/label/%s/values?%s" % (prometheus.base, label,
                                             urllib.parse.urlencode(params))
    with urllib.request.urlopen(url, timeout=10) as r:
        body = json.load(r)
    assert body["status"] == "success", body
    return body["data"]


def span(run):
    """The run's time span in Unix seconds, with a little room either side."""
    return run["created_at_ms"] / 1000 - 5, run["ended_at_ms"] / 1000 + 5


def metric_names(expr):
    """Names of the series an expression reads: its identifiers but functions, keywords, label
    names (in selectors and by (...)) and durations."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    e = re.sub(r"\{[^}]*\}|\[[^\]]*\]|\b(?:by|without|on|ignoring)\s*\([^)]*\)", " ", e)
    names = set(re.findall(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(?![a-zA-Z0-9_:]*\s*\()", e))
    names -= {"bool", "offset", "group_left", "group_right", "and", "or", "unless", "inf", "nan"}
    assert names, "no series in %r" % expr
    return names


# ---- the files alone -------------------------------------------------------------------------------

def test_each_dashboard_parses_with_its_fixed_uid_and_unique_panel_ids():
    dashboards = load_dashboards()
    assert set(dashboards) == set(FIXED_UIDS), sorted(dashboards)
    for name, dash in dashboards.items():
        assert dash["uid"] == FIXED_UIDS[name], name
        assert dash["title"] and dash["panels"], name
        ids = [p["id"] for p in all_panels(dash)]
        assert len(ids) == len(set(ids)), (name, ids)
    uids = [d["uid"] for d in dashboards.values()]
    assert len(uids) == len(set(uids))


# Grafana's own panels (no panel plugin is installed with the stack).
CORE_PANELS = {"row", "timeseries", "table", "stat", "logs", "bargauge", "piechart", "xychart",
               "gauge", "barchart", "heatmap", "text", "state-timeline", "annolist"}


def test_panels_are_grafanas_own_and_lie_on_the_grid_without_overlapping():
    for name, dash in load_dashboards().items():
        taken = {}
        for p in all_panels(dash):
            assert p["type"] in CORE_PANELS, (name, p["title"], p["type"])
            g = p["gridPos"]
            assert g["x"] >= 0 and g["w"] > 0 and g["x"] + g["w"] <= 24, (name, p["title"], g)
            for x in range(g["x"], g["x"] + g["w"]):
                for y in range(g["y"], g["y"] + g["h"]):
                    assert (x, y) not in taken, (name, p["title"], "overlaps", taken[(x, y)])
                    taken[(x, y)] = p["title"]


def test_every_data_source_used_is_provisioned_with_its_type():
    provisioned = provisioned_datasources()
    assert {"aifb-prometheus", "aifb-loki", "aifb"} <= set(provisioned), provisioned
    used = 0
    for name, dash in load_dashboards().items():
        refs = [("panel %r" % p.get("title"), p.get("datasource")) for p in all_panels(dash)]
        refs += [(where, ds) for where, _, ds in all_targets(dash)]
        refs += [("variable %s" % n, v.get("datasource")) for n, v in variables(dash).items()]
        for where, ds in refs:
            if not ds:
                continue
            assert isinstance(ds, dict), (name, where, ds)
            if ds.get("type") == "grafana":
                continue
            assert ds.get("uid") in provisioned, (name, where, ds)
            assert provisioned[ds["uid"]] == ds.get("type"), (name, where, ds)
            used += 1
    assert used > 50


def test_every_variable_a_query_or_link_names_is_defined():
    dashboards = load_dashboards()
    for name, dash in dashboards.items():
        known = set(variables(dash)) | set(BUILTIN_VARS)
        texts = [json.dumps(t) for _, t, _ in all_targets(dash)]
        texts += [p.get("title", "") for p in all_panels(dash)]
        texts += [json.dumps(v.get("query")) for v in variables(dash).values()]
        for text in texts:
            for ref in var_refs(text):
                assert ref in known or ref.startswith(LINK_VARS), (name, ref, text)


@pytest.mark.parametrize("doc", ["deploy.md", "grafana-plugin.md"])
def test_queries_to_the_aifb_data_source_follow_the_documented_model(doc):
    """This model's page, and the backend's own (gpx_aifb, which serves it)."""
    model = documented_query_model(doc)
    assert {"runs", "run_result", "recipe_results", "events", "health"} <= set(model), model
    seen = set()
    for name, dash in load_dashboards().items():
        for where, t, ds in all_targets(dash):
            if not ds or ds.get("uid") != "aifb":
                continue
            qt = t.get("queryType")
            assert qt in model, (doc, name, where, t)
            keys = set(t) - {"refId", "datasource", "queryType", "hide"}
            assert keys <= model[qt], (doc, name, where, "undocumented keys", keys - model[qt])
            seen.add(qt)
    assert seen == {"runs", "run_result", "recipe_results", "events", "health"}, seen


def documented_frame_fields(doc="deploy.md"):
    """queryType -> the field names a doc's query table gives its frames (its third column)."""
    with open(os.path.join(ROOT, "docs", doc)) as f:
        text = f.read()
    fields = {}
    for line in text.splitlines():
        m = re.match(r"\|\s*`(\w+)`\s*\|[^|]*\|([^|]*)\|", line)
        if m:
            fields.setdefault(m.group(1), set()).update(re.findall(r"`(\w+)`", m.group(2)))
    return fields


def fields_named(panel):
    """The frame fields a panel refers to by name: stat fields, overrides, transformations and
    data links (not those named by a variable, which the variables' tests check)."""
    names = set()
    reduce = panel.get("options", {}).get("reduceOptions", {}).get("fields", "")
    names |= set(re.findall(r"^/\^(\w+)\$/$", reduce))
    for o in panel.get("fieldConfig", {}).get("overrides", []):
        if o["matcher"]["id"] == "byName":
            names.add(o["matcher"]["options"])
    for t in panel.get("transformations", []):
        opts = t["options"]
        if t["id"] == "groupBy":
            names |= set(opts["fields"])
        elif t["id"] == "filterByValue":
            names |= {f["fieldName"] for f in opts["filters"]}
        elif t["id"] == "sortBy":
            names |= {f["field"] for f in opts["sort"]}
        elif t["id"] == "filterFieldsByName":
            names |= {"time", "run_id"} & set(opts["include"]["names"])  # the rest: metrics
    names |= set(re.findall(r"\$\{__data\.fields\.(\w+)\}", json.dumps(panel)))
    return {n for n in names if "$" not in n}


@pytest.mark.parametrize("doc", ["deploy.md", "grafana-plugin.md"])
def test_panels_of_the_aifb_data_source_name_fields_its_frames_have(doc):
    """Against this model's page and the backend's own (gpx_aifb, which serves it)."""
    documented = documented_frame_fields(doc)
    checked = 0
    for name, dash in load_dashboards().items():
        for p in all_panels(dash):
            types = {t.get("queryType") for t in p.get("targets", [])
                     if (t.get("datasource") or {}).get("uid") == "aifb"}
            if not types:
                continue
            assert types <= set(documented), (doc, name, p["title"], types)
            have = set().union(*(documented[qt] for qt in types))
            used = fields_named(p)
            assert used <= have, (doc, name, p["title"], used - have)
            checked += len(used)
    assert checked >= 20, checked


def link_urls(obj):
    """Every link url in a panel or dashboard JSON, with whether it keeps the time range."""
    if isinstance(obj, dict):
        if "url" in obj and isinstance(obj["url"], str):
            yield obj["url"], bool(obj.get("keepTime"))
        for v in obj.values():
            yield from link_urls(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from link_urls(v)


def test_links_reach_existing_dashboards_variables_and_panels_with_the_time_range():
    dashboards = load_dashboards()
    by_uid = {d["uid"]: d for d in dashboards.values()}
    count = 0
    for name, dash in dashboards.items():
        for url, keep_time in link_urls({"links": dash.get("links"), "panels": dash["panels"]}):
            m = re.match(r"/d/([\w-]+)(?:/[\w-]+)?(?:\?(.*))?$", url)
            assert m, (name, url)
            target = by_uid.get(m.group(1))
            assert target, (name, "no dashboard", m.group(1))
            assert keep_time or "${__url_time_range}" in url, (name, "time range lost", url)
            for k, v in urllib.parse.parse_qsl(m.group(2) or "", keep_blank_values=True):
                if k.startswith("var-"):
                    assert k[4:] in variables(target), (name, url, k)
                elif k == "viewPanel":
                    panels = {str(p["id"]): p for p in all_panels(target)}
                    assert panels.get(v, {}).get("type") == "logs", (name, url)
            count += 1
    assert count > 20


def test_every_table_of_runs_links_each_run_to_its_live_view_postmortem_and_logs():
    tables = 0
    for name, dash in load_dashboards().items():
        for p in all_panels(dash):
            lists_runs = [t for t in p.get("targets", [])
                          if t.get("queryType") in ("runs", "recipe_results")]
            if not lists_runs:
                continue
            field = "id" if lists_runs[0]["queryType"] == "runs" else "run_id"
            links = list(p["fieldConfig"]["defaults"].get("links", []))
            for o in p["fieldConfig"].get("overrides", []):
                if o["matcher"] == {"id": "byName", "options": field}:
                    for prop in o["properties"]:
                        if prop["id"] == "links":
                            links += prop["value"]
            urls = [link["url"] for link in links]
            if p["type"] == "piechart":  # counts by state: no run to link
                continue
            assert any(u.startswith("/d/aifb-live/") and "viewPanel" not in u for u in urls), (
                name, p["title"], urls)
            assert any(u.startswith("/d/aifb-postmortem/") for u in urls), (name, p["title"])
            assert any("viewPanel" in u for u in urls), (name, p["title"])
            tables += 1
    assert tables >= 5


# ---- against the run -------------------------------------------------------------------------------

def test_every_promql_expression_returns_data_for_the_run(run, prometheus):
    dashboards = load_dashboards()
    values = variable_values(run)
    start, end = span(run)
    fed, excused, empty = 0, [], []
    for name, where, expr in exprs(dashboards, "prometheus"):
        q = substitute(expr, values)
        assert "$" not in q, (name, where, q)
        result = query_range(prometheus, q, start, end)  # raises on invalid PromQL
        numbers = [float(v) for s in result for _, v in s["values"] if v not in ("NaN",)]
        if metric_names(q) <= NOT_FED_HERE:
            excused.append(q)
            continue
        if not numbers:
            empty.append("%s, %s: %s" % (name, where, q))
        fed += 1
    assert not empty, "expressions without data for run %s:\n%s" % (run["id"], "\n".join(empty))
    assert fed >= 40, fed
    # The exceptions are exactly the GPU and KV cache panels: nothing else hides behind them.
    assert len(excused) == 6, excused


def test_every_prometheus_variable_resolves_to_the_runs_values(run, prometheus):
    values = variable_values(run)
    start, end = span(run)
    checked = 0
    for name, dash in load_dashboards().items():
        for vname, v in variables(dash).items():
            if v["type"] != "query":
                continue
            q = substitute(prom_var_query(v), values)
            m = re.match(r"label_values\((?:(.+),\s*)?(\w+)\)$", q)
            assert m, (name, vname, q)
            got = set(label_values(prometheus, m.group(2), m.group(1), start, end))
            want = {"run_id": {run["id"]}, "role": {"service", "client"}}[m.group(2)]
            assert want <= got, (name, vname, q, got)
            checked += 1
    assert checked >= 4


def recipe_params():
    names, params = set(), set()
    for path in glob.glob(os.path.join(ROOT, "recipes", "*.yaml")):
        with open(path) as f:
            doc = yaml.safe_load(f)
        names.add(doc["name"])
        params |= {p["name"] for p in doc.get("params", [])}
    return names, params


def test_every_custom_list_names_recipes_parameters_and_metrics_that_exist(run):
    recipes, params = recipe_params()
    metrics = {m["name"] for m in run["summary"]}
    assert "p99_ttft_ms" in metrics and "request_goodput" in metrics, metrics
    lists = {"recipe": recipes, "param": params, "metric": metrics}
    trends = load_dashboards()["trends.json"]
    for vname, v in variables(trends).items():
        if v["type"] == "custom":
            options = [o.strip() for o in v["query"].split(",")]
            assert options and set(options) <= lists[vname], (vname, set(options) - lists[vname])
    # The metrics the trend panels keep are the result's too.
    for p in all_panels(trends):
        for t in p.get("transformations", []):
            if t["id"] == "filterFieldsByName":
                kept = set(t["options"]["include"]["names"]) - {"time", "run_id"}
                assert kept <= metrics, kept - metrics


# ---- LogQL -----------------------------------------------------------------------------------------

_MATCHER = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*")\s*(,|\})')
_FILTER = re.compile(r'\s*(\|=|!=|\|~|!~)\s*("(?:[^"\\]|\\.)*"|`[^`]*`)')
_RANGE = re.compile(r"^(count_over_time|rate|bytes_over_time|bytes_rate)\((.*)\[(\d+(?:ms|s|m|h|d))\]\)$",
                    re.S)
_VECTOR = re.compile(r"^(sum|count|max|min|avg)(?:\s+by\s*\(([\w\s,]*)\))?\s*\((.*)\)$", re.S)


def _string(lit):
    return lit[1:-1] if lit.startswith("`") else json.loads(lit)


def _regex(expr, value):
    try:
        re.compile(value)
    except re.error as err:
        raise ValueError("%r: the regex %r: %s" % (expr, value, err))


def parse_logql(expr):
    """(matchers, filters) of a LogQL expression in the subset above; raises ValueError."""
    e = expr.strip()
    m = _VECTOR.match(e)
    if m:
        e = m.group(3).strip()
    m = _RANGE.match(e)
    if m:
        e = m.group(2).strip()
    if not e.startswith("{"):
        raise ValueError("%r: a log query starts with a stream selector" % expr)
    i, matchers = 1, []
    while True:
        m = _MATCHER.match(e, i)
        if not m:
            raise ValueError("%r: a bad matcher at %d" % (expr, i))
        name, op, value = m.group(1), m.group(2), _string(m.group(3))
        if op in ("=~", "!~"):
            _regex(expr, value)
        matchers.append((name, op, value))
        i = m.end()
        if m.group(4) == "}":
            break
    # The labels themselves as Loki reads a stream's labels (names, escapes, none twice).
    try:
        parse_selector("{" + ", ".join('%s=%s' % (n, json.dumps(v)) for n, _, v in matchers) + "}")
    except Refused as err:
        raise ValueError("%r: %s" % (expr, err))
    if not any(op == "=" and v for _, op, v in matchers):
        raise ValueError("%r: Loki needs a matcher that does not match the empty value" % expr)
    filters = []
    while i < len(e):
        m = _FILTER.match(e, i)
        if not m:
            raise ValueError("%r: %r is not a line filter" % (expr, e[i:]))
        value = _string(m.group(2))
        if "~" in m.group(1):
            _regex(expr, value)
        filters.append((m.group(1), value))
        i = m.end()
        while i < len(e) and e[i].isspace():
            i += 1
    return matchers, filters


def _label_match(labels, matchers):
    for name, op, value in matchers:
        have = labels.get(name, "")
        ok = {"=": have == value, "!=": have != value,
              "=~": re.fullmatch(value, have) is not None,
              "!~": re.fullmatch(value, have) is None}[op]
        if not ok:
            return False
    return True


def _line_match(line, filters):
    for op, value in filters:
        ok = {"|=": value in line, "!=": value not in line,
              "|~": re.search(value, line) is not None,
              "!~": re.search(value, line) is None}[op]
        if not ok:
            return False
    return True


def test_the_logql_reader_refuses_what_loki_refuses():
    for bad in ('{app="aifb"', '{app=aifb}', '{app="aifb", 1x="y"}', '{run_id=~".*"}',
                '{app="aifb"} |= unquoted', '{app="aifb", role=~"("}', '{__name__="x"}'):
        with pytest.raises(ValueError):
            parse_logql(bad)
    m, f = parse_logql('sum by (role) (count_over_time({app="aifb", role=~"c.+"} |~ "x" [15s]))')
    assert m == [("app", "=", "aifb"), ("role", "=~", "c.+")] and f == [("|~", "x")]


def test_every_logql_expression_parses_and_selects_the_runs_lines(run, loki):
    values = variable_values(run)
    with loki.lock:
        streams = [(dict(k), list(s.lines)) for k, s in loki.streams.items()]
    assert streams, "the receiver got nothing from the run"
    checked = 0
    for name, where, expr in exprs(load_dashboards(), "loki"):
        q = substitute(expr, values)
        matchers, filters = parse_logql(q)
        lines = [line for labels, ls in streams if _label_match(labels, matchers)
                 for line in ls if _line_match(line, filters)]
        assert lines, (name, where, q, [labels for labels, _ in streams])
        checked += 1
    assert checked >= 3
