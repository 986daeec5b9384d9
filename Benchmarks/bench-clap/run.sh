#!/usr/bin/env bash
# CLAP benchmark side by side with PyTorch CPU (2 threads), same weights and clip, same run.
#   $1 = the built bench-clap binary, $2 = JSON output path.
# Real-size random-weight models (laion/clap-htsat-unfused and laion/larger_clap_music_and_speech shapes,
# ≈ 0.6 and 0.8 GB) are generated on first use in $CLAP_BENCH_DIR (default /tmp/resonance-clap-bench), never
# committed. The PyTorch side needs the pinned packages of Tools/reference/clap/requirements.txt (.venv-clap).
set -euo pipefail
binary="$(realpath "$1")"
output="$(realpath -m "$2")"
cd "$(dirname "$0")/../.."
venv=.venv-clap
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q -r Tools/reference/clap/requirements.txt
fi
python="$venv/bin/python"
work="${CLAP_BENCH_DIR:-/tmp/resonance-clap-bench}"
variants="${CLAP_BENCH_VARIANTS:-unfused,larger}"
repeats="${CLAP_BENCH_REPEATS:-5}"
export HF_HUB_OFFLINE=1 OMP_NUM_THREADS=2
if [ ! -f "$work/clip.f32" ] || [ ! -f "$work/${variants%%,*}/model.safetensors" ]; then
  "$python" Tools/reference/clap/bench_reference.py make-models "$work" --variants "$variants"
fi
for variant in ${variants//,/ }; do
  # Interleaved so that both sides see the same machine load.
  "$python" Tools/reference/clap/bench_reference.py run "$work" --json "$work/torch-$variant.json" \
    --repeats "$repeats" --variants "$variant"
  "$binary" --model "$work/$variant" --clip "$work/clip.f32" --repeats "$repeats" --json "$work/swift-$variant.json"
done
"$python" - "$work" "$variants" "$output" <<'PY'
import json, sys
import numpy as np
work, variants, output = sys.argv[1], sys.argv[2].split(","), sys.argv[3]
report = {}
for variant in variants:
    torch_side = json.load(open(f"{work}/torch-{variant}.json"))
    swift = json.load(open(f"{work}/swift-{variant}.json"))
    ref = torch_side[variant]
    a, b = np.array(swift.pop("audio_embedding")), np.array(ref.pop("audio_embedding"))
    entry = {
        "swift": swift, "torch": ref, "torch_version": torch_side["torch"],
        "ratio_audio": swift["audio_seconds"] / ref["audio_seconds"],
        "ratio_audio_cpu_time": swift["audio_cpu_seconds"] / ref["audio_cpu_seconds"],
        "ratio_text": swift["text_seconds"] / ref["text_seconds"],
        "ratio_feature_extractor": swift["feature_extractor_seconds"] / ref["feature_extractor_seconds"],
        "peak_rss_over_weights_mb": (swift["peak_rss_bytes"] - swift["weight_bytes"]) / 1e6,
        "audio_embedding_max_abs_difference": float(np.abs(a - b).max()),
    }
    report[variant] = entry
    print(f"{variant}: audio {swift['audio_seconds']:.4f} s vs torch {ref['audio_seconds']:.4f} s "
          f"(ratio {entry['ratio_audio']:.2f}, CPU-time ratio {entry['ratio_audio_cpu_time']:.2f}); text {swift['text_seconds']:.4f} s vs {ref['text_seconds']:.4f} s "
          f"(ratio {entry['ratio_text']:.2f}); features ratio {entry['ratio_feature_extractor']:.2f}; "
          f"peak RSS − weights {entry['peak_rss_over_weights_mb']:.0f} MB; "
          f"|Δ embedding| {entry['audio_embedding_max_abs_difference']:.1e}; OpenBLAS {swift['blas_kernel']}")
with open(output + ".tmp", "w") as handle:
    json.dump(report, handle, indent=1)
import os
os.replace(output + ".tmp", output)
PY
# The whole-process comparison (model loading, audio reading, features, embedding) when embed-audio is built beside
# this benchmark and the larger variant was made.
embed_audio="$(dirname "$binary")/embed-audio"
if [ -x "$embed_audio" ] && [ -f "$work/larger/model.safetensors" ]; then
  Benchmarks/bench-clap/whole_process.sh "$embed_audio" "${output%.json}-whole-process.json"
fi
