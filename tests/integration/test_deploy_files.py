"""The deployment files (docker/, k8s/, provisioning/, dashboards/) checked for what can be known
without a Docker engine or a cluster, neither of which runs here:

- every YAML and JSON file parses;
- every file and folder the compose files, Dockerfiles and manifests name exists in the repository
  (a build output, grafana-plugin/dist, through the source it is built from), and no image's
  .dockerignore leaves out what its Dockerfile copies;
- the Dockerfiles build targets the project's CMake defines, install the build packages of
  scripts/install-deps.sh, and their runtime stages hold the packages of every shared library the
  built programs (those in $AIFB_BIN_DIR) load, and run as a user other than root;
- ports, host names, paths and URLs agree between compose, Kubernetes, provisioning and aifbd's own
  defaults, each read from where it is defined (aifbd's source, the receivers' configurations,
  docs/observe.md, tests/lokiserver.py), not repeated here;
- Prometheus runs with its remote write receiver on, in compose and in Kubernetes;
- k8s/configmaps.yaml is what k8s/configmaps.py writes from the files it packs."""

import glob
import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import urllib.parse

import yaml

from aifbtest import BIN, ROOT
from lokiserver import PUSH_PATH

DOCKER = os.path.join(ROOT, "docker")
K8S = os.path.join(ROOT, "k8s")
GRAFANA_PROVISIONING = os.path.join(ROOT, "provisioning", "grafana")
# Build outputs that a clone does not have, and the source each is built from.
BUILD_OUTPUTS = {"grafana-plugin/dist": "grafana-plugin/backend"}


def read(rel):
    with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
        return f.read()


def load_yaml(rel):
    return yaml.safe_load(read(rel))


def compose():
    return load_yaml("docker/docker-compose.yml")


def k8s_docs():
    docs = []
    for path in sorted(glob.glob(os.path.join(K8S, "*.yaml"))):
        if path.endswith("kustomization.yaml"):
            continue
        with open(path) as f:
            docs += [d for d in yaml.safe_load_all(f) if d]
    return docs


def k8s(kind, name):
    found = [d for d in k8s_docs() if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, (kind, name, len(found))
    return found[0]


def container(deployment):
    return k8s("Deployment", deployment)["spec"]["template"]["spec"]["containers"][0]


def env_of_container(c):
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in c.get("env", [])}


def exists_in_repo(rel):
    """Whether a repository path exists, a build output through its source."""
    rel = os.path.normpath(rel)
    for out, src in BUILD_OUTPUTS.items():
        if rel == out or rel.startswith(out + "/"):
            return os.path.exists(os.path.join(ROOT, src))
    return os.path.exists(os.path.join(ROOT, rel))


# ---- Dockerfiles -----------------------------------------------------------------------------------

def dockerfile(rel):
    """The instructions of a Dockerfile as (stage index, KEYWORD, argument text), continuation
    lines joined and comments dropped."""
    lines, joined = [], ""
    for raw in read(rel).splitlines():
        s = raw.strip()
        if not joined and (not s or s.startswith("#")):
            continue
        if s.startswith("#"):
            continue
        if s.endswith("\\"):
            joined += s[:-1] + " "
            continue
        lines.append(joined + s)
        joined = ""
    out, stage = [], -1
    for line in lines:
        key, _, arg = line.partition(" ")
        key = key.upper()
        if key == "FROM":
            stage += 1
        out.append((stage, key, arg.strip()))
    return out


def apt_packages(instructions, stage):
    pkgs = []
    for st, key, arg in instructions:
        if st == stage and key == "RUN":
            for part in arg.split("apt-get install")[1:]:
                pkgs += [w for w in shlex.split(part.split("&&")[0]) if not w.startswith("-")]
    return pkgs


def dockerignore(rel_dockerfile):
    """(pattern, negated) rules of <Dockerfile>.dockerignore."""
    rules = []
    for line in read(rel_dockerfile + ".dockerignore").splitlines():
        s = line.strip()
        if s and not s.startswith("#"):
            rules.append((s[1:], True) if s.startswith("!") else (s, False))
    return rules


def ignored(rules, path):
    """Docker's reading of a .dockerignore (last matching rule wins; a folder's rule covers what is
    inside it), for the patterns these files use."""
    result = False
    parts = path.split("/")
    for pattern, negated in rules:
        regex = re.compile("".join(
            "(?:.*/)?" if part == "**/" else "[^/]*" if part == "*" else re.escape(part)
            for part in re.split(r"(\*\*/|\*)", pattern.strip("/"))) + "$")
        if any(regex.match("/".join(parts[:i])) for i in range(1, len(parts) + 1)):
            result = not negated
    return result


def cmake_executables():
    names = set()
    for path in glob.glob(os.path.join(ROOT, "**", "CMakeLists.txt"), recursive=True):
        if "/build" in os.path.relpath(path, ROOT).split("/")[0][:6]:
            continue
        with open(path) as f:
            text = f.read()
        names |= set(re.findall(r"add_executable\(\s*([\w-]+)", text))
        for progs in re.findall(r"foreach\(prog ([\w ]+)\)", text):
            names |= {"aifb-" + p for p in progs.split()}
    return names


DOCKERFILES = ["docker/aifbd.Dockerfile", "docker/agents.Dockerfile", "docker/grafana.Dockerfile",
               "docker/test.Dockerfile"]
PROGRAM_IMAGES = ["docker/aifbd.Dockerfile", "docker/agents.Dockerfile", "docker/grafana.Dockerfile"]


def built_targets(instr):
    for _, key, arg in instr:
        if key == "RUN" and "--target" in arg:
            return arg.split("--target", 1)[1].split("&&")[0].split()
    return []


def copied_programs(instr):
    last = max(st for st, _, _ in instr)
    for st, key, arg in instr:
        if st == last and key == "COPY" and arg.startswith("--from=build"):
            return [os.path.basename(w) for w in arg.split()[1:-1]]
    return []


def install_deps_build_packages():
    m = re.search(r"build_pkgs=\(\s*(.*?)\)", read("scripts/install-deps.sh"), re.S)
    return m.group(1).split()


# ---- provisioning ----------------------------------------------------------------------------------

def datasources():
    out = {}
    for path in glob.glob(os.path.join(GRAFANA_PROVISIONING, "datasources", "*.yaml")):
        with open(path) as f:
            for ds in yaml.safe_load(f)["datasources"]:
                out[ds["uid"]] = ds
    return out


def app():
    apps = load_yaml("provisioning/grafana/plugins/apps.yaml")["apps"]
    assert len(apps) == 1
    return apps[0]


def provider_path():
    providers = load_yaml("provisioning/grafana/dashboards/aifb.yaml")["providers"]
    assert len(providers) == 1 and providers[0]["type"] == "file"
    return providers[0]["options"]["path"]


def daemon_port():
    m = re.search(r'cfg->listen = xstrdup\("127\.0\.0\.1:(\d+)"\)', read("controlplane/aifbd/config.c"))
    assert m, "aifbd's default listener is no longer where this test reads it"
    return int(m.group(1))


def prometheus_port():
    targets = load_yaml("provisioning/prometheus/prometheus.yml")["scrape_configs"][0][
        "static_configs"][0]["targets"]
    return int(targets[0].split(":")[1])


def loki_port():
    return int(load_yaml("provisioning/loki/loki.yaml")["server"]["http_listen_port"])


def documented_receiver_path(env):
    m = re.search(r"`%s` \| `(http[^`]+)`" % env, read("docs/observe.md"))
    assert m, env
    return urllib.parse.urlparse(m.group(1)).path


def bind_mounts(service):
    """target -> repository path of a compose service's bind mounts (relative to docker/)."""
    out = {}
    for v in service.get("volumes", []):
        src, target = v.split(":")[:2]
        if src.startswith("."):
            out[target] = os.path.normpath(os.path.join("docker", src))
    return out


def flag(args, name):
    for a in args:
        if a.startswith(name + "="):
            return a.split("=", 1)[1]
    return None


def container_port(mapping):
    return int(str(mapping).split(":")[-1])


# ---- tests -----------------------------------------------------------------------------------------

def test_every_yaml_and_json_file_parses():
    files = []
    for pattern in ("docker/*.yml", "k8s/*.yaml", "provisioning/**/*.yaml", "provisioning/**/*.yml",
                    "dashboards/*.json", "provisioning/**/*.json"):
        files += glob.glob(os.path.join(ROOT, pattern), recursive=True)
    assert len(files) >= 15, files
    for path in files:
        with open(path, encoding="utf-8") as f:
            docs = list(yaml.safe_load_all(f))  # JSON is YAML too
        assert docs and all(d is not None for d in docs if d != {}), path


def test_every_path_the_compose_files_name_exists():
    for rel in ("docker/docker-compose.yml", "docker/docker-compose.test.yml"):
        doc = load_yaml(rel)
        for name, svc in doc["services"].items():
            build = svc.get("build")
            if build:
                context = os.path.normpath(os.path.join("docker", build["context"]))
                assert exists_in_repo(context), (rel, name, context)
                df = os.path.normpath(os.path.join(context, build["dockerfile"]))
                assert exists_in_repo(df) and df in DOCKERFILES, (rel, name, df)
                assert exists_in_repo(df + ".dockerignore"), (rel, name)
            for target, src in bind_mounts(svc).items():
                assert exists_in_repo(src), (rel, name, src, target)


def test_every_path_the_dockerfiles_copy_exists_and_is_in_the_build_context():
    for rel in DOCKERFILES:
        rules = dockerignore(rel)
        copied = 0
        for _, key, arg in dockerfile(rel):
            if key not in ("COPY", "ADD") or "--from=" in arg:
                continue
            words = [w for w in arg.split() if not w.startswith("--")]
            for src in words[:-1]:
                src = os.path.normpath(src)
                copied += 1
                if src == ".":  # the whole context, which the checks below bound
                    continue
                assert exists_in_repo(src), (rel, src)
                assert not ignored(rules, src), (rel, src, "left out by the .dockerignore")
        assert copied, rel
        # What must never reach a build context: this machine's objects and a site's secrets.
        for path in ("build/bin/aifbd", "build-asan/CMakeCache.txt", ".env", ".git/config",
                     "grafana-plugin/node_modules/react/index.js"):
            assert ignored(rules, path), (rel, path)


def test_the_images_build_the_projects_targets_with_its_build_packages():
    targets = cmake_executables()
    assert {"aifbd", "aifb", "aifb-monitor", "aifb-logship", "aifb-loadgen",
            "aifb-llmsim", "gpx_aifb"} <= targets, targets
    wanted = {p for p in install_deps_build_packages()
              if (p.endswith("-dev") or p in ("build-essential", "cmake", "pkg-config",
                                                "protobuf-c-compiler"))
              and p != "libcriterion-dev"}  # the unit tests' framework: AIFB_TESTS=OFF
    for rel in PROGRAM_IMAGES:
        instr = dockerfile(rel)
        # The C build: the first Debian 12 stage (Grafana's image builds its frontend before it).
        stages = [st for st, k, a in instr if k == "FROM" and a.startswith("debian:12 ")]
        assert stages, rel
        assert "-DAIFB_TESTS=OFF" in " ".join(a for _, k, a in instr if k == "RUN"), rel
        built = built_targets(instr)
        assert built and set(built) <= targets, (rel, built)
        assert set(copied_programs(instr)) == set(built), (rel, copied_programs(instr), built)
        got = set(apt_packages(instr, stages[0]))
        assert got == wanted, (rel, got ^ wanted)


def test_grafanas_image_builds_the_plugins_frontend_itself():
    instr = dockerfile("docker/grafana.Dockerfile")
    froms = {st: a for st, k, a in instr if k == "FROM"}
    [front] = [st for st, a in froms.items() if a.startswith("node:")]
    engines = json.loads(read("grafana-plugin/package.json"))["engines"]["node"]
    assert re.match(r"node:(\d+)", froms[front]).group(1) == engines.lstrip(">="), froms[front]
    runs = [a for st, k, a in instr if st == front and k == "RUN"]
    assert runs == ["npm ci --no-audit --no-fund", "npm run build"], runs
    name = froms[front].split(" AS ")[1]
    # Its dist/ is the plugin folder the final image carries.
    copies = [a for _, k, a in instr if k == "COPY" and a.startswith("--from=%s " % name)]
    assert copies and copies[0].split()[1] == "/src/grafana-plugin/dist", copies


def test_the_program_images_run_as_a_user_other_than_root_on_debian_12():
    for rel in PROGRAM_IMAGES:
        instr = dockerfile(rel)
        last = max(st for st, _, _ in instr)
        froms = [a for _, k, a in instr if k == "FROM"]
        assert froms[-1] == "debian:12-slim", (rel, froms)
        users = [a for st, k, a in instr if st == last and k == "USER"]
        assert users and users[-1] not in ("root", "0"), (rel, users)
        assert any("useradd" in a and users[-1] in a for st, k, a in instr if st == last), rel


def _packages_of(libs):
    """soname -> the Debian package holding it, for the libraries the loader finds (one dpkg
    call: dpkg -S reads every package's file list)."""
    ldconfig = shutil.which("ldconfig") or "/sbin/ldconfig"  # sbin may be off PATH
    cache = subprocess.run([ldconfig, "-p"], capture_output=True, text=True).stdout
    paths = {}
    for lib in libs:
        m = re.search(r"^\s*%s \(libc6[^)]*\) => (\S+)$" % re.escape(lib), cache, re.M)
        assert m, "the loader does not know %s" % lib
        # Debian 12 merges /lib into /usr/lib; dpkg knows one of the names.
        paths[lib] = {m.group(1), os.path.realpath(m.group(1)),
                      m.group(1).replace("/lib/", "/usr/lib/", 1)}
    every = sorted(set().union(*paths.values()))
    out = subprocess.run(["dpkg", "-S"] + every, capture_output=True, text=True).stdout
    owner = {}
    for line in out.splitlines():
        pkg, _, path = line.partition(": ")
        for p in pkg.split(", "):
            owner[path.strip()] = p.split(":")[0]
    found = {}
    for lib, names in paths.items():
        pkgs = {owner[n] for n in names if n in owner}
        assert pkgs, "no package holds %s" % lib
        found[lib] = pkgs.pop()
    return found


def _with_dependencies(packages):
    """The packages and everything they depend on, from dpkg's database (installed here)."""
    out = subprocess.run(["dpkg-query", "-W", "-f=${Package}\t${Depends},${Pre-Depends}\n"],
                         capture_output=True, text=True).stdout
    deps = {}
    for line in out.splitlines():
        name, _, rest = line.partition("\t")
        deps[name] = [alt.split("|")[0].strip().split(" ")[0].split(":")[0]
                      for alt in rest.split(",") if alt.strip()]
    seen, todo = set(), list(packages)
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        assert p in deps, "%s is not a package of this Debian" % p
        seen.add(p)
        todo += [d for d in deps[p] if d in deps]
    return seen


def test_the_runtime_images_hold_every_shared_library_the_programs_load():
    for rel in PROGRAM_IMAGES:
        instr = dockerfile(rel)
        last = max(st for st, _, _ in instr)
        # Grafana's own package comes from Grafana's repository, not Debian's.
        runtime = [p for p in apt_packages(instr, last) if not p.startswith("grafana=")]
        have = _with_dependencies(runtime + ["libc6"])
        needed = {}
        for prog in copied_programs(instr):
            path = os.path.join(BIN, prog)
            assert os.access(path, os.X_OK), "build %s first (AIFB_BIN_DIR)" % prog
            dyn = subprocess.run(["readelf", "-d", path], capture_output=True, text=True).stdout
            for lib in re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", dyn):
                if not lib.startswith(("libasan", "libubsan")):  # the test build's sanitizers
                    needed.setdefault(lib, prog)
        assert len(needed) > 5, needed
        for lib, pkg in _packages_of(needed).items():
            assert pkg in have, "%s: %s needs %s (package %s), not installed" % (
                rel, needed[lib], lib, pkg)


def test_kubernetes_manifests_refer_to_what_they_define():
    kust = load_yaml("k8s/kustomization.yaml")
    manifests = {os.path.basename(p) for p in glob.glob(os.path.join(K8S, "*.yaml"))}
    assert set(kust["resources"]) == manifests - {"kustomization.yaml"}, kust["resources"]
    docs = k8s_docs()
    names = {(d["kind"], d["metadata"]["name"]) for d in docs}
    configmaps = {d["metadata"]["name"]: d["data"] for d in docs if d["kind"] == "ConfigMap"}
    deployments = [d for d in docs if d["kind"] == "Deployment"]
    assert {d["metadata"]["name"] for d in deployments} == {"aifbd", "prometheus", "loki",
                                                            "grafana"}
    for d in deployments:
        spec = d["spec"]["template"]["spec"]
        assert spec["securityContext"]["runAsNonRoot"] is True, d["metadata"]["name"]
        labels = d["spec"]["template"]["metadata"]["labels"]
        assert d["spec"]["selector"]["matchLabels"].items() <= labels.items()
        volumes = {v["name"]: v for v in spec["volumes"]}
        for v in volumes.values():
            if "configMap" in v:
                assert v["configMap"]["name"] in configmaps, v
            if "persistentVolumeClaim" in v:
                assert ("PersistentVolumeClaim", v["persistentVolumeClaim"]["claimName"]) in names
        for c in spec["containers"]:
            for m in c.get("volumeMounts", []):
                v = volumes[m["name"]]
                if "subPath" in m:
                    assert m["subPath"] in configmaps[v["configMap"]["name"]], m
            for e in c.get("env", []):
                ref = e.get("valueFrom", {}).get("secretKeyRef")
                if ref:  # a Secret the operator creates: the manifest says how
                    assert "create secret generic %s --from-literal=%s=" % (
                        ref["name"], ref["key"]) in read("k8s/aifbd.yaml")
    for s in (d for d in docs if d["kind"] == "Service"):
        match = [d for d in deployments
                 if s["spec"]["selector"].items() <= d["spec"]["template"]["metadata"]["labels"].items()]
        assert len(match) == 1, s["metadata"]["name"]
        ports = {p["name"]: p["containerPort"]
                 for p in match[0]["spec"]["template"]["spec"]["containers"][0]["ports"]}
        for p in s["spec"]["ports"]:
            assert p["targetPort"] in ports and ports[p["targetPort"]] == p["port"], (s, ports)


def test_the_configmaps_are_what_configmaps_py_writes_from_the_files():
    spec = importlib.util.spec_from_file_location("configmaps", os.path.join(K8S, "configmaps.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert read("k8s/configmaps.yaml") == mod.render(), \
        "k8s/configmaps.yaml is stale: python3 k8s/configmaps.py > k8s/configmaps.yaml"
    packed = {d["metadata"]["name"]: d["data"] for d in yaml.safe_load_all(read("k8s/configmaps.yaml"))
              if d}
    assert packed["aifb-grafana-dashboards"]["live.json"] == read("dashboards/live.json")
    assert packed["aifb-prometheus"]["prometheus.yml"] == read("provisioning/prometheus/prometheus.yml")


def test_aifbd_is_reached_on_its_default_port_by_the_same_name_everywhere():
    port = daemon_port()
    c = compose()["services"]["aifbd"]
    assert [container_port(p) for p in c["ports"]] == [port]
    instr = dockerfile("docker/aifbd.Dockerfile")
    env_lines = " ".join(a for _, k, a in instr if k == "ENV")
    assert "AIFB_LISTEN=0.0.0.0:%d" % port in env_lines
    assert ("EXPOSE", str(port)) in [(k, a) for _, k, a in instr]
    kc = container("aifbd")
    assert env_of_container(kc)["AIFB_LISTEN"] == "0.0.0.0:%d" % port
    assert kc["ports"][0]["containerPort"] == port
    assert k8s("Service", "aifbd")["spec"]["ports"][0]["port"] == port
    # Grafana's plugin reaches it by the service's name, which is the same in both deployments.
    assert app()["jsonData"]["aifbdAddress"] == "aifbd:%d" % port
    assert datasources()["aifb"]["jsonData"]["aifbdAddress"] == "aifbd:%d" % port


def test_the_receivers_ports_urls_and_configurations_agree():
    services = compose()["services"]
    for name, port, env, path, conf_flag, conf in (
            ("prometheus", prometheus_port(), "AIFB_PROMETHEUS_URL",
             documented_receiver_path("AIFB_PROMETHEUS_URL"), "--config.file",
             "provisioning/prometheus/prometheus.yml"),
            ("loki", loki_port(), "AIFB_LOKI_URL", PUSH_PATH, "-config.file",
             "provisioning/loki/loki.yaml")):
        assert path == documented_receiver_path(env)
        url = "http://%s:%d%s" % (name, port, path)
        assert services["aifbd"]["environment"][env] == url, env
        assert env_of_container(container("aifbd"))[env] == url, env
        svc = services[name]
        assert [container_port(p) for p in svc["ports"]] == [port], name
        kc = container(name)
        assert kc["ports"][0]["containerPort"] == port
        assert k8s("Service", name)["spec"]["ports"][0]["port"] == port
        ds = [d for d in datasources().values() if d["type"] == name]
        assert len(ds) == 1 and ds[0]["url"] == "http://%s:%d" % (name, port), name
        # The same configuration file at the same path in both.
        target = flag(svc["command"], conf_flag)
        assert bind_mounts(svc).get(target) == conf, (name, target, bind_mounts(svc))
        assert flag(kc["args"], conf_flag) == target, name
        mount = [m for m in kc["volumeMounts"] if m["mountPath"] == target]
        assert mount and mount[0]["subPath"] == os.path.basename(conf), name
    for args in (services["prometheus"]["command"], container("prometheus")["args"]):
        assert "--web.enable-remote-write-receiver" in args
        assert flag(args, "--web.listen-address") == "0.0.0.0:%d" % prometheus_port()


def test_grafana_gets_its_provisioning_dashboards_plugin_and_token_in_both_deployments():
    g = compose()["services"]["grafana"]
    kc = container("grafana")
    assert [container_port(p) for p in g["ports"]] == [kc["ports"][0]["containerPort"]]
    assert k8s("Service", "grafana")["spec"]["ports"][0]["port"] == kc["ports"][0]["containerPort"]
    mounts = bind_mounts(g)
    assert mounts["/etc/grafana/provisioning"] == "provisioning/grafana"
    assert mounts[provider_path()] == "dashboards"
    plugin_id = app()["type"]
    # The plugin folder the entry point assembles: the app's id, the frontend from the mounted
    # dist/, the executable plugin.json names under Grafana's <name>_linux_amd64.
    assert g["build"]["dockerfile"] == "docker/grafana.Dockerfile"
    entry = read("docker/grafana-entrypoint.sh")
    assert 'dest="$GF_PATHS_PLUGINS/%s"' % plugin_id in entry
    dist_mount = re.search(r"if \[ -d (\S+) \]", entry).group(1)
    assert mounts[dist_mount] == "grafana-plugin/dist"
    app_json = json.loads(read("grafana-plugin/src/plugin.json"))
    ds_json = json.loads(read("grafana-plugin/src/datasource/plugin.json"))
    assert app_json["id"] == plugin_id and ds_json["id"] == datasources()["aifb"]["type"]
    assert '"$dest/%s_linux_amd64"' % app_json["executable"] in entry
    assert os.path.normpath(os.path.join("datasource", ds_json["executable"])) == \
        app_json["executable"], "the data source runs the app's executable"
    # Kubernetes: each provisioning folder and the dashboards from the ConfigMap packing them.
    spec = importlib.util.spec_from_file_location("configmaps", os.path.join(K8S, "configmaps.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    packs = dict(mod.SOURCES)
    volumes = {v["name"]: v["configMap"]["name"] for v in
               k8s("Deployment", "grafana")["spec"]["template"]["spec"]["volumes"] if "configMap" in v}
    by_path = {m["mountPath"]: volumes.get(m["name"]) for m in kc["volumeMounts"]}
    for sub in ("datasources", "dashboards", "plugins"):
        cm = by_path["/etc/grafana/provisioning/" + sub]
        assert packs[cm] == "provisioning/grafana/%s/*.yaml" % sub, (sub, cm)
    assert packs[by_path[provider_path()]] == "dashboards/*.json"
    # The home dashboard is one of the provisioned files, where the provider finds it.
    for home in (g["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"],
                 env_of_container(kc)["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]):
        assert os.path.dirname(home) == provider_path(), home
        assert os.path.exists(os.path.join(ROOT, "dashboards", os.path.basename(home))), home
    # The plugins load unsigned, and the environment provisioning reads is set.
    wanted = {plugin_id, datasources()["aifb"]["type"]}
    k_env = env_of_container(kc)
    docker_env = " ".join(a for _, k, a in dockerfile("docker/grafana.Dockerfile") if k == "ENV")
    for k8s_path in (m["mountPath"] for m in kc["volumeMounts"]):  # the plugins stay outside
        assert not re.search(r"GF_PATHS_PLUGINS=%s(/|\s|$)" % re.escape(k8s_path), docker_env)
    for allowed in (g["environment"]["GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS"],
                    k_env["GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS"],
                    re.search(r"GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS=(\S+)", docker_env).group(1)):
        assert wanted <= set(allowed.split(",")), allowed
    refs = set()
    for path in glob.glob(os.path.join(GRAFANA_PROVISIONING, "*", "*.yaml")):
        with open(path) as f:
            text = "\n".join(line for line in f if not line.lstrip().startswith("#"))
        refs |= set(re.findall(r"(?<!\$)\$\{?([A-Za-z_][A-Za-z0-9_]*)", text))
    assert refs == {"AIFB_TOKEN"}, refs
    for name in refs:
        assert name in g["environment"] and name in k_env, name
    # One token for aifbd and for Grafana, required in compose, from one Secret in Kubernetes.
    aifbd_token = compose()["services"]["aifbd"]["environment"]["AIFB_TOKEN"]
    assert aifbd_token == g["environment"]["AIFB_TOKEN"] and aifbd_token.startswith("${AIFB_TOKEN:?")
    assert env_of_container(container("aifbd"))["AIFB_TOKEN"] == k_env["AIFB_TOKEN"]


def test_the_fixed_names_are_the_ones_the_plugin_backend_reads():
    ds = datasources()
    assert {u: d["type"] for u, d in ds.items()} == {
        "aifb-prometheus": "prometheus", "aifb-loki": "loki", "aifb": "aifb-controlplane-datasource"}
    assert app()["type"] == "aifb-controlplane-app"
    keys = set(app()["jsonData"]) | set(app()["secureJsonData"])
    assert keys == set(ds["aifb"]["jsonData"]) | set(ds["aifb"]["secureJsonData"]) == {
        "aifbdAddress", "aifbdToken"}
    backend = ""
    for path in glob.glob(os.path.join(ROOT, BUILD_OUTPUTS["grafana-plugin/dist"], "*.c")):
        with open(path) as f:
            backend += f.read()
    for key in keys:
        assert '"%s"' % key in backend, "the plugin's backend does not read %s" % key
