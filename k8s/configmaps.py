#!/usr/bin/env python3
"""Writes k8s/configmaps.yaml: the repository's provisioning files and dashboards as ConfigMaps, so
that the cluster runs exactly the files docker/docker-compose.yml mounts (kustomize cannot read
files outside k8s/). Run it after changing any of them; tests/integration/test_deploy_files.py
fails while configmaps.yaml differs from what this writes.

    python3 k8s/configmaps.py > k8s/configmaps.yaml

Each ConfigMap is one folder of the repository, one key per file."""

import glob
import os
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# ConfigMap name -> the repository's files it holds (k8s/*.yaml mount them by these names).
SOURCES = [
    ("aifb-prometheus", "provisioning/prometheus/prometheus.yml"),
    ("aifb-loki", "provisioning/loki/loki.yaml"),
    ("aifb-grafana-datasources", "provisioning/grafana/datasources/*.yaml"),
    ("aifb-grafana-dashboard-providers", "provisioning/grafana/dashboards/*.yaml"),
    ("aifb-grafana-plugins", "provisioning/grafana/plugins/*.yaml"),
    ("aifb-grafana-dashboards", "dashboards/*.json"),
]


class _Literal(str):
    pass


def _literal(dumper, text):
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|")


yaml.SafeDumper.add_representer(_Literal, _literal)


def configmaps():
    docs = []
    for name, pattern in SOURCES:
        files = sorted(glob.glob(os.path.join(ROOT, pattern)))
        if not files:
            raise SystemExit("configmaps.py: nothing matches %s" % pattern)
        data = {}
        for path in files:
            with open(path, encoding="utf-8") as f:
                data[os.path.basename(path)] = _Literal(f.read())
        docs.append({"apiVersion": "v1", "kind": "ConfigMap",
                     "metadata": {"name": name, "labels": {"app.kubernetes.io/part-of": "aifb"}},
                     "data": data})
    return docs


def render():
    head = ("# Written by k8s/configmaps.py from provisioning/ and dashboards/: do not edit, run\n"
            "#   python3 k8s/configmaps.py > k8s/configmaps.yaml\n")
    body = yaml.safe_dump_all(configmaps(), sort_keys=False, width=100, allow_unicode=True,
                              explicit_start=True)
    return head + body


if __name__ == "__main__":
    sys.stdout.write(render())
