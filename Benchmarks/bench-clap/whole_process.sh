#!/usr/bin/env bash
# Whole-process CLAP audio embedding, side by side with PyTorch: `embed-audio` against the same work in Python
# (Tools/reference/clap/embed_audio_reference.py: load the model, read the WAV files, extract features, embed in
# batches of 8, L2-normalise, write .npy), each under /usr/bin/time, interleaved ROUNDS times (default 3).
#   $1 = the built embed-audio binary, $2 = JSON output path.
# Uses the real-size random-weight larger_clap folder that Benchmarks/bench-clap/run.sh makes
# ($CLAP_BENCH_DIR/larger, default /tmp/resonance-clap-bench) and CLIPS (default 12) 10 s clips at 48 kHz.
set -euo pipefail
binary="$(realpath "$1")"
output="$(realpath -m "$2")"
cd "$(dirname "$0")/../.."
python=.venv-clap/bin/python
work="${CLAP_BENCH_DIR:-/tmp/resonance-clap-bench}"
model="$work/larger"
[ -f "$model/model.safetensors" ] || { echo "run Benchmarks/bench-clap/run.sh first (makes $model)" >&2; exit 1; }
clips="$work/clips-${CLIPS:-12}"
[ -f "$clips/clip-00.wav" ] || "$python" Tools/reference/clap/embed_audio_reference.py make-clips "$clips" "${CLIPS:-12}"
export HF_HUB_OFFLINE=1 OMP_NUM_THREADS=2 TRANSFORMERS_VERBOSITY=error
log="$work/whole-process.tsv"
: >"$log"
for round in $(seq "${ROUNDS:-3}"); do
  /usr/bin/time -f "torch\t%e\t%U\t%S\t%M" -a -o "$log" \
    "$python" Tools/reference/clap/embed_audio_reference.py embed "$model" "$work/torch-embeddings.npy" "$clips"/*.wav
  /usr/bin/time -f "swift\t%e\t%U\t%S\t%M" -a -o "$log" \
    "$binary" --model "$model" --out "$work/swift-embeddings.npy" "$clips"/*.wav >/dev/null
done
"$python" - "$log" "$work" "$output" "$binary" <<'PY'
import json, os, statistics, subprocess, sys
import numpy as np
log, work, output, binary = sys.argv[1:5]
rows = [line.rstrip("\n").split("\t") for line in open(log) if line.strip()]
sides = {}
for side, wall, user, system, rss in rows:
    sides.setdefault(side, []).append((float(wall), float(user) + float(system), int(rss) * 1024))
report = {"clips": len([f for f in os.listdir(os.path.join(work, f"clips-{os.environ.get('CLIPS', '12')}"))]),
          "cpu": open("/proc/cpuinfo").read().split("model name")[1].split("\n")[0].strip(": \t"),
          "version": subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.strip().splitlines(),
          "loadAverageAtEnd": open("/proc/loadavg").read().split()[:3]}
for side, samples in sides.items():
    report[side] = {"wallSeconds": [s[0] for s in samples], "cpuSeconds": [s[1] for s in samples],
                    "peakResidentBytes": max(s[2] for s in samples),
                    "medianWallSeconds": statistics.median(s[0] for s in samples),
                    "medianCPUSeconds": statistics.median(s[1] for s in samples)}
report["ratioWall"] = report["swift"]["medianWallSeconds"] / report["torch"]["medianWallSeconds"]
report["ratioCPU"] = report["swift"]["medianCPUSeconds"] / report["torch"]["medianCPUSeconds"]
a = np.load(os.path.join(work, "swift-embeddings.npy")); b = np.load(os.path.join(work, "torch-embeddings.npy"))
report["maxAbsEmbeddingDifference"] = float(np.abs(a - b).max())
report["minCosine"] = float(((a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)).min())
print(f"whole process, {report['clips']} clips: ours {report['swift']['medianWallSeconds']:.2f} s "
      f"({report['swift']['medianCPUSeconds']:.2f} s CPU), PyTorch {report['torch']['medianWallSeconds']:.2f} s "
      f"({report['torch']['medianCPUSeconds']:.2f} s CPU); ratio {report['ratioWall']:.2f} wall, "
      f"{report['ratioCPU']:.2f} CPU; max |Δ| {report['maxAbsEmbeddingDifference']:.1e}")
with open(output + ".tmp", "w") as handle:
    json.dump(report, handle, indent=1)
os.replace(output + ".tmp", output)
PY
