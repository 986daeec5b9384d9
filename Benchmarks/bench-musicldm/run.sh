#!/usr/bin/env bash
# MusicLDM benchmark: PyTorch (pinned, CPU, 2 threads) and Swift on the same real-size random weights and inputs,
# in the same run; prints ours/PyTorch ratios. $1 = Swift benchmark binary, $2 = JSON output path.
# FULL_STEPS (default 50) sets the steps of the full generation; 0 skips it. BENCH_COMPONENT=unet|vae|vocoder
# times one component only (on both sides, no full generation). CPU ratios (process CPU time per run, both
# cores) are printed next to wall ratios: they stay meaningful when other work shares the machine.
# BATCH_SIZES (e.g. 1,2,4) adds the per-clip times against the number of clips batched (Swift side only),
# FULL_CLIPS the clips of the full generation (one batch), CACHE_WINOGRAD=1 keeps the UNet's Winograd transforms,
# BF16=1 runs our UNet in bfloat16 (PyTorch stays float32; BENCH_COMPONENT=bf16 compares our two precisions).
set -euo pipefail
binary="$1"
json="$2"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$root/.venv-musicldm"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q -r "$root/Tools/reference/musicldm/requirements.txt"
work="${MUSICLDM_BENCH_DIR:-/tmp/resonance-musicldm-bench}"
"$venv/bin/python" "$here/make_reference.py" "$work" "$json.torch.json"
extra=()
[ -n "${BENCH_COMPONENT:-}" ] && extra=(--only "$BENCH_COMPONENT")
[ -n "${BATCH_SIZES:-}" ] && extra+=(--batch-sizes "$BATCH_SIZES")
[ -n "${FULL_CLIPS:-}" ] && extra+=(--full-clips "$FULL_CLIPS")
[ -n "${CACHE_WINOGRAD:-}" ] && extra+=(--cache-winograd)
[ -n "${BF16:-}" ] && extra+=(--bf16)
uptime
"$binary" "$work" "$json.swift.json" --full-steps "${FULL_STEPS:-50}" "${extra[@]}"
uptime
python3 - "$json" <<'PY'
import json, sys
path = sys.argv[1]
torch = json.load(open(path + ".torch.json"))
swift = json.load(open(path + ".swift.json"))
report = {"pytorch": torch, "swift": swift, "ratios": {}, "loadAverageAtEnd": open("/proc/loadavg").read().split()[:3]}
for key in ["unetBatch2StepSeconds", "vaeDecodeSeconds", "vocoderSeconds"]:
    if key not in swift or key not in torch:
        continue
    cpu = key.replace("Seconds", "CPUSeconds")
    report["ratios"][key] = swift[key] / torch[key]
    report["ratios"][cpu] = swift[cpu] / torch[cpu]
    print(f"{key:<24} ours {swift[key]:8.3f} s  PyTorch {torch[key]:8.3f} s  ratio {swift[key] / torch[key]:.2f}"
          f"  | CPU ours {swift[cpu]:8.3f} s  PyTorch {torch[cpu]:8.3f} s  ratio {swift[cpu] / torch[cpu]:.2f}")
json.dump(report, open(path, "w"), indent=2, sort_keys=True)
PY
