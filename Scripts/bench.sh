#!/usr/bin/env bash
# `make bench`: release build, then every benchmark executable (Benchmarks/bench-*), side by side with the
# Python references where a module has one. Results go to stdout and, as JSON, to Docs/bench/<name>.json.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release
mkdir -p Docs/bench
bin="$(swift build -c release --show-bin-path)"
for dir in Benchmarks/bench-*/; do
  name="$(basename "$dir")"
  if [ -n "${BENCH_ONLY:-}" ] && [[ "$name" != *"$BENCH_ONLY"* ]]; then continue; fi
  echo "== $name"
  if [ -x "Benchmarks/$name/run.sh" ]; then
    "Benchmarks/$name/run.sh" "$bin/$name" "Docs/bench/$name.json"
  else
    "$bin/$name" --json "Docs/bench/$name.json"
  fi
done
