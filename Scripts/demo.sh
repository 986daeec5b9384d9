#!/usr/bin/env bash
# `make demo`: the full reconstruction on the embedded synthetic dataset.
# The end-to-end `reconstruct` program (issue 8) does not exist yet. Until it does, this script says so
# and runs what exists, without pretending to reconstruct anything.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release
bin="$(swift build -c release --show-bin-path)"
if [ -x "$bin/reconstruct" ]; then
  out="${DEMO_OUT:-demo-output}"
  data="$out/dataset"
  if [ ! -d "$data" ]; then "$bin/make-dataset" --preset demo --out "$data" --seed 7; fi
  "$bin/reconstruct" --bids "$data" --stimuli "$data/stimuli" --out "$out/results" --seed 7
else
  echo "make demo: the end-to-end reconstruction is not built yet (issue 8)."
  echo "make demo: running the foundation benchmark instead, so the linear-algebra core is exercised."
  "$bin/bench-linear-algebra"
fi
