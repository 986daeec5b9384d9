#!/usr/bin/env bash
# `make demo`: the full reconstruction on the embedded synthetic dataset (the `demo` preset of make-dataset),
# with the tiny CLAP and MusicLDM models that ship as test fixtures (seeded random weights, made by the pinned
# scripts in Tools/reference/). Their audio is not music (random weights give noise-like sound);
# see README for real weights.
# The demo grid is 6 mm, so the authors' 100-voxel minimum cluster at 2 mm (800 mm³) becomes 4 voxels here.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${DEMO_OUT:-demo-output}"
data="$out/dataset"
echo "== building (release)"
swift build -c release --product make-dataset
swift build -c release --product reconstruct
bin="$(swift build -c release --show-bin-path)"
if [ ! -f "$data/dataset_description.json" ]; then
  echo "== generating the synthetic demo dataset (ds003720 layout) in $data"
  rm -rf "$data.partial"
  "$bin/make-dataset" --preset demo --out "$data.partial" --seed 7
  mv "$data.partial" "$data"
fi
echo
echo "######################################################################################"
echo "# DEMO MODELS: CLAP and MusicLDM are tiny networks with seeded random weights.       #"
echo "# The pipeline, metrics and files are real; the generated audio is not music.        #"
echo "######################################################################################"
echo
"$bin/reconstruct" --bids "$data" --stimuli "$data/stimuli" \
  --clap Tests/CLAPTests/Resources/clap-tiny --musicldm Tests/MusicLDMTests/Resources/tiny-musicldm \
  --out "$out/results" --steps "${DEMO_STEPS:-50}" --seconds "${DEMO_SECONDS:-10}" --seed 7 \
  --minimum-cluster-size "${DEMO_CLUSTER:-4}" --demo-models
echo
echo "== the same subjects decoded into the dataset's planted acoustic features (ground truth), no audio"
"$bin/reconstruct" --bids "$data" --stimuli "$data/stimuli" \
  --clap Tests/CLAPTests/Resources/clap-tiny --musicldm Tests/MusicLDMTests/Resources/tiny-musicldm \
  --feature-table "$data/derivatives/ground_truth/stimulus_features.tsv" --no-audio \
  --out "$out/results-planted" --seed 7 --minimum-cluster-size "${DEMO_CLUSTER:-4}" --demo-models | tail -n 8
echo
echo "== feature spaces side by side: what the pipeline recovers, and what the demo CLAP (random weights) cannot carry"
"$bin/reconstruct" compare "demo CLAP=$out/results" "planted features=$out/results-planted" --out "$out/comparison"
echo "Results in $out/results (open $out/results/report.html); comparison in $out/comparison/comparison.html."
