#!/usr/bin/env bash
# Installs, through apt, whatever aifb needs that this Debian 12 machine lacks.
#
#   scripts/install-deps.sh          what building and running aifb needs
#   scripts/install-deps.sh --test   also what the test suite needs (servers, python gRPC, clang)
#   scripts/install-deps.sh --bench  also the peers of bench/loadgen.sh (wrk, nginx, aiohttp)
#
# It only calls apt-get when a package is missing, so a second run costs nothing.
set -euo pipefail

build_pkgs=(
  build-essential cmake pkg-config
  libgrpc-dev protobuf-c-compiler libprotobuf-c-dev
  libsqlite3-dev libjson-c-dev libcurl4-openssl-dev libssh2-1-dev libyaml-dev libsnappy-dev
  libcriterion-dev
  redis-server redis-tools postgresql postgresql-contrib
)
test_pkgs=(
  python3 python3-grpcio python3-grpc-tools python3-pytest
  clang clang-format libclang-rt-14-dev procps iproute2 git
  slurmctld slurmd slurm-client slurmrestd slurm-wlm-jwt-plugin munge
  openssh-server openssh-client curl
  prometheus python3-snappy python3-yaml
  chromium
)
# bench/loadgen.sh measures aifb-loadgen beside wrk (against a local nginx) and a Python aiohttp
# client; taskset (util-linux) pins each side to its own core.
bench_pkgs=(
  wrk nginx-light python3 python3-aiohttp util-linux procps prometheus prometheus-node-exporter
)

want=("${build_pkgs[@]}")
case "${1:-}" in
  --test)
    want+=("${test_pkgs[@]}")
    # The Grafana app's frontend builds with Node.js and npm: Debian's unless one is installed
    # already (grafana-plugin/package.json asks for Node 20; Debian 12 has 18).
    command -v node >/dev/null 2>&1 || want+=(nodejs)
    command -v npm >/dev/null 2>&1 || want+=(npm)
    ;;
  --bench) want+=("${bench_pkgs[@]}") ;;
  "") ;;
  *) echo "install-deps: unknown option '$1' (expected --test or --bench)" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: everything is installed"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: run this script as root (or: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# The PostgreSQL and Redis packages try to start their services; no init system runs them here,
# and aifb starts its own instances, so a refused start is fine (policy-rc.d says "not now").
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get install -y -q --no-install-recommends "${missing[@]}"
