#!/usr/bin/env bash
# Configures and builds aifb. Usage: scripts/build.sh [BUILD_DIR] [extra cmake options...]
# Default BUILD_DIR is build/; binaries land in BUILD_DIR/bin/. The compiler's output goes to
# BUILD_DIR/build.log, and its errors to the terminal when the build fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$root/build}
shift || true
mkdir -p "$dir"
jobs=$(nproc 2>/dev/null || echo 2)
if ! { cmake -S "$root" -B "$dir" "$@" && cmake --build "$dir" -j"$jobs"; } >"$dir/build.log" 2>&1; then
  grep -E 'error|Error|warning' "$dir/build.log" | head -n 40 >&2 || tail -n 40 "$dir/build.log" >&2
  echo "build failed; the whole log is in $dir/build.log" >&2
  exit 1
fi
echo "built $dir/bin: $(ls "$dir/bin" 2>/dev/null | tr '\n' ' ')"
