#!/usr/bin/env bash
# bench-neuroio side by side with nibabel + nilearn (pinned), same files, same run.
#   $1 = built bench-neuroio binary, $2 = JSON output path. BENCH_NEUROIO_SMALL=1 uses a 20×24×20×30 run;
#   BENCH_NEUROIO_REPEATS (3) and BENCH_NEUROIO_REFERENCE_REPEATS (1) set the best-of counts.
set -euo pipefail
binary="$1"
output="$2"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$root/.venv-bench-neuroio"
if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
"$venv/bin/pip" install -q 'nibabel==5.3.2' 'nilearn==0.11.1' 'numpy==2.2.6' 'scipy==1.15.3' \
  'scikit-learn==1.6.1' 'pandas==2.2.3'
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
small=()
if [ -n "${BENCH_NEUROIO_SMALL:-}" ]; then small=(--small); fi
"$binary" generate "$work" "${small[@]}"
# Best of 3 for NeuroIO; the reference (about 1 minute per run here) runs once unless asked.
ours="$("$binary" mask "$work" --repeats "${BENCH_NEUROIO_REPEATS:-3}")"
reference="$("$venv/bin/python" "$here/reference.py" "$work" "${BENCH_NEUROIO_REFERENCE_REPEATS:-1}")"
bytes="$(stat -c %s "$work/bold.nii.gz")"
"$venv/bin/python" - "$ours" "$reference" "$output" "$bytes" <<'PY'
import json, sys
ours, ref, out, size = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3], int(sys.argv[4])
assert (ours["rows"], ours["columns"]) == (ref["rows"], ref["columns"]), "shapes differ"
rel = abs(ours["checksum"] - ref["checksum"]) / max(abs(ref["checksum"]), 1)
matrix = ours["rows"] * ours["columns"] * 4
run = ours["rows"] * 77 * 95 * 82 * 4  # the full-size grid
result = {
    "benchmark": "read + mask a 4-D float32 .nii.gz into time x voxels",
    "shape": [ours["rows"], ours["columns"]], "compressedBytes": size,
    "neuroio": ours, "reference": ref,
    "timeRatio": ours["seconds"] / ref["seconds"],
    "peakMemoryRatio": ours["peakResidentBytes"] / ref["peakResidentBytes"],
    "matrixBytes": matrix,
    "peakBudgetBytes (matrix + 1.5 run, full size)": matrix + 1.5 * run,
    "checksumRelativeDifference": rel,
    "blasKernel": ours["blasKernel"],
}
json.dump(result, open(out, "w"), indent=1)
print(f"NeuroIO {ours['seconds']:.3f} s, nibabel+nilearn {ref['seconds']:.3f} s, ratio {result['timeRatio']:.3f}")
print(f"peak RSS NeuroIO {ours['peakResidentBytes']/2**20:.0f} MiB, reference {ref['peakResidentBytes']/2**20:.0f} MiB "
      f"(matrix {matrix/2**20:.0f} MiB), checksum rel. diff {rel:.2e}, OpenBLAS kernel {ours['blasKernel']}")
PY
