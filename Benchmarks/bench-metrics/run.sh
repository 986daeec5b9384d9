#!/usr/bin/env bash
# Side-by-side benchmark of DecodingMetrics against NumPy/SciPy on the same inputs in the same run.
# $1 = path of the built bench-metrics binary, $2 = JSON output path. Env: BENCH_PYTHON (a python with the pins).
set -euo pipefail
binary="$1"
output="$2"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
python="${BENCH_PYTHON:-}"
if [ -z "$python" ]; then
  venv="$root/.venv-metrics"
  if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
  "$venv/bin/pip" install -q --no-deps -r "$root/Tools/reference/metrics/requirements.txt"
  python="$venv/bin/python"
fi
data="$(mktemp -d)"
trap 'rm -rf "$data"' EXIT
"$binary" --data "$data" --json "$output"
"$python" "$here/reference.py" "$data" "$output"
